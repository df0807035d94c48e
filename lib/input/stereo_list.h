/*
 * stereo_list.h - the uids that <ego4d_download_dir>/ego4d.json flags
 * is_stereo. Internal to the core library; used by discover.c.
 */
#ifndef EF_STEREO_LIST_H
#define EF_STEREO_LIST_H

#include <stddef.h>

#include "util/strvec.h"

/* Appends to `stereo` the uids flagged stereo in <dir>/ego4d.json, then
 * sorts it for strvec_contains(). A NULL or empty dir, or no such file,
 * adds none. EF_OK, or a negative status with the error recorded (the
 * file cannot be read, is empty, is not valid JSON or nests deeper than
 * 256 levels, or out of memory); the caller
 * frees `stereo` in either case. */
int stereo_list_load(const char *dir, strvec *stereo);
/* The same from JSON text already in memory (len bytes); `path` names it
 * in messages. For tests and the fuzzer, which need no file. */
int stereo_list_parse(const char *path, const void *data, size_t len,
                      strvec *stereo);

#endif
