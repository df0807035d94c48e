/*
 * store_config.c - the run's record in its output folder, config.yaml
 * (store_write_config, store.h).
 *
 * config.yaml describes the outputs in its folder, so it is only
 * rewritten by a run of the same fingerprint (the SHA-256 of the run's
 * description, in its first line): a run of another one writes
 * config-<first 16 hex digits>.yaml instead, and a config.yaml without a
 * fingerprint (an older version's) is kept the same way. That other file
 * describes what this run computes, so it is only written once the run
 * has computed something: with defer set, *deferred says it is due.
 * Once every output in the folder is this run's, config.yaml itself is
 * rewritten (the other run's outputs are gone), beside the
 * config-<hex>.yaml written before.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/fingerprint.h"
#include "output/provenance.h"
#include "output/store.h"
#include "output/write.h"
#include "util/error.h"

/* The first line of a file (up to 255 bytes) into buf; 0 if it exists. */
static int first_line(const char *path, char *buf, size_t n) {
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  if (!fgets(buf, (int)n, f))
    buf[0] = '\0';
  fclose(f);
  buf[strcspn(buf, "\n")] = '\0';
  return 0;
}

/* The config file text: the fingerprint line, the description as YAML
 * comments (a reader sees what the hash is of, and YAML parsers skip
 * it), then the config. Caller frees; NULL when out of memory. */
static char *record_text(const char *hex, const char *run_text,
                         const char *yaml) {
  size_t tlen = strlen(yaml) + 2 * strlen(run_text) + 512;
  char *text = malloc(tlen);
  if (!text)
    return NULL;
  size_t at =
      (size_t)snprintf(text, tlen,
                       PROVENANCE_RUN_FP_PREFIX "%s\n# (the SHA-256 of these "
                                                "lines; each <uid>.fp adds the "
                                                "video's stereo line)\n",
                       hex);
  for (const char *p = run_text; *p;) {
    const char *nl = strchr(p, '\n');
    size_t l = nl ? (size_t)(nl - p) : strlen(p);
    at += (size_t)snprintf(text + at, tlen - at, "#   %.*s\n", (int)l, p);
    p += l + (nl ? 1 : 0);
  }
  snprintf(text + at, tlen - at, "%s", yaml);
  return text;
}

static int write_config(const store *st, const ef_config *cfg, int defer,
                        int *deferred, int take_over) {
  const char *out_path = store_out_path(st), *run_text = store_run_text(st);
  char *yaml = NULL, *path = NULL, *text = NULL;
  char hex[FINGERPRINT_HEX_LEN + 1] = "";
  char line[256];
  const size_t plen = strlen(PROVENANCE_RUN_FP_PREFIX);
  int rc = ef_config_dump(cfg, &yaml);
  if (rc != EF_OK)
    return rc;
  size_t len = strlen(out_path) + sizeof "/config-0123456789abcdef.yaml";
  if (!(path = malloc(len))) {
    rc = ef_error_set(EF_ENOMEM, "out of memory");
    goto cleanup;
  }
  snprintf(path, len, "%s/config.yaml", out_path);
  if (!run_text) { /* debug mode: no features, nothing to describe */
    if (first_line(path, line, sizeof line) != 0)
      rc = write_file_atomic(path, yaml, strlen(yaml));
    goto cleanup;
  }
  fingerprint_sha256(run_text, strlen(run_text), hex);
  if (first_line(path, line, sizeof line) == 0 &&
      (strncmp(line, PROVENANCE_RUN_FP_PREFIX, plen) != 0 ||
       strcmp(line + plen, hex) != 0)) {
    if (defer) {
      *deferred = 1;
      goto cleanup;
    }
    /* After io.on_mismatch=redo has replaced every output, config.yaml
     * would describe nothing left in the folder: it becomes this run's. */
    if (!take_over)
      snprintf(path, len, "%s/config-%.16s.yaml", out_path, hex);
  }
  if (!(text = record_text(hex, run_text, yaml)))
    rc = ef_error_set(EF_ENOMEM, "out of memory");
  else
    rc = write_file_atomic(path, text, strlen(text));
cleanup:
  free(text);
  free(path);
  free(yaml);
  return rc;
}

int store_write_config(const store *st, const ef_config *cfg, int defer,
                       int *deferred) {
  return write_config(st, cfg, defer, deferred, 0);
}

int store_config_take_over(const store *st, const ef_config *cfg) {
  if (!store_all_match(st))
    return EF_OK;
  return write_config(st, cfg, 0, NULL, 1);
}
