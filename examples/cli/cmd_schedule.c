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

int cmd_schedule(int argc, char **argv) {
  sched_options so;
  cli_args a;
  memset(&a, 0, sizeof a);
  char **rest = calloc((size_t)argc + 1, sizeof *rest);
  char **ov = calloc((size_t)argc + 8, sizeof *ov);
  size_t n_prof = 0, *to_run = NULL, n_run = 0, videos_run = 0, videos_done = 0;
  ef_config *cfg = NULL;
  ef_plan *plan = NULL;
  char *exe = NULL, *script = NULL, *job = NULL, *runner = NULL,
       *log_fmt = NULL;
  argv_list sb = {0};
  int n_rest = 0, exit_code = 2;
  if (!rest || !ov) {
    cli_error("out of memory");
    goto done;
  }
  if ((exit_code = sched_take_options(argc, argv, &so, rest, &n_rest)) != 0 ||
      (exit_code = cli_parse(n_rest, rest, &a)) != 0)
    goto done;
  if (a.help) {
    sched_print_help();
    goto done;
  }
  /* Overrides: the profile's first, then the user's without +profile. */
  const char *profile = so.profile;
  const char **user = a.overrides;
  size_t n_user = a.n_overrides, n_ov;
  for (size_t i = 0; i < n_user; i++)
    if (sched_profile_override(user[i]))
      profile = sched_profile_override(user[i]);
  if (profile &&
      (exit_code = sched_profile_overrides(profile, ov, &n_prof)) != 0)
    goto done;
  n_ov = n_prof;
  for (size_t i = 0; i < n_user; i++)
    if (!sched_profile_override(user[i]))
      ov[n_ov++] = (char *)user[i];
  a.overrides = (const char **)ov;
  a.n_overrides = n_ov;
  exit_code = cli_load_config(&a, &cfg);
  a.overrides = user;
  a.n_overrides = n_user;
  if (exit_code != 0)
    goto done;
  if (cli_print_config(&a, cfg, &exit_code))
    goto done;

  exit_code = 2;
  int local = get_bool(cfg, "schedule_config.run_locally");
  ef_plan_options po = ef_plan_options_default();
  po.strict = so.strict;
  po.parallelism = local ? so.parallel : 0;
  if (ef_plan_create(cfg, &po, &plan) != EF_OK) {
    cli_error("%s", ef_last_error());
    goto done;
  }
  sched_print_warnings(plan);
  size_t nb = ef_plan_bin_count(plan);
  int filter = 1;
  if (ef_config_get_bool(cfg, "io.filter_completed", &filter) != EF_OK)
    filter = 1;
  if (!(to_run = calloc(nb ? nb : 1, sizeof *to_run)) || !(exe = self_exe())) {
    cli_error("out of memory");
    goto done;
  }
  for (size_t b = 0; b < nb; b++) {
    int complete = filter ? ef_plan_bin_complete(plan, b) : 0;
    if (complete < 0) {
      cli_error("%s", ef_last_error());
      goto done;
    }
    if (complete) {
      videos_done += ef_plan_bin_size(plan, b);
    } else {
      to_run[n_run++] = b;
      videos_run += ef_plan_bin_size(plan, b);
    }
  }
  sched_print_plan(plan, n_run, videos_run, local);
  if (so.status) {
    /* Every bin, as its latest record says. */
    for (size_t b = 0; b < nb; b++)
      to_run[b] = b;
    exit_code = sched_summarize(plan, to_run, nb, 0, NULL, NULL);
    goto done;
  }
  if (nb == 0) {
    printf("nothing to run: the config lists no videos\n");
    exit_code = 0;
    goto done;
  }
  if (n_run == 0) {
    printf("nothing to run: every bin's outputs are complete\n");
    exit_code = 0;
    goto done;
  }
  if (!local) {
    const char *name = a.config_name;
    const char *slash = strrchr(name, '/');
    char *fake_script = sched_str_printf("%s/job.sh", ef_plan_dir(plan));
    if (!fake_script ||
        sched_sbatch_args(plan, slash ? slash + 1 : name, to_run, n_run,
                          fake_script, &sb) != 0) {
      free(fake_script);
      cli_error("out of memory");
      goto done;
    }
    free(fake_script);
    printf("sbatch");
    for (size_t i = 1; i < sb.n; i++)
      printf(" %s", sb.v[i]);
    printf("\n");
  }
  if (so.dry_run) {
    exit_code = 0;
    goto done;
  }
  /* What every task would refuse (io.on_mismatch=refuse): outputs of
   * another configuration or model. Refused here, before any submission. */
  if (ef_outputs_check(cfg) != EF_OK) {
    cli_error("%s", ef_last_error());
    exit_code = 1;
    goto done;
  }
  if (!local && (job = sched_active_job(plan))) {
    cli_error("job %s of this plan is still queued or running; wait for it "
              "(squeue -j %s) or cancel it (scancel %s), then rerun",
              job, job, job);
    exit_code = 1;
    goto done;
  }
  if (!get_bool(cfg, "force_yes")) {
    int yes = confirm();
    if (yes <= 0) {
      if (yes == 0)
        printf("not started\n");
      exit_code = yes == 0 ? 0 : 1;
      goto done;
    }
  }
  if (ef_plan_save(plan) != EF_OK) {
    cli_error("%s", ef_last_error());
    goto done;
  }
  signal(SIGINT, on_interrupt);
  signal(SIGTERM, on_interrupt);
  if (local) {
    char *logdir = so.parallel > 1 ? sched_log_dir(plan, "local") : NULL;
    runner = sched_str_printf("local %ld bin %%zu", (long)getpid());
    log_fmt = logdir ? sched_str_printf("%s/bin_%%zu.log", logdir) : NULL;
    free(logdir);
    if (!runner || (so.parallel > 1 && !log_fmt)) {
      cli_error("out of memory");
      goto done;
    }
    sched_run_local(plan, exe, to_run, n_run, so.parallel, a.threads, runner);
    if (sched_interrupted)
      printf("interrupted: bins not started yet are left for a rerun\n");
    exit_code =
        sched_summarize(plan, to_run, n_run, videos_done, runner, log_fmt);
    goto done;
  }
  if (!(script = sched_write_job_script(plan, exe)) ||
      !(job = sched_submit(plan, &sb))) {
    exit_code = 1;
    goto done;
  }
  if (so.no_wait) {
    printf("not waiting: after job %s ends, the same command with --status "
           "prints what it did,\nand without it resumes anything "
           "unfinished\n",
           job);
    exit_code = 0;
    goto done;
  }
  int w = sched_wait_job(job);
  if (w != 0) {
    printf("%s: job %s keeps running; rerun the same command after it "
           "ends for the summary\n",
           w > 0 ? "interrupted" : "lost track of the job", job);
    exit_code = 1;
    goto done;
  }
  char *logdir = sched_log_dir(plan, job);
  runner = sched_str_printf("slurm %s_%%zu", job);
  log_fmt = logdir ? sched_str_printf("%s/%s_%%zu.err", logdir, job) : NULL;
  free(logdir);
  exit_code = runner && log_fmt ? sched_summarize(plan, to_run, n_run,
                                                  videos_done, runner, log_fmt)
                                : 1;
done:
  free(log_fmt);
  free(runner);
  sched_argv_free(&sb);
  free(job);
  free(script);
  free(exe);
  free(to_run);
  ef_plan_free(plan);
  ef_config_free(cfg);
  for (size_t i = 0; i < n_prof; i++)
    free(ov[i]);
  free(ov);
  free(rest);
  cli_args_free(&a);
  return exit_code;
}
