/*
 * schedule_figures.c - the numbers of a plan: the reference's estimate of
 * one video, the makespan of bins run a few at a time, and the figures
 * printed before submitting (bounds, totals, the reference's own
 * estimate of the run).
 */
#include "schedule/schedule.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "schedule/binpack.h"
#include "schedule/schedule_internal.h"
#include "util/error.h"

/* ---- Estimates and figures ---------------------------------------------- */

int64_t schedule_estimate_ms(int64_t windows, int batch_size, double overhead,
                             double time_per_forward_pass) {
  int64_t b = batch_size > 0 ? batch_size : 1;
  int64_t passes = (windows + b - 1) / b;
  double ms = overhead * (double)passes * time_per_forward_pass * 1000.0;
  /* Round up, but not over float noise: 2.0 * 3 * 0.8 s is 4800 ms. */
  return (int64_t)ceil(ms - 1e-6);
}

/* A min-heap of slot end times for the makespan: each bin, in order,
 * starts on the slot that frees first, as SLURM starts array tasks. */
static void heap_sift_down(double *h, size_t n, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < n && h[l] < h[m])
      m = l;
    if (r < n && h[r] < h[m])
      m = r;
    if (m == i)
      return;
    double t = h[i];
    h[i] = h[m];
    h[m] = t;
    i = m;
  }
}

int64_t sched_makespan_ms(const int64_t *load, size_t bins, size_t slots) {
  if (bins == 0 || slots == 0)
    return 0;
  double *end = calloc(slots, sizeof *end);
  if (!end)
    return -1;
  double makespan = 0;
  for (size_t b = 0; b < bins; b++) {
    end[0] += (double)load[b];
    makespan = end[0] > makespan ? end[0] : makespan;
    heap_sift_down(end, slots, 0);
  }
  free(end);
  return (int64_t)makespan;
}

int sched_compute_figures(ef_plan *p, int64_t parallelism) {
  double *f = p->figures;
  memset(f, 0, sizeof p->figures);
  int64_t cap_ms = p->timeout_min * 60 * 1000;
  int64_t total = 0, longest = 0, oversize = 0, unknown = 0;
  int64_t *sizes = malloc((p->n_videos ? p->n_videos : 1) * sizeof *sizes);
  if (!sizes)
    return sched_nomem();
  for (size_t i = 0; i < p->n_videos; i++) {
    int64_t ms = p->videos[i].ms;
    sizes[i] = ms;
    total += ms;
    longest = ms > longest ? ms : longest;
    oversize += ms > cap_ms;
    unknown += p->videos[i].frames < 0;
  }
  f[EF_PLAN_BINS_LOWER_BOUND] =
      (double)binpack_lower_bound(sizes, p->n_videos, cap_ms);
  /* Packed again (milliseconds for 10,000 videos) rather than stored, so
   * a plan read back has the same figures. */
  binpack_result fewest;
  int rc = binpack_pack(sizes, NULL, p->n_videos, cap_ms, 0, &fewest);
  free(sizes);
  if (rc != EF_OK)
    return rc;
  f[EF_PLAN_BINS_FEWEST] = (double)fewest.n_bins;
  binpack_free(&fewest);
  size_t bins = p->n_bins;
  int64_t par = parallelism > 0 ? parallelism : 1;
  size_t slots = (size_t)par < bins ? (size_t)par : bins;
  f[EF_PLAN_VIDEOS] = (double)p->n_videos;
  f[EF_PLAN_BINS] = (double)bins;
  f[EF_PLAN_CAPACITY] = (double)cap_ms / 1000.0;
  f[EF_PLAN_TOTAL] = (double)total / 1000.0;
  f[EF_PLAN_LONGEST] = (double)longest / 1000.0;
  f[EF_PLAN_PARALLELISM] = (double)slots;
  f[EF_PLAN_OVERSIZE] = (double)oversize;
  f[EF_PLAN_UNKNOWN_LENGTH] = (double)unknown;
  if (bins == 0)
    return EF_OK;
  int64_t *load = malloc(bins * sizeof *load);
  if (!load)
    return sched_nomem();
  for (size_t b = 0; b < bins; b++)
    load[b] = p->bins[b].ms;
  int64_t makespan = sched_makespan_ms(load, bins, slots);
  free(load);
  if (makespan < 0)
    return sched_nomem();
  f[EF_PLAN_MAKESPAN] = (double)makespan / 1000.0;
  double spread = f[EF_PLAN_TOTAL] / (double)slots;
  f[EF_PLAN_MAKESPAN_LOWER_BOUND] =
      spread > f[EF_PLAN_LONGEST] ? spread : f[EF_PLAN_LONGEST];
  double n_sched = (double)((bins + slots - 1) / slots);
  f[EF_PLAN_N_SCHEDULES] = n_sched;
  f[EF_PLAN_REFERENCE_SECONDS] = n_sched * 60.0 * (double)p->timeout_min +
                                 n_sched * p->schedule_time_per_node * 60.0;
  return EF_OK;
}
