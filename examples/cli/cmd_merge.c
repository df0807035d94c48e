/*
 * cmd_merge.c - `ego4dfeat merge --out FILE.h5 DIR`: the per-video outputs
 * of an extraction folder into one HDF5 file, atomically.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

void cmd_merge_help(FILE *f) {
  fprintf(f,
          "usage: ego4dfeat merge --out FILE.h5 DIR\n\n"
          "Builds FILE.h5 from DIR's per-video outputs: every <uid>.pt or "
          "<uid>.npy with\nits <uid>.times.npy and <uid>.fp becomes dataset "
          "/<uid> (float32 [N, ...],\nattributes fingerprint, provenance, "
          "config; Ego4D's readers open f[uid][0:])\nand /_window_times/<uid> "
          "(float64 [N, 2]). uids already in FILE.h5 are kept\nunless DIR has "
          "them. The file is written under a\ntemporary name and renamed: a "
          "crash leaves the old file as it was. An output\nwithout times or "
          "fingerprint (an older version's) is an error.\nTranscripts "
          "(<uid>.transcript.jsonl) are text and are not merged.\n");
}

int cmd_merge(int argc, char **argv) {
  const char *out = NULL, *dir = NULL;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      cmd_merge_help(stdout);
      return 0;
    } else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
      out = argv[++i];
    } else if (strncmp(argv[i], "--out=", 6) == 0) {
      out = argv[i] + 6;
    } else if (argv[i][0] == '-') {
      cli_error("merge: unknown option '%s' (see ego4dfeat merge --help)",
                argv[i]);
      return 2;
    } else if (!dir) {
      dir = argv[i];
    } else {
      cli_error("merge: one folder only ('%s' and '%s')", dir, argv[i]);
      return 2;
    }
  }
  if (!out || !dir) {
    cli_error("merge: usage: ego4dfeat merge --out FILE.h5 DIR");
    return 2;
  }
  size_t n = 0;
  if (ef_merge_hdf5(dir, out, &n) != EF_OK) {
    cli_error("%s", ef_last_error());
    return 1;
  }
  printf("merged %zu output%s of %s into %s\n", n, n == 1 ? "" : "s", dir, out);
  return 0;
}
