/*
 * test_pipeline.c - the public extraction API end to end in one process:
 * in-memory features and window times, batches across videos, progress,
 * cancellation, per-video failures, and ef_perform_feature_extraction's
 * stats. Runs with CK_FORK=no (libtorch in the test process).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ego4dfeat/ego4dfeat.h"
#include "testutil.h"

static char *dir;
static char *clip30, *clip_short, *model_video, *model_tuple;

static void setup(void) {
  dir = tu_tmpdir();
  ck_assert_ptr_nonnull(dir);
  clip30 = tu_ffmpeg(dir, "clip30.mp4",
                     "-f lavfi -i testsrc2=size=160x120:rate=30:duration=2.5 "
                     "-c:v libx264 -pix_fmt yuv420p");
  clip_short = tu_ffmpeg(dir, "short.mp4",
                         "-f lavfi -i testsrc2=size=160x120:rate=30:duration="
                         "0.4 -c:v libx264 -pix_fmt yuv420p");
  ck_assert_ptr_nonnull(clip30);
  ck_assert_ptr_nonnull(clip_short);
  ck_assert_int_eq(tu_run("%s %s/tests/fixtures/make_models.py %s tiny_video "
                          "tuple_output > /dev/null",
                          tu_python(), tu_source_root(), dir),
                   0);
  model_video = tu_path(dir, "tiny_video.pt");
  model_tuple = tu_path(dir, "tuple_output.pt");
}

static void teardown(void) {
  tu_rmrf(dir);
  free(dir);
  free(clip30);
  free(clip_short);
  free(model_video);
  free(model_tuple);
}

/* The mvit_k400 config pointed at the temp folder and a model. */
static ef_config *config_for(const char *model) {
  char path[4096];
  ef_config *cfg = NULL;
  snprintf(path, sizeof path, "%s/configs", tu_source_root());
  ck_assert_int_eq(ef_config_load(path, "mvit_k400", &cfg), EF_OK);
  snprintf(path, sizeof path, "model_config.model_path=%s", model);
  ck_assert_int_eq(ef_config_override(cfg, path), EF_OK);
  snprintf(path, sizeof path, "io.video_dir_path=%s", dir);
  ck_assert_int_eq(ef_config_override(cfg, path), EF_OK);
  snprintf(path, sizeof path, "io.out_path=%s/out", dir);
  ck_assert_int_eq(ef_config_override(cfg, path), EF_OK);
  ck_assert_int_eq(ef_config_override(cfg, "inference_config.device=cpu"),
                   EF_OK);
  ck_assert_int_eq(ef_config_override(cfg, "inference_config.num_workers=1"),
                   EF_OK);
  return cfg;
}

