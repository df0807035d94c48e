/*
 * api_extract.c - the public extraction entry points: ef_extract_features
 * (in memory, with a loaded model), ef_perform_feature_extraction (a whole
 * run to files) and ef_outputs_check (that run's checks alone). The
 * handles they return are read in api_results.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/probe.h"
#include "output/out_hdf5.h"
#include "output/out_sweep.h"
#include "output/write.h"
#include "output/write_hdf5.h"
#include "run/api_results.h"
#include "run/params.h"
#include "run/pipeline.h"
#include "run/run_prep.h"
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
  }
  if (p.torch_threads)
    efs_set_num_threads(p.torch_threads);
  rc = pipeline_run(model, &s, pv, n, &p, res, &times);
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

/* A stats handle for the prepared videos, and each one's pipeline entry
 * (pv[i] borrows r's strings). */
static int stats_make(const run_prep *r, ef_stats **out, pipeline_video **pv) {
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
    const video_outputs *o = &r->outs[i];
    if (!(st->uids[i] = strdup(v->uid)))
      goto nomem;
    (*pv)[i] = (pipeline_video){
        .uid = v->uid,
        .path = v->path,
        .out_file = o->out_file,
        .times_file = o->times_file,
        .fp_file = o->fp_file,
        .fp_text = o->fp_text,
        .reject = v->reject,
        .skip = o->skip,
        .is_stereo = v->is_stereo,
        .has_audio = v->has_audio,
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

/* The status after a step that follows the run (the hdf5 flush, the
 * deferred config), without losing the run's own
 * status and message (run_msg, freed): the step's failure wins only over a run
 * that succeeded (fully or partly). */
static int keep_status(int rc, int step_rc, char *run_msg) {
  if (step_rc != EF_OK && (rc == EF_OK || rc == EF_EPARTIAL))
    rc = step_rc;
  else if (run_msg)
    ef_error_set(rc, "%s", run_msg);
  free(run_msg);
  return rc;
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
  double t0 = now_seconds();
  /* Discovery probes files in this thread: a signal stops it there. */
  probe_watch_cancel(p.cancel);
  rc = run_prep_outputs(&r, videos, n);
  probe_watch_cancel(NULL);
  if (rc != EF_OK)
    goto done;
  /* A missing output folder is created; then what dead runs of this host
   * left in it goes (out_sweep.h), before anything of ours is there. */
  if ((rc = write_mkdirs(r.ps.out_path)) != EF_OK)
    goto done;
  if (out_sweep(s->out_path, NULL) != EF_OK ||
      (r.parts_dir && out_sweep(r.parts_dir, NULL) != EF_OK))
    ef_error_clear(); /* the write of config.yaml says what is wrong */
  int deferred = 0;
  if ((rc = write_run_config(cfg, s->out_path, r.run_text, 1, &deferred)) !=
          EF_OK ||
      (rc = stats_make(&r, &st, &pv)) != EF_OK)
    goto done;
  efs_set_num_threads(p.torch_threads);
  if (!s->debug_mode) { /* debug mode writes model inputs, runs no model */
    double tl = now_seconds();
    rc = model_load(s, &model);
    st->times.seconds[EF_TIME_MODEL_LOAD] = now_seconds() - tl;
    if (rc != EF_OK)
      goto done;
  }
  rc = pipeline_run(model, &r.ps, pv, r.count, &p, st->res, &st->times);
  if (r.parts_dir && !s->debug_mode) {
    /* A raised cancel flag stops the merge before its next group (the
     * first signal stops every phase): the complete parts stay, and the
     * next run merges them. */
    char *msg = rc != EF_OK ? ef_error_dup() : NULL;
    double ts = now_seconds();
    hdf5_merge_watch_cancel(p.cancel);
    int frc = out_hdf5_flush(s->out_path, NULL);
    hdf5_merge_watch_cancel(NULL);
    st->times.seconds[EF_TIME_SAVE] += now_seconds() - ts;
    rc = keep_status(rc, frc, msg);
  }
  if (deferred && ef_stats_count(st, EF_VIDEO_DONE) > 0) {
    /* Keeps the run's status: the features are written either way. */
    char *msg = rc != EF_OK ? ef_error_dup() : NULL;
    int crc = write_run_config(cfg, s->out_path, r.run_text, 0, NULL);
    rc = keep_status(rc, crc, msg);
  }
  st->times.seconds[EF_TIME_OVERALL] = now_seconds() - t0;
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
