/*
 * test_config.c - unit tests of the configuration API: the shipped
 * YAML files in configs/, YAML parsing and dumping, Hydra overrides, the schema
 * checks and the typed getters.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ego4dfeat/ego4dfeat.h"
#include "testutil.h"

static const char *const config_names[] = {
    "slowfast_r101_8x8", "mvit_k400",
    "mvit_imagenet",     "omnivore_video",
    "omnivore_image",    "egoexo_omnivore",
    "egoexo_maws_clip",  "audio_mel_spectrogram",
    "audio_asr"};
#define N_CONFIGS (sizeof config_names / sizeof config_names[0])

/* ---- Helpers ------------------------------------------------------------ */

static char *configs_dir(void) {
  return tu_path(tu_source_root(), "configs");
}

static ef_config *load(const char *name) {
  char *dir = configs_dir();
  ef_config *cfg = NULL;
  int rc = ef_config_load(dir, name, &cfg);
  free(dir);
  ck_assert_msg(rc == EF_OK, "loading %s: %s", name, ef_last_error());
  return cfg;
}

static ef_config *parse(const char *yaml) {
  ef_config *cfg = NULL;
  int rc = ef_config_parse(yaml, &cfg);
  ck_assert_msg(rc == EF_OK, "parsing: %s", ef_last_error());
  return cfg;
}

static void override_ok(ef_config *cfg, const char *ov) {
  int rc = ef_config_override(cfg, ov);
  ck_assert_msg(rc == EF_OK, "%s: %s", ov, ef_last_error());
}

static int64_t get_int(const ef_config *cfg, const char *path) {
  int64_t v = 0;
  int rc = ef_config_get_int(cfg, path, &v);
  ck_assert_msg(rc == EF_OK, "%s: %s", path, ef_last_error());
  return v;
}

static double get_double(const ef_config *cfg, const char *path) {
  double v = 0;
  int rc = ef_config_get_double(cfg, path, &v);
  ck_assert_msg(rc == EF_OK, "%s: %s", path, ef_last_error());
  return v;
}

static int get_bool(const ef_config *cfg, const char *path) {
  int v = -1;
  int rc = ef_config_get_bool(cfg, path, &v);
  ck_assert_msg(rc == EF_OK, "%s: %s", path, ef_last_error());
  return v;
}

static const char *get_str(const ef_config *cfg, const char *path) {
  const char *v = NULL;
  int rc = ef_config_get_string(cfg, path, &v);
  ck_assert_msg(rc == EF_OK, "%s: %s", path, ef_last_error());
  return v;
}

static char *dump(const ef_config *cfg) {
  char *text = NULL;
  int rc = ef_config_dump(cfg, &text);
  ck_assert_msg(rc == EF_OK, "dump: %s", ef_last_error());
  return text;
}

/* An override that must fail with `code` and leave cfg exactly as it was;
 * the message must contain `needle`. */
static void override_fails(ef_config *cfg, const char *ov, int code,
                           const char *needle) {
  char *before = dump(cfg);
  int rc = ef_config_override(cfg, ov);
  ck_assert_msg(rc == code, "%s: got %s (%s)", ov, ef_status_name(rc),
                ef_last_error());
  ck_assert_msg(strstr(ef_last_error(), needle), "%s: message '%s' lacks '%s'",
                ov, ef_last_error(), needle);
  char *after = dump(cfg);
  ck_assert_str_eq(before, after);
  free(before);
  free(after);
}

static void parse_fails(const char *yaml, const char *needle) {
  ef_config *cfg = (ef_config *)1;
  int rc = ef_config_parse(yaml, &cfg);
  ck_assert_msg(rc == EF_ECONFIG, "parse of '%s' gave %s", yaml,
                ef_status_name(rc));
  ck_assert_ptr_null(cfg);
  ck_assert_msg(strstr(ef_last_error(), needle), "message '%s' lacks '%s'",
                ef_last_error(), needle);
}

/* dump -> parse -> dump gives the same text. */
static void assert_round_trip(const ef_config *cfg) {
  char *first = dump(cfg);
  ef_config *again = parse(first);
  char *second = dump(again);
  ck_assert_str_eq(first, second);
  free(first);
  free(second);
  ef_config_free(again);
}

/* ---- The shipped configs ------------------------------------------------ */

START_TEST(test_every_config_loads) {
  for (size_t i = 0; i < N_CONFIGS; i++) {
    ef_config *cfg = load(config_names[i]);
    ck_assert_int_eq(get_int(cfg, "fps"), 30);
    ck_assert_int_eq(get_bool(cfg, "force_yes"), 0);
    ck_assert_int_eq(get_bool(cfg, "io.filter_completed"), 1);
    ck_assert_int_eq(get_int(cfg, "io.video_limit"), -1);
    /* Features are .pt; the speech model's output is text. */
    ck_assert_str_eq(get_str(cfg, "io.out_format"),
                     strcmp(config_names[i], "audio_asr") == 0 ? "transcript"
                                                               : "pt");
    ck_assert_str_eq(get_str(cfg, "io.video_dir_path"), "videos");
    ck_assert_str_eq(get_str(cfg, "schedule_config.log_folder"),
                     "slurm_log/%j");
    ck_assert_str_eq(get_str(cfg, "schedule_config.constraint"), "volta");
    ck_assert_int_eq(get_int(cfg, "schedule_config.gpus_per_node"), 1);
    ck_assert_int_eq(get_int(cfg, "schedule_config.cpus_per_task"), 10);
    ck_assert(get_double(cfg, "schedule_config.schedule_time_per_node") ==
              10.0);
    ck_assert_int_eq(get_bool(cfg, "schedule_config.run_locally"), 0);
    ck_assert_int_eq(get_int(cfg, "inference_config.batch_size"), 1);
    const char *uid;
    ck_assert_int_eq(ef_config_get_string(cfg, "io.uid_list", &uid),
                     EF_ENOTFOUND);
    char want[128];
    snprintf(want, sizeof want, "features/%s", config_names[i]);
    ck_assert_str_eq(get_str(cfg, "io.out_path"), want);
    ck_assert(strncmp(get_str(cfg, "model_module_str"),
                      "ego4d.features.models.", 22) == 0);
    get_str(cfg, "model_config.kind");
    assert_round_trip(cfg);
    ef_config_free(cfg);
  }
}
END_TEST

