/*
 * schedule_local.c - running a plan's bins here (schedule_config.
 * run_locally): each bin as a child `ego4dfeat run-bin`, a few at a time,
 * with a log file per bin when more than one runs at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "schedule_cli.h"

extern char **environ;

/* Runs the bins as child processes, `parallel` at once; with more than
 * one, each writes to <log_folder with %j = local>/bin_N.log. runner_fmt
 * names each bin's run (one %zu). Returns the failed bins' count. */
int sched_run_local(const ef_plan *p, const char *exe, const size_t *bins,
                    size_t n, int parallel, int threads,
                    const char *runner_fmt) {
  char *logdir = NULL;
  if (parallel > 1) {
    logdir = sched_log_dir(p, "local");
    if (!logdir || sched_mkdirs(logdir) != 0) {
      cli_error("cannot create %s (%s)", logdir ? logdir : "the log folder",
                strerror(errno));
      free(logdir);
      return -1;
    }
    printf("bins to run: %zu, %d at a time; logs in %s\n", n, parallel, logdir);
  }
  if (threads <= 0 && parallel > 1) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    threads = cores > parallel ? (int)(cores / parallel) : 1;
  }
  size_t next = 0, running = 0;
  int failures = 0;
  while ((next < n && !sched_interrupted) || running > 0) {
    if (next < n && !sched_interrupted && running < (size_t)parallel) {
      char bin[32], thr[32], runner[160];
      snprintf(bin, sizeof bin, "%zu", bins[next]);
      snprintf(thr, sizeof thr, "%d", threads);
      snprintf(runner, sizeof runner, runner_fmt, bins[next]);
      char *argv[] = {
          (char *)exe, "run-bin", "--plan",   (char *)ef_plan_dir(p),
          "--bin",     bin,       "--runner", (char *)runner,
          "--threads", thr,       NULL};
      posix_spawn_file_actions_t fa;
      posix_spawn_file_actions_init(&fa);
      char *out = NULL;
      if (logdir) {
        out = sched_str_printf("%s/bin_%zu.log", logdir, bins[next]);
        if (out) {
          posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out,
                                           O_WRONLY | O_CREAT | O_TRUNC, 0644);
          posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
        }
      }
      pid_t pid;
      fflush(stdout); /* the child shares it: keep the lines in order */
      fflush(stderr);
      int rc = posix_spawn(&pid, exe, &fa, NULL, argv, environ);
      posix_spawn_file_actions_destroy(&fa);
      free(out);
      if (rc != 0) {
        cli_error("cannot run %s: %s", exe, strerror(rc));
        failures++;
        sched_interrupted = 1;
      } else {
        running++;
      }
      next++;
      continue;
    }
    int status;
    pid_t done = wait(&status);
    if (done < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    running--;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      failures++;
  }
  free(logdir);
  return failures;
}
