/*
 * json_gate.c - see json_gate.h.
 */
#include "input/json_gate.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/error.h" /* EF_PRINTF */

void json_gate_init_fd(json_gate *g, int fd) {
  memset(g, 0, sizeof *g);
  g->fd = fd;
  g->line = 1;
}

void json_gate_init_mem(json_gate *g, const void *data, size_t len) {
  memset(g, 0, sizeof *g);
  g->fd = -1;
  g->mem = data;
  g->mem_len = len;
  g->line = 1;
}

static int gate_fail(json_gate *g, const char *fmt, ...) EF_PRINTF(2, 3);
static int gate_fail(json_gate *g, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g->err, sizeof g->err, fmt, ap);
  va_end(ap);
  return -1;
}

/* Letters of true, false and null; digits and signs of numbers. */
static int json_word_byte(unsigned char c) {
  return isdigit(c) || (c && strchr("+-.eEtruefalsn", c));
}

static int gate_byte(json_gate *g, unsigned char c) {
  if (c == '\n')
    g->line++;
  if (g->in_str) {
    if (g->esc)
      g->esc = 0;
    else if (c == '\\')
      g->esc = 1;
    else if (c == '"')
      g->in_str = 0;
    if (++g->run > JSON_GATE_MAX_RUN)
      return gate_fail(g, "line %zu: a string longer than 1 MiB", g->line);
    if (!g->in_str)
      g->run = 0;
    return 0;
  }
  int blank = c == ' ' || c == '\t' || c == '\n' || c == '\r';
  if (!blank && g->ended)
    return gate_fail(g, "line %zu: text after the JSON value", g->line);
  if (!blank && !g->started && c != '[' && c != '{')
    return gate_fail(g,
                     "line %zu: not a JSON array or object (it must start "
                     "with '[' or '{')",
                     g->line);
  g->started |= !blank;
  switch (c) {
  case '[':
  case '{':
    if (++g->depth > JSON_GATE_MAX_DEPTH)
      return gate_fail(g, "line %zu: values nested deeper than %d levels",
                       g->line, JSON_GATE_MAX_DEPTH);
    g->run = 0;
    return 0;
  case ']':
  case '}':
    if (g->depth > 0 && --g->depth == 0)
      g->ended = 1;
    g->run = 0;
    return 0;
  case ',': g->run = 0; return 0;
  case '"':
    g->in_str = 1;
    g->run = 0;
    return 0;
  default: break;
  }
  /* In JSON no more than a number lies between two brackets or commas:
   * a longer run is something libyaml would buffer whole. */
  if (blank || c == ':' || json_word_byte(c))
    return ++g->run > JSON_GATE_MAX_RUN
               ? gate_fail(g, "line %zu: 1 MiB without a JSON structure",
                           g->line)
               : 0;
  if (c >= 0x20 && c < 0x7f)
    return gate_fail(g, "line %zu: '%c' is not JSON here", g->line, c);
  return gate_fail(g, "line %zu: byte 0x%02x is not JSON here", g->line, c);
}

int json_gate_read(void *data, unsigned char *buf, size_t size,
                   size_t *size_read) {
  json_gate *g = data;
  size_t n;
  if (g->fd < 0) {
    n = g->mem_len - g->mem_pos < size ? g->mem_len - g->mem_pos : size;
    memcpy(buf, g->mem + g->mem_pos, n);
    g->mem_pos += n;
  } else {
    ssize_t k;
    do
      k = read(g->fd, buf, size);
    while (k < 0 && errno == EINTR);
    if (k < 0) {
      g->io_error = 1;
      gate_fail(g, "read failed (%s)", strerror(errno));
      return 0;
    }
    n = (size_t)k;
  }
  if ((g->total += n) > JSON_GATE_MAX_BYTES) {
    gate_fail(g, "larger than 4 GiB");
    return 0;
  }
  for (size_t i = 0; i < n; i++)
    if (gate_byte(g, buf[i]) < 0)
      return 0;
  *size_read = n;
  return 1;
}
