/*
 * schedule_plan_io.c - the plan's file: writes plan.json in the plan's
 * folder (ef_plan_save) and reads it back into a plan (ef_plan_load), with
 * the same bins and figures it was written with.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config_edit.h"
#include "config/settings.h"
#include "output/store.h"
#include "schedule/schedule_internal.h"
#include "schedule/schedule_json.h"
#include "util/error.h"
#include "util/membuf.h"

#define PLAN_FORMAT "ego4dfeat-plan"

/* ---- The plan file ------------------------------------------------------ */

static char *plan_file(const char *dir) {
  return sched_join(dir, "/", "plan.json");
}

int ef_plan_save(const ef_plan *p) {
  if (!p)
    return ef_error_set(EF_EINVAL, "ef_plan_save: no plan");
  char *yaml = NULL, *path = NULL;
  membuf b = {0};
  int rc = ef_config_dump(p->cfg, &yaml);
  if (rc != EF_OK)
    return rc;
  membuf_printf(&b, "{\n  \"format\": \"%s\",\n  \"version\": %d,\n",
                PLAN_FORMAT, FILE_VERSION);
  membuf_printf(&b, "  \"key\": \"%s\",\n", p->key);
  membuf_printf(&b, "  \"timeout_min\": %lld,\n", (long long)p->timeout_min);
  membuf_printf(&b, "  \"overhead\": %.10g,\n", p->overhead);
  membuf_printf(&b, "  \"time_per_forward_pass\": %.10g,\n",
                p->time_per_forward_pass);
  membuf_printf(&b, "  \"batch_size\": %d,\n", p->batch_size);
  membuf_printf(&b, "  \"videos\": %zu,\n  \"bins\": [", p->n_videos);
  for (size_t bi = 0; bi < p->n_bins; bi++) {
    const plan_bin *pb = &p->bins[bi];
    membuf_printf(&b, "%s\n    {\"bin\": %zu, \"seconds\": %.3f, \"videos\": [",
                  bi ? "," : "", bi, (double)pb->ms / 1000.0);
    for (size_t i = 0; i < pb->n; i++) {
      const plan_video *v = &p->videos[pb->first + i];
      membuf_puts(&b, i ? ",\n      {\"uid\": " : "\n      {\"uid\": ");
      membuf_json(&b, v->uid);
      membuf_printf(
          &b, ", \"frames\": %lld, \"windows\": %lld, \"seconds\": %.3f}",
          (long long)v->frames, (long long)v->windows, (double)v->ms / 1000.0);
    }
    membuf_puts(&b, "]}");
  }
  membuf_puts(&b, "\n  ],\n  \"config\": ");
  membuf_json(&b, yaml);
  membuf_puts(&b, "\n}\n");
  free(yaml);
  if (b.failed) {
    free(b.data);
    return sched_nomem();
  }
  if ((rc = store_mkdirs(p->dir)) == EF_OK) {
    if (!(path = plan_file(p->dir)))
      rc = sched_nomem();
    else
      rc = store_file_write(path, b.data, b.len);
  }
  free(b.data);
  /* Read back before any task is given it: a plan its tasks cannot load
   * would fail every bin. */
  ef_plan *back = NULL;
  if (rc == EF_OK && (rc = ef_plan_load(path, &back)) != EF_OK) {
    ef_error_prefix("the plan just written cannot be read back");
    unlink(path);
  }
  ef_plan_free(back);
  free(path);
  return rc;
}

static int bad_plan(const char *path, const char *what) {
  return ef_error_set(EF_EINVAL, "%s: not an ego4dfeat plan (%s)", path, what);
}

/* The plan's config from its YAML text. It was checked against the schema
 * when the plan was made; user extras (+key=value) are kept as they are. */
static int config_from_text(const char *path, const char *text,
                            ef_config **out) {
  return config_from_checked_yaml(path, text, out);
}

