/*
 * testutil.h - small helpers shared by the Check unit tests: temporary
 * folders, running shell commands (ffmpeg, python) to make fixtures.
 */
#ifndef EF_TESTUTIL_H
#define EF_TESTUTIL_H

#include <stddef.h>

/* A new empty folder under $TMPDIR (or /tmp); caller frees the string. */
char *tu_tmpdir(void);
/* Removes a folder tree. */
void tu_rmrf(const char *dir);
/* Runs a shell command built printf-style; returns its exit status. */
int tu_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "<dir>/<name>", caller frees. */
char *tu_path(const char *dir, const char *name);
/* Makes a video with `ffmpeg -y -v error <args> <dir>/<name>`; returns its
 * path (caller frees) or NULL if ffmpeg failed. */
char *tu_ffmpeg(const char *dir, const char *name, const char *args);
/* A fixture file made on first use: "<dir>/<name>" if it exists, else
 * made by ffmpeg with args (as tu_ffmpeg) or, with args NULL, by the shell
 * command shell with the path as its one %s. Check forks each test, so
 * files (not memory) carry over between tests. Returns the path (caller
 * frees) or NULL if it could not be made. */
char *tu_fixture(const char *dir, const char *name, const char *args,
                 const char *shell);
/* Debian's interpreter with torch/av/numpy ($EF_PYTHON overrides). */
const char *tu_python(void);
/* The source tree ($EF_SOURCE_ROOT, set by meson). */
const char *tu_source_root(void);
/* Writes text to a file; 0 on success. */
int tu_write_file(const char *path, const char *text);
/* Names in a folder other than "." and "..", each followed by a newline
 * (caller frees); *count gets how many. NULL if the folder can't be read. */
char *tu_list_dir(const char *dir, int *count);
/* Reads a whole file; caller frees; NULL if missing. */
char *tu_read_file(const char *path, size_t *len);

#endif
