/*
 * test_schedule.c - unit tests of the schedule_*.c files: estimates with the
 * reference's formula, the plan's bins and figures, the plan file written
 * and read back, strict and lenient handling of oversize videos, the
 * status files, and the per-bin config and completeness check. Videos are
 * described by a manifest.csv (empty files stand for them), so no decoding
 * or model is needed.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/settings.h"
#include "ego4dfeat/schedule.h"
#include "output/provenance.h"
#include "output/write.h"
#include "output/write_times.h"
#include "schedule/schedule.h"
#include "testutil.h"

static char *g_dir;

static void setup(void) {
  g_dir = tu_tmpdir();
  ck_assert_ptr_nonnull(g_dir);
}

static void teardown(void) {
  tu_rmrf(g_dir);
  free(g_dir);
  g_dir = NULL;
}

typedef struct {
  const char *uid;
  int frames;
} clip;

/* Frames for 1, 5, 10, 20 and 40 windows of 32 every 16. */
enum { W1 = 20, W5 = 96, W10 = 176, W20 = 336, W40 = 656 };

/* With time_per_forward_pass 2 s, overhead 1, batch 1: 2 s per window,
 * 60 s per bin. Sizes 10, 10, 10, 20, 20, 40, 2 s: 112 s in 2 bins. */
static const clip seven[] = {{"a", W5},  {"b", W5},  {"c", W5}, {"d", W10},
                             {"e", W10}, {"f", W20}, {"g", W1}};

/* <g_dir>/videos with empty <uid>.mp4 files and a manifest.csv. */
static void make_videos(const clip *clips, size_t n) {
  ck_assert_int_eq(tu_run("mkdir -p '%s/videos'", g_dir), 0);
  char *manifest = tu_path(g_dir, "videos/manifest.csv");
  FILE *f = fopen(manifest, "w");
  ck_assert_ptr_nonnull(f);
  fprintf(f, "video_uid,canonical_num_frames,canonical_display_width,"
             "canonical_display_height,canonical_audio_start_sec,"
             "canonical_audio_duration_sec\n");
  for (size_t i = 0; i < n; i++) {
    fprintf(f, "%s,%d,64,48,,\n", clips[i].uid, clips[i].frames);
    char name[64];
    snprintf(name, sizeof name, "videos/%s.mp4", clips[i].uid);
    char *p = tu_path(g_dir, name);
    ck_assert_int_eq(tu_write_file(p, ""), 0);
    free(p);
  }
  fclose(f);
  free(manifest);
}

static void set(ef_config *cfg, const char *fmt, const char *arg) {
  char buf[1024];
  snprintf(buf, sizeof buf, fmt, arg);
  ck_assert_msg(ef_config_override(cfg, buf) == EF_OK, "%s: %s", buf,
                ef_last_error());
}

/* mvit_k400 with the test's folders and 60 s bins. */
static ef_config *test_config(void) {
  char *configs = tu_path(tu_source_root(), "configs");
  ef_config *cfg = NULL;
  ck_assert_int_eq(ef_config_load(configs, "mvit_k400", &cfg), EF_OK);
  free(configs);
  set(cfg, "io.video_dir_path=%s/videos", g_dir);
  set(cfg, "io.out_path=%s/out", g_dir);
  set(cfg, "schedule_config.log_folder=%s/logs/%%j", g_dir);
  set(cfg, "schedule_config.timeout_min=1%s", "");
  set(cfg, "schedule_config.overhead=1.0%s", "");
  set(cfg, "schedule_config.time_per_forward_pass=2.0%s", "");
  set(cfg, "inference_config.device=cpu%s", "");
  return cfg;
}

/* ef_plan_bin_complete's answer, or -1 when it fails (*complete is then
 * 0, as documented). */
static int bin_complete(const ef_plan *p, size_t bin) {
  int complete = -1;
  if (ef_plan_bin_complete(p, bin, &complete) != EF_OK) {
    ck_assert_int_eq(complete, 0);
    return -1;
  }
  return complete;
}

