/*
 * path.h - the two path helpers discovery and the stale-file sweep share:
 * joining a folder and a name, and asking whether a path is a file.
 *
 * Internal to the core library. They record no error message: each
 * caller reports out-of-memory in its own words.
 */
#ifndef EF_PATH_H
#define EF_PATH_H

/* "<dir>/<name>" in a new string; NULL when out of memory. */
char *path_join(const char *dir, const char *name);
/* 1 if path exists and is not a folder (following links). */
int path_is_file(const char *path);

#endif
