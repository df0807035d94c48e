/*
 * api_extract.c - the public extraction entry points and the accessors of
 * their result handles: ef_extract_features (in memory, with a loaded
 * model) and ef_perform_feature_extraction (a whole run to files).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/discover.h"
#include "output/out_hdf5.h"
#include "output/out_sweep.h"
#include "output/provenance.h"
#include "output/write.h"
#include "output/write_times.h"
#include "run/pipeline.h"
#include "util/error.h"
#include "window/queue.h"

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
  if ((rc = model_check_settings(model, &s)) != EF_OK) {
    settings_free(&s);
    return rc;
  }
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

int ef_results_outcome(const ef_results *r, size_t i) {
  const pipeline_result *p = result_at(r, i);
  return p ? (int)p->outcome : -1;
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
  char *skip; /* hdf5: skip it, with this note ("" none); else NULL */
} video_outputs;

static void outputs_free(video_outputs *o, size_t n) {
  for (size_t i = 0; o && i < n; i++) {
    free(o[i].out_file);
    free(o[i].times_file);
    free(o[i].fp_file);
    free(o[i].fp_text);
    free(o[i].skip);
  }
  free(o);
}

/* With .npy features, uid "x.times" would write x.times.npy, which is
 * the window times of uid "x": such a uid fails instead. */
static int reject_times_uid(const ef_settings *s, ef_video *v) {
  size_t l = strlen(v->uid);
  if (s->out_format != EF_FORMAT_NPY || v->reject || l < 6 ||
      strcmp(v->uid + l - 6, ".times") != 0)
    return EF_OK;
  size_t n = l + 160;
  if (!(v->reject = malloc(n)))
    return ef_error_set(EF_ENOMEM, "out of memory");
  snprintf(v->reject, n,
           "invalid uid \"%s\": with io.out_format npy or hdf5 a uid may not "
           "end in \".times\" (its file would be another uid's window times)",
           v->uid);
  return EF_OK;
}

