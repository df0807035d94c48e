/*
 * test_ctc.c - model/ctc.c: label lists read from their JSON (and refused
 * with the key at fault), and greedy CTC decoding: repeats collapsed,
 * blanks dropped, separators as single spaces, all-blank and empty
 * windows, non-finite emissions, and the score's arithmetic.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/ctc.h"
#include "util/error.h"

/* blank "-" 0, separator "|" 1, then A B C. */
static const char *labels_json =
    "{\"labels\": [\"-\", \"|\", \"A\", \"B\", \"C\"], \"blank\": 0, "
    "\"word_separator\": \"|\"}";
#define V 5

static void load(ctc_labels *l, const char *json) {
  ck_assert_int_eq(ctc_labels_parse(json, strlen(json), "t.pt", l), EF_OK);
}

/* Emissions where frame t's best class is cls[t] (logit 5, others 0). */
static float *one_hot(const int *cls, int frames) {
  float *e = calloc((size_t)(frames ? frames : 1) * V, sizeof *e);
  for (int t = 0; t < frames; t++)
    e[t * V + cls[t]] = 5.0f;
  return e;
}

static char *decode(const ctc_labels *l, const int *cls, int frames,
                    double *score) {
  float *e = one_hot(cls, frames);
  char *text = NULL;
  ck_assert_int_eq(ctc_greedy_decode(l, e, frames, V, &text, score), EF_OK);
  free(e);
  ck_assert_ptr_nonnull(text);
  return text;
}

static void expect_text(const ctc_labels *l, const int *cls, int frames,
                        const char *want) {
  double score;
  char *text = decode(l, cls, frames, &score);
  ck_assert_str_eq(text, want);
  free(text);
}

START_TEST(test_labels_parse) {
  ctc_labels l;
  load(&l, labels_json);
  ck_assert_uint_eq(l.n, 5);
  ck_assert_uint_eq(l.blank, 0);
  ck_assert_uint_eq(l.separator, 1);
  ck_assert_str_eq(l.labels[4], "C");
  ctc_labels_free(&l);
  ctc_labels_free(&l); /* twice is safe */
  /* Defaults: blank 0, no separator; null is no separator too. */
  load(&l, "{\"labels\": [\"_\", \"x\"]}");
  ck_assert_uint_eq(l.blank, 0);
  ck_assert_uint_eq(l.separator, CTC_NO_SEPARATOR);
  ctc_labels_free(&l);
  load(&l, "{\"labels\": [\"x\", \"_\"], \"blank\": 1, "
           "\"word_separator\": null}");
  ck_assert_uint_eq(l.blank, 1);
  ck_assert_uint_eq(l.separator, CTC_NO_SEPARATOR);
  ctc_labels_free(&l);
}
END_TEST

static void refused(const char *json, const char *needle) {
  ctc_labels l;
  ck_assert_int_eq(ctc_labels_parse(json, strlen(json), "m.pt", &l), EF_EINVAL);
  ck_assert_msg(strstr(ef_last_error(), "m.pt") != NULL, "%s", ef_last_error());
  ck_assert_msg(strstr(ef_last_error(), needle) != NULL, "'%s' not in '%s'",
                needle, ef_last_error());
  ck_assert_ptr_null(l.labels);
  ctc_labels_free(&l);
}

START_TEST(test_labels_refused) {
  refused("", "m.pt");
  refused("[1, 2", "invalid JSON");
  refused("[\"a\"]", "not a label list");
  refused("{\"labels\": \"abc\"}", "not a label list");
  refused("{\"labels\": []}", "1 to");
  refused("{\"labels\": [\"a\", 3]}", "\"labels\"[1]");
  refused("{\"labels\": [\"a\", \"\"]}", "\"labels\"[1]");
  refused("{\"labels\": [\"a\", \"b\"], \"blank\": 2}", "\"blank\"");
  refused("{\"labels\": [\"a\", \"b\"], \"blank\": -1}", "\"blank\"");
  refused("{\"labels\": [\"a\", \"b\"], \"blank\": \"0\"}", "\"blank\"");
  refused("{\"labels\": [\"a\", \"b\"], \"word_separator\": \"|\"}",
          "not one of the labels");
  refused("{\"labels\": [\"a\", \"b\"], \"word_separator\": 1}",
          "\"word_separator\"");
  refused("{\"labels\": [\"a\", \"b\"], \"word_separator\": \"a\"}",
          "is the blank");
  ck_assert_int_eq(ctc_labels_parse(NULL, 0, "m.pt", &(ctc_labels){0}),
                   EF_EINVAL);
}
END_TEST

START_TEST(test_repeats_and_blanks) {
  ctc_labels l;
  load(&l, labels_json);
  /* A A B -> "AB": repeats collapse. */
  expect_text(&l, (int[]){2, 2, 3}, 3, "AB");
  /* A - A -> "AA": a blank separates two of the same label. */
  expect_text(&l, (int[]){2, 0, 2}, 3, "AA");
  /* - A - - B B - C -> "ABC" */
  expect_text(&l, (int[]){0, 2, 0, 0, 3, 3, 0, 4}, 8, "ABC");
  ctc_labels_free(&l);
}
END_TEST

