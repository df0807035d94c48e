/*
 * write_hdf5.h - one HDF5 file of many videos' features (what Ego-Exo4D
 * recommends over one file per video), read by h5py:
 *
 *   /                     attribute format = "ego4dfeat features 1"
 *   /<uid>/features       float32 [windows, ...]
 *   /<uid>/window_start   float64 [windows], seconds
 *   /<uid>/window_end     float64 [windows], seconds
 *   /<uid>                attributes fingerprint (SHA-256 hex),
 *                         provenance (the text it is the hash of) and,
 *                         when the folder has it, config (the run's YAML)
 *
 * The file is never modified in place (HDF5 has no journal; a crash in
 * the middle of a write can leave the whole file unreadable): a merge
 * builds a new file under a temporary name, copying the groups it keeps
 * (H5Ocopy, no decoding) and adding the new ones, syncs it and renames it
 * over the old one, under an fcntl lock on <dir>/.<name>.lock so that
 * merges of several processes queue instead of losing each other's uids.
 * The cost is a copy of the file per merge.
 */
#ifndef EF_WRITE_HDF5_H
#define EF_WRITE_HDF5_H

#include <stddef.h>

#include "config/settings.h"

/* One video's output files, as the per-video formats write them. */
typedef struct {
  char *uid;
  char *features; /* <uid>.pt or <uid>.npy */
  ef_out_format fmt;
  char *times; /* <uid>.times.npy */
  char *fp;    /* <uid>.fp */
} hdf5_part;

void hdf5_parts_free(hdf5_part *parts, size_t n);

/* The outputs in dir: every <uid>.pt / <uid>.npy (not .times.npy) whose
 * times and fingerprint files are complete. With strict, an output
 * without them, or a uid with both a .pt and a .npy, is EF_EINVAL naming
 * the file; without, such outputs are left out. Sorted by uid. */
int hdf5_parts_scan(const char *dir, int strict, hdf5_part **parts, size_t *n);

/* Merges parts into h5_path (created if missing), atomically: the groups
 * of the parts' uids are replaced, the others kept. config_dir holds the
 * config.yaml / config-<16 hex>.yaml a part's config attribute comes
 * from. */
int hdf5_merge(const char *h5_path, const hdf5_part *parts, size_t n,
               const char *config_dir);

/* The merge lock of h5_path: an fcntl write lock on <dir>/.<name>.lock,
 * waited for. The fd (close it to unlock; a classic POSIX lock, so one
 * per process at a time), or -1 with errno. */
int hdf5_lock(const char *h5_path);
/* The calling thread's cancel flag (NULL: none): a merge that sees it
 * raised stops before its next group with EF_ECANCELLED, removing its
 * temporary file; features.h5 and the parts stay as they were. */
void hdf5_merge_watch_cancel(const volatile int *flag);
/* hdf5_merge for a caller holding the lock. */
int hdf5_merge_locked(const char *h5_path, const hdf5_part *parts, size_t n,
                      const char *config_dir);

/* The uids of a features file and their provenance texts (caller frees
 * both arrays and their strings with hdf5_index_free). A missing file is
 * an empty index; one that is not ours is EF_EINVAL naming it. */
int hdf5_index(const char *h5_path, char ***uids, char ***texts, size_t *n);
void hdf5_index_free(char **uids, char **texts, size_t n);

#endif
