/*
 * membuf.h - the library's one growable byte buffer: the .pt and .npy
 * encoders, the plan and status JSON, and config dumps all build their
 * output in it before one atomic write.
 *
 * Appends after an allocation failure are ignored and `failed` stays set,
 * so a writer checks once at the end instead of after every append. The
 * contents are always followed by a NUL (not counted in len), so text can
 * be handed out as a C string.
 */
#ifndef EF_MEMBUF_H
#define EF_MEMBUF_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct {
  uint8_t *data; /* NULL until the first append */
  size_t len;
  size_t cap;
  int failed; /* an allocation failed: the contents are incomplete */
} membuf;

void membuf_init(membuf *b); /* the same as membuf b = {0} */
void membuf_free(membuf *b);
/* Makes room for `extra` more bytes (and the NUL); 0 on success. */
int membuf_reserve(membuf *b, size_t extra);
void membuf_put(membuf *b, const void *p, size_t n);
void membuf_byte(membuf *b, uint8_t v);
void membuf_u16le(membuf *b, uint16_t v);
void membuf_u32le(membuf *b, uint32_t v);
/* Appends n float32 values as little-endian bytes. */
void membuf_f32le(membuf *b, const float *v, size_t n);
void membuf_puts(membuf *b, const char *s);
void membuf_printf(membuf *b, const char *fmt, ...) EF_PRINTF(2, 3);
/* s as a JSON string literal (NULL as ""). UTF-8 passes through, but for
 * the characters a YAML reader would fold or refuse (DEL, U+0080-U+009F,
 * U+2028, U+2029, U+FEFF, U+FFFE, U+FFFF), which are escaped; a byte
 * that is not UTF-8 is written "\u0000" and its two hex digits, which
 * util/json.c reads back as that byte. */
void membuf_json(membuf *b, const char *s);

#endif
