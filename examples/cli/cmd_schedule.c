/*
 * cmd_schedule.c - `ego4dfeat schedule`: plans a large run (videos ->
 * estimates -> bins, see ef_plan_create), shows the estimate, asks, then
 * runs every incomplete bin as one task of a SLURM job array (sbatch
 * --array) or, with schedule_config.run_locally, as child processes here;
 * waits, and prints a summary from the tasks' own status files.
 *
 * Each task is `ego4dfeat run-bin` on the same executable, so the plan,
 * the status files and the summary are the same both ways. A rerun of the
 * same command finds the same plan (same folder), skips the bins whose
 * outputs are all complete and resubmits the others, whose tasks skip the
 * videos already done.
 *
 * This file keeps the command's flow; schedule_args.c, schedule_summary.c,
 * schedule_slurm.c, schedule_local.c and schedule_util.c hold its parts.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "schedule_cli.h"

volatile sig_atomic_t sched_interrupted;

static void on_interrupt(int sig) {
  (void)sig;
  sched_interrupted = 1;
}

static char *self_exe(void) {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0)
    return NULL;
  buf[n] = '\0';
  return strdup(buf);
}

static int get_bool(const ef_config *c, const char *key) {
  int v = 0;
  return ef_config_get_bool(c, key, &v) == EF_OK ? v : 0;
}

/* ---- The command -------------------------------------------------------- */

static int confirm(void) {
  printf("Continue? [y/N] ");
  fflush(stdout);
  char line[64];
  if (!fgets(line, sizeof line, stdin)) {
    printf("\n");
    cli_error("no answer on stdin: not started (set force_yes=true to run "
              "without asking)");
    return -1;
  }
  return line[0] == 'y' || line[0] == 'Y';
}

/* What the steps of one `ego4dfeat schedule` share; freed by
 * sched_cmd_free. Each step returns nonzero to stop the command, with
 * *exit_code set. */
typedef struct {
  sched_options so;
  cli_args a;
  char **rest, **ov; /* argv without schedule's options; all overrides */
  size_t n_prof;     /* overrides from the profile, owned: ov[0..n_prof) */
  ef_config *cfg;
  ef_plan *plan;
  int local; /* schedule_config.run_locally */
  size_t *to_run, n_run, videos_run, videos_done;
  char *exe, *job, *runner, *log_fmt;
  argv_list sb;
} sched_cmd;

static void sched_cmd_free(sched_cmd *c) {
  free(c->log_fmt);
  free(c->runner);
  sched_argv_free(&c->sb);
  free(c->job);
  free(c->exe);
  free(c->to_run);
  ef_plan_free(c->plan);
  ef_config_free(c->cfg);
  for (size_t i = 0; i < c->n_prof; i++)
    free(c->ov[i]);
  free(c->ov);
  free(c->rest);
  cli_args_free(&c->a);
}

/* Options, then the config with its overrides: the profile's first, then
 * the user's without +profile. Stops after --help and --print-config. */
static int load_config(sched_cmd *c, int argc, char **argv, int *exit_code) {
  int n_rest = 0;
  if ((*exit_code = sched_take_options(argc, argv, &c->so, c->rest, &n_rest)) !=
          0 ||
      (*exit_code = cli_parse(n_rest, c->rest, &c->a)) != 0)
    return 1;
  if (c->a.help) {
    cmd_schedule_help(stdout);
    return 1;
  }
  const char *profile = c->so.profile;
  const char **user = c->a.overrides;
  size_t n_user = c->a.n_overrides, n_ov;
  for (size_t i = 0; i < n_user; i++)
    if (sched_profile_override(user[i]))
      profile = sched_profile_override(user[i]);
  if (profile &&
      (*exit_code = sched_profile_overrides(profile, c->ov, &c->n_prof)) != 0)
    return 1;
  n_ov = c->n_prof;
  for (size_t i = 0; i < n_user; i++)
    if (!sched_profile_override(user[i]))
      c->ov[n_ov++] = (char *)user[i];
  c->a.overrides = (const char **)c->ov;
  c->a.n_overrides = n_ov;
  *exit_code = cli_load_config(&c->a, &c->cfg);
  c->a.overrides = user;
  c->a.n_overrides = n_user;
  if (*exit_code != 0)
    return 1;
  return cli_print_config(&c->a, c->cfg, exit_code);
}

