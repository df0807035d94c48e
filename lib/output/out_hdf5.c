/*
 * out_hdf5.c - the hdf5 output format of a run: parts, index, final
 * merge (see out_hdf5.h).
 */
#include "output/out_hdf5.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/write_hdf5.h"
#include "util/error.h"

char *out_hdf5_path(const char *out_path, const char *name) {
  size_t n = strlen(out_path) + strlen(name) + 2;
  char *p = malloc(n);
  if (!p) {
    ef_error_set(EF_ENOMEM, "out of memory");
    return NULL;
  }
  snprintf(p, n, "%s/%s", out_path, name);
  return p;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int out_hdf5_index_load(const char *out_path, out_hdf5_index *idx) {
  memset(idx, 0, sizeof *idx);
  char *h5 = out_hdf5_path(out_path, OUT_HDF5_FILE);
  if (!h5)
    return ef_error_set(EF_ENOMEM, "out of memory");
  char **uids = NULL, **texts = NULL;
  size_t n = 0;
  int rc = hdf5_index(h5, &uids, &texts, &n);
  free(h5);
  if (rc != EF_OK)
    return rc;
  /* Sorted pairs: the uid and its text side by side, then split. */
  char **pairs = malloc((n ? n : 1) * 2 * sizeof *pairs);
  if (!pairs) {
    hdf5_index_free(uids, texts, n);
    return ef_error_set(EF_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    pairs[2 * i] = uids[i];
    pairs[2 * i + 1] = texts[i];
  }
  qsort(pairs, n, 2 * sizeof *pairs, cmp_str);
  for (size_t i = 0; i < n; i++) {
    uids[i] = pairs[2 * i];
    texts[i] = pairs[2 * i + 1];
  }
  free(pairs);
  idx->uids = uids;
  idx->texts = texts;
  idx->n = n;
  return EF_OK;
}

const char *out_hdf5_index_find(const out_hdf5_index *idx, const char *uid) {
  size_t lo = 0, hi = idx->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int d = strcmp(idx->uids[mid], uid);
    if (d == 0)
      return idx->texts[mid];
    if (d < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

void out_hdf5_index_free(out_hdf5_index *idx) {
  hdf5_index_free(idx->uids, idx->texts, idx->n);
  memset(idx, 0, sizeof *idx);
}

int out_hdf5_flush(const char *out_path, size_t *merged) {
  if (merged)
    *merged = 0;
  char *h5 = out_hdf5_path(out_path, OUT_HDF5_FILE);
  char *parts_dir = out_hdf5_path(out_path, OUT_HDF5_PARTS);
  hdf5_part *parts = NULL;
  size_t n = 0;
  int rc = h5 && parts_dir ? EF_OK : EF_ENOMEM;
  /* Listed under the lock: another run's merge removes what it merged. */
  int lock = rc == EF_OK ? hdf5_lock(h5) : -1;
  if (rc == EF_OK && lock < 0)
    rc = ef_error_set(EF_EIO, "cannot lock %s for writing: %s", h5,
                      strerror(errno));
  /* Unfinished parts (no features yet) are left for their writer. */
  if (rc == EF_OK &&
      (rc = hdf5_parts_scan(parts_dir, 0, &parts, &n)) == EF_OK && n > 0 &&
      (rc = hdf5_merge_locked(h5, parts, n, out_path)) == EF_OK) {
    /* In features.h5 now: the features go first, so that a part is never
     * complete with the other files missing. */
    for (size_t i = 0; i < n; i++) {
      unlink(parts[i].features);
      unlink(parts[i].times);
      unlink(parts[i].fp);
    }
    if (merged)
      *merged = n;
  }
  if (lock >= 0)
    close(lock);
  hdf5_parts_free(parts, n);
  free(parts_dir);
  free(h5);
  return rc;
}
