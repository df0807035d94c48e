/*
 * main.c - the ego4dfeat tool's entry point: dispatches to a subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} command;

static const command commands[] = {
    {"extract", cmd_extract, "extract features of a folder of videos"},
    {"profile", cmd_profile,
     "time a few videos; measure the scheduling estimates"},
    {"schedule", cmd_schedule,
     "split a large run into bins and run them on SLURM or here"},
    {"run-bin", cmd_run_bin, "run one bin of a schedule (a SLURM task)"},
    {"inference", cmd_inference,
     "sanity-check a classifier-head model on random dataset examples"},
    {"merge", cmd_merge, "merge per-video outputs into one HDF5 file"},
};

static void usage(FILE *f) {
  fprintf(f, "usage: ego4dfeat <command> [options] [overrides...]\n\n"
             "commands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(f,
          "\n'ego4dfeat <command> --help' describes a command.\n"
          "libego4dfeat %s\n",
          ef_version());
}

int main(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
      strcmp(argv[1], "-h") == 0) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("ego4dfeat %s\n", ef_version());
    return 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(argv[1], commands[i].name) == 0)
      return commands[i].run(argc - 2, argv + 2);
  cli_error("unknown command '%s'", argv[1]);
  usage(stderr);
  return 2;
}
