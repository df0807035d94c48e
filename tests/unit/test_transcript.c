/*
 * test_transcript.c - output/transcript.c: the JSONL lines (escaping,
 * null text, shortest numbers, non-finite numbers refused) and the
 * completeness check (truncated, empty, foreign, not a regular file).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/transcript.h"
#include "testutil.h"
#include "util/error.h"
#include "util/membuf.h"

START_TEST(test_encode_lines) {
  transcript_line lines[] = {
      {0.0, 5.0, "HELLO WORLD", -0.25},
      {5.0, 10.0, NULL, -1.5},
      {10.0, 12.34, "", 0.1},
      {12.34, 17.34, "SAY \"HI\"\\\n\x01 caf\xc3\xa9", -1e-7},
  };
  membuf b = {0};
  ck_assert_int_eq(transcript_encode(lines, 4, &b), EF_OK);
  ck_assert_str_eq(
      (const char *)b.data,
      "{\"start\": 0, \"end\": 5, \"text\": \"HELLO WORLD\", \"score\": "
      "-0.25}\n"
      "{\"start\": 5, \"end\": 10, \"text\": null, \"score\": -1.5}\n"
      "{\"start\": 10, \"end\": 12.34, \"text\": null, \"score\": 0.1}\n"
      "{\"start\": 12.34, \"end\": 17.34, \"text\": \"SAY \\\"HI\\\"\\\\\\n"
      "\\u0001 caf\xc3\xa9\", \"score\": -1e-07}\n");
  membuf_free(&b);
  /* No windows: no bytes. */
  ck_assert_int_eq(transcript_encode(NULL, 0, &b), EF_OK);
  ck_assert_uint_eq(b.len, 0);
  membuf_free(&b);
}
END_TEST

START_TEST(test_encode_refuses_non_finite) {
  transcript_line bad[] = {{0, 5, "A", -0.5}, {5, 10, "B", NAN}};
  membuf b = {0};
  ck_assert_int_eq(transcript_encode(bad, 2, &b), EF_EINVAL);
  ck_assert_msg(strstr(ef_last_error(), "window 1"), "%s", ef_last_error());
  membuf_free(&b);
  bad[1].score = 0;
  bad[1].end = INFINITY;
  ck_assert_int_eq(transcript_encode(bad, 2, &b), EF_EINVAL);
  membuf_free(&b);
  ck_assert_int_eq(transcript_encode(NULL, 1, &b), EF_EINVAL);
}
END_TEST

static char *write_tmp(const char *dir, const char *name, const char *text,
                       size_t len) {
  char *p = tu_path(dir, name);
  FILE *f = fopen(p, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(text, 1, len, f), len);
  fclose(f);
  return p;
}

START_TEST(test_complete_check) {
  char *dir = tu_tmpdir();
  transcript_line lines[] = {
      {0, 5, "A B", -0.5}, {5, 10, NULL, -0.75}, {10, 15, "C\"", -1}};
  membuf b = {0};
  ck_assert_int_eq(transcript_encode(lines, 3, &b), EF_OK);
  char *good = write_tmp(dir, "g.transcript.jsonl", (char *)b.data, b.len);
  ck_assert_int_eq(transcript_lines(good), 3);
  ck_assert_int_eq(transcript_complete(good), 1);
  /* Every cut of the file is incomplete, but one at a line's end, which
   * is a shorter transcript (the caller compares with the window count). */
  for (size_t cut = 0; cut < b.len; cut++) {
    char *p = write_tmp(dir, "cut.jsonl", (char *)b.data, cut);
    int64_t want = cut > 0 && b.data[cut - 1] == '\n' ? 1 : -1;
    if (want == 1)
      want = cut < b.len / 2 ? 1 : 2;
    ck_assert_msg(transcript_lines(p) == want, "cut at %zu", cut);
    free(p);
  }
  /* Foreign or damaged lines. */
  const char *bad[] = {
      "\n",
      "[1, 2]\n",
      "{\"start\": 0, \"end\": 5, \"text\": \"A\"}\n",
      "{\"start\": \"0\", \"end\": 5, \"text\": \"A\", \"score\": 0}\n",
      "{\"start\": 0, \"end\": 5, \"text\": 3, \"score\": 0}\n",
      "{\"start\": 0, \"end\": 5, \"text\": \"A\", \"score\": 0}\n\n",
      "{\"start\": 0, \"end\": 5, \"text\": \"A\", \"score\": 0}\nnot json\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *p = write_tmp(dir, "bad.jsonl", bad[i], strlen(bad[i]));
    ck_assert_msg(transcript_lines(p) == -1, "%s", bad[i]);
    free(p);
  }
  /* A NUL inside. */
  char *nul = write_tmp(dir, "nul.jsonl", "{\"start\": 0\0}\n", 14);
  ck_assert_int_eq(transcript_lines(nul), -1);
  /* Not a regular file: a folder, a FIFO (must not block), missing. */
  ck_assert_int_eq(transcript_lines(dir), -1);
  char *fifo = tu_path(dir, "fifo.jsonl");
  ck_assert_int_eq(mkfifo(fifo, 0600), 0);
  ck_assert_int_eq(transcript_lines(fifo), -1);
  char *missing = tu_path(dir, "missing.jsonl");
  ck_assert_int_eq(transcript_lines(missing), -1);
  ck_assert_int_eq(transcript_complete(missing), 0);
  ck_assert_int_eq(transcript_lines(NULL), -1);
  membuf_free(&b);
  free(good);
  free(nul);
  free(fifo);
  free(missing);
  tu_rmrf(dir);
  free(dir);
}
END_TEST

int main(void) {
  Suite *s = suite_create("transcript");
  TCase *tc = tcase_create("transcript");
  tcase_add_test(tc, test_encode_lines);
  tcase_add_test(tc, test_encode_refuses_non_finite);
  tcase_add_test(tc, test_complete_check);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
