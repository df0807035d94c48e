/*
 * api_extract.c - the public extraction entry points: ef_extract_features
 * (in memory, with a loaded model), ef_perform_feature_extraction (a whole
 * run to files) and ef_outputs_check (that run's checks alone). The
 * handles they return are read in api_results.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/probe.h"
#include "output/store.h"
#include "run/api_results.h"
#include "run/params.h"
#include "run/pipeline.h"
#include "run/run_prep.h"
#include "schedule/schedule.h"
#include "util/clock.h"
#include "util/error.h"
#include "window/queue.h"

int ef_extract_features(ef_model *model, const ef_config *cfg,
                        const char *const *videos, size_t n,
                        const ef_params *params, ef_results **out) {
  if (!model || !cfg || !out || (n && !videos))
    return ef_error_set(EF_EINVAL, "ef_extract_features: NULL argument");
  *out = NULL;
  ef_params p;
  int rc = params_read(params, &p);
  if (rc != EF_OK)
    return rc;
  ef_settings s;
  if ((rc = settings_load(cfg, &s)) != EF_OK)
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
    pv[i].windows_estimate = -1;
  }
  if (p.torch_threads)
    efs_set_num_threads(p.torch_threads);
  rc = pipeline_run(model, &s, NULL, pv, n, &p, res, &times);
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

/* A video given by path has no manifest row, and discovery does not open
 * it: a quick probe gives its frame count at the config's rate, so that
 * the run's progress knows its windows before the first video starts.
 * -1 when the file cannot be probed (decoding it then says why). */
static int64_t probed_frames(const ef_settings *s, const char *path) {
  probe_info info;
  if (probe_file(path, &info) != EF_OK) {
    ef_error_clear();
    return -1;
  }
  return probe_frames_at(&info, s->fps_num, s->fps_den);
}

/* A stats handle for the prepared videos, and each one's pipeline entry
 * (pv[i] borrows r's strings). by_path: the videos were given as paths. */
static int stats_make(const run_prep *r, int by_path, ef_stats **out,
                      pipeline_video **pv) {
  size_t count = r->count;
  ef_stats *st = calloc(1, sizeof *st);
  *pv = calloc(count ? count : 1, sizeof **pv);
  if (!st || !*pv ||
      !(st->uids = calloc(count ? count : 1, sizeof *st->uids)) ||
      !(st->res = calloc(count ? count : 1, sizeof *st->res)))
    goto nomem;
  st->n = count;
  st->fps_den_over_num = (double)r->s.fps_den / (double)r->s.fps_num;
  for (size_t i = 0; i < count; i++) {
    const ef_video *v = &r->list[i];
    if (!(st->uids[i] = strdup(v->uid)))
      goto nomem;
    int64_t frames = v->num_frames;
    if (frames < 0 && by_path && !v->reject)
      frames = probed_frames(&r->s, v->path);
    (*pv)[i] = (pipeline_video){
        .uid = v->uid,
        .path = v->path,
        .reject = v->reject,
        .skip = v->skip,
        .is_stereo = v->is_stereo,
        .has_audio = v->has_audio,
        .windows_estimate = schedule_windows_estimate(&r->s, frames),
    };
  }
  *out = st;
  return EF_OK;
nomem:
  stats_free_parts(st);
  free(*pv);
  *pv = NULL;
  return ef_error_set(EF_ENOMEM, "out of memory");
}

/* The status after a step that follows the run (the config record, the
 * hdf5 merge, the written-outputs check), without losing the run's own
 * status and message (run_msg, taken before the step, freed): the step's
 * failure wins only over a run that succeeded (fully or partly). */
static int keep_status(int rc, int step_rc, char *run_msg) {
  if (step_rc != EF_OK && (rc == EF_OK || rc == EF_EPARTIAL))
    rc = step_rc;
  else if (run_msg)
    ef_error_set(rc, "%s", run_msg);
  free(run_msg);
  return rc;
}

/* The run's message, for keep_status. */
static char *run_msg(int rc) {
  return rc != EF_OK ? ef_error_dup() : NULL;
}

/* Nothing reported as written may be missing: every video done in this
 * run must be in the store as this run's (for hdf5, in the final
 * features.h5, not only a part). One that is not fails, naming it. */
