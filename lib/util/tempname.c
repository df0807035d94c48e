/*
 * tempname.c - makes and parses the temporary file names of tempname.h.
 * Parsing is strict (exact field shapes from the right) because what it
 * accepts may be deleted: a final output, a user's file or another tool's
 * temp file must never parse as ours.
 */
#include "util/tempname.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-';
}

void tempname_host(char *buf, size_t n) {
  char raw[256];
  if (n == 0)
    return;
  /* gethostname may not NUL-terminate a truncated name. */
  if (gethostname(raw, sizeof raw - 1) != 0 || !raw[0])
    snprintf(raw, sizeof raw, "unknown-host");
  raw[sizeof raw - 1] = '\0';
  size_t i = 0;
  for (; raw[i] && i < TEMPNAME_HOST_MAX && i + 1 < n; i++)
    buf[i] = host_char(raw[i]) ? raw[i] : '_';
  buf[i] = '\0';
}

int tempname_make(char *buf, size_t n, const char *dir, const char *name,
                  const char *host, long pid, uint64_t suffix) {
  size_t len = strlen(name);
  int keep = len > TEMPNAME_KEEP_MAX ? TEMPNAME_KEEP_MAX : (int)len;
  int w = snprintf(buf, n, "%s/.%.*s.tmp.%s.%ld.%016llx", dir, keep, name, host,
                   pid, (unsigned long long)suffix);
  return w < 0 || (size_t)w >= n ? -1 : 0;
}

/* The field [start, end) of s is all characters accepted by ok(), and
 * between min and max long. */
static int field_is(const char *start, const char *end, size_t min, size_t max,
                    int (*ok)(char)) {
  size_t len = (size_t)(end - start);
  if (len < min || len > max)
    return 0;
  for (const char *p = start; p < end; p++)
    if (!ok(*p))
      return 0;
  return 1;
}

static int hex_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int digit_char(char c) {
  return c >= '0' && c <= '9';
}

/* The last '.' before end, or NULL. */
static const char *dot_before(const char *s, const char *end) {
  for (const char *p = end; p > s;)
    if (*--p == '.')
      return p;
  return NULL;
}

int tempname_parse(const char *name, char *host, size_t n, long *pid) {
  static const char marker[] = ".tmp";
  if (!name || name[0] != '.')
    return 0;
  const char *end = name + strlen(name);
  const char *d_hex = dot_before(name, end);
  if (!d_hex || !field_is(d_hex + 1, end, 16, 16, hex_char))
    return 0;
  const char *d_pid = dot_before(name, d_hex);
  if (!d_pid || !field_is(d_pid + 1, d_hex, 1, 10, digit_char))
    return 0;
  const char *d_host = dot_before(name, d_pid);
  if (!d_host || !field_is(d_host + 1, d_pid, 1, TEMPNAME_HOST_MAX, host_char))
    return 0;
  /* ".<at least one byte of the final name>.tmp" before the host. */
  size_t head = (size_t)(d_host - name);
  if (head < 2 + strlen(marker) ||
      memcmp(d_host - strlen(marker), marker, strlen(marker)) != 0)
    return 0;
  size_t hlen = (size_t)(d_pid - d_host - 1);
  if (hlen + 1 > n)
    return 0;
  memcpy(host, d_host + 1, hlen);
  host[hlen] = '\0';
  long p = 0;
  for (const char *c = d_pid + 1; c < d_hex; c++)
    p = p * 10 + (*c - '0');
  *pid = p;
  return p > 0;
}

int tempname_pid_alive(long pid) {
  if (pid <= 0)
    return 0;
  return kill((pid_t)pid, 0) == 0 || errno != ESRCH;
}
