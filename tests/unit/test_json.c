/*
 * test_json.c - util/json.c: JSON's strings and numbers told apart over
 * libyaml's scalars, objects and arrays walked, and syntax errors with
 * their line; and schedule_json's file loader naming the file.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "schedule/schedule_json.h"
#include "testutil.h"
#include "util/error.h"
#include "util/json.h"
#include "util/membuf.h"
#include "util/utf8.h"

static int parse(json_doc *d, const char *text, char *err) {
  return json_parse(d, text, strlen(text), err, 256);
}

START_TEST(test_strings_numbers_and_literals) {
  json_doc d;
  char err[256];
  ck_assert_int_eq(
      parse(&d, "{\"s\":\"12\",\"n\":12,\"x\": -2.5e1,\"t\":true,\"z\":null}",
            err),
      0);
  json_node *root = json_root(&d);
  ck_assert(json_is_object(root));
  ck_assert_uint_eq(json_pair_count(root), 5);
  ck_assert_uint_eq(json_len(root), 0); /* not an array */
  int64_t i = 0;
  double x = 0;
  /* "12" is a string, not a number; 12 the reverse. */
  ck_assert_str_eq(json_string(json_get(&d, root, "s")), "12");
  ck_assert_int_eq(json_int(json_get(&d, root, "s"), &i), -1);
  ck_assert_ptr_null(json_string(json_get(&d, root, "n")));
  ck_assert_int_eq(json_int(json_get(&d, root, "n"), &i), 0);
  ck_assert_int_eq(i, 12);
  ck_assert_int_eq(json_int(json_get(&d, root, "x"), &i), -1);
  ck_assert_int_eq(json_double(json_get(&d, root, "x"), &x), 0);
  ck_assert_double_eq(x, -25.0);
  ck_assert_ptr_null(json_string(json_get(&d, root, "t")));
  ck_assert_str_eq(json_text(json_get(&d, root, "z")), "null");
  ck_assert_int_eq(json_double(json_get(&d, root, "z"), &x), -1);
  ck_assert_ptr_null(json_get(&d, root, "missing"));
  json_node *v = NULL;
  ck_assert_str_eq(json_pair(&d, root, 2, &v), "x");
  ck_assert_ptr_eq(v, json_get(&d, root, "x"));
  json_free(&d);
  json_free(&d); /* twice is safe */
}
END_TEST

START_TEST(test_arrays_and_escapes) {
  json_doc d;
  char err[256];
  ck_assert_int_eq(parse(&d,
                         "[[\"n01440764\", \"tench\"],\n\t\"caf\\u00e9\", "
                         "\"\\\"abseiling\\\"\", []]",
                         err),
                   0);
  json_node *root = json_root(&d);
  ck_assert(json_is_array(root));
  ck_assert_uint_eq(json_len(root), 4);
  json_node *pair = json_at(&d, root, 0);
  ck_assert_uint_eq(json_len(pair), 2);
  ck_assert_str_eq(json_string(json_at(&d, pair, 1)), "tench");
  ck_assert_str_eq(json_string(json_at(&d, root, 1)), "caf\xc3\xa9");
  ck_assert_str_eq(json_string(json_at(&d, root, 2)), "\"abseiling\"");
  ck_assert(json_is_array(json_at(&d, root, 3)));
  ck_assert_uint_eq(json_len(json_at(&d, root, 3)), 0);
  ck_assert_ptr_null(json_get(&d, root, "0")); /* not an object */
  json_free(&d);
}
END_TEST

/* What membuf_json writes (the plan and status files) reads back: also
 * the characters YAML folds (NEL, U+2028) or refuses (DEL, C1 controls),
 * and bytes that are not UTF-8 (a Latin-1 file name). */
static const char *const written[] = {
    "a \"q\" \\ b\n\t\x01 end \xe2\x82\xac",           /* euro sign */
    "x\xc2\x85y\xe2\x80\xa8z\x7f\xc2\x9f",             /* NEL, LS, DEL, APC */
    "caf\xe9.mp4",                                     /* Latin-1 */
    "\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xe2\x82", /* overlong,
                                       surrogate, > U+10FFFF, cut short */
    "\xf0\x9f\x8e\xa5 \xef\xbb\xbf",                   /* emoji, BOM */
};

