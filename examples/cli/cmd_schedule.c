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
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

extern char **environ;

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig) {
  (void)sig;
  interrupted = 1;
}

static void print_help(void) {
  printf(
      "usage: ego4dfeat schedule --config-name NAME [options] "
      "[overrides...]\n\n"
      "Estimates every video of the config (the reference's overhead * "
      "ceil(windows /\nbatch_size) * time_per_forward_pass), packs them into "
      "bins of timeout_min with\nfirst-fit decreasing, prints the estimate "
      "and asks `Continue? [y/N]` (unless\nforce_yes=true). Then submits "
      "one SLURM array job, one task per bin (sbatch\n--array=...%%P with "
      "slurm_array_parallelism, timeout_min, slurm_partition,\nconstraint, "
      "gpus_per_node, cpus_per_task; logs in log_folder as %%A_%%a.out),\n"
      "waits for it and prints what each task did. schedule_config."
      "run_locally=1 runs\nthe bins here instead. Rerunning the same "
      "command runs only what is missing.\nThe plan and the status files "
      "are in <log_folder before %%j>/plan-<key>/.\n\n"
      "options:\n"
      "  --profile FILE       measured values from `ego4dfeat profile` "
      "(also +profile=FILE)\n"
      "  --strict             a video longer than a bin is an error, not "
      "a bin of its own\n"
      "  --parallel N         with run_locally: bins run at once "
      "(default 1)\n"
      "  --no-wait            submit and return; rerun later for the "
      "summary\n"
      "  --dry-run            print the plan and the sbatch command only\n"
      "  --status             print what the plan's tasks did so far; run "
      "nothing\n"
      "%s",
      cli_common_help);
}

/* ---- Small helpers ------------------------------------------------------ */

static char *self_exe(void) {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0)
    return NULL;
  buf[n] = '\0';
  return strdup(buf);
}

static char *str_printf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static char *str_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return NULL;
  char *s = malloc((size_t)n + 1);
  if (!s)
    return NULL;
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

/* s with every "%j" replaced by `with`. */
static char *replace_job(const char *s, const char *with) {
  size_t n = 0, wl = strlen(with);
  for (const char *c = s; *c; c++)
    n += (c[0] == '%' && c[1] == 'j') ? (c++, wl) : 1;
  char *out = malloc(n + 1), *w = out;
  if (!out)
    return NULL;
  for (const char *c = s; *c; c++) {
    if (c[0] == '%' && c[1] == 'j') {
      memcpy(w, with, wl);
      w += wl;
      c++;
    } else {
      *w++ = *c;
    }
  }
  *w = '\0';
  return out;
}

static int mkdirs(const char *path) {
  char *p = strdup(path);
  if (!p)
    return -1;
  for (char *c = p + 1; *c; c++) {
    if (*c != '/')
      continue;
    *c = '\0';
    if (mkdir(p, 0777) != 0 && errno != EEXIST) {
      free(p);
      return -1;
    }
    *c = '/';
  }
  int rc = mkdir(p, 0777) != 0 && errno != EEXIST ? -1 : 0;
  free(p);
  return rc;
}

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

/* Writes a file under a temporary name, then renames it. */
static int write_file(const char *path, const char *text, mode_t mode) {
  char *tmp = str_printf("%s.tmp%ld", path, (long)getpid());
  if (!tmp)
    return -1;
  FILE *f = fopen(tmp, "w");
  int ok = f && fputs(text, f) >= 0;
  if (f && fclose(f) != 0)
    ok = 0;
  if (ok)
    ok = chmod(tmp, mode) == 0 && rename(tmp, path) == 0;
  if (!ok)
    unlink(tmp);
  free(tmp);
  return ok ? 0 : -1;
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    size_t got = fread(buf + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0)
      break;
    if (n + 1 == cap) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        buf = NULL;
      }
      buf = nb;
      cap *= 2;
    }
  }
  fclose(f);
  if (buf)
    buf[n] = '\0';
  return buf;
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

/* ---- Options ------------------------------------------------------------ */

