/*
 * binpack.c - owns the packing of estimated video times into bins:
 * first-fit decreasing in O(n log n), then an optional balancing pass.
 *
 * First fit needs "the lowest-numbered bin with room for s". A linear scan
 * costs O(n * bins), which for 10,000 short videos in a few hundred bins
 * is already millions of steps; a max-tree over the bins' free space
 * answers it in O(log n) by walking down towards the leftmost subtree
 * whose maximum is large enough. The tree has a leaf for every possible
 * bin (at most n); unopened bins are simply empty ones.
 */
#include "schedule/binpack.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

typedef struct {
  int64_t size;
  const char *key;
  size_t index;
} entry;

/* Decreasing size, then increasing key, then increasing index: a total
 * order, so the packing does not depend on qsort's (unstable) choices. */
static int cmp_entry(const void *pa, const void *pb) {
  const entry *a = pa, *b = pb;
  if (a->size != b->size)
    return a->size > b->size ? -1 : 1;
  if (a->key && b->key) {
    int c = strcmp(a->key, b->key);
    if (c)
      return c;
  }
  return (a->index > b->index) - (a->index < b->index);
}

/* ---- First fit with a max-tree ------------------------------------------ */

typedef struct {
  int64_t *node; /* node[1] is the root; leaves start at node[width] */
  size_t width;  /* a power of two >= the number of possible bins */
} fit_tree;

static int tree_init(fit_tree *t, size_t bins, int64_t capacity) {
  t->width = 1;
  while (t->width < bins)
    t->width *= 2;
  t->node = malloc(2 * t->width * sizeof *t->node);
  if (!t->node)
    return ef_error_set(EF_ENOMEM, "out of memory");
  for (size_t i = 0; i < 2 * t->width; i++)
    t->node[i] = capacity;
  return EF_OK;
}

/* The leftmost bin whose free space is >= size; the caller knows one
 * exists (an empty bin fits every item that is not oversize). */
static size_t tree_find(const fit_tree *t, int64_t size) {
  size_t i = 1;
  while (i < t->width)
    i = t->node[2 * i] >= size ? 2 * i : 2 * i + 1;
  return i - t->width;
}

static void tree_set(fit_tree *t, size_t bin, int64_t free_space) {
  size_t i = bin + t->width;
  t->node[i] = free_space;
  for (i /= 2; i >= 1; i /= 2) {
    int64_t l = t->node[2 * i], r = t->node[2 * i + 1];
    t->node[i] = l > r ? l : r;
  }
}

/* ---- Balancing ---------------------------------------------------------- */

/* A binary min-heap of bins ordered by (load, bin number): the least
 * loaded bin, and among equals the lowest-numbered, for determinism. */
typedef struct {
  size_t *bin;
  const int64_t *load;
  size_t n;
} bin_heap;

static int heap_less(const bin_heap *h, size_t a, size_t b) {
  int64_t la = h->load[h->bin[a]], lb = h->load[h->bin[b]];
  return la != lb ? la < lb : h->bin[a] < h->bin[b];
}

static void heap_swap(bin_heap *h, size_t a, size_t b) {
  size_t t = h->bin[a];
  h->bin[a] = h->bin[b];
  h->bin[b] = t;
}

static void heap_down(bin_heap *h, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < h->n && heap_less(h, l, m))
      m = l;
    if (r < h->n && heap_less(h, r, m))
      m = r;
    if (m == i)
      return;
    heap_swap(h, i, m);
    i = m;
  }
}

/*
 * Longest processing time first over the same number of regular bins:
 * each item (in decreasing order) goes to the least loaded bin. FFD fills
 * its first bins to the brim and leaves the last nearly empty; LPT gives
 * every task about total / bins, which is the same number of tasks with
 * the most headroom left against estimates that run short. If some item
 * does not fit the least loaded bin, the FFD packing is kept.
 * order[] holds the non-oversize entries; bin_of receives bins from
 * first_bin on. Returns 1 if it balanced, 0 if FFD stays, <0 on error.
 */
static int balance(const entry *order, size_t n, size_t first_bin, size_t bins,
                   int64_t capacity, size_t *bin_of) {
  if (bins == 0)
    return 0;
  int64_t *load = calloc(bins, sizeof *load);
  size_t *heap = malloc(bins * sizeof *heap);
  size_t *assign = malloc((n ? n : 1) * sizeof *assign);
  int rc = 1;
  if (!load || !heap || !assign) {
    rc = EF_ENOMEM;
    goto done;
  }
  bin_heap h = {heap, load, bins};
  for (size_t b = 0; b < bins; b++)
    heap[b] = b; /* all loads 0: already a heap in bin order */
  for (size_t i = 0; i < n; i++) {
    size_t b = heap[0];
    if (load[b] + order[i].size > capacity) {
      rc = 0;
      goto done;
    }
    load[b] += order[i].size;
    assign[i] = b;
    heap_down(&h, 0);
  }
  for (size_t i = 0; i < n; i++)
    bin_of[order[i].index] = first_bin + assign[i];
done:
  free(assign);
  free(heap);
  free(load);
  return rc;
}

/* ---- Packing ------------------------------------------------------------ */

/* Groups the items by bin (a counting sort), keeping within each bin the
 * decreasing order of `order`. */
