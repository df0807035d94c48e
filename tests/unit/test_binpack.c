/*
 * test_binpack.c - unit tests of binpack.c: every item lands in exactly one
 * bin, no bin is over capacity apart from oversize items alone in theirs,
 * the same input (in any order) gives the same bins, and on random
 * heavy-tailed instances like real video lengths the bin count stays
 * within 5 % of the lower bound ceil(total / capacity). Also the balancing
 * and the spreading over a given number of bins.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ego4dfeat/ego4dfeat.h"
#include "schedule/binpack.h"

/* ---- Random instances --------------------------------------------------- */

/* splitmix64: a fixed, portable generator, so every run tests the same
 * instances. */
static uint64_t next_u64(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Uniform in (0, 1]. */
static double uniform(uint64_t *s) {
  return ((double)(next_u64(s) >> 11) + 1.0) / 9007199254740992.0;
}

static double normal(uint64_t *s) {
  return sqrt(-2.0 * log(uniform(s))) * cos(6.283185307179586 * uniform(s));
}

typedef enum { DIST_LOGNORMAL, DIST_PARETO } dist;

/* n sizes, truncated at the capacity: scale is the lognormal's median or
 * the Pareto's minimum; shape its sigma or alpha. */
static int64_t *random_sizes(size_t n, dist d, double scale, double shape,
                             int64_t capacity, uint64_t seed) {
  int64_t *v = malloc(n * sizeof *v);
  ck_assert_ptr_nonnull(v);
  uint64_t s = seed;
  for (size_t i = 0; i < n; i++) {
    double x = d == DIST_LOGNORMAL ? scale * exp(shape * normal(&s))
                                   : scale * pow(uniform(&s), -1.0 / shape);
    if (x > (double)capacity)
      x = (double)capacity;
    v[i] = (int64_t)ceil(x);
  }
  return v;
}

/* ---- Checking a packing ------------------------------------------------- */

/* Every item exactly once, loads right, capacity kept (an oversize item
 * is alone), n_oversize right, bins non-empty. */
static void check_packing(const binpack_result *r, const int64_t *sizes,
                          size_t n, int64_t capacity) {
  ck_assert_uint_eq(r->n_items, n);
  ck_assert_uint_eq(r->first[0], 0);
  ck_assert_uint_eq(r->first[r->n_bins], n);
  unsigned char *seen = calloc(n ? n : 1, 1);
  ck_assert_ptr_nonnull(seen);
  size_t oversize = 0;
  for (size_t b = 0; b < r->n_bins; b++) {
    ck_assert_uint_gt(r->first[b + 1], r->first[b]);
    int64_t load = 0;
    for (size_t k = r->first[b]; k < r->first[b + 1]; k++) {
      size_t item = r->items[k];
      ck_assert_uint_lt(item, n);
      ck_assert_msg(!seen[item], "item %zu in two bins", item);
      seen[item] = 1;
      load += sizes[item];
      if (sizes[item] > capacity) {
        oversize++;
        ck_assert_msg(r->first[b + 1] - r->first[b] == 1,
                      "oversize item %zu shares bin %zu", item, b);
      }
    }
    ck_assert_int_eq(load, r->load[b]);
    if (r->first[b + 1] - r->first[b] > 1)
      ck_assert_msg(load <= capacity, "bin %zu holds %lld > %lld", b,
                    (long long)load, (long long)capacity);
  }
  for (size_t i = 0; i < n; i++)
    ck_assert_msg(seen[i], "item %zu in no bin", i);
  ck_assert_uint_eq(oversize, r->n_oversize);
  free(seen);
}

static int same_packing(const binpack_result *a, const binpack_result *b) {
  if (a->n_bins != b->n_bins || a->n_items != b->n_items)
    return 0;
  return memcmp(a->items, b->items, a->n_items * sizeof *a->items) == 0 &&
         memcmp(a->first, b->first, (a->n_bins + 1) * sizeof *a->first) == 0;
}

/* ---- Tests -------------------------------------------------------------- */

START_TEST(test_small_example) {
  /* FFD on 8, 7, 5, 4, 3, 2, 1 into 10: {8, 2}, {7, 3}, {5, 4, 1}. */
  const int64_t sizes[] = {5, 8, 2, 7, 4, 1, 3};
  binpack_result r;
  ck_assert_int_eq(binpack_pack(sizes, NULL, 7, 10, 0, &r), EF_OK);
  check_packing(&r, sizes, 7, 10);
  ck_assert_uint_eq(r.n_bins, 3);
  ck_assert_int_eq(binpack_lower_bound(sizes, 7, 10), 3);
  ck_assert_uint_eq(r.items[r.first[0]], 1); /* 8 first */
  ck_assert_int_eq(r.load[0], 10);
  ck_assert_int_eq(r.load[1], 10);
  ck_assert_int_eq(r.load[2], 10);
  binpack_free(&r);
}
END_TEST

START_TEST(test_empty_and_bad_input) {
  binpack_result r;
  ck_assert_int_eq(binpack_pack(NULL, NULL, 0, 10, 0, &r), EF_OK);
  ck_assert_uint_eq(r.n_bins, 0);
  binpack_free(&r);
  const int64_t sizes[] = {1, -2};
  ck_assert_int_eq(binpack_pack(sizes, NULL, 2, 10, 0, &r), EF_EINVAL);
  ck_assert_ptr_null(r.items);
  ck_assert_int_eq(binpack_pack(sizes, NULL, 1, 0, 0, &r), EF_EINVAL);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "timeout_min"));
  ck_assert_int_eq(binpack_lower_bound(sizes, 1, 0), 0);
}
END_TEST

