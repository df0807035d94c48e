/*
 * man.c - the man page ego4dfeat(1), written by `ego4dfeat help --man`
 * (the build runs it): one section per subcommand holding that command's
 * --help text as it prints it, so the page and --help cannot disagree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* text as roff lines of a no-fill block: backslashes escaped, hyphens as
 * minus signs (options are typed as ASCII '-'), and a line that starts
 * with '.' or '\'' kept from being read as a request. */
static void roff_text(FILE *f, const char *text) {
  int line_start = 1;
  for (const char *c = text; *c; c++) {
    if (line_start && (*c == '.' || *c == '\''))
      fputs("\\&", f);
    line_start = *c == '\n';
    if (*c == '\\')
      fputs("\\e", f);
    else if (*c == '-')
      fputs("\\-", f);
    else
      fputc(*c, f);
  }
  if (!line_start)
    fputc('\n', f);
}

/* What help(f) writes, in a new string (caller frees); NULL when out of
 * memory. */
static char *help_text(void (*help)(FILE *f)) {
  char *text = NULL;
  size_t size = 0;
  FILE *mem = open_memstream(&text, &size);
  if (!mem)
    return NULL;
  help(mem);
  if (fclose(mem) != 0) {
    free(text);
    return NULL;
  }
  return text;
}

static void upper(const char *s, char *buf, size_t n) {
  size_t i = 0;
  for (; s[i] && i + 1 < n; i++)
    buf[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 'a' + 'A' : s[i]);
  buf[i] = '\0';
}

void cli_print_man(FILE *f) {
  fprintf(f,
          ".\\\" ego4dfeat(1): written by 'ego4dfeat help --man' from "
          "the commands' --help texts.\n"
          ".TH EGO4DFEAT 1 \"\" \"ego4dfeat %s\" \"User Commands\"\n"
          ".SH NAME\n"
          "ego4dfeat \\- extract Ego4D model features from videos\n"
          ".SH SYNOPSIS\n.nf\n",
          ef_version());
  for (size_t i = 0; i < cli_n_commands; i++)
    fprintf(f, "\\fBego4dfeat %s\\fR ...\n", cli_commands[i].name);
  fputs("\\fBego4dfeat help\\fR [\\fICOMMAND\\fR]\n"
        "\\fBego4dfeat \\-\\-version\\fR\n.fi\n"
        ".SH DESCRIPTION\n"
        "A C library and command\\-line tool that turns folders of "
        "egocentric videos into\nmodel features, the same features the "
        "Ego4D reference pipeline produces for the\nsame TorchScript "
        "weights. Configs are the reference's Hydra YAML files; "
        "overrides\nuse Hydra's syntax. The commands:\n.PP\n.nf\n",
        f);
  for (size_t i = 0; i < cli_n_commands; i++)
    fprintf(f, "%-10s %s\n", cli_commands[i].name, cli_commands[i].summary);
  fputs(".fi\n", f);
  for (size_t i = 0; i < cli_n_commands; i++) {
    char title[64];
    char *text = help_text(cli_commands[i].help);
    upper(cli_commands[i].name, title, sizeof title);
    fprintf(f, ".SH \"%s\"\n.nf\n", title);
    roff_text(f, text ? text : "(out of memory)\n");
    fputs(".fi\n", f);
    free(text);
  }
  fputs(".SH \"EXIT STATUS\"\n"
        "0 on success; 1 when a video failed; 2 on a usage or config "
        "error; 130 or 143\nwhen SIGINT or SIGTERM stopped the run.\n"
        ".SH ENVIRONMENT\n"
        ".TP\n.B EGO4DFEAT_CONFIG_DIR\n"
        "a folder of configs, looked in after \\-\\-config\\-dir and before "
        "./configs and the\ninstalled ones.\n"
        ".TP\n.B EGO4DFEAT_FFMPEG_LOG=1\n"
        "lets FFmpeg print its own log lines.\n"
        ".SH \"SEE ALSO\"\n"
        "\\fBego4dfeat\\-export\\fR \\-\\-help (writes the TorchScript "
        "models and their configs)\n",
        f);
}