START_TEST(test_slowfast_values) {
  ef_config *cfg = load("slowfast_r101_8x8");
  ck_assert_int_eq(get_int(cfg, "inference_config.frame_window"), 32);
  ck_assert_int_eq(get_int(cfg, "inference_config.stride"), 16);
  ck_assert_int_eq(get_int(cfg, "model_config.side_size"), 256);
  ck_assert_int_eq(get_int(cfg, "model_config.crop_size"), 256);
  ck_assert_int_eq(get_int(cfg, "model_config.slowfast_alpha"), 4);
  ck_assert_str_eq(get_str(cfg, "model_config.kind"), "slowfast");
  ck_assert_str_eq(get_str(cfg, "model_module_str"),
                   "ego4d.features.models.slowfast");
  ck_assert_str_eq(get_str(cfg, "model_config.model_path"),
                   "models/slowfast_r101_8x8.pt");
  size_t n = 0;
  ck_assert_int_eq(ef_config_get_list_size(cfg, "model_config.mean", &n),
                   EF_OK);
  ck_assert_uint_eq(n, 3);
  const char *item = NULL;
  ck_assert_int_eq(ef_config_get_list_string(cfg, "model_config.std", 2, &item),
                   EF_OK);
  ck_assert_str_eq(item, "0.225");
  ck_assert(get_double(cfg, "model_config.mean.0") == 0.45);
  ck_assert_int_eq(get_int(cfg, "schedule_config.timeout_min"), 3200);
  ck_assert_str_eq(get_str(cfg, "schedule_config.slurm_partition"), "pixar");
  ck_assert_int_eq(get_int(cfg, "schedule_config.slurm_array_parallelism"),
                   128);
  ck_assert(get_double(cfg, "schedule_config.overhead") == 1.1);
  ck_assert(get_double(cfg, "schedule_config.time_per_forward_pass") == 2.4);
  ck_assert_str_eq(get_str(cfg, "io.dataset_version"), "ego4d");
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_mvit_and_omnivore_values) {
  ef_config *cfg = load("mvit_k400");
  ck_assert_int_eq(get_int(cfg, "model_config.side_size"), 256);
  ck_assert_int_eq(get_int(cfg, "model_config.crop_size"), 224);
  ck_assert_str_eq(get_str(cfg, "model_config.kind"), "video");
  ck_assert(get_double(cfg, "model_config.std.1") == 0.225);
  ef_config_free(cfg);

  cfg = load("mvit_imagenet");
  ck_assert_int_eq(get_int(cfg, "inference_config.frame_window"), 1);
  ck_assert_int_eq(get_int(cfg, "inference_config.stride"), 5);
  ck_assert_str_eq(get_str(cfg, "model_config.kind"), "image");
  ck_assert(get_double(cfg, "model_config.mean.0") == 0.485);
  ck_assert(get_double(cfg, "model_config.std.2") == 0.225);
  ef_config_free(cfg);

  cfg = load("omnivore_video");
  ck_assert_str_eq(get_str(cfg, "model_config.input_type"), "video");
  ck_assert_int_eq(get_int(cfg, "schedule_config.timeout_min"), 3750);
  ck_assert(get_double(cfg, "schedule_config.time_per_forward_pass") == 2.5);
  ef_config_free(cfg);

  cfg = load("egoexo_omnivore");
  ck_assert_str_eq(get_str(cfg, "io.dataset_version"), "egoexo");
  ck_assert_str_eq(get_str(cfg, "schedule_config.slurm_partition"), "eht");
  ck_assert_int_eq(get_int(cfg, "schedule_config.timeout_min"), 400);
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_maws_clip_values) {
  ef_config *cfg = load("egoexo_maws_clip");
  ck_assert_str_eq(get_str(cfg, "model_config.dtype"), "float16");
  ck_assert_int_eq(get_bool(cfg, "model_config.l2_normalize"), 1);
  ck_assert_str_eq(get_str(cfg, "model_config.interpolation"), "bicubic");
  ck_assert_str_eq(get_str(cfg, "model_config.kind"), "clip");
  ck_assert_int_eq(get_int(cfg, "model_config.crop_size"), 224);
  ck_assert_int_eq(get_int(cfg, "inference_config.stride"), 1);
  ck_assert_int_eq(get_bool(cfg, "check_fv_count"), 0);
  ck_assert(get_double(cfg, "schedule_config.time_per_forward_pass") == 0.25);
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_audio_values) {
  ef_config *cfg = load("audio_mel_spectrogram");
  ck_assert_int_eq(get_bool(cfg, "inference_config.include_audio"), 1);
  ck_assert_int_eq(get_bool(cfg, "inference_config.include_video"), 0);
  ck_assert_int_eq(get_bool(cfg, "io.exclude_no_audio"), 1);
  ck_assert_int_eq(
      get_bool(cfg, "inference_config.norm_config.normalize_audio"), 1);
  ck_assert_int_eq(
      get_int(cfg, "inference_config.norm_config.resample_audio_rate"), 16000);
  ck_assert_int_eq(get_int(cfg, "inference_config.frame_window"), 100000000);
  ck_assert_str_eq(get_str(cfg, "inference_config.device"), "cpu");
  ck_assert_int_eq(get_int(cfg, "model_config.hop_length"), 160);
  ck_assert_int_eq(get_int(cfg, "model_config.n_mels"), 128);
  ck_assert_int_eq(get_int(cfg, "model_config.win_length"), 1024);
  ck_assert_str_eq(get_str(cfg, "model_config.kind"), "mel_spectrogram");
  const char *path = NULL;
  ck_assert_int_eq(ef_config_get_string(cfg, "model_config.model_path", &path),
                   EF_ENOTFOUND);
  ck_assert_ptr_null(path);
  ef_config_free(cfg);
}
END_TEST

/* The reference's audio_speechbrain_asr windows: 5 s (150 frames at 30
 * fps) every 5 s, 16 kHz mono, no normalisation. */
