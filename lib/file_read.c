/*
 * file_read.c - the whole-file reader (see file_read.h). Reads in growing
 * chunks rather than trusting a size from fseek/ftell, which pipes and
 * files still being written do not give reliably.
 */
#include "file_read.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int file_read_all(const char *path, size_t max, char **text, size_t *len) {
  *text = NULL;
  if (len)
    *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f)
    return -(errno ? errno : EIO);
  char *buf = NULL;
  size_t n = 0, cap = 0;
  int rc = 0;
  for (;;) {
    if (n + 4096 + 1 > cap) {
      size_t grown_cap = cap ? 2 * cap : 8192;
      char *grown = realloc(buf, grown_cap);
      if (!grown) {
        rc = -ENOMEM;
        break;
      }
      buf = grown;
      cap = grown_cap;
    }
    size_t got = fread(buf + n, 1, cap - n - 1, f);
    n += got;
    if (n > max) {
      rc = -EFBIG;
      break;
    }
    if (got == 0) {
      if (ferror(f))
        rc = -EIO;
      break;
    }
  }
  fclose(f);
  if (rc != 0) {
    free(buf);
    return rc;
  }
  buf[n] = '\0';
  *text = buf;
  if (len)
    *len = n;
  return 0;
}