static ef_plan *make_plan(ef_config *cfg, int strict) {
  ef_plan_options o;
  ck_assert_int_eq(ef_plan_options_init(&o, sizeof o), EF_OK);
  o.strict = strict;
  ef_plan *p = NULL;
  ck_assert_msg(ef_plan_create(cfg, &o, &p) == EF_OK, "%s", ef_last_error());
  return p;
}

/* Every uid of clips in exactly one bin; bins within capacity unless
 * they hold a single video. */
static void check_bins(const ef_plan *p, const clip *clips, size_t n) {
  size_t seen = 0;
  double cap = ef_plan_figure_value(p, EF_PLAN_CAPACITY);
  for (size_t b = 0; b < ef_plan_bin_count(p); b++) {
    double sum = 0;
    ck_assert_uint_gt(ef_plan_bin_size(p, b), 0);
    for (size_t i = 0; i < ef_plan_bin_size(p, b); i++) {
      const char *uid = ef_plan_video_uid(p, b, i);
      size_t hits = 0;
      for (size_t c = 0; c < n; c++)
        hits += strcmp(clips[c].uid, uid) == 0;
      ck_assert_uint_eq(hits, 1);
      sum += ef_plan_video_seconds(p, b, i);
      seen++;
    }
    ck_assert_double_eq_tol(sum, ef_plan_bin_seconds(p, b), 1e-9);
    if (ef_plan_bin_size(p, b) > 1)
      ck_assert_double_le(sum, cap);
  }
  ck_assert_uint_eq(seen, n);
}

START_TEST(test_estimate_formula) {
  /* The reference's overhead * ceil(windows / batch) * time per pass. */
  ck_assert_int_eq(schedule_estimate_ms(19, 1, 2.0, 0.8), 30400);
  ck_assert_int_eq(schedule_estimate_ms(19, 4, 2.0, 0.8), 8000);
  ck_assert_int_eq(schedule_estimate_ms(3, 1, 1.1, 2.4), 7920);
  ck_assert_int_eq(schedule_estimate_ms(1, 8, 1.0, 0.0015), 2);
}
END_TEST

START_TEST(test_plan_root) {
  const char *cases[][2] = {
      {"slurm_log/%j", "slurm_log"},
      {"a/b/job_%j/x", "a/b"},
      {"%j", "."},
      {"/%j", "/"},
      {"logs/", "logs"},
      {"logs", "logs"},
      {"/abs/x/%j", "/abs/x"},
      {"", "."},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *r = schedule_plan_root(cases[i][0]);
    ck_assert_str_eq(r, cases[i][1]);
    free(r);
  }
}
END_TEST