START_TEST(test_asr_values) {
  ef_config *cfg = load("audio_asr");
  ck_assert_int_eq(get_bool(cfg, "inference_config.include_audio"), 1);
  ck_assert_int_eq(get_bool(cfg, "inference_config.include_video"), 0);
  ck_assert_int_eq(get_bool(cfg, "io.exclude_no_audio"), 1);
  ck_assert_int_eq(
      get_bool(cfg, "inference_config.norm_config.normalize_audio"), 0);
  ck_assert_int_eq(
      get_int(cfg, "inference_config.norm_config.resample_audio_rate"), 16000);
  ck_assert_int_eq(get_int(cfg, "inference_config.fps"), 30);
  ck_assert_int_eq(get_int(cfg, "inference_config.frame_window"), 150);
  ck_assert_int_eq(get_int(cfg, "inference_config.stride"), 150);
  ck_assert_str_eq(get_str(cfg, "model_config.kind"), "asr");
  ef_config_free(cfg);
}
END_TEST

/* ---- Loading ------------------------------------------------------------ */

START_TEST(test_load_with_extension) {
  ef_config *cfg = load("mvit_k400.yaml");
  ck_assert_int_eq(get_int(cfg, "model_config.crop_size"), 224);
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_load_missing_names_path) {
  char *dir = configs_dir();
  ef_config *cfg = (ef_config *)1;
  ck_assert_int_eq(ef_config_load(dir, "no_such_config", &cfg), EF_ENOTFOUND);
  ck_assert_ptr_null(cfg);
  char *want = tu_path(dir, "no_such_config.yaml");
  ck_assert_msg(strstr(ef_last_error(), want), "%s", ef_last_error());
  /* The configs that are there, sorted, and how to look elsewhere. */
  ck_assert_msg(strstr(ef_last_error(), "configs there: audio_asr, "
                                        "audio_mel_spectrogram,"
                                        " egoexo_maws_clip, egoexo_omnivore, "
                                        "mvit_imagenet, mvit_k400,"),
                "%s", ef_last_error());
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "--config-dir"));
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "EGO4DFEAT_CONFIG_DIR"));
  free(want);
  free(dir);
}
END_TEST

START_TEST(test_load_from_env_dir) {
  char *tmp = tu_tmpdir();
  char *file = tu_path(tmp, "mine.yaml");
  ck_assert_int_eq(tu_write_file(file, "io:\n  video_limit: 7\n"), 0);
  setenv("EGO4DFEAT_CONFIG_DIR", tmp, 1);
  ef_config *cfg = NULL;
  ck_assert_int_eq(ef_config_load(NULL, "mine", &cfg), EF_OK);
  ck_assert_int_eq(get_int(cfg, "io.video_limit"), 7);
  ef_config_free(cfg);
  ck_assert_int_eq(ef_config_load(NULL, "absent", &cfg), EF_ENOTFOUND);
  ck_assert_msg(strstr(ef_last_error(), tmp), "%s", ef_last_error());
  unsetenv("EGO4DFEAT_CONFIG_DIR");
  tu_rmrf(tmp);
  free(file);
  free(tmp);
}
END_TEST

START_TEST(test_load_bad_file_names_key_and_file) {
  char *tmp = tu_tmpdir();
  char *file = tu_path(tmp, "bad.yaml");
  ck_assert_int_eq(tu_write_file(file, "inference_config:\n  strde: 3\n"), 0);
  ef_config *cfg = (ef_config *)1;
  ck_assert_int_eq(ef_config_load(tmp, "bad", &cfg), EF_ECONFIG);
  ck_assert_ptr_null(cfg);
  ck_assert_msg(strstr(ef_last_error(), file), "%s", ef_last_error());
  ck_assert_msg(strstr(ef_last_error(), "'inference_config.strde'"), "%s",
                ef_last_error());
  ck_assert_msg(strstr(ef_last_error(), "did you mean "
                                        "'inference_config.stride'"),
                "%s", ef_last_error());
  tu_rmrf(tmp);
  free(file);
  free(tmp);
}
END_TEST

/* libyaml's reader errors (a NUL, a control character, bad UTF-8) left
 * the mark at 1:1; the message gives the line and column of the byte. */
START_TEST(test_load_nul_byte_names_its_line) {
  static const char text[] = "fps: 30\nio:\n  out_path: a\0b\n";
  char *tmp = tu_tmpdir();
  char *file = tu_path(tmp, "nul.yaml");
  FILE *f = fopen(file, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(text, 1, sizeof text - 1, f), sizeof text - 1);
  ck_assert_int_eq(fclose(f), 0);
  ef_config *cfg = (ef_config *)1;
  ck_assert_int_eq(ef_config_load(tmp, "nul", &cfg), EF_ECONFIG);
  ck_assert_ptr_null(cfg);
  char want[4096];
  snprintf(want, sizeof want, "%s:3:14: ", file);
  ck_assert_msg(strstr(ef_last_error(), want), "%s", ef_last_error());
  ck_assert_msg(strstr(ef_last_error(), "a NUL"), "%s", ef_last_error());
  tu_rmrf(tmp);
  free(file);
  free(tmp);
}
END_TEST

START_TEST(test_defaults_list) {
  char *tmp = tu_tmpdir();
  char *base = tu_path(tmp, "base.yaml");
  char *top = tu_path(tmp, "top.yaml");
  char *first = tu_path(tmp, "first.yaml");
  char *loop = tu_path(tmp, "loop.yaml");
  ck_assert_int_eq(tu_write_file(base, "fps: 25\nio:\n  video_limit: 5\n"
                                       "  out_path: base\n"),
                   0);
  ck_assert_int_eq(tu_write_file(top, "defaults:\n  - base\n  - _self_\n"
                                      "io:\n  out_path: top\n"),
                   0);
  ck_assert_int_eq(tu_write_file(first, "defaults: [_self_, base]\n"
                                        "io:\n  out_path: first\n"),
                   0);
  ck_assert_int_eq(tu_write_file(loop, "defaults: [loop]\n"), 0);

  ef_config *cfg = NULL;
  ck_assert_int_eq(ef_config_load(tmp, "top", &cfg), EF_OK);
  ck_assert_str_eq(get_str(cfg, "io.out_path"), "top");
  ck_assert_int_eq(get_int(cfg, "io.video_limit"), 5);
  ck_assert_int_eq(get_int(cfg, "fps"), 25);
  const char *s;
  ck_assert_int_eq(ef_config_get_string(cfg, "defaults", &s), EF_ENOTFOUND);
  ef_config_free(cfg);

  /* Hydra order: what follows _self_ overrides the file's own keys. */
  ck_assert_int_eq(ef_config_load(tmp, "first", &cfg), EF_OK);
  ck_assert_str_eq(get_str(cfg, "io.out_path"), "base");
  ef_config_free(cfg);

  ck_assert_int_eq(ef_config_load(tmp, "loop", &cfg), EF_ECONFIG);
  ck_assert_ptr_null(cfg);
  ck_assert_msg(strstr(ef_last_error(), "defaults"), "%s", ef_last_error());

  cfg = parse("defaults: [_self_]\nfps: 25\n");
  ck_assert_int_eq(get_int(cfg, "fps"), 25);
  override_fails(cfg, "+defaults=[x]", EF_ECONFIG, "defaults list");
  ef_config_free(cfg);

  parse_fails("defaults: [base]\n", "needs a config directory");
  parse_fails("defaults:\n  - model: slowfast\n", "config groups");
  tu_rmrf(tmp);
  free(base);
  free(top);
  free(first);
  free(loop);
  free(tmp);
}
END_TEST

