/*
 * test_params.c - options structs that carry the caller's sizeof
 * (ef_params_init, ef_plan_options_init, ef_merge_options_init,
 * util/sized.c): the library fills
 * exactly the caller's bytes and never writes past them, so a program
 * built with an older, shorter struct is safe with a newer library.
 */
#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ego4dfeat/schedule.h"
#include "testutil.h"
#include "util/sized.h"

/* A struct as an older header had it, and as the library has it now:
 * the same fields, then one more. */
typedef struct {
  size_t size;
  int a;
  double b;
} opts_v1;
typedef struct {
  size_t size;
  int a;
  double b;
  int added; /* new in v2 */
} opts_v2;

#define GUARD 0xA5

/* A v1 struct followed by guard bytes, where a library that wrote its own
 * sizeof would spill. */
typedef struct {
  opts_v1 o;
  unsigned char guard[64];
} v1_in_memory;

static void fill_guard(v1_in_memory *m) {
  memset(m, GUARD, sizeof *m);
}

static int guard_intact(const v1_in_memory *m) {
  for (size_t i = 0; i < sizeof m->guard; i++)
    if (m->guard[i] != GUARD)
      return 0;
  return 1;
}

START_TEST(test_older_caller_gets_its_fields_and_nothing_past_them) {
  const opts_v2 defaults = {sizeof(opts_v2), 7, 2.5, 99};
  v1_in_memory m;
  fill_guard(&m);
  ck_assert_int_eq(sized_init(&m.o, sizeof m.o, sizeof(opts_v1), &defaults,
                              sizeof defaults, "opts"),
                   EF_OK);
  ck_assert_uint_eq(m.o.size, sizeof(opts_v1));
  ck_assert_int_eq(m.o.a, 7);
  ck_assert_double_eq(m.o.b, 2.5);
  ck_assert(guard_intact(&m));

  /* Read back by the newer library: the field the caller lacks keeps its
   * default, the others are the caller's. */
  m.o.a = 3;
  opts_v2 got = defaults;
  ck_assert_int_eq(sized_read(&got, sizeof got, sizeof(opts_v1), &m.o, "opts"),
                   EF_OK);
  ck_assert_int_eq(got.a, 3);
  ck_assert_int_eq(got.added, 99);
  ck_assert_uint_eq(got.size, sizeof(opts_v1));
}
END_TEST

START_TEST(test_unknown_sizes_write_nothing) {
  const opts_v2 defaults = {sizeof(opts_v2), 7, 2.5, 99};
  v1_in_memory m;
  const size_t bad[] = {0, sizeof(size_t), sizeof(opts_v1) - 1,
                        sizeof(opts_v2) + 1};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    fill_guard(&m);
    ck_assert_int_eq(sized_init(&m.o, bad[i], sizeof(opts_v1), &defaults,
                                sizeof defaults, "opts"),
                     EF_EINVAL);
    const unsigned char *bytes = (const unsigned char *)&m;
    for (size_t k = 0; k < sizeof m; k++)
      ck_assert_uint_eq(bytes[k], GUARD);
    ck_assert(strstr(ef_last_error(), "opts") != NULL);
  }
  ck_assert_int_eq(sized_init(NULL, sizeof(opts_v1), sizeof(opts_v1), &defaults,
                              sizeof defaults, "opts"),
                   EF_EINVAL);
}
END_TEST

/* The public _init functions write exactly the caller's sizeof. */
START_TEST(test_public_init_functions) {
  struct {
    ef_params p;
    unsigned char guard[64];
  } mp;
  memset(&mp, GUARD, sizeof mp);
  ck_assert_int_eq(ef_params_init(&mp.p, sizeof mp.p), EF_OK);
  ck_assert_uint_eq(mp.p.size, sizeof(ef_params));
  ck_assert(mp.p.progress == NULL);
  ck_assert_ptr_null((const void *)mp.p.cancel);
  ck_assert_int_eq(mp.p.decode_threads, 0);
  ck_assert_int_eq(mp.p.torch_threads, 0);
  for (size_t i = 0; i < sizeof mp.guard; i++)
    ck_assert_uint_eq(mp.guard[i], GUARD);
  /* A header newer than the library: refused, nothing written. */
  memset(&mp, GUARD, sizeof mp);
  ck_assert_int_eq(ef_params_init(&mp.p, sizeof mp.p + 8), EF_EINVAL);
  ck_assert_uint_eq(((const unsigned char *)&mp)[0], GUARD);
  ck_assert(strstr(ef_last_error(), "ef_params.size") != NULL);
  ck_assert_int_eq(ef_params_init(NULL, sizeof(ef_params)), EF_EINVAL);

  struct {
    ef_plan_options o;
    unsigned char guard[64];
  } mo;
  memset(&mo, GUARD, sizeof mo);
  ck_assert_int_eq(ef_plan_options_init(&mo.o, sizeof mo.o), EF_OK);
  ck_assert_uint_eq(mo.o.size, sizeof(ef_plan_options));
  ck_assert_int_eq(mo.o.strict, 0);
  ck_assert_int_eq(mo.o.parallelism, 0);
  for (size_t i = 0; i < sizeof mo.guard; i++)
    ck_assert_uint_eq(mo.guard[i], GUARD);
  ck_assert_int_eq(ef_plan_options_init(&mo.o, 0), EF_EINVAL);
  ck_assert(strstr(ef_last_error(), "ef_plan_options_init") != NULL);
}
END_TEST

