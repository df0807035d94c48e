/*
 * h5file.h - one HDF5 file of many videos' features (what Ego-Exo4D
 * recommends over one file per video), read by h5py:
 *
 *   /                      attribute format = "ego4dfeat features 2"
 *   /<uid>                 float32 [windows, ...], the features, with
 *                          attributes fingerprint (SHA-256 hex),
 *                          provenance (the text it is the hash of) and,
 *                          when the folder has it, config (the run's YAML)
 *   /_window_times/<uid>   float64 [windows, 2]: start, end in seconds
 *
 * which is what Ego4D's own readers open (f[uid][0:] is the [N, D] array,
 * as their create_dataset(uid, data=features) wrote it). Datasets are
 * chunked by whole rows (about 1 MiB), gzip-compressed at the level the
 * caller gives (io.hdf5_compression). A uid "_window_times" is refused.
 * Files of the first layout ("ego4dfeat features 1": /<uid> a group of
 * features, window_start, window_end) are still indexed, and a merge
 * into one converts it.
 *
 * The file is never modified in place (HDF5 has no journal; a crash in
 * the middle of a write can leave the whole file unreadable): a merge
 * builds a new file under a temporary name, copying the uids it keeps
 * (H5Ocopy, no decoding) and adding the new ones, syncs it and renames it
 * over the old one, under an fcntl lock on <dir>/.<name>.lock so that
 * merges of several processes queue instead of losing each other's uids.
 * The cost is a copy of the file per merge.
 */
#ifndef EF_H5FILE_H
#define EF_H5FILE_H

#include <stddef.h>

#include "output/parts.h"

/* The calling thread's cancel flag (NULL: none): a merge that sees it
 * raised stops before its next uid with EF_ECANCELLED, removing its
 * temporary file; h5_path and the parts stay as they were. */
void h5file_merge_watch_cancel(const volatile int *flag);

/* Merges parts into h5_path (created if missing), atomically: the
 * datasets of the parts' uids are replaced, the others kept. config_dir
 * holds the config.yaml / config-<16 hex>.yaml a part's config attribute
 * comes from; gzip is the compression level (0: none). */
int h5file_merge(const char *h5_path, const out_part *parts, size_t n,
                 const char *config_dir, int gzip);

/* The merge lock of h5_path: an fcntl write lock on <dir>/.<name>.lock,
 * waited for. The fd (close it to unlock; a classic POSIX lock, so one
 * per process at a time), or -1 with errno. */
int h5file_lock(const char *h5_path);
/* "<dir>/.<name>.lock"; caller frees (NULL: out of memory). A holder may
 * remove it (h5file_lock then starts over on a new file). */
char *h5file_lock_path(const char *h5_path);
/* The same, with the ef_ error naming the file when it fails (a lock file
 * that is a symbolic link is refused: O_NOFOLLOW). */
int h5file_lock_or_fail(const char *h5_path);
/* h5file_merge for a caller holding the lock. */
int h5file_merge_locked(const char *h5_path, const out_part *parts, size_t n,
                        const char *config_dir, int gzip);

/* The uids of a features file and their provenance texts (caller frees
 * both arrays and their strings with h5file_index_free). A missing file is
 * an empty index; one that is not ours is EF_EINVAL naming it. */
int h5file_index(const char *h5_path, char ***uids, char ***texts, size_t *n);
void h5file_index_free(char **uids, char **texts, size_t n);

#endif