static int check_written(const run_prep *r, ef_stats *st) {
  size_t lost = 0;
  for (size_t i = 0; i < r->count; i++) {
    pipeline_result *res = &st->res[i];
    if (res->outcome != EF_VIDEO_DONE)
      continue;
    store_answer a;
    int rc =
        store_state_final(r->store, r->list[i].uid, r->list[i].is_stereo, &a);
    if (rc != EF_OK)
      return rc;
    store_verdict v = a.verdict;
    store_answer_clear(&a);
    if (v == STORE_DONE)
      continue;
    lost++;
    ef_error_set(EF_EIO,
                 "%s: computed, but its output is missing from %s after "
                 "the run",
                 r->list[i].uid, store_out_path(r->store));
    free(res->error);
    res->error = ef_error_dup();
    res->outcome = EF_VIDEO_FAILED;
    res->status = EF_EIO;
  }
  if (!lost)
    return EF_OK;
  return ef_error_set(EF_EPARTIAL,
                      "%zu computed output%s missing after the run", lost,
                      lost == 1 ? " is" : "s are");
}

int ef_perform_feature_extraction(const ef_config *cfg,
                                  const char *const *videos, size_t n,
                                  const ef_params *params, ef_stats **out) {
  if (!cfg)
    return ef_error_set(EF_EINVAL, "ef_perform_feature_extraction: no config");
  if (out)
    *out = NULL;
  ef_params p;
  int rc = params_read(params, &p);
  if (rc != EF_OK)
    return rc;
  run_prep r;
  ef_model *model = NULL;
  ef_stats *st = NULL;
  pipeline_video *pv = NULL;
  if ((rc = run_prep_settings(cfg, &r)) != EF_OK)
    goto done;
  const ef_settings *s = &r.s;
  double t0 = clock_now_seconds();
  /* Discovery probes files in this thread: a signal stops it there. */
  probe_watch_cancel(p.cancel);
  rc = run_prep_outputs(&r, videos, n);
  probe_watch_cancel(NULL);
  if (rc != EF_OK)
    goto done;
  if ((rc = store_prepare(r.store)) != EF_OK)
    goto done;
  int deferred = 0;
  if ((rc = store_write_config(r.store, cfg, 1, &deferred)) != EF_OK ||
      (rc = stats_make(&r, videos != NULL, &st, &pv)) != EF_OK)
    goto done;
  efs_set_num_threads(p.torch_threads);
  if (!s->debug_mode) { /* debug mode writes model inputs, runs no model */
    double tl = clock_now_seconds();
    rc = model_load(s, &model);
    st->times.seconds[EF_TIME_MODEL_LOAD] = clock_now_seconds() - tl;
    if (rc != EF_OK)
      goto done;
  }
  rc = pipeline_run(model, s, r.store, pv, r.count, &p, st->res, &st->times);
  /* The deferred config-<hex>.yaml goes first: the hdf5 merge puts it in
   * each new dataset's config attribute. Steps after the run keep its
   * status: the features are written either way. */
  int due = deferred && ef_stats_count(st, EF_VIDEO_DONE) > 0;
  char *msg = NULL;
  if (due) {
    msg = run_msg(rc);
    rc = keep_status(rc, store_write_config(r.store, cfg, 0, NULL), msg);
  }
  /* Also after a cancelled run: what is done goes into a gathering
   * format's file (hdf5). */
  double ts = clock_now_seconds();
  msg = run_msg(rc);
  rc = keep_status(rc, store_finish(r.store, p.cancel), msg);
  st->times.seconds[EF_TIME_SAVE] += clock_now_seconds() - ts;
  if (!s->debug_mode && (rc == EF_OK || rc == EF_EPARTIAL)) {
    msg = run_msg(rc);
    rc = keep_status(rc, check_written(&r, st), msg);
  }
  /* Every output is this run's now (io.on_mismatch=redo replaced them
   * all): config.yaml becomes this run's record. */
  if (due) {
    msg = run_msg(rc);
    rc = keep_status(rc, store_config_take_over(r.store, cfg), msg);
  }
  st->times.seconds[EF_TIME_OVERALL] = clock_now_seconds() - t0;
done:
  ef_model_free(model);
  free(pv);
  run_prep_free(&r);
  /* Stats are returned whenever the run started (model loaded). */
  if (st && out && (rc == EF_OK || rc == EF_EPARTIAL || rc == EF_ECANCELLED))
    *out = st;
  else
    stats_free_parts(st);
  return rc;
}

int ef_outputs_check(const ef_config *cfg) {
  if (!cfg)
    return ef_error_set(EF_EINVAL, "ef_outputs_check: no config");
  run_prep r;
  int rc = run_prep_settings(cfg, &r);
  /* Debug mode writes no outputs, so there is nothing to disagree. */
  if (rc == EF_OK && !r.s.debug_mode)
    rc = run_prep_outputs(&r, NULL, 0);
  run_prep_free(&r);
  return rc;
}