START_TEST(test_bins_and_figures) {
  make_videos(seven, 7);
  ef_config *cfg = test_config();
  ef_plan *p = make_plan(cfg, 0);
  check_bins(p, seven, 7);
  ck_assert_uint_eq(ef_plan_bin_count(p), 2);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_VIDEOS), 7);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_BINS), 2);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_BINS_LOWER_BOUND), 2);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_BINS_FEWEST), 2);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_CAPACITY), 60);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_TOTAL), 112);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_LONGEST), 40);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_PARALLELISM), 2);
  /* Balanced: 40 + 10 + 10 and 20 + 20 + 10 + 2. */
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_MAKESPAN), 60);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_MAKESPAN_LOWER_BOUND),
                      56);
  ck_assert_double_eq(ef_plan_bin_seconds(p, 1), 52);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_N_SCHEDULES), 1);
  /* n_schedules * 60 * timeout_min + n_schedules * 10 min per node. */
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_REFERENCE_SECONDS), 660);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_OVERSIZE), 0);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_UNKNOWN_LENGTH), 0);
  /* The largest video first, with its frames. */
  ck_assert_str_eq(ef_plan_video_uid(p, 0, 0), "f");
  ck_assert_int_eq(ef_plan_video_frames(p, 0, 0), W20);
  ck_assert_ptr_null(ef_plan_video_uid(p, 2, 0));
  ck_assert_int_eq(ef_plan_video_frames(p, 0, 99), -1);
  ck_assert_double_eq(ef_plan_figure_value(NULL, EF_PLAN_BINS), 0);
  ef_plan_free(p);

  /* One task at a time: the bins run one after the other. */
  ef_plan_options o;
  ck_assert_int_eq(ef_plan_options_init(&o, sizeof o), EF_OK);
  o.parallelism = 1;
  ck_assert_int_eq(ef_plan_create(cfg, &o, &p), EF_OK);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_MAKESPAN), 112);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_N_SCHEDULES), 2);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_MAKESPAN_LOWER_BOUND),
                      112);
  ef_plan_free(p);

  /* Options not made by ef_plan_options_init, or of a newer header. */
  p = NULL;
  o.size = 0;
  ck_assert_int_eq(ef_plan_create(cfg, &o, &p), EF_EINVAL);
  ck_assert_ptr_null(p);
  ck_assert(strstr(ef_last_error(), "ef_plan_options_init") != NULL);
  o.size = sizeof o + 4;
  ck_assert_int_eq(ef_plan_create(cfg, &o, &p), EF_EINVAL);
  ck_assert(strstr(ef_last_error(), "ef_plan_options.size") != NULL);
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_more_bins_when_tasks_run_in_waves) {
  /* 15, 15, 15, 30, 30, 60, 3 s: 3 bins (60, 60, 48 balanced); two at a
   * time that is 108 s. Four bins (60, 45, 33, 30) finish in 90 s. */
  make_videos(seven, 7);
  ef_config *cfg = test_config();
  set(cfg, "schedule_config.time_per_forward_pass=3%s", "");
  ef_plan_options o;
  ck_assert_int_eq(ef_plan_options_init(&o, sizeof o), EF_OK);
  o.parallelism = 2;
  ef_plan *p = NULL;
  ck_assert_int_eq(ef_plan_create(cfg, &o, &p), EF_OK);
  check_bins(p, seven, 7);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_BINS_LOWER_BOUND), 3);
  ck_assert_uint_eq(ef_plan_bin_count(p), 4);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_BINS_FEWEST), 3);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_MAKESPAN), 90);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_MAKESPAN_LOWER_BOUND),
                      84);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_N_SCHEDULES), 2);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_REFERENCE_SECONDS),
                      2 * 60 + 2 * 600);
  ef_plan_free(p);
  /* All at once: the fewest bins. */
  o.parallelism = 3;
  ck_assert_int_eq(ef_plan_create(cfg, &o, &p), EF_OK);
  ck_assert_uint_eq(ef_plan_bin_count(p), 3);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_MAKESPAN), 60);
  ef_plan_free(p);
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_same_plan_same_folder_and_file) {
  make_videos(seven, 7);
  ef_config *cfg = test_config();
  ef_plan *a = make_plan(cfg, 0), *b = make_plan(cfg, 0), *c = NULL;
  ck_assert_str_eq(ef_plan_dir(a), ef_plan_dir(b));
  char *logs = tu_path(g_dir, "logs/plan-");
  ck_assert_msg(strncmp(ef_plan_dir(a), logs, strlen(logs)) == 0, "%s",
                ef_plan_dir(a));
  free(logs);
  ck_assert_int_eq(ef_plan_save(a), EF_OK);
  char *file = tu_path(ef_plan_dir(a), "plan.json");
  size_t len1, len2;
  char *text1 = tu_read_file(file, &len1);
  ck_assert_ptr_nonnull(text1);
  ck_assert_int_eq(ef_plan_load(ef_plan_dir(a), &c), EF_OK);
  ck_assert_str_eq(ef_plan_dir(c), ef_plan_dir(a));
  ck_assert_uint_eq(ef_plan_bin_count(c), ef_plan_bin_count(a));
  for (size_t bin = 0; bin < ef_plan_bin_count(a); bin++) {
    ck_assert_uint_eq(ef_plan_bin_size(c, bin), ef_plan_bin_size(a, bin));
    ck_assert_double_eq(ef_plan_bin_seconds(c, bin),
                        ef_plan_bin_seconds(a, bin));
    for (size_t i = 0; i < ef_plan_bin_size(a, bin); i++) {
      ck_assert_str_eq(ef_plan_video_uid(c, bin, i),
                       ef_plan_video_uid(a, bin, i));
      ck_assert_int_eq(ef_plan_video_frames(c, bin, i),
                       ef_plan_video_frames(a, bin, i));
    }
  }
  for (int f = 0; f < EF_PLAN_FIGURE_COUNT_; f++)
    ck_assert_double_eq(ef_plan_figure_value(c, (ef_plan_figure)f),
                        ef_plan_figure_value(a, (ef_plan_figure)f));
  /* Read back and written again: the same bytes. */
  ck_assert_int_eq(ef_plan_save(c), EF_OK);
  char *text2 = tu_read_file(file, &len2);
  ck_assert_uint_eq(len1, len2);
  ck_assert_int_eq(memcmp(text1, text2, len1), 0);
  ef_plan_free(c);
  ck_assert_int_eq(ef_plan_load(file, &c), EF_OK); /* the file itself too */
  ef_plan_free(c);
  free(text1);
  free(text2);
  free(file);

  /* Another split (a longer time limit) is another plan. */
  set(cfg, "schedule_config.timeout_min=10%s", "");
  c = make_plan(cfg, 0);
  ck_assert_uint_eq(ef_plan_bin_count(c), 1);
  ck_assert_str_ne(ef_plan_dir(c), ef_plan_dir(a));
  ef_plan_free(c);
  ef_plan_free(a);
  ef_plan_free(b);
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_relative_paths_become_absolute) {
  make_videos(seven, 7);
  ef_config *cfg = test_config();
  char *cwd = getcwd(NULL, 0);
  ck_assert_int_eq(chdir(g_dir), 0);
  set(cfg, "io.out_path=%s", "rel/out");
  set(cfg, "schedule_config.log_folder=%s", "./runs/%j");
  ef_plan *p = make_plan(cfg, 0);
  const char *out;
  ck_assert_int_eq(ef_config_get_string(ef_plan_config(p), "io.out_path", &out),
                   EF_OK);
  char *want = tu_path(g_dir, "rel/out");
  ck_assert_str_eq(out, want);
  free(want);
  want = tu_path(g_dir, "runs/plan-");
  ck_assert_msg(strncmp(ef_plan_dir(p), want, strlen(want)) == 0, "%s",
                ef_plan_dir(p));
  free(want);
  ck_assert_int_eq(chdir(cwd), 0);
  free(cwd);
  ef_plan_free(p);
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_oversize_video) {
  const clip with_long[] = {{"a", W5}, {"b", W10}, {"long", W40}};
  make_videos(with_long, 3);
  ef_config *cfg = test_config();
  ef_plan *p = make_plan(cfg, 0);
  check_bins(p, with_long, 3);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_OVERSIZE), 1);
  ck_assert_uint_eq(ef_plan_bin_count(p), 2);
  ck_assert_str_eq(ef_plan_video_uid(p, 0, 0), "long");
  ck_assert_uint_eq(ef_plan_bin_size(p, 0), 1);
  ck_assert_double_eq(ef_plan_bin_seconds(p, 0), 80);
  ef_plan_free(p);

  ef_plan_options o;
  ck_assert_int_eq(ef_plan_options_init(&o, sizeof o), EF_OK);
  o.strict = 1;
  p = (ef_plan *)1;
  ck_assert_int_eq(ef_plan_create(cfg, &o, &p), EF_EINVAL);
  ck_assert_ptr_null(p);
  const char *msg = ef_last_error();
  ck_assert_msg(strstr(msg, "'long'") && strstr(msg, "timeout_min") &&
                    strstr(msg, "at least 2"),
                "%s", msg);
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_unknown_length_and_empty) {
  make_videos(seven, 1);
  ef_config *cfg = test_config();
  set(cfg, "io.uid_list=[a,%s,a]", "ghost");
  ef_plan *p = make_plan(cfg, 0);
  /* "a" once: repeated uids would write the same file. */
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_VIDEOS), 2);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_UNKNOWN_LENGTH), 1);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_TOTAL), 12);
  ef_plan_free(p);

  set(cfg, "io.uid_list=[]%s", "");
  p = make_plan(cfg, 0);
  ck_assert_uint_eq(ef_plan_bin_count(p), 0);
  ck_assert_double_eq(ef_plan_figure_value(p, EF_PLAN_MAKESPAN), 0);
  ck_assert_int_eq(ef_plan_save(p), EF_OK);
  ef_plan *q = NULL;
  ck_assert_int_eq(ef_plan_load(ef_plan_dir(p), &q), EF_OK);
  ck_assert_uint_eq(ef_plan_bin_count(q), 0);
  ef_plan_free(q);
  ef_plan_free(p);
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_bad_schedule_config) {
  make_videos(seven, 7);
  ef_config *cfg = test_config();
  ef_plan *p = NULL;
  set(cfg, "schedule_config.time_per_forward_pass=0%s", "");
  ck_assert_int_eq(ef_plan_create(cfg, NULL, &p), EF_ECONFIG);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "time_per_forward_pass"));
  set(cfg, "schedule_config.time_per_forward_pass=1%s", "");
  set(cfg, "~schedule_config.timeout_min%s", "");
  ck_assert_int_eq(ef_plan_create(cfg, NULL, &p), EF_ECONFIG);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "timeout_min"));
  ck_assert_ptr_null(p);
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_load_errors) {
  ef_plan *p = NULL;
  char *path = tu_path(g_dir, "nothing");
  ck_assert_int_eq(ef_plan_load(path, &p), EF_ENOTFOUND);
  free(path);
  path = tu_path(g_dir, "plan.json");
  ck_assert_int_eq(tu_write_file(path, "{\"format\": \"other\"}\n"), 0);
  ck_assert_int_eq(ef_plan_load(g_dir, &p), EF_EINVAL);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "not an ego4dfeat plan"));
  ck_assert_int_eq(tu_write_file(path, "{\"format\": [\n"), 0);
  ck_assert_int_eq(ef_plan_load(path, &p), EF_EINVAL);
  ck_assert_ptr_null(p);
  free(path);
}
END_TEST

