/*
 * bench_binpack.c - how long packing takes and how close it gets to the
 * lower bound: 10,000 (or argv[1]) videos with lognormal estimated times
 * into bins of 12 hours, first-fit decreasing alone and with balancing,
 * and, for comparison, the reference's greedy packing in input order
 * (a new bin whenever the next video does not fit the current one).
 * Prints figures; asserts nothing about time.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ego4dfeat/ego4dfeat.h"
#include "schedule/binpack.h"

static uint64_t next_u64(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static double uniform(uint64_t *s) {
  return ((double)(next_u64(s) >> 11) + 1.0) / 9007199254740992.0;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Best of `reps` runs, in seconds; fills *bins and *max_load. */
static double time_pack(const int64_t *sizes, const char *const *keys, size_t n,
                        int64_t cap, int flags, int reps, size_t *bins,
                        int64_t *max_load) {
  double best = 1e30;
  for (int r = 0; r < reps; r++) {
    binpack_result res;
    double t0 = now();
    if (binpack_pack(sizes, keys, n, cap, flags, &res) != EF_OK) {
      fprintf(stderr, "bench_binpack: %s\n", ef_last_error());
      exit(1);
    }
    double t = now() - t0;
    best = t < best ? t : best;
    *bins = res.n_bins;
    *max_load = 0;
    for (size_t b = 0; b < res.n_bins; b++)
      *max_load = res.load[b] > *max_load ? res.load[b] : *max_load;
    binpack_free(&res);
  }
  return best;
}

/* The reference's packing: videos in input order, a new bin when the
 * next one does not fit the open one (next fit). */
static size_t next_fit_bins(const int64_t *sizes, size_t n, int64_t cap) {
  size_t bins = 0;
  int64_t load = 0;
  for (size_t i = 0; i < n; i++) {
    if (bins == 0 || load + sizes[i] > cap) {
      bins++;
      load = 0;
    }
    load += sizes[i];
  }
  return bins;
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 10000;
  const int64_t cap = 720LL * 60 * 1000; /* timeout_min 720, in ms */
  int64_t *sizes = malloc((n ? n : 1) * sizeof *sizes);
  char **names = malloc((n ? n : 1) * sizeof *names);
  if (!sizes || !names)
    return 1;
  uint64_t s = 2024;
  int64_t total = 0;
  for (size_t i = 0; i < n; i++) {
    /* Median 18 minutes of estimated work, sigma 1: a few videos take
     * hours, most minutes. */
    double z = sqrt(-2.0 * log(uniform(&s))) * cos(6.283185 * uniform(&s));
    double x = 18.0 * 60 * 1000 * exp(z);
    sizes[i] = (int64_t)(x < (double)cap ? x : (double)cap);
    total += sizes[i];
    names[i] = malloc(32);
    if (!names[i])
      return 1;
    snprintf(names[i], 32, "video%08zu", i);
  }
  int64_t lb = binpack_lower_bound(sizes, n, cap);
  printf("videos %zu, total %.1f h, capacity 12 h, lower bound %lld bins\n", n,
         (double)total / 3.6e6, (long long)lb);
  const char *const *keys = (const char *const *)names;
  for (int flags = 0; flags <= BINPACK_BALANCE; flags++) {
    size_t bins;
    int64_t max_load;
    double t = time_pack(sizes, keys, n, cap, flags, 5, &bins, &max_load);
    printf("%-24s %zu bins (%.2f%% over the bound), fullest bin %.2f h, "
           "%.2f ms\n",
           flags ? "first-fit decr.+balance" : "first-fit decreasing", bins,
           100.0 * ((double)bins / (double)(lb ? lb : 1) - 1.0),
           (double)max_load / 3.6e6, t * 1e3);
  }
  size_t nf = next_fit_bins(sizes, n, cap);
  printf("%-24s %zu bins (%.2f%% over the bound)\n", "reference (input order)",
         nf, 100.0 * ((double)nf / (double)(lb ? lb : 1) - 1.0));
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
  free(sizes);
  return 0;
}
