/*
 * test_hostile_lists.c - unit tests of manifest.c and stereo_list.c on
 * hostile input: huge, malformed, negative and non-numeric values, binary
 * garbage, deep nesting. Each case either fails with a message naming the
 * file and the problem, or has the behaviour asserted here (an unreadable
 * value is "unknown", so discovery probes the file instead). The inputs
 * libFuzzer found (regress_* in tests/fuzz/corpus) are among them.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ego4dfeat/ego4dfeat.h"
#include "input/discover.h"
#include "input/manifest.h"
#include "input/stereo_list.h"
#include "testutil.h"

static const char *HDR = "video_uid,canonical_num_frames,"
                         "canonical_display_width,canonical_display_height\n";

/* Parses HDR + rows, expecting success. */
static void parse_ok(const char *rows, manifest *m) {
  char *text = malloc(strlen(HDR) + strlen(rows) + 1);
  ck_assert_ptr_nonnull(text);
  strcpy(text, HDR);
  strcat(text, rows);
  ck_assert_msg(manifest_parse("m.csv", text, strlen(text), m) == EF_OK, "%s",
                ef_last_error());
  free(text);
}

static const manifest_row *row(const manifest *m, const char *uid) {
  const manifest_row *r = manifest_find(m, uid);
  ck_assert_msg(r != NULL, "no row %s", uid);
  return r;
}

/* ---- manifest.csv: values ----------------------------------------------- */

START_TEST(test_manifest_out_of_range_sizes_are_unknown) {
  manifest m;
  /* 49999999999 is what libFuzzer found: cast to int it was negative. */
  parse_ok("big,10,49999999999,99999999999999999999\n"
           "intmax,10,2147483647,2147483648\n"
           "neg,-5,-1920,-0.4\n"
           "inf,inf,1e400,-inf\n"
           "frames,9000000000000001,1,1\n",
           &m);
  ck_assert_int_eq(row(&m, "big")->width, 0);
  ck_assert_int_eq(row(&m, "big")->height, 0);
  ck_assert_int_eq(row(&m, "big")->num_frames, 10);
  ck_assert_int_eq(row(&m, "intmax")->width, INT_MAX);
  ck_assert_int_eq(row(&m, "intmax")->height, 0);
  ck_assert_int_eq(row(&m, "neg")->num_frames, -1);
  ck_assert_int_eq(row(&m, "neg")->width, 0);
  ck_assert_int_eq(row(&m, "neg")->height, 0);
  ck_assert_int_eq(row(&m, "inf")->num_frames, -1);
  ck_assert_int_eq(row(&m, "inf")->width, 0);
  ck_assert_int_eq(row(&m, "frames")->num_frames, -1); /* past 9e15 */
  manifest_free(&m);
}
END_TEST

START_TEST(test_manifest_non_numeric_values_are_unknown) {
  manifest m;
  parse_ok("trail,12abc,640x,480 px\n"
           "space, 42 ,  640\t, 480\n"
           "words,many,wide,tall\n"
           "empty,,,\n"
           "short\n"
           "long,1,2,3,4,5,6,7,8,9\n",
           &m);
  /* "12abc" was read as 12 before: trailing text makes it unreadable. */
  ck_assert_int_eq(row(&m, "trail")->num_frames, -1);
  ck_assert_int_eq(row(&m, "trail")->width, 0);
  ck_assert_int_eq(row(&m, "trail")->height, 0);
  ck_assert_int_eq(row(&m, "space")->num_frames, 42);
  ck_assert_int_eq(row(&m, "space")->width, 640);
  ck_assert_int_eq(row(&m, "space")->height, 480);
  ck_assert_int_eq(row(&m, "words")->num_frames, -1);
  ck_assert_int_eq(row(&m, "empty")->num_frames, -1);
  ck_assert_int_eq(row(&m, "short")->num_frames, -1); /* missing fields */
  ck_assert_int_eq(row(&m, "short")->width, 0);
  ck_assert_int_eq(row(&m, "long")->num_frames, 1); /* extra fields ignored */
  ck_assert_int_eq(row(&m, "long")->height, 3);
  ck_assert_int_eq(row(&m, "long")->has_audio, -1);
  manifest_free(&m);
}
END_TEST

/* ---- manifest.csv: structure -------------------------------------------- */

