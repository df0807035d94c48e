/*
 * test_file_read.c - the whole-file reader behind configs, manifest.csv,
 * fingerprints and merged configs: contents byte for byte across buffer
 * growth, NUL-terminated, the size limit, and errors as negative errnos.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_read.h"
#include "testutil.h"

static char *dir;

static char *write_bytes(const char *name, const char *bytes, size_t n) {
  char *path = tu_path(dir, name);
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(bytes, 1, n, f), n);
  ck_assert_int_eq(fclose(f), 0);
  return path;
}

START_TEST(test_reads_every_byte) {
  /* 100,000 bytes: past the first 8 KiB chunk and several doublings,
   * with NULs inside (binary files are read whole too). */
  size_t n = 100000;
  char *bytes = malloc(n);
  for (size_t i = 0; i < n; i++)
    bytes[i] = (char)(i * 131u + (i >> 7));
  char *path = write_bytes("big.bin", bytes, n);
  char *text = NULL;
  size_t len = 0;
  ck_assert_int_eq(file_read_all(path, SIZE_MAX, &text, &len), 0);
  ck_assert_uint_eq(len, n);
  ck_assert_int_eq(memcmp(text, bytes, n), 0);
  ck_assert_int_eq(text[n], '\0');
  free(text);
  /* Exactly at the limit is fine; one byte over is -EFBIG. */
  ck_assert_int_eq(file_read_all(path, n, &text, NULL), 0);
  free(text);
  ck_assert_int_eq(file_read_all(path, n - 1, &text, &len), -EFBIG);
  ck_assert_ptr_null(text);
  ck_assert_uint_eq(len, 0);
  free(path);
  free(bytes);
}
END_TEST

START_TEST(test_empty_missing_and_folder) {
  char *path = write_bytes("empty", "", 0);
  char *text = (char *)1;
  size_t len = 7;
  ck_assert_int_eq(file_read_all(path, 10, &text, &len), 0);
  ck_assert_uint_eq(len, 0);
  ck_assert_str_eq(text, "");
  free(text);
  char *missing = tu_path(dir, "no/such/file");
  ck_assert_int_eq(file_read_all(missing, 10, &text, &len), -ENOENT);
  ck_assert_ptr_null(text);
  /* A folder opens but cannot be read. */
  ck_assert_int_lt(file_read_all(dir, 10, &text, &len), 0);
  ck_assert_ptr_null(text);
  free(missing);
  free(path);
}
END_TEST

int main(void) {
  dir = tu_tmpdir();
  if (!dir)
    return EXIT_FAILURE;
  Suite *s = suite_create("file_read");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_reads_every_byte);
  tcase_add_test(tc, test_empty_missing_and_folder);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  tu_rmrf(dir);
  free(dir);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
