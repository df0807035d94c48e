/*
 * schedule_local.c - running a plan's bins here (schedule_config.
 * run_locally): each bin as a child `ego4dfeat run-bin`, a few at a time,
 * with a log file per bin when more than one runs at once (appended to,
 * one header line per attempt).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "schedule_cli.h"

extern char **environ;

/* <logdir>/bin_N.log for appending, with a line that starts this attempt:
 * a rerun (or a second scheduler beside orphaned tasks) adds its output
 * after the earlier one's instead of truncating it. -1 on failure (said). */
static int open_log(const char *logdir, size_t bin) {
  char *path = sched_str_printf("%s/bin_%zu.log", logdir, bin);
  int fd =
      path ? open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
                  0644)
           : -1;
  if (fd < 0) {
    cli_error("cannot open %s (%s); bin %zu's output goes here",
              path ? path : "the log", strerror(errno), bin);
  } else {
    time_t now = time(NULL);
    struct tm tm;
    char when[32] = "?";
    if (localtime_r(&now, &tm))
      strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    dprintf(fd, "--- bin %zu: run-bin started by scheduler pid %ld at %s\n",
            bin, (long)getpid(), when);
  }
  free(path);
  return fd;
}

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
  int failures = 0, forwarded = 0;
  /* The running children, to pass a signal on: SIGTERM to the scheduler
   * alone (kill, a batch system) does not reach them otherwise. */
  pid_t *pids = calloc((size_t)parallel, sizeof *pids);
  if (!pids) {
    cli_error("out of memory");
    free(logdir);
    return -1;
  }
  /* The children stop when this process dies, even by kill -9
   * (cmd_run_bin.c asks for a death signal when its parent is this). */
  char self[32];
  snprintf(self, sizeof self, "%ld", (long)getpid());
  setenv("EF_LOCAL_SCHEDULER_PID", self, 1);
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
      int log_fd = logdir ? open_log(logdir, bins[next]) : -1;
      if (log_fd >= 0) {
        posix_spawn_file_actions_adddup2(&fa, log_fd, STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&fa, log_fd, STDERR_FILENO);
      }
      pid_t pid;
      fflush(stdout); /* the child shares it: keep the lines in order */
      fflush(stderr);
      int rc = posix_spawn(&pid, exe, &fa, NULL, argv, environ);
      posix_spawn_file_actions_destroy(&fa);
      if (log_fd >= 0)
        close(log_fd);
      if (rc != 0) {
        cli_error("cannot run %s: %s", exe, strerror(rc));
        failures++;
        sched_interrupted = 1;
      } else {
        for (int i = 0; i < parallel; i++)
          if (pids[i] == 0) {
            pids[i] = pid;
            break;
          }
        running++;
      }
      next++;
      continue;
    }
    int status;
    if (sched_interrupted && !forwarded) {
      for (int i = 0; i < parallel; i++)
        if (pids[i] > 0)
          kill(pids[i], SIGTERM); /* each stops between batches */
      forwarded = 1;
    }
    pid_t done = wait(&status); /* a signal interrupts it (cmd_schedule.c) */
    if (done < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    for (int i = 0; i < parallel; i++)
      if (pids[i] == done)
        pids[i] = 0;
    running--;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      failures++;
  }
  free(pids);
  free(logdir);
  return failures;
}