START_TEST(test_manifest_unterminated_quote_is_an_error) {
  manifest m;
  const char *text = "video_uid,notes\nv1,ok\nv2,\"never closed\nv3,x\n";
  ck_assert_int_eq(manifest_parse("dir/manifest.csv", text, strlen(text), &m),
                   EF_EINVAL);
  ck_assert_str_eq(ef_last_error(), "dir/manifest.csv: line 3: quoted field "
                                    "not closed before the end of the file");
  ck_assert_uint_eq(m.n, 0); /* nothing half-read is kept */
  ck_assert_ptr_null(m.rows);

  const char *hdr = "\"video_uid,notes\n";
  ck_assert_int_eq(manifest_parse("h.csv", hdr, strlen(hdr), &m), EF_EINVAL);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "h.csv: line 1: quoted"));
}
END_TEST

START_TEST(test_manifest_binary_garbage_is_an_error) {
  manifest m;
  const char text[] = "video_uid,canonical_num_frames\nv1,3\nv\0x,4\n";
  ck_assert_int_eq(manifest_parse("bin.csv", text, sizeof text - 1, &m),
                   EF_EINVAL);
  ck_assert_str_eq(ef_last_error(), "bin.csv: line 3: NUL byte (not a text "
                                    "file)");
  ck_assert_uint_eq(m.n, 0);

  /* Bytes that are not UTF-8 but no NUL: CSV does not care, and a uid
   * that matches no file name is harmless. */
  const char latin[] = "video_uid\n\xe9t\xe9\n\xff\xfe\n";
  ck_assert_int_eq(manifest_parse("l.csv", latin, sizeof latin - 1, &m), EF_OK);
  ck_assert_uint_eq(m.n, 2);
  manifest_free(&m);
}
END_TEST

START_TEST(test_manifest_empty_and_header_only) {
  manifest m;
  ck_assert_int_eq(manifest_parse("e.csv", "", 0, &m), EF_EINVAL);
  ck_assert_str_eq(ef_last_error(), "e.csv: empty manifest");
  ck_assert_int_eq(manifest_parse("b.csv", "\xEF\xBB\xBF", 3, &m), EF_EINVAL);
  ck_assert_str_eq(ef_last_error(), "b.csv: empty manifest");
  ck_assert_int_eq(manifest_parse("n.csv", "\n\n", 2, &m), EF_EINVAL);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "n.csv: no uid column"));
  ck_assert_int_eq(manifest_parse("h.csv", "uid\n", 4, &m), EF_OK);
  ck_assert_uint_eq(m.n, 0);
  ck_assert_ptr_null(manifest_find(&m, "x"));
  manifest_free(&m);
  /* Blank lines and rows with an empty uid are no rows. */
  parse_ok("\n\n,5,6,7\n\"\",1,1,1\nreal,1,1,1\n", &m);
  ck_assert_uint_eq(m.n, 1);
  manifest_free(&m);
}
END_TEST

/* 200,000 rows in reverse order, and a 1 MiB uid: all found. */
START_TEST(test_manifest_huge) {
  enum { N = 200000 };
  size_t cap = strlen(HDR) + (size_t)N * 32 + (1u << 20) + 64, len = 0;
  char *text = malloc(cap);
  manifest m;
  ck_assert_ptr_nonnull(text);
  len += (size_t)snprintf(text, cap, "%s", HDR);
  for (int i = N - 1; i >= 0; i--)
    len += (size_t)snprintf(text + len, cap - len, "u%06d,%d,64,48\n", i, i);
  memset(text + len, 'x', 1u << 20);
  len += 1u << 20;
  len += (size_t)snprintf(text + len, cap - len, ",7,1,1\n");
  ck_assert_int_eq(manifest_parse("big.csv", text, len, &m), EF_OK);
  ck_assert_uint_eq(m.n, N + 1);
  for (int i = 0; i < N; i += 997) {
    char uid[16];
    snprintf(uid, sizeof uid, "u%06d", i);
    ck_assert_int_eq(row(&m, uid)->num_frames, i);
  }
  const manifest_row *last = &m.rows[m.n - 1]; /* "xxx..." sorts last */
  ck_assert_uint_eq(strlen(last->uid), 1u << 20);
  ck_assert_int_eq(last->num_frames, 7);
  manifest_free(&m);
  free(text);
}
END_TEST

/* The file reader: a manifest.csv that is a folder is not read (no
 * manifest); one that is unreadable names the file. */
START_TEST(test_manifest_load_names_the_file) {
  char *dir = tu_tmpdir();
  char *path = tu_path(dir, "manifest.csv");
  manifest m;
  ck_assert_int_eq(tu_write_file(path, "video_uid,x\n\"open\n"), 0);
  ck_assert_int_eq(manifest_load(dir, &m), EF_EINVAL);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), path));
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "line 2"));
  ck_assert_uint_eq(m.n, 0);
  tu_rmrf(dir);
  free(path);
  free(dir);
}
END_TEST

