/*
 * parts.h - a folder of per-video outputs (features, times, fingerprint
 * files) listed as the parts a merge takes: the hdf5 format's
 * features.h5.parts/, or the folder `ego4dfeat merge` is given.
 */
#ifndef EF_PARTS_H
#define EF_PARTS_H

#include <stddef.h>

#include "config/settings.h"

/* One video's output files, as the per-video formats write them. */
typedef struct {
  char *uid;
  char *features; /* <uid>.pt or <uid>.npy */
  ef_out_format fmt;
  char *times; /* <uid>.times.npy */
  char *fp;    /* <uid>.fp */
} out_part;

void parts_free(out_part *parts, size_t n);

/* The outputs in dir: every <uid>.pt / <uid>.npy (not .times.npy) whose
 * times and fingerprint files are complete. With strict, an output
 * without them, or a uid with both a .pt and a .npy, is EF_EINVAL naming
 * the file; without, such outputs are left out. Sorted by uid. */
int parts_scan(const char *dir, int strict, out_part **parts, size_t *n);

#endif
