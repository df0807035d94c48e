/*
 * test_fs.c - the errno-level file-system steps (fs.h): the whole-file
 * reader behind configs, manifest.csv, fingerprints and merged configs
 * (contents byte for byte across buffer growth, NUL-terminated, the size
 * limit), the atomic write (mode, no temporary left, the failed step),
 * folder paths and commit. The worded ef_ errors are in test_write.c.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "util/fs.h"

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
  ck_assert_int_eq(fs_read_all(path, SIZE_MAX, &text, &len), 0);
  ck_assert_uint_eq(len, n);
  ck_assert_int_eq(memcmp(text, bytes, n), 0);
  ck_assert_int_eq(text[n], '\0');
  free(text);
  /* Exactly at the limit is fine; one byte over is -EFBIG. */
  ck_assert_int_eq(fs_read_all(path, n, &text, NULL), 0);
  free(text);
  ck_assert_int_eq(fs_read_all(path, n - 1, &text, &len), -EFBIG);
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
  ck_assert_int_eq(fs_read_all(path, 10, &text, &len), 0);
  ck_assert_uint_eq(len, 0);
  ck_assert_str_eq(text, "");
  free(text);
  char *missing = tu_path(dir, "no/such/file");
  ck_assert_int_eq(fs_read_all(missing, 10, &text, &len), -ENOENT);
  ck_assert_ptr_null(text);
  /* A folder opens but cannot be read. */
  ck_assert_int_lt(fs_read_all(dir, 10, &text, &len), 0);
  ck_assert_ptr_null(text);
  free(missing);
  free(path);
}
END_TEST

/* A FIFO named like a config or a plan used to block the read until a
 * writer came (forever); it is refused without blocking, as devices are. */
START_TEST(test_fifo_and_device_are_refused_at_once) {
  char *fifo = tu_path(dir, "plan.json");
  ck_assert_int_eq(mkfifo(fifo, 0600), 0);
  char *text = (char *)1;
  size_t len = 7;
  ck_assert_int_eq(fs_read_all(fifo, 10, &text, &len), -ENOTSUP);
  ck_assert_ptr_null(text);
  ck_assert_int_eq(fs_read_all("/dev/zero", 10, &text, &len), -ENOTSUP);
  ck_assert_ptr_null(text);
  ck_assert_int_eq(fs_read_all(dir, 10, &text, &len), -EISDIR);
  ck_assert_int_eq(remove(fifo), 0);
  free(fifo);
}
END_TEST

/* Entries of dir other than . and .. */
static int entries(const char *d) {
  DIR *dp = opendir(d);
  ck_assert_ptr_nonnull(dp);
  int n = 0;
  for (struct dirent *e; (e = readdir(dp));)
    n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(dp);
  return n;
}

START_TEST(test_write_atomic_mode_and_steps) {
  char *sub = tu_path(dir, "w");
  ck_assert_int_eq(fs_mkdirs(sub, NULL), 0);
  char *path = tu_path(sub, "run.sh");
  fs_step step = FS_STEP_RENAME;
  mode_t old = umask(022);
  ck_assert_int_eq(fs_write_atomic(path, "#!/bin/sh\n", 10, 0755, &step), 0);
  ck_assert_int_eq(step, FS_STEP_NONE);
  struct stat st;
  ck_assert_int_eq(stat(path, &st), 0);
  ck_assert_int_eq(st.st_mode & 0777, 0755);
  ck_assert_int_eq(st.st_size, 10);
  /* The umask applies, as it does to any created file. */
  umask(077);
  ck_assert_int_eq(fs_write_atomic(path, "x", 1, 0666, NULL), 0);
  ck_assert_int_eq(stat(path, &st), 0);
  ck_assert_int_eq(st.st_mode & 0777, 0600);
  umask(old);
  ck_assert_int_eq(entries(sub), 1); /* no temporary file left */

  /* A missing folder fails at creating the temporary, errno kept. */
  char *missing = tu_path(dir, "nope/file");
  ck_assert_int_eq(fs_write_atomic(missing, "x", 1, 0666, &step), -ENOENT);
  ck_assert_int_eq(step, FS_STEP_CREATE);
  ck_assert_str_eq(fs_step_name(step), "create");
  /* Renaming over a non-empty folder fails after the write; the temporary
   * goes away and the folder is untouched. */
  char *target = tu_path(sub, "full");
  char *inner = tu_path(target, "keep");
  ck_assert_int_eq(fs_mkdirs(inner, NULL), 0);
  ck_assert_int_lt(fs_write_atomic(target, "x", 1, 0666, &step), 0);
  ck_assert_int_eq(step, FS_STEP_RENAME);
  ck_assert_int_eq(entries(sub), 2);
  ck_assert_int_eq(entries(target), 1);
  ck_assert_int_eq(fs_write_atomic("", "x", 1, 0666, &step), -EISDIR);
  free(inner);
  free(target);
  free(missing);
  free(path);
  free(sub);
}
END_TEST

START_TEST(test_mkdirs_and_commit) {
  char *deep = tu_path(dir, "a//b/c/");
  size_t bad = 99;
  ck_assert_int_eq(fs_mkdirs(deep, &bad), 0);
  ck_assert_uint_eq(bad, 0);
  ck_assert_int_eq(fs_mkdirs(deep, &bad), 0); /* already there */
  /* A file in the way: -ENOTDIR and the prefix that is not a folder. */
  char *file = tu_path(dir, "plain");
  ck_assert_int_eq(fs_write_atomic(file, "x", 1, 0666, NULL), 0);
  char *through = tu_path(dir, "plain/x/y");
  ck_assert_int_eq(fs_mkdirs(through, &bad), -ENOTDIR);
  ck_assert_uint_eq(bad, strlen(file));

  /* A file written by someone else under fs_temp_path, then committed. */
  char *final = tu_path(dir, "a/b/c/data.h5");
  char *tmp = fs_temp_path(final);
  ck_assert_ptr_nonnull(tmp);
  ck_assert_ptr_nonnull(strstr(tmp, "/.data.h5.tmp."));
  FILE *f = fopen(tmp, "wb");
  ck_assert_ptr_nonnull(f);
  fputs("hdf", f);
  fclose(f);
  fs_step step = FS_STEP_CREATE;
  ck_assert_int_eq(fs_commit(tmp, final, &step), 0);
  ck_assert_int_eq(step, FS_STEP_NONE);
  char *text = NULL;
  ck_assert_int_eq(fs_read_all(final, 10, &text, NULL), 0);
  ck_assert_str_eq(text, "hdf");
  free(text);
  /* A temporary that is gone fails at open. */
  ck_assert_int_eq(fs_commit(tmp, final, &step), -ENOENT);
  ck_assert_int_eq(step, FS_STEP_OPEN);
  free(tmp);
  free(final);
  free(through);
  free(file);
  free(deep);
}
END_TEST

int main(void) {
  dir = tu_tmpdir();
  if (!dir)
    return EXIT_FAILURE;
  Suite *s = suite_create("fs");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_reads_every_byte);
  tcase_add_test(tc, test_empty_missing_and_folder);
  tcase_add_test(tc, test_fifo_and_device_are_refused_at_once);
  tcase_add_test(tc, test_write_atomic_mode_and_steps);
  tcase_add_test(tc, test_mkdirs_and_commit);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  tu_rmrf(dir);
  free(dir);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
