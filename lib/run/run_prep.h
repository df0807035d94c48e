/*
 * run_prep.h - the steps of a run to files before anything is written
 * (ef_perform_feature_extraction; ef_outputs_check stops after them), and
 * the run's config.yaml. See run_prep.c.
 */
#ifndef EF_RUN_PREP_H
#define EF_RUN_PREP_H

#include <stddef.h>

#include "config/settings.h"
#include "input/discover.h"
#include "output/out_hdf5.h"

/* Each video's output files and fingerprint text. */
typedef struct {
  char *out_file, *times_file, *fp_file, *fp_text;
  char *skip; /* hdf5: skip it, with this note ("" none); else NULL */
} video_outputs;

typedef struct {
  ef_settings s;  /* the config's settings */
  ef_settings ps; /* the pipeline's: for hdf5, .npy parts in parts_dir
                     (shares s's strings) */
  char *parts_dir;
  out_hdf5_index idx; /* hdf5: what features.h5 already holds */
  int has_idx;
  ef_video *list; /* the run's videos, outs[i] for list[i] */
  size_t count;
  video_outputs *outs;
  char *run_text; /* the run's description (provenance.h); NULL in debug
                     mode, which writes no features */
  int loaded;     /* s is loaded */
} run_prep;

/* Zeroes r and loads cfg's settings into r->s. */
int run_prep_settings(const ef_config *cfg, run_prep *r);
/* Lists the videos (paths, or discovery when paths is NULL), describes the
 * run, names each video's outputs, and with io.filter_completed and
 * io.on_mismatch=refuse fails with EF_ECONFIG naming the first complete
 * output that is not this run's. Writes nothing. */
int run_prep_outputs(run_prep *r, const char *const *paths, size_t n);
/* Frees whatever the steps above made, however far they got. */
void run_prep_free(run_prep *r);

/* Writes <out_path>/config.yaml, or config-<16 hex>.yaml when a run of
 * another fingerprint owns config.yaml (see run_prep.c); with defer set
 * that second case is only noted in *deferred, to be written once the
 * run has computed something. */
int write_run_config(const ef_config *cfg, const char *out_path,
                     const char *run_text, int defer, int *deferred);

#endif