START_TEST(test_oversize_items_get_own_bins) {
  const int64_t sizes[] = {3, 25, 4, 11, 6, 10};
  binpack_result r;
  ck_assert_int_eq(binpack_pack(sizes, NULL, 6, 10, BINPACK_BALANCE, &r),
                   EF_OK);
  check_packing(&r, sizes, 6, 10);
  ck_assert_uint_eq(r.n_oversize, 2);
  /* Oversize items first, largest first: bins 0 and 1. */
  ck_assert_uint_eq(r.items[r.first[0]], 1);
  ck_assert_uint_eq(r.items[r.first[1]], 3);
  /* The other 23 need 3 bins: the lower bound is 2 + ceil(23 / 10). */
  ck_assert_uint_eq(r.n_bins, 5);
  ck_assert_int_eq(binpack_lower_bound(sizes, 6, 10), 5);
  binpack_free(&r);
}
END_TEST

START_TEST(test_zero_sizes) {
  const int64_t sizes[] = {0, 0, 10, 0};
  binpack_result r;
  ck_assert_int_eq(binpack_pack(sizes, NULL, 4, 10, BINPACK_BALANCE, &r),
                   EF_OK);
  check_packing(&r, sizes, 4, 10);
  ck_assert_uint_eq(r.n_bins, 1);
  binpack_free(&r);
}
END_TEST

