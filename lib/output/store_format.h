/*
 * store_format.h - what one entry of the list of formats (store_formats.h)
 * is: how a format names, encodes, checks and reads its files, and, for a
 * format that gathers every video into one file (hdf5), how it reads that
 * file's index and merges into it. Internal to output/ (store.c is the
 * only dispatcher; the unit tests reach it too).
 */
#ifndef EF_STORE_FORMAT_H
#define EF_STORE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "config/settings.h"
#include "output/store.h"

/* What a format's encoder takes from store_output. */
typedef enum {
  STORE_TAKES_TENSOR = 0, /* data, shape, ndim */
  STORE_TAKES_WINDOWS = 1 /* per_window: `windows` items of its own type */
} store_takes;

/* The index of a gathered file: its uids and their provenance texts
 * ("" for one without), sorted by uid. */
typedef struct {
  char **uids, **texts;
  size_t n;
} store_index;

typedef struct store_format {
  /* Per-video formats: the file of uid is "<dir>/<uid><ext>". */
  const char *ext;
  store_takes takes;
  /* The whole file in memory (caller frees *bytes); `what` names it in
   * errors. */
  int (*encode)(const char *what, const store_output *o, void **bytes,
                size_t *len);
  /* 1 if path holds a complete file of this format, else 0. */
  int (*complete)(const char *path);
  /* For merge: reads a float32 tensor file back (NULL: cannot be merged). */
  int (*read)(const char *path, float **data, int64_t *shape, int *ndim);
  /* A uid whose files would collide with another's: a message (caller
   * frees), or NULL (then *rc says EF_OK or EF_ENOMEM). May be NULL. */
  char *(*uid_problem)(const char *uid, int *rc);

  /* Gathering formats: each video is written as a part of format `part`
   * in <out_path>/<parts_dir>, and the parts merge into <out_path>/<file>
   * at store_finish. ext is then NULL. */
  ef_out_format part;
  const char *file, *parts_dir;
  int (*index_load)(const char *out_path, store_index *idx);
  /* compression: the gathered file's gzip level (0: none); cancel: the
   * run's flag (may be NULL), which stops the gathering with
   * EF_ECANCELLED and leaves the parts for the next run. */
  int (*finish)(const char *out_path, int compression,
                const volatile int *cancel);
} store_format;

/* The entry of fmt, or NULL for a value outside the list. */
const store_format *store_format_of(ef_out_format fmt);

/* The provenance text of uid in idx (NULL: not there). */
const char *store_index_find(const store_index *idx, const char *uid);
void store_index_free(store_index *idx);

/* The entries, defined beside their encoders. */
#define STORE_FORMAT_DECLARE_(id, name, entry) extern const store_format entry;
STORE_FORMATS(STORE_FORMAT_DECLARE_)
#undef STORE_FORMAT_DECLARE_

#endif
