/*
 * merge.h - the folder-to-HDF5 merge behind ef_merge_hdf5 and
 * ef_merge_hdf5_ex, for callers above output/ that supply the window
 * times of outputs without times files (run/api_merge_opts.c).
 */
#ifndef EF_MERGE_H
#define EF_MERGE_H

#include <stddef.h>

#include "output/parts.h"

/* Fills starts/ends/n_times/times_note of the bare parts (parts.h) among
 * parts[0..n), or leaves them without times; EF_OK or an error. */
typedef int (*merge_times_fn)(out_part *parts, size_t n, void *ctx);

/* Merges dir's outputs into h5_path (h5file.h). mode is parts_scan's;
 * fill (may be NULL) runs on the scanned parts before the merge. *merged
 * (may be NULL) gets the number of outputs merged. */
int merge_dir_hdf5(const char *dir, const char *h5_path, int mode,
                   merge_times_fn fill, void *ctx, size_t *merged);

#endif
