/*
 * schedule_slurm.c - running a plan on SLURM: sbatch's command line (one
 * array task per bin), the job script, submitting held and releasing once
 * the log folder exists, and following the job with squeue (also to
 * refuse a second run of a plan whose job is still queued).
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "schedule_cli.h"

extern char **environ;

/* 'text' for sh, with ' written as '\''. */
static char *shell_quote(const char *s) {
  size_t n = 3;
  for (const char *c = s; *c; c++)
    n += *c == '\'' ? 4 : 1;
  char *q = malloc(n), *w = q;
  if (!q)
    return NULL;
  *w++ = '\'';
  for (const char *c = s; *c; c++) {
    if (*c == '\'') {
      memcpy(w, "'\\''", 4);
      w += 4;
    } else {
      *w++ = *c;
    }
  }
  *w++ = '\'';
  *w = '\0';
  return q;
}

static void sleep_s(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

/* Runs argv (a program found on PATH) and collects its stdout and stderr.
 * Returns its exit status, 127 if it could not start, 128 + the signal
 * that killed it. */
static int run_capture(char *const argv[], char **out) {
  int fds[2];
  *out = NULL;
  if (pipe(fds) != 0)
    return 127;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  posix_spawn_file_actions_addclose(&fa, fds[1]);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  size_t cap = 1024, n = 0;
  char *buf = malloc(cap);
  for (;;) {
    char chunk[1024];
    ssize_t got = read(fds[0], chunk, sizeof chunk);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      break;
    if (buf && n + (size_t)got + 1 > cap) {
      while (n + (size_t)got + 1 > cap)
        cap *= 2;
      char *nb = realloc(buf, cap);
      if (!nb)
        free(buf);
      buf = nb;
    }
    if (buf) {
      memcpy(buf + n, chunk, (size_t)got);
      n += (size_t)got;
    }
  }
  close(fds[0]);
  if (buf)
    buf[n] = '\0';
  *out = buf;
  if (rc != 0)
    return 127;
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return 127;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int64_t get_int(const ef_config *c, const char *key, int64_t def) {
  int64_t v;
  return ef_config_get_int(c, key, &v) == EF_OK ? v : def;
}

/* "0-3,5,7-8%P": SLURM's compact list of array indices. */
static char *array_spec(const size_t *bins, size_t n, size_t par) {
  size_t cap = 32 * (n + 1), len = 0;
  char *s = malloc(cap);
  if (!s)
    return NULL;
  s[0] = '\0';
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && bins[j + 1] == bins[j] + 1)
      j++;
    if (j == i)
      len +=
          (size_t)snprintf(s + len, cap - len, "%s%zu", i ? "," : "", bins[i]);
    else
      len += (size_t)snprintf(s + len, cap - len, "%s%zu-%zu", i ? "," : "",
                              bins[i], bins[j]);
    i = j + 1;
  }
  snprintf(s + len, cap - len, "%%%zu", par);
  return s;
}

/* The job id recorded for this plan, if it is still queued or running. */
char *sched_active_job(const ef_plan *p) {
  char *path = sched_str_printf("%s/slurm_job", ef_plan_dir(p));
  char *id = path ? cli_read_file(path) : NULL;
  free(path);
  if (!id)
    return NULL;
  id[strcspn(id, "\n")] = '\0';
  char *argv[] = {"squeue", "-h", "-r", "-j", id, "-o", "%T", NULL};
  char *out = NULL;
  int rc = run_capture(argv, &out);
  int active = rc == 0 && out && out[strspn(out, " \n")] != '\0';
  free(out);
  if (!active) {
    free(id);
    return NULL;
  }
  return id;
}

static int argv_add(argv_list *a, char *s) {
  if (!s)
    return -1;
  if (a->n + 2 > a->cap) {
    size_t cap = a->cap ? 2 * a->cap : 32;
    char **v = realloc(a->v, cap * sizeof *v);
    if (!v) {
      free(s);
      return -1;
    }
    a->v = v;
    a->cap = cap;
  }
  a->v[a->n++] = s;
  a->v[a->n] = NULL;
  return 0;
}

