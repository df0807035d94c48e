/*
 * schedule_summary.c - what `ego4dfeat schedule` prints about a plan: its
 * figures and warnings before anything runs, and afterwards the summary
 * of what each bin's task did, read from the tasks' own status files.
 */
#include <stdio.h>
#include <string.h>

#include "schedule_cli.h"

static void format_seconds(double s, char *buf, size_t n) {
  if (s >= 3600)
    snprintf(buf, n, "%.2f h", s / 3600);
  else if (s >= 120)
    snprintf(buf, n, "%.1f min", s / 60);
  else
    snprintf(buf, n, "%.1f s", s);
}

/* Where the plan's bins ran, as their status files' runners say ("local
 * ..." for bins run here, "slurm ..." for array tasks): ", here",
 * ", on SLURM", ", here and on SLURM", or "" when none has run yet. For
 * --status, which does not know the config's run_locally of the run
 * that made the files. Reads the status files (their errors are
 * sched_summarize's to report). */
const char *sched_where_ran(ef_plan *p) {
  int here = 0, slurm = 0;
  if (ef_plan_read_status(p) != EF_OK)
    return "";
  for (size_t b = 0; b < ef_plan_bin_count(p); b++) {
    const char *runner = ef_plan_bin_runner(p, b);
    here |= strncmp(runner, "local", 5) == 0;
    slurm |= strncmp(runner, "slurm", 5) == 0;
  }
  return here && slurm ? ", here and on SLURM"
         : here        ? ", here"
         : slurm       ? ", on SLURM"
                       : "";
}

void sched_print_plan(const ef_plan *p, size_t n_run, size_t videos_run,
                      int local, const char *where) {
  char total[32], longest[32], cap[32], make[32], make_lb[32], ref[32];
  format_seconds(ef_plan_figure_value(p, EF_PLAN_TOTAL), total, sizeof total);
  format_seconds(ef_plan_figure_value(p, EF_PLAN_LONGEST), longest,
                 sizeof longest);
  format_seconds(ef_plan_figure_value(p, EF_PLAN_CAPACITY), cap, sizeof cap);
  format_seconds(ef_plan_figure_value(p, EF_PLAN_MAKESPAN), make, sizeof make);
  format_seconds(ef_plan_figure_value(p, EF_PLAN_MAKESPAN_LOWER_BOUND), make_lb,
                 sizeof make_lb);
  format_seconds(ef_plan_figure_value(p, EF_PLAN_REFERENCE_SECONDS), ref,
                 sizeof ref);
  char videos[64], bins[64], bound[64];
  printf("plan: %s in %s of at most %s (lower bound %s)\n      %s\n",
         cli_count((long long)ef_plan_figure_value(p, EF_PLAN_VIDEOS), "video",
                   "videos", videos, sizeof videos),
         cli_count((long long)ef_plan_figure_value(p, EF_PLAN_BINS), "bin",
                   "bins", bins, sizeof bins),
         cap,
         cli_count((long long)ef_plan_figure_value(p, EF_PLAN_BINS_LOWER_BOUND),
                   "bin", "bins", bound, sizeof bound),
         ef_plan_dir(p));
  if (ef_plan_figure_value(p, EF_PLAN_BINS) >
      ef_plan_figure_value(p, EF_PLAN_BINS_FEWEST))
    printf("      (%.0f bins would do, but with %.0f at a time %.0f waves of "
           "shorter bins\n      finish sooner than full ones)\n",
           ef_plan_figure_value(p, EF_PLAN_BINS_FEWEST),
           ef_plan_figure_value(p, EF_PLAN_PARALLELISM),
           ef_plan_figure_value(p, EF_PLAN_N_SCHEDULES));
  double at_once = ef_plan_figure_value(p, EF_PLAN_PARALLELISM);
  printf("estimate: %s of work, longest video %s; makespan %s, %.0f %s at "
         "a time (lower bound %s)\n",
         total, longest, make, at_once,
         local ? (at_once == 1 ? "bin" : "bins")
               : (at_once == 1 ? "task" : "tasks"),
         make_lb);
  printf("reference estimate: n_schedules %.0f, total %s\n",
         ef_plan_figure_value(p, EF_PLAN_N_SCHEDULES), ref);
  printf("to run: %zu of %s (%s)%s\n", n_run,
         cli_count((long long)ef_plan_bin_count(p), "bin", "bins", bins,
                   sizeof bins),
         cli_count((long long)videos_run, "video", "videos", videos,
                   sizeof videos),
         where   ? where
         : local ? ", here"
                 : ", on SLURM");
}