/* ---- Parsing ------------------------------------------------------------ */

START_TEST(test_parse_flow_style) {
  ef_config *cfg =
      parse("{io: {uid_list: [a, 'b c'], video_limit: 3}, fps: 30000/1001}");
  size_t n = 0;
  ck_assert_int_eq(ef_config_get_list_size(cfg, "io.uid_list", &n), EF_OK);
  ck_assert_uint_eq(n, 2);
  const char *item = NULL;
  ck_assert_int_eq(ef_config_get_list_string(cfg, "io.uid_list", 1, &item),
                   EF_OK);
  ck_assert_str_eq(item, "b c");
  ck_assert_str_eq(get_str(cfg, "fps"), "30000/1001");
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_parse_scalar_types) {
  ef_config *cfg = parse("schedule_config:\n"
                         "  overhead: 1e-5\n"
                         "  time_per_forward_pass: .inf\n"
                         "  run_locally: yes\n"
                         "io:\n"
                         "  debug_mode: off\n"
                         "  filter_completed: On\n"
                         "  debug_path: ~\n"
                         "model_config:\n"
                         "  model_name: 'true'\n"
                         "  kind: \"12\"\n");
  ck_assert(fabs(get_double(cfg, "schedule_config.overhead") - 1e-5) < 1e-20);
  ck_assert(isinf(get_double(cfg, "schedule_config.time_per_forward_pass")));
  ck_assert_int_eq(get_bool(cfg, "schedule_config.run_locally"), 1);
  ck_assert_int_eq(get_bool(cfg, "io.debug_mode"), 0);
  ck_assert_int_eq(get_bool(cfg, "io.filter_completed"), 1);
  const char *s;
  ck_assert_int_eq(ef_config_get_string(cfg, "io.debug_path", &s),
                   EF_ENOTFOUND);
  /* Quoted scalars stay strings. */
  ck_assert_str_eq(get_str(cfg, "model_config.model_name"), "true");
  int b;
  ck_assert_int_eq(ef_config_get_bool(cfg, "model_config.model_name", &b),
                   EF_ECONFIG);
  int64_t i;
  ck_assert_int_eq(ef_config_get_int(cfg, "model_config.kind", &i), EF_ECONFIG);
  assert_round_trip(cfg);
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_parse_unknown_key_suggests) {
  parse_fails("io:\n  uid_lst: null\n",
              "unknown key 'io.uid_lst' (did you mean 'io.uid_list'?)");
  /* A key in the wrong section points at the section that has it. */
  parse_fails("batch_size: 2\n", "'inference_config.batch_size'");
}
END_TEST

START_TEST(test_parse_wrong_types) {
  parse_fails("inference_config:\n  batch_size: abc\n",
              "'inference_config.batch_size'");
  parse_fails("inference_config:\n  batch_size: 0\n", ">= 1");
  parse_fails("inference_config:\n  stride: 2.5\n",
              "'inference_config.stride'");
  parse_fails("model_config:\n  mean: [0.4, x]\n", "'model_config.mean'");
  parse_fails("io:\n  uid_list: abc\n", "list of strings");
  parse_fails("io:\n  out_path: null\n", "not null");
  parse_fails("io: 3\n", "'io' must be a map");
  parse_fails("io:\n  out_format: csv\n", "'pt', 'npy'");
  parse_fails("fps: fast\n", "frame rate");
  parse_fails("model_config:\n  dtype: float64\n", "float16");
}
END_TEST

START_TEST(test_parse_bad_yaml) {
  parse_fails("io: [a, b\n", "<string>:");
  parse_fails("a: &x 1\nb: *x\n", "aliases");
  parse_fails("fps: 30\nfps: 25\n", "duplicate key 'fps'");
  parse_fails("- a\n- b\n", "top level must be a map");
  parse_fails("fps: 30\n---\nfps: 25\n", "one YAML document");
  parse_fails("io.out_path: x\n", "must not contain '.'");
}
END_TEST

START_TEST(test_parse_empty_document) {
  ef_config *cfg = parse("# nothing but a comment\n");
  char *text = dump(cfg);
  ck_assert_str_eq(text, "{}\n");
  free(text);
  int64_t v;
  ck_assert_int_eq(ef_config_get_int(cfg, "fps", &v), EF_ENOTFOUND);
  ef_config_free(cfg);
}
END_TEST

/* ---- Dump --------------------------------------------------------------- */

START_TEST(test_dump_quotes_ambiguous_strings) {
  ef_config *cfg = parse("model_config:\n"
                         "  model_name: 'yes'\n"
                         "  kind: ''\n"
                         "  input_type: '1e3'\n"
                         "  labels_path: 'a: b'\n"
                         "  resize: '#x'\n"
                         "  model_path: \"h\\u00e9llo\"\n"
                         "  input_layout: 'null'\n");
  char *text = dump(cfg);
  ck_assert_msg(strstr(text, "model_name: 'yes'"), "%s", text);
  ck_assert_msg(strstr(text, "input_type: '1e3'"), "%s", text);
  ck_assert_msg(strstr(text, "input_layout: 'null'"), "%s", text);
  ck_assert_msg(strstr(text, "model_path: h\xc3\xa9llo"), "%s", text);
  free(text);
  assert_round_trip(cfg);
  const char *s;
  ef_config *again = NULL;
  text = dump(cfg);
  ck_assert_int_eq(ef_config_parse(text, &again), EF_OK);
  ck_assert_int_eq(ef_config_get_string(again, "model_config.kind", &s), EF_OK);
  ck_assert_str_eq(s, "");
  ck_assert_str_eq(get_str(again, "model_config.labels_path"), "a: b");
  free(text);
  ef_config_free(again);
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_dump_keeps_key_order_and_text) {
  ef_config *cfg = parse("io:\n  video_limit: 3\n  out_path: x\n"
                         "fps: 30000/1001\n"
                         "schedule_config:\n  overhead: 1e-5\n");
  char *text = dump(cfg);
  ck_assert_str_eq(text, "io:\n  video_limit: 3\n  out_path: x\n"
                         "fps: 30000/1001\n"
                         "schedule_config:\n  overhead: 1e-5\n");
  free(text);
  ef_config_free(cfg);
}
END_TEST

