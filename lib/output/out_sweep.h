/*
 * out_sweep.h - removes what dead runs left in an output folder: their
 * temporary files and their unheld claim files.
 */
#ifndef EF_OUT_SWEEP_H
#define EF_OUT_SWEEP_H

#include <stddef.h>

typedef struct {
  size_t temps;  /* stale temporary files removed */
  size_t claims; /* unheld claim files removed */
} out_sweep_counts;

/* Sweeps dir (not its subfolders). A temporary file is removed only when
 * its name is ours (tempname.h), its host is this host and its pid is not
 * a live process here; anything else (another host's, a live writer's,
 * other tools' files, symlinks) is left alone. A claim file is removed
 * only if no one holds it. Never fails the run: a folder that cannot be
 * listed is EF_EIO naming it, which the caller may ignore. */
int out_sweep(const char *dir, out_sweep_counts *counts);

#endif
