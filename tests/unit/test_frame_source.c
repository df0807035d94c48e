/*
 * test_frame_source.c - frames in memory as a source of sampled frames
 * (lib/window/frame_source_mem.c): the same frame indices, repeats and
 * times as the decoder gives for a file of as many frames at the same
 * rate (25 and 30 fps sampled at 30), the rate fractions ffmpeg's -r
 * makes, the refusal of bad buffers, and video_windows_run_frames giving
 * START, the windows and END, or EF_EINVAL and nothing.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/settings.h"
#include "ego4dfeat/ego4dfeat.h"
#include "media/decode.h"
#include "testutil.h"
#include "window/frame_source.h"
#include "window/video_windows.h"

static char *g_dir;

/* A file of `frames` frames at `rate` fps (a string for -r). */
static char *clip(const char *name, const char *rate, int frames) {
  char args[512];
  snprintf(args, sizeof args,
           "-f lavfi -i testsrc2=size=64x48:rate=%s -frames:v %d -c:v "
           "libx264rgb -qp 0 -pix_fmt rgb24",
           rate, frames);
  char *path = tu_fixture(g_dir, name, args, NULL);
  ck_assert_msg(path != NULL, "ffmpeg failed to make %s", name);
  return path;
}

/* The decoder's samples of path at 30 fps against the frame buffer's
 * for count frames at rate_num / rate_den. */
static void same_samples(const char *path, int64_t count, int64_t rate_num,
                         int64_t rate_den) {
  decoder *d = NULL;
  ck_assert_msg(decoder_open(path, 30, 1, 1, &d) == EF_OK, "%s",
                ef_last_error());
  static uint8_t pixels[64 * 48 * 3 * 64];
  frame_buffer fb = {pixels, count, 64, 48, 64 * 3, rate_num, rate_den};
  ck_assert_int_eq(frame_buffer_check(&fb), EF_OK);
  frame_buffer_iter iter;
  frame_source src;
  frame_buffer_source(&iter, &fb, 30, 1, &src);
  sampled_frame a, b;
  int n = 0, ra, rb;
  while ((ra = decoder_next(d, &a)) == 1) {
    rb = src.next(src.impl, &b);
    ck_assert_int_eq(rb, 1);
    ck_assert_int_eq(a.index, b.index);
    ck_assert_msg(a.repeat == b.repeat, "sample %d: repeat %d vs %d", n,
                  a.repeat, b.repeat);
    ck_assert_double_eq_tol(a.pts, b.pts, 1e-9);
    ck_assert_int_eq(src.rgb(src.impl, &b), EF_OK);
    ck_assert_ptr_eq(b.rgb,
                     pixels + (size_t)llround(b.pts * rate_num / rate_den) *
                                  64 * 3 * 48);
    n++;
  }
  ck_assert_int_eq(ra, 0);
  ck_assert_int_eq(src.next(src.impl, &b), 0);
  ck_assert_double_eq_tol(src.duration(src.impl), decoder_duration(d), 1e-9);
  ck_assert_int_gt(n, (int)count - 1);
  decoder_close(d);
}

START_TEST(test_samples_as_the_decoder_does) {
  char *p30 = clip("r30.mp4", "30", 20);
  same_samples(p30, 20, 30, 1); /* every frame */
  free(p30);
  char *p25 = clip("r25.mp4", "25", 20);
  same_samples(p25, 20, 25, 1); /* 24 samples, 4 repeats */
  free(p25);
}
END_TEST

START_TEST(test_rates_as_ffmpeg_makes_them) {
  int64_t num = 0, den = 0;
  ck_assert_int_eq(frame_rate_from_double(30, &num, &den), EF_OK);
  ck_assert(num == 30 && den == 1);
  ck_assert_int_eq(frame_rate_from_double(29.97, &num, &den), EF_OK);
  ck_assert(num == 2997 && den == 100);
  ck_assert_int_eq(frame_rate_from_double(30000.0 / 1001, &num, &den), EF_OK);
  ck_assert(num == 30000 && den == 1001);
  const double bad[] = {0, -30, NAN, INFINITY, 1e12};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_int_eq(frame_rate_from_double(bad[i], &num, &den), EF_EINVAL);
}
END_TEST