/* ---- Overrides ---------------------------------------------------------- */

START_TEST(test_override_set_scalars) {
  ef_config *cfg = load("slowfast_r101_8x8");
  override_ok(cfg, "inference_config.batch_size=4");
  ck_assert_int_eq(get_int(cfg, "inference_config.batch_size"), 4);
  override_ok(cfg, "schedule_config.overhead=3");
  ck_assert(get_double(cfg, "schedule_config.overhead") == 3.0);
  override_ok(cfg, "  io.out_path = out dir  ");
  ck_assert_str_eq(get_str(cfg, "io.out_path"), "out dir");
  override_ok(cfg, "inference_config.device=cuda:1");
  ck_assert_str_eq(get_str(cfg, "inference_config.device"), "cuda:1");
  override_ok(cfg, "fps=30000/1001");
  ck_assert_str_eq(get_str(cfg, "fps"), "30000/1001");
  double d;
  ck_assert_int_eq(ef_config_get_double(cfg, "fps", &d), EF_ECONFIG);
  override_ok(cfg, "fps=29.97");
  ck_assert(get_double(cfg, "fps") == 29.97);
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_override_quoted_strings) {
  ef_config *cfg = load("mvit_k400");
  override_ok(cfg, "io.out_path='my dir/out'");
  ck_assert_str_eq(get_str(cfg, "io.out_path"), "my dir/out");
  override_ok(cfg, "model_config.model_name=\"say \\\"hi\\\"\"");
  ck_assert_str_eq(get_str(cfg, "model_config.model_name"), "say \"hi\"");
  override_ok(cfg, "model_config.kind='123'");
  ck_assert_str_eq(get_str(cfg, "model_config.kind"), "123");
  int64_t v;
  ck_assert_int_eq(ef_config_get_int(cfg, "model_config.kind", &v), EF_ECONFIG);
  override_ok(cfg, "io.debug_path=");
  ck_assert_str_eq(get_str(cfg, "io.debug_path"), "");
  assert_round_trip(cfg);
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_override_uid_list) {
  ef_config *cfg = load("slowfast_r101_8x8");
  override_ok(cfg, "io.uid_list=[a,b, \"c d\"]");
  size_t n = 0;
  ck_assert_int_eq(ef_config_get_list_size(cfg, "io.uid_list", &n), EF_OK);
  ck_assert_uint_eq(n, 3);
  const char *item;
  ck_assert_int_eq(ef_config_get_list_string(cfg, "io.uid_list", 0, &item),
                   EF_OK);
  ck_assert_str_eq(item, "a");
  ck_assert_int_eq(ef_config_get_list_string(cfg, "io.uid_list", 2, &item),
                   EF_OK);
  ck_assert_str_eq(item, "c d");
  ck_assert_int_eq(ef_config_get_list_string(cfg, "io.uid_list", 3, &item),
                   EF_ENOTFOUND);

  /* The shell usually strips io.uid_list="[x,y]" to [x,y]; both work. */
  override_ok(cfg, "io.uid_list=\"[x,y]\"");
  ck_assert_int_eq(ef_config_get_list_size(cfg, "io.uid_list", &n), EF_OK);
  ck_assert_uint_eq(n, 2);

  override_ok(cfg, "io.uid_list=[]");
  ck_assert_int_eq(ef_config_get_list_size(cfg, "io.uid_list", &n), EF_OK);
  ck_assert_uint_eq(n, 0);

  override_ok(cfg, "io.uid_list=null");
  ck_assert_int_eq(ef_config_get_list_size(cfg, "io.uid_list", &n),
                   EF_ENOTFOUND);
  char *text = dump(cfg);
  ck_assert_msg(strstr(text, "uid_list: null"), "%s", text);
  free(text);

  override_fails(cfg, "io.uid_list=[a, [b]]", EF_ECONFIG, "'io.uid_list'");
  override_fails(cfg, "io.uid_list=[a,b", EF_ECONFIG, "expected ','");
  override_fails(cfg, "io.uid_list=[a,,b]", EF_ECONFIG, "missing value");
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_override_mean_list) {
  ef_config *cfg = load("mvit_imagenet");
  override_ok(cfg, "model_config.mean=[0.5, 0.5, 1]");
  ck_assert(get_double(cfg, "model_config.mean.2") == 1.0);
  override_fails(cfg, "model_config.mean=[0.5, a]", EF_ECONFIG,
                 "'model_config.mean'");
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_override_unknown_key_suggests) {
  ef_config *cfg = load("slowfast_r101_8x8");
  override_fails(cfg, "io.uid_lst=[a,b]", EF_ECONFIG,
                 "unknown key 'io.uid_lst' (did you mean 'io.uid_list'?)");
  ck_assert_msg(strstr(ef_last_error(), "+io.uid_lst="), "%s", ef_last_error());
  override_fails(cfg, "inference_config.bach_size=2", EF_ECONFIG,
                 "'inference_config.batch_size'");
  ef_config_free(cfg);
}
END_TEST

/* Typos users make, each with the key it must suggest: a key typed
 * half-way, a last name without its section, a dropped or doubled
 * letter, a word left out. */
