/*
 * provenance.c - fingerprint files beside outputs, the completeness and
 * provenance check of an output, and the order its files are written in
 * (see provenance.h).
 */
#include "output/provenance.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/write.h"
#include "output/write_times.h"
#include "util/error.h"
#include "util/fs.h"

#define FP_MAGIC "ego4dfeat fingerprint 1\n"
#define FP_HASH_KEY "fingerprint: "
/* A fingerprint file is a few hundred bytes; anything this big is not. */
#define FP_MAX_BYTES (64 * 1024)

char *provenance_fp_path(const char *dir, const char *uid) {
  /* write_output_path's joining, then ".npy" swapped for ".fp". */
  char *p = write_output_path(dir, uid, EF_FORMAT_NPY);
  if (!p)
    return NULL;
  size_t n = strlen(p);
  memcpy(p + n - 4, ".fp", 4);
  return p;
}

int provenance_run_text(const ef_settings *s, char **text) {
  *text = NULL;
  char hex[FINGERPRINT_HEX_LEN + 1];
  /* The mel kind computes features without a model file. */
  int has_model = s->model_path && *s->model_path &&
                  strcmp(s->model_kind, "mel_spectrogram") != 0;
  if (has_model) {
    int rc = fingerprint_file_sha256(s->model_path, hex);
    if (rc != EF_OK)
      return rc;
  }
  return fingerprint_run_text(s, has_model ? hex : NULL, text);
}

static int read_small_file(const char *path, char **out) {
  size_t n = 0;
  int rc = fs_read_all(path, FP_MAX_BYTES, out, &n);
  if (rc == -ENOENT)
    return EF_ENOTFOUND;
  if (rc == -ENOMEM)
    return ef_error_set(EF_ENOMEM, "out of memory reading %s", path);
  if (rc == 0 && memchr(*out, '\0', n)) {
    free(*out);
    *out = NULL;
    rc = -EINVAL;
  }
  if (rc == -EFBIG || rc == -EINVAL)
    return ef_error_set(EF_EINVAL, "%s: not a fingerprint file", path);
  if (rc != 0)
    return ef_error_set(EF_EIO, "cannot read %s: %s", path, strerror(-rc));
  return EF_OK;
}

int provenance_read(const char *fp_path, char **text) {
  *text = NULL;
  char *buf = NULL;
  int rc = read_small_file(fp_path, &buf);
  if (rc != EF_OK)
    return rc;
  /* The stored hash must be that of the stored text: a file edited by
   * hand, or damaged, describes nothing. */
  size_t ml = strlen(FP_MAGIC), kl = strlen(FP_HASH_KEY);
  char *hash = buf + ml, *desc = hash + kl + FINGERPRINT_HEX_LEN + 1;
  char hex[FINGERPRINT_HEX_LEN + 1];
  if (strncmp(buf, FP_MAGIC, ml) != 0 || strncmp(hash, FP_HASH_KEY, kl) != 0 ||
      strlen(hash) < kl + FINGERPRINT_HEX_LEN + 1 ||
      hash[kl + FINGERPRINT_HEX_LEN] != '\n') {
    free(buf);
    return ef_error_set(EF_EINVAL, "%s: not a fingerprint file", fp_path);
  }
  fingerprint_sha256(desc, strlen(desc), hex);
  if (memcmp(hex, hash + kl, FINGERPRINT_HEX_LEN) != 0) {
    free(buf);
    return ef_error_set(EF_EINVAL,
                        "%s: damaged fingerprint file (its hash is not that "
                        "of its text)",
                        fp_path);
  }
  memmove(buf, desc, strlen(desc) + 1);
  *text = buf;
  return EF_OK;
}

/* text without its "stereo: " line, for the scheduler's check. */
static char *drop_stereo(const char *text) {
  char *t = strdup(text);
  if (!t)
    return NULL;
  char *p = strstr(t, "stereo: ");
  if (p && (p == t || p[-1] == '\n')) {
    char *nl = strchr(p, '\n');
    memmove(p, nl ? nl + 1 : p + strlen(p), strlen(nl ? nl + 1 : "") + 1);
  }
  return t;
}

