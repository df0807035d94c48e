/*
 * run_prep.c - what a run to files does before it writes anything, shared
 * by ef_perform_feature_extraction and ef_outputs_check: the settings, the
 * videos, the run's description, each video's output names and the
 * io.on_mismatch=refuse check; and the run's config.yaml.
 */
#include "run/run_prep.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/fingerprint.h"
#include "output/provenance.h"
#include "output/write.h"
#include "output/write_times.h"
#include "util/error.h"

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
int write_run_config(const ef_config *cfg, const char *out_path,
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

int run_prep_settings(const ef_config *cfg, run_prep *r) {
  memset(r, 0, sizeof *r);
  int rc = settings_load(cfg, &r->s);
  r->loaded = rc == EF_OK;
  return rc;
}

int run_prep_outputs(run_prep *r, const char *const *paths, size_t n) {
  const ef_settings *s = &r->s;
  int rc = pipeline_settings(s, &r->ps, &r->parts_dir, &r->idx, &r->has_idx);
  if (rc == EF_OK)
    rc = list_videos(s, paths, n, &r->list, &r->count);
  /* The model file is hashed once, before anything is written, so that
   * a mismatch refuses the run with nothing touched. */
  if (rc == EF_OK && !s->debug_mode)
    rc = provenance_run_text(s, &r->run_text);
  if (rc == EF_OK)
    rc = outputs_make(&r->ps, r->run_text, r->list, r->count, &r->outs);
  if (rc == EF_OK)
    rc = check_outputs(&r->ps, s, r->has_idx ? &r->idx : NULL, r->list, r->outs,
                       r->count);
  return rc;
}

void run_prep_free(run_prep *r) {
  outputs_free(r->outs, r->count);
  free(r->run_text);
  free(r->parts_dir);
  if (r->has_idx)
    out_hdf5_index_free(&r->idx);
  discover_free(r->list, r->count);
  if (r->loaded)
    settings_free(&r->s);
  memset(r, 0, sizeof *r);
}
