/*
 * pipeline.h - the threaded run: decode workers feed a bounded queue of
 * windows; the calling thread batches them (across videos), runs the model
 * and collects or writes each video's features as soon as it is complete.
 */
#ifndef EF_PIPELINE_H
#define EF_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "config/settings.h"
#include "model/model.h"
#include "output/store.h"
#include "window/frame_source.h"

typedef struct {
  const char *uid;
  const char *path;
  const char *reject; /* non-NULL: fail with this message, touch nothing */
  /* Non-NULL: skip it with this note ("" none), touch nothing: discovery
   * found it listed but not there (a takes.json stream not downloaded). */
  const char *skip;
  int is_stereo;
  int has_audio; /* 1, 0, or -1 if unknown (from discovery) */
  /* Non-NULL: these frames in memory instead of path's (path then only
   * names them in messages); video configs only. */
  const frame_buffer *frames;
  /* Windows expected before the video is opened (the scheduler's
   * estimate, schedule_windows_estimate), -1 unknown: the progress
   * callback's windows_estimated. */
  int64_t windows_estimate;
} pipeline_video;

typedef struct {
  ef_video_outcome outcome;
  int status;  /* EF_OK or the failure's code */
  char *error; /* failure message, NULL if none */
  float *data; /* in-memory mode: [windows, dims...] */
  int64_t shape[EFS_MAX_DIMS];
  int ndim;
  double *starts, *ends; /* in-memory mode: per window, seconds */
  int64_t windows, windows_expected;
  int64_t frames;
} pipeline_result;

typedef struct {
  double seconds[EF_TIME_COUNT_];
  int64_t forward_passes;
} pipeline_times;

/* Runs every video. With a store (NULL: keep the features in memory),
 * each is written through it (store_write), after the check of
 * io.filter_completed and io.on_mismatch (store_state); it is claimed
 * (store_claim) before it is decoded and skipped when another process
 * holds it. results[i] (zeroed
 * by the caller) gets video i's outcome. Returns EF_OK, EF_EPARTIAL if any
 * video failed, EF_ECANCELLED, or another code if the run could not start. */
int pipeline_run(ef_model *m, const ef_settings *s, const store *store,
                 const pipeline_video *videos, size_t n,
                 const ef_params *params, pipeline_result *results,
                 pipeline_times *times);
void pipeline_result_clear(pipeline_result *r);

#endif
