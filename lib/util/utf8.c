/*
 * utf8.c - see utf8.h.
 */
#include "util/utf8.h"

#include <stdlib.h>
#include <string.h>

size_t utf8_at(const unsigned char *s, unsigned long *cp) {
  size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
  if (n == 0 || s[0] > 0xf4)
    return 0;
  unsigned long c = s[0] & (0x3f >> (n - 1));
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    c = (c << 6) | (s[i] & 0x3f);
  }
  static const unsigned long least[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < least[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
    return 0;
  *cp = c;
  return n;
}

/* Bytes of s that are not UTF-8, each counted once. */
static size_t stray_bytes(const unsigned char *s) {
  size_t count = 0;
  unsigned long cp;
  for (size_t n; *s; s += n ? n : 1) {
    n = *s < 0x80 ? 1 : utf8_at(s, &cp);
    count += n == 0;
  }
  return count;
}

int utf8_valid(const char *s) {
  return stray_bytes((const unsigned char *)s) == 0;
}

char *utf8_escape_bytes(const char *s, size_t *len) {
  const unsigned char *u = (const unsigned char *)s;
  size_t stray = stray_bytes(u);
  *len = 0;
  if (stray == 0)
    return NULL;
  char *out = malloc(strlen(s) + 2 * stray + 1);
  if (!out) {
    *len = 1;
    return NULL;
  }
  static const char hex[] = "0123456789abcdef";
  size_t w = 0;
  unsigned long cp;
  for (size_t n; *u; u += n ? n : 1) {
    n = *u < 0x80 ? 1 : utf8_at(u, &cp);
    if (n) {
      memcpy(out + w, u, n);
      w += n;
    } else {
      out[w++] = '\0';
      out[w++] = hex[*u >> 4];
      out[w++] = hex[*u & 15];
    }
  }
  out[w] = '\0';
  *len = w;
  return out;
}

static int hex_digit(unsigned char c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

size_t utf8_restore_bytes(unsigned char *v, size_t len, int *stray) {
  size_t w = 0;
  for (size_t r = 0; r < len; r++) {
    if (v[r] != 0) {
      v[w++] = v[r];
    } else if (r + 2 < len && hex_digit(v[r + 1]) >= 0 &&
               hex_digit(v[r + 2]) >= 0) {
      v[w++] = (unsigned char)(hex_digit(v[r + 1]) * 16 + hex_digit(v[r + 2]));
      r += 2;
    } else {
      if (stray)
        *stray = 1;
      break;
    }
  }
  v[w] = '\0';
  return w;
}
