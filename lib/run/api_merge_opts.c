/*
 * api_merge_opts.c - ef_merge_hdf5_ex and its options: the merge of
 * output/ (merge.h), with the window times of outputs that have no times
 * files computed from a config as extraction would have cut the video
 * (discovery for the frame count, window.h for the rule). It lives in
 * run/ because output/ may not reach discovery or the window rule.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/settings.h"
#include "ego4dfeat/ego4dfeat.h"
#include "input/discover.h"
#include "output/merge.h"
#include "util/error.h"
#include "util/sized.h"
#include "window/window.h"

/* The size of ef_merge_options in its first version: the end of its last
 * field. Stays when fields are added. */
#define MERGE_OPTIONS_SIZE_0_1                                                 \
  (offsetof(ef_merge_options, config) + sizeof(const ef_config *))

static ef_merge_options merge_options_defaults(void) {
  ef_merge_options o;
  memset(&o, 0, sizeof o);
  o.size = sizeof o;
  o.times = EF_MERGE_TIMES_FILES;
  return o;
}

int ef_merge_options_init(ef_merge_options *o, size_t size) {
  ef_merge_options d = merge_options_defaults();
  return sized_init(o, size, MERGE_OPTIONS_SIZE_0_1, &d, sizeof d,
                    "ef_merge_options");
}

/* Window i of a video of frames sampled frames, in seconds, as
 * window/video_windows.c stamps it: [first, min(first + W, frames)) over
 * the sampling rate. */
static int fill_part_times(out_part *p, const ef_settings *s, int64_t frames) {
  int64_t n = window_count(frames, s->frame_window, s->stride);
  p->starts = malloc((size_t)(n > 0 ? n : 1) * sizeof *p->starts);
  p->ends = malloc((size_t)(n > 0 ? n : 1) * sizeof *p->ends);
  char note[256];
  snprintf(note, sizeof note,
           "the config (model %s, inference_config.fps %lld/%lld, "
           "frame_window %lld, stride %lld) for %lld sampled frames",
           s->model_kind ? s->model_kind : "?", (long long)s->fps_num,
           (long long)s->fps_den, (long long)s->frame_window,
           (long long)s->stride, (long long)frames);
  p->times_note = strdup(note);
  if (!p->starts || !p->ends || !p->times_note)
    return ef_error_set(EF_ENOMEM, "out of memory for the times of %s",
                        p->features);
  double spf = (double)s->fps_den / (double)s->fps_num;
  for (int64_t i = 0; i < n; i++) {
    int64_t first = 0;
    window_bounds(i, frames, s->frame_window, s->stride, &first);
    int64_t end =
        first + s->frame_window < frames ? first + s->frame_window : frames;
    p->starts[i] = (double)first * spf;
    p->ends[i] = (double)end * spf;
  }
  p->n_times = n;
  return EF_OK;
}

/* The videos of the bare parts, discovered with cfg's io settings
 * (io.uid_list replaced by their uids, io.video_limit off), and each
 * part's times from its video's frame count. */
static int times_from_config(out_part *parts, size_t n, void *ctx) {
  const ef_config *cfg = ctx;
  ef_settings s;
  memset(&s, 0, sizeof s);
  int rc = settings_load(cfg, &s);
  if (rc != EF_OK)
    return rc;
  char **saved_uids = s.uid_list;
  size_t saved_n = s.n_uids;
  ef_video *vids = NULL;
  size_t n_vids = 0, n_bare = 0;
  char **uids = malloc((n ? n : 1) * sizeof *uids);
  if (!uids) {
    rc = ef_error_set(EF_ENOMEM, "out of memory");
    goto done;
  }
  if (!s.include_video) {
    rc =
        ef_error_set(EF_EINVAL, "merge: window times come from a video model's "
                                "frame windows; this config has "
                                "inference_config.include_video false");
    goto done;
  }
  for (size_t i = 0; i < n; i++)
    if (parts[i].bare)
      uids[n_bare++] = parts[i].uid;
  if (n_bare == 0)
    goto done;
  s.uid_list = uids;
  s.n_uids = n_bare;
  s.video_limit = -1;
  rc = discover_videos(&s, &vids, &n_vids);
  s.uid_list = saved_uids;
  s.n_uids = saved_n;
  for (size_t i = 0; rc == EF_OK && i < n; i++) {
    if (!parts[i].bare)
      continue;
    const ef_video *v = NULL;
    for (size_t k = 0; k < n_vids && !v; k++)
      if (strcmp(vids[k].uid, parts[i].uid) == 0)
        v = &vids[k];
    if (!v || v->reject || v->skip || v->num_frames <= 0)
      rc = ef_error_set(
          EF_EINVAL,
          "%s: no frame count for video \"%s\" (%s): no manifest.csv row in "
          "%s, and no video file there that can be probed; its window times "
          "cannot be computed",
          parts[i].features, parts[i].uid,
          v && v->reject ? v->reject
          : v && v->skip ? v->skip
          : v && v->path ? v->path
                         : "not found",
          s.video_dir_path ? s.video_dir_path : "io.video_dir_path");
    else
      rc = fill_part_times(&parts[i], &s, v->num_frames);
  }
done:
  s.uid_list = saved_uids;
  s.n_uids = saved_n;
  discover_free(vids, n_vids);
  free(uids);
  settings_free(&s);
  return rc;
}

int ef_merge_hdf5_ex(const char *dir, const char *h5_path,
                     const ef_merge_options *opts, size_t *merged) {
  if (merged)
    *merged = 0;
  ef_merge_options o = merge_options_defaults();
  if (opts && sized_read(&o, sizeof o, MERGE_OPTIONS_SIZE_0_1, opts,
                         "ef_merge_options") != EF_OK)
    return EF_EINVAL;
  switch (o.times) {
  case EF_MERGE_TIMES_FILES:
    return merge_dir_hdf5(dir, h5_path, PARTS_STRICT, NULL, NULL, merged);
  case EF_MERGE_TIMES_NONE:
    return merge_dir_hdf5(dir, h5_path, PARTS_BARE, NULL, NULL, merged);
  case EF_MERGE_TIMES_CONFIG:
    if (!o.config)
      return ef_error_set(EF_EINVAL, "ef_merge_hdf5_ex: times from a config "
                                     "(EF_MERGE_TIMES_CONFIG) without a "
                                     "config");
    return merge_dir_hdf5(dir, h5_path, PARTS_BARE, times_from_config,
                          (void *)o.config, merged);
  }
  return ef_error_set(EF_EINVAL, "ef_merge_hdf5_ex: unknown times mode %d",
                      (int)o.times);
}