START_TEST(test_extract_in_memory_with_window_times) {
  ef_config *cfg = config_for(model_video);
  ef_model *m = NULL;
  ck_assert_int_eq(ef_model_load(cfg, &m), EF_OK);
  ck_assert_str_eq(ef_model_kind(m), "video");
  const char *videos[] = {clip30, clip_short};
  ef_results *r = NULL;
  ef_params p;
  ck_assert_int_eq(ef_params_init(&p, sizeof p), EF_OK);
  ck_assert_int_eq(ef_extract_features(m, cfg, videos, 2, &p, &r), EF_OK);
  ck_assert_uint_eq(ef_results_count(r), 2);
  ck_assert_int_eq(ef_results_outcome(r, 0), EF_VIDEO_DONE);
  ck_assert_int_eq(ef_results_outcome(r, 2), EF_VIDEO_INVALID);
  int64_t dims[4];
  ck_assert_int_eq(ef_results_shape(r, 0, dims, 4), 2);
  ck_assert_int_eq(dims[0], 4); /* 75 frames: 0, 16, 32, 43 */
  ck_assert_int_eq(dims[1], 8);
  const double *st = ef_results_window_starts(r, 0);
  const double *en = ef_results_window_ends(r, 0);
  ck_assert_double_eq_tol(st[1], 16.0 / 30.0, 1e-12);
  ck_assert_double_eq_tol(en[1], 48.0 / 30.0, 1e-12);
  ck_assert_double_eq_tol(st[3], 43.0 / 30.0, 1e-12);
  ck_assert_double_eq_tol(en[3], 75.0 / 30.0, 1e-12);
  ck_assert_int_eq(ef_results_shape(r, 1, dims, 4), 2);
  ck_assert_int_eq(dims[0], 1);
  ck_assert_double_eq_tol(ef_results_window_ends(r, 1)[0], 12.0 / 30.0, 1e-12);
  const float *f = ef_results_data(r, 0);
  for (int i = 0; i < 32; i++)
    ck_assert(isfinite(f[i]));
  /* Different windows of a moving test pattern differ. */
  ck_assert(memcmp(f, f + 8, 8 * sizeof(float)) != 0);
  ef_results_free(r);
  ef_model_free(m);
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_batch_size_does_not_change_features) {
  ef_config *cfg = config_for(model_video);
  ef_model *m = NULL;
  ck_assert_int_eq(ef_model_load(cfg, &m), EF_OK);
  const char *videos[] = {clip30, clip_short, clip30};
  ef_results *a = NULL, *b = NULL;
  ck_assert_int_eq(ef_extract_features(m, cfg, videos, 3, NULL, &a), EF_OK);
  ck_assert_int_eq(ef_config_override(cfg, "inference_config.batch_size=4"),
                   EF_OK);
  ck_assert_int_eq(ef_config_override(cfg, "inference_config.num_workers=2"),
                   EF_OK);
  ck_assert_int_eq(ef_extract_features(m, cfg, videos, 3, NULL, &b), EF_OK);
  for (size_t v = 0; v < 3; v++) {
    int64_t da[4], db[4];
    ck_assert_int_eq(ef_results_shape(a, v, da, 4), 2);
    ck_assert_int_eq(ef_results_shape(b, v, db, 4), 2);
    ck_assert_int_eq(da[0], db[0]);
    const float *fa = ef_results_data(a, v), *fb = ef_results_data(b, v);
    for (int64_t i = 0; i < da[0] * da[1]; i++)
      ck_assert_float_eq_tol(fa[i], fb[i], 1e-5);
  }
  ef_results_free(a);
  ef_results_free(b);
  ef_model_free(m);
  ef_config_free(cfg);
}
END_TEST

typedef struct {
  int calls, finished;
  int cancel_after;
} progress_log;

static int on_progress(const ef_progress_info *info, void *user) {
  progress_log *log = user;
  log->calls++;
  ck_assert_uint_eq(info->video_count, 2);
  ck_assert_ptr_nonnull(info->uid);
  if (info->finished)
    log->finished++;
  return log->cancel_after && log->calls >= log->cancel_after;
}

START_TEST(test_progress_and_cancel) {
  ef_config *cfg = config_for(model_video);
  ef_model *m = NULL;
  ck_assert_int_eq(ef_model_load(cfg, &m), EF_OK);
  const char *videos[] = {clip30, clip30};
  progress_log log = {0, 0, 0};
  ef_params p;
  ck_assert_int_eq(ef_params_init(&p, sizeof p), EF_OK);
  p.progress = on_progress;
  p.progress_user_data = &log;
  ef_results *r = NULL;
  ck_assert_int_eq(ef_extract_features(m, cfg, videos, 2, &p, &r), EF_OK);
  ck_assert_int_eq(log.finished, 2);
  ck_assert_int_ge(log.calls, 8); /* start + 4 batches each */
  ef_results_free(r);

  progress_log stop = {0, 0, 2};
  p.progress_user_data = &stop;
  r = NULL;
  ck_assert_int_eq(ef_extract_features(m, cfg, videos, 2, &p, &r),
                   EF_ECANCELLED);
  ck_assert_ptr_null(r);
  ef_model_free(m);
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_bad_video_fails_alone) {
  ef_config *cfg = config_for(model_video);
  ef_model *m = NULL;
  ck_assert_int_eq(ef_model_load(cfg, &m), EF_OK);
  char *bogus = tu_path(dir, "bogus.mp4");
  ck_assert_int_eq(tu_write_file(bogus, "not a video"), 0);
  const char *videos[] = {bogus, clip30};
  ef_results *r = NULL;
  ck_assert_int_eq(ef_extract_features(m, cfg, videos, 2, NULL, &r),
                   EF_EPARTIAL);
  ck_assert_int_ne(ef_results_status(r, 0), EF_OK);
  ck_assert(strstr(ef_results_error(r, 0), "bogus.mp4") != NULL);
  ck_assert_ptr_null(ef_results_data(r, 0));
  ck_assert_int_eq(ef_results_status(r, 1), EF_OK);
  ck_assert_ptr_nonnull(ef_results_data(r, 1));
  ef_results_free(r);
  /* Each failure keeps its own status code. */
  const char *missing[] = {"/nonexistent/video.mp4"};
  ck_assert_int_eq(ef_extract_features(m, cfg, missing, 1, NULL, &r),
                   EF_EPARTIAL);
  ck_assert_int_eq(ef_results_status(r, 0), EF_ENOTFOUND);
  ck_assert(strstr(ef_results_error(r, 0), "/nonexistent/video.mp4") != NULL);
  ef_results_free(r);
  ef_model_free(m);
  ef_config_free(cfg);
  free(bogus);
}
END_TEST

