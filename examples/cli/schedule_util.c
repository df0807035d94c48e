/*
 * schedule_util.c - the small string, file and config helpers that the
 * parts of `ego4dfeat schedule` share: formatted strings, a log folder's
 * %j filled in, folders made, files written whole and read whole, a
 * config string looked up.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schedule_cli.h"
#include "util/fs.h"

char *sched_str_printf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
char *sched_str_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return NULL;
  char *s = malloc((size_t)n + 1);
  if (!s)
    return NULL;
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

/* s with every "%j" replaced by `with`. */
char *sched_replace_job(const char *s, const char *with) {
  size_t n = 0, wl = strlen(with);
  for (const char *c = s; *c; c++)
    n += (c[0] == '%' && c[1] == 'j') ? (c++, wl) : 1;
  char *out = malloc(n + 1), *w = out;
  if (!out)
    return NULL;
  for (const char *c = s; *c; c++) {
    if (c[0] == '%' && c[1] == 'j') {
      memcpy(w, with, wl);
      w += wl;
      c++;
    } else {
      *w++ = *c;
    }
  }
  *w = '\0';
  return out;
}

int sched_mkdirs(const char *path) {
  return fs_mkdirs(path, NULL) ? -1 : 0;
}

/* Writes a file atomically and durably (fs.h), so a crash never leaves a
 * half-written sbatch script or task file. */
int sched_write_file(const char *path, const char *text, mode_t mode) {
  return fs_write_atomic(path, text, strlen(text), (unsigned)mode, NULL) ? -1
                                                                         : 0;
}

const char *sched_get_str(const ef_config *c, const char *key) {
  const char *s = NULL;
  return ef_config_get_string(c, key, &s) == EF_OK ? s : NULL;
}

/* The plan's log folder (EF_SCHEDULE_DEFAULT_LOG_FOLDER when unset) with
 * %j replaced by job; the caller frees. NULL when out of memory. */
char *sched_log_dir(const ef_plan *p, const char *job) {
  const char *log =
      sched_get_str(ef_plan_config(p), "schedule_config.log_folder");
  return sched_replace_job(log ? log : EF_SCHEDULE_DEFAULT_LOG_FOLDER, job);
}