/* Oversize and unmeasured videos, named (the first few). */
void sched_print_warnings(const ef_plan *p) {
  double cap = ef_plan_figure_value(p, EF_PLAN_CAPACITY);
  size_t shown = 0, more = 0;
  for (size_t b = 0; b < ef_plan_bin_count(p); b++)
    for (size_t i = 0; i < ef_plan_bin_size(p, b); i++) {
      double s = ef_plan_video_seconds(p, b, i);
      int oversize = s > cap, unknown = ef_plan_video_frames(p, b, i) < 0;
      if (!oversize && !unknown)
        continue;
      if (shown++ >= 10) {
        more++;
        continue;
      }
      if (oversize)
        fprintf(stderr,
                "ego4dfeat: warning: video '%s' is estimated at %.0f s, more "
                "than a bin's %.0f s:\n  it gets a bin of its own and may "
                "run out of time (raise schedule_config.timeout_min,\n  or "
                "pass --strict to stop here)\n",
                ef_plan_video_uid(p, b, i), s, cap);
      else
        fprintf(stderr,
                "ego4dfeat: warning: video '%s': frame count unknown "
                "(missing or unreadable file);\n  counted as one window\n",
                ef_plan_video_uid(p, b, i));
    }
  if (more)
    fprintf(stderr, "ego4dfeat: warning: ... and %zu more such videos\n", more);
}

/* ---- Summary ------------------------------------------------------------ */

/* Why bin b did not finish, or NULL. expected: the runner this attempt
 * gave it (an older attempt's record means it never started), or NULL to
 * take the record as it is. */
static const char *bin_problem(const ef_plan *p, size_t b,
                               const char *expected) {
  ef_bin_state s = ef_plan_bin_state(p, b);
  if (s == EF_BIN_NOT_STARTED ||
      (expected && strcmp(ef_plan_bin_runner(p, b), expected) != 0))
    return "never started";
  switch (s) {
  case EF_BIN_RUNNING:
    return "ended without finishing (killed, cancelled or out of time)";
  case EF_BIN_CANCELLED: return "cancelled (SIGTERM: scancel or time limit)";
  case EF_BIN_FAILED: return "failed";
  default: return NULL;
  }
}

/* Prints what the bins of this attempt did; 0 if every video is done or
 * skipped. runner_fmt has one %zu for the bin (NULL: any runner), log_fmt
 * too (NULL: no log to point to). */
int sched_summarize(ef_plan *p, const size_t *bins, size_t n,
                    size_t n_complete_videos, const char *runner_fmt,
                    const char *log_fmt) {
  if (ef_plan_read_status(p) != EF_OK) {
    cli_error("%s", ef_last_error());
    return 1;
  }
  size_t count[4] = {0, 0, 0, 0}, failed_shown = 0;
  int bad = 0;
  for (size_t k = 0; k < n; k++) {
    size_t b = bins[k], c[4] = {0, 0, 0, 0};
    char expected[160];
    if (runner_fmt)
      snprintf(expected, sizeof expected, runner_fmt, b);
    else
      snprintf(expected, sizeof expected, "%s",
               *ef_plan_bin_runner(p, b) ? ef_plan_bin_runner(p, b)
                                         : "not started");
    const char *problem = bin_problem(p, b, runner_fmt ? expected : NULL);
    int stale = problem && strcmp(problem, "never started") == 0;
    for (size_t i = 0; i < ef_plan_bin_size(p, b); i++) {
      ef_video_outcome o =
          stale ? EF_VIDEO_NOT_RUN : ef_plan_video_outcome(p, b, i);
      c[o]++;
      if (o == EF_VIDEO_FAILED && failed_shown++ < 20)
        fprintf(stderr, "failed %s: %s\n", ef_plan_video_uid(p, b, i),
                ef_plan_video_error(p, b, i));
    }
    for (int o = 0; o < 4; o++)
      count[o] += c[o];
    if (problem || c[EF_VIDEO_FAILED] || c[EF_VIDEO_NOT_RUN])
      bad = 1;
    if (n <= 20 || problem || c[EF_VIDEO_FAILED] || c[EF_VIDEO_NOT_RUN]) {
      printf("  bin %zu (%s): %zu done, %zu skipped, %zu failed, %zu not run",
             b, expected, c[EF_VIDEO_DONE], c[EF_VIDEO_SKIPPED],
             c[EF_VIDEO_FAILED], c[EF_VIDEO_NOT_RUN]);
      if (problem) {
        printf(": %s", problem);
        if (!stale && *ef_plan_bin_error(p, b))
          printf(": %s", ef_plan_bin_error(p, b));
        if (log_fmt) {
          printf("; log ");
          printf(log_fmt, b);
        }
      }
      printf("\n");
    }
  }
  printf("summary: %zu done, %zu skipped, %zu failed, %zu not run",
         count[EF_VIDEO_DONE], count[EF_VIDEO_SKIPPED], count[EF_VIDEO_FAILED],
         count[EF_VIDEO_NOT_RUN]);
  if (n_complete_videos)
    printf("; %zu %s complete before this run", n_complete_videos,
           n_complete_videos == 1 ? "video" : "videos");
  printf("\n");
  if (bad)
    printf("rerun the same command to resume: only incomplete bins run "
           "again, and their\nfinished videos are skipped\n");
  return bad;
}