static int outputs_make(const ef_settings *s, const char *run_text,
                        ef_video *list, size_t n, video_outputs **out) {
  video_outputs *o = calloc(n ? n : 1, sizeof *o);
  if (!o)
    return ef_error_set(EF_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const char *uid = list[i].uid;
    if (reject_times_uid(s, &list[i]) != EF_OK) {
      outputs_free(o, n);
      return EF_ENOMEM;
    }
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

static char *dup_printf(const char *fmt, ...) EF_PRINTF(1, 2);
static char *dup_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *p = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (p) {
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  return p;
}

/* Video v's output against this run: its files (ps: the pipeline's
 * settings, the parts folder for hdf5), then, for hdf5, its group in
 * features.h5 (idx). */
static prov_state video_state(const ef_settings *ps, const ef_settings *s,
                              const out_hdf5_index *idx, const ef_video *v,
                              const video_outputs *o, char **why) {
  prov_state st = provenance_check(o->out_file, ps->out_format, o->times_file,
                                   o->fp_file, o->fp_text, 0, why);
  const char *have =
      idx && st == PROV_TODO ? out_hdf5_index_find(idx, v->uid) : NULL;
  if (!have)
    return st;
  if (strcmp(have, o->fp_text) == 0)
    return PROV_DONE;
  if (!*have) {
    *why = dup_printf("%s/" OUT_HDF5_FILE ":/%s has no provenance attribute",
                      s->out_path, v->uid);
    return PROV_LEGACY;
  }
  char *d = fingerprint_diff(have, o->fp_text);
  *why = dup_printf("%s/" OUT_HDF5_FILE
                    ":/%s was computed with another configuration: %s",
                    s->out_path, v->uid, d ? d : "(out of memory)");
  free(d);
  return PROV_MISMATCH;
}

/* io.on_mismatch=refuse: before anything is written, every complete
 * output must be this run's: EF_ECONFIG naming the first that is not.
 * For hdf5, also decides which videos features.h5 already has (o->skip). */
static int check_outputs(const ef_settings *ps, const ef_settings *s,
                         const out_hdf5_index *idx, const ef_video *list,
                         video_outputs *o, size_t n) {
  if (!s->filter_completed || s->debug_mode)
    return EF_OK;
  size_t bad = 0;
  char *first = NULL;
  for (size_t i = 0; i < n; i++) {
    if (list[i].reject)
      continue;
    char *why = NULL;
    prov_state st = video_state(ps, s, idx, &list[i], &o[i], &why);
    int in_h5 = idx && out_hdf5_index_find(idx, list[i].uid) &&
                st != PROV_TODO &&
                !write_output_complete(o[i].out_file, ps->out_format);
    if (st != PROV_DONE && st != PROV_TODO &&
        s->on_mismatch == EF_MISMATCH_REFUSE) {
      if (!first)
        first = why;
      else
        free(why);
      why = NULL;
      bad++;
    } else if (in_h5 && st == PROV_DONE) {
      o[i].skip = strdup("");
    } else if (in_h5 && s->on_mismatch == EF_MISMATCH_SKIP) {
      o[i].skip = dup_printf("kept (io.on_mismatch=skip): %s", why ? why : "");
    }
    free(why);
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

/* The settings the pipeline writes with: for hdf5, .npy parts in
 * <out_path>/features.h5.parts (out_hdf5.h); *parts_dir (caller frees)
 * is that folder, else NULL. ps shares s's strings. */
static int pipeline_settings(const ef_settings *s, ef_settings *ps,
                             char **parts_dir, out_hdf5_index *idx,
                             int *has_idx) {
  *ps = *s;
  *parts_dir = NULL;
  *has_idx = 0;
  if (s->out_format != EF_FORMAT_HDF5)
    return EF_OK;
  if (!(*parts_dir = out_hdf5_path(s->out_path, OUT_HDF5_PARTS)))
    return ef_error_set(EF_ENOMEM, "out of memory");
  ps->out_path = *parts_dir;
  ps->out_format = EF_FORMAT_NPY;
  int rc = out_hdf5_index_load(s->out_path, idx);
  *has_idx = rc == EF_OK;
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
  video_outputs *outs = NULL;
  char *run_text = NULL, *parts_dir = NULL;
  ef_settings ps;
  out_hdf5_index idx;
  int has_idx = 0;
  int rc = settings_load(cfg, &s);
  if (rc != EF_OK)
    return rc;
  double t0 = now_seconds();
  if ((rc = pipeline_settings(&s, &ps, &parts_dir, &idx, &has_idx)) != EF_OK)
    goto done;
  if ((rc = list_videos(&s, videos, n, &list, &count)) != EF_OK)
    goto done;
  /* The model file is hashed once, before anything is written, so that
   * a mismatch refuses the run with nothing touched. */
  if (!s.debug_mode && (rc = provenance_run_text(&s, &run_text)) != EF_OK)
    goto done;
  if ((rc = outputs_make(&ps, run_text, list, count, &outs)) != EF_OK ||
      (rc = check_outputs(&ps, &s, has_idx ? &idx : NULL, list, outs, count)) !=
          EF_OK)
    goto done;
  /* A missing output folder is created; then what dead runs of this host
   * left in it goes (out_sweep.h), before anything of ours is there. */
  if ((rc = write_mkdirs(ps.out_path)) != EF_OK)
    goto done;
  if (out_sweep(s.out_path, NULL) != EF_OK ||
      (parts_dir && out_sweep(parts_dir, NULL) != EF_OK))
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
    pv[i].skip = outs[i].skip;
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
  rc = pipeline_run(model, &ps, pv, count, params, st->res, &st->times);
  if (parts_dir && !s.debug_mode) {
    /* Also after a cancelled run: what is done goes into the file. */
    char *msg = rc != EF_OK ? ef_error_dup() : NULL;
    double ts = now_seconds();
    int frc = out_hdf5_flush(s.out_path, NULL);
    st->times.seconds[EF_TIME_SAVE] += now_seconds() - ts;
    if (frc != EF_OK && (rc == EF_OK || rc == EF_EPARTIAL))
      rc = frc;
    else if (msg)
      ef_error_set(rc, "%s", msg);
    free(msg);
  }
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
  free(parts_dir);
  if (has_idx)
    out_hdf5_index_free(&idx);
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
  char *run_text = NULL, *parts_dir = NULL;
  ef_settings ps;
  out_hdf5_index idx;
  int has_idx = 0;
  int rc = settings_load(cfg, &s);
  if (rc != EF_OK)
    return rc;
  /* Debug mode writes no outputs, so there is nothing to disagree. */
  if (!s.debug_mode &&
      (rc = pipeline_settings(&s, &ps, &parts_dir, &idx, &has_idx)) == EF_OK &&
      (rc = discover_videos(&s, &list, &count)) == EF_OK &&
      (rc = provenance_run_text(&s, &run_text)) == EF_OK &&
      (rc = outputs_make(&ps, run_text, list, count, &outs)) == EF_OK)
    rc = check_outputs(&ps, &s, has_idx ? &idx : NULL, list, outs, count);
  outputs_free(outs, count);
  free(run_text);
  free(parts_dir);
  if (has_idx)
    out_hdf5_index_free(&idx);
  discover_free(list, count);
  settings_free(&s);
  return rc;
}