static char *printf_dup(const char *fmt, const char *a, const char *b) {
  int n = snprintf(NULL, 0, fmt, a, b);
  char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (s)
    snprintf(s, (size_t)n + 1, fmt, a, b);
  return s;
}

prov_state provenance_check(const char *out_file, ef_out_format fmt,
                            const char *times_file, const char *fp_file,
                            const char *want, int want_any_stereo, char **why) {
  *why = NULL;
  if (!write_output_complete(out_file, fmt))
    return PROV_TODO;
  char *have = NULL;
  int rc = provenance_read(fp_file, &have);
  /* Features without a fingerprint come from before fingerprints (and
   * times) were written: complete as they ever were, of unknown
   * provenance. With one, the times must be complete too. */
  if (rc == EF_OK && write_times_rows(times_file) < 0) {
    free(have);
    return PROV_TODO;
  }
  if (rc == EF_ENOTFOUND) {
    *why = printf_dup("%s has no fingerprint (%s is missing: written by an "
                      "older ego4dfeat or another tool)",
                      out_file, fp_file);
    return PROV_LEGACY;
  }
  if (rc != EF_OK) {
    *why = printf_dup("%s: %s", out_file, ef_last_error());
    ef_error_clear();
    return PROV_MISMATCH;
  }
  char *a = want_any_stereo ? drop_stereo(have) : NULL;
  char *b = want_any_stereo ? drop_stereo(want) : NULL;
  const char *x = want_any_stereo ? a : have, *y = want_any_stereo ? b : want;
  prov_state st = PROV_DONE;
  if (!x || !y || strcmp(x, y) != 0) {
    char *d = x && y ? fingerprint_diff(x, y) : NULL;
    *why = printf_dup("%s was computed with another configuration: %s",
                      out_file, d ? d : "(out of memory comparing)");
    free(d);
    st = PROV_MISMATCH;
  }
  free(a);
  free(b);
  free(have);
  return st;
}

int provenance_same_run(const char *have, const char *run) {
  char *a = drop_stereo(have), *b = drop_stereo(run);
  int same = a && b && strcmp(a, b) == 0;
  free(a);
  free(b);
  return same;
}

int provenance_write_output(const char *out_file, ef_out_format fmt,
                            const char *times_file, const char *fp_file,
                            const char *desc, const float *data,
                            const int64_t *shape, int ndim,
                            const double *starts, const double *ends) {
  store_output o = {.data = data,
                    .shape = shape,
                    .ndim = ndim,
                    .starts = starts,
                    .ends = ends,
                    .windows = shape[0]};
  return provenance_write(out_file, fmt, times_file, fp_file, desc, &o);
}

int provenance_write(const char *out_file, ef_out_format fmt,
                     const char *times_file, const char *fp_file,
                     const char *desc, const store_output *o) {
  /* Old features go first: until the new ones are renamed in, the
   * fingerprint about to be written must claim no file. */
  if (unlink(out_file) != 0 && errno != ENOENT)
    return ef_error_set(EF_EIO, "cannot replace %s: %s", out_file,
                        strerror(errno));
  char hex[FINGERPRINT_HEX_LEN + 1];
  fingerprint_sha256(desc, strlen(desc), hex);
  size_t n = strlen(FP_MAGIC) + strlen(FP_HASH_KEY) + FINGERPRINT_HEX_LEN + 1 +
             strlen(desc) + 1;
  char *fp = malloc(n);
  if (!fp)
    return ef_error_set(EF_ENOMEM, "out of memory writing %s", fp_file);
  snprintf(fp, n, "%s%s%s\n%s", FP_MAGIC, FP_HASH_KEY, hex, desc);
  int rc = write_file_atomic(fp_file, fp, strlen(fp));
  free(fp);
  if (rc == EF_OK)
    rc = write_times(times_file, o->starts, o->ends, o->windows);
  if (rc == EF_OK)
    rc = write_output(out_file, fmt, o);
  return rc;
}
