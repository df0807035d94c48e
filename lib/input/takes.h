/*
 * takes.h - the video streams that an Ego-Exo4D download's
 * <egoexo_data_dir>/takes.json lists, chosen as the reference's feature
 * extraction chooses them. Internal to the core library; used by
 * discover.c, which turns them into ef_video entries.
 */
#ifndef EF_TAKES_H
#define EF_TAKES_H

#include <stddef.h>
#include <stdint.h>

/* Which streams to keep. */
typedef struct {
  /* io.uid_list: a take is kept when its take_uid is listed, a stream
   * also when its own uid is (the schedule's bins list stream uids).
   * NULL keeps every take; an empty list keeps none. */
  const char *const *uids;
  size_t n_uids;
  /* io.eligible_cam_prefixes: a camera is kept when its id, lower-cased,
   * contains one of them. NULL: "cam", "aria" and "gp". */
  const char *const *cam_prefixes;
  size_t n_cam_prefixes;
} takes_filter;

typedef struct {
  char *uid;  /* <take_uid>_<camera id>_<stream name> */
  char *path; /* <data_dir>/<root_dir>/<relative_path>; NULL when the
                 stream's relative_path is null (no file) */
  /* timesync_end_idx - timesync_start_idx - 1, or -1 when that is below
   * 0 or overflows */
  int64_t num_frames;
  int is_aria; /* the stream's cam_id (else the camera id) has "aria" */
  /* Why path cannot be used (root_dir or relative_path is absolute or
   * has a ".." component), else NULL: such a stream is listed but never
   * opened. */
  char *problem;
} takes_stream;

typedef struct {
  takes_stream *items;
  size_t n, cap;
} takes_list;

/* Appends to out the streams that <data_dir>/takes.json lists, in file
 * order: for each take kept by f, each camera of frame_aligned_videos
 * whose id is eligible, each of its streams; of a camera whose id
 * contains "aria" (case as written, as in the reference) only the stream
 * named "rgb". EF_OK, or a negative status with the error recorded,
 * naming the file and, where one is at fault, the line, take and key:
 * EF_ENOTFOUND when there is no takes.json, EF_EIO when it cannot be
 * read or is not a regular file, EF_EINVAL when it is not JSON (YAML
 * that is not JSON included), nests deeper than 256 levels, has a
 * string over 1 MiB or is over 4 GiB, when its top level is not an
 * array of objects, a take has no take_uid string, or a kept take lacks
 * a key its streams need (root_dir, frame_aligned_videos,
 * timesync_start_idx, timesync_end_idx, a stream's relative_path) or
 * has one of the wrong type, or a key the reader uses appears twice in
 * one object. The caller frees out in every case. */
int takes_load(const char *data_dir, const takes_filter *f, takes_list *out);
/* The same from JSON text already in memory (len bytes); `path` names it
 * in messages. For tests and the fuzzer, which need no file. */
int takes_parse(const char *path, const char *data_dir, const void *data,
                size_t len, const takes_filter *f, takes_list *out);
void takes_free(takes_list *l);

#endif
