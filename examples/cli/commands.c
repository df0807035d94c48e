/*
 * commands.c - the table of subcommands (name, entry point, help text,
 * one-line summary), the top-level usage, and the "did you mean" for a
 * command name that is not in it.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

const cli_command cli_commands[] = {
    {"extract", cmd_extract, cmd_extract_help,
     "extract features of a folder of videos"},
    {"profile", cmd_profile, cmd_profile_help,
     "time a few videos; measure the scheduling estimates"},
    {"schedule", cmd_schedule, cmd_schedule_help,
     "split a large run into bins and run them on SLURM or here"},
    {"run-bin", cmd_run_bin, cmd_run_bin_help,
     "run one bin of a schedule (a SLURM task)"},
    {"inference", cmd_inference, cmd_inference_help,
     "sanity-check a classifier-head model on random dataset examples"},
    {"merge", cmd_merge, cmd_merge_help,
     "merge per-video outputs into one HDF5 file"},
};
const size_t cli_n_commands = sizeof cli_commands / sizeof cli_commands[0];

const cli_command *cli_command_find(const char *name) {
  for (size_t i = 0; i < cli_n_commands; i++)
    if (strcmp(name, cli_commands[i].name) == 0)
      return &cli_commands[i];
  return NULL;
}

/* Levenshtein distance of a and b, capped at 99 (names are short). */
static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  size_t row[64];
  if (la >= 63 || lb >= 63)
    return 99;
  for (size_t j = 0; j <= lb; j++)
    row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j];
      size_t best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best)
        best = up + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

const char *cli_command_suggest(const char *typo) {
  const char *best = NULL;
  size_t best_d = 3; /* at most 2 edits: "extrct", "mrege", "schedul" */
  size_t n = strlen(typo);
  for (size_t i = 0; i < cli_n_commands; i++) {
    const char *name = cli_commands[i].name;
    if (n >= 2 && strncmp(name, typo, n) == 0)
      return name; /* "sched" for schedule */
    size_t d = edit_distance(typo, name);
    if (d < best_d) {
      best_d = d;
      best = name;
    }
  }
  return best;
}

void cli_usage(FILE *f) {
  fprintf(f, "usage: ego4dfeat <command> [options] [overrides...]\n"
             "       ego4dfeat help [COMMAND]\n"
             "       ego4dfeat --version\n\n"
             "commands:\n");
  for (size_t i = 0; i < cli_n_commands; i++)
    fprintf(f, "  %-10s %s\n", cli_commands[i].name, cli_commands[i].summary);
  fprintf(f, "\n'ego4dfeat help COMMAND' (or 'ego4dfeat COMMAND --help') "
             "describes a command;\n'man ego4dfeat' has them all.\n");
}