void sched_argv_free(argv_list *a) {
  for (size_t i = 0; i < a->n; i++)
    free(a->v[i]);
  free(a->v);
  memset(a, 0, sizeof *a);
}

/* sbatch's command line for the bins to run; the log folder's %j is
 * SLURM's %A (the array's job id) there. */
int sched_sbatch_args(const ef_plan *p, const char *config_name,
                      const size_t *bins, size_t n, const char *script,
                      argv_list *a) {
  const ef_config *c = ef_plan_config(p);
  const char *partition = sched_get_str(c, "schedule_config.slurm_partition");
  const char *constraint = sched_get_str(c, "schedule_config.constraint");
  const char *device = sched_get_str(c, "inference_config.device");
  int64_t par = get_int(c, "schedule_config.slurm_array_parallelism",
                        EF_SCHEDULE_DEFAULT_ARRAY_PARALLELISM);
  int64_t gpus = get_int(c, "schedule_config.gpus_per_node", 0);
  int64_t cpus = get_int(c, "schedule_config.cpus_per_task", 0);
  size_t slots = par > 0 && (size_t)par < n ? (size_t)par : n;
  char *logdir = sched_log_dir(p, "%A");
  char *cwd = getcwd(NULL, 0);
  int rc = 0;
  rc |= argv_add(a, strdup("sbatch"));
  rc |= argv_add(a, strdup("--parsable"));
  /* Held until the log folder, whose name holds the job id, exists:
   * SLURM fails a task whose output folder is missing, silently. */
  rc |= argv_add(a, strdup("--hold"));
  rc |= argv_add(a, sched_str_printf("--job-name=ef-%s", config_name));
  char *spec = array_spec(bins, n, slots);
  rc |= argv_add(a, spec ? sched_str_printf("--array=%s", spec) : NULL);
  free(spec);
  /* The plan's bin capacity, timeout_min * 60 s: the library refuses a
   * config without timeout_min, so there is no default to fall back on. */
  rc |= argv_add(
      a, sched_str_printf(
             "--time=%lld",
             (long long)(ef_plan_figure_value(p, EF_PLAN_CAPACITY) / 60.0)));
  if (cpus > 0)
    rc |=
        argv_add(a, sched_str_printf("--cpus-per-task=%lld", (long long)cpus));
  if (partition && *partition)
    rc |= argv_add(a, sched_str_printf("--partition=%s", partition));
  if (constraint && *constraint)
    rc |= argv_add(a, sched_str_printf("--constraint=%s", constraint));
  if (gpus > 0 && device && strncmp(device, "cuda", 4) == 0)
    rc |=
        argv_add(a, sched_str_printf("--gpus-per-node=%lld", (long long)gpus));
  rc |= argv_add(a, cwd ? sched_str_printf("--chdir=%s", cwd) : NULL);
  rc |= argv_add(a, logdir ? sched_str_printf("--output=%s/%%A_%%a.out", logdir)
                           : NULL);
  rc |= argv_add(a, logdir ? sched_str_printf("--error=%s/%%A_%%a.err", logdir)
                           : NULL);
  rc |= argv_add(a, strdup(script));
  free(logdir);
  free(cwd);
  return rc ? -1 : 0;
}

char *sched_write_job_script(const ef_plan *p, const char *exe) {
  char *script = sched_str_printf("%s/job.sh", ef_plan_dir(p));
  char *qexe = shell_quote(exe), *qplan = shell_quote(ef_plan_dir(p));
  char *text =
      qexe && qplan
          ? sched_str_printf("#!/bin/sh\n# Written by `ego4dfeat "
                             "schedule`: each task of the SLURM array "
                             "runs one bin of\n# the plan in this "
                             "folder.\nexec %s run-bin --plan %s --bin "
                             "\"$SLURM_ARRAY_TASK_ID\"\n",
                             qexe, qplan)
          : NULL;
  int ok = script && text && sched_write_file(script, text, 0755) == 0;
  free(qexe);
  free(qplan);
  free(text);
  if (!ok) {
    cli_error("cannot write %s (%s)", script ? script : "job.sh",
              strerror(errno));
    free(script);
    return NULL;
  }
  return script;
}

