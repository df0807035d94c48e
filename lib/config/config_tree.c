/*
 * config_tree.c - the config node tree: nodes, maps with ordered keys,
 * dotted-path access and the YAML 1.1-style meaning of plain scalars.
 */
#include "config/config_tree.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* ---- Nodes -------------------------------------------------------------- */

cfg_node *cfg_node_new(cfg_kind kind) {
  cfg_node *n = calloc(1, sizeof *n);
  if (n)
    n->kind = kind;
  return n;
}

cfg_node *cfg_node_new_scalar(const char *text, size_t len, bool quoted) {
  cfg_node *n = cfg_node_new(CFG_SCALAR);
  if (!n)
    return NULL;
  n->text = malloc(len + 1);
  if (!n->text) {
    free(n);
    return NULL;
  }
  memcpy(n->text, text, len);
  n->text[len] = '\0';
  n->quoted = quoted;
  return n;
}

void cfg_node_free(cfg_node *n) {
  if (!n)
    return;
  for (size_t i = 0; i < n->len; i++) {
    if (n->keys)
      free(n->keys[i]);
    cfg_node_free(n->items[i]);
  }
  free(n->keys);
  free(n->items);
  free(n->text);
  free(n);
}

static cfg_node *clone_rec(const cfg_node *n) {
  cfg_node *c = cfg_node_new(n->kind);
  if (!c)
    return NULL;
  c->quoted = n->quoted;
  c->user_added = n->user_added;
  if (n->text && !(c->text = strdup(n->text)))
    goto fail;
  for (size_t i = 0; i < n->len; i++) {
    cfg_node *item = clone_rec(n->items[i]);
    if (!item)
      goto fail;
    int rc = n->kind == CFG_MAP ? cfg_map_add(c, n->keys[i], item)
                                : cfg_list_append(c, item);
    if (rc != EF_OK) {
      cfg_node_free(item);
      goto fail;
    }
  }
  return c;
fail:
  cfg_node_free(c);
  return NULL;
}

cfg_node *cfg_node_clone(const cfg_node *n) {
  cfg_node *c = clone_rec(n);
  if (!c)
    ef_error_set(EF_ENOMEM, "out of memory copying a config");
  return c;
}

static bool scalar_equal(const cfg_node *a, const cfg_node *b) {
  int ta = cfg_node_type(a);
  if (ta != cfg_node_type(b))
    return false;
  switch (ta) {
  case CFG_T_INT: {
    int64_t x, y;
    if (cfg_scalar_int(a, &x) == 0 && cfg_scalar_int(b, &y) == 0)
      return x == y;
    break; /* out of int64 range: fall back to the text */
  }
  case CFG_T_FLOAT: {
    double x = 0, y = 0;
    cfg_scalar_double(a, &x);
    cfg_scalar_double(b, &y);
    return x == y || (isnan(x) && isnan(y));
  }
  case CFG_T_BOOL: {
    int x = 0, y = 0;
    cfg_scalar_bool(a, &x);
    cfg_scalar_bool(b, &y);
    return x == y;
  }
  default: break;
  }
  return strcmp(a->text, b->text) == 0;
}

bool cfg_node_equal(const cfg_node *a, const cfg_node *b) {
  if (a->kind != b->kind)
    return false;
  switch (a->kind) {
  case CFG_NULL: return true;
  case CFG_SCALAR: return scalar_equal(a, b);
  case CFG_LIST:
  case CFG_MAP:
    if (a->len != b->len)
      return false;
    for (size_t i = 0; i < a->len; i++) {
      if (a->kind == CFG_MAP && strcmp(a->keys[i], b->keys[i]) != 0)
        return false;
      if (!cfg_node_equal(a->items[i], b->items[i]))
        return false;
    }
    return true;
  }
  return false;
}

/* ---- Lists and maps ----------------------------------------------------- */