START_TEST(test_bad_buffers_are_refused) {
  static uint8_t px[16 * 16 * 3];
  const frame_buffer good = {px, 1, 16, 16, 48, 30, 1};
  ck_assert_int_eq(frame_buffer_check(&good), EF_OK);
  frame_buffer b = good;
  b.data = NULL;
  ck_assert_int_eq(frame_buffer_check(&b), EF_EINVAL);
  b = good, b.count = 0;
  ck_assert_int_eq(frame_buffer_check(&b), EF_EINVAL);
  b = good, b.width = 0;
  ck_assert_int_eq(frame_buffer_check(&b), EF_EINVAL);
  b = good, b.row_bytes = 47; /* shorter than 3 * width */
  ck_assert_int_eq(frame_buffer_check(&b), EF_EINVAL);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "47 bytes"));
  b = good, b.rate_den = 0;
  ck_assert_int_eq(frame_buffer_check(&b), EF_EINVAL);
  b = good, b.count = INT64_MAX;
  ck_assert_int_eq(frame_buffer_check(&b), EF_EINVAL);
  b = good, b.height = INT32_MAX, b.row_bytes = INT32_MAX, b.count = 1 << 30;
  ck_assert_int_eq(frame_buffer_check(&b), EF_EINVAL);
}
END_TEST

typedef struct {
  int starts, windows, ends;
} counts;

static int count_item(void *ctx, item *it) {
  counts *c = ctx;
  c->starts += it->kind == ITEM_START;
  c->windows += it->kind == ITEM_WINDOW;
  c->ends += it->kind == ITEM_END;
  item_free(it);
  return 0;
}

START_TEST(test_video_windows_run_frames) {
  char *dir = tu_path(tu_source_root(), "configs");
  ef_config *cfg = NULL;
  ef_settings s;
  ck_assert_int_eq(ef_config_load(dir, "mvit_k400", &cfg), EF_OK);
  free(dir);
  ck_assert_int_eq(ef_config_override(cfg, "inference_config.device=cpu"),
                   EF_OK);
  ck_assert_int_eq(settings_load(cfg, &s), EF_OK);
  ef_config_free(cfg);
  video_windows *vw = NULL;
  ck_assert_int_eq(video_windows_create(&s, 1, NULL, &vw), EF_OK);
  /* 45 frames of 32 every 16: [0, 32) and the back-padded [13, 45). */
  size_t bytes = (size_t)45 * 40 * 50 * 3;
  uint8_t *px = malloc(bytes);
  ck_assert_ptr_nonnull(px);
  for (size_t i = 0; i < bytes; i++)
    px[i] = (uint8_t)(i * 7);
  frame_buffer fb = {px, 45, 50, 40, 150, 30, 1};
  counts c = {0, 0, 0};
  ck_assert_int_eq(video_windows_run_frames(vw, 0, &fb, "<t>", count_item, &c),
                   EF_OK);
  ck_assert(c.starts == 1 && c.windows == 2 && c.ends == 1);
  memset(&c, 0, sizeof c);
  fb.row_bytes = 10;
  ck_assert_int_eq(video_windows_run_frames(vw, 0, &fb, "<t>", count_item, &c),
                   EF_EINVAL);
  ck_assert(c.starts == 0 && c.windows == 0 && c.ends == 0);
  free(px);
  video_windows_free(vw);
  settings_free(&s);
}
END_TEST

int main(void) {
  g_dir = tu_tmpdir();
  if (!g_dir)
    return EXIT_FAILURE;
  Suite *s = suite_create("frame_source");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_samples_as_the_decoder_does);
  tcase_add_test(tc, test_rates_as_ffmpeg_makes_them);
  tcase_add_test(tc, test_bad_buffers_are_refused);
  tcase_add_test(tc, test_video_windows_run_frames);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  tu_rmrf(g_dir);
  free(g_dir);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
