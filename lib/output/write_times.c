/*
 * write_times.c - <uid>.times.npy, the window times of an output (see
 * write_times.h).
 */
#include "output/write_times.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/write.h"
#include "output/write_internal.h"
#include "util/error.h"
#include "util/fs.h"

char *write_times_path(const char *dir, const char *uid) {
  /* write_output_path's joining, with the stem "<uid>.times". */
  size_t n = strlen(uid) + sizeof ".times";
  char *stem = malloc(n);
  if (!stem) {
    ef_error_set(EF_ENOMEM, "out of memory");
    return NULL;
  }
  snprintf(stem, n, "%s.times", uid);
  char *p = write_output_path(dir, stem, EF_FORMAT_NPY);
  free(stem);
  return p;
}

static void put_f64le(membuf *b, double v) {
  uint64_t u;
  memcpy(&u, &v, 8);
  uint8_t s[8];
  for (int i = 0; i < 8; i++)
    s[i] = (uint8_t)(u >> (8 * i));
  membuf_put(b, s, 8);
}

int write_times(const char *path, const double *starts, const double *ends,
                int64_t n) {
  if (n < 1 || !starts || !ends)
    return ef_error_set(EF_EINVAL, "%s: no window times to write", path);
  if ((uint64_t)n > SIZE_MAX / 16 - 1024)
    return ef_error_set(EF_EINVAL, "%s: too many windows", path);
  int64_t shape[2] = {n, 2};
  membuf b;
  membuf_init(&b);
  membuf_reserve(&b, 1024 + (size_t)n * 16);
  if (write_npy_header(&b, "<f8", shape, 2) != 0) {
    membuf_free(&b);
    return ef_error_set(EF_ENOMEM, "%s: out of memory", path);
  }
  for (int64_t i = 0; i < n; i++) {
    put_f64le(&b, starts[i]);
    put_f64le(&b, ends[i]);
  }
  if (b.failed) {
    membuf_free(&b);
    return ef_error_set(EF_ENOMEM, "%s: out of memory", path);
  }
  int rc = write_file_atomic(path, b.data, b.len);
  membuf_free(&b);
  return rc;
}

int64_t write_times_rows(const char *path) {
  int64_t shape[2];
  int ndim = 0;
  if (!write_npy_check(path, "<f8", 8, shape, &ndim, 2) || ndim != 2 ||
      shape[1] != 2 || shape[0] < 1)
    return -1;
  return shape[0];
}

int write_times_read(const char *path, double **starts, double **ends,
                     int64_t *n) {
  *starts = *ends = NULL;
  *n = 0;
  int64_t rows = write_times_rows(path);
  if (rows < 0)
    return ef_error_set(
        EF_EINVAL, "%s: not a complete float64 [windows, 2] times file", path);
  int rc = EF_OK;
  uint8_t *raw = NULL;
  size_t bytes = (size_t)rows * 16;
  double *s = malloc((size_t)rows * sizeof *s);
  double *e = malloc((size_t)rows * sizeof *e);
  raw = malloc(bytes);
  int fd = fs_open_regular(path);
  if (!s || !e || !raw) {
    rc = ef_error_set(EF_ENOMEM, "out of memory reading %s", path);
    goto cleanup;
  }
  /* The data is the file's last bytes (write_npy_check checked the size). */
  off_t size = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
  if (fd < 0 || size < (off_t)bytes ||
      pread(fd, raw, bytes, size - (off_t)bytes) != (ssize_t)bytes) {
    rc = ef_error_set(EF_EIO, "cannot read %s: %s", path,
                      errno ? strerror(errno) : "short read");
    goto cleanup;
  }
  for (int64_t i = 0; i < 2 * rows; i++) {
    uint64_t u = 0;
    for (int k = 7; k >= 0; k--)
      u = u << 8 | raw[i * 8 + k];
    double v;
    memcpy(&v, &u, 8);
    (i % 2 ? e : s)[i / 2] = v;
  }
  *starts = s;
  *ends = e;
  *n = rows;
  s = e = NULL;
cleanup:
  if (fd >= 0)
    close(fd);
  free(raw);
  free(s);
  free(e);
  return rc;
}
