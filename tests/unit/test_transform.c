/*
 * test_transform.c - the frame transform against torch's own arithmetic
 * (tests/reference/reference_pipeline.py, run with Debian's python3), and
 * the exact rules it is built from.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ego4dfeat/ego4dfeat.h"
#include "media/transform.h"
#include "testutil.h"

static const float kMean[3] = {0.45f, 0.45f, 0.45f};
static const float kStd[3] = {0.225f, 0.225f, 0.225f};

static transform *make_interp(int side, int crop, const float *mean,
                              const float *std, ef_interp interp) {
  transform_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.interp = interp;
  spec.side_size = side;
  spec.crop_size = crop;
  memcpy(spec.mean, mean, sizeof spec.mean);
  memcpy(spec.std, std, sizeof spec.std);
  transform *t = NULL;
  ck_assert_int_eq(transform_create(&spec, &t), EF_OK);
  return t;
}

static transform *make(int side, int crop, const float *mean,
                       const float *std) {
  return make_interp(side, crop, mean, std, EF_INTERP_BILINEAR);
}

/* A frame with gradients, edges and noise in every channel. */
static uint8_t *make_frame(int w, int h, unsigned seed) {
  uint8_t *p = malloc((size_t)w * (size_t)h * 3);
  ck_assert_ptr_nonnull(p);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      seed = seed * 1103515245u + 12345u;
      uint8_t *px = p + ((size_t)y * (size_t)w + (size_t)x) * 3;
      px[0] = (uint8_t)((x * 255) / (w - 1));
      px[1] = (uint8_t)(((x / 7 + y / 5) % 2) ? 230 : 20);
      px[2] = (uint8_t)(seed >> 24);
    }
  return p;
}

START_TEST(test_scaled_size_floor_rule) {
  int w, h;
  transform_scaled_size(1920, 1080, 256, &w, &h);
  ck_assert_int_eq(w, 455); /* floor(1920 / 1080 * 256) = 455 */
  ck_assert_int_eq(h, 256);
  transform_scaled_size(1080, 1920, 256, &w, &h);
  ck_assert_int_eq(w, 256);
  ck_assert_int_eq(h, 455);
  transform_scaled_size(640, 480, 224, &w, &h);
  ck_assert_int_eq(w, 298);
  ck_assert_int_eq(h, 224);
  transform_scaled_size(300, 300, 256, &w, &h);
  ck_assert_int_eq(w, 256);
  ck_assert_int_eq(h, 256);
}
END_TEST

START_TEST(test_crop_offset_uses_python_round) {
  /* Python: round(115.5) == 116, round(114.5) == 114, round(0.5) == 0. */
  ck_assert_int_eq(transform_crop_offset(455, 224), 116);
  ck_assert_int_eq(transform_crop_offset(453, 224), 114);
  ck_assert_int_eq(transform_crop_offset(225, 224), 0);
  ck_assert_int_eq(transform_crop_offset(227, 224), 2);
  ck_assert_int_eq(transform_crop_offset(455, 256), 100);
  ck_assert_int_eq(transform_crop_offset(256, 256), 0);
}
END_TEST

START_TEST(test_identity_size_is_plain_normalisation) {
  /* A 224x224 frame with side 224 and crop 224 is only normalised. */
  const int n = 224;
  uint8_t *img = make_frame(n, n, 7);
  float *out = malloc(sizeof(float) * 3 * (size_t)n * (size_t)n);
  transform *t = make(n, n, kMean, kStd);
  ck_assert_int_eq(transform_frame(t, img, n * 3, n, n, out), EF_OK);
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < n * n; i += 97) {
      float want =
          ((float)img[(size_t)i * 3 + (size_t)c] / 255.0f - kMean[c]) / kStd[c];
      ck_assert_float_eq(out[(size_t)c * (size_t)(n * n) + (size_t)i], want);
    }
  transform_free(t);
  free(out);
  free(img);
}
END_TEST

START_TEST(test_constant_frame_stays_constant) {
  uint8_t *img = malloc(320 * 240 * 3);
  memset(img, 200, 320 * 240 * 3);
  float *out = malloc(sizeof(float) * 3 * 224 * 224);
  transform *t = make(256, 224, kMean, kStd);
  ck_assert_int_eq(transform_frame(t, img, 320 * 3, 320, 240, out), EF_OK);
  float want = (200.0f / 255.0f - 0.45f) / 0.225f;
  for (int i = 0; i < 3 * 224 * 224; i += 31)
    ck_assert_float_eq_tol(out[i], want, 1e-6);
  transform_free(t);
  free(out);
  free(img);
}
END_TEST

START_TEST(test_rejects_bad_specs) {
  transform_spec spec;
  memset(&spec, 0, sizeof spec);
  transform *t = NULL;
  spec.side_size = 200;
  spec.crop_size = 224;
  spec.std[0] = spec.std[1] = spec.std[2] = 1;
  ck_assert_int_eq(transform_create(&spec, &t), EF_EINVAL);
  ck_assert_ptr_null(t);
  spec.side_size = 256;
  spec.std[1] = 0;
  ck_assert_int_eq(transform_create(&spec, &t), EF_EINVAL);
  ck_assert(strstr(ef_last_error(), "std[1]") != NULL);
}
END_TEST