static int grow(cfg_node *n) {
  if (n->len < n->cap)
    return EF_OK;
  size_t cap = n->cap ? n->cap * 2 : 8;
  cfg_node **items = realloc(n->items, cap * sizeof *items);
  if (!items)
    return ef_error_set(EF_ENOMEM, "out of memory growing a config node");
  n->items = items;
  if (n->kind == CFG_MAP) {
    char **keys = realloc(n->keys, cap * sizeof *keys);
    if (!keys)
      return ef_error_set(EF_ENOMEM, "out of memory growing a config map");
    n->keys = keys;
  }
  n->cap = cap;
  return EF_OK;
}

int cfg_list_append(cfg_node *list, cfg_node *item) {
  int rc = grow(list);
  if (rc != EF_OK)
    return rc;
  list->items[list->len++] = item;
  return EF_OK;
}

static ptrdiff_t map_find_n(const cfg_node *map, const char *key, size_t n) {
  for (size_t i = 0; i < map->len; i++)
    if (strncmp(map->keys[i], key, n) == 0 && map->keys[i][n] == '\0')
      return (ptrdiff_t)i;
  return -1;
}

ptrdiff_t cfg_map_find(const cfg_node *map, const char *key) {
  return map_find_n(map, key, strlen(key));
}

static int map_add_n(cfg_node *map, const char *key, size_t n,
                     cfg_node *value) {
  int rc = grow(map);
  if (rc != EF_OK)
    return rc;
  char *k = malloc(n + 1);
  if (!k)
    return ef_error_set(EF_ENOMEM, "out of memory adding key '%.*s'", (int)n,
                        key);
  memcpy(k, key, n);
  k[n] = '\0';
  map->keys[map->len] = k;
  map->items[map->len] = value;
  map->len++;
  return EF_OK;
}

int cfg_map_add(cfg_node *map, const char *key, cfg_node *value) {
  return map_add_n(map, key, strlen(key), value);
}

void cfg_map_remove(cfg_node *map, size_t i) {
  free(map->keys[i]);
  cfg_node_free(map->items[i]);
  memmove(map->keys + i, map->keys + i + 1,
          (map->len - i - 1) * sizeof *map->keys);
  memmove(map->items + i, map->items + i + 1,
          (map->len - i - 1) * sizeof *map->items);
  map->len--;
}

int cfg_node_merge(cfg_node *dst, const cfg_node *src) {
  for (size_t i = 0; i < src->len; i++) {
    ptrdiff_t j = cfg_map_find(dst, src->keys[i]);
    if (j >= 0 && dst->items[j]->kind == CFG_MAP &&
        src->items[i]->kind == CFG_MAP) {
      int rc = cfg_node_merge(dst->items[j], src->items[i]);
      if (rc != EF_OK)
        return rc;
      continue;
    }
    cfg_node *copy = cfg_node_clone(src->items[i]);
    if (!copy)
      return ef_error_set(EF_ENOMEM, "out of memory");
    if (j >= 0) {
      cfg_node_free(dst->items[j]);
      dst->items[j] = copy;
    } else {
      int rc = cfg_map_add(dst, src->keys[i], copy);
      if (rc != EF_OK) {
        cfg_node_free(copy);
        return rc;
      }
    }
  }
  return EF_OK;
}

/* ---- Scalars ------------------------------------------------------------ */

static bool one_of(const char *text, const char *const *words) {
  for (; *words; words++)
    if (strcmp(text, *words) == 0)
      return true;
  return false;
}