START_TEST(test_deterministic_in_any_input_order) {
  /* Many equal sizes: only the tie-break by key orders them. */
  enum { N = 500 };
  int64_t sizes[N], shuffled_sizes[N];
  char names[N][16];
  const char *keys[N], *shuffled_keys[N];
  size_t perm[N];
  uint64_t s = 42;
  for (size_t i = 0; i < N; i++) {
    sizes[i] = 1 + (int64_t)(next_u64(&s) % 8) * 100;
    snprintf(names[i], sizeof names[i], "uid%04zu", (size_t)(N - 1 - i));
    keys[i] = names[i];
    perm[i] = i;
  }
  for (size_t i = N - 1; i > 0; i--) {
    size_t j = (size_t)(next_u64(&s) % (i + 1)), t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  for (size_t i = 0; i < N; i++) {
    shuffled_sizes[i] = sizes[perm[i]];
    shuffled_keys[i] = keys[perm[i]];
  }
  for (int flags = 0; flags <= BINPACK_BALANCE; flags++) {
    binpack_result a, b, c;
    ck_assert_int_eq(binpack_pack(sizes, keys, N, 2000, flags, &a), EF_OK);
    ck_assert_int_eq(binpack_pack(sizes, keys, N, 2000, flags, &b), EF_OK);
    ck_assert_int_eq(
        binpack_pack(shuffled_sizes, shuffled_keys, N, 2000, flags, &c), EF_OK);
    check_packing(&a, sizes, N, 2000);
    check_packing(&c, shuffled_sizes, N, 2000);
    ck_assert(same_packing(&a, &b));
    /* The shuffled input gives the same bins, named by key. */
    ck_assert_uint_eq(a.n_bins, c.n_bins);
    for (size_t k = 0; k < N; k++)
      ck_assert_str_eq(keys[a.items[k]], shuffled_keys[c.items[k]]);
    binpack_free(&a);
    binpack_free(&b);
    binpack_free(&c);
  }
}
END_TEST

/* The fewest bins, by trying every assignment (tiny instances only). */
static size_t opt_rec(const int64_t *sizes, size_t n, size_t i, int64_t *load,
                      size_t used, int64_t cap, size_t best) {
  if (used >= best)
    return best;
  if (i == n)
    return used;
  for (size_t b = 0; b <= used && b < n; b++) {
    if (load[b] + sizes[i] > cap)
      continue;
    load[b] += sizes[i];
    best =
        opt_rec(sizes, n, i + 1, load, b == used ? used + 1 : used, cap, best);
    load[b] -= sizes[i];
  }
  return best;
}

START_TEST(test_ffd_bound_against_optimum) {
  /* FFD <= 11/9 OPT + 6/9 (Dosa 2007) on 300 random instances of 9
   * items, and never fewer bins than the optimum. */
  uint64_t s = 7;
  size_t worse = 0;
  for (int t = 0; t < 300; t++) {
    int64_t sizes[9], load[9] = {0};
    for (int i = 0; i < 9; i++)
      sizes[i] = 1 + (int64_t)(next_u64(&s) % 60);
    binpack_result r;
    ck_assert_int_eq(binpack_pack(sizes, NULL, 9, 100, 0, &r), EF_OK);
    check_packing(&r, sizes, 9, 100);
    size_t opt = opt_rec(sizes, 9, 0, load, 0, 100, 10);
    ck_assert_uint_ge(r.n_bins, opt);
    ck_assert_msg(9 * r.n_bins <= 11 * opt + 6, "FFD %zu bins, OPT %zu",
                  r.n_bins, opt);
    worse += r.n_bins > opt;
    binpack_free(&r);
  }
  fprintf(stderr, "FFD above the optimum on %zu of 300 tiny instances\n",
          worse);
}
END_TEST

typedef struct {
  const char *name;
  dist d;
  double scale_share; /* of the capacity */
  double shape;
  size_t n;
} instance_kind;

START_TEST(test_quality_on_heavy_tailed_instances) {
  /* Video lengths are heavy-tailed: a median of minutes, a tail of hours.
   * Capacity 12 h in milliseconds, like timeout_min 720. */
  const int64_t cap = 720LL * 60 * 1000;
  const instance_kind kinds[] = {
      {"lognormal median cap/40 sigma 1.0", DIST_LOGNORMAL, 1.0 / 40, 1.0,
       3000},
      {"lognormal median cap/12 sigma 0.8", DIST_LOGNORMAL, 1.0 / 12, 0.8,
       1500},
      {"pareto min cap/200 alpha 1.2", DIST_PARETO, 1.0 / 200, 1.2, 3000},
      {"pareto min cap/50 alpha 1.5", DIST_PARETO, 1.0 / 50, 1.5, 2000},
  };
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    double worst = 0;
    for (uint64_t seed = 1; seed <= 5; seed++) {
      size_t n = kinds[k].n;
      int64_t *sizes =
          random_sizes(n, kinds[k].d, kinds[k].scale_share * (double)cap,
                       kinds[k].shape, cap, seed * 1000 + k);
      binpack_result r, bal;
      ck_assert_int_eq(binpack_pack(sizes, NULL, n, cap, 0, &r), EF_OK);
      ck_assert_int_eq(binpack_pack(sizes, NULL, n, cap, BINPACK_BALANCE, &bal),
                       EF_OK);
      check_packing(&r, sizes, n, cap);
      check_packing(&bal, sizes, n, cap);
      ck_assert_uint_eq(bal.n_bins, r.n_bins);
      int64_t lb = binpack_lower_bound(sizes, n, cap);
      double ratio = (double)r.n_bins / (double)lb;
      if (ratio > worst)
        worst = ratio;
      ck_assert_msg(100 * (int64_t)r.n_bins <= 105 * lb,
                    "%s seed %llu: %zu bins, lower bound %lld", kinds[k].name,
                    (unsigned long long)seed, r.n_bins, (long long)lb);
      /* Balancing never makes the fullest bin fuller. */
      int64_t max_r = 0, max_b = 0;
      for (size_t b = r.n_oversize; b < r.n_bins; b++) {
        max_r = r.load[b] > max_r ? r.load[b] : max_r;
        max_b = bal.load[b] > max_b ? bal.load[b] : max_b;
      }
      ck_assert_int_le(max_b, max_r);
      binpack_free(&r);
      binpack_free(&bal);
      free(sizes);
    }
    fprintf(stderr, "%s: worst bins / lower bound %.4f\n", kinds[k].name,
            worst);
  }
}
END_TEST

