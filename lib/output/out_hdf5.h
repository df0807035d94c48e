/*
 * out_hdf5.h - io.out_format=hdf5: a run writes each video as a .npy
 * part (features, times, fingerprint, exactly as io.out_format=npy) into
 * <out_path>/features.h5.parts/, and merges the complete parts into
 * <out_path>/features.h5 at its end (write_hdf5.h: a new copy, renamed),
 * then removes them. A crash loses nothing: the parts stay and the next
 * run merges them; a uid counts as done when its part is complete or
 * features.h5 holds it with this run's fingerprint.
 */
#ifndef EF_OUT_HDF5_H
#define EF_OUT_HDF5_H

#include <stddef.h>

#define OUT_HDF5_FILE "features.h5"
#define OUT_HDF5_PARTS "features.h5.parts"

/* The uids of features.h5 and their provenance texts, sorted. */
typedef struct {
  char **uids, **texts;
  size_t n;
} out_hdf5_index;

/* Loads the index of <out_path>/features.h5 (empty when missing). */
int out_hdf5_index_load(const char *out_path, out_hdf5_index *idx);
/* The provenance text of uid ("" for a group without one), or NULL. */
const char *out_hdf5_index_find(const out_hdf5_index *idx, const char *uid);
void out_hdf5_index_free(out_hdf5_index *idx);

/* "<out_path>/<name>"; caller frees. */
char *out_hdf5_path(const char *out_path, const char *name);
/* Merges every complete part into features.h5 and removes the merged
 * parts; *merged (may be NULL) counts them. */
int out_hdf5_flush(const char *out_path, size_t *merged);

#endif
