/*
 * test_progress.c - the progress display's text (examples/cli/
 * progress_format.c), from snapshots: the run weighted by windows, the
 * ETA, the bar, whole uids, one steady line with several videos at once,
 * and the log line of a finished video. No terminal, no clock.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "progress_format.h"

/* A real Ego4D uid: 36 characters. */
static const char uid36[] = "0a8f6747-7f79-4176-85ca-f5ec01a15435";

static progress_video vid(int64_t done, int64_t total, int started,
                          int finished) {
  progress_video v;
  memset(&v, 0, sizeof v);
  v.done = done;
  v.total = total;
  v.started = started;
  v.finished = finished;
  return v;
}

START_TEST(test_weighted_by_windows) {
  /* A 100-window video half done and a 10-window one not started: 50 of
   * 110 windows, not "half of one of two videos" (25 %). */
  progress_video v[2] = {vid(50, 100, 1, 0), vid(0, 10, 0, 0)};
  progress_run r = progress_summarise(v, 2);
  ck_assert_int_eq(r.windows_done, 50);
  ck_assert_int_eq(r.windows_expected, 110);
  ck_assert_uint_eq(r.active, 1);
  ck_assert_uint_eq(r.current, 0);
  ck_assert_uint_eq(r.finished, 0);
  /* 60 windows left at 6 windows/s. */
  ck_assert_double_eq_tol(progress_eta(&r, 6.0), 10.0, 1e-9);
  ck_assert_double_eq(progress_eta(&r, 0.0), -1);

  /* Unknown totals count as the mean of the real videos' totals (not of
   * skipped ones); a finished video counts what it did. */
  progress_video w[4] = {vid(40, 40, 1, 1), vid(0, 0, 1, 1), vid(5, 20, 1, 0),
                         vid(0, -1, 0, 0)};
  w[1].skipped = 1;
  r = progress_summarise(w, 4);
  ck_assert_int_eq(r.windows_done, 45);
  ck_assert_int_eq(r.windows_expected, 40 + 0 + 20 + 30);
  ck_assert_uint_eq(r.finished, 2);

  /* Nothing known yet. */
  progress_video u[1] = {vid(0, -1, 0, 0)};
  r = progress_summarise(u, 1);
  ck_assert_int_eq(r.windows_expected, -1);
  ck_assert_double_eq(progress_eta(&r, 5.0), -1);
}
END_TEST

START_TEST(test_durations) {
  static const struct {
    double s;
    const char *text;
  } cases[] = {{0, "0s"},       {59.4, "59s"}, {61, "1m01s"}, {3599, "59m59s"},
               {3700, "1h01m"}, {-1, "--"},    {1e9, "--"}};
  char buf[32];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    progress_duration(cases[i].s, buf, sizeof buf);
    ck_assert_str_eq(buf, cases[i].text);
  }
}
END_TEST

START_TEST(test_line_with_one_video) {
  progress_video v[2] = {vid(60, 100, 1, 0), vid(0, 100, 0, 0)};
  progress_run r = progress_summarise(v, 2);
  char line[512];
  size_t n =
      progress_line(&r, uid36, 60, 100, 12.5, 81, 140, line, sizeof line);
  ck_assert_uint_eq(n, strlen(line));
  ck_assert_msg(n <= 140, "%zu: %s", n, line);
  ck_assert_msg(strstr(line, "[0/2] |"), "%s", line);
  ck_assert_msg(strstr(line, " 30.0% 60/200 windows 12.5 windows/s, 1m21s "
                             "elapsed, ETA 11s "),
                "%s", line);
  /* The whole uid and its own counts. */
  char tail[128];
  snprintf(tail, sizeof tail, " %s 60/100", uid36);
  ck_assert_msg(strstr(line, tail), "%s", line);
  /* The bar: 30 % of its cells filled. */
  const char *bar = strchr(line, '|');
  const char *end = strchr(bar + 1, '|');
  int cells = (int)(end - bar - 1), full = 0;
  for (const char *c = bar + 1; c < end; c++)
    full += *c == '#';
  ck_assert_int_ge(cells, 10);
  ck_assert_int_le(cells, 30);
  ck_assert_int_eq(full, (int)(0.3 * cells + 0.5));
}
END_TEST

START_TEST(test_narrow_terminal_drops_bar_never_cuts_uid) {
  progress_video v[1] = {vid(1, 4, 1, 0)};
  progress_run r = progress_summarise(v, 1);
  char line[512];
  for (int width = 40; width <= 200; width += 7) {
    progress_line(&r, uid36, 1, 4, 2.0, 3, width, line, sizeof line);
    const char *u = strstr(line, uid36);
    /* A short line has no room for the uid: it is left out, not cut. */
    if (!u)
      ck_assert_msg(!strstr(line, "0a8f"), "cut uid at %d: %s", width, line);
    ck_assert_msg(strlen(line) <= (size_t)width || !strchr(line, '|'),
                  "width %d: %s", width, line);
    /* " <uid>" is 37 columns: where they fit, the uid is shown. */
    if (!u)
      ck_assert_msg((int)strlen(line) + 37 > width,
                    "room for the uid at %d: %s", width, line);
  }
  progress_line(&r, uid36, 1, 4, 2.0, 3, 60, line, sizeof line);
  ck_assert_ptr_null(strchr(line, '|')); /* no room for a bar */
}
END_TEST

