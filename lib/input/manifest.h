/*
 * manifest.h - the metadata of <video_dir>/manifest.csv, as discovery
 * reads it: per uid the canonical frame count, display size and whether
 * there is audio. Internal to the core library; used by discover.c.
 */
#ifndef EF_MANIFEST_H
#define EF_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  char *uid;
  int64_t num_frames; /* -1 if the manifest does not say */
  int width, height;  /* 0 if the manifest does not say */
  int has_audio;      /* 1, 0, or -1 without audio columns */
  size_t row;         /* keeps the first of repeated uids first after sorting */
} manifest_row;

/* The rows sorted by uid. A zeroed manifest is a valid empty one. */
typedef struct {
  manifest_row *rows;
  size_t n;
} manifest;

/* Loads <dir>/manifest.csv if there is one (m stays empty otherwise).
 * EF_OK, or a negative status with the error recorded (m is then empty):
 * the file cannot be read, is empty, has no uid column, holds a NUL byte
 * or leaves a quote open. A value that is negative, not a number, too
 * large or followed by other text is "does not say" (-1 or 0 above). */
int manifest_load(const char *dir, manifest *m);
/* The same from CSV text already in memory (len bytes, no terminating
 * NUL needed); `path` names it in messages. What manifest_load() does
 * after reading, apart so that tests and the fuzzer reach it without a
 * file. */
int manifest_parse(const char *path, const char *text, size_t len, manifest *m);
/* The first row of uid, or NULL if the manifest has none. */
const manifest_row *manifest_find(const manifest *m, const char *uid);
/* Frees the rows; m is left empty. */
void manifest_free(manifest *m);

#endif
