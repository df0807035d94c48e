/*
 * utf8.h - text that must be UTF-8 (JSON, YAML) carrying bytes that may
 * not be: a file name on Linux is any bytes. Each byte that is not part
 * of a UTF-8 sequence travels as U+0000 and its two hex digits, which
 * the formats can hold (JSON "\u0000e9", YAML "\0e9") and a C string
 * cannot otherwise contain, so reading turns them back into the byte.
 */
#ifndef EF_UTF8_H
#define EF_UTF8_H

#include <stddef.h>

/* The length of the UTF-8 sequence at s and its code point in *cp, or 0
 * if the bytes there are not one (overlong forms, surrogates and values
 * past U+10FFFF included). Reads no further than a NUL. */
size_t utf8_at(const unsigned char *s, unsigned long *cp);

/* 1 if all of s is UTF-8 (in utf8_at's sense), else 0. */
int utf8_valid(const char *s);

/* s with each byte that is not UTF-8 as U+0000 and two hex digits: a
 * malloc'ed copy, its length in *len, or NULL with *len 0 when s is
 * UTF-8 already (and NULL with *len 1 when out of memory). */
char *utf8_escape_bytes(const char *s, size_t *len);

/* The reverse, in place over v's len bytes; NUL-terminates at the new
 * length, which it returns. A U+0000 not followed by two hex digits ends
 * the text there; *stray (may be NULL) is then set to 1. */
size_t utf8_restore_bytes(unsigned char *v, size_t len, int *stray);

#endif
