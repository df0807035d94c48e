/*
 * api_results.c - the accessors of ef_results (in-memory features) and
 * ef_stats (a run's timings and outcomes).
 */
#include "run/api_results.h"

#include <stdlib.h>

void results_free_array(pipeline_result *res, size_t n) {
  if (!res)
    return;
  for (size_t i = 0; i < n; i++)
    pipeline_result_clear(&res[i]);
  free(res);
}

size_t ef_results_count(const ef_results *r) {
  return r ? r->n : 0;
}

static const pipeline_result *result_at(const ef_results *r, size_t i) {
  return (r && i < r->n) ? &r->res[i] : NULL;
}

int ef_results_status(const ef_results *r, size_t i) {
  const pipeline_result *p = result_at(r, i);
  if (!p)
    return EF_EINVAL;
  if (p->outcome == EF_VIDEO_DONE)
    return EF_OK;
  if (p->outcome == EF_VIDEO_NOT_RUN)
    return EF_ECANCELLED;
  return p->status ? p->status : EF_EDECODE;
}

ef_video_outcome ef_results_outcome(const ef_results *r, size_t i) {
  const pipeline_result *p = result_at(r, i);
  return p ? p->outcome : EF_VIDEO_INVALID;
}

const char *ef_results_error(const ef_results *r, size_t i) {
  const pipeline_result *p = result_at(r, i);
  return p && p->error ? p->error : "";
}

int ef_results_shape(const ef_results *r, size_t i, int64_t *dims,
                     int max_dims) {
  const pipeline_result *p = result_at(r, i);
  if (!p || p->outcome != EF_VIDEO_DONE)
    return 0;
  for (int d = 0; d < p->ndim && d < max_dims; d++)
    dims[d] = p->shape[d];
  return p->ndim;
}

const float *ef_results_data(const ef_results *r, size_t i) {
  const pipeline_result *p = result_at(r, i);
  return p && p->outcome == EF_VIDEO_DONE ? p->data : NULL;
}

const double *ef_results_window_starts(const ef_results *r, size_t i) {
  const pipeline_result *p = result_at(r, i);
  return p && p->outcome == EF_VIDEO_DONE ? p->starts : NULL;
}

const double *ef_results_window_ends(const ef_results *r, size_t i) {
  const pipeline_result *p = result_at(r, i);
  return p && p->outcome == EF_VIDEO_DONE ? p->ends : NULL;
}

void ef_results_free(ef_results *r) {
  if (!r)
    return;
  results_free_array(r->res, r->n);
  free(r);
}

void stats_free_parts(ef_stats *st) {
  if (!st)
    return;
  for (size_t i = 0; i < st->n; i++)
    free(st->uids ? st->uids[i] : NULL);
  free(st->uids);
  results_free_array(st->res, st->n);
  free(st);
}

static const pipeline_result *stat_at(const ef_stats *st, size_t i) {
  return (st && i < st->n) ? &st->res[i] : NULL;
}

double ef_stats_seconds(const ef_stats *st, ef_time_kind kind) {
  if (!st || kind < 0 || kind >= EF_TIME_COUNT_)
    return 0;
  return st->times.seconds[kind];
}

size_t ef_stats_video_count(const ef_stats *st) {
  return st ? st->n : 0;
}

const char *ef_stats_video_uid(const ef_stats *st, size_t i) {
  return (st && i < st->n) ? st->uids[i] : "";
}

ef_video_outcome ef_stats_video_outcome(const ef_stats *st, size_t i) {
  const pipeline_result *p = stat_at(st, i);
  return p ? p->outcome : EF_VIDEO_INVALID;
}

const char *ef_stats_video_error(const ef_stats *st, size_t i) {
  const pipeline_result *p = stat_at(st, i);
  return p && p->error ? p->error : "";
}

int64_t ef_stats_video_windows(const ef_stats *st, size_t i) {
  const pipeline_result *p = stat_at(st, i);
  return p ? p->windows : 0;
}

double ef_stats_video_seconds(const ef_stats *st, size_t i) {
  const pipeline_result *p = stat_at(st, i);
  return p ? (double)p->frames * st->fps_den_over_num : 0;
}

size_t ef_stats_count(const ef_stats *st, ef_video_outcome outcome) {
  size_t c = 0;
  for (size_t i = 0; st && i < st->n; i++)
    c += st->res[i].outcome == outcome;
  return c;
}

int64_t ef_stats_total_windows(const ef_stats *st) {
  int64_t c = 0;
  for (size_t i = 0; st && i < st->n; i++)
    c += st->res[i].windows;
  return c;
}

int64_t ef_stats_total_forward_passes(const ef_stats *st) {
  return st ? st->times.forward_passes : 0;
}

void ef_stats_free(ef_stats *st) {
  stats_free_parts(st);
}
