/*
 * cmd_run_bin.c - `ego4dfeat run-bin`: what each task of a scheduled run
 * executes. Loads the plan, extracts the features of one bin's videos
 * (skipping those whose complete output exists), and keeps the bin's
 * status file current as each video ends, so that a task killed at any
 * point leaves an exact record of what it finished.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cli.h"

void cmd_run_bin_help(FILE *f) {
  fprintf(f,
          "usage: ego4dfeat run-bin --plan DIR [--bin N] [--runner TEXT] "
          "[--threads N] [--quiet]\n\n"
          "Runs one bin of a plan written by `ego4dfeat schedule` (DIR is the "
          "plan's folder\nor its plan.json): what each SLURM array task "
          "runs. --bin defaults to\n$SLURM_ARRAY_TASK_ID, --threads to "
          "$SLURM_CPUS_PER_TASK. The bin's status file\n"
          "(DIR/status/bin_NNNNN.json) is rewritten as each video ends. "
          "SIGTERM (scancel,\nthe time limit) stops the run between batches "
          "and records it as cancelled.\nExit status 0 if every video is done "
          "or was already complete, 1 otherwise.\n");
}

typedef struct {
  const char *plan;
  long bin;
  const char *runner;
  int threads, quiet, help;
} options;

static int parse(int argc, char **argv, options *o) {
  memset(o, 0, sizeof *o);
  o->bin = -1;
  const char *env_bin = getenv("SLURM_ARRAY_TASK_ID");
  const char *env_cpus = getenv("SLURM_CPUS_PER_TASK");
  if (env_cpus)
    o->threads = atoi(env_cpus);
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      o->help = 1;
    } else if (strcmp(a, "--quiet") == 0) {
      o->quiet = 1;
    } else if (strcmp(a, "--plan") == 0 || strcmp(a, "--bin") == 0 ||
               strcmp(a, "--runner") == 0 || strcmp(a, "--threads") == 0) {
      if (!v) {
        cli_error("%s needs a value", a);
        return 2;
      }
      i++;
      if (strcmp(a, "--plan") == 0)
        o->plan = v;
      else if (strcmp(a, "--runner") == 0)
        o->runner = v;
      else if (strcmp(a, "--threads") == 0)
        o->threads = atoi(v);
      else
        env_bin = v;
    } else {
      cli_error("unknown argument '%s' (see --help)", a);
      return 2;
    }
  }
  if (o->help)
    return 0;
  if (!o->plan) {
    cli_error("--plan DIR is required (see --help)");
    return 2;
  }
  if (!env_bin) {
    cli_error("no bin: pass --bin N (or run as a SLURM array task)");
    return 2;
  }
  /* "", "2x", "-1" and a number past long were taken as another bin. */
  char *end = NULL;
  errno = 0;
  o->bin = strtol(env_bin, &end, 10);
  if (end == env_bin || *end || errno == ERANGE || o->bin < 0) {
    char shown[64];
    cli_printable(env_bin, shown, sizeof shown);
    cli_error("bad bin '%s': give a bin number, 0 or more", shown);
    return 2;
  }
  return 0;
}

/* "slurm <job>_<task>" inside SLURM, else "local <pid>". The scheduler
 * compares it with what it submitted to tell this attempt's record from
 * an older one. */
static void runner_name(const options *o, char *buf, size_t n) {
  const char *job = getenv("SLURM_ARRAY_JOB_ID");
  const char *task = getenv("SLURM_ARRAY_TASK_ID");
  if (o->runner)
    snprintf(buf, n, "%s", o->runner);
  else if (job && task)
    snprintf(buf, n, "slurm %s_%s", job, task);
  else if (getenv("SLURM_JOB_ID"))
    snprintf(buf, n, "slurm %s", getenv("SLURM_JOB_ID"));
  else
    snprintf(buf, n, "local %ld", (long)getpid());
}