static int collect(const entry *order, size_t n, const size_t *bin_of,
                   size_t bins, const int64_t *sizes, binpack_result *out) {
  out->items = malloc((n ? n : 1) * sizeof *out->items);
  out->first = calloc(bins + 1, sizeof *out->first);
  out->load = calloc(bins ? bins : 1, sizeof *out->load);
  if (!out->items || !out->first || !out->load)
    return ef_error_set(EF_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++)
    out->first[bin_of[i] + 1]++;
  for (size_t b = 0; b < bins; b++)
    out->first[b + 1] += out->first[b];
  size_t *fill = malloc((bins ? bins : 1) * sizeof *fill);
  if (!fill)
    return ef_error_set(EF_ENOMEM, "out of memory");
  memcpy(fill, out->first, bins * sizeof *fill);
  for (size_t i = 0; i < n; i++) {
    size_t item = order[i].index, b = bin_of[item];
    out->items[fill[b]++] = item;
    out->load[b] += sizes[item];
  }
  free(fill);
  out->n_bins = bins;
  out->n_items = n;
  return EF_OK;
}

static int check_input(const int64_t *sizes, size_t n, int64_t capacity,
                       binpack_result *out) {
  if (!out || (n && !sizes))
    return ef_error_set(EF_EINVAL, "bin packing: NULL argument");
  memset(out, 0, sizeof *out);
  if (capacity <= 0)
    return ef_error_set(EF_EINVAL,
                        "bin capacity must be positive, got %lld (check "
                        "schedule_config.timeout_min)",
                        (long long)capacity);
  for (size_t i = 0; i < n; i++)
    if (sizes[i] < 0)
      return ef_error_set(EF_EINVAL, "item %zu has a negative size %lld", i,
                          (long long)sizes[i]);
  return EF_OK;
}

/* The items in packing order (see cmp_entry); NULL when out of memory. */
static entry *sorted_entries(const int64_t *sizes, const char *const *keys,
                             size_t n) {
  entry *order = malloc((n ? n : 1) * sizeof *order);
  if (!order)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    order[i].size = sizes[i];
    order[i].key = keys ? keys[i] : NULL;
    order[i].index = i;
  }
  if (n > 1)
    qsort(order, n, sizeof *order, cmp_entry);
  return order;
}

int binpack_pack(const int64_t *sizes, const char *const *keys, size_t n,
                 int64_t capacity, int flags, binpack_result *out) {
  int rc = check_input(sizes, n, capacity, out);
  if (rc != EF_OK)
    return rc;
  entry *order = sorted_entries(sizes, keys, n);
  size_t *bin_of = malloc((n ? n : 1) * sizeof *bin_of);
  fit_tree tree = {NULL, 0};
  size_t bins = 0, oversize = 0;
  rc = EF_ENOMEM;
  if (!order || !bin_of || tree_init(&tree, n ? n : 1, capacity) != EF_OK)
    goto fail;

  for (size_t i = 0; i < n; i++) {
    int64_t s = order[i].size;
    size_t b;
    if (s > capacity) {
      /* Sorted first, so oversize items take bins 0..k-1; a free space
       * of -1 keeps everything else out of them. */
      b = bins;
      tree_set(&tree, b, -1);
      oversize++;
    } else {
      b = tree_find(&tree, s);
      tree_set(&tree, b, tree.node[tree.width + b] - s);
    }
    if (b == bins)
      bins++;
    bin_of[order[i].index] = b;
  }
  if ((flags & BINPACK_BALANCE) && bins - oversize >= 2 &&
      balance(order + oversize, n - oversize, oversize, bins - oversize,
              capacity, bin_of) < 0)
    goto fail;
  /* Every regular bin FFD opened starts with a positive item, so LPT,
   * whose first items go one to each empty bin, leaves no bin empty. */
  if (collect(order, n, bin_of, bins, sizes, out) != EF_OK)
    goto fail;
  out->n_oversize = oversize;
  rc = EF_OK;
fail:
  if (rc != EF_OK) {
    binpack_free(out);
    rc = ef_error_set(EF_ENOMEM, "bin packing: out of memory");
  }
  free(tree.node);
  free(bin_of);
  free(order);
  return rc;
}

int binpack_spread(const int64_t *sizes, const char *const *keys, size_t n,
                   int64_t capacity, size_t bins, binpack_result *out) {
  int rc = check_input(sizes, n, capacity, out);
  if (rc != EF_OK)
    return rc;
  entry *order = sorted_entries(sizes, keys, n);
  size_t *bin_of = malloc((n ? n : 1) * sizeof *bin_of);
  size_t oversize = 0;
  if (!order || !bin_of) {
    rc = ef_error_set(EF_ENOMEM, "bin packing: out of memory");
    goto done;
  }
  while (oversize < n && order[oversize].size > capacity) {
    bin_of[order[oversize].index] = oversize;
    oversize++;
  }
  size_t regular = n - oversize;
  if (bins > regular)
    bins = regular; /* an empty bin would be a task with nothing to do */
  if (regular > 0) {
    rc = balance(order + oversize, regular, oversize, bins, capacity, bin_of);
    if (rc <= 0) {
      rc = rc < 0 ? ef_error_set(EF_ENOMEM, "bin packing: out of memory") : 1;
      goto done;
    }
  }
  rc = collect(order, n, bin_of, oversize + bins, sizes, out);
  if (rc != EF_OK) {
    binpack_free(out);
    rc = ef_error_set(EF_ENOMEM, "bin packing: out of memory");
  } else {
    out->n_oversize = oversize;
  }
done:
  free(bin_of);
  free(order);
  return rc;
}

int64_t binpack_lower_bound(const int64_t *sizes, size_t n, int64_t capacity) {
  if (capacity <= 0)
    return 0;
  int64_t oversize = 0, rest = 0;
  for (size_t i = 0; i < n; i++) {
    if (sizes[i] > capacity)
      oversize++;
    else
      rest += sizes[i];
  }
  return oversize + rest / capacity + (rest % capacity != 0);
}

void binpack_free(binpack_result *r) {
  if (!r)
    return;
  free(r->items);
  free(r->first);
  free(r->load);
  memset(r, 0, sizeof *r);
}
