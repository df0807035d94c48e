/*
 * test_window.c - window count and placement against the rules of
 * docs/semantics.md ("Windows") and a brute-force enumeration of them.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "window/window.h"

START_TEST(test_reference_example_39_frames) {
  /* docs/semantics.md, "Windows": 39 frames, W 32, S 16 -> [0, 32) and
   * [7, 39). */
  int64_t first;
  ck_assert_int_eq(window_count(39, 32, 16), 2);
  window_bounds(0, 39, 32, 16, &first);
  ck_assert_int_eq(first, 0);
  window_bounds(1, 39, 32, 16, &first);
  ck_assert_int_eq(first, 7);
}
END_TEST

START_TEST(test_exact_fit_has_no_extra_window) {
  /* 48 frames: N = 16, 16 % 16 == 0 -> windows at 0 and 16 only. */
  int64_t first;
  ck_assert_int_eq(window_count(48, 32, 16), 2);
  window_bounds(1, 48, 32, 16, &first);
  ck_assert_int_eq(first, 16);
  ck_assert_int_eq(window_count(32, 32, 16), 1);
}
END_TEST

START_TEST(test_short_video_is_one_window) {
  int64_t first;
  ck_assert_int_eq(window_count(10, 32, 16), 1);
  window_bounds(0, 10, 32, 16, &first);
  ck_assert_int_eq(first, 0);
  ck_assert_int_eq(window_count(1, 32, 16), 1);
}
END_TEST

START_TEST(test_image_windows) {
  /* One-frame windows every 5 frames: 0, 5, 10 and the last frame 11. */
  int64_t first;
  ck_assert_int_eq(window_count(12, 1, 5), 4);
  window_bounds(3, 12, 1, 5, &first);
  ck_assert_int_eq(first, 11);
  ck_assert_int_eq(window_count(11, 1, 5), 3); /* 0, 5, 10: 10 is last */
  ck_assert_int_eq(window_count(300, 1, 1), 300);
}
END_TEST

START_TEST(test_rate_of_ego4d_features) {
  /* 30 fps, W 32, S 16: about 1.875 features per second on long videos. */
  int64_t n = window_count(30 * 600, 32, 16);
  double per_s = (double)n / 600.0;
  ck_assert(per_s > 1.87 && per_s < 1.88);
}
END_TEST

/* Checks one (F, W, S): every window lies inside the video (or starts at
 * 0 for short ones), starts strictly increase, regular windows start at
 * i * S, the windows cover every frame when S <= W, and the last window
 * ends on the last frame. Returns a description of the first violation. */
static const char *check_case(int64_t F, int64_t W, int64_t S) {
  int64_t n = window_count(F, W, S), prev = -1, first = 0;
  int64_t covered_to = 0; /* frames [0, covered_to) are covered */
  for (int64_t i = 0; i < n; i++) {
    window_bounds(i, F, W, S, &first);
    if (first <= prev)
      return "starts not increasing";
    if (F >= W && first + W > F)
      return "window past the end";
    if (F < W && first != 0)
      return "short video window not at 0";
    if (i < n - 1 && first != i * S)
      return "regular window not at i * S";
    if (first > covered_to && S <= W)
      return "gap between windows";
    if (first + W > covered_to)
      covered_to = first + W;
    prev = first;
  }
  if (covered_to < F)
    return "last frames not covered";
  if (F >= W && first + W != F)
    return "last window does not end on the last frame";
  return NULL;
}

START_TEST(test_bruteforce_properties) {
  /* Plain loops: Check's assertions are too slow for 20,000 cases. */
  for (int64_t W = 1; W <= 40; W += 3)
    for (int64_t S = 1; S <= 20; S += 2)
      for (int64_t F = 1; F <= 120; F++) {
        const char *bad = check_case(F, W, S);
        if (bad)
          ck_abort_msg("F=%lld W=%lld S=%lld: %s", (long long)F, (long long)W,
                       (long long)S, bad);
      }
}
END_TEST

int main(void) {
  Suite *s = suite_create("window");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_reference_example_39_frames);
  tcase_add_test(tc, test_exact_fit_has_no_extra_window);
  tcase_add_test(tc, test_short_video_is_one_window);
  tcase_add_test(tc, test_image_windows);
  tcase_add_test(tc, test_rate_of_ego4d_features);
  tcase_add_test(tc, test_bruteforce_properties);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
