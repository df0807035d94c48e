/*
 * test_model_kinds.c - input packing of each model kind, and SlowFast's
 * slow-pathway indices against torch.linspace itself.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_kind.h"
#include "testutil.h"

START_TEST(test_slow_indices_match_torch_linspace) {
  /* One Python process answers every case (importing torch takes seconds). */
  static const int ts[] = {8, 16, 32, 33, 64, 66, 100, 128, 250};
  static const int alphas[] = {2, 4, 8};
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "%s %s/tests/reference/reference_pipeline.py slow_indices_table",
           tu_python(), tu_source_root());
  FILE *p = popen(cmd, "r");
  ck_assert_ptr_nonnull(p);
  for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
    for (size_t j = 0; j < sizeof alphas / sizeof alphas[0]; j++) {
      char line[4096] = "", mine[4096] = "";
      int n0 = snprintf(mine, sizeof mine, "%d %d:", ts[i], alphas[j]);
      ck_assert_ptr_nonnull(fgets(line, sizeof line, p));
      line[strcspn(line, "\n")] = '\0';
      int64_t idx[256];
      int64_t n = slowfast_slow_indices(ts[i], alphas[j], idx);
      for (int64_t k = 0; k < n; k++)
        n0 += snprintf(mine + n0, sizeof mine - (size_t)n0, " %lld",
                       (long long)idx[k]);
      ck_assert_msg(strcmp(mine, line) == 0, "%s vs torch %s", mine, line);
    }
  ck_assert_int_eq(pclose(p), 0);
}
END_TEST

START_TEST(test_slow_indices_float32_truncation) {
  /* docs/semantics.md, "SlowFast slow pathway": T = 66, alpha 4 picks 38 where
   * exact arithmetic gives 39 (index 9 of 16: 65 - 6 * (65 / 15) in float32 is
   * just below 39). */
  int64_t idx[16];
  ck_assert_int_eq(slowfast_slow_indices(66, 4, idx), 16);
  ck_assert_int_eq(idx[9], 38);
  ck_assert_int_eq(idx[0], 0);
  ck_assert_int_eq(idx[15], 65);
  /* The 8x8 model's 32-frame windows: every 4th-ish frame, 0 .. 31. */
  ck_assert_int_eq(slowfast_slow_indices(32, 4, idx), 8);
  static const int64_t want[8] = {0, 4, 8, 13, 17, 22, 26, 31};
  for (int k = 0; k < 8; k++)
    ck_assert_int_eq(idx[k], want[k]);
}
END_TEST

static ef_settings base_settings(void) {
  ef_settings s;
  memset(&s, 0, sizeof s);
  s.slowfast_alpha = 4;
  return s;
}

START_TEST(test_pack_slowfast_gathers_frames) {
  /* B=2 windows of T=8 frames, 1x1 pixels: value = 100*b + 10*c + t. */
  const int B = 2, T = 8;
  float data[2 * 3 * 8];
  for (int b = 0; b < B; b++)
    for (int c = 0; c < 3; c++)
      for (int t = 0; t < T; t++)
        data[(b * 3 + c) * T + t] = (float)(100 * b + 10 * c + t);
  window_batch wb = {data, B, {3, T, 1, 1}, 4};
  ef_settings s = base_settings();
  s.slowfast_alpha = 4;
  efs_input in[4];
  int n = 0, as_list = 0;
  float *scratch = NULL;
  ck_assert_int_eq(
      model_kind_slowfast.pack(&s, &wb, in, &n, &as_list, &scratch), EF_OK);
  ck_assert_int_eq(n, 2);
  ck_assert_int_eq(as_list, 1);
  ck_assert_int_eq(in[0].shape[2], 2); /* slow: T / alpha frames */
  ck_assert_int_eq(in[1].shape[2], 8); /* fast: all */
  ck_assert_ptr_eq(in[1].data, data);
  /* linspace(0, 7, 2) = [0, 7] */
  for (int b = 0; b < B; b++)
    for (int c = 0; c < 3; c++) {
      ck_assert_float_eq(in[0].data[(b * 3 + c) * 2 + 0],
                         (float)(100 * b + 10 * c + 0));
      ck_assert_float_eq(in[0].data[(b * 3 + c) * 2 + 1],
                         (float)(100 * b + 10 * c + 7));
    }
  free(scratch);
}
END_TEST

