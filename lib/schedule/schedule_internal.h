/*
 * schedule_internal.h - what the schedule_*.c files share and nothing
 * else in lib/ needs: the plan's own structure (videos, bins, figures)
 * and the few helpers more than one of those files calls. The tests
 * reach scheduling through schedule.h and the public API instead.
 *
 * Estimates are kept in whole milliseconds so that bin sums are exact and
 * a plan read back has exactly the bins it was written with.
 */
#ifndef EF_SCHEDULE_INTERNAL_H
#define EF_SCHEDULE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "config/settings.h"
#include "ego4dfeat/schedule.h"
#include "output/store.h"
#include "util/error.h"

/* The version of both files a plan keeps: plan.json and the status files. */
#define FILE_VERSION 1

typedef struct {
  char *uid;
  int64_t frames; /* at inference_config.fps; -1 unknown */
  int64_t windows;
  int64_t ms; /* estimate */
  ef_video_outcome outcome;
  char *error; /* of a failed video, from the status file */
} plan_video;

typedef struct {
  size_t first, n; /* videos[first .. first + n) */
  int64_t ms;
  ef_bin_state state;
  char *runner;
  char *error;
} plan_bin;

struct ef_plan {
  ef_config *cfg; /* resolved, with absolute paths */
  char *dir;
  char key[17];
  plan_video *videos;
  size_t n_videos;
  plan_bin *bins;
  size_t n_bins;
  /* From the config. */
  int64_t timeout_min;
  double overhead, time_per_forward_pass, schedule_time_per_node;
  int64_t parallelism;
  int batch_size;
  char *out_path;
  ef_out_format out_format;
  /* Whether a bin's outputs are complete: the store's answer
   * (store_state), and io.on_mismatch. */
  store *store;
  ef_on_mismatch on_mismatch;
  double figures[EF_PLAN_FIGURE_COUNT_];
};

/* EF_ENOMEM with the scheduling message; returns the code. */
static inline int sched_nomem(void) {
  return ef_error_set(EF_ENOMEM, "scheduling: out of memory");
}

/* a, sep and b joined in a new string; NULL when out of memory. */
char *sched_join(const char *a, const char *sep, const char *b);

/* path made absolute against the current folder (not resolved: it may
 * not exist yet). NULL on failure; the caller frees. */
char *sched_absolute(const char *path);

/* Reads schedule_config and the io/inference values the plan keeps
 * (schedule_plan.c). */
int sched_read_settings(ef_plan *p, ef_settings *s);

/* Wall time of bins with these loads, started in order on `slots`
 * parallel slots; -1 when out of memory (schedule_figures.c). */
int64_t sched_makespan_ms(const int64_t *load, size_t bins, size_t slots);

/* Fills p->figures from its videos and bins, for `parallelism` tasks at
 * once (schedule_figures.c). */
int sched_compute_figures(ef_plan *p, int64_t parallelism);

/* Bin `bin` of p, or NULL when there is no such bin or no plan. */
const plan_bin *sched_bin_at(const ef_plan *p, size_t bin);

/* Video i of bin `bin`, or NULL when there is none. */
const plan_video *sched_video_at(const ef_plan *p, size_t bin, size_t i);

#endif