/* ef_merge_options: init writes the caller's bytes only; ef_merge_hdf5_ex
 * refuses a struct of an unknown size, an unknown times mode, and times
 * from a config without one, before it touches any file. */
START_TEST(test_merge_options) {
  struct {
    ef_merge_options o;
    unsigned char guard[64];
  } mo;
  memset(&mo, GUARD, sizeof mo);
  ck_assert_int_eq(ef_merge_options_init(&mo.o, sizeof mo.o), EF_OK);
  ck_assert_uint_eq(mo.o.size, sizeof(ef_merge_options));
  ck_assert_int_eq(mo.o.times, EF_MERGE_TIMES_FILES);
  ck_assert_ptr_null(mo.o.config);
  for (size_t i = 0; i < sizeof mo.guard; i++)
    ck_assert_uint_eq(mo.guard[i], GUARD);
  /* A newer header, or a size below the first version's: nothing
   * written. */
  memset(&mo, GUARD, sizeof mo);
  ck_assert_int_eq(ef_merge_options_init(&mo.o, sizeof mo.o + 8), EF_EINVAL);
  ck_assert(strstr(ef_last_error(), "ef_merge_options.size") != NULL);
  ck_assert_int_eq(ef_merge_options_init(&mo.o, sizeof(size_t)), EF_EINVAL);
  for (size_t i = 0; i < sizeof mo; i++)
    ck_assert_uint_eq(((const unsigned char *)&mo)[i], GUARD);
  ck_assert_int_eq(ef_merge_options_init(NULL, sizeof mo.o), EF_EINVAL);

  char *dir = tu_tmpdir();
  char h5[4096];
  snprintf(h5, sizeof h5, "%s/out.h5", dir);
  size_t merged = 7;
  ef_merge_options o;
  ck_assert_int_eq(ef_merge_options_init(&o, sizeof o), EF_OK);
  o.size = 0; /* not made by ef_merge_options_init */
  ck_assert_int_eq(ef_merge_hdf5_ex(dir, h5, &o, &merged), EF_EINVAL);
  ck_assert(strstr(ef_last_error(), "ef_merge_options.size is 0") != NULL);
  ck_assert_uint_eq(merged, 0);
  o.size = sizeof o + 16;
  ck_assert_int_eq(ef_merge_hdf5_ex(dir, h5, &o, NULL), EF_EINVAL);
  ck_assert(strstr(ef_last_error(), "ef_merge_options.size is") != NULL);
  ck_assert_int_eq(ef_merge_options_init(&o, sizeof o), EF_OK);
  o.times = (ef_merge_times)99;
  ck_assert_int_eq(ef_merge_hdf5_ex(dir, h5, &o, NULL), EF_EINVAL);
  ck_assert(strstr(ef_last_error(), "unknown times mode 99") != NULL);
  o.times = EF_MERGE_TIMES_CONFIG;
  ck_assert_int_eq(ef_merge_hdf5_ex(dir, h5, &o, NULL), EF_EINVAL);
  ck_assert(strstr(ef_last_error(), "without a config") != NULL);
  /* NULL options are the defaults: an empty folder is "no outputs". */
  ck_assert_int_eq(ef_merge_hdf5_ex(dir, h5, NULL, &merged), EF_ENOTFOUND);
  ck_assert_int_eq(access(h5, F_OK), -1);
  tu_rmrf(dir);
  free(dir);
}
END_TEST

int main(void) {
  Suite *s = suite_create("params");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_older_caller_gets_its_fields_and_nothing_past_them);
  tcase_add_test(tc, test_unknown_sizes_write_nothing);
  tcase_add_test(tc, test_public_init_functions);
  tcase_add_test(tc, test_merge_options);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