/* Runs the Python reference on the same frame and compares. */
static void compare_interp(int w, int h, int side, int crop, const float *mean,
                           const float *std, int linesize_pad,
                           ef_interp interp) {
  char *dir = tu_tmpdir();
  char *in = tu_path(dir, "in.raw"), *ref = tu_path(dir, "ref.raw");
  uint8_t *img = make_frame(w, h, (unsigned)(w * 31 + h));
  FILE *f = fopen(in, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(img, 1, (size_t)w * (size_t)h * 3, f),
                    (size_t)w * (size_t)h * 3);
  fclose(f);
  int rc = tu_run("%s %s/tests/reference/reference_pipeline.py transform "
                  "%s %d %d %d %d %g,%g,%g %g,%g,%g %s %s",
                  tu_python(), tu_source_root(), in, h, w, side, crop, mean[0],
                  mean[1], mean[2], std[0], std[1], std[2], ref,
                  interp == EF_INTERP_BICUBIC ? "bicubic" : "bilinear");
  ck_assert_int_eq(rc, 0);
  size_t len = 0;
  float *want = (float *)tu_read_file(ref, &len);
  ck_assert_ptr_nonnull(want);
  ck_assert_uint_eq(len, sizeof(float) * 3 * (size_t)crop * (size_t)crop);

  /* Feed the frame with padded rows, as decoders hand them out. */
  int ls = w * 3 + linesize_pad;
  uint8_t *padded = calloc((size_t)ls * (size_t)h, 1);
  for (int y = 0; y < h; y++)
    memcpy(padded + (size_t)y * (size_t)ls, img + (size_t)y * (size_t)w * 3,
           (size_t)w * 3);
  float *got = malloc(len);
  transform *t = make_interp(side, crop, mean, std, interp);
  ck_assert_int_eq(transform_frame(t, padded, ls, w, h, got), EF_OK);
  double max_diff = 0;
  for (size_t i = 0; i < len / sizeof(float); i++) {
    double d = fabs((double)got[i] - (double)want[i]);
    if (d > max_diff)
      max_diff = d;
  }
  ck_assert_msg(max_diff <= 1e-5, "%dx%d -> side %d crop %d: max diff %g", w, h,
                side, crop, max_diff);
  transform_free(t);
  free(got);
  free(padded);
  free(want);
  free(img);
  free(ref);
  free(in);
  tu_rmrf(dir);
  free(dir);
}

static void compare_with_torch(int w, int h, int side, int crop,
                               const float *mean, const float *std,
                               int linesize_pad) {
  compare_interp(w, h, side, crop, mean, std, linesize_pad, EF_INTERP_BILINEAR);
}

START_TEST(test_bicubic_matches_torch_clip_sizes) {
  /* egoexo_maws_clip: bicubic short side 224, crop 224, ImageNet stats. */
  const float mean[3] = {0.485f, 0.456f, 0.406f};
  const float std[3] = {0.229f, 0.224f, 0.225f};
  compare_interp(1280, 720, 224, 224, mean, std, 0, EF_INTERP_BICUBIC);
  compare_interp(150, 200, 224, 224, mean, std, 8, EF_INTERP_BICUBIC);
}
END_TEST

START_TEST(test_matches_torch_landscape_downscale) {
  compare_with_torch(480, 270, 256, 224, kMean, kStd, 0);
}
END_TEST

START_TEST(test_matches_torch_1080p_slowfast_sizes) {
  compare_with_torch(1920, 1080, 256, 256, kMean, kStd, 32);
}
END_TEST

START_TEST(test_matches_torch_portrait_upscale_imagenet) {
  const float mean[3] = {0.485f, 0.456f, 0.406f};
  const float std[3] = {0.229f, 0.224f, 0.225f};
  compare_with_torch(120, 200, 256, 224, mean, std, 4);
}
END_TEST

START_TEST(test_matches_torch_odd_sizes) {
  compare_with_torch(333, 257, 256, 224, kMean, kStd, 0);
}
END_TEST

START_TEST(test_size_change_rebuilds_taps) {
  /* One transform used on two sizes must give each its own result. */
  transform *t = make(64, 48, kMean, kStd);
  uint8_t *a = make_frame(128, 96, 1), *b = make_frame(96, 64, 2);
  float *oa = malloc(sizeof(float) * 3 * 48 * 48);
  float *ob = malloc(sizeof(float) * 3 * 48 * 48);
  float *oa2 = malloc(sizeof(float) * 3 * 48 * 48);
  ck_assert_int_eq(transform_frame(t, a, 128 * 3, 128, 96, oa), EF_OK);
  ck_assert_int_eq(transform_frame(t, b, 96 * 3, 96, 64, ob), EF_OK);
  ck_assert_int_eq(transform_frame(t, a, 128 * 3, 128, 96, oa2), EF_OK);
  ck_assert_mem_eq(oa, oa2, sizeof(float) * 3 * 48 * 48);
  ck_assert(memcmp(oa, ob, sizeof(float) * 3 * 48 * 48) != 0);
  transform_free(t);
  free(oa);
  free(ob);
  free(oa2);
  free(a);
  free(b);
}
END_TEST

int main(void) {
  Suite *s = suite_create("transform");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_scaled_size_floor_rule);
  tcase_add_test(tc, test_crop_offset_uses_python_round);
  tcase_add_test(tc, test_identity_size_is_plain_normalisation);
  tcase_add_test(tc, test_constant_frame_stays_constant);
  tcase_add_test(tc, test_rejects_bad_specs);
  tcase_add_test(tc, test_size_change_rebuilds_taps);
  tcase_add_test(tc, test_matches_torch_landscape_downscale);
  tcase_add_test(tc, test_matches_torch_1080p_slowfast_sizes);
  tcase_add_test(tc, test_matches_torch_portrait_upscale_imagenet);
  tcase_add_test(tc, test_matches_torch_odd_sizes);
  tcase_add_test(tc, test_bicubic_matches_torch_clip_sizes);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