START_TEST(test_several_videos_one_steady_line) {
  /* Three videos decoding at once: the line names none of them, so it
   * reads the same whichever reported last. */
  progress_video v[4] = {vid(3, 10, 1, 0), vid(2, 10, 1, 0), vid(1, 10, 1, 0),
                         vid(0, 10, 0, 0)};
  progress_run r = progress_summarise(v, 4);
  ck_assert_uint_eq(r.active, 3);
  char a[512], b[512];
  progress_line(&r, uid36, 3, 10, 1.0, 6, 160, a, sizeof a);
  progress_line(&r, "other", 1, 10, 1.0, 6, 160, b, sizeof b);
  ck_assert_str_eq(a, b);
  ck_assert_msg(strstr(a, " 3 videos in progress"), "%s", a);
  ck_assert_ptr_null(strstr(a, uid36));
  ck_assert_msg(strstr(a, " 6/40 windows "), "%s", a);
}
END_TEST

START_TEST(test_log_line_of_a_finished_video) {
  progress_video v[2] = {vid(1, 1, 1, 1), vid(0, 3, 0, 0)};
  progress_run r = progress_summarise(v, 2);
  char line[512];
  progress_log_line(&r, uid36, "done", 1, 0.5, line, sizeof line);
  char want[256];
  snprintf(want, sizeof want,
           "[1/2] %s done (1 window); 25.0%% of windows, ETA 6s", uid36);
  ck_assert_str_eq(line, want);
  progress_log_line(&r, "x", "failed", 2, 0, line, sizeof line);
  ck_assert_str_eq(line, "[1/2] x failed (2 windows); 25.0% of windows, "
                         "ETA --");
}
END_TEST

/* Where the bar starts and how many cells it has (0 without one). */
static int bar_cells_of(const char *line) {
  const char *bar = strchr(line, '|');
  const char *end = bar ? strchr(bar + 1, '|') : NULL;
  return end ? (int)(end - bar - 1) : 0;
}

START_TEST(test_share_never_falls) {
  /* The run: 15 of 25 windows done (60 %), then a video opens
   * longer than estimated and the total becomes 30: 16/30 is 53.3 %, but
   * the line keeps 60.0 % until the windows catch up. */
  progress_video v[2] = {vid(15, 15, 1, 1), vid(0, 10, 0, 0)};
  progress_run r = progress_summarise(v, 2);
  double shown = progress_share(&r);
  ck_assert_double_eq_tol(shown, 0.6, 1e-9);
  v[1] = vid(1, 15, 1, 0);
  r = progress_summarise(v, 2);
  ck_assert_int_eq(r.windows_expected, 30);
  ck_assert_double_eq_tol(progress_share(&r), 16.0 / 30.0, 1e-9);
  r.share_floor = shown;
  ck_assert_double_eq_tol(progress_share(&r), 0.6, 1e-9);
  char line[512];
  progress_line(&r, "b", 1, 15, 1.0, 5, 160, line, sizeof line);
  ck_assert_msg(strstr(line, " 60.0% 16/30 windows "), "%s", line);
  progress_log_line(&r, "b", "done", 15, 1.0, line, sizeof line);
  ck_assert_msg(strstr(line, "; 60.0% of windows"), "%s", line);
  /* Past the floor, the share is the windows' again. */
  v[1] = vid(12, 15, 1, 0);
  r = progress_summarise(v, 2);
  r.share_floor = shown;
  ck_assert_double_eq_tol(progress_share(&r), 27.0 / 30.0, 1e-9);
}
END_TEST

START_TEST(test_kept_bar_keeps_its_width) {
  /* Redraws over a run whose uids differ in length and whose figures
   * grow: the bar keeps the cells of the first draw, and the figures
   * keep their columns, so the tail starts in the same column. */
  progress_video v[3] = {vid(0, 900, 1, 0), vid(0, 40, 0, 0), vid(0, 60, 0, 0)};
  const char *uids[3] = {"short-uid", uid36,
                         "a-much-longer-uid-than-the-others-are-"
                         "by-far-0123456789"};
  int cells = -1, first_cells = -1;
  long tail_at = -1;
  char line[512];
  double rates[] = {0, 3.5, 12.25, 150.0, 2000.5};
  double elapsed[] = {0.2, 9, 75, 700, 3599};
  for (int step = 0; step < 5; step++) {
    for (int i = 0; i < 3; i++) {
      v[i].started = 1;
      v[i].done = v[i].total * (step + 1) / 5;
      progress_run r = progress_summarise(v, 3);
      r.active = 1;
      r.current = (size_t)i;
      progress_line_kept(&r, uids[i], v[i].done, v[i].total, rates[step],
                         elapsed[step], 120, &cells, line, sizeof line);
      ck_assert_msg(strlen(line) <= 120, "%zu: %s", strlen(line), line);
      if (first_cells < 0)
        first_cells = cells;
      ck_assert_int_eq(cells, first_cells);
      ck_assert_int_eq(bar_cells_of(line), first_cells);
      const char *u = strstr(line, uids[i]);
      if (u) { /* the tail starts where it started before */
        long at = (long)(u - line);
        if (tail_at < 0)
          tail_at = at;
        ck_assert_msg(at == tail_at, "tail at %ld, not %ld: %s", at, tail_at,
                      line);
      }
    }
  }
  ck_assert_int_ge(first_cells, 10);
  /* The uid too long to sit beside the kept bar is left out whole. */
  ck_assert_ptr_null(strstr(line, "a-much-longer"));
}
END_TEST

int main(void) {
  Suite *s = suite_create("progress");
  TCase *tc = tcase_create("format");
  tcase_add_test(tc, test_weighted_by_windows);
  tcase_add_test(tc, test_durations);
  tcase_add_test(tc, test_line_with_one_video);
  tcase_add_test(tc, test_narrow_terminal_drops_bar_never_cuts_uid);
  tcase_add_test(tc, test_several_videos_one_steady_line);
  tcase_add_test(tc, test_log_line_of_a_finished_video);
  tcase_add_test(tc, test_share_never_falls);
  tcase_add_test(tc, test_kept_bar_keeps_its_width);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
