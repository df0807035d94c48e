/*
 * membuf.c - the growable byte buffer of membuf.h.
 */
#include "util/membuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

void membuf_init(membuf *b) {
  memset(b, 0, sizeof *b);
}

void membuf_free(membuf *b) {
  free(b->data);
  membuf_init(b);
}

int membuf_reserve(membuf *b, size_t extra) {
  if (b->failed)
    return -1;
  /* One byte more than asked: the contents stay NUL-terminated, so text
   * can be handed out as a C string. */
  if (extra < b->cap - b->len)
    return 0;
  if (extra >= SIZE_MAX - b->len) {
    b->failed = 1;
    return -1;
  }
  size_t need = b->len + extra + 1;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < need)
    cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  uint8_t *p = realloc(b->data, cap);
  if (!p) {
    b->failed = 1;
    return -1;
  }
  b->data = p;
  b->cap = cap;
  return 0;
}

void membuf_put(membuf *b, const void *p, size_t n) {
  if (n == 0 || membuf_reserve(b, n) != 0)
    return;
  memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = 0;
}

void membuf_byte(membuf *b, uint8_t v) {
  membuf_put(b, &v, 1);
}

void membuf_u16le(membuf *b, uint16_t v) {
  uint8_t s[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
  membuf_put(b, s, sizeof s);
}

void membuf_u32le(membuf *b, uint32_t v) {
  uint8_t s[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                  (uint8_t)(v >> 24)};
  membuf_put(b, s, sizeof s);
}

void membuf_f32le(membuf *b, const float *v, size_t n) {
  if (n == 0 || n > SIZE_MAX / 4 || membuf_reserve(b, n * 4) != 0)
    return;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  memcpy(b->data + b->len, v, n * 4);
#else
  for (size_t i = 0; i < n; i++) {
    uint32_t u;
    memcpy(&u, &v[i], 4);
    uint8_t *d = b->data + b->len + i * 4;
    d[0] = (uint8_t)u;
    d[1] = (uint8_t)(u >> 8);
    d[2] = (uint8_t)(u >> 16);
    d[3] = (uint8_t)(u >> 24);
  }
#endif
  b->len += n * 4;
  b->data[b->len] = 0;
}

void membuf_printf(membuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->failed = 1;
    return;
  }
  if (membuf_reserve(b, (size_t)n) != 0) /* and its NUL */
    return;
  va_start(ap, fmt);
  vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void membuf_puts(membuf *b, const char *s) {
  membuf_put(b, s, strlen(s));
}

/* A JSON string literal. Bytes from 0x80 pass through: uids and paths are
 * UTF-8 (and libyaml reads them back as such). */
void membuf_json(membuf *b, const char *s) {
  membuf_put(b, "\"", 1);
  for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
    unsigned long cp;
    size_t n;
    switch (*c) {
    case '"': membuf_put(b, "\\\"", 2); break;
    case '\\': membuf_put(b, "\\\\", 2); break;
    case '\n': membuf_put(b, "\\n", 2); break;
    case '\r': membuf_put(b, "\\r", 2); break;
    case '\t': membuf_put(b, "\\t", 2); break;
    default:
      if (*c < 0x20 || *c == 0x7f) {
        membuf_printf(b, "\\u%04x", *c);
      } else if (*c < 0x80) {
        membuf_put(b, (const char *)c, 1);
      } else if ((n = utf8_at(c, &cp)) == 0) {
        /* Not UTF-8 (a file name may be any bytes): see utf8.h. */
        membuf_printf(b, "\\u0000%02x", *c);
      } else if ((cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
                 cp == 0xfeff || cp == 0xfffe || cp == 0xffff) {
        /* Raw, these are line breaks or not allowed to a YAML reader
         * (libyaml reads the files back). */
        membuf_printf(b, "\\u%04lx", cp);
        c += n - 1;
      } else {
        membuf_put(b, (const char *)c, n);
        c += n - 1;
      }
    }
  }
  membuf_put(b, "\"", 1);
}
