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
#include "provenance.h"
#include "queue.h"
#include "write.h"
#include "write_times.h"

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

#define RUN_FP_PREFIX "# ego4dfeat run fingerprint: "

/* The first line of a file (up to 255 bytes) into buf; 0 if it exists. */
static int first_line(const char *path, char *buf, size_t n) {
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  if (!fgets(buf, (int)n, f))
    buf[0] = '\0';
  fclose(f);
  buf[strcspn(buf, "\n")] = '\0';
  return 0;
}

/* config.yaml describes the outputs in its folder, so it is only
 * rewritten by a run of the same fingerprint (the SHA-256 of the run's
 * description, in its first line): a run of another one writes
 * config-<first 16 hex digits>.yaml instead, and a config.yaml without a
 * fingerprint (an older version's) is kept the same way. That other file
 * describes what this run computes, so it is only written once the run
 * has computed something: with defer set, *deferred says it is due. */
static int write_run_config(const ef_config *cfg, const char *out_path,
                            const char *run_text, int defer, int *deferred) {
  char *yaml = NULL, *path = NULL, *text = NULL;
  char hex[FINGERPRINT_HEX_LEN + 1] = "";
  int rc = ef_config_dump(cfg, &yaml);
  if (rc != EF_OK)
    return rc;
  size_t len = strlen(out_path) + sizeof "/config-0123456789abcdef.yaml";
  path = malloc(len);
  size_t tlen = strlen(yaml) + 2 * (run_text ? strlen(run_text) : 0) + 512;
  text = malloc(tlen);
  if (!path || !text) {
    rc = ef_error_set(EF_ENOMEM, "out of memory");
    goto cleanup;
  }
  snprintf(path, len, "%s/config.yaml", out_path);
  if (!run_text) { /* debug mode: no features, nothing to describe */
    char line[256];
    if (first_line(path, line, sizeof line) == 0)
      goto cleanup;
    rc = write_file_atomic(path, yaml, strlen(yaml));
    goto cleanup;
  }
  fingerprint_sha256(run_text, strlen(run_text), hex);
  char line[256];
  if (first_line(path, line, sizeof line) == 0 &&
      (strncmp(line, RUN_FP_PREFIX, strlen(RUN_FP_PREFIX)) != 0 ||
       strcmp(line + strlen(RUN_FP_PREFIX), hex) != 0)) {
    if (defer) {
      *deferred = 1;
      goto cleanup;
    }
    snprintf(path, len, "%s/config-%.16s.yaml", out_path, hex);
  }
  /* The description goes in as comments: a reader sees what the hash is
   * of, and YAML parsers skip it. */
  size_t at = (size_t)snprintf(text, tlen,
                               RUN_FP_PREFIX "%s\n# (the SHA-256 of these "
                                             "lines; each <uid>.fp adds the "
                                             "video's stereo line)\n",
                               hex);
  for (const char *p = run_text; *p;) {
    const char *nl = strchr(p, '\n');
    size_t l = nl ? (size_t)(nl - p) : strlen(p);
    at += (size_t)snprintf(text + at, tlen - at, "#   %.*s\n", (int)l, p);
    p += l + (nl ? 1 : 0);
  }
  snprintf(text + at, tlen - at, "%s", yaml);
  rc = write_file_atomic(path, text, strlen(text));
cleanup:
  free(text);
  free(path);
  free(yaml);
  return rc;
}

/* Each video's output files and fingerprint text. */
typedef struct {
  char *out_file, *times_file, *fp_file, *fp_text;
} video_outputs;

static void outputs_free(video_outputs *o, size_t n) {
  for (size_t i = 0; o && i < n; i++) {
    free(o[i].out_file);
    free(o[i].times_file);
    free(o[i].fp_file);
    free(o[i].fp_text);
  }
  free(o);
}

static int outputs_make(const ef_settings *s, const char *run_text,
                        const ef_video *list, size_t n, video_outputs **out) {
  video_outputs *o = calloc(n ? n : 1, sizeof *o);
  if (!o)
    return ef_error_set(EF_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const char *uid = list[i].uid;
    o[i].out_file = write_output_path(s->out_path, uid, s->out_format);
    o[i].times_file = write_times_path(s->out_path, uid);
    o[i].fp_file = provenance_fp_path(s->out_path, uid);
    o[i].fp_text =
        run_text ? fingerprint_video_text(run_text, list[i].is_stereo) : NULL;
    if (!o[i].out_file || !o[i].times_file || !o[i].fp_file ||
        (run_text && !o[i].fp_text)) {
      outputs_free(o, n);
      return ef_error_set(EF_ENOMEM, "out of memory");
    }
  }
  *out = o;
  return EF_OK;
}

/* io.on_mismatch=refuse: before anything is written, every complete
 * output must be this run's. EF_ECONFIG naming the first that is not. */
static int refuse_mismatches(const ef_settings *s, const ef_video *list,
                             const video_outputs *o, size_t n) {
  if (!s->filter_completed || s->on_mismatch != EF_MISMATCH_REFUSE ||
      s->debug_mode)
    return EF_OK;
  size_t bad = 0;
  char *first = NULL;
  for (size_t i = 0; i < n; i++) {
    if (list[i].reject)
      continue;
    char *why = NULL;
    prov_state st =
        provenance_check(o[i].out_file, s->out_format, o[i].times_file,
                         o[i].fp_file, o[i].fp_text, 0, &why);
    if (st == PROV_MISMATCH || st == PROV_LEGACY) {
      if (!first)
        first = why;
      else
        free(why);
      bad++;
    } else {
      free(why);
    }
  }
  if (!bad)
    return EF_OK;
  int rc = ef_error_set(
      EF_ECONFIG,
      "refusing to run: %zu complete output%s in %s %s not computed with "
      "this configuration and model; %s%s. Nothing was written. Set "
      "io.on_mismatch=redo to recompute %s (overwriting), or "
      "io.on_mismatch=skip to keep %s",
      bad, bad == 1 ? "" : "s", s->out_path, bad == 1 ? "was" : "were",
      bad == 1 ? "" : "first: ", first ? first : "(out of memory)",
      bad == 1 ? "it" : "them", bad == 1 ? "it" : "them");
  free(first);
  return rc;
}