START_TEST(test_status_files) {
  make_videos(seven, 7);
  ef_config *cfg = test_config();
  ef_plan *p = make_plan(cfg, 0);
  ck_assert_int_eq(ef_plan_save(p), EF_OK);
  ck_assert_int_eq(ef_plan_read_status(p), EF_OK);
  ck_assert_int_eq(ef_plan_bin_state(p, 0), EF_BIN_NOT_STARTED);
  ck_assert_str_eq(ef_plan_bin_runner(p, 0), "");

  ef_schedule_status *st = NULL;
  ck_assert_int_eq(ef_schedule_status_begin(p, 5, "x", &st), EF_EINVAL);
  ck_assert_int_eq(ef_schedule_status_begin(p, 0, "test 1", &st), EF_OK);
  ck_assert_int_eq(ef_plan_read_status(p), EF_OK);
  ck_assert_int_eq(ef_plan_bin_state(p, 0), EF_BIN_RUNNING);
  ck_assert_str_eq(ef_plan_bin_runner(p, 0), "test 1");
  ck_assert_int_eq(ef_plan_video_outcome(p, 0, 0), EF_VIDEO_NOT_RUN);

  const char *u0 = ef_plan_video_uid(p, 0, 0), *u1 = ef_plan_video_uid(p, 0, 1);
  ck_assert_int_eq(ef_schedule_status_set(st, u0, EF_VIDEO_DONE, NULL), EF_OK);
  ck_assert_int_eq(ef_schedule_status_set(st, u0, EF_VIDEO_DONE, NULL), EF_OK);
  ck_assert_int_eq(
      ef_schedule_status_set(st, u1, EF_VIDEO_FAILED, "bad \"file\"\n"), EF_OK);
  ck_assert_int_eq(ef_schedule_status_set(st, "zzz", EF_VIDEO_DONE, NULL),
                   EF_ENOTFOUND);
  ck_assert_int_eq(ef_plan_read_status(p), EF_OK);
  ck_assert_int_eq(ef_plan_video_outcome(p, 0, 0), EF_VIDEO_DONE);
  ck_assert_int_eq(ef_plan_video_outcome(p, 0, 1), EF_VIDEO_FAILED);
  ck_assert_str_eq(ef_plan_video_error(p, 0, 1), "bad \"file\"\n");
  ck_assert_int_eq(ef_plan_bin_state(p, 0), EF_BIN_RUNNING);
  ck_assert_int_eq(ef_schedule_status_finish(st, EF_BIN_FAILED, "no model"),
                   EF_OK);
  ef_schedule_status_free(st);
  ck_assert_int_eq(ef_plan_read_status(p), EF_OK);
  ck_assert_int_eq(ef_plan_bin_state(p, 0), EF_BIN_FAILED);
  ck_assert_str_eq(ef_plan_bin_error(p, 0), "no model");
  ck_assert_int_eq(ef_plan_bin_state(p, 1), EF_BIN_NOT_STARTED);

  /* A new attempt starts from scratch. */
  ck_assert_int_eq(ef_schedule_status_begin(p, 0, "test 2", &st), EF_OK);
  ck_assert_int_eq(ef_schedule_status_finish(st, EF_BIN_CANCELLED, NULL),
                   EF_OK);
  ef_schedule_status_free(st);
  ck_assert_int_eq(ef_plan_read_status(p), EF_OK);
  ck_assert_int_eq(ef_plan_bin_state(p, 0), EF_BIN_CANCELLED);
  ck_assert_int_eq(ef_plan_video_outcome(p, 0, 0), EF_VIDEO_NOT_RUN);
  /* No such bin or video: a value that cannot pass for a real one. */
  ck_assert_int_eq(ef_plan_bin_state(p, 99), EF_BIN_INVALID);
  ck_assert_int_eq(ef_plan_bin_state(NULL, 0), EF_BIN_INVALID);
  ck_assert_int_eq(ef_plan_video_outcome(p, 0, 99), EF_VIDEO_INVALID);
  ck_assert_int_eq(ef_plan_video_outcome(p, 99, 0), EF_VIDEO_INVALID);

  /* A damaged status file is an error naming it. */
  char *sdir = tu_path(ef_plan_dir(p), "status/bin_00001.json");
  ck_assert_int_eq(tu_write_file(sdir, "{\"format\": \"x\"}"), 0);
  ck_assert_int_eq(ef_plan_read_status(p), EF_EINVAL);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "bin_00001.json"));
  free(sdir);
  ef_plan_free(p);
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_bin_config_and_completeness) {
  make_videos(seven, 7);
  ef_config *cfg = test_config();
  set(cfg, "io.video_limit=%s", "6");
  /* Any bytes: the plan hashes the model file, it never loads it. */
  char *model = tu_path(g_dir, "model.pt");
  ck_assert_int_eq(tu_write_file(model, "not a model"), 0);
  set(cfg, "model_config.model_path=%s", model);
  free(model);
  ef_plan *p = make_plan(cfg, 0);
  ck_assert_uint_eq(ef_plan_bin_count(p), 2);
  size_t n = ef_plan_bin_size(p, 1);
  ef_config *bc = NULL;
  ck_assert_int_eq(ef_plan_bin_config(p, 9, &bc), EF_EINVAL);
  ck_assert_int_eq(ef_plan_bin_config(p, 1, &bc), EF_OK);
  size_t len;
  ck_assert_int_eq(ef_config_get_list_size(bc, "io.uid_list", &len), EF_OK);
  ck_assert_uint_eq(len, n);
  for (size_t i = 0; i < n; i++) {
    const char *uid;
    ck_assert_int_eq(ef_config_get_list_string(bc, "io.uid_list", i, &uid),
                     EF_OK);
    ck_assert_str_eq(uid, ef_plan_video_uid(p, 1, i));
  }
  int64_t limit;
  ck_assert_int_eq(ef_config_get_int(bc, "io.video_limit", &limit), EF_OK);
  ck_assert_int_eq(limit, -1);
  ef_config_free(bc);

  /* Complete once every output of the bin is complete (features and
   * times) and of this plan's fingerprint. */
  ck_assert_int_eq(bin_complete(p, 1), 0);
  char *out = tu_path(g_dir, "out");
  ck_assert_int_eq(write_mkdirs(out), EF_OK);
  ef_settings s;
  ck_assert_int_eq(settings_load(cfg, &s), EF_OK);
  char *run_text = NULL;
  ck_assert_int_eq(provenance_run_text(&s, &run_text), EF_OK);
  char *desc = fingerprint_video_text(run_text, 0);
  const float row[2] = {1, 2};
  const int64_t shape[2] = {1, 2};
  const double t0 = 0, t1 = 1;
  char *last = NULL, *last_fp = NULL, *times = NULL;
  for (int pass = 0; pass < 2; pass++) {
    for (size_t i = 0; i < n; i++) {
      const char *uid = ef_plan_video_uid(p, 1, i);
      free(last);
      free(last_fp);
      free(times);
      last = write_output_path(out, uid, EF_FORMAT_PT);
      last_fp = provenance_fp_path(out, uid);
      times = write_times_path(out, uid);
      /* First pass: another model's outputs. */
      ck_assert_int_eq(
          provenance_write_output(last, EF_FORMAT_PT, times, last_fp,
                                  pass ? desc : "model_config.kind: other\n",
                                  row, shape, 2, &t0, &t1),
          EF_OK);
    }
    ck_assert_int_eq(bin_complete(p, 1), pass);
  }
  ck_assert_int_eq(bin_complete(p, 0), 0);
  ck_assert_int_eq(bin_complete(p, 99), -1);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "no bin 99"));
  ck_assert_int_eq(ef_plan_bin_complete(p, 0, NULL), EF_EINVAL);
  ck_assert_int_eq(truncate(last, 20), 0);
  ck_assert_int_eq(bin_complete(p, 1), 0);
  ck_assert_int_eq(unlink(last), 0);
  ck_assert_int_eq(write_features(last, EF_FORMAT_PT, row, shape, 2), EF_OK);
  ck_assert_int_eq(bin_complete(p, 1), 1);
  ck_assert_int_eq(unlink(times), 0); /* no times: not complete */
  ck_assert_int_eq(bin_complete(p, 1), 0);
  free(last);
  free(last_fp);
  free(times);
  free(desc);
  free(run_text);
  settings_free(&s);
  free(out);
  ef_plan_free(p);
  ef_config_free(cfg);
}
END_TEST

int main(void) {
  Suite *s = suite_create("schedule");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_estimate_formula);
  tcase_add_test(tc, test_plan_root);
  tcase_add_test(tc, test_bins_and_figures);
  tcase_add_test(tc, test_more_bins_when_tasks_run_in_waves);
  tcase_add_test(tc, test_same_plan_same_folder_and_file);
  tcase_add_test(tc, test_relative_paths_become_absolute);
  tcase_add_test(tc, test_oversize_video);
  tcase_add_test(tc, test_unknown_length_and_empty);
  tcase_add_test(tc, test_bad_schedule_config);
  tcase_add_test(tc, test_load_errors);
  tcase_add_test(tc, test_status_files);
  tcase_add_test(tc, test_bin_config_and_completeness);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