/* What the callback saw of each finished video. */
typedef struct {
  int status[2];
  char error[2][512];
} finish_log;

static int on_finish(const ef_progress_info *info, void *user) {
  finish_log *log = user;
  ck_assert_ptr_nonnull(info->error);
  if (info->finished && info->video_index < 2) {
    log->status[info->video_index] = info->status;
    snprintf(log->error[info->video_index], sizeof log->error[0], "%s",
             info->error);
  }
  return 0;
}

START_TEST(test_progress_tells_why_a_video_failed) {
  ef_config *cfg = config_for(model_video);
  ef_model *m = NULL;
  ck_assert_int_eq(ef_model_load(cfg, &m), EF_OK);
  const char *videos[] = {"/nonexistent/gone.mp4", clip_short};
  finish_log log = {{99, 99}, {"unset", "unset"}};
  ef_params p;
  ck_assert_int_eq(ef_params_init(&p, sizeof p), EF_OK);
  p.progress = on_finish;
  p.progress_user_data = &log;
  ef_results *r = NULL;
  ck_assert_int_eq(ef_extract_features(m, cfg, videos, 2, &p, &r), EF_EPARTIAL);
  ck_assert_int_eq(log.status[0], EF_ENOTFOUND);
  ck_assert_int_eq(log.status[0], ef_results_status(r, 0));
  ck_assert(strstr(log.error[0], "/nonexistent/gone.mp4") != NULL);
  ck_assert_int_eq(log.status[1], EF_OK);
  ck_assert_str_eq(log.error[1], "");
  ef_results_free(r);
  ef_model_free(m);
  ef_config_free(cfg);
}
END_TEST

/* A params struct not made by ef_params_init(), or from a newer
 * header, is refused before anything runs. */