/* ---- ego4d.json --------------------------------------------------------- */

static int parse_json(const char *text, strvec *v) {
  memset(v, 0, sizeof *v);
  return stereo_list_parse("d/ego4d.json", text, strlen(text), v);
}

START_TEST(test_json_values_of_odd_types) {
  strvec v;
  ck_assert_int_eq(
      parse_json("{\"videos\": ["
                 "{\"video_uid\": null, \"is_stereo\": true},"
                 "{\"video_uid\": \"null\", \"is_stereo\": true},"
                 "{\"video_uid\": 123, \"is_stereo\": 1},"
                 "{\"video_uid\": [\"a\"], \"is_stereo\": true},"
                 "{\"video_uid\": {\"b\": 1}, \"is_stereo\": true},"
                 "{\"video_uid\": \"str\", \"is_stereo\": \"true\"},"
                 "{\"video_uid\": \"two\", \"is_stereo\": 2},"
                 "{\"video_uid\": \"neg\", \"is_stereo\": -1},"
                 "{\"video_uid\": \"nul\", \"is_stereo\": null},"
                 "{\"video_uid\": \"arr\", \"is_stereo\": [true]},"
                 "{\"video_uid\": \"\", \"is_stereo\": true},"
                 "{\"is_stereo\": true},"
                 "{\"video_uid\": \"dup\", \"video_uid\": \"last\", "
                 "\"is_stereo\": true},"
                 "null, 7, \"s\", [[]]]}",
                 &v),
      EF_OK);
  /* JSON null is no uid; the string "null" is one. Numbers are read as
   * their text; true, "true", "True" and 1 mean stereo, anything else
   * not; the last of repeated keys counts. The empty uid is kept (it
   * matches no file). */
  ck_assert_uint_eq(v.n, 5);
  ck_assert_str_eq(v.items[0], "");
  ck_assert_str_eq(v.items[1], "123");
  ck_assert_str_eq(v.items[2], "last");
  ck_assert_str_eq(v.items[3], "null");
  ck_assert_str_eq(v.items[4], "str");
  strvec_free(&v);
}
END_TEST

START_TEST(test_json_malformed_is_an_error_naming_the_file) {
  static const char *bad[] = {
      "{\"videos\": [{\"video_uid\": \"s1\",]]",
      "{\"videos\": [",
      "{\"videos\": [{\"video_uid\": \"a\", \"is_stereo\": true}",
      "{\"a\": 1}}",
      "{\"a\": 1} {\"b\": 2}",
      "\t\x01\x02garbage{",
      "{\"videos\": \"\xff\xfe\"}",
      "",
      "   \n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    strvec v;
    int rc = parse_json(bad[i], &v);
    ck_assert_msg(rc == EF_EINVAL, "case %zu: %d", i, rc);
    ck_assert_msg(strncmp(ef_last_error(), "d/ego4d.json: ", 14) == 0,
                  "case %zu: %s", i, ef_last_error());
    strvec_free(&v);
  }
}
END_TEST

START_TEST(test_json_top_level_not_an_object) {
  static const char *texts[] = {"[1, 2, 3]",
                                "\"videos\"",
                                "42",
                                "null",
                                "{\"videos\": {\"video_uid\": \"a\"}}",
                                "{\"videos\": 5}",
                                "{}"};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    strvec v;
    ck_assert_msg(parse_json(texts[i], &v) == EF_OK, "case %zu: %s", i,
                  ef_last_error());
    ck_assert_uint_eq(v.n, 0);
    strvec_free(&v);
  }
}
END_TEST

/* Nesting: 200 levels inside a video are skipped; 100,000 (which took
 * libyaml minutes, its scanner being quadratic in open brackets) are an
 * error naming the file, as is an unbalanced one. */
static char *nested(int depth, char close) {
  const char *head = "{\"videos\": [{\"video_uid\": \"deep\", \"x\": ";
  const char *tail = ", \"is_stereo\": true}]}";
  size_t hl = strlen(head), d = (size_t)depth;
  char *text = malloc(hl + 2 * d + strlen(tail) + 1);
  ck_assert_ptr_nonnull(text);
  strcpy(text, head);
  memset(text + hl, '[', d);
  memset(text + hl + d, ']', d);
  text[hl + d] = close;
  strcpy(text + hl + 2 * d, tail);
  return text;
}