/* The run's videos: discovered, or the caller's paths. */
static int list_videos(const ef_settings *s, const char *const *paths, size_t n,
                       ef_video **out, size_t *count) {
  if (!paths)
    return discover_videos(s, out, count);
  ef_video *v = calloc(n ? n : 1, sizeof *v);
  if (!v)
    return ef_error_set(EF_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    v[i].uid = discover_uid_from_path(paths[i]);
    v[i].path = strdup(paths[i]);
    v[i].num_frames = -1;
    v[i].has_audio = -1;
    if (v[i].uid && discover_uid_problem(v[i].uid) &&
        !(v[i].reject = discover_uid_reject(v[i].uid))) {
      discover_free(v, n);
      return ef_error_set(EF_ENOMEM, "out of memory");
    }
    if (!v[i].uid || !v[i].path) {
      discover_free(v, n);
      return ef_error_set(EF_ENOMEM, "out of memory");
    }
  }
  *out = v;
  *count = n;
  return EF_OK;
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
  video_outputs *outs = NULL;
  char *run_text = NULL;
  int rc = settings_load(cfg, &s);
  if (rc != EF_OK)
    return rc;
  double t0 = now_seconds();
  if ((rc = list_videos(&s, videos, n, &list, &count)) != EF_OK)
    goto done;
  /* The model file is hashed once, before anything is written, so that
   * a mismatch refuses the run with nothing touched. */
  if (!s.debug_mode && (rc = provenance_run_text(&s, &run_text)) != EF_OK)
    goto done;
  if ((rc = outputs_make(&s, run_text, list, count, &outs)) != EF_OK ||
      (rc = refuse_mismatches(&s, list, outs, count)) != EF_OK)
    goto done;
  /* A missing output folder is created; then what dead runs of this host
   * left in it goes (out_sweep.h), before anything of ours is there. */
  if ((rc = write_mkdirs(s.out_path)) != EF_OK)
    goto done;
  if (out_sweep(s.out_path, NULL) != EF_OK)
    ef_error_clear(); /* the write of config.yaml says what is wrong */
  int deferred = 0;
  if ((rc = write_run_config(cfg, s.out_path, run_text, 1, &deferred)) != EF_OK)
    goto done;
  st = calloc(1, sizeof *st);
  pv = calloc(count ? count : 1, sizeof *pv);
  if (!st || !pv || !(st->uids = calloc(count ? count : 1, sizeof *st->uids)) ||
      !(st->res = calloc(count ? count : 1, sizeof *st->res))) {
    rc = ef_error_set(EF_ENOMEM, "out of memory");
    goto done;
  }
  st->n = count;
  st->fps_den_over_num = (double)s.fps_den / (double)s.fps_num;
  for (size_t i = 0; i < count; i++) {
    st->uids[i] = strdup(list[i].uid);
    if (!st->uids[i]) {
      rc = ef_error_set(EF_ENOMEM, "out of memory");
      goto done;
    }
    pv[i].uid = list[i].uid;
    pv[i].path = list[i].path;
    pv[i].out_file = outs[i].out_file;
    pv[i].times_file = outs[i].times_file;
    pv[i].fp_file = outs[i].fp_file;
    pv[i].fp_text = outs[i].fp_text;
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
  if (deferred && ef_stats_count(st, EF_VIDEO_DONE) > 0) {
    /* Keeps the run's status: the features are written either way. */
    char *msg = rc != EF_OK ? ef_error_dup() : NULL;
    int crc = write_run_config(cfg, s.out_path, run_text, 0, NULL);
    if (crc != EF_OK && (rc == EF_OK || rc == EF_EPARTIAL))
      rc = crc;
    else if (msg)
      ef_error_set(rc, "%s", msg);
    free(msg);
  }
  st->times.seconds[EF_TIME_OVERALL] = now_seconds() - t0;
done:
  ef_model_free(model);
  outputs_free(outs, count);
  free(run_text);
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

int ef_outputs_check(const ef_config *cfg) {
  if (!cfg)
    return ef_error_set(EF_EINVAL, "ef_outputs_check: no config");
  ef_settings s;
  ef_video *list = NULL;
  size_t count = 0;
  video_outputs *outs = NULL;
  char *run_text = NULL;
  int rc = settings_load(cfg, &s);
  if (rc != EF_OK)
    return rc;
  /* Debug mode writes no outputs, so there is nothing to disagree. */
  if (!s.debug_mode && (rc = discover_videos(&s, &list, &count)) == EF_OK &&
      (rc = provenance_run_text(&s, &run_text)) == EF_OK &&
      (rc = outputs_make(&s, run_text, list, count, &outs)) == EF_OK)
    rc = refuse_mismatches(&s, list, outs, count);
  outputs_free(outs, count);
  free(run_text);
  discover_free(list, count);
  settings_free(&s);
  return rc;
}