/* The bins to run: all of them, or with io.filter_completed those whose
 * outputs are not all complete. */
static int pick_bins(sched_cmd *c) {
  size_t nb = ef_plan_bin_count(c->plan);
  int filter = 1;
  if (ef_config_get_bool(c->cfg, "io.filter_completed", &filter) != EF_OK)
    filter = 1;
  if (!(c->to_run = calloc(nb ? nb : 1, sizeof *c->to_run)) ||
      !(c->exe = self_exe())) {
    cli_error("out of memory");
    return -1;
  }
  for (size_t b = 0; b < nb; b++) {
    int complete = 0;
    if (filter && ef_plan_bin_complete(c->plan, b, &complete) != EF_OK) {
      cli_error("%s", ef_last_error());
      return -1;
    }
    if (complete) {
      c->videos_done += ef_plan_bin_size(c->plan, b);
    } else {
      c->to_run[c->n_run++] = b;
      c->videos_run += ef_plan_bin_size(c->plan, b);
    }
  }
  return 0;
}

/* Plans the run, picks the bins to run and prints the estimate. */
static int make_plan(sched_cmd *c, int *exit_code) {
  *exit_code = 2;
  c->local = get_bool(c->cfg, "schedule_config.run_locally");
  ef_plan_options po;
  if (ef_plan_options_init(&po, sizeof po) != EF_OK) {
    cli_error("%s", ef_last_error());
    return 1;
  }
  po.strict = c->so.strict;
  po.parallelism = c->local ? c->so.parallel : 0;
  if (ef_plan_create(c->cfg, &po, &c->plan) != EF_OK) {
    cli_error("%s", ef_last_error());
    return 1;
  }
  sched_print_warnings(c->plan);
  if (pick_bins(c) != 0)
    return 1;
  /* --status reports a plan run before, here or on SLURM whatever this
   * command's run_locally says: its status files tell where. */
  sched_print_plan(c->plan, c->n_run, c->videos_run, c->local,
                   c->so.status ? sched_where_ran(c->plan) : NULL);
  return 0;
}

/* --status, and plans with nothing to run, end here. */
static int nothing_to_run(sched_cmd *c, int *exit_code) {
  size_t nb = ef_plan_bin_count(c->plan);
  if (c->so.status) {
    /* Every bin, as its latest record says. */
    for (size_t b = 0; b < nb; b++)
      c->to_run[b] = b;
    *exit_code = sched_summarize(c->plan, c->to_run, nb, 0, NULL, NULL);
    return 1;
  }
  if (nb == 0) {
    printf("nothing to run: the config lists no videos\n");
    *exit_code = 0;
    return 1;
  }
  if (c->n_run == 0) {
    printf("nothing to run: every bin's outputs are complete\n");
    *exit_code = 0;
    return 1;
  }
  return 0;
}

/* Builds sbatch's command line (kept in c->sb for the submission) and
 * prints it, so that --dry-run shows what would be submitted. */
static int show_sbatch(sched_cmd *c, int *exit_code) {
  if (c->local)
    return 0;
  const char *name = c->a.config_name;
  const char *slash = strrchr(name, '/');
  char *fake_script = sched_str_printf("%s/job.sh", ef_plan_dir(c->plan));
  if (!fake_script ||
      sched_sbatch_args(c->plan, slash ? slash + 1 : name, c->to_run, c->n_run,
                        fake_script, &c->sb) != 0) {
    free(fake_script);
    cli_error("out of memory");
    *exit_code = 2;
    return 1;
  }
  free(fake_script);
  printf("sbatch");
  for (size_t i = 1; i < c->sb.n; i++)
    printf(" %s", c->sb.v[i]);
  printf("\n");
  return 0;
}

/* What stops a run before anything starts: --dry-run, outputs every task
 * would refuse, a job of this plan still in SLURM's queue, and the user's
 * answer (unless force_yes). */