START_TEST(test_json_deep_nesting) {
  strvec v;
  char *text = nested(200, ']');
  ck_assert_msg(parse_json(text, &v) == EF_OK, "%s", ef_last_error());
  ck_assert_uint_eq(v.n, 1);
  ck_assert_str_eq(v.items[0], "deep");
  strvec_free(&v);
  free(text);

  text = nested(100000, ']');
  ck_assert_int_eq(parse_json(text, &v), EF_EINVAL);
  ck_assert_str_eq(ef_last_error(),
                   "d/ego4d.json: line 1: values nested deeper than 256 "
                   "levels");
  ck_assert_uint_eq(v.n, 0);
  strvec_free(&v);
  free(text);

  text = nested(100, '}');
  ck_assert_int_eq(parse_json(text, &v), EF_EINVAL);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "d/ego4d.json: "));
  strvec_free(&v);
  free(text);
}
END_TEST

/* 100,000 videos, every other one stereo: all found, sorted. */
START_TEST(test_json_huge) {
  enum { N = 100000 };
  size_t cap = (size_t)N * 64 + 64, len = 0;
  char *text = malloc(cap);
  strvec v;
  ck_assert_ptr_nonnull(text);
  len += (size_t)snprintf(text, cap, "{\"videos\": [");
  for (int i = N - 1; i >= 0; i--)
    len += (size_t)snprintf(text + len, cap - len,
                            "%s{\"video_uid\": \"v%06d\", \"is_stereo\": %s}",
                            i == N - 1 ? "" : ",", i, i % 2 ? "false" : "true");
  snprintf(text + len, cap - len, "]}");
  ck_assert_int_eq(parse_json(text, &v), EF_OK);
  ck_assert_uint_eq(v.n, N / 2);
  ck_assert_int_eq(strvec_contains(&v, "v000000"), 1);
  ck_assert_int_eq(strvec_contains(&v, "v099998"), 1);
  ck_assert_int_eq(strvec_contains(&v, "v000001"), 0);
  for (size_t i = 1; i < v.n; i++)
    ck_assert_int_lt(strcmp(v.items[i - 1], v.items[i]), 0);
  strvec_free(&v);
  free(text);
}
END_TEST

/* Through discovery: an empty ego4d.json is an error naming it. */
START_TEST(test_json_empty_file_through_discovery) {
  char *dir = tu_tmpdir();
  char *path = tu_path(dir, "ego4d.json");
  char *uids[] = {"a"};
  ef_settings s;
  ef_video *v = NULL;
  size_t n = 0;
  memset(&s, 0, sizeof s);
  s.video_dir_path = dir;
  s.ego4d_download_dir = dir;
  s.uid_list = uids;
  s.n_uids = 1;
  s.video_limit = -1;
  s.fps_num = 30;
  s.fps_den = 1;
  s.frame_window = 32;
  s.stride = 16;
  ck_assert_int_eq(tu_write_file(path, ""), 0);
  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_EINVAL);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), path));
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "empty file"));
  tu_rmrf(dir);
  free(path);
  free(dir);
}
END_TEST

/* ---- Runner -------------------------------------------------------------- */

int main(void) {
  Suite *s = suite_create("hostile_lists");
  TCase *csv = tcase_create("manifest");
  TCase *json = tcase_create("ego4d_json");
  tcase_set_timeout(csv, 120); /* the huge cases, under ASan */
  tcase_set_timeout(json, 120);
  tcase_add_test(csv, test_manifest_out_of_range_sizes_are_unknown);
  tcase_add_test(csv, test_manifest_non_numeric_values_are_unknown);
  tcase_add_test(csv, test_manifest_unterminated_quote_is_an_error);
  tcase_add_test(csv, test_manifest_binary_garbage_is_an_error);
  tcase_add_test(csv, test_manifest_empty_and_header_only);
  tcase_add_test(csv, test_manifest_huge);
  tcase_add_test(csv, test_manifest_load_names_the_file);
  tcase_add_test(json, test_json_values_of_odd_types);
  tcase_add_test(json, test_json_malformed_is_an_error_naming_the_file);
  tcase_add_test(json, test_json_top_level_not_an_object);
  tcase_add_test(json, test_json_deep_nesting);
  tcase_add_test(json, test_json_huge);
  tcase_add_test(json, test_json_empty_file_through_discovery);
  suite_add_tcase(s, csv);
  suite_add_tcase(s, json);

  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