START_TEST(test_suggestions_rank_real_typos) {
  static const char *const cases[][2] = {
      {"io.video_dir", "io.video_dir_path"},
      {"io.video_dir_paths", "io.video_dir_path"},
      {"video_dir_path", "io.video_dir_path"},
      {"io.uid_lst", "io.uid_list"},
      {"io.uid", "io.uid_list"},
      {"io.out", "io.out_path"},
      {"io.outpath", "io.out_path"},
      {"batch_size", "inference_config.batch_size"},
      {"inference_config.batchsize", "inference_config.batch_size"},
      {"inference_config.num_worker", "inference_config.num_workers"},
      {"model_config.model", "model_config.model_path"},
      {"model_config.modelpath", "model_config.model_path"},
      {"io.debug_pth", "io.debug_path"},
      {"io.out_dir", "io.out_path"},
      {"inference_config.frame", "inference_config.frame_window"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ef_config *cfg = load("slowfast_r101_8x8");
    char text[128], want[128];
    snprintf(text, sizeof text, "%s=1", cases[i][0]);
    snprintf(want, sizeof want, "(did you mean '%s'?)", cases[i][1]);
    ck_assert_int_eq(ef_config_override(cfg, text), EF_ECONFIG);
    ck_assert_msg(strstr(ef_last_error(), want), "%s: %s", cases[i][0],
                  ef_last_error());
    ef_config_free(cfg);
  }
}
END_TEST

START_TEST(test_override_add) {
  ef_config *cfg = load("omnivore_video");
  override_ok(cfg, "+dataset_type=k400");
  override_ok(cfg, "+dataset_dir=/data/k400");
  override_ok(cfg, "+set_to_use=val");
  override_ok(cfg, "+top_k=5");
  override_ok(cfg, "+profile=true");
  override_fails(cfg, "+num_examples=many", EF_ECONFIG, "'num_examples'");
  override_ok(cfg, "+extra.nested.deep=[1, [2, 3]]");
  ck_assert_str_eq(get_str(cfg, "dataset_type"), "k400");
  ck_assert_int_eq(get_int(cfg, "top_k"), 5);
  ck_assert_int_eq(get_bool(cfg, "profile"), 1);
  ck_assert(get_double(cfg, "extra.nested.deep.1.0") == 2.0);
  /* Extras stay valid through later overrides, and can be set plainly. */
  override_ok(cfg, "inference_config.batch_size=2");
  override_ok(cfg, "top_k=6");
  ck_assert_int_eq(get_int(cfg, "top_k"), 6);
  /* A '+' key the schema knows is still type-checked. */
  override_fails(cfg, "+io.seed=abc", EF_ECONFIG, "'io.seed'");
  override_ok(cfg, "+io.seed=3");
  ck_assert_int_eq(get_int(cfg, "io.seed"), 3);
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_override_add_existing_fails) {
  ef_config *cfg = load("omnivore_image");
  override_fails(cfg, "+io.out_path=x", EF_ECONFIG, "'io.out_path'");
  ck_assert_msg(strstr(ef_last_error(), "already exists"), "%s",
                ef_last_error());
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_override_upsert) {
  ef_config *cfg = load("omnivore_image");
  override_ok(cfg, "++io.seed=3");
  ck_assert_int_eq(get_int(cfg, "io.seed"), 3);
  override_ok(cfg, "++io.seed=4");
  ck_assert_int_eq(get_int(cfg, "io.seed"), 4);
  override_ok(cfg, "++num_examples=10");
  ck_assert_int_eq(get_int(cfg, "num_examples"), 10);
  override_ok(cfg, "++inference_config.batch_size=8");
  ck_assert_int_eq(get_int(cfg, "inference_config.batch_size"), 8);
  override_fails(cfg, "++inference_config.batch_size=x", EF_ECONFIG,
                 "'inference_config.batch_size'");
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_override_delete) {
  ef_config *cfg = load("egoexo_omnivore");
  override_ok(cfg, "~io.debug_path");
  const char *s;
  ck_assert_int_eq(ef_config_get_string(cfg, "io.debug_path", &s),
                   EF_ENOTFOUND);
  override_fails(cfg, "~io.debug_path", EF_ECONFIG, "'io.debug_path'");
  override_fails(cfg, "~io.video_limit=5", EF_ECONFIG, "'io.video_limit'");
  override_ok(cfg, "~io.video_limit=-1");
  int64_t v;
  ck_assert_int_eq(ef_config_get_int(cfg, "io.video_limit", &v), EF_ENOTFOUND);
  override_ok(cfg, "~model_config");
  ck_assert_int_eq(ef_config_get_int(cfg, "model_config.crop_size", &v),
                   EF_ENOTFOUND);
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_override_bool_as_int) {
  ef_config *cfg = load("slowfast_r101_8x8");
  override_ok(cfg, "schedule_config.run_locally=1");
  ck_assert_int_eq(get_bool(cfg, "schedule_config.run_locally"), 1);
  override_ok(cfg, "io.debug_mode=1");
  ck_assert_int_eq(get_bool(cfg, "io.debug_mode"), 1);
  override_ok(cfg, "force_yes=true");
  ck_assert_int_eq(get_bool(cfg, "force_yes"), 1);
  override_fails(cfg, "schedule_config.run_locally=2", EF_ECONFIG,
                 "'schedule_config.run_locally'");
  override_fails(cfg, "force_yes=maybe", EF_ECONFIG, "'force_yes'");
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_override_wrong_type_leaves_config) {
  ef_config *cfg = load("slowfast_r101_8x8");
  override_fails(cfg, "inference_config.batch_size=abc", EF_ECONFIG,
                 "'inference_config.batch_size'");
  override_fails(cfg, "inference_config.batch_size=0", EF_ECONFIG, ">= 1");
  override_fails(cfg, "inference_config.frame_window=1.5", EF_ECONFIG,
                 "'inference_config.frame_window'");
  override_fails(cfg, "io.out_format=csv", EF_ECONFIG, "'io.out_format'");
  override_fails(cfg, "fps=0", EF_ECONFIG, "'fps'");
  override_fails(cfg, "io=3", EF_ECONFIG, "'io'");
  override_fails(cfg, "io.out_path=null", EF_ECONFIG, "'io.out_path'");
  override_fails(cfg, "io.out_path.x=1", EF_ECONFIG, "'io.out_path'");
  ck_assert_int_eq(get_int(cfg, "inference_config.batch_size"), 1);
  override_ok(cfg, "io.out_format=npy");
  ck_assert_str_eq(get_str(cfg, "io.out_format"), "npy");
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_override_syntax_errors) {
  ef_config *cfg = load("slowfast_r101_8x8");
  override_fails(cfg, "io.out_path", EF_ECONFIG, "no '='");
  override_fails(cfg, "=x", EF_ECONFIG, "empty key");
  override_fails(cfg, "io..out_path=x", EF_ECONFIG, "empty segment");
  override_fails(cfg, "io.out path=x", EF_ECONFIG, "not allowed");
  override_fails(cfg, "io.out_path='abc", EF_ECONFIG, "unterminated");
  override_fails(cfg, "io.out_path='a'b", EF_ECONFIG, "after the value");
  ef_config_free(cfg);
}
END_TEST

/* Found by tests/fuzz/fuzz_override (corpus/override/regress_not_utf8): a
 * Latin-1 byte in a value was accepted, then writing config.yaml failed
 * with "out of memory". Now the override itself is refused. */
START_TEST(test_override_not_utf8) {
  ef_config *cfg = load("mvit_k400");
  char *dump = NULL;
  override_fails(cfg, "io.out_path=\"quote\xe4 x\"", EF_ECONFIG,
                 "not valid UTF-8");
  override_fails(cfg, "+io.caf\xe9=1", EF_ECONFIG, "not allowed"); /* key */
  override_fails(cfg, "io.out_path=\xc0\xaf", EF_ECONFIG,
                 "UTF-8"); /* overlong */
  override_fails(cfg, "io.out_path=\xed\xa0\x80", EF_ECONFIG, "UTF-8");
  override_fails(cfg, "io.out_path=\xf4\x90\x80\x80", EF_ECONFIG, "UTF-8");
  ck_assert_int_eq(ef_config_set(cfg, "io.out_path", "\xff"), EF_ECONFIG);
  /* Real UTF-8 is fine, and the config still dumps. */
  override_ok(cfg,
              "io.out_path=/data/caf\xc3\xa9/\xe6\x97\xa5\xf0\x9f\x8e\xa5");
  ck_assert_int_eq(ef_config_dump(cfg, &dump), EF_OK);
  ck_assert_ptr_nonnull(strstr(dump, "caf\xc3\xa9"));
  ef_free(dump);
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_config_set) {
  ef_config *cfg = parse("io:\n  out_path: x\n");
  /* Known keys missing from the file can be set: they have defaults. */
  ck_assert_int_eq(ef_config_set(cfg, "io.seed", "7"), EF_OK);
  ck_assert_int_eq(get_int(cfg, "io.seed"), 7);
  ck_assert_int_eq(ef_config_set(cfg,
                                 "inference_config.norm_config."
                                 "normalize_audio",
                                 "true"),
                   EF_OK);
  ck_assert_int_eq(
      get_bool(cfg, "inference_config.norm_config.normalize_audio"), 1);
  ck_assert_int_eq(ef_config_set(cfg, "io.uid_list", "[u1, u2]"), EF_OK);
  size_t n;
  ck_assert_int_eq(ef_config_get_list_size(cfg, "io.uid_list", &n), EF_OK);
  ck_assert_uint_eq(n, 2);
  ck_assert_int_eq(ef_config_set(cfg, "io.bogus", "1"), EF_ECONFIG);
  ck_assert_msg(strstr(ef_last_error(), "'io.bogus'"), "%s", ef_last_error());
  ck_assert_int_eq(ef_config_set(cfg, "io.seed", "x"), EF_ECONFIG);
  ck_assert_int_eq(get_int(cfg, "io.seed"), 7);
  ck_assert_int_eq(ef_config_set(cfg, "io.seed", NULL), EF_EINVAL);
  ef_config_free(cfg);
}
END_TEST

/* ---- Getters ------------------------------------------------------------ */

START_TEST(test_get_int_on_float_fails) {
  ef_config *cfg = parse("schedule_config:\n  overhead: 3.0\n");
  int64_t v = 42;
  ck_assert_int_eq(ef_config_get_int(cfg, "schedule_config.overhead", &v),
                   EF_ECONFIG);
  ck_assert_int_eq(v, 42);
  ck_assert_msg(strstr(ef_last_error(), "'schedule_config.overhead'"), "%s",
                ef_last_error());
  ck_assert(get_double(cfg, "schedule_config.overhead") == 3.0);
  ck_assert_str_eq(get_str(cfg, "schedule_config.overhead"), "3.0");
  ef_config_free(cfg);
}
END_TEST

/* ef_config_get_type: a quoted scalar is a string whatever its text, a
 * plain one typed by its text; a null is found; only absence is
 * EF_ENOTFOUND. */
START_TEST(test_get_type) {
  ef_config *cfg = load("mvit_k400");
  override_ok(cfg, "io.uid_list=[\"001\",\"1e5\",001]");
  override_ok(cfg, "+q='true'");
  static const struct {
    const char *path;
    ef_config_type type;
  } want[] = {
      {"io.uid_list.0", EF_CONFIG_STRING},
      {"io.uid_list.1", EF_CONFIG_STRING},
      {"io.uid_list.2", EF_CONFIG_INT}, /* plain: typed by its text */
      {"q", EF_CONFIG_STRING},
      {"io.uid_list", EF_CONFIG_LIST},
      {"io", EF_CONFIG_MAP},
      {"fps", EF_CONFIG_INT},
      {"io.filter_completed", EF_CONFIG_BOOL},
      {"model_config.mean.0", EF_CONFIG_FLOAT},
      {"inference_config.device", EF_CONFIG_STRING},
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    ef_config_type t = EF_CONFIG_MAP + 1;
    ck_assert_msg(ef_config_get_type(cfg, want[i].path, &t) == EF_OK, "%s: %s",
                  want[i].path, ef_last_error());
    ck_assert_msg(t == want[i].type, "%s: type %d, not %d", want[i].path, t,
                  want[i].type);
  }
  ef_config_type t;
  override_ok(cfg, "io.uid_list=null");
  ck_assert_int_eq(ef_config_get_type(cfg, "io.uid_list", &t), EF_OK);
  ck_assert_int_eq(t, EF_CONFIG_NULL);
  ck_assert_int_eq(ef_config_get_type(cfg, "io.nope", &t), EF_ENOTFOUND);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "io.nope"));
  ck_assert_int_eq(ef_config_get_type(cfg, NULL, &t), EF_EINVAL);
  ck_assert_int_eq(ef_config_get_type(NULL, "fps", &t), EF_EINVAL);
  ef_config_free(cfg);
}
END_TEST

