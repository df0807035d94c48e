/*
 * labels.c - class names for `ego4dfeat inference`: the labels file of a
 * classifier (text or JSON, see labels.h), a dataset's folder-to-name map,
 * and matching a class folder to a logit index. Holds the small JSON
 * reader these files need (strings, numbers, arrays, objects).
 */
#include "labels.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return -1;
}

static char *dup_range(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

/* Drops the double quotes inside a name ("\"abseiling\"" -> abseiling). */
static void drop_quotes(char *s) {
  char *w = s;
  for (; *s; s++)
    if (*s != '"')
      *w++ = *s;
  *w = '\0';
}

/* ---- A small JSON reader --------------------------------------------------
 */

typedef enum { J_STR, J_NUM, J_ARR, J_OBJ, J_LIT } jtype;

typedef struct jval {
  jtype t;
  char *s;            /* J_STR */
  double num;         /* J_NUM */
  struct jval *items; /* J_ARR, J_OBJ values */
  char **keys;        /* J_OBJ */
  size_t n;
} jval;

typedef struct {
  const char *p;
  char *err;
  size_t errlen;
  int depth;
} jparser;

static void jval_clear(jval *v) {
  for (size_t i = 0; i < v->n; i++) {
    if (v->items)
      jval_clear(&v->items[i]);
    if (v->keys)
      free(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
  free(v->s);
  memset(v, 0, sizeof *v);
}

static void skip_ws(jparser *j) {
  while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
    j->p++;
}

static int put_utf8(char *w, unsigned long c) {
  if (c < 0x80) {
    w[0] = (char)c;
    return 1;
  }
  if (c < 0x800) {
    w[0] = (char)(0xC0 | (c >> 6));
    w[1] = (char)(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    w[0] = (char)(0xE0 | (c >> 12));
    w[1] = (char)(0x80 | ((c >> 6) & 0x3F));
    w[2] = (char)(0x80 | (c & 0x3F));
    return 3;
  }
  w[0] = (char)(0xF0 | (c >> 18));
  w[1] = (char)(0x80 | ((c >> 12) & 0x3F));
  w[2] = (char)(0x80 | ((c >> 6) & 0x3F));
  w[3] = (char)(0x80 | (c & 0x3F));
  return 4;
}

static int hex4(const char *p, unsigned long *out) {
  char buf[5] = {0};
  for (int i = 0; i < 4; i++) {
    if (!isxdigit((unsigned char)p[i]))
      return -1;
    buf[i] = p[i];
  }
  *out = strtoul(buf, NULL, 16);
  return 0;
}

/* A string at j->p (on its opening quote), unescaped into a new buffer:
 * never longer than its escaped form. */
static char *parse_string(jparser *j) {
  const char *start = ++j->p;
  size_t len = 0;
  while (j->p[len] && j->p[len] != '"')
    len += j->p[len] == '\\' && j->p[len + 1] ? 2 : 1;
  if (!j->p[len]) {
    fail(j->err, j->errlen, "unterminated string");
    return NULL;
  }
  char *out = malloc(len + 1), *w = out;
  if (!out) {
    fail(j->err, j->errlen, "out of memory");
    return NULL;
  }
  const char *p = start;
  while (*p != '"') {
    if (*p != '\\') {
      *w++ = *p++;
      continue;
    }
    unsigned long c;
    switch (*++p) {
    case 'b': *w++ = '\b'; break;
    case 'f': *w++ = '\f'; break;
    case 'n': *w++ = '\n'; break;
    case 'r': *w++ = '\r'; break;
    case 't': *w++ = '\t'; break;
    case 'u':
      if (hex4(p + 1, &c) != 0)
        goto bad_escape;
      p += 4;
      if (c >= 0xD800 && c < 0xDC00 && p[1] == '\\' && p[2] == 'u') {
        unsigned long lo;
        if (hex4(p + 3, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) {
          c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
          p += 6;
        }
      }
      w += put_utf8(w, c);
      break;
    case '"':
    case '\\':
    case '/': *w++ = *p; break;
    default: goto bad_escape;
    }
    p++;
  }
  *w = '\0';
  j->p = p + 1;
  return out;
bad_escape:
  free(out);
  fail(j->err, j->errlen, "bad escape in a string");
  return NULL;
}

static int parse_value(jparser *j, jval *v);

/* An array or object body; j->p is on '[' or '{'. */
static int parse_container(jparser *j, jval *v, int is_obj) {
  char close = is_obj ? '}' : ']';
  size_t cap = 0;
  v->t = is_obj ? J_OBJ : J_ARR;
  j->p++;
  skip_ws(j);
  if (*j->p == close) {
    j->p++;
    return 0;
  }
  for (;;) {
    if (v->n == cap) {
      cap = cap ? 2 * cap : 16;
      jval *items = realloc(v->items, cap * sizeof *items);
      if (items)
        v->items = items;
      char **keys = is_obj ? realloc(v->keys, cap * sizeof *keys) : NULL;
      if (keys)
        v->keys = keys;
      if (!items || (is_obj && !keys))
        return fail(j->err, j->errlen, "out of memory");
    }
    skip_ws(j);
    char *key = NULL;
    if (is_obj) {
      if (*j->p != '"')
        return fail(j->err, j->errlen, "expected a key");
      if (!(key = parse_string(j)))
        return -1;
      skip_ws(j);
      if (*j->p != ':') {
        free(key);
        return fail(j->err, j->errlen, "expected ':'");
      }
      j->p++;
    }
    memset(&v->items[v->n], 0, sizeof v->items[0]);
    if (is_obj)
      v->keys[v->n] = key;
    v->n++; /* counted now, so a failure below frees it */
    if (parse_value(j, &v->items[v->n - 1]) != 0)
      return -1;
    skip_ws(j);
    if (*j->p == ',') {
      j->p++;
    } else if (*j->p == close) {
      j->p++;
      return 0;
    } else {
      return fail(j->err, j->errlen, "expected ',' or '%c'", close);
    }
  }
}

static int parse_value(jparser *j, jval *v) {
  skip_ws(j);
  if (++j->depth > 64)
    return fail(j->err, j->errlen, "nested too deeply");
  int rc = 0;
  if (*j->p == '"') {
    v->t = J_STR;
    rc = (v->s = parse_string(j)) ? 0 : -1;
  } else if (*j->p == '[' || *j->p == '{') {
    rc = parse_container(j, v, *j->p == '{');
  } else if (*j->p == '-' || isdigit((unsigned char)*j->p)) {
    char *end;
    v->t = J_NUM;
    v->num = strtod(j->p, &end);
    j->p = end;
  } else if (strncmp(j->p, "true", 4) == 0 || strncmp(j->p, "null", 4) == 0) {
    v->t = J_LIT;
    j->p += 4;
  } else if (strncmp(j->p, "false", 5) == 0) {
    v->t = J_LIT;
    j->p += 5;
  } else {
    rc = fail(j->err, j->errlen, "unexpected '%.10s'", j->p);
  }
  j->depth--;
  return rc;
}

/* ---- Labels ---------------------------------------------------------------
 */

void labels_free(label_set *l) {
  for (size_t i = 0; l->items && i < l->n; i++) {
    free(l->items[i].name);
    free(l->items[i].id);
  }
  free(l->items);
  l->items = NULL;
  l->n = 0;
}

static int set_label(label_set *l, size_t i, const char *id, const char *name,
                     char *err, size_t errlen) {
  if (i >= l->n)
    return fail(err, errlen, "class index %zu is out of range", i);
  free(l->items[i].name);
  free(l->items[i].id);
  l->items[i].name = strdup(name);
  l->items[i].id = id ? strdup(id) : NULL;
  if (!l->items[i].name || (id && !l->items[i].id))
    return fail(err, errlen, "out of memory");
  drop_quotes(l->items[i].name);
  return 0;
}

/* One entry's id and name: "name" or ["id", "name"]. */
static int entry_strings(const jval *v, const char **id, const char **name) {
  if (v->t == J_STR) {
    *id = NULL;
    *name = v->s;
    return 0;
  }
  if (v->t == J_ARR && v->n == 2 && v->items[0].t == J_STR &&
      v->items[1].t == J_STR) {
    *id = v->items[0].s;
    *name = v->items[1].s;
    return 0;
  }
  return -1;
}

/* The class index a key or number stands for; -1 if it is not one. */
static long index_of(const jval *num, const char *key) {
  if (num) {
    if (num->t != J_NUM || num->num < 0 || num->num > 1e7 ||
        num->num != (double)(long)num->num)
      return -1;
    return (long)num->num;
  }
  char *end;
  long i = strtol(key, &end, 10);
  return (end == key || *end || i < 0 || i > 10000000) ? -1 : i;
}

static int labels_from_json(const jval *root, label_set *l, char *err,
                            size_t errlen) {
  const char *id, *name;
  if (root->t == J_ARR) {
    if (!(l->items = calloc(root->n ? root->n : 1, sizeof *l->items)))
      return fail(err, errlen, "out of memory");
    if (root->n == 0)
      return fail(err, errlen, "no class names");
    l->n = root->n;
    for (size_t i = 0; i < root->n; i++) {
      if (entry_strings(&root->items[i], &id, &name) != 0)
        return fail(err, errlen, "item %zu is not a name or [id, name]", i);
      if (set_label(l, i, id, name, err, errlen) != 0)
        return -1;
    }
    return 0;
  }
  if (root->t != J_OBJ)
    return fail(err, errlen, "expected a JSON list or object");
  if (root->n == 0)
    return fail(err, errlen, "no class names");
  /* {"name": index} when the values are numbers, else {"index": entry}. */
  int by_name = root->n > 0 && root->items[0].t == J_NUM;
  long max = -1;
  for (size_t i = 0; i < root->n; i++) {
    long k = index_of(by_name ? &root->items[i] : NULL, root->keys[i]);
    if (k < 0)
      return fail(err, errlen, "entry '%s' has no class index", root->keys[i]);
    max = k > max ? k : max;
  }
  size_t count = (size_t)(max + 1);
  if (!(l->items = calloc(count ? count : 1, sizeof *l->items)))
    return fail(err, errlen, "out of memory");
  l->n = count;
  for (size_t i = 0; i < root->n; i++) {
    long k = index_of(by_name ? &root->items[i] : NULL, root->keys[i]);
    if (by_name) {
      id = NULL;
      name = root->keys[i];
    } else if (entry_strings(&root->items[i], &id, &name) != 0) {
      return fail(err, errlen, "entry '%s' is not a name or [id, name]",
                  root->keys[i]);
    }
    if (set_label(l, (size_t)k, id, name, err, errlen) != 0)
      return -1;
  }
  for (size_t i = 0; i < l->n; i++)
    if (!l->items[i].name)
      return fail(err, errlen, "class %zu has no name", i);
  return 0;
}

static int is_wnid(const char *s, size_t n) {
  if (n != 9 || s[0] != 'n')
    return 0;
  for (size_t i = 1; i < 9; i++)
    if (!isdigit((unsigned char)s[i]))
      return 0;
  return 1;
}

static int labels_from_text(char *text, label_set *l, char *err,
                            size_t errlen) {
  size_t cap = 0;
  for (char *line = text; line && *line;) {
    char *next = strchr(line, '\n');
    if (next)
      *next++ = '\0';
    size_t n = strlen(line);
    while (n && isspace((unsigned char)line[n - 1]))
      line[--n] = '\0';
    while (isspace((unsigned char)*line))
      line++;
    if (*line) {
      if (l->n == cap) {
        cap = cap ? 2 * cap : 256;
        label *items = realloc(l->items, cap * sizeof *items);
        if (!items)
          return fail(err, errlen, "out of memory");
        l->items = items;
      }
      memset(&l->items[l->n], 0, sizeof l->items[0]);
      size_t idlen = strcspn(line, " \t,");
      const char *id = NULL, *name = line;
      if (is_wnid(line, idlen) && line[idlen]) {
        line[idlen] = '\0';
        id = line;
        name = line + idlen + 1 + strspn(line + idlen + 1, " \t,");
      }
      l->n++;
      if (set_label(l, l->n - 1, id, name, err, errlen) != 0)
        return -1;
    }
    line = next;
  }
  if (l->n == 0)
    return fail(err, errlen, "no class names");
  return 0;
}

int labels_load(const char *path, label_set *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  char *text = cli_read_file(path);
  if (!text)
    return fail(err, errlen, "%s: %s", path, strerror(errno));
  const char *first = text + strspn(text, " \t\r\n");
  int rc;
  if (*first == '[' || *first == '{') {
    jval root;
    memset(&root, 0, sizeof root);
    jparser j = {first, err, errlen, 0};
    rc = parse_value(&j, &root);
    if (rc == 0)
      rc = labels_from_json(&root, out, err, errlen);
    jval_clear(&root);
  } else {
    rc = labels_from_text(text, out, err, errlen);
  }
  free(text);
  if (rc != 0) {
    /* Prefix the file name to the parser's message. */
    char msg[256];
    snprintf(msg, sizeof msg, "%s", err);
    snprintf(err, errlen, "%s: %s", path, msg);
    labels_free(out);
  }
  return rc;
}

/* Equal once lower-cased, '_' read as ' ' and quotes dropped. */
static int same_name(const char *a, const char *b) {
  for (;;) {
    while (*a == '"')
      a++;
    while (*b == '"')
      b++;
    int ca = tolower((unsigned char)(*a == '_' ? ' ' : *a));
    int cb = tolower((unsigned char)(*b == '_' ? ' ' : *b));
    if (ca != cb)
      return 0;
    if (!ca)
      return 1;
    a++;
    b++;
  }
}

long labels_find(const label_set *l, const char *folder, const char *alias) {
  for (size_t i = 0; i < l->n; i++)
    if (l->items[i].id && strcmp(l->items[i].id, folder) == 0)
      return (long)i;
  for (int pass = 0; pass < 2; pass++) {
    const char *want = pass == 0 ? folder : alias;
    for (size_t i = 0; want && i < l->n; i++)
      if (same_name(l->items[i].name, want))
        return (long)i;
  }
  return -1;
}

/* ---- The dataset's folder map ---------------------------------------------
 */

void folder_map_free(folder_map *m) {
  for (size_t i = 0; i < m->n; i++) {
    free(m->dirs[i]);
    free(m->names[i]);
  }
  free(m->dirs);
  free(m->names);
  memset(m, 0, sizeof *m);
}

int folder_map_load(const char *path, folder_map *out, char *err,
                    size_t errlen) {
  memset(out, 0, sizeof *out);
  char *text = cli_read_file(path);
  if (!text)
    return errno == ENOENT ? 0
                           : fail(err, errlen, "%s: %s", path, strerror(errno));
  size_t cap = 0;
  int rc = 0;
  for (char *line = text; line && *line && rc == 0;) {
    char *next = strchr(line, '\n');
    if (next)
      *next++ = '\0';
    char *comma = strchr(line, ',');
    if (comma) {
      size_t n = strlen(comma + 1);
      while (n && isspace((unsigned char)comma[n]))
        comma[n--] = '\0';
      if (out->n == cap) {
        cap = cap ? 2 * cap : 256;
        char **d = realloc(out->dirs, cap * sizeof *d);
        if (d)
          out->dirs = d;
        char **nm = realloc(out->names, cap * sizeof *nm);
        if (nm)
          out->names = nm;
        if (!d || !nm) {
          rc = fail(err, errlen, "out of memory");
          break;
        }
      }
      out->dirs[out->n] = dup_range(line, (size_t)(comma - line));
      out->names[out->n] = strdup(comma + 1 + strspn(comma + 1, " \t"));
      out->n++;
      if (!out->dirs[out->n - 1] || !out->names[out->n - 1])
        rc = fail(err, errlen, "out of memory");
      else
        drop_quotes(out->names[out->n - 1]);
    }
    line = next;
  }
  free(text);
  if (rc != 0)
    folder_map_free(out);
  return rc;
}

const char *folder_map_get(const folder_map *m, const char *dir) {
  for (size_t i = 0; i < m->n; i++)
    if (strcmp(m->dirs[i], dir) == 0)
      return m->names[i];
  return NULL;
}