static int check_before_running(sched_cmd *c, int *exit_code) {
  if (c->so.dry_run) {
    *exit_code = 0;
    return 1;
  }
  /* What every task would refuse (io.on_mismatch=refuse): outputs of
   * another configuration or model. Refused here, before any submission. */
  if (ef_outputs_check(c->cfg) != EF_OK) {
    cli_error("%s", ef_last_error());
    *exit_code = 1;
    return 1;
  }
  if (!c->local && (c->job = sched_active_job(c->plan))) {
    cli_error("job %s of this plan is still queued or running; wait for it "
              "(squeue -j %s) or cancel it (scancel %s), then rerun",
              c->job, c->job, c->job);
    *exit_code = 1;
    return 1;
  }
  if (!get_bool(c->cfg, "force_yes")) {
    int yes = confirm();
    if (yes <= 0) {
      if (yes == 0)
        printf("not started\n");
      *exit_code = yes == 0 ? 0 : 1;
      return 1;
    }
  }
  return 0;
}

/* Saves the plan for the tasks to read and catches SIGINT/SIGTERM. */
static int save_plan(sched_cmd *c, int *exit_code) {
  if (ef_plan_save(c->plan) != EF_OK) {
    cli_error("%s", ef_last_error());
    *exit_code = 2;
    return 1;
  }
  /* No SA_RESTART: the local runner's wait() returns, to pass the
   * signal on to the bins running (schedule_local.c). */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  return 0;
}

/* schedule_config.run_locally: the bins as child processes here, then
 * the summary. Returns the exit code. */
static int run_here(sched_cmd *c) {
  char *logdir = c->so.parallel > 1 ? sched_log_dir(c->plan, "local") : NULL;
  c->runner = sched_str_printf("local %ld bin %%zu", (long)getpid());
  c->log_fmt = logdir ? sched_str_printf("%s/bin_%%zu.log", logdir) : NULL;
  free(logdir);
  if (!c->runner || (c->so.parallel > 1 && !c->log_fmt)) {
    cli_error("out of memory");
    return 2;
  }
  sched_run_local(c->plan, c->exe, c->to_run, c->n_run, c->so.parallel,
                  c->a.threads, c->runner);
  if (sched_interrupted)
    printf("interrupted: bins not started yet are left for a rerun\n");
  return sched_summarize(c->plan, c->to_run, c->n_run, c->videos_done,
                         c->runner, c->log_fmt);
}

/* The bins as one SLURM job array: submits, waits (unless --no-wait) and
 * prints the summary. Returns the exit code. */
static int run_on_slurm(sched_cmd *c) {
  char *script = sched_write_job_script(c->plan, c->exe);
  if (!script || !(c->job = sched_submit(c->plan, &c->sb))) {
    free(script);
    return 1;
  }
  free(script);
  if (c->so.no_wait) {
    printf("not waiting: after job %s ends, the same command with --status "
           "prints what it did,\nand without it resumes anything "
           "unfinished\n",
           c->job);
    return 0;
  }
  int w = sched_wait_job(c->job);
  if (w != 0) {
    printf("%s: job %s keeps running; rerun the same command after it "
           "ends for the summary\n",
           w > 0 ? "interrupted" : "lost track of the job", c->job);
    return 1;
  }
  char *logdir = sched_log_dir(c->plan, c->job);
  c->runner = sched_str_printf("slurm %s_%%zu", c->job);
  c->log_fmt =
      logdir ? sched_str_printf("%s/%s_%%zu.err", logdir, c->job) : NULL;
  free(logdir);
  return c->runner && c->log_fmt
             ? sched_summarize(c->plan, c->to_run, c->n_run, c->videos_done,
                               c->runner, c->log_fmt)
             : 1;
}

int cmd_schedule(int argc, char **argv) {
  sched_cmd c;
  memset(&c, 0, sizeof c);
  int exit_code = 2;
  c.rest = calloc((size_t)argc + 1, sizeof *c.rest);
  c.ov = calloc((size_t)argc + 8, sizeof *c.ov);
  if (!c.rest || !c.ov)
    cli_error("out of memory");
  else if (!load_config(&c, argc, argv, &exit_code) &&
           !make_plan(&c, &exit_code) && !nothing_to_run(&c, &exit_code) &&
           !show_sbatch(&c, &exit_code) &&
           !check_before_running(&c, &exit_code) && !save_plan(&c, &exit_code))
    exit_code = c.local ? run_here(&c) : run_on_slurm(&c);
  sched_cmd_free(&c);
  return exit_code;
}