typedef struct {
  const char *profile;
  int strict, parallel, no_wait, dry_run, status;
} sched_options;

/* Takes this command's options out of argv (into o); the rest goes to
 * the common parser. */
static int take_options(int argc, char **argv, sched_options *o, char **rest,
                        int *n_rest) {
  memset(o, 0, sizeof *o);
  o->parallel = 1;
  *n_rest = 0;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--strict") == 0)
      o->strict = 1;
    else if (strcmp(a, "--no-wait") == 0)
      o->no_wait = 1;
    else if (strcmp(a, "--dry-run") == 0)
      o->dry_run = 1;
    else if (strcmp(a, "--status") == 0)
      o->status = 1;
    else if (strcmp(a, "--profile") == 0 || strcmp(a, "--parallel") == 0) {
      if (i + 1 >= argc) {
        cli_error("%s needs a value", a);
        return 2;
      }
      if (strcmp(a, "--profile") == 0) {
        o->profile = argv[++i];
      } else {
        char *end;
        long n = strtol(argv[++i], &end, 10);
        if (*end || n < 1 || n > 4096) {
          cli_error("--parallel needs a count from 1 to 4096, got '%s'",
                    argv[i]);
          return 2;
        }
        o->parallel = (int)n;
      }
    } else {
      rest[(*n_rest)++] = argv[i];
    }
  }
  return 0;
}

/* The measured values of a profile file as overrides, placed before the
 * user's so that an explicit a.b=value on the command line still wins. */
static int profile_overrides(const char *path, char **ov, size_t *n) {
  static const char *const keys[][2] = {
      {"schedule_config.time_per_forward_pass", "%.9f"},
      {"schedule_config.overhead", "%.6f"},
      {"inference_config.batch_size", "%.0f"},
      {"inference_config.num_workers", "%.0f"},
  };
  char *text = read_file(path);
  ef_config *pc = NULL;
  if (!text) {
    cli_error("--profile %s: cannot read (%s)", path, strerror(errno));
    return 2;
  }
  int rc = ef_config_parse(text, &pc);
  free(text);
  if (rc != EF_OK) {
    cli_error("profile %s: %s", path, ef_last_error());
    return 2;
  }
  double tpf = 0, overhead = 0;
  if (ef_config_get_double(pc, keys[0][0], &tpf) != EF_OK ||
      ef_config_get_double(pc, keys[1][0], &overhead) != EF_OK) {
    cli_error("profile %s has no schedule_config.time_per_forward_pass and "
              "overhead (write it with `ego4dfeat profile`)",
              path);
    ef_config_free(pc);
    return 2;
  }
  for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
    double v;
    if (ef_config_get_double(pc, keys[k][0], &v) != EF_OK)
      continue;
    char value[64];
    snprintf(value, sizeof value, keys[k][1], v);
    if (!(ov[*n] = str_printf("++%s=%s", keys[k][0], value))) {
      ef_config_free(pc);
      cli_error("out of memory");
      return 2;
    }
    (*n)++;
  }
  printf("profile %s: time_per_forward_pass %.4g s, overhead %.3g\n", path, tpf,
         overhead);
  ef_config_free(pc);
  return 0;
}

/* +profile=FILE names a file; the schema's own `profile` key is the
 * reference's bool, which schedule has no use for. */
