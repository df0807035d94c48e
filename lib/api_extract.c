/*
 * api_extract.c - the public extraction entry points and the accessors of
 * their result handles: ef_extract_features (in memory, with a loaded
 * model) and ef_perform_feature_extraction (a whole run to files).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discover.h"
#include "error.h"
#include "out_sweep.h"
#include "pipeline.h"
#include "queue.h"
#include "write.h"

struct ef_results {
  size_t n;
  pipeline_result *res;
};

struct ef_stats {
  size_t n;
  char **uids;
  pipeline_result *res;
  pipeline_times times;
  double fps_den_over_num;
};

ef_params ef_params_default(void) {
  ef_params p;
  memset(&p, 0, sizeof p);
  return p;
}

static void results_free_array(pipeline_result *res, size_t n) {
  if (!res)
    return;
  for (size_t i = 0; i < n; i++)
    pipeline_result_clear(&res[i]);
  free(res);
}

int ef_extract_features(ef_model *model, const ef_config *cfg,
                        const char *const *videos, size_t n,
                        const ef_params *params, ef_results **out) {
  if (!model || !cfg || !out || (n && !videos))
    return ef_error_set(EF_EINVAL, "ef_extract_features: NULL argument");
  *out = NULL;
  ef_settings s;
  int rc = settings_load(cfg, &s);
  if (rc != EF_OK)
    return rc;
  pipeline_video *pv = calloc(n ? n : 1, sizeof *pv);
  ef_results *r = calloc(1, sizeof *r);
  pipeline_result *res = calloc(n ? n : 1, sizeof *res);
  pipeline_times times;
  memset(&times, 0, sizeof times);
  if (!pv || !r || !res) {
    rc = ef_error_set(EF_ENOMEM, "out of memory");
    goto fail;
  }
  for (size_t i = 0; i < n; i++) {
    pv[i].uid = videos[i];
    pv[i].path = videos[i];
    pv[i].has_audio = -1;
  }
  if (params && params->torch_threads)
    efs_set_num_threads(params->torch_threads);
  rc = pipeline_run(model, &s, pv, n, params, res, &times);
  if (rc != EF_OK && rc != EF_EPARTIAL)
    goto fail;
  r->n = n;
  r->res = res;
  *out = r;
  free(pv);
  settings_free(&s);
  return rc;
fail:
  results_free_array(res, n);
  free(r);
  free(pv);
  settings_free(&s);
  return rc;
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
  return p->outcome == EF_VIDEO_DONE ? EF_OK
                                     : (p->status ? p->status : EF_EDECODE);
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

/* ---- whole runs ---------------------------------------------------------- */

static int write_run_config(const ef_config *cfg, const char *out_path) {
  char *yaml = NULL, *path = NULL;
  int rc = ef_config_dump(cfg, &yaml);
  if (rc != EF_OK)
    return rc;
  size_t len = strlen(out_path) + sizeof "/config.yaml";
  path = malloc(len);
  if (!path) {
    free(yaml);
    return ef_error_set(EF_ENOMEM, "out of memory");
  }
  snprintf(path, len, "%s/config.yaml", out_path);
  rc = write_file_atomic(path, yaml, strlen(yaml));
  free(path);
  free(yaml);
  return rc;
}

/* The run's videos: discovered, or the caller's paths. */
static int list_videos(const ef_settings *s, const char *const *paths, size_t n,
                       ef_video **out, size_t *count) {
  if (!paths)
    return discover_videos(s, out, count);
  return discover_paths(paths, n, out, count);
}

static void stats_free_parts(ef_stats *st) {
  if (!st)
    return;
  for (size_t i = 0; i < st->n; i++)
    free(st->uids ? st->uids[i] : NULL);
  free(st->uids);
  results_free_array(st->res, st->n);
  free(st);
}

int ef_perform_feature_extraction(const ef_config *cfg,
                                  const char *const *videos, size_t n,
                                  const ef_params *params, ef_stats **out) {
  if (!cfg)
    return ef_error_set(EF_EINVAL, "ef_perform_feature_extraction: no config");
  if (out)
    *out = NULL;
  ef_settings s;
  ef_video *list = NULL;
  size_t count = 0;
  ef_model *model = NULL;
  ef_stats *st = NULL;
  pipeline_video *pv = NULL;
  char **out_files = NULL;
  int rc = settings_load(cfg, &s);
  if (rc != EF_OK)
    return rc;
  double t0 = now_seconds();
  if ((rc = list_videos(&s, videos, n, &list, &count)) != EF_OK)
    goto done;
  /* A missing output folder is created; then what dead runs of this host
   * left in it goes (out_sweep.h), before anything of ours is there. */
  if ((rc = write_mkdirs(s.out_path)) != EF_OK)
    goto done;
  if (out_sweep(s.out_path, NULL) != EF_OK)
    ef_error_clear(); /* the write of config.yaml says what is wrong */
  if ((rc = write_run_config(cfg, s.out_path)) != EF_OK)
    goto done;
  st = calloc(1, sizeof *st);
  pv = calloc(count ? count : 1, sizeof *pv);
  out_files = calloc(count ? count : 1, sizeof *out_files);
  if (!st || !pv || !out_files ||
      !(st->uids = calloc(count ? count : 1, sizeof *st->uids)) ||
      !(st->res = calloc(count ? count : 1, sizeof *st->res))) {
    rc = ef_error_set(EF_ENOMEM, "out of memory");
    goto done;
  }
  st->n = count;
  st->fps_den_over_num = (double)s.fps_den / (double)s.fps_num;
  for (size_t i = 0; i < count; i++) {
    out_files[i] = write_output_path(s.out_path, list[i].uid, s.out_format);
    st->uids[i] = strdup(list[i].uid);
    if (!out_files[i] || !st->uids[i]) {
      rc = ef_error_set(EF_ENOMEM, "out of memory");
      goto done;
    }
    pv[i].uid = list[i].uid;
    pv[i].path = list[i].path;
    pv[i].out_file = out_files[i];
    pv[i].reject = list[i].reject;
    pv[i].is_stereo = list[i].is_stereo;
    pv[i].has_audio = list[i].has_audio;
  }
  efs_set_num_threads(params ? params->torch_threads : 0);
  if (!s.debug_mode) { /* debug mode writes model inputs, runs no model */
    double tl = now_seconds();
    rc = model_load(&s, &model);
    st->times.seconds[EF_TIME_MODEL_LOAD] = now_seconds() - tl;
    if (rc != EF_OK)
      goto done;
  }
  rc = pipeline_run(model, &s, pv, count, params, st->res, &st->times);
  st->times.seconds[EF_TIME_OVERALL] = now_seconds() - t0;
done:
  ef_model_free(model);
  if (out_files)
    for (size_t i = 0; i < count; i++)
      free(out_files[i]);
  free(out_files);
  free(pv);
  discover_free(list, count);
  settings_free(&s);
  /* Stats are returned whenever the run started (model loaded). */
  if (st && out && (rc == EF_OK || rc == EF_EPARTIAL || rc == EF_ECANCELLED))
    *out = st;
  else
    stats_free_parts(st);
  return rc;
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
  return p ? p->outcome : EF_VIDEO_NOT_RUN;
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
