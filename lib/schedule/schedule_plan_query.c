/*
 * schedule_plan_query.c - what a plan says: its folder, config and
 * figures, its bins and videos, whether a bin's outputs are complete, and
 * the config that runs one bin.
 */
#include <stdlib.h>
#include <string.h>

#include "config/config_edit.h"
#include "output/store.h"
#include "schedule/schedule_internal.h"
#include "util/error.h"

/* ---- Accessors ---------------------------------------------------------- */

const char *ef_plan_dir(const ef_plan *p) {
  return p ? p->dir : NULL;
}

const ef_config *ef_plan_config(const ef_plan *p) {
  return p ? p->cfg : NULL;
}

double ef_plan_figure_value(const ef_plan *p, ef_plan_figure f) {
  if (!p || (int)f < 0 || f >= EF_PLAN_FIGURE_COUNT_)
    return 0;
  return p->figures[f];
}

const char *ef_plan_figure_name(int figure) {
  /* In the order of ef_plan_figure. */
  static const char *const names[] = {"videos",
                                      "bins",
                                      "bins_lower_bound",
                                      "capacity",
                                      "total",
                                      "longest",
                                      "parallelism",
                                      "makespan",
                                      "makespan_lower_bound",
                                      "n_schedules",
                                      "reference_seconds",
                                      "oversize",
                                      "unknown_length",
                                      "bins_fewest"};
  _Static_assert(sizeof names / sizeof *names == EF_PLAN_FIGURE_COUNT_,
                 "one name per ef_plan_figure");
  return figure >= 0 && figure < EF_PLAN_FIGURE_COUNT_ ? names[figure] : NULL;
}

size_t ef_plan_bin_count(const ef_plan *p) {
  return p ? p->n_bins : 0;
}

const plan_bin *sched_bin_at(const ef_plan *p, size_t bin) {
  return p && bin < p->n_bins ? &p->bins[bin] : NULL;
}

const plan_video *sched_video_at(const ef_plan *p, size_t bin, size_t i) {
  const plan_bin *b = sched_bin_at(p, bin);
  return b && i < b->n ? &p->videos[b->first + i] : NULL;
}

size_t ef_plan_bin_size(const ef_plan *p, size_t bin) {
  const plan_bin *b = sched_bin_at(p, bin);
  return b ? b->n : 0;
}

double ef_plan_bin_seconds(const ef_plan *p, size_t bin) {
  const plan_bin *b = sched_bin_at(p, bin);
  return b ? (double)b->ms / 1000.0 : 0;
}

const char *ef_plan_video_uid(const ef_plan *p, size_t bin, size_t i) {
  const plan_video *v = sched_video_at(p, bin, i);
  return v ? v->uid : NULL;
}

double ef_plan_video_seconds(const ef_plan *p, size_t bin, size_t i) {
  const plan_video *v = sched_video_at(p, bin, i);
  return v ? (double)v->ms / 1000.0 : 0;
}

int64_t ef_plan_video_frames(const ef_plan *p, size_t bin, size_t i) {
  const plan_video *v = sched_video_at(p, bin, i);
  return v ? v->frames : -1;
}

/* 1 if every video of the bin is complete, 0 if not, a negative code. */
static int bin_complete(const ef_plan *p, size_t bin) {
  const plan_bin *b = sched_bin_at(p, bin);
  if (!b)
    return ef_error_set(EF_EINVAL, "ef_plan_bin_complete: no bin %zu", bin);
  int done = 1;
  for (size_t i = 0; done == 1 && i < b->n; i++) {
    store_answer a;
    /* The plan does not know which videos are stereo: that line is left
     * out of the comparison (the task checks it). */
    int rc = store_state(p->store, p->videos[b->first + i].uid,
                         STORE_STEREO_UNKNOWN, &a);
    if (rc != EF_OK)
      return rc;
    done = a.verdict == STORE_DONE ||
           (a.verdict != STORE_TODO && p->on_mismatch == EF_MISMATCH_SKIP);
    store_answer_clear(&a);
  }
  return done;
}

int ef_plan_bin_complete(const ef_plan *p, size_t bin, int *complete) {
  if (!complete)
    return ef_error_set(EF_EINVAL, "ef_plan_bin_complete: NULL argument");
  *complete = 0;
  int rc = bin_complete(p, bin);
  if (rc < 0)
    return rc;
  *complete = rc;
  return EF_OK;
}

int ef_plan_bin_config(const ef_plan *p, size_t bin, ef_config **out) {
  const plan_bin *b = sched_bin_at(p, bin);
  if (!out)
    return ef_error_set(EF_EINVAL, "ef_plan_bin_config: NULL argument");
  *out = NULL;
  if (!b)
    return ef_error_set(EF_EINVAL, "the plan has no bin %zu (it has %zu)", bin,
                        p ? p->n_bins : 0);
  ef_config *c = NULL;
  int rc = ef_config_clone(p->cfg, &c);
  if (rc != EF_OK)
    return rc;
  const char **uids = malloc((b->n ? b->n : 1) * sizeof *uids);
  if (!uids) {
    ef_config_free(c);
    return sched_nomem();
  }
  for (size_t i = 0; i < b->n; i++)
    uids[i] = p->videos[b->first + i].uid;
  /* Strings, so that a uid such as "1234" or "null" stays one. The plan
   * already chose the videos: io.video_limit must not pick a subset of the
   * bin again. */
  rc = config_put_string_list(c, "io.uid_list", uids, b->n);
  free(uids);
  if (rc == EF_OK)
    rc = config_put_plain(c, "io.video_limit", "-1");
  if (rc != EF_OK) {
    ef_config_free(c);
    return rc;
  }
  *out = c;
  return EF_OK;
}