static void print_summary(long bin, const char *runner, const ef_stats *st) {
  for (size_t i = 0; i < ef_stats_video_count(st); i++)
    if (ef_stats_video_outcome(st, i) == EF_VIDEO_FAILED)
      fprintf(stderr, "failed %s: %s\n", ef_stats_video_uid(st, i),
              ef_stats_video_error(st, i));
  char windows[64];
  printf("bin %ld (%s): %zu done, %zu skipped, %zu failed, %zu not run; "
         "%s in %.1f s (forward %.1f s, decode wait %.1f s)\n",
         bin, runner, ef_stats_count(st, EF_VIDEO_DONE),
         ef_stats_count(st, EF_VIDEO_SKIPPED),
         ef_stats_count(st, EF_VIDEO_FAILED),
         ef_stats_count(st, EF_VIDEO_NOT_RUN),
         cli_count((long long)ef_stats_total_windows(st), "window", "windows",
                   windows, sizeof windows),
         ef_stats_seconds(st, EF_TIME_OVERALL),
         ef_stats_seconds(st, EF_TIME_FORWARD),
         ef_stats_seconds(st, EF_TIME_DECODE_WAIT));
}

/* A bin run by `schedule` here (schedule_local.c) gets SIGHUP when the
 * scheduler dies, even by kill -9, and stops as if cancelled: orphans
 * would go on beside a rerun. A scheduler that died before the prctl (the
 * parent is no longer the one named) stops the bin the same way; the
 * cancel handler is installed first, so the stop is recorded. */
static void stop_with_local_scheduler(void) {
  const char *env = getenv("EF_LOCAL_SCHEDULER_PID");
  if (!env)
    return;
  /* SIGHUP, not SIGTERM: the kernel sends the death signal once per
   * thread that inherited the request, and a second SIGTERM would kill
   * the run before it records that it stopped. */
  cli_cancel_on_signal_always(SIGHUP);
  if (atol(env) == (long)getppid() && prctl(PR_SET_PDEATHSIG, SIGHUP) != 0)
    return;
  if (atol(env) != (long)getppid())
    raise(SIGHUP);
}

int cmd_run_bin(int argc, char **argv) {
  options o;
  ef_plan *plan = NULL;
  ef_stats *stats = NULL;
  progress *pr = NULL;
  char runner[128];
  int exit_code = parse(argc, argv, &o);
  if (exit_code != 0 || o.help) {
    if (o.help)
      cmd_run_bin_help(stdout);
    return exit_code;
  }
  /* Set before anything slow, so a cancel during loading is not lost. */
  const volatile int *cancel = cli_cancel_on_signals();
  stop_with_local_scheduler();
  runner_name(&o, runner, sizeof runner);
  if (ef_plan_load(o.plan, &plan) != EF_OK) {
    cli_error("%s", ef_last_error());
    exit_code = 2;
    goto done;
  }
  pr = progress_create(o.quiet);
  ef_params params;
  if (ef_params_init(&params, sizeof params) != EF_OK) {
    cli_error("%s", ef_last_error());
    exit_code = 2;
    goto done;
  }
  params.progress = progress_callback();
  params.progress_user_data = pr;
  params.cancel = cancel;
  params.torch_threads = o.threads;
  int rc = ef_plan_run_bin(plan, (size_t)o.bin, runner, &params, &stats);
  progress_free(pr);
  pr = NULL;
  if (!stats) { /* nothing ran: a bin the plan lacks is a usage error */
    cli_error("%s", ef_last_error());
    exit_code = (size_t)o.bin >= ef_plan_bin_count(plan) ? 2 : 1;
    goto done;
  }
  char err[1024] = "";
  if (rc != EF_OK && rc != EF_EPARTIAL)
    snprintf(err, sizeof err, "%s", ef_last_error());
  print_summary(o.bin, runner, stats);
  if (rc == EF_ECANCELLED)
    fprintf(stderr, "ego4dfeat: bin %ld cancelled; rerun to finish it\n",
            o.bin);
  else if (rc != EF_OK && rc != EF_EPARTIAL)
    cli_error("bin %ld: %s", o.bin, err);
  exit_code = rc == EF_OK ? 0 : 1;
done:
  progress_free(pr);
  ef_stats_free(stats);
  ef_plan_free(plan);
  return exit_code;
}
