/*
 * run_prep.c - what a run to files does before it writes anything, shared
 * by ef_perform_feature_extraction and ef_outputs_check: the settings, the
 * videos, the store (which describes the run and names every output) and
 * the io.on_mismatch=refuse check.
 */
#include "run/run_prep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* Uids the store cannot hold (npy: "x.times") fail, touching nothing. */
static int reject_uids(const store *st, ef_video *list, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (list[i].reject)
      continue;
    int rc;
    list[i].reject = store_uid_problem(st, list[i].uid, &rc);
    if (rc != EF_OK)
      return rc;
  }
  return EF_OK;
}

/* io.on_mismatch=refuse: before anything is written, every complete
 * output must be this run's: EF_ECONFIG naming the first that is not. */
static int check_outputs(const ef_settings *s, const store *st,
                         const ef_video *list, size_t n) {
  if (!s->filter_completed || s->debug_mode ||
      s->on_mismatch != EF_MISMATCH_REFUSE)
    return EF_OK;
  size_t bad = 0;
  char *first = NULL;
  for (size_t i = 0; i < n; i++) {
    if (list[i].reject)
      continue;
    store_answer a;
    int rc = store_state(st, list[i].uid, list[i].is_stereo, &a);
    if (rc != EF_OK) {
      free(first);
      return rc;
    }
    if (a.verdict != STORE_DONE && a.verdict != STORE_TODO) {
      if (!first) {
        first = a.why;
        a.why = NULL;
      }
      bad++;
    }
    store_answer_clear(&a);
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
  int rc = list_videos(s, paths, n, &r->list, &r->count);
  if (rc == EF_OK)
    rc = store_open(s, 0, &r->store);
  if (rc == EF_OK)
    rc = reject_uids(r->store, r->list, r->count);
  if (rc == EF_OK)
    rc = check_outputs(s, r->store, r->list, r->count);
  return rc;
}

void run_prep_free(run_prep *r) {
  store_close(r->store);
  discover_free(r->list, r->count);
  if (r->loaded)
    settings_free(&r->s);
  memset(r, 0, sizeof *r);
}
