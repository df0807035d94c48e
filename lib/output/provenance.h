/*
 * provenance.h - each output's fingerprint (fingerprint.h) on disk, and
 * the rule that decides whether a complete output is this run's.
 *
 * An output is three files in io.out_path:
 *
 *   <uid>.fp         "ego4dfeat fingerprint 1", "fingerprint: <sha256>",
 *                    then the description the hash is of
 *   <uid>.times.npy  the window times (write_times.h)
 *   <uid>.pt|.npy    the features
 *
 * written in that order, each atomically, after the old features are
 * removed: so features under their final name always have times and a
 * fingerprint that describe them, and a crash between the steps leaves
 * no features (the video is redone). An output is complete when its
 * features and times files are; features without a fingerprint file are
 * an older version's output (PROV_LEGACY, times or not).
 */
#ifndef EF_PROVENANCE_H
#define EF_PROVENANCE_H

#include <stdint.h>

#include "config/settings.h"
#include "output/fingerprint.h"
#include "output/store.h"

/* The first line of a run's config.yaml: this, then the SHA-256 of the
 * run's description (store_config.c writes it, h5file.c reads it). */
#define PROVENANCE_RUN_FP_PREFIX "# ego4dfeat run fingerprint: "

typedef enum {
  PROV_TODO = 0,     /* no complete output: compute it */
  PROV_DONE = 1,     /* complete, and this run's fingerprint */
  PROV_MISMATCH = 2, /* complete, computed with something else */
  PROV_LEGACY = 3    /* complete features, no fingerprint (older version) */
} prov_state;

/* "<dir>/<uid>.fp"; caller frees. */
char *provenance_fp_path(const char *dir, const char *uid);

/* The run text (fingerprint_run_text) of s, hashing the model file when
 * the kind has one. Caller frees *text. */
int provenance_run_text(const ef_settings *s, char **text);

/* Reads a fingerprint file: EF_ENOTFOUND if missing; EF_EINVAL naming it
 * if it is not one; else *text (caller frees) is its description. */
int provenance_read(const char *fp_path, char **text);

/* What the output at out_file (+ times_file, fp_file) is, against the
 * description `want` of this run and video. With want_any_stereo, the
 * stereo line is not compared (the scheduler does not know it). For
 * MISMATCH and LEGACY, *why (caller frees) names the file and says what
 * differs. */
prov_state provenance_check(const char *out_file, ef_out_format fmt,
                            const char *times_file, const char *fp_file,
                            const char *want, int want_any_stereo, char **why);

/* 1 if a video's text `have` is of the run text `run` (its stereo line
 * aside). */
int provenance_same_run(const char *have, const char *run);

/* Writes one output in the order above: removes out_file, writes the
 * fingerprint (text `desc`), the times, then the features. */
int provenance_write_output(const char *out_file, ef_out_format fmt,
                            const char *times_file, const char *fp_file,
                            const char *desc, const float *data,
                            const int64_t *shape, int ndim,
                            const double *starts, const double *ends);
/* The same for any format's output (store.h). */
int provenance_write(const char *out_file, ef_out_format fmt,
                     const char *times_file, const char *fp_file,
                     const char *desc, const store_output *o);

#endif
