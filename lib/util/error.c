/*
 * error.c - the per-thread last error (libgit2's git_error_last model).
 * Messages are formatted into a fixed thread-local buffer so recording an
 * error never allocates and never fails.
 */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EF_ERROR_MAX 2048

static _Thread_local char error_text[EF_ERROR_MAX];
static _Thread_local int error_code;

int ef_error_set(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(error_text, sizeof error_text, fmt, ap);
  va_end(ap);
  error_code = code;
  return code;
}

int ef_error_prefix(const char *prefix) {
  size_t p = strlen(prefix) + 2, n = strlen(error_text);
  if (p >= EF_ERROR_MAX)
    p = EF_ERROR_MAX - 1;
  if (n > EF_ERROR_MAX - 1 - p)
    n = EF_ERROR_MAX - 1 - p;
  memmove(error_text + p, error_text, n);
  error_text[p + n] = '\0';
  memcpy(error_text, prefix, p - 2);
  error_text[p - 2] = ':';
  error_text[p - 1] = ' ';
  return error_code;
}

void ef_error_clear(void) {
  error_text[0] = '\0';
  error_code = EF_OK;
}

char *ef_error_dup(void) {
  return strdup(error_text);
}

const char *ef_last_error(void) {
  return error_text;
}

int ef_last_error_code(void) {
  return error_code;
}

const char *ef_status_name(int status) {
  switch (status) {
  case EF_OK: return "EF_OK";
  case EF_EINVAL: return "EF_EINVAL";
  case EF_ENOMEM: return "EF_ENOMEM";
  case EF_EIO: return "EF_EIO";
  case EF_ENOTFOUND: return "EF_ENOTFOUND";
  case EF_EDECODE: return "EF_EDECODE";
  case EF_EMODEL: return "EF_EMODEL";
  case EF_ECONFIG: return "EF_ECONFIG";
  case EF_ECANCELLED: return "EF_ECANCELLED";
  case EF_ENOSTREAM: return "EF_ENOSTREAM";
  case EF_EPARTIAL: return "EF_EPARTIAL";
  default: return "EF_UNKNOWN";
  }
}

void ef_free(void *p) {
  free(p);
}