START_TEST(test_params_size_is_checked) {
  ef_config *cfg = config_for(model_video);
  ef_model *m = NULL;
  ck_assert_int_eq(ef_model_load(cfg, &m), EF_OK);
  const char *videos[] = {clip_short};
  ef_results *r = NULL;
  ef_params p;
  ck_assert_int_eq(ef_params_init(&p, sizeof p), EF_OK);
  ck_assert_uint_eq(p.size, sizeof p);
  p.size = 0;
  ck_assert_int_eq(ef_extract_features(m, cfg, videos, 1, &p, &r), EF_EINVAL);
  ck_assert_ptr_null(r);
  ck_assert(strstr(ef_last_error(), "ef_params_init") != NULL);
  p.size = sizeof p + 8;
  ck_assert_int_eq(ef_perform_feature_extraction(cfg, videos, 1, &p, NULL),
                   EF_EINVAL);
  ck_assert(strstr(ef_last_error(), "ef_params.size") != NULL);
  /* Nothing was written. */
  char out[4096];
  snprintf(out, sizeof out, "%s/out", dir);
  struct stat sb;
  ck_assert_int_ne(stat(out, &sb), 0);
  ef_model_free(m);
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_model_errors) {
  ef_config *cfg = config_for("/nonexistent/model.pt");
  ef_model *m = NULL;
  ck_assert_int_ne(ef_model_load(cfg, &m), EF_OK);
  ck_assert_ptr_null(m);
  ck_assert(strstr(ef_last_error(), "/nonexistent/model.pt") != NULL);
  ef_config_free(cfg);

  cfg = config_for(model_tuple);
  ck_assert_int_eq(ef_model_load(cfg, &m), EF_OK);
  const char *videos[] = {clip_short};
  ef_results *r = NULL;
  ck_assert_int_eq(ef_extract_features(m, cfg, videos, 1, NULL, &r),
                   EF_EPARTIAL);
  ck_assert(strstr(ef_results_error(r, 0), "not a tensor") != NULL);
  ef_results_free(r);
  ef_model_free(m);
  ef_config_free(cfg);

  cfg = config_for(model_video);
  ck_assert_int_eq(ef_config_override(cfg, "model_config.kind=warp"), EF_OK);
  ck_assert_int_eq(ef_model_load(cfg, &m), EF_ECONFIG);
  ck_assert(strstr(ef_last_error(), "warp") != NULL);
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_perform_writes_files_and_stats) {
  ef_config *cfg = config_for(model_video);
  ck_assert_int_eq(ef_config_override(cfg, "io.uid_list=[clip30,short,gone]"),
                   EF_OK);
  ef_stats *st = NULL;
  ck_assert_int_eq(ef_perform_feature_extraction(cfg, NULL, 0, NULL, &st),
                   EF_EPARTIAL);
  ck_assert_uint_eq(ef_stats_video_count(st), 3);
  ck_assert_int_eq(ef_stats_video_outcome(st, 3), EF_VIDEO_INVALID);
  ck_assert_uint_eq(ef_stats_count(st, EF_VIDEO_DONE), 2);
  ck_assert_uint_eq(ef_stats_count(st, EF_VIDEO_FAILED), 1);
  ck_assert_str_eq(ef_stats_video_uid(st, 2), "gone");
  ck_assert(strstr(ef_stats_video_error(st, 2), "gone.mp4") != NULL);
  ck_assert_int_eq(ef_stats_total_windows(st), 5);
  ck_assert_double_eq_tol(ef_stats_video_seconds(st, 0), 2.5, 1e-9);
  ck_assert(ef_stats_seconds(st, EF_TIME_FORWARD) > 0);
  ck_assert(ef_stats_seconds(st, EF_TIME_OVERALL) >=
            ef_stats_seconds(st, EF_TIME_FORWARD));
  ck_assert_int_eq(ef_stats_total_forward_passes(st), 5);
  ef_stats_free(st);
  char *out = tu_path(dir, "out/clip30.pt");
  struct stat sb;
  ck_assert_int_eq(stat(out, &sb), 0);
  free(out);
  out = tu_path(dir, "out/config.yaml");
  ck_assert_int_eq(stat(out, &sb), 0);
  free(out);

  /* Second run: both complete outputs are skipped. */
  st = NULL;
  ck_assert_int_eq(ef_perform_feature_extraction(cfg, NULL, 0, NULL, &st),
                   EF_EPARTIAL);
  ck_assert_uint_eq(ef_stats_count(st, EF_VIDEO_SKIPPED), 2);
  ef_stats_free(st);
  ef_config_free(cfg);
}
END_TEST

int main(void) {
  Suite *s = suite_create("pipeline");
  TCase *tc = tcase_create("api");
  tcase_set_timeout(tc, 300);
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_extract_in_memory_with_window_times);
  tcase_add_test(tc, test_batch_size_does_not_change_features);
  tcase_add_test(tc, test_progress_and_cancel);
  tcase_add_test(tc, test_bad_video_fails_alone);
  tcase_add_test(tc, test_progress_tells_why_a_video_failed);
  tcase_add_test(tc, test_params_size_is_checked);
  tcase_add_test(tc, test_model_errors);
  tcase_add_test(tc, test_perform_writes_files_and_stats);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
