/*
 * strvec.c - owns the string vector and the string helper that
 * discover.c, manifest.c and stereo_list.c all need. They live here so
 * that each of those files keeps to its one job; helpers used by only one
 * of them stay static there.
 */
#include "util/strvec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/error.h"

int strvec_push(strvec *v, char *s) {
  if (!s)
    return ef_error_set(EF_ENOMEM, "out of memory");
  if (v->n == v->cap) {
    size_t cap = v->cap ? 2 * v->cap : 16;
    char **items = realloc(v->items, cap * sizeof *items);
    if (!items) {
      free(s);
      return ef_error_set(EF_ENOMEM, "out of memory");
    }
    v->items = items;
    v->cap = cap;
  }
  v->items[v->n++] = s;
  return EF_OK;
}

void strvec_free(strvec *v) {
  for (size_t i = 0; i < v->n; i++)
    free(v->items[i]);
  free(v->items);
  memset(v, 0, sizeof *v);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* qsort() must not see the NULL array of an empty vector. */
void strvec_sort(strvec *v) {
  if (v->n > 1)
    qsort(v->items, v->n, sizeof *v->items, cmp_str);
}

/* Likewise bsearch(). */
int strvec_contains(const strvec *v, const char *s) {
  return v->n && bsearch(&s, v->items, v->n, sizeof *v->items, cmp_str);
}

char *str_ndup(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}