START_TEST(test_writer_round_trip) {
  const char *s = written[_i];
  membuf b = {0};
  membuf_puts(&b, "{\"k\": ");
  membuf_json(&b, s);
  membuf_puts(&b, "}");
  ck_assert(!b.failed);
  json_doc d;
  char err[256];
  ck_assert_int_eq(json_parse(&d, (const char *)b.data, b.len, err, sizeof err),
                   0);
  ck_assert_str_eq(json_string(json_get(&d, json_root(&d), "k")), s);
  json_free(&d);
  free(b.data);
}
END_TEST

/* The byte escape alone (utf8.h): only bytes that are not UTF-8 change,
 * and they come back; a stray U+0000 ends the text. */
START_TEST(test_byte_escape_round_trip) {
  size_t len = 99;
  ck_assert_ptr_null(utf8_escape_bytes("caf\xc3\xa9 \xf0\x9f\x8e\xa5", &len));
  ck_assert_uint_eq(len, 0);
  char *e = utf8_escape_bytes("a\xe9"
                              "b\xc3",
                              &len);
  ck_assert_ptr_nonnull(e);
  ck_assert_uint_eq(len, 8);
  ck_assert(memcmp(e, "a\0e9b\0c3", 9) == 0);
  int stray = 0;
  ck_assert_uint_eq(utf8_restore_bytes((unsigned char *)e, len, &stray), 4);
  ck_assert_str_eq(e, "a\xe9"
                      "b\xc3");
  ck_assert_int_eq(stray, 0);
  memcpy(e, "x\0zzq", 6);
  ck_assert_uint_eq(utf8_restore_bytes((unsigned char *)e, 5, &stray), 1);
  ck_assert_int_eq(stray, 1);
  free(e);
}
END_TEST

START_TEST(test_errors_say_where) {
  json_doc d;
  char err[256];
  ck_assert_int_eq(parse(&d, "{\"a\": 1,\n \"b\": [1, 2}\n", err), -1);
  ck_assert_msg(strstr(err, "invalid JSON at line 2") != NULL, "%s", err);
  ck_assert_ptr_null(json_root(&d));
  json_free(&d);
  ck_assert_int_eq(parse(&d, "  \n", err), -1);
  ck_assert_str_eq(err, "empty file");
  json_free(&d);
  /* Keys YAML would take but JSON does not. */
  static const char *const bad_keys[] = {"{1: \"a\"}", "{\"a\": {[1]: 2}}",
                                         "{\n{\"k\": 1}: \"x\"}"};
  for (size_t i = 0; i < sizeof bad_keys / sizeof *bad_keys; i++) {
    ck_assert_int_eq(parse(&d, bad_keys[i], err), -1);
    ck_assert_msg(strstr(err, "a key that is not a string") != NULL, "%s: %s",
                  bad_keys[i], err);
    ck_assert_ptr_null(json_root(&d));
  }
}
END_TEST

START_TEST(test_file_loader_names_the_file) {
  char *dir = tu_tmpdir();
  char *missing = tu_path(dir, "none.json"), *bad = tu_path(dir, "bad.json");
  json_doc d;
  ck_assert_int_eq(schedule_json_load(missing, &d), EF_ENOTFOUND);
  ck_assert(strstr(ef_last_error(), missing) != NULL);
  ck_assert_int_eq(tu_write_file(bad, "[1,"), 0);
  ck_assert_int_eq(schedule_json_load(bad, &d), EF_EINVAL);
  ck_assert(strstr(ef_last_error(), bad) != NULL);
  ck_assert(strstr(ef_last_error(), "invalid JSON at line") != NULL);
  ck_assert_int_eq(tu_write_file(bad, "{\"v\": [3]}"), 0);
  ck_assert_int_eq(schedule_json_load(bad, &d), EF_OK);
  int64_t v = 0;
  ck_assert_int_eq(
      json_int(json_at(&d, json_get(&d, json_root(&d), "v"), 0), &v), 0);
  ck_assert_int_eq(v, 3);
  json_free(&d);
  tu_rmrf(dir);
  free(dir);
  free(missing);
  free(bad);
}
END_TEST

int main(void) {
  Suite *s = suite_create("json");
  TCase *tc = tcase_create("json");
  tcase_add_test(tc, test_strings_numbers_and_literals);
  tcase_add_test(tc, test_arrays_and_escapes);
  tcase_add_loop_test(tc, test_writer_round_trip, 0,
                      (int)(sizeof written / sizeof *written));
  tcase_add_test(tc, test_byte_escape_round_trip);
  tcase_add_test(tc, test_errors_say_where);
  tcase_add_test(tc, test_file_loader_names_the_file);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
