/*
 * api_merge.c - ef_merge_hdf5: a folder of per-video outputs (features,
 * times, fingerprints) into one HDF5 file (h5file.h).
 */
#include <stdlib.h>

#include "output/h5file.h"
#include "util/error.h"

int ef_merge_hdf5(const char *dir, const char *h5_path, size_t *merged) {
  if (merged)
    *merged = 0;
  if (!dir || !h5_path || !*dir || !*h5_path)
    return ef_error_set(EF_EINVAL, "ef_merge_hdf5: no folder or file");
  out_part *parts = NULL;
  size_t n = 0;
  int rc = parts_scan(dir, 1, &parts, &n);
  if (rc != EF_OK)
    return rc;
  if (n == 0)
    rc = ef_error_set(EF_ENOTFOUND, "%s holds no .pt or .npy feature files",
                      dir);
  else
    rc = h5file_merge(h5_path, parts, n, dir, 0);
  if (rc == EF_OK && merged)
    *merged = n;
  parts_free(parts, n);
  return rc;
}
