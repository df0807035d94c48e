/*
 * discover.h - which videos a run covers, and what is known of them before
 * decoding: uids from io.uid_list or the folder, metadata from
 * manifest.csv, stereo flags from ego4d.json, else probing the file.
 */
#ifndef EF_DISCOVER_H
#define EF_DISCOVER_H

#include <stddef.h>
#include <stdint.h>

#include "settings.h"

typedef struct {
  char *uid;
  char *path;         /* <video_dir_path>/<uid>.mp4, or as given */
  int64_t num_frames; /* canonical frames at fps, -1 if unknown */
  int width, height;  /* 0 if unknown */
  int has_audio;      /* 1, 0, or -1 if unknown */
  int is_stereo;
  char *reject; /* why this uid cannot be a file name (discover_uid_problem),
                   or NULL; such a video fails without being touched */
} ef_video;

/* Lists the videos of a run. Missing files are still listed (the pipeline
 * reports them as failed with a clear message) so nothing is silently
 * dropped. io.video_limit picks a seeded random subset. */
int discover_videos(const ef_settings *s, ef_video **out, size_t *n);
/* Why a uid cannot name files in io.video_dir_path and io.out_path, or
 * NULL if it can. The one place the rules live: a uid is one file name, so
 * it may not be empty, contain '/', be "." or "..", or contain control
 * characters (newlines break logs and the status files); anything else,
 * unicode and a leading '-' included, is allowed (names never reach a
 * shell). */
const char *discover_uid_problem(const char *uid);
/* A new "invalid uid \"<uid, escaped>\": <problem>" message (caller
 * frees), NULL if the uid is fine or memory ran out (check uid_problem). */
char *discover_uid_reject(const char *uid);
/* A uid from an explicit path: the file name without its extension. */
char *discover_uid_from_path(const char *path);
void discover_free(ef_video *videos, size_t n);

#endif