START_TEST(test_get_errors) {
  ef_config *cfg = load("slowfast_r101_8x8");
  int64_t v;
  const char *s;
  size_t n;
  ck_assert_int_eq(ef_config_get_int(cfg, "io.nothing", &v), EF_ENOTFOUND);
  ck_assert_msg(strstr(ef_last_error(), "'io.nothing'"), "%s", ef_last_error());
  ck_assert_int_eq(ef_config_get_string(cfg, "io", &s), EF_ECONFIG);
  ck_assert_int_eq(ef_config_get_list_size(cfg, "io.out_path", &n), EF_ECONFIG);
  ck_assert_int_eq(ef_config_get_string(cfg, "model_config.mean", &s),
                   EF_ECONFIG);
  ck_assert_int_eq(ef_config_get_int(cfg, "io.out_path", &v), EF_ECONFIG);
  /* Numbers read as strings keep their text. */
  ck_assert_str_eq(get_str(cfg, "inference_config.batch_size"), "1");
  ck_assert_str_eq(get_str(cfg, "schedule_config.schedule_time_per_node"),
                   "10.0");
  ck_assert_int_eq(ef_config_get_int(NULL, "fps", &v), EF_EINVAL);
  ck_assert_int_eq(ef_config_get_int(cfg, NULL, &v), EF_EINVAL);
  ef_config_free(cfg);
  ef_config_free(NULL);
}
END_TEST

