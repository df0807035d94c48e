/*
 * main.c - the ego4dfeat tool's entry point: --help, --version, `help
 * [COMMAND]`, the completion helper, and the dispatch to a subcommand
 * (commands.c holds the table).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* An unknown command: the error, with the nearest name when one is near. */
static int unknown_command(const char *name) {
  char shown[256];
  const char *near = cli_command_suggest(name);
  cli_printable(name, shown, sizeof shown);
  if (near)
    cli_error("unknown command '%s' (did you mean '%s'?); 'ego4dfeat help' "
              "lists the commands",
              shown, near);
  else
    cli_error("unknown command '%s'; 'ego4dfeat help' lists the commands",
              shown);
  return 2;
}

/* `ego4dfeat help [COMMAND]`, and `help --man` for the man page. */
static int help(int argc, char **argv) {
  if (argc == 0) {
    cli_usage(stdout);
    return 0;
  }
  if (strcmp(argv[0], "--man") == 0) {
    cli_print_man(stdout);
    return fflush(stdout) == 0 ? 0 : 1;
  }
  const cli_command *c = cli_command_find(argv[0]);
  if (!c)
    return unknown_command(argv[0]);
  c->help(stdout);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    cli_usage(stderr);
    return 2;
  }
  const char *word = argv[1];
  if (strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0)
    return help(0, NULL);
  if (strcmp(word, "--version") == 0 || strcmp(word, "-V") == 0) {
    printf("ego4dfeat %s\n", ef_version());
    return 0;
  }
  if (strcmp(word, "help") == 0)
    return help(argc - 2, argv + 2);
  if (strcmp(word, "__complete") == 0)
    return cli_complete(argc - 2, argv + 2);
  const cli_command *c = cli_command_find(word);
  if (c)
    return c->run(argc - 2, argv + 2);
  if (word[0] == '-') {
    char shown[256];
    cli_error("unknown option '%s' before the command; 'ego4dfeat help' "
              "lists the commands",
              cli_printable(word, shown, sizeof shown));
    return 2;
  }
  return unknown_command(word);
}