/* Submits held, creates the log folder, releases. Returns the job id. */
char *sched_submit(const ef_plan *p, argv_list *a) {
  char *out = NULL;
  int rc = run_capture(a->v, &out);
  if (rc == 127 && (!out || !*out)) {
    cli_error("sbatch not found: install SLURM's client (slurm-client), or "
              "run the bins here with schedule_config.run_locally=1");
    free(out);
    return NULL;
  }
  if (rc != 0) {
    cli_error("sbatch failed (exit %d)%s%s", rc, out && *out ? ": " : "",
              out ? out : "");
    free(out);
    return NULL;
  }
  /* --parsable prints "id" or "id;cluster". */
  char *id = out;
  id[strspn(id, "0123456789")] = '\0';
  if (!*id) {
    cli_error("sbatch printed no job id");
    free(out);
    return NULL;
  }
  char *logdir = sched_log_dir(p, id);
  char *release[] = {"scontrol", "release", id, NULL};
  char *rout = NULL;
  if (!logdir || sched_mkdirs(logdir) != 0) {
    cli_error("cannot create the log folder %s (%s); cancelling job %s",
              logdir ? logdir : "?", strerror(errno), id);
    char *cancel[] = {"scancel", id, NULL};
    run_capture(cancel, &rout);
    free(rout);
    free(logdir);
    free(out);
    return NULL;
  }
  if ((rc = run_capture(release, &rout)) != 0) {
    cli_error("scontrol release %s failed: %s", id, rout ? rout : "");
    free(rout);
    free(logdir);
    free(out);
    return NULL;
  }
  free(rout);
  printf("submitted job %s; logs in %s\n", id, logdir);
  free(logdir);
  char *path = sched_str_printf("%s/slurm_job", ef_plan_dir(p));
  char *line = sched_str_printf("%s\n", id);
  if (!path || !line || sched_write_file(path, line, 0644) != 0)
    fprintf(stderr, "ego4dfeat: warning: cannot record the job id in %s\n",
            path ? path : "the plan folder");
  free(path);
  free(line);
  return out;
}

/* Polls squeue every 0.5 s until no task of the job is left (SLURM
 * forgets finished jobs, and `sbatch --wait` returns later for arrays). */
int sched_wait_job(const char *id) {
  char *argv[] = {"squeue", "-h", "-r", "-j", (char *)id, "-o", "%T", NULL};
  int last_pending = -1, last_running = -1, errors = 0;
  while (!sched_interrupted) {
    char *out = NULL;
    int rc = run_capture(argv, &out);
    if (rc != 0) {
      int gone = out && strstr(out, "Invalid job id");
      if (!gone && ++errors < 20) {
        free(out);
        sleep_s(0.5);
        continue;
      }
      if (!gone)
        cli_error("squeue keeps failing: %s", out ? out : "");
      free(out);
      return gone ? 0 : -1;
    }
    errors = 0;
    int pending = 0, running = 0;
    for (char *line = out; line && *line;) {
      char *nl = strchr(line, '\n');
      if (strncmp(line, "PENDING", 7) == 0)
        pending++;
      else if (line[0] != '\n')
        running++;
      line = nl ? nl + 1 : NULL;
    }
    free(out);
    if (pending + running == 0)
      return 0;
    if (pending != last_pending || running != last_running)
      printf("job %s: %d running, %d pending\n", id, running, pending);
    fflush(stdout);
    last_pending = pending;
    last_running = running;
    sleep_s(0.5);
  }
  return 1;
}