static const char *profile_override(const char *ov) {
  const char *v = NULL;
  if (strncmp(ov, "++profile=", 10) == 0)
    v = ov + 10;
  else if (strncmp(ov, "+profile=", 9) == 0)
    v = ov + 9;
  if (!v || strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
    return NULL;
  return v;
}

/* ---- The plan ----------------------------------------------------------- */

static const char *get_str(const ef_config *c, const char *key) {
  const char *s = NULL;
  return ef_config_get_string(c, key, &s) == EF_OK ? s : NULL;
}

static int64_t get_int(const ef_config *c, const char *key, int64_t def) {
  int64_t v;
  return ef_config_get_int(c, key, &v) == EF_OK ? v : def;
}

static int get_bool(const ef_config *c, const char *key) {
  int v = 0;
  return ef_config_get_bool(c, key, &v) == EF_OK ? v : 0;
}

static void format_seconds(double s, char *buf, size_t n) {
  if (s >= 3600)
    snprintf(buf, n, "%.2f h", s / 3600);
  else if (s >= 120)
    snprintf(buf, n, "%.1f min", s / 60);
  else
    snprintf(buf, n, "%.1f s", s);
}

static void print_plan(const ef_plan *p, size_t n_run, size_t videos_run,
                       int local) {
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
  printf("plan: %.0f videos in %.0f bins of at most %s (lower bound %.0f "
         "bins)\n      %s\n",
         ef_plan_figure_value(p, EF_PLAN_VIDEOS),
         ef_plan_figure_value(p, EF_PLAN_BINS), cap,
         ef_plan_figure_value(p, EF_PLAN_BINS_LOWER_BOUND), ef_plan_dir(p));
  if (ef_plan_figure_value(p, EF_PLAN_BINS) >
      ef_plan_figure_value(p, EF_PLAN_BINS_FEWEST))
    printf("      (%.0f bins would do, but with %.0f at a time %.0f waves of "
           "shorter bins\n      finish sooner than full ones)\n",
           ef_plan_figure_value(p, EF_PLAN_BINS_FEWEST),
           ef_plan_figure_value(p, EF_PLAN_PARALLELISM),
           ef_plan_figure_value(p, EF_PLAN_N_SCHEDULES));
  printf("estimate: %s of work, longest video %s; makespan %s, %.0f %s at "
         "a time (lower bound %s)\n",
         total, longest, make, ef_plan_figure_value(p, EF_PLAN_PARALLELISM),
         local ? "bin(s)" : "task(s)", make_lb);
  printf("reference estimate: n_schedules %.0f, total %s\n",
         ef_plan_figure_value(p, EF_PLAN_N_SCHEDULES), ref);
  printf("to run: %zu of %zu bins (%zu videos)%s\n", n_run,
         ef_plan_bin_count(p), videos_run, local ? ", here" : ", on SLURM");
}

/* Oversize and unmeasured videos, named (the first few). */
static void print_warnings(const ef_plan *p) {
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

/* ---- Running on SLURM --------------------------------------------------- */

/* The job id recorded for this plan, if it is still queued or running. */
static char *active_job(const ef_plan *p) {
  char *path = str_printf("%s/slurm_job", ef_plan_dir(p));
  char *id = path ? read_file(path) : NULL;
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

typedef struct {
  char **v;
  size_t n, cap;
} argv_list;

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

static void argv_free(argv_list *a) {
  for (size_t i = 0; i < a->n; i++)
    free(a->v[i]);
  free(a->v);
  memset(a, 0, sizeof *a);
}

/* sbatch's command line for the bins to run; the log folder's %j is
 * SLURM's %A (the array's job id) there. */
static int sbatch_args(const ef_plan *p, const char *config_name,
                       const size_t *bins, size_t n, const char *script,
                       argv_list *a) {
  const ef_config *c = ef_plan_config(p);
  const char *log = get_str(c, "schedule_config.log_folder");
  const char *partition = get_str(c, "schedule_config.slurm_partition");
  const char *constraint = get_str(c, "schedule_config.constraint");
  const char *device = get_str(c, "inference_config.device");
  int64_t par = get_int(c, "schedule_config.slurm_array_parallelism", 256);
  int64_t gpus = get_int(c, "schedule_config.gpus_per_node", 0);
  int64_t cpus = get_int(c, "schedule_config.cpus_per_task", 0);
  size_t slots = par > 0 && (size_t)par < n ? (size_t)par : n;
  char *logdir = replace_job(log ? log : "slurm_log/%j", "%A");
  char *cwd = getcwd(NULL, 0);
  int rc = 0;
  rc |= argv_add(a, strdup("sbatch"));
  rc |= argv_add(a, strdup("--parsable"));
  /* Held until the log folder, whose name holds the job id, exists:
   * SLURM fails a task whose output folder is missing, silently. */
  rc |= argv_add(a, strdup("--hold"));
  rc |= argv_add(a, str_printf("--job-name=ef-%s", config_name));
  char *spec = array_spec(bins, n, slots);
  rc |= argv_add(a, spec ? str_printf("--array=%s", spec) : NULL);
  free(spec);
  rc |= argv_add(
      a, str_printf("--time=%lld",
                    (long long)get_int(c, "schedule_config.timeout_min", 60)));
  if (cpus > 0)
    rc |= argv_add(a, str_printf("--cpus-per-task=%lld", (long long)cpus));
  if (partition && *partition)
    rc |= argv_add(a, str_printf("--partition=%s", partition));
  if (constraint && *constraint)
    rc |= argv_add(a, str_printf("--constraint=%s", constraint));
  if (gpus > 0 && device && strncmp(device, "cuda", 4) == 0)
    rc |= argv_add(a, str_printf("--gpus-per-node=%lld", (long long)gpus));
  rc |= argv_add(a, cwd ? str_printf("--chdir=%s", cwd) : NULL);
  rc |= argv_add(a,
                 logdir ? str_printf("--output=%s/%%A_%%a.out", logdir) : NULL);
  rc |=
      argv_add(a, logdir ? str_printf("--error=%s/%%A_%%a.err", logdir) : NULL);
  rc |= argv_add(a, strdup(script));
  free(logdir);
  free(cwd);
  return rc ? -1 : 0;
}

static char *write_job_script(const ef_plan *p, const char *exe) {
  char *script = str_printf("%s/job.sh", ef_plan_dir(p));
  char *qexe = shell_quote(exe), *qplan = shell_quote(ef_plan_dir(p));
  char *text = qexe && qplan
                   ? str_printf("#!/bin/sh\n# Written by `ego4dfeat "
                                "schedule`: each task of the SLURM array "
                                "runs one bin of\n# the plan in this "
                                "folder.\nexec %s run-bin --plan %s --bin "
                                "\"$SLURM_ARRAY_TASK_ID\"\n",
                                qexe, qplan)
                   : NULL;
  int ok = script && text && write_file(script, text, 0755) == 0;
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
static char *submit(const ef_plan *p, argv_list *a) {
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
  const char *log = get_str(ef_plan_config(p), "schedule_config.log_folder");
  char *logdir = replace_job(log ? log : "slurm_log/%j", id);
  char *release[] = {"scontrol", "release", id, NULL};
  char *rout = NULL;
  if (!logdir || mkdirs(logdir) != 0) {
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
  char *path = str_printf("%s/slurm_job", ef_plan_dir(p));
  char *line = str_printf("%s\n", id);
  if (!path || !line || write_file(path, line, 0644) != 0)
    fprintf(stderr, "ego4dfeat: warning: cannot record the job id in %s\n",
            path ? path : "the plan folder");
  free(path);
  free(line);
  return out;
}

/* Polls squeue every 0.5 s until no task of the job is left (SLURM
 * forgets finished jobs, and `sbatch --wait` returns later for arrays). */
static int wait_job(const char *id) {
  char *argv[] = {"squeue", "-h", "-r", "-j", (char *)id, "-o", "%T", NULL};
  int last_pending = -1, last_running = -1, errors = 0;
  while (!interrupted) {
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

/* ---- Running here ------------------------------------------------------- */

/* Runs the bins as child processes, `parallel` at once; with more than
 * one, each writes to <log_folder with %j = local>/bin_N.log. runner_fmt
 * names each bin's run (one %zu). Returns the failed bins' count. */
static int run_local(const ef_plan *p, const char *exe, const size_t *bins,
                     size_t n, int parallel, int threads,
                     const char *runner_fmt) {
  const char *log = get_str(ef_plan_config(p), "schedule_config.log_folder");
  char *logdir = NULL;
  if (parallel > 1) {
    logdir = replace_job(log ? log : "slurm_log/%j", "local");
    if (!logdir || mkdirs(logdir) != 0) {
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
  while ((next < n && !interrupted) || running > 0) {
    if (next < n && !interrupted && running < (size_t)parallel) {
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
        out = str_printf("%s/bin_%zu.log", logdir, bins[next]);
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
        interrupted = 1;
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
static int summarize(ef_plan *p, const size_t *bins, size_t n,
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
    printf("; %zu videos complete before this run", n_complete_videos);
  printf("\n");
  if (bad)
    printf("rerun the same command to resume: only incomplete bins run "
           "again, and their\nfinished videos are skipped\n");
  return bad;
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
  if ((exit_code = take_options(argc, argv, &so, rest, &n_rest)) != 0 ||
      (exit_code = cli_parse(n_rest, rest, &a)) != 0)
    goto done;
  if (a.help) {
    print_help();
    goto done;
  }
  /* Overrides: the profile's first, then the user's without +profile. */
  const char *profile = so.profile;
  const char **user = a.overrides;
  size_t n_user = a.n_overrides, n_ov;
  for (size_t i = 0; i < n_user; i++)
    if (profile_override(user[i]))
      profile = profile_override(user[i]);
  if (profile && (exit_code = profile_overrides(profile, ov, &n_prof)) != 0)
    goto done;
  n_ov = n_prof;
  for (size_t i = 0; i < n_user; i++)
    if (!profile_override(user[i]))
      ov[n_ov++] = (char *)user[i];
  a.overrides = (const char **)ov;
  a.n_overrides = n_ov;
  exit_code = cli_load_config(&a, &cfg);
  a.overrides = user;
  a.n_overrides = n_user;
  if (exit_code != 0)
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
  print_warnings(plan);
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
  print_plan(plan, n_run, videos_run, local);
  if (so.status) {
    /* Every bin, as its latest record says. */
    for (size_t b = 0; b < nb; b++)
      to_run[b] = b;
    exit_code = summarize(plan, to_run, nb, 0, NULL, NULL);
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
    char *fake_script = str_printf("%s/job.sh", ef_plan_dir(plan));
    if (!fake_script || sbatch_args(plan, slash ? slash + 1 : name, to_run,
                                    n_run, fake_script, &sb) != 0) {
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
  if (!local && (job = active_job(plan))) {
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
    const char *log =
        get_str(ef_plan_config(plan), "schedule_config.log_folder");
    char *logdir = so.parallel > 1
                       ? replace_job(log ? log : "slurm_log/%j", "local")
                       : NULL;
    runner = str_printf("local %ld bin %%zu", (long)getpid());
    log_fmt = logdir ? str_printf("%s/bin_%%zu.log", logdir) : NULL;
    free(logdir);
    if (!runner || (so.parallel > 1 && !log_fmt)) {
      cli_error("out of memory");
      goto done;
    }
    run_local(plan, exe, to_run, n_run, so.parallel, a.threads, runner);
    if (interrupted)
      printf("interrupted: bins not started yet are left for a rerun\n");
    exit_code = summarize(plan, to_run, n_run, videos_done, runner, log_fmt);
    goto done;
  }
  if (!(script = write_job_script(plan, exe)) || !(job = submit(plan, &sb))) {
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
  int w = wait_job(job);
  if (w != 0) {
    printf("%s: job %s keeps running; rerun the same command after it "
           "ends for the summary\n",
           w > 0 ? "interrupted" : "lost track of the job", job);
    exit_code = 1;
    goto done;
  }
  const char *log = get_str(ef_plan_config(plan), "schedule_config.log_folder");
  char *logdir = replace_job(log ? log : "slurm_log/%j", job);
  runner = str_printf("slurm %s_%%zu", job);
  log_fmt = logdir ? str_printf("%s/%s_%%zu.err", logdir, job) : NULL;
  free(logdir);
  exit_code = runner && log_fmt
                  ? summarize(plan, to_run, n_run, videos_done, runner, log_fmt)
                  : 1;
done:
  free(log_fmt);
  free(runner);
  argv_free(&sb);
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
