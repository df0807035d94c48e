/*
 * store_hdf5.c - io.out_format=hdf5, the store's gathering format: a run
 * writes each video as a .npy part (features, times, fingerprint, exactly
 * as io.out_format=npy) into <out_path>/features.h5.parts/, and merges
 * the complete parts into <out_path>/features.h5 at its end (h5file.h: a
 * new copy, renamed), then removes them. A crash loses nothing: the parts
 * stay and the next run merges them; a uid counts as done when its part
 * is complete or features.h5 holds it with this run's fingerprint
 * (store.c asks both).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/h5file.h"
#include "output/parts.h"
#include "output/store_format.h"
#include "output/write.h"
#include "output/write_internal.h"
#include "util/error.h"

#define HDF5_FILE "features.h5"
#define HDF5_PARTS "features.h5.parts"

/* "<out_path>/<name>"; caller frees. */
static char *in_out_path(const char *out_path, const char *name) {
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

/* Loads the index of <out_path>/features.h5 (empty when missing). */
static int hdf5_index_load(const char *out_path, store_index *idx) {
  memset(idx, 0, sizeof *idx);
  char *h5 = in_out_path(out_path, HDF5_FILE);
  if (!h5)
    return EF_ENOMEM;
  char **uids = NULL, **texts = NULL;
  size_t n = 0;
  int rc = h5file_index(h5, &uids, &texts, &n);
  free(h5);
  if (rc != EF_OK)
    return rc;
  /* Sorted pairs: the uid and its text side by side, then split. */
  char **pairs = malloc((n ? n : 1) * 2 * sizeof *pairs);
  if (!pairs) {
    h5file_index_free(uids, texts, n);
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

/* h5file_merge_locked, stopped before its next uid once *cancel is
 * raised (the first signal stops every phase, the merge included). */
static int merge_watching(const char *h5, const out_part *parts, size_t n,
                          const char *config_dir, int gzip,
                          const volatile int *cancel) {
  h5file_merge_watch_cancel(cancel);
  int rc = h5file_merge_locked(h5, parts, n, config_dir, gzip);
  h5file_merge_watch_cancel(NULL);
  return rc;
}

/* Merges every complete part into features.h5 and removes the merged
 * parts. */
static int hdf5_finish(const char *out_path, int gzip,
                       const volatile int *cancel) {
  char *h5 = in_out_path(out_path, HDF5_FILE);
  char *parts_dir = in_out_path(out_path, HDF5_PARTS);
  out_part *parts = NULL;
  size_t n = 0;
  int rc = h5 && parts_dir ? write_refuse_symlink(parts_dir) : EF_ENOMEM;
  /* Listed under the lock: another run's merge removes what it merged. */
  int lock = rc == EF_OK ? h5file_lock_or_fail(h5) : -1;
  if (rc == EF_OK && lock < 0)
    rc = ef_last_error_code();
  /* Another run's clean finish may have merged our parts and removed
   * the folder: nothing is left to merge. */
  if (rc == EF_OK && access(parts_dir, F_OK) != 0 && errno == ENOENT) {
    close(lock);
    free(parts_dir);
    free(h5);
    return EF_OK;
  }
  /* Unfinished parts (no features yet) are left for their writer. */
  if (rc == EF_OK && (rc = parts_scan(parts_dir, 0, &parts, &n)) == EF_OK &&
      n > 0 &&
      (rc = merge_watching(h5, parts, n, out_path, gzip, cancel)) == EF_OK) {
    /* In features.h5 now: the features go first, so that a part is never
     * complete with the other files missing. */
    for (size_t i = 0; i < n; i++) {
      unlink(parts[i].features);
      unlink(parts[i].times);
      unlink(parts[i].fp);
    }
  }
  /* A clean finish leaves no run records: an empty parts folder goes
   * (a run still writing there holds a claim file in it, so it is not
   * empty), then the lock file, removed while held. */
  if (rc == EF_OK && rmdir(parts_dir) == 0) {
    char *lp = h5file_lock_path(h5);
    if (lp)
      unlink(lp);
    free(lp);
  }
  if (lock >= 0)
    close(lock);
  parts_free(parts, n);
  free(parts_dir);
  free(h5);
  return rc;
}

/* The parts are .npy, so npy's rule holds; and /_window_times is the
 * times group (h5file.h). */
static char *hdf5_uid_problem(const char *uid, int *rc) {
  if (strcmp(uid, "_window_times") != 0)
    return write_npy_uid_problem(uid, rc);
  *rc = EF_OK;
  char *msg = strdup("invalid uid \"_window_times\": with io.out_format hdf5 "
                     "that name is the group of every uid's window times; "
                     "rename the video");
  if (!msg)
    *rc = ef_error_set(EF_ENOMEM, "out of memory");
  return msg;
}

const store_format store_format_hdf5 = {
    .ext = NULL,
    .uid_problem = hdf5_uid_problem,
    .part = EF_FORMAT_NPY,
    .file = HDF5_FILE,
    .parts_dir = HDF5_PARTS,
    .index_load = hdf5_index_load,
    .finish = hdf5_finish,
};
