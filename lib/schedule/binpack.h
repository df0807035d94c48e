/*
 * binpack.h - packing items of known sizes (estimated seconds of videos)
 * into the fewest bins of a fixed capacity (a SLURM task's time limit).
 *
 * Sizes are integers (the scheduler uses milliseconds) so that every sum is
 * exact: "no bin over capacity" holds whatever order the loads are added
 * in, and the same input always gives the same bins.
 */
#ifndef EF_BINPACK_H
#define EF_BINPACK_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  size_t n_items;
  size_t n_bins;
  size_t n_oversize; /* items larger than the capacity, one bin each */
  /* Item indices grouped by bin: bin b holds items[first[b]] up to
   * items[first[b + 1] - 1], largest first. first has n_bins + 1 entries. */
  size_t *items;
  size_t *first;
  int64_t *load; /* per bin: the sum of its items' sizes */
} binpack_result;

enum {
  /* After packing, spread the items over the same number of bins as evenly
   * as the capacity allows (longest-processing-time first), so the fullest
   * bin ends as early as possible. */
  BINPACK_BALANCE = 1
};

/*
 * Packs n items with first-fit decreasing: items in decreasing size (ties
 * by key, then by index), each into the lowest-numbered bin it fits in.
 * FFD uses at most 11/9 OPT + 6/9 bins (Dosa 2007) and, on many small
 * items, nearly the lower bound. An item larger than the capacity gets a
 * bin of its own. keys may be NULL. Sizes must be >= 0 and the capacity
 * > 0 (EF_EINVAL otherwise). out is filled on EF_OK; free with
 * binpack_free().
 */
int binpack_pack(const int64_t *sizes, const char *const *keys, size_t n,
                 int64_t capacity, int flags, binpack_result *out);

/*
 * Spreads the items over exactly `bins` bins (fewer if there are fewer
 * items), besides one bin per oversize item (first), with longest
 * processing time first: each item, largest first, into the least loaded
 * bin. For more, shorter tasks than FFD's when tasks run in waves: with
 * B bins and P at a time, ceil(B / P) * P equal bins finish in about
 * total / P instead of ceil(B / P) full bins' time. Returns EF_OK, 1 if
 * some bin would exceed the capacity (out is then empty), or EF_EINVAL.
 */
int binpack_spread(const int64_t *sizes, const char *const *keys, size_t n,
                   int64_t capacity, size_t bins, binpack_result *out);

/* A lower bound on the bins any packing needs when oversize items are
 * alone in their bins: oversize items + ceil(sum of the others /
 * capacity). Without oversize items this is ceil(total / capacity). */
int64_t binpack_lower_bound(const int64_t *sizes, size_t n, int64_t capacity);

void binpack_free(binpack_result *r);

#endif
