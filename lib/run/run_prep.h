/*
 * run_prep.h - the steps of a run to files before anything is written
 * (ef_perform_feature_extraction; ef_outputs_check stops after them), and
 * the store they write through. See run_prep.c.
 */
#ifndef EF_RUN_PREP_H
#define EF_RUN_PREP_H

#include <stddef.h>

#include "config/settings.h"
#include "input/discover.h"
#include "output/store.h"

typedef struct {
  ef_settings s;  /* the config's settings */
  store *store;   /* the outputs (store.h) */
  ef_video *list; /* the run's videos */
  size_t count;
  int loaded; /* s is loaded */
} run_prep;

/* Zeroes r and loads cfg's settings into r->s. */
int run_prep_settings(const ef_config *cfg, run_prep *r);
/* Lists the videos (paths, or discovery when paths is NULL), opens the
 * store (describing the run), marks the uids it cannot hold as rejected,
 * and with io.filter_completed and io.on_mismatch=refuse fails with
 * EF_ECONFIG naming the first complete output that is not this run's.
 * Writes nothing. */
int run_prep_outputs(run_prep *r, const char *const *paths, size_t n);
/* Frees whatever the steps above made, however far they got. */
void run_prep_free(run_prep *r);

#endif
