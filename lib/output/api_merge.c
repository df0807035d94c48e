/*
 * api_merge.c - ef_merge_hdf5: a folder of per-video outputs (features,
 * times, fingerprints) into one HDF5 file (h5file.h); merge_dir_hdf5 for
 * the variant with options (merge.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "output/h5file.h"
#include "output/merge.h"
#include "output/out_sweep.h"
#include "output/write.h"
#include "util/error.h"

int merge_dir_hdf5(const char *dir, const char *h5_path, int mode,
                   merge_times_fn fill, void *ctx, size_t *merged) {
  if (merged)
    *merged = 0;
  if (!dir || !h5_path || !*dir || !*h5_path)
    return ef_error_set(EF_EINVAL, "ef_merge_hdf5: no folder or file");
  struct stat st;
  if (stat(h5_path, &st) == 0 && S_ISDIR(st.st_mode))
    return ef_error_set(EF_EINVAL,
                        "%s is a directory; give the HDF5 file to write "
                        "(e.g. %s/features.h5)",
                        h5_path, h5_path);
  /* What merges killed earlier (kill -9, a crash) left beside the file:
   * temporaries of dead processes of this host (out_sweep.h). */
  char *h5_dir = write_dir_of(h5_path);
  if (!h5_dir)
    return EF_ENOMEM;
  if (out_sweep(h5_dir, NULL) != EF_OK)
    ef_error_clear(); /* the merge's own writes say what is wrong */
  free(h5_dir);
  out_part *parts = NULL;
  size_t n = 0;
  int rc = parts_scan(dir, mode, &parts, &n);
  if (rc != EF_OK)
    return rc;
  if (n == 0)
    rc = ef_error_set(EF_ENOTFOUND, "%s holds no .pt or .npy feature files",
                      dir);
  else if (fill && (rc = fill(parts, n, ctx)) != EF_OK)
    ; /* fill named the video */
  else
    rc = h5file_merge(h5_path, parts, n, dir, 0);
  if (rc == EF_OK && merged)
    *merged = n;
  parts_free(parts, n);
  return rc;
}

int ef_merge_hdf5(const char *dir, const char *h5_path, size_t *merged) {
  return merge_dir_hdf5(dir, h5_path, PARTS_STRICT, NULL, NULL, merged);
}