START_TEST(test_balance_spreads_load) {
  /* 40 items of 1..40 (820) into 230: FFD fills 3 bins and leaves the
   * rest in the 4th; balanced, every bin is within the largest item of
   * the mean. */
  int64_t sizes[40], total = 0;
  for (int i = 0; i < 40; i++)
    total += sizes[i] = i + 1;
  binpack_result ffd, bal;
  ck_assert_int_eq(binpack_pack(sizes, NULL, 40, 230, 0, &ffd), EF_OK);
  ck_assert_int_eq(binpack_pack(sizes, NULL, 40, 230, BINPACK_BALANCE, &bal),
                   EF_OK);
  check_packing(&bal, sizes, 40, 230);
  ck_assert_uint_eq(ffd.n_bins, 4);
  ck_assert_int_lt(ffd.load[3], 200);
  ck_assert_uint_eq(bal.n_bins, ffd.n_bins);
  int64_t mean = total / (int64_t)bal.n_bins;
  for (size_t b = 0; b < bal.n_bins; b++)
    ck_assert_int_le(llabs(bal.load[b] - mean), 40);
  binpack_free(&ffd);
  binpack_free(&bal);
}
END_TEST

START_TEST(test_spread_over_more_bins) {
  int64_t sizes[41];
  for (int i = 0; i < 40; i++)
    sizes[i] = i + 1;
  sizes[40] = 500; /* oversize: a bin of its own, first */
  binpack_result r;
  ck_assert_int_eq(binpack_spread(sizes, NULL, 41, 230, 8, &r), EF_OK);
  check_packing(&r, sizes, 41, 230);
  ck_assert_uint_eq(r.n_bins, 9);
  ck_assert_uint_eq(r.n_oversize, 1);
  ck_assert_uint_eq(r.items[r.first[0]], 40);
  for (size_t b = 1; b < r.n_bins; b++) /* 820 / 8 = 102.5 each */
    ck_assert_int_le(llabs(r.load[b] - 102), 40);
  binpack_free(&r);
  /* More bins than items: no empty bins. */
  ck_assert_int_eq(binpack_spread(sizes, NULL, 3, 230, 10, &r), EF_OK);
  check_packing(&r, sizes, 3, 230);
  ck_assert_uint_eq(r.n_bins, 3);
  binpack_free(&r);
  /* Too few bins for the capacity: 1, nothing allocated. */
  const int64_t big[] = {50, 50, 50};
  ck_assert_int_eq(binpack_spread(big, NULL, 3, 100, 1, &r), 1);
  ck_assert_ptr_null(r.items);
  ck_assert_int_eq(binpack_spread(big, NULL, 3, 100, 2, &r), EF_OK);
  ck_assert_uint_eq(r.n_bins, 2);
  binpack_free(&r);
}
END_TEST

int main(void) {
  Suite *s = suite_create("binpack");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_small_example);
  tcase_add_test(tc, test_empty_and_bad_input);
  tcase_add_test(tc, test_oversize_items_get_own_bins);
  tcase_add_test(tc, test_zero_sizes);
  tcase_add_test(tc, test_deterministic_in_any_input_order);
  tcase_add_test(tc, test_ffd_bound_against_optimum);
  tcase_add_test(tc, test_quality_on_heavy_tailed_instances);
  tcase_add_test(tc, test_balance_spreads_load);
  tcase_add_test(tc, test_spread_over_more_bins);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
