/*
 * labels.c - class names for `ego4dfeat inference`: the labels file of a
 * classifier (text or JSON, see labels.h), a dataset's folder-to-name map,
 * and matching a class folder to a logit index. JSON is read with the
 * library's lib/util/json.c.
 */
#include "labels.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util/json.h"

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
static int entry_strings(json_doc *d, const json_node *v, const char **id,
                         const char **name) {
  if (json_string(v)) {
    *id = NULL;
    *name = json_string(v);
    return 0;
  }
  if (json_len(v) == 2 && json_string(json_at(d, v, 0)) &&
      json_string(json_at(d, v, 1))) {
    *id = json_string(json_at(d, v, 0));
    *name = json_string(json_at(d, v, 1));
    return 0;
  }
  return -1;
}

/* The class index a number (num) or an object key stands for; -1 if it
 * is not one. */
static long index_of(const json_node *num, const char *key) {
  if (num) {
    double x;
    if (json_double(num, &x) != 0 || x < 0 || x > 1e7 || x != (double)(long)x)
      return -1;
    return (long)x;
  }
  char *end;
  long i = strtol(key, &end, 10);
  return (end == key || *end || i < 0 || i > 10000000) ? -1 : i;
}

static int labels_from_array(json_doc *d, const json_node *root, label_set *l,
                             char *err, size_t errlen) {
  const char *id, *name;
  size_t n = json_len(root);
  if (!(l->items = calloc(n ? n : 1, sizeof *l->items)))
    return fail(err, errlen, "out of memory");
  if (n == 0)
    return fail(err, errlen, "no class names");
  l->n = n;
  for (size_t i = 0; i < n; i++) {
    if (entry_strings(d, json_at(d, root, i), &id, &name) != 0)
      return fail(err, errlen, "item %zu is not a name or [id, name]", i);
    if (set_label(l, i, id, name, err, errlen) != 0)
      return -1;
  }
  return 0;
}

static int labels_from_json(json_doc *d, label_set *l, char *err,
                            size_t errlen) {
  const json_node *root = json_root(d);
  if (json_is_array(root))
    return labels_from_array(d, root, l, err, errlen);
  if (!json_is_object(root))
    return fail(err, errlen, "expected a JSON list or object");
  size_t n = json_pair_count(root);
  if (n == 0)
    return fail(err, errlen, "no class names");
  /* {"name": index} when the values are numbers, else {"index": entry}. */
  json_node *v;
  json_pair(d, root, 0, &v);
  int by_name = json_double(v, &(double){0}) == 0;
  long max = -1;
  for (size_t i = 0; i < n; i++) {
    const char *key = json_pair(d, root, i, &v);
    long k = index_of(by_name ? v : NULL, key);
    if (k < 0)
      return fail(err, errlen, "entry '%s' has no class index", key);
    max = k > max ? k : max;
  }
  size_t count = (size_t)(max + 1);
  if (!(l->items = calloc(count ? count : 1, sizeof *l->items)))
    return fail(err, errlen, "out of memory");
  l->n = count;
  for (size_t i = 0; i < n; i++) {
    const char *key = json_pair(d, root, i, &v), *id, *name;
    long k = index_of(by_name ? v : NULL, key);
    if (by_name) {
      id = NULL;
      name = key;
    } else if (entry_strings(d, v, &id, &name) != 0) {
      return fail(err, errlen, "entry '%s' is not a name or [id, name]", key);
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
    json_doc d;
    rc = json_parse(&d, text, strlen(text), err, errlen);
    if (rc == 0)
      rc = labels_from_json(&d, out, err, errlen);
    json_free(&d);
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