START_TEST(test_pack_image_layouts) {
  float data[3 * 4 * 5] = {0};
  window_batch wb = {data, 1, {3, 1, 4, 5}, 4};
  ef_settings s = base_settings();
  efs_input in[4];
  int n = 0, as_list = 1;
  float *scratch = NULL;
  ck_assert_int_eq(model_kind_image.pack(&s, &wb, in, &n, &as_list, &scratch),
                   EF_OK);
  ck_assert_int_eq(in[0].ndim, 5);
  ck_assert_int_eq(as_list, 0);
  s.input_2d = 1;
  ck_assert_int_eq(model_kind_image.pack(&s, &wb, in, &n, &as_list, &scratch),
                   EF_OK);
  ck_assert_int_eq(in[0].ndim, 4);
  ck_assert_int_eq(in[0].shape[1], 3);
  ck_assert_int_eq(in[0].shape[2], 4);
  ck_assert_int_eq(in[0].shape[3], 5);
  wb.shape[1] = 2;
  ck_assert_int_eq(model_kind_image.pack(&s, &wb, in, &n, &as_list, &scratch),
                   EF_ECONFIG);
  ck_assert(strstr(ef_last_error(), "frame_window") != NULL);
  ck_assert_ptr_null(scratch);
}
END_TEST

START_TEST(test_pack_audio_waveforms) {
  float data[2 * 16000] = {0};
  window_batch wb = {data, 2, {16000}, 1};
  ef_settings s = base_settings();
  efs_input in[4];
  int n = 0, as_list = 1;
  float *scratch = NULL;
  ck_assert_int_eq(model_kind_audio.pack(&s, &wb, in, &n, &as_list, &scratch),
                   EF_OK);
  ck_assert_int_eq(in[0].ndim, 2);
  ck_assert_int_eq(in[0].shape[0], 2);
  ck_assert_int_eq(in[0].shape[1], 16000);
  window_batch video = {data, 1, {3, 2, 4, 4}, 4};
  ck_assert_int_eq(
      model_kind_audio.pack(&s, &video, in, &n, &as_list, &scratch), EF_EINVAL);
}
END_TEST

START_TEST(test_kind_table) {
  ck_assert_ptr_eq(model_kind_find("video"), &model_kind_video);
  ck_assert_ptr_eq(model_kind_find("slowfast"), &model_kind_slowfast);
  ck_assert_ptr_eq(model_kind_find("image"), &model_kind_image);
  ck_assert_ptr_eq(model_kind_find("clip"), &model_kind_clip);
  ck_assert_ptr_eq(model_kind_find("mel_spectrogram"), &model_kind_mel);
  ck_assert_int_eq(model_kind_mel.needs_model, 0);
  ck_assert_ptr_null(model_kind_find("nope"));
  ck_assert_ptr_null(model_kind_find(NULL));
  /* The names in error messages come from the same table. */
  ck_assert_str_eq(model_kind_names(),
                   "video, slowfast, image, clip, audio, asr, mel_spectrogram");
}
END_TEST

int main(void) {
  Suite *s = suite_create("model_kinds");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_slow_indices_match_torch_linspace);
  tcase_add_test(tc, test_slow_indices_float32_truncation);
  tcase_add_test(tc, test_pack_slowfast_gathers_frames);
  tcase_add_test(tc, test_pack_image_layouts);
  tcase_add_test(tc, test_pack_audio_waveforms);
  tcase_add_test(tc, test_kind_table);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
