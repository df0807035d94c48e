/*
 * test_settings.c - the typed run settings read from configs: defaults,
 * frame rates, model kinds derived from the reference's model_module_str,
 * and errors that name the key.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/settings.h"
#include "testutil.h"

static ef_settings load(const char *name, const char *const *overrides) {
  char dir[4096];
  ef_config *cfg = NULL;
  ef_settings s;
  snprintf(dir, sizeof dir, "%s/configs", tu_source_root());
  ck_assert_int_eq(ef_config_load(dir, name, &cfg), EF_OK);
  for (; overrides && *overrides; overrides++)
    ck_assert_msg(ef_config_override(cfg, *overrides) == EF_OK, "%s: %s",
                  *overrides, ef_last_error());
  ck_assert_msg(settings_load(cfg, &s) == EF_OK, "%s", ef_last_error());
  ef_config_free(cfg);
  return s;
}

static int load_fails(const char *name, const char *override,
                      const char *words) {
  char dir[4096];
  ef_config *cfg = NULL;
  ef_settings s;
  snprintf(dir, sizeof dir, "%s/configs", tu_source_root());
  ck_assert_int_eq(ef_config_load(dir, name, &cfg), EF_OK);
  int rc = ef_config_override(cfg, override);
  if (rc == EF_OK)
    rc = settings_load(cfg, &s);
  if (rc == EF_OK)
    settings_free(&s);
  ef_config_free(cfg);
  return rc != EF_OK && strstr(ef_last_error(), words) != NULL;
}

START_TEST(test_slowfast_reference_values) {
  ef_settings s = load("slowfast_r101_8x8", NULL);
  ck_assert_str_eq(s.model_kind, "slowfast");
  ck_assert_int_eq(s.frame_window, 32);
  ck_assert_int_eq(s.stride, 16);
  ck_assert_int_eq(s.side_size, 256);
  ck_assert_int_eq(s.crop_size, 256);
  ck_assert_int_eq(s.slowfast_alpha, 4);
  ck_assert_float_eq_tol(s.mean[0], 0.45f, 1e-7);
  ck_assert_float_eq_tol(s.std[2], 0.225f, 1e-7);
  ck_assert_int_eq(s.fps_num, 30);
  ck_assert_int_eq(s.fps_den, 1);
  ck_assert_int_eq(s.batch_size, 1);
  ck_assert_int_eq(s.filter_completed, 1);
  ck_assert_int_eq(s.out_format, EF_FORMAT_PT);
  ck_assert_ptr_null(s.uid_list);
  settings_free(&s);
}
END_TEST

START_TEST(test_image_and_video_kinds) {
  ef_settings s = load("omnivore_image", NULL);
  ck_assert_str_eq(s.model_kind, "image");
  ck_assert_int_eq(s.frame_window, 1);
  ck_assert_int_eq(s.stride, 5);
  ck_assert_float_eq_tol(s.mean[0], 0.485f, 1e-7);
  settings_free(&s);
  s = load("mvit_k400", NULL);
  ck_assert_str_eq(s.model_kind, "video");
  ck_assert_int_eq(s.crop_size, 224);
  settings_free(&s);
}
END_TEST

START_TEST(test_kind_from_module_str_without_kind) {
  /* A reference YAML has no model_config.kind: derive it. */
  const char *sf[] = {"~model_config.kind", NULL};
  ef_settings s = load("slowfast_r101_8x8", sf);
  ck_assert_str_eq(s.model_kind, "slowfast");
  settings_free(&s);
  const char *img[] = {"~model_config.kind", NULL};
  s = load("omnivore_image", img);
  ck_assert_str_eq(s.model_kind, "image");
  settings_free(&s);
  const char *vid[] = {"~model_config.kind", NULL};
  s = load("omnivore_video", vid);
  ck_assert_str_eq(s.model_kind, "video");
  settings_free(&s);
}
END_TEST

/* audio_asr: the asr kind (also from the reference's speechbrain
 * module), transcripts, and transcripts only from the asr kind. */
START_TEST(test_asr_kind_and_transcripts) {
  ef_settings s = load("audio_asr", NULL);
  ck_assert_str_eq(s.model_kind, "asr");
  ck_assert_int_eq(s.out_format, EF_FORMAT_TRANSCRIPT);
  ck_assert_int_eq(s.frame_window, 150);
  ck_assert_int_eq(s.normalize_audio, 0);
  ck_assert_int_eq(s.audio_rate, 16000);
  settings_free(&s);
  const char *ref[] = {"~model_config.kind", NULL};
  s = load("audio_asr", ref);
  ck_assert_str_eq(s.model_kind, "asr");
  settings_free(&s);
  const char *emissions[] = {"io.out_format=npy", NULL};
  s = load("audio_asr", emissions);
  ck_assert_int_eq(s.out_format, EF_FORMAT_NPY);
  settings_free(&s);
  ck_assert(load_fails("audio_asr", "model_config.kind=audio",
                       "io.out_format transcript needs model_config.kind "
                       "asr"));
  ck_assert(load_fails("mvit_k400", "io.out_format=transcript",
                       "needs model_config.kind asr"));
}
END_TEST