static const char *const null_words[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const true_words[] = {"true", "True", "TRUE", "yes", "Yes",
                                         "YES",  "on",   "On",   "ON",  NULL};
static const char *const false_words[] = {
    "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", NULL};

static bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/* ".inf", "-.Inf", ".NaN", ...: the spellings YAML gives IEEE specials. */
static int special_float(const char *t, double *out) {
  static const char *const infs[] = {".inf", ".Inf", ".INF", NULL};
  static const char *const nans[] = {".nan", ".NaN", ".NAN", NULL};
  if (one_of(t, nans)) {
    *out = NAN;
    return 0;
  }
  double sign = 1.0;
  if (*t == '-' || *t == '+')
    sign = *t++ == '-' ? -1.0 : 1.0;
  if (one_of(t, infs)) {
    *out = sign * INFINITY;
    return 0;
  }
  return -1;
}

static bool is_int_text(const char *t) {
  if (*t == '-' || *t == '+')
    t++;
  if (!*t)
    return false;
  for (; *t; t++)
    if (!is_digit(*t))
      return false;
  return true;
}

/* [-+]? (digits [. digits?] | . digits) ([eE] [-+]? digits)? with a dot
 * or an exponent; 1e-5 counts, as OmegaConf reads it. */
static bool is_float_text(const char *t) {
  double unused;
  if (special_float(t, &unused) == 0)
    return true;
  if (*t == '-' || *t == '+')
    t++;
  size_t before = 0, after = 0;
  bool dot = false, exp = false;
  while (is_digit(*t))
    t++, before++;
  if (*t == '.') {
    dot = true;
    for (t++; is_digit(*t); t++)
      after++;
  }
  if (before + after == 0)
    return false;
  if (*t == 'e' || *t == 'E') {
    exp = true;
    t++;
    if (*t == '-' || *t == '+')
      t++;
    if (!is_digit(*t))
      return false;
    while (is_digit(*t))
      t++;
  }
  return *t == '\0' && (dot || exp);
}

cfg_type cfg_text_type(const char *text) {
  if (one_of(text, null_words))
    return CFG_T_NULL;
  if (one_of(text, true_words) || one_of(text, false_words))
    return CFG_T_BOOL;
  if (is_int_text(text))
    return CFG_T_INT;
  if (is_float_text(text))
    return CFG_T_FLOAT;
  return CFG_T_STR;
}

int cfg_node_type(const cfg_node *n) {
  switch (n->kind) {
  case CFG_NULL: return CFG_T_NULL;
  case CFG_SCALAR: return n->quoted ? CFG_T_STR : (int)cfg_text_type(n->text);
  default: return -1;
  }
}

int cfg_scalar_int(const cfg_node *n, int64_t *out) {
  if (cfg_node_type(n) != CFG_T_INT)
    return -1;
  errno = 0;
  char *end;
  long long v = strtoll(n->text, &end, 10);
  if (errno == ERANGE || *end)
    return -1;
  *out = (int64_t)v;
  return 0;
}

int cfg_scalar_double(const cfg_node *n, double *out) {
  int t = cfg_node_type(n);
  if (t != CFG_T_INT && t != CFG_T_FLOAT)
    return -1;
  if (special_float(n->text, out) == 0)
    return 0;
  char *end;
  *out = strtod(n->text, &end);
  return *end ? -1 : 0;
}

int cfg_scalar_bool(const cfg_node *n, int *out) {
  int t = cfg_node_type(n);
  if (t == CFG_T_BOOL) {
    *out = one_of(n->text, true_words);
    return 0;
  }
  int64_t v;
  /* run_locally=1 / debug_mode=1 are how reference users spell true. */
  if (t == CFG_T_INT && cfg_scalar_int(n, &v) == 0 && (v == 0 || v == 1)) {
    *out = (int)v;
    return 0;
  }
  return -1;
}

const char *cfg_node_type_name(const cfg_node *n) {
  switch (n->kind) {
  case CFG_MAP: return "map";
  case CFG_LIST: return "list";
  default: break;
  }
  switch (cfg_node_type(n)) {
  case CFG_T_NULL: return "null";
  case CFG_T_BOOL: return "bool";
  case CFG_T_INT: return "int";
  case CFG_T_FLOAT: return "float";
  default: return "string";
  }
}

/* ---- Dotted paths ------------------------------------------------------- */

static bool index_segment(const char *s, size_t n, size_t *out) {
  if (n == 0 || n > 9)
    return false;
  size_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (!is_digit(s[i]))
      return false;
    v = v * 10 + (size_t)(s[i] - '0');
  }
  *out = v;
  return true;
}

/* The child of n named by the segment s[0..len), or NULL. */
static cfg_node *child(const cfg_node *n, const char *s, size_t len) {
  if (n->kind == CFG_MAP) {
    ptrdiff_t i = map_find_n(n, s, len);
    return i >= 0 ? n->items[i] : NULL;
  }
  size_t idx;
  if (n->kind == CFG_LIST && index_segment(s, len, &idx) && idx < n->len)
    return n->items[idx];
  return NULL;
}

