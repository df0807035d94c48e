/*
 * parts.c - lists a folder's complete per-video outputs (see parts.h).
 */
#include "output/parts.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output/provenance.h"
#include "output/store_format.h"
#include "output/write.h"
#include "output/write_times.h"
#include "util/error.h"

void parts_free(out_part *parts, size_t n) {
  for (size_t i = 0; parts && i < n; i++) {
    free(parts[i].uid);
    free(parts[i].features);
    free(parts[i].times);
    free(parts[i].fp);
    free(parts[i].starts);
    free(parts[i].ends);
    free(parts[i].times_note);
  }
  free(parts);
}

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a > b && strcmp(s + a - b, suffix) == 0;
}

static int cmp_part(const void *a, const void *b) {
  return strcmp(((const out_part *)a)->uid, ((const out_part *)b)->uid);
}

int parts_scan(const char *dir, int mode, out_part **out, size_t *count) {
  *out = NULL;
  *count = 0;
  DIR *d = opendir(dir);
  if (!d)
    return ef_error_set(EF_EIO, "cannot list %s: %s", dir, strerror(errno));
  out_part *parts = NULL;
  size_t n = 0, cap = 0;
  int rc = EF_OK;
  struct dirent *e;
  while (rc == EF_OK && (e = readdir(d))) {
    const char *name = e->d_name;
    /* .times.npy are times. A uid may start with a dot (".x.mp4"):
     * temporary and claim files never end in a format's extension
     * (tempname.h: ".<name>.tmp.<host>.<pid>.<hex>"; claim.h: ".claim"),
     * so they fall out below without skipping every dotfile. */
    if (ends_with(name, ".times.npy"))
      continue;
    /* Every format that can be read back (store_format.h). */
    ef_out_format fmt = EF_FORMAT_COUNT_;
    size_t stem = 0;
    for (int k = 0; k < EF_FORMAT_COUNT_ && fmt == EF_FORMAT_COUNT_; k++) {
      const store_format *f = store_format_of((ef_out_format)k);
      if (f->ext && f->read && ends_with(name, f->ext)) {
        fmt = (ef_out_format)k;
        stem = strlen(name) - strlen(f->ext);
      }
    }
    if (fmt == EF_FORMAT_COUNT_)
      continue;
    if (n == cap) {
      size_t nc = cap ? cap * 2 : 64;
      out_part *np = realloc(parts, nc * sizeof *np);
      if (!np) {
        rc = ef_error_set(EF_ENOMEM, "out of memory listing %s", dir);
        break;
      }
      parts = np;
      cap = nc;
    }
    out_part *p = &parts[n];
    memset(p, 0, sizeof *p);
    p->fmt = fmt;
    p->uid = strndup(name, stem);
    p->features = p->uid ? write_output_path(dir, p->uid, fmt) : NULL;
    p->times = p->uid ? write_times_path(dir, p->uid) : NULL;
    p->fp = p->uid ? provenance_fp_path(dir, p->uid) : NULL;
    n++;
    if (!p->features || !p->times || !p->fp) {
      rc = ef_error_set(EF_ENOMEM, "out of memory listing %s", dir);
      break;
    }
    char *text = NULL;
    int complete = write_output_complete(p->features, fmt);
    int has_times = complete && write_times_rows(p->times) > 0;
    int frc = has_times ? provenance_read(p->fp, &text) : EF_ENOTFOUND;
    free(text);
    if (frc == EF_OK)
      continue;
    if (mode == PARTS_BARE && complete && (frc == EF_ENOTFOUND || !has_times)) {
      ef_error_clear();
      p->bare = 1;
      continue;
    }
    if (mode != PARTS_SKIP) {
      if (!complete)
        rc = ef_error_set(EF_EINVAL, "%s: not a complete feature file",
                          p->features);
      else if (!has_times)
        rc = ef_error_set(EF_EINVAL,
                          "%s has no complete window times (%s): a released "
                          "or older file? Merge it with times from its config "
                          "(ego4dfeat merge --config-name NAME) or without "
                          "(--no-times), or extract it again",
                          p->features, p->times);
      else if (frc == EF_ENOTFOUND)
        rc = ef_error_set(EF_EINVAL,
                          "%s has no fingerprint (%s): written by an older "
                          "ego4dfeat? Extract it again",
                          p->features, p->fp);
      else
        rc = frc; /* provenance_read named the file */
      break;
    }
    ef_error_clear();
    n--; /* an unfinished part: left for its writer, or a rerun */
    free(p->uid);
    free(p->features);
    free(p->times);
    free(p->fp);
  }
  closedir(d);
  if (rc == EF_OK && n > 1) {
    qsort(parts, n, sizeof *parts, cmp_part);
    for (size_t i = 1; i < n; i++)
      if (strcmp(parts[i].uid, parts[i - 1].uid) == 0) {
        rc = ef_error_set(
            EF_EINVAL, "%s and %s: two outputs of uid \"%s\"; remove one",
            parts[i - 1].features, parts[i].features, parts[i].uid);
        break;
      }
  }
  if (rc != EF_OK) {
    parts_free(parts, n);
    return rc;
  }
  *out = parts;
  *count = n;
  return EF_OK;
}
