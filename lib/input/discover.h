/*
 * discover.h - which videos a run covers, and what is known of them before
 * decoding: uids from io.uid_list or the folder, metadata from
 * manifest.csv, stereo flags from ego4d.json, else probing the file; or,
 * for an Ego-Exo4D download, the streams of its takes.json (takes.h).
 */
#ifndef EF_DISCOVER_H
#define EF_DISCOVER_H

#include <stddef.h>
#include <stdint.h>

#include "config/settings.h"

typedef struct {
  char *uid;
  char *path;         /* <video_dir_path>/<uid>.mp4, or as given */
  int64_t num_frames; /* canonical frames at fps, -1 if unknown */
  int width, height;  /* 0 if unknown */
  int has_audio;      /* 1, 0, or -1 if unknown */
  int is_stereo;
  char *reject; /* why this uid cannot be a file name (discover_uid_problem),
                   or NULL; such a video fails without being touched */
  char *skip;   /* why it is skipped without being touched (a stream of
                   takes.json whose file is missing), or NULL */
} ef_video;

/* Lists the videos of a run. Missing files are still listed (the pipeline
 * reports them as failed with a clear message) so nothing is silently
 * dropped. io.video_limit picks a seeded random subset. Without a
 * uid_list only media files count (discover_is_media_name), and a folder
 * without one is EF_ENOTFOUND naming it. uid_list entries may be uids
 * ("x"), file names ("x.mp4": uid x) or absolute paths to existing files
 * ("/data/x.mkv": uid x). Two inputs with one uid are EF_ECONFIG.
 * With io.dataset_version egoexo and io.egoexo_data_dir set, the videos
 * are instead the streams that <egoexo_data_dir>/takes.json lists
 * (takes.h): io.uid_list names takes (or single streams), a stream whose
 * file is missing is listed with `skip` set, and io.video_limit picks
 * among the others. */
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
/* 1 if the name ends in a media extension: a video one (mp4, mkv, mov,
 * avi, webm, m4v, mpg, mpeg, ts, mts, m2ts, wmv, flv, 3gp), or with
 * audio != 0 also an audio one (wav, mp3, m4a, aac, flac, ogg, opus);
 * case does not matter. */
int discover_is_media_name(const char *name, int audio);
/* EF_ECONFIG naming both inputs when two videos (not refused ones) have
 * the same uid: their outputs would be one file. inputs[i] is what video
 * i came from (a uid_list entry, a path). */
int discover_check_unique(const ef_video *v, const char *const *inputs,
                          size_t n);
/* The videos of explicit paths (uid = file name without its extension);
 * EF_ECONFIG when two paths give the same uid. */
int discover_paths(const char *const *paths, size_t n, ef_video **out,
                   size_t *count);
void discover_free(ef_video *videos, size_t n);

#endif