cfg_node *cfg_tree_get(const cfg_node *root, const char *path) {
  const cfg_node *n = root;
  const char *s = path;
  while (n) {
    const char *dot = strchr(s, '.');
    size_t len = dot ? (size_t)(dot - s) : strlen(s);
    n = child(n, s, len);
    if (!dot)
      break;
    s = dot + 1;
  }
  return (cfg_node *)n;
}

int cfg_path_check(const char *path, const char *what) {
  if (!*path)
    return ef_error_set(EF_ECONFIG, "empty key in %s", what);
  size_t seg = 0;
  for (const char *p = path;; p++) {
    if (*p == '.' || *p == '\0') {
      if (seg == 0)
        return ef_error_set(EF_ECONFIG, "bad key '%s' in %s: empty segment",
                            path, what);
      if (!*p)
        return EF_OK;
      seg = 0;
      continue;
    }
    char c = *p;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
              c == '_' || c == '-';
    if (!ok)
      return ef_error_set(EF_ECONFIG,
                          "bad key '%s' in %s: character '%c' is not "
                          "allowed (use letters, digits, '_' and '-')",
                          path, what, c);
    seg++;
  }
}

int cfg_tree_put(cfg_node *root, const char *path, cfg_node *value, int flags) {
  int rc;
  cfg_node *n = root;
  const char *s = path;
  const char *dot;
  while ((dot = strchr(s, '.')) != NULL) {
    size_t len = (size_t)(dot - s);
    int plen = (int)(dot - path);
    ptrdiff_t i = map_find_n(n, s, len);
    cfg_node *next = i >= 0 ? n->items[i] : NULL;
    if (!next) {
      if (!(flags & CFG_PUT_PARENTS)) {
        rc = ef_error_set(EF_ECONFIG, "cannot set '%s': '%.*s' does not exist",
                          path, plen, path);
        goto fail;
      }
      if (!(next = cfg_node_new(CFG_MAP))) {
        rc = ef_error_set(EF_ENOMEM, "out of memory setting '%s'", path);
        goto fail;
      }
      next->user_added = (flags & CFG_PUT_USER) != 0;
      if ((rc = map_add_n(n, s, len, next)) != EF_OK) {
        cfg_node_free(next);
        goto fail;
      }
    } else if (next->kind == CFG_NULL && (flags & CFG_PUT_PARENTS)) {
      next->kind = CFG_MAP; /* a null section becomes the map it names */
    } else if (next->kind != CFG_MAP) {
      rc = ef_error_set(EF_ECONFIG,
                        "cannot set '%s': '%.*s' is a %s, not a map", path,
                        plen, path, next->kind == CFG_LIST ? "list" : "scalar");
      goto fail;
    }
    n = next;
    s = dot + 1;
  }
  ptrdiff_t i = cfg_map_find(n, s);
  if (i >= 0) {
    value->user_added = n->items[i]->user_added;
    cfg_node_free(n->items[i]);
    n->items[i] = value;
    return EF_OK;
  }
  value->user_added = value->user_added || (flags & CFG_PUT_USER);
  if ((rc = cfg_map_add(n, s, value)) != EF_OK)
    goto fail;
  return EF_OK;
fail:
  cfg_node_free(value);
  return rc;
}

int cfg_tree_delete(cfg_node *root, const char *path) {
  cfg_node *parent = root;
  const char *key = path;
  const char *dot = strrchr(path, '.');
  if (dot) {
    char *prefix = strndup(path, (size_t)(dot - path));
    if (!prefix)
      return ef_error_set(EF_ENOMEM, "out of memory deleting '%s'", path);
    parent = cfg_tree_get(root, prefix);
    free(prefix);
    key = dot + 1;
  }
  ptrdiff_t i =
      parent && parent->kind == CFG_MAP ? cfg_map_find(parent, key) : -1;
  if (i < 0)
    return ef_error_set(EF_ECONFIG, "cannot delete '%s': no such key", path);
  cfg_map_remove(parent, (size_t)i);
  return EF_OK;
}
