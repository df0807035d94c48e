/*
 * schedule_args.c - the command line of `ego4dfeat schedule`: its help,
 * its own options (taken out before the common parser sees the rest),
 * and a profile file's measured values turned into overrides.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schedule_cli.h"

void cmd_schedule_help(FILE *f) {
  fprintf(
      f,
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

/* ---- Options ------------------------------------------------------------ */

/* Takes this command's options out of argv (into o); the rest goes to
 * the common parser. */
int sched_take_options(int argc, char **argv, sched_options *o, char **rest,
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
int sched_profile_overrides(const char *path, char **ov, size_t *n) {
  static const char *const keys[][2] = {
      {"schedule_config.time_per_forward_pass", "%.9f"},
      {"schedule_config.overhead", "%.6f"},
      {"inference_config.batch_size", "%.0f"},
      {"inference_config.num_workers", "%.0f"},
  };
  char *text = cli_read_file(path);
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
    if (!(ov[*n] = sched_str_printf("++%s=%s", keys[k][0], value))) {
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
const char *sched_profile_override(const char *ov) {
  const char *v = NULL;
  if (strncmp(ov, "++profile=", 10) == 0)
    v = ov + 10;
  else if (strncmp(ov, "+profile=", 9) == 0)
    v = ov + 9;
  if (!v || strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
    return NULL;
  return v;
}