START_TEST(test_separators) {
  ctc_labels l;
  load(&l, labels_json);
  /* A | B -> "A B" */
  expect_text(&l, (int[]){2, 1, 3}, 3, "A B");
  /* | | A | - | B | -> "A B": leading, trailing and doubled separators
   * give no extra space. */
  expect_text(&l, (int[]){1, 1, 2, 1, 0, 1, 3, 1}, 8, "A B");
  /* A A | | C C -> "A C" */
  expect_text(&l, (int[]){2, 2, 1, 1, 4, 4}, 6, "A C");
  /* Only separators: nothing said. */
  expect_text(&l, (int[]){1, 0, 1}, 3, "");
  ctc_labels_free(&l);
  /* Without a word separator "|" is a label like any other. */
  load(&l, "{\"labels\": [\"-\", \"|\", \"A\", \"B\", \"C\"]}");
  expect_text(&l, (int[]){1, 2, 1}, 3, "|A|");
  ctc_labels_free(&l);
  /* Multi-byte labels are concatenated whole. */
  load(&l, "{\"labels\": [\"<b>\", \" \", \"\\u00e9t\\u00e9\", \"ab\", "
           "\"c\"], \"word_separator\": \" \"}");
  expect_text(&l, (int[]){2, 1, 3, 4}, 4, "\xc3\xa9t\xc3\xa9 abc");
  ctc_labels_free(&l);
}
END_TEST

START_TEST(test_all_blank_and_empty) {
  ctc_labels l;
  load(&l, labels_json);
  double score = 1;
  char *text = decode(&l, (int[]){0, 0, 0, 0}, 4, &score);
  ck_assert_str_eq(text, "");
  ck_assert(score < 0);
  free(text);
  /* No frames at all: "" and score 0. */
  text = NULL;
  ck_assert_int_eq(ctc_greedy_decode(&l, NULL, 0, V, &text, &score), EF_OK);
  ck_assert_str_eq(text, "");
  ck_assert(score == 0.0);
  free(text);
  ctc_labels_free(&l);
}
END_TEST

START_TEST(test_score_arithmetic) {
  ctc_labels l;
  load(&l, labels_json);
  /* Frame 0: logits (1,2,3,4,5) -> best 5, log p = 5 - logsumexp.
   * Frame 1: all equal -> argmax is the first (blank), log p = -log 5.
   * Frame 2: (0, 0, 100, 0, 0) -> log p = -log(1 + 4 e^-100). */
  float e[3 * V] = {1, 2, 3, 4, 5, 7, 7, 7, 7, 7, 0, 0, 100, 0, 0};
  double lse0 = 0;
  for (int v = 0; v < V; v++)
    lse0 += exp((double)(v + 1));
  double f0 = 5.0 - log(lse0), f1 = -log(5.0), f2 = -log(1 + 4 * exp(-100.0));
  double want = (f0 + f1 + f2) / 3.0;
  char *text = NULL;
  double score = 0;
  ck_assert_int_eq(ctc_greedy_decode(&l, e, 3, V, &text, &score), EF_OK);
  ck_assert_str_eq(text, "CA"); /* C, blank, A */
  ck_assert_double_eq_tol(score, want, 1e-12);
  free(text);
  /* Large logits do not overflow (the max is subtracted first). */
  float big[V] = {1e30f, 0, 0, 0, 0};
  ck_assert_int_eq(ctc_greedy_decode(&l, big, 1, V, &text, &score), EF_OK);
  ck_assert_double_eq_tol(score, 0.0, 1e-12);
  ck_assert_str_eq(text, "");
  free(text);
  ctc_labels_free(&l);
}
END_TEST

START_TEST(test_bad_emissions) {
  ctc_labels l;
  load(&l, labels_json);
  char *text = (char *)"sentinel";
  double score;
  float e[2 * V] = {0};
  /* A vocabulary that is not the label list's. */
  ck_assert_int_eq(ctc_greedy_decode(&l, e, 2, V - 1, &text, &score),
                   EF_EINVAL);
  ck_assert_ptr_null(text);
  ck_assert_msg(strstr(ef_last_error(), "4 classes") &&
                    strstr(ef_last_error(), "5 labels"),
                "%s", ef_last_error());
  e[V + 2] = NAN;
  ck_assert_int_eq(ctc_greedy_decode(&l, e, 2, V, &text, &score), EF_EINVAL);
  ck_assert_ptr_null(text);
  ck_assert_msg(strstr(ef_last_error(), "frame 1"), "%s", ef_last_error());
  e[V + 2] = INFINITY;
  ck_assert_int_eq(ctc_greedy_decode(&l, e, 2, V, &text, &score), EF_EINVAL);
  ck_assert_int_eq(ctc_greedy_decode(&l, NULL, 2, V, &text, &score), EF_EINVAL);
  ctc_labels_free(&l);
}
END_TEST

int main(void) {
  Suite *s = suite_create("ctc");
  TCase *tc = tcase_create("ctc");
  tcase_add_test(tc, test_labels_parse);
  tcase_add_test(tc, test_labels_refused);
  tcase_add_test(tc, test_repeats_and_blanks);
  tcase_add_test(tc, test_separators);
  tcase_add_test(tc, test_all_blank_and_empty);
  tcase_add_test(tc, test_score_arithmetic);
  tcase_add_test(tc, test_bad_emissions);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