/* Reads the bins of a parsed plan file into p. */
static int load_bins(ef_plan *p, json_doc *d, const char *path) {
  json_node *bins = json_get(d, json_root(d), "bins");
  int64_t n_videos = 0;
  if (!json_is_array(bins) ||
      json_int(json_get(d, json_root(d), "videos"), &n_videos) != 0 ||
      n_videos < 0)
    return bad_plan(path, "no bins or video count");
  size_t nb = json_len(bins);
  p->bins = calloc(nb ? nb : 1, sizeof *p->bins);
  p->videos = calloc(n_videos ? (size_t)n_videos : 1, sizeof *p->videos);
  if (!p->bins || !p->videos)
    return sched_nomem();
  size_t k = 0;
  for (size_t b = 0; b < nb; b++) {
    json_node *vs = json_get(d, json_at(d, bins, b), "videos");
    if (!json_is_array(vs))
      return bad_plan(path, "a bin without videos");
    plan_bin *pb = &p->bins[b];
    pb->first = k;
    pb->n = json_len(vs);
    p->n_bins = b + 1;
    for (size_t i = 0; i < pb->n; i++, k++) {
      json_node *v = json_at(d, vs, i);
      const char *uid = json_string(json_get(d, v, "uid"));
      double sec;
      if (k >= (size_t)n_videos)
        return bad_plan(path, "more videos than it says");
      plan_video *pv = &p->videos[k];
      if (!uid || json_int(json_get(d, v, "frames"), &pv->frames) != 0 ||
          json_int(json_get(d, v, "windows"), &pv->windows) != 0 ||
          json_double(json_get(d, v, "seconds"), &sec) != 0 || sec < 0)
        return bad_plan(path, "a video without uid, frames or seconds");
      pv->ms = llround(sec * 1000.0);
      pv->outcome = EF_VIDEO_NOT_RUN;
      if (!(pv->uid = strdup(uid)))
        return sched_nomem();
      p->n_videos = k + 1;
      pb->ms += pv->ms;
    }
  }
  if (k != (size_t)n_videos)
    return bad_plan(path, "fewer videos than it says");
  return EF_OK;
}

int ef_plan_load(const char *path, ef_plan **out) {
  if (!path || !out)
    return ef_error_set(EF_EINVAL, "ef_plan_load: NULL argument");
  *out = NULL;
  struct stat sb;
  char *file = NULL, *dir = NULL;
  json_doc d = {0};
  ef_settings s;
  int settings_ok = 0, rc;
  ef_plan *p = calloc(1, sizeof *p);
  if (!p)
    return sched_nomem();
  int is_dir = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
  file = is_dir ? plan_file(path) : strdup(path);
  if (!file) {
    rc = sched_nomem();
    goto fail;
  }
  if ((rc = schedule_json_load(file, &d)) != EF_OK)
    goto fail;
  const char *fmt = json_string(json_get(&d, json_root(&d), "format"));
  const char *key = json_string(json_get(&d, json_root(&d), "key"));
  const char *yaml = json_string(json_get(&d, json_root(&d), "config"));
  int64_t version = 0;
  if (!fmt || strcmp(fmt, PLAN_FORMAT) != 0) {
    rc = bad_plan(file, "no \"format\": \"" PLAN_FORMAT "\"");
    goto fail;
  }
  if (json_int(json_get(&d, json_root(&d), "version"), &version) != 0 ||
      version != FILE_VERSION) {
    rc = bad_plan(file, "unknown version");
    goto fail;
  }
  if (!key || strlen(key) != 16 || !yaml) {
    rc = bad_plan(file, "no key or config");
    goto fail;
  }
  memcpy(p->key, key, 17);
  if ((rc = config_from_text(file, yaml, &p->cfg)) != EF_OK ||
      (rc = settings_load(p->cfg, &s)) != EF_OK)
    goto fail;
  settings_ok = 1;
  if ((rc = sched_read_settings(p, &s)) != EF_OK ||
      (rc = load_bins(p, &d, file)) != EF_OK)
    goto fail;
  /* The folder the file is in, wherever the plan was made. */
  char *slash = strrchr(file, '/');
  dir = slash ? strndup(file, (size_t)(slash - file)) : strdup(".");
  if (!dir || !(p->dir = realpath(dir, NULL))) {
    rc = dir ? ef_error_set(EF_EIO, "%s: %s", dir, strerror(errno))
             : sched_nomem();
    goto fail;
  }
  if ((rc = sched_compute_figures(p, p->parallelism)) != EF_OK)
    goto fail;
  free(dir);
  settings_free(&s);
  json_free(&d);
  free(file);
  *out = p;
  return EF_OK;
fail:
  free(dir);
  if (settings_ok)
    settings_free(&s);
  json_free(&d);
  free(file);
  ef_plan_free(p);
  return rc;
}
