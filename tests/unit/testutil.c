/*
 * testutil.c - fixture helpers for the unit tests (see testutil.h).
 */
#include "testutil.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *tu_tmpdir(void) {
  const char *base = getenv("TMPDIR");
  char tmpl[4096];
  snprintf(tmpl, sizeof tmpl, "%s/ef_test_XXXXXX", base ? base : "/tmp");
  if (!mkdtemp(tmpl))
    return NULL;
  return strdup(tmpl);
}

void tu_rmrf(const char *dir) {
  if (dir && *dir && strcmp(dir, "/") != 0)
    tu_run("rm -rf '%s'", dir);
}

int tu_run(const char *fmt, ...) {
  char cmd[8192];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  int rc = system(cmd);
  if (rc == -1)
    return -1;
  return WEXITSTATUS(rc);
}

char *tu_path(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (p)
    snprintf(p, n, "%s/%s", dir, name);
  return p;
}

char *tu_ffmpeg(const char *dir, const char *name, const char *args) {
  char *out = tu_path(dir, name);
  if (!out)
    return NULL;
  if (tu_run("ffmpeg -nostdin -y -v error %s '%s'", args, out) != 0) {
    free(out);
    return NULL;
  }
  return out;
}

char *tu_fixture(const char *dir, const char *name, const char *args,
                 const char *shell) {
  char *path = tu_path(dir, name);
  struct stat sb;
  if (!path || stat(path, &sb) == 0)
    return path;
  int made;
  if (args) {
    char *out = tu_ffmpeg(dir, name, args);
    made = out != NULL;
    free(out);
  } else {
    made = tu_run(shell, path) == 0;
  }
  if (!made) {
    free(path);
    return NULL;
  }
  return path;
}

const char *tu_python(void) {
  const char *p = getenv("EF_PYTHON");
  return p && *p ? p : "/usr/bin/python3";
}

const char *tu_source_root(void) {
  const char *p = getenv("EF_SOURCE_ROOT");
  return p && *p ? p : ".";
}

int tu_write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  if (!f)
    return -1;
  size_t n = strlen(text);
  int ok = fwrite(text, 1, n, f) == n;
  return (fclose(f) == 0 && ok) ? 0 : -1;
}

char *tu_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) {
    buf[n] = '\0';
    if (len)
      *len = (size_t)n;
  }
  return buf;
}

char *tu_list_dir(const char *dir, int *count) {
  DIR *d = opendir(dir);
  char *all = d ? calloc(1, 1) : NULL;
  size_t len = 0;
  *count = 0;
  if (!all) {
    if (d)
      closedir(d);
    return NULL;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    size_t n = strlen(e->d_name);
    char *grown = realloc(all, len + n + 2);
    if (!grown) {
      free(all);
      closedir(d);
      return NULL;
    }
    all = grown;
    memcpy(all + len, e->d_name, n);
    len += n;
    all[len++] = '\n';
    all[len] = '\0';
    (*count)++;
  }
  closedir(d);
  return all;
}
