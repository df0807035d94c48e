/*
 * cli.h - shared pieces of the ego4dfeat command-line tool: the common
 * argument parser (Hydra-style --config-name/--config-dir plus overrides)
 * and the progress display.
 */
#ifndef EF_CLI_H
#define EF_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ego4dfeat/schedule.h"

typedef struct {
  const char *config_name;
  const char *config_dir;
  const char **overrides;
  size_t n_overrides;
  int threads; /* --threads, 0 = all cores */
  int quiet;   /* --quiet */
  int help;    /* --help / -h */
  /* --cfg job / --info: print the resolved config and exit 0, as Hydra
   * users expect. */
  int print_config;
  /* Video paths after "--" (extract only: see accept_paths). */
  const char **paths;
  size_t n_paths;
  int accept_paths; /* set by a subcommand that takes video paths */
} cli_args;

/* Parses argv after the subcommand. Unknown --options are errors; anything
 * else is an override. Returns 0, or 2 after printing the problem. */
int cli_parse(int argc, char **argv, cli_args *a);
void cli_args_free(cli_args *a);
/* Loads the named config and applies the overrides; prints errors.
 * hydra.* overrides were dropped with a warning by cli_parse. */
int cli_load_config(const cli_args *a, ef_config **out);
/* With --cfg job or --info: prints cfg as YAML to stdout and returns 1
 * (the command is done, exit 0); else 0. Prints errors (returns 1 too,
 * *exit_code 1). */
int cli_print_config(const cli_args *a, const ef_config *cfg, int *exit_code);
/* "1 window", "2 windows": n and the word in the right number, into buf. */
const char *cli_count(long long n, const char *one, const char *many, char *buf,
                      size_t size);
/* Prints "ego4dfeat: error: <msg>" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The whole file, NUL-terminated (caller frees); NULL with errno set on
 * failure. */
char *cli_read_file(const char *path);
/* Makes SIGINT and SIGTERM raise the returned flag instead of killing the
 * process, so a run stops between batches and writes nothing partial. */
const volatile int *cli_cancel_on_signals(void);
/* Also makes sig raise that flag, however often it comes (no second-signal
 * kill): for a signal the kernel may send more than once, such as the
 * parent-death signal, which goes to each thread that asked for it. */
void cli_cancel_on_signal_always(int sig);
/* 128 + the signal that raised the flag (130 for SIGINT, 143 for SIGTERM,
 * as a shell reports a process killed by it), or 0 if none came. */
int cli_cancel_exit_code(void);
/* s with control characters (C0, DEL, C1) and bytes that are not UTF-8
 * written as \xNN (cut to fit n bytes), so a hostile uid cannot break a
 * log line or a terminal; returns buf. */
const char *cli_printable(const char *s, char *buf, size_t n);
/* Common options text for --help. */
extern const char *cli_common_help;

/* Progress shown while extracting: a redrawn line on a terminal, plain log
 * lines otherwise. */
typedef struct progress progress;
progress *progress_create(int quiet);
ef_progress_cb progress_callback(void);
void progress_free(progress *p);

int cmd_extract(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_schedule(int argc, char **argv);
int cmd_run_bin(int argc, char **argv);
int cmd_inference(int argc, char **argv);
int cmd_merge(int argc, char **argv);

/* Each subcommand's --help text, written to f: the one source of both
 * `--help` and the man page (man.c). */
void cmd_extract_help(FILE *f);
void cmd_profile_help(FILE *f);
void cmd_schedule_help(FILE *f);
void cmd_run_bin_help(FILE *f);
void cmd_inference_help(FILE *f);
void cmd_merge_help(FILE *f);

/* The subcommands, in the order `ego4dfeat --help` lists them
 * (commands.c). */
typedef struct {
  const char *name;
  int (*run)(int argc, char **argv);
  void (*help)(FILE *f);
  const char *summary;
} cli_command;
extern const cli_command cli_commands[];
extern const size_t cli_n_commands;
/* The command named name, or NULL. */
const cli_command *cli_command_find(const char *name);
/* The command name nearest to a typo (edit distance at most 2, or a
 * command that starts with it), or NULL when none is near. */
const char *cli_command_suggest(const char *typo);
/* `ego4dfeat --help`: the commands and their summaries. */
void cli_usage(FILE *f);

/* `ego4dfeat help --man`: the man page ego4dfeat(1), in roff, from the
 * same texts as --help (man.c). */
void cli_print_man(FILE *f);
/* `ego4dfeat __complete WHAT ...`: words for the bash completion
 * (complete.c); returns the exit status. */
int cli_complete(int argc, char **argv);

#endif