START_TEST(test_overrides_reach_settings) {
  const char *o[] = {"io.uid_list=[a,b,c]",
                     "inference_config.batch_size=8",
                     "io.out_format=npy",
                     "inference_config.fps=29.97",
                     "model_config.input_layout=nchw",
                     NULL};
  ef_settings s = load("mvit_k400", o);
  ck_assert_uint_eq(s.n_uids, 3);
  ck_assert_str_eq(s.uid_list[2], "c");
  ck_assert_int_eq(s.batch_size, 8);
  ck_assert_int_eq(s.out_format, EF_FORMAT_NPY);
  ck_assert_int_eq(s.fps_num, 30000);
  ck_assert_int_eq(s.fps_den, 1001);
  ck_assert_int_eq(s.input_2d, 1);
  settings_free(&s);
}
END_TEST

/* model_config.optimize and inference_config.hwaccel: defaults, and NVDEC
 * only where asked or where the model runs on CUDA. */
START_TEST(test_optimize_and_hwaccel) {
  ef_settings s = load("mvit_k400", NULL); /* device: cuda in the config */
  ck_assert_int_eq(s.optimize, 1);
  ck_assert_int_eq(s.hwaccel_cuda, 1);
  ck_assert_int_eq(s.cuda_index, 0);
  settings_free(&s);
  const char *const off[] = {"model_config.optimize=false",
                             "inference_config.device=cpu", NULL};
  s = load("mvit_k400", off);
  ck_assert_int_eq(s.optimize, 0);
  ck_assert_int_eq(s.hwaccel_cuda, 0);
  settings_free(&s);
  const char *const forced[] = {"inference_config.device=cpu",
                                "+inference_config.hwaccel=cuda", NULL};
  s = load("mvit_k400", forced);
  ck_assert_int_eq(s.hwaccel_cuda, 1);
  settings_free(&s);
  const char *const second[] = {"inference_config.device=cuda:1", NULL};
  s = load("mvit_k400", second);
  ck_assert_int_eq(s.hwaccel_cuda, 1);
  ck_assert_int_eq(s.cuda_index, 1);
  settings_free(&s);
  const char *const none[] = {"+inference_config.hwaccel=none", NULL};
  s = load("mvit_k400", none);
  ck_assert_int_eq(s.hwaccel_cuda, 0);
  settings_free(&s);
  ck_assert(load_fails("mvit_k400", "+inference_config.hwaccel=nvdec",
                       "inference_config.hwaccel"));
  ck_assert(load_fails("mvit_k400", "+model_config.optimize=sometimes",
                       "model_config.optimize"));
}
END_TEST

START_TEST(test_parse_rate) {
  int64_t n, d;
  ck_assert_int_eq(settings_parse_rate("30", &n, &d), EF_OK);
  ck_assert(n == 30 && d == 1);
  ck_assert_int_eq(settings_parse_rate("30000/1001", &n, &d), EF_OK);
  ck_assert(n == 30000 && d == 1001);
  ck_assert_int_eq(settings_parse_rate("60/2", &n, &d), EF_OK);
  ck_assert(n == 30 && d == 1);
  ck_assert_int_eq(settings_parse_rate("23.976", &n, &d), EF_OK);
  ck_assert(n == 24000 && d == 1001);
  ck_assert_int_eq(settings_parse_rate("12.5", &n, &d), EF_OK);
  ck_assert(n == 25 && d == 2);
  ck_assert_int_eq(settings_parse_rate("0", &n, &d), EF_ECONFIG);
  ck_assert_int_eq(settings_parse_rate("abc", &n, &d), EF_ECONFIG);
  ck_assert_int_eq(settings_parse_rate("30/0", &n, &d), EF_ECONFIG);
}
END_TEST

START_TEST(test_bad_values_name_the_key) {
  ck_assert(load_fails("mvit_k400", "inference_config.stride=0",
                       "inference_config.stride"));
  ck_assert(load_fails("mvit_k400", "model_config.crop_size=300", "side_size"));
  ck_assert(load_fails("mvit_k400", "inference_config.include_audio=true",
                       "include_audio"));
  ck_assert(load_fails("mvit_k400", "model_config.mean=[0.1,0.2]",
                       "model_config.mean"));
  ck_assert(load_fails("mvit_k400", "inference_config.fps=-3", "fps"));
  ck_assert(load_fails("mvit_k400", "model_config.input_layout=nhwc",
                       "input_layout"));
}
END_TEST

int main(void) {
  Suite *s = suite_create("settings");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_slowfast_reference_values);
  tcase_add_test(tc, test_image_and_video_kinds);
  tcase_add_test(tc, test_kind_from_module_str_without_kind);
  tcase_add_test(tc, test_asr_kind_and_transcripts);
  tcase_add_test(tc, test_overrides_reach_settings);
  tcase_add_test(tc, test_parse_rate);
  tcase_add_test(tc, test_optimize_and_hwaccel);
  tcase_add_test(tc, test_bad_values_name_the_key);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