/* ---- Copies ------------------------------------------------------------- */

START_TEST(test_clone_is_independent) {
  ef_config *cfg = load("slowfast_r101_8x8");
  override_ok(cfg, "+dataset_type=k400");
  ef_config *copy = NULL;
  ck_assert_int_eq(ef_config_clone(cfg, &copy), EF_OK);
  char *a = dump(cfg), *b = dump(copy);
  ck_assert_str_eq(a, b);
  free(a);
  free(b);
  override_ok(copy, "inference_config.stride=8");
  override_ok(copy, "~io.debug_path");
  ck_assert_int_eq(get_int(cfg, "inference_config.stride"), 16);
  get_str(cfg, "io.debug_path");
  /* The user-added flag is copied too: the extra is still allowed. */
  override_ok(copy, "inference_config.batch_size=2");
  ef_config_free(cfg);
  ck_assert_int_eq(get_int(copy, "inference_config.stride"), 8);
  ck_assert_str_eq(get_str(copy, "dataset_type"), "k400");
  ef_config_free(copy);
}
END_TEST

START_TEST(test_round_trip_after_overrides) {
  ef_config *cfg = load("egoexo_maws_clip");
  override_ok(cfg, "io.uid_list=[a, 'true', '3', \"x y\"]");
  override_ok(cfg, "io.out_path='yes'");
  override_ok(cfg, "schedule_config.overhead=1e-5");
  char *first = dump(cfg);
  ef_config *again = parse(first);
  ck_assert_str_eq(get_str(again, "io.out_path"), "yes");
  const char *item;
  ck_assert_int_eq(ef_config_get_list_string(again, "io.uid_list", 1, &item),
                   EF_OK);
  ck_assert_str_eq(item, "true");
  char *second = dump(again);
  ck_assert_str_eq(first, second);
  free(first);
  free(second);
  ef_config_free(again);
  ef_config_free(cfg);
}
END_TEST

static Suite *config_suite(void) {
  Suite *s = suite_create("config");
  TCase *files = tcase_create("files");
  tcase_add_test(files, test_every_config_loads);
  tcase_add_test(files, test_slowfast_values);
  tcase_add_test(files, test_mvit_and_omnivore_values);
  tcase_add_test(files, test_maws_clip_values);
  tcase_add_test(files, test_audio_values);
  tcase_add_test(files, test_asr_values);
  tcase_add_test(files, test_load_with_extension);
  tcase_add_test(files, test_load_missing_names_path);
  tcase_add_test(files, test_load_from_env_dir);
  tcase_add_test(files, test_load_bad_file_names_key_and_file);
  tcase_add_test(files, test_defaults_list);
  tcase_add_test(files, test_load_nul_byte_names_its_line);
  suite_add_tcase(s, files);

  TCase *yaml = tcase_create("yaml");
  tcase_add_test(yaml, test_parse_flow_style);
  tcase_add_test(yaml, test_parse_scalar_types);
  tcase_add_test(yaml, test_parse_unknown_key_suggests);
  tcase_add_test(yaml, test_parse_wrong_types);
  tcase_add_test(yaml, test_parse_bad_yaml);
  tcase_add_test(yaml, test_parse_empty_document);
  tcase_add_test(yaml, test_dump_quotes_ambiguous_strings);
  tcase_add_test(yaml, test_dump_keeps_key_order_and_text);
  suite_add_tcase(s, yaml);

  TCase *ov = tcase_create("overrides");
  tcase_add_test(ov, test_override_set_scalars);
  tcase_add_test(ov, test_override_quoted_strings);
  tcase_add_test(ov, test_override_uid_list);
  tcase_add_test(ov, test_override_mean_list);
  tcase_add_test(ov, test_override_unknown_key_suggests);
  tcase_add_test(ov, test_suggestions_rank_real_typos);
  tcase_add_test(ov, test_override_add);
  tcase_add_test(ov, test_override_add_existing_fails);
  tcase_add_test(ov, test_override_upsert);
  tcase_add_test(ov, test_override_delete);
  tcase_add_test(ov, test_override_bool_as_int);
  tcase_add_test(ov, test_override_wrong_type_leaves_config);
  tcase_add_test(ov, test_override_syntax_errors);
  tcase_add_test(ov, test_override_not_utf8);
  tcase_add_test(ov, test_config_set);
  suite_add_tcase(s, ov);

  TCase *get = tcase_create("getters");
  tcase_add_test(get, test_get_int_on_float_fails);
  tcase_add_test(get, test_get_errors);
  tcase_add_test(get, test_get_type);
  tcase_add_test(get, test_clone_is_independent);
  tcase_add_test(get, test_round_trip_after_overrides);
  suite_add_tcase(s, get);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(config_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failures = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failures != 0;
}
