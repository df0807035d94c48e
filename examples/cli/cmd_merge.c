/*
 * cmd_merge.c - `ego4dfeat merge --out FILE.h5 DIR`: the per-video outputs
 * of an extraction folder into one HDF5 file, atomically; with
 * --config-name or --no-times also released outputs without times files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cmd_merge_help(FILE *f) {
  fprintf(
      f,
      "usage: ego4dfeat merge --out FILE.h5 [--no-times | --config-name NAME "
      "[--config-dir DIR]\n"
      "                       [overrides...]] DIR\n\n"
      "Builds FILE.h5 from DIR's per-video outputs: every <uid>.pt or "
      "<uid>.npy with\nits <uid>.times.npy and <uid>.fp becomes dataset "
      "/<uid> (float32 [N, ...],\nattributes fingerprint, provenance, "
      "config; Ego4D's readers open f[uid][0:])\nand /_window_times/<uid> "
      "(float64 [N, 2]). uids already in FILE.h5 are kept\nunless DIR has "
      "them. The file is written under a\ntemporary name and renamed: a "
      "crash leaves the old file as it was. An output\nwithout times or "
      "fingerprint (a released plain torch.save file, an older\nversion's) "
      "is an error unless --no-times or --config-name says where\nits "
      "times come from.\n\noptions:\n"
      "  --out FILE.h5        the HDF5 file to write (required)\n"
      "  --no-times           merge it without /_window_times/<uid>\n"
      "  --config-name NAME   compute its times from the config: each "
      "video's sampled\n"
      "                       frame count (io.video_dir_path's "
      "manifest.csv, else a\n"
      "                       probe of the video) cut into "
      "frame_window/stride windows\n"
      "                       as extraction does; a window count other than "
      "the file's\n"
      "                       rows is an error\n"
      "  --config-dir DIR     folder of configs (as for extract)\n"
      "overrides (a.b=value) change the config, e.g. "
      "io.video_dir_path=/data/videos\n\n"
      "Either way its fingerprint and provenance attributes are \"unknown\", "
      "and\nattribute window_times says \"none\" or what the times were "
      "computed from.\nTranscripts (<uid>.transcript.jsonl) are text and are "
      "not merged.\n");
}

/* An override a.b=value (or +a.b=value, ~a.b): a '=' with no '/' before
 * it, so that a folder such as ./run=2 stays the folder. */
static int is_override(const char *arg) {
  if (arg[0] == '~')
    return strchr(arg, '/') == NULL;
  const char *eq = strchr(arg, '=');
  return eq && memchr(arg, '/', (size_t)(eq - arg)) == NULL;
}

int cmd_merge(int argc, char **argv) {
  const char *out = NULL, *dir = NULL, *config_name = NULL, *config_dir = NULL;
  int no_times = 0;
  size_t n_overrides = 0;
  const char **overrides = calloc((size_t)argc + 1, sizeof *overrides);
  if (!overrides) {
    cli_error("out of memory");
    return 1;
  }
  int code = 2;
  ef_config *cfg = NULL;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      cmd_merge_help(stdout);
      code = 0;
      goto done;
    } else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
      out = argv[++i];
    } else if (strncmp(argv[i], "--out=", 6) == 0) {
      out = argv[i] + 6;
    } else if (strcmp(argv[i], "--no-times") == 0) {
      no_times = 1;
    } else if (strcmp(argv[i], "--config-name") == 0 && i + 1 < argc) {
      config_name = argv[++i];
    } else if (strncmp(argv[i], "--config-name=", 14) == 0) {
      config_name = argv[i] + 14;
    } else if (strcmp(argv[i], "--config-dir") == 0 && i + 1 < argc) {
      config_dir = argv[++i];
    } else if (strncmp(argv[i], "--config-dir=", 13) == 0) {
      config_dir = argv[i] + 13;
    } else if (argv[i][0] == '-') {
      cli_error("merge: unknown option '%s' (see ego4dfeat merge --help)",
                argv[i]);
      goto done;
    } else if (is_override(argv[i])) {
      overrides[n_overrides++] = argv[i];
    } else if (!dir) {
      dir = argv[i];
    } else {
      cli_error("merge: one folder only ('%s' and '%s')", dir, argv[i]);
      goto done;
    }
  }
  if (!out || !dir) {
    cli_error("merge: usage: ego4dfeat merge --out FILE.h5 [--no-times | "
              "--config-name NAME] DIR");
    goto done;
  }
  if (no_times && config_name) {
    cli_error("merge: --no-times and --config-name exclude each other");
    goto done;
  }
  if ((n_overrides || config_dir) && !config_name) {
    cli_error("merge: %s without --config-name",
              n_overrides ? "config overrides" : "--config-dir");
    goto done;
  }
  ef_merge_options opts;
  if (ef_merge_options_init(&opts, sizeof opts) != EF_OK) {
    cli_error("%s", ef_last_error());
    code = 1;
    goto done;
  }
  if (no_times)
    opts.times = EF_MERGE_TIMES_NONE;
  if (config_name) {
    if (ef_config_load(config_dir, config_name, &cfg) != EF_OK) {
      cli_error("%s", ef_last_error());
      goto done;
    }
    for (size_t k = 0; k < n_overrides; k++)
      if (ef_config_override(cfg, overrides[k]) != EF_OK) {
        cli_error("override '%s': %s", overrides[k], ef_last_error());
        goto done;
      }
    opts.times = EF_MERGE_TIMES_CONFIG;
    opts.config = cfg;
  }
  size_t n = 0;
  if (ef_merge_hdf5_ex(dir, out, &opts, &n) != EF_OK) {
    cli_error("%s", ef_last_error());
    code = 1;
    goto done;
  }
  printf("merged %zu output%s of %s into %s\n", n, n == 1 ? "" : "s", dir, out);
  code = 0;
done:
  ef_config_free(cfg);
  free(overrides);
  return code;
}
