/*
 * api_run_bin.c - ef_plan_run_bin: one bin of a plan, as each SLURM array
 * task (and `schedule_config.run_locally`) runs it. The order matters and
 * lives here once: the status file is written before anything slow, each
 * video's outcome is recorded as it ends (so a task killed at any point
 * leaves an exact record), the failure messages are added from the stats
 * at the end, and the bin's final state is written last.
 */
#include <stdio.h>
#include <string.h>

#include "ego4dfeat/schedule.h"
#include "run/params.h"
#include "util/error.h"
#include "util/log.h"

typedef struct {
  ef_schedule_status *st;
  const ef_params *user; /* the caller's params: its progress callback */
  int status_failed;     /* warned once */
} run_ctx;

static void status_warning(run_ctx *c) {
  if (!c->status_failed)
    ef_log(EF_LOG_WARNING, "status file not updated: %s", ef_last_error());
  c->status_failed = 1;
}

static int on_progress(const ef_progress_info *info, void *user) {
  run_ctx *c = user;
  if (info->finished) {
    ef_video_outcome o = info->failed    ? EF_VIDEO_FAILED
                         : info->skipped ? EF_VIDEO_SKIPPED
                                         : EF_VIDEO_DONE;
    if (ef_schedule_status_set(c->st, info->uid, o,
                               info->failed ? info->error : NULL) != EF_OK)
      status_warning(c);
  }
  return c->user && c->user->progress
             ? c->user->progress(info, c->user->progress_user_data)
             : 0;
}

/* The final outcomes, again from the stats: they also hold the videos
 * the callback never saw finish (not run after a cancel). */
static void record_outcomes(run_ctx *c, const ef_stats *stats) {
  for (size_t i = 0; i < ef_stats_video_count(stats); i++)
    if (ef_schedule_status_set(c->st, ef_stats_video_uid(stats, i),
                               ef_stats_video_outcome(stats, i),
                               ef_stats_video_error(stats, i)) != EF_OK)
      status_warning(c);
}

EF_API int ef_plan_run_bin(const ef_plan *plan, size_t bin, const char *runner,
                           const ef_params *params, ef_stats **out) {
  if (out)
    *out = NULL;
  if (!plan)
    return ef_error_set(EF_EINVAL, "ef_plan_run_bin: no plan");
  ef_params user, p;
  int rc = params_read(params, &user);
  if (rc != EF_OK)
    return rc;
  ef_config *cfg = NULL;
  run_ctx ctx = {NULL, &user, 0};
  rc = ef_plan_bin_config(plan, bin, &cfg);
  if (rc == EF_OK)
    rc = ef_schedule_status_begin(plan, bin, runner, &ctx.st);
  if (rc != EF_OK) {
    ef_config_free(cfg);
    return rc;
  }
  p = user;
  p.progress = on_progress;
  p.progress_user_data = &ctx;
  ef_stats *stats = NULL;
  rc = ef_perform_feature_extraction(cfg, NULL, 0, &p, &stats);
  /* Kept now: the status writes below may replace the message. */
  char err[1024] = "";
  if (rc != EF_OK && rc != EF_EPARTIAL)
    snprintf(err, sizeof err, "%s", ef_last_error());
  if (stats)
    record_outcomes(&ctx, stats);
  ef_bin_state state = rc == EF_ECANCELLED                  ? EF_BIN_CANCELLED
                       : (rc == EF_OK || rc == EF_EPARTIAL) ? EF_BIN_FINISHED
                                                            : EF_BIN_FAILED;
  if (ef_schedule_status_finish(ctx.st, state, err) != EF_OK)
    status_warning(&ctx);
  ef_schedule_status_free(ctx.st);
  ef_config_free(cfg);
  if (out)
    *out = stats;
  else
    ef_stats_free(stats);
  if (*err)
    ef_error_set(rc, "%s", err);
  return rc;
}
