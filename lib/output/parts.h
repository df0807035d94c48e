/*
 * parts.h - a folder of per-video outputs (features, times, fingerprint
 * files) listed as the parts a merge takes: the hdf5 format's
 * features.h5.parts/, or the folder `ego4dfeat merge` is given.
 */
#ifndef EF_PARTS_H
#define EF_PARTS_H

#include <stddef.h>
#include <stdint.h>

#include "config/settings.h"

/* One video's output files, as the per-video formats write them. */
typedef struct {
  char *uid;
  char *features; /* <uid>.pt or <uid>.npy */
  ef_out_format fmt;
  char *times; /* <uid>.times.npy */
  char *fp;    /* <uid>.fp */
  /* PARTS_BARE only: the output has no complete times or no fingerprint
   * (a released plain torch.save file). Its dataset gets fingerprint and
   * provenance "unknown" and, when the merge supplies them, the window
   * times below instead of the files'. */
  int bare;
  double *starts, *ends; /* n_times window times (owned), or NULL: none */
  int64_t n_times;
  char *times_note; /* where starts/ends came from (owned), or NULL */
} out_part;

/* What parts_scan does with an output without times or fingerprint. */
enum {
  PARTS_SKIP = 0,   /* leave it out (an unfinished part) */
  PARTS_STRICT = 1, /* EF_EINVAL naming the file */
  PARTS_BARE = 2    /* list it with bare set */
};

void parts_free(out_part *parts, size_t n);

/* The outputs in dir: every <uid>.pt / <uid>.npy (not .times.npy) whose
 * times and fingerprint files are complete; one without them is handled
 * as mode (PARTS_*) says. A uid with both a .pt and a .npy is EF_EINVAL,
 * and so is, except with PARTS_SKIP, an incomplete feature file. Sorted
 * by uid. */
int parts_scan(const char *dir, int mode, out_part **parts, size_t *n);

#endif
