/*
 * strvec.h - the growable vector of owned strings, and a string helper,
 * that discovery's files share: discover.c (the folder and
 * the uids), manifest.c (CSV fields) and stereo_list.c (stereo uids).
 *
 * Internal to the core library. Unlike most internal functions these
 * record no error message: each caller reports out-of-memory in its own
 * words.
 */
#ifndef EF_STRVEC_H
#define EF_STRVEC_H

#include <stddef.h>

/* Owns its strings. A zeroed strvec is a valid empty one. */
typedef struct {
  char **items;
  size_t n, cap;
} strvec;

/* Appends s and takes it, even on failure (it is then freed). A NULL s
 * (a failed strdup() of the caller's) is refused. EF_OK or EF_ENOMEM. */
int strvec_push(strvec *v, char *s);
/* Frees the strings and the array; v is left empty and reusable. */
void strvec_free(strvec *v);
/* Sorts bytewise (strcmp), so that strvec_contains() can bisect. */
void strvec_sort(strvec *v);
/* 1 if s is in v, which must be sorted by strvec_sort(); else 0. */
int strvec_contains(const strvec *v, const char *s);

/* The first n bytes of s in a new string; NULL when out of memory. */
char *str_ndup(const char *s, size_t n);

#endif
