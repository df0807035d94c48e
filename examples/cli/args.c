/*
 * args.c - the options every subcommand shares, in the reference's Hydra
 * style: --config-name NAME, --config-dir DIR, then overrides a.b=value.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util/fs.h"
#include "util/utf8.h"

const char *cli_common_help =
    "  --config-name NAME   config to load (configs/NAME.yaml)\n"
    "  --config-dir DIR     folder of configs (default: $EGO4DFEAT_CONFIG_DIR,"
    " ./configs,\n"
    "                       then the installed ones)\n"
    "  --threads N          inference threads (default: all cores)\n"
    "  --quiet              only errors and the final summary\n"
    "  --cfg job, --info    print the resolved config (YAML) and exit\n"
    "  -h, --help           this help\n"
    "overrides (Hydra syntax): a.b=value  +a.b=value (add)  ~a.b (delete)\n"
    "  e.g. io.uid_list=[a,b] inference_config.batch_size=4 "
    "io.out_format=npy\n"
    "  hydra.* settings are ignored (with a warning); -m/--multirun is not "
    "supported\n";

void cli_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("ego4dfeat: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* Value of "--opt VALUE" or "--opt=VALUE"; advances *i. NULL if argv[*i]
 * is not this option. */
static const char *option_value(int argc, char **argv, int *i, const char *opt,
                                int *missing) {
  size_t n = strlen(opt);
  if (strncmp(argv[*i], opt, n) != 0)
    return NULL;
  if (argv[*i][n] == '=')
    return argv[*i] + n + 1;
  if (argv[*i][n] != '\0')
    return NULL;
  if (*i + 1 >= argc) {
    *missing = 1;
    return NULL;
  }
  return argv[++*i];
}

/* An override of Hydra's own settings (hydra.run.dir=..., +hydra/...,
 * ~hydra.job): there is no Hydra here, so it would do nothing. */
static int is_hydra_override(const char *arg) {
  arg += strspn(arg, "+~");
  return strncmp(arg, "hydra", 5) == 0 &&
         (arg[5] == '.' || arg[5] == '/' || arg[5] == '=' || !arg[5]);
}

/* --cfg's value: job and all print the job's config; hydra has none. */
static int cfg_option(const char *v, cli_args *a) {
  if (strcmp(v, "job") == 0 || strcmp(v, "all") == 0) {
    a->print_config = 1;
    return 0;
  }
  if (strcmp(v, "hydra") == 0)
    cli_error("--cfg hydra: there is no Hydra config here (its settings are "
              "ignored); --cfg job prints the resolved config");
  else
    cli_error("--cfg '%s': expected job (or all)", v);
  return 2;
}

int cli_parse(int argc, char **argv, cli_args *a) {
  memset(a, 0, sizeof *a);
  a->overrides = calloc((size_t)argc + 1, sizeof *a->overrides);
  a->paths = calloc((size_t)argc + 1, sizeof *a->paths);
  if (!a->overrides || !a->paths) {
    cli_error("out of memory");
    return 2;
  }
  for (int i = 0; i < argc; i++) {
    int missing = 0;
    const char *v;
    if (strcmp(argv[i], "--") == 0) {
      /* Everything after a lone "--" is a video path, even one that looks
       * like an option or an override. */
      while (++i < argc)
        a->paths[a->n_paths++] = argv[i];
      break;
    }
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
      a->help = 1;
    else if (strcmp(argv[i], "--quiet") == 0)
      a->quiet = 1;
    else if (strcmp(argv[i], "--info") == 0)
      a->print_config = 1;
    else if (strcmp(argv[i], "-m") == 0 || strcmp(argv[i], "--multirun") == 0) {
      cli_error("%s: Hydra's multirun (a sweep over comma-separated values) "
                "is not supported; run one command per setting",
                argv[i]);
      return 2;
    } else if ((v = option_value(argc, argv, &i, "--cfg", &missing)) ||
               (v = option_value(argc, argv, &i, "-c", &missing))) {
      if (cfg_option(v, a) != 0)
        return 2;
    } else if (!missing && is_hydra_override(argv[i]))
      fprintf(stderr,
              "ego4dfeat: warning: ignoring '%s': Hydra's own settings "
              "(hydra.*) have no effect here\n",
              argv[i]);
    else if ((v = option_value(argc, argv, &i, "--config-name", &missing)))
      a->config_name = v;
    else if ((v = option_value(argc, argv, &i, "--config-dir", &missing)) ||
             (v = option_value(argc, argv, &i, "--config-path", &missing)))
      a->config_dir = v;
    else if ((v = option_value(argc, argv, &i, "--threads", &missing)))
      a->threads = atoi(v);
    else if (missing) {
      cli_error("%s needs a value", argv[i]);
      return 2;
    } else if (strncmp(argv[i], "--", 2) == 0) {
      cli_error("unknown option '%s' (see --help)", argv[i]);
      return 2;
    } else
      a->overrides[a->n_overrides++] = argv[i];
    if (missing) {
      cli_error("%s needs a value", argv[i]);
      return 2;
    }
  }
  return 0;
}

