/*
 * api_merge.c - ef_merge_hdf5: a folder of per-video outputs (features,
 * times, fingerprints) into one HDF5 file (h5file.h); merge_dir_hdf5 for
 * the variant with options (merge.h). Formats that are not float tensors
 * (transcripts) are not merged.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "output/h5file.h"
#include "output/merge.h"
#include "output/out_sweep.h"
#include "output/store_format.h"
#include "output/write.h"
#include "util/error.h"

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a > b && strcmp(s + a - b, suffix) == 0;
}

/* How many files of dir are outputs of a per-video format that cannot be
 * merged (no .read: transcripts), and that format's entry. */
static size_t count_unmergeable(const char *dir, const store_format **which) {
  *which = NULL;
  DIR *d = opendir(dir);
  if (!d)
    return 0; /* parts_scan has said why */
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    for (int k = 0; k < EF_FORMAT_COUNT_; k++) {
      const store_format *f = store_format_of((ef_out_format)k);
      if (f->ext && !f->read && e->d_name[0] != '.' &&
          ends_with(e->d_name, f->ext)) {
        *which = f;
        n++;
      }
    }
  closedir(d);
  return n;
}

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
  const store_format *text = NULL;
  size_t texts = n == 0 ? count_unmergeable(dir, &text) : 0;
  if (n == 0 && texts > 0)
    rc = ef_error_set(EF_EINVAL,
                      "%s holds %zu transcript%s (<uid>%s) and no .pt or .npy "
                      "feature files: transcripts are text and are not "
                      "merged into HDF5 (they are the output as they are)",
                      dir, texts, texts == 1 ? "" : "s", text->ext);
  else if (n == 0)
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