void cli_args_free(cli_args *a) {
  free(a->overrides);
  free(a->paths);
  a->overrides = NULL;
  a->paths = NULL;
}

int cli_load_config(const cli_args *a, ef_config **out) {
  *out = NULL;
  if (a->n_paths && !a->accept_paths) {
    cli_error("video paths after '--' are taken by 'extract' only");
    return 2;
  }
  if (!a->config_name) {
    cli_error("--config-name is required (see --help)");
    return 2;
  }
  ef_config *cfg;
  if (ef_config_load(a->config_dir, a->config_name, &cfg) != EF_OK) {
    cli_error("%s", ef_last_error());
    return 2;
  }
  for (size_t i = 0; i < a->n_overrides; i++) {
    if (ef_config_override(cfg, a->overrides[i]) != EF_OK) {
      cli_error("override '%s': %s", a->overrides[i], ef_last_error());
      ef_config_free(cfg);
      return 2;
    }
  }
  *out = cfg;
  return 0;
}

int cli_print_config(const cli_args *a, const ef_config *cfg, int *exit_code) {
  char *yaml = NULL;
  if (!a->print_config)
    return 0;
  *exit_code = 0;
  if (ef_config_dump(cfg, &yaml) != EF_OK) {
    cli_error("%s", ef_last_error());
    *exit_code = 1;
    return 1;
  }
  fputs(yaml, stdout);
  ef_free(yaml);
  return 1;
}

const char *cli_count(long long n, const char *one, const char *many, char *buf,
                      size_t size) {
  snprintf(buf, size, "%lld %s", n, n == 1 ? one : many);
  return buf;
}

char *cli_read_file(const char *path) {
  char *text = NULL;
  int rc = fs_read_all(path, SIZE_MAX, &text, NULL);
  if (rc < 0)
    errno = -rc;
  return text;
}

const char *cli_printable(const char *s, char *buf, size_t n) {
  size_t w = 0;
  const unsigned char *u = (const unsigned char *)(s ? s : "");
  while (*u && w + 9 < n) {
    unsigned long cp = *u;
    size_t len = *u < 0x80 ? 1 : utf8_at(u, &cp);
    /* Control characters (C1 ones too, e.g. U+0085, a line break to
     * some terminals) and bytes that are not UTF-8, as their bytes. */
    if (len == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
      for (size_t i = 0; i < (len ? len : 1); i++)
        w += (size_t)snprintf(buf + w, n - w, "\\x%02x", u[i]);
    } else {
      memcpy(buf + w, u, len);
      w += len;
    }
    u += len ? len : 1;
  }
  buf[w] = '\0';
  return buf;
}

static volatile int cancel_flag;
static volatile sig_atomic_t cancel_signal;

static void on_signal(int sig) {
  cancel_signal = sig;
  cancel_flag = 1;
}

const volatile int *cli_cancel_on_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  /* SA_RESETHAND: the first signal stops the run cleanly; a second one
   * of the same kind kills at once, for a user who will not wait (what
   * it leaves is only temporary files, swept by the next run). */
  sa.sa_flags = SA_RESTART | SA_RESETHAND;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  return &cancel_flag;
}

void cli_cancel_on_signal_always(int sig) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(sig, &sa, NULL);
}

int cli_cancel_exit_code(void) {
  return cancel_signal ? 128 + (int)cancel_signal : 0;
}
