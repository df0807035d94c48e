/*
 * config_override.c - Hydra's command-line override grammar:
 *   key=value  +key=value  ++key=value  ~key  ~key=value
 * and its value grammar: plain scalars, 'quoted' or "quoted" strings,
 * [flow, lists] and {flow: maps}. Values are parsed here rather than by
 * libyaml because Hydra's unquoted values allow text YAML would misread
 * (e.g. "*.mp4" or "%j").
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_schema.h"
#include "config/config_tree.h"
#include "util/error.h"
#include "util/utf8.h"

#define MAX_VALUE_DEPTH 16
/* Levels of a key (a.b.c is 3). With MAX_VALUE_DEPTH, what an override
 * writes stays well under the 64 levels a config file may nest
 * (config_yaml.c), so every config it makes reads back: a run's
 * config.yaml, a plan's config. The schema's keys have 3 at most. */
#define MAX_KEY_DEPTH 32
/* An override is a command-line argument (Linux caps one at 128 KiB);
 * the Python binding allows more, up to this. */
#define MAX_OVERRIDE_BYTES (1u << 20)

typedef enum { OV_SET, OV_ADD, OV_UPSERT, OV_DELETE } ov_mode;

/* ---- Values ------------------------------------------------------------- */

typedef struct {
  const char *text; /* the whole value, for messages */
  const char *p;
} vparser;

static int value_error(const vparser *v, const char *problem) {
  return ef_error_set(EF_ECONFIG, "bad value '%s': %s (at character %zu)",
                      v->text, problem, (size_t)(v->p - v->text) + 1);
}

static void skip_ws(vparser *v) {
  while (isspace((unsigned char)*v->p))
    v->p++;
}

static int parse_quoted(vparser *v, cfg_node **out) {
  char q = *v->p++;
  size_t cap = strlen(v->p) + 1;
  char *buf = malloc(cap);
  size_t n = 0;
  if (!buf)
    return ef_error_set(EF_ENOMEM, "out of memory parsing '%s'", v->text);
  for (;;) {
    char c = *v->p;
    if (!c) {
      free(buf);
      return value_error(v, "unterminated quoted string");
    }
    v->p++;
    if (c == q)
      break;
    /* Backslash escapes only the quote and itself, so Windows-style paths
     * keep their backslashes, as in Hydra. */
    if (c == '\\' && (*v->p == q || *v->p == '\\'))
      c = *v->p++;
    buf[n++] = c;
  }
  cfg_node *node = cfg_node_new_scalar(buf, n, true);
  free(buf);
  if (!node)
    return ef_error_set(EF_ENOMEM, "out of memory parsing '%s'", v->text);
  *out = node;
  return EF_OK;
}

/* Unquoted text up to a character in `stops` (or the end), trimmed. */
static int parse_plain(vparser *v, const char *stops, cfg_node **out) {
  const char *start = v->p;
  while (*v->p && !strchr(stops, *v->p))
    v->p++;
  const char *end = v->p;
  while (end > start && isspace((unsigned char)end[-1]))
    end--;
  if (end == start)
    return value_error(v, "missing value");
  cfg_node *node = cfg_node_new_scalar(start, (size_t)(end - start), false);
  if (node && cfg_text_type(node->text) == CFG_T_NULL) {
    cfg_node_free(node);
    node = cfg_node_new(CFG_NULL);
  }
  if (!node)
    return ef_error_set(EF_ENOMEM, "out of memory parsing '%s'", v->text);
  *out = node;
  return EF_OK;
}

static int parse_any(vparser *v, int depth, const char *stops, cfg_node **out);

/* [a, b] or {k: v, ...}; v->p is on the opening bracket. */
static int parse_container(vparser *v, int depth, cfg_node **out) {
  bool is_map = *v->p == '{';
  char close = is_map ? '}' : ']';
  int rc;
  cfg_node *key = NULL, *item = NULL;
  cfg_node *n = cfg_node_new(is_map ? CFG_MAP : CFG_LIST);
  if (!n)
    return ef_error_set(EF_ENOMEM, "out of memory parsing '%s'", v->text);
  v->p++;
  skip_ws(v);
  if (*v->p == close) {
    v->p++;
    *out = n;
    return EF_OK;
  }
  for (;;) {
    if (is_map) {
      skip_ws(v);
      rc = *v->p == '\'' || *v->p == '"' ? parse_quoted(v, &key)
                                         : parse_plain(v, ":,}", &key);
      if (rc != EF_OK)
        goto fail;
      skip_ws(v);
      if (*v->p != ':' || key->kind != CFG_SCALAR) {
        rc = value_error(v, "expected 'key: value' in a map");
        goto fail;
      }
      v->p++;
      if (cfg_map_find(n, key->text) >= 0) {
        rc = value_error(v, "duplicate key in a map");
        goto fail;
      }
    }
    const char *stops = is_map ? ",}" : ",]";
    if ((rc = parse_any(v, depth + 1, stops, &item)) != EF_OK)
      goto fail;
    rc = is_map ? cfg_map_add(n, key->text, item) : cfg_list_append(n, item);
    if (rc != EF_OK)
      goto fail;
    item = NULL;
    cfg_node_free(key);
    key = NULL;
    skip_ws(v);
    if (*v->p == close) {
      v->p++;
      *out = n;
      return EF_OK;
    }
    if (*v->p != ',') {
      rc = value_error(v,
                       is_map ? "expected ',' or '}'" : "expected ',' or ']'");
      goto fail;
    }
    v->p++;
  }
fail:
  cfg_node_free(item);
  cfg_node_free(key);
  cfg_node_free(n);
  return rc;
}

static int parse_any(vparser *v, int depth, const char *stops, cfg_node **out) {
  if (depth > MAX_VALUE_DEPTH)
    return value_error(v, "lists nested too deeply");
  skip_ws(v);
  switch (*v->p) {
  case '[':
  case '{': return parse_container(v, depth, out);
  case '\'':
  case '"': return parse_quoted(v, out);
  default: return parse_plain(v, stops, out);
  }
}

/* "", scalars, 'quoted', "quoted", [lists] and {maps}. */
static int value_parse(const char *text, cfg_node **out) {
  vparser v = {.text = text, .p = text};
  cfg_node *n = NULL;
  *out = NULL;
  skip_ws(&v);
  if (!*v.p) { /* "key=" sets the empty string, as in Hydra */
    if (!(n = cfg_node_new_scalar("", 0, true)))
      return ef_error_set(EF_ENOMEM, "out of memory parsing '%s'", text);
    *out = n;
    return EF_OK;
  }
  bool structured = strchr("[{'\"", *v.p) != NULL;
  int rc = parse_any(&v, 0, "", &n);
  if (rc != EF_OK)
    return rc;
  skip_ws(&v);
  if (structured && *v.p) {
    rc = value_error(&v, "unexpected text after the value");
    cfg_node_free(n);
    return rc;
  }
  *out = n;
  return EF_OK;
}

/* A list key given a quoted "[a,b]" (the shell kept the quotes): the
 * string cannot be meant literally, so read the list inside it. */
static int coerce_for_key(const char *key, cfg_node **value) {
  const cfg_schema_entry *e = cfg_schema_find(key);
  cfg_node *v = *value;
  if (!e || (e->type != CFG_S_LIST_STR && e->type != CFG_S_LIST_FLOAT) ||
      v->kind != CFG_SCALAR || !v->quoted || v->text[0] != '[')
    return EF_OK;
  cfg_node *list;
  int rc = value_parse(v->text, &list);
  if (rc != EF_OK)
    return ef_error_prefix(key);
  cfg_node_free(v);
  *value = list;
  return EF_OK;
}

/* ---- Overrides ---------------------------------------------------------- */

/* An override is text a person typed, so one that is not UTF-8 is
 * refused here, naming it (overlong forms, surrogates and values past
 * U+10FFFF too, as libyaml refuses them in a config file). Only a uid
 * list the library builds from file names may hold other bytes (util/utf8.h).
 */
static int apply(cfg_node *root, ov_mode mode, const char *key,
                 const char *value_text, const char *what) {
  int rc = cfg_path_check(key, what);
  if (rc != EF_OK)
    return rc;
  size_t levels = 1;
  for (const char *c = key; *c; c++)
    levels += *c == '.';
  if (levels > MAX_KEY_DEPTH)
    return ef_error_set(EF_ECONFIG,
                        "the key has %zu levels, more than the %d an "
                        "override key may have",
                        levels, MAX_KEY_DEPTH);
  if (value_text && !utf8_valid(value_text)) /* keys are ASCII (above) */
    return ef_error_set(EF_ECONFIG, "%s: not valid UTF-8 text", what);
  /* A key named defaults would be read back as a defaults list. */
  if (strncmp(key, "defaults", 8) == 0 && (key[8] == '\0' || key[8] == '.'))
    return ef_error_set(EF_ECONFIG,
                        "%s: 'defaults' is the config's defaults list and "
                        "cannot be overridden",
                        what);
  cfg_node *value = NULL;
  if (value_text) {
    if ((rc = value_parse(value_text, &value)) != EF_OK)
      return ef_error_prefix(what);
    if ((rc = coerce_for_key(key, &value)) != EF_OK)
      goto fail;
  }
  cfg_node *existing = cfg_tree_get(root, key);
  switch (mode) {
  case OV_SET:
    if (!existing && !cfg_schema_find(key)) {
      rc = ef_error_set(EF_ECONFIG,
                        "unknown key '%s'%s; to add a new key write "
                        "'+%s=...'",
                        key, cfg_schema_hint(root, key), key);
      goto fail;
    }
    /* A key the schema knows may be missing from the file (it has a
     * default), so setting it creates it. */
    return cfg_tree_put(root, key, value, CFG_PUT_PARENTS);
  case OV_ADD:
    if (existing) {
      rc = ef_error_set(EF_ECONFIG,
                        "cannot add '%s': the key already exists (write "
                        "'%s=...' to change it, or '++%s=...')",
                        key, key, key);
      goto fail;
    }
    return cfg_tree_put(root, key, value, CFG_PUT_PARENTS | CFG_PUT_USER);
  case OV_UPSERT:
    return cfg_tree_put(root, key, value, CFG_PUT_PARENTS | CFG_PUT_USER);
  case OV_DELETE:
    if (!existing) {
      rc = ef_error_set(EF_ECONFIG, "cannot delete '%s': no such key%s", key,
                        cfg_schema_hint(root, key));
      goto fail;
    }
    if (value && !cfg_node_equal(existing, value)) {
      rc = ef_error_set(EF_ECONFIG, "cannot delete '%s': its value is not '%s'",
                        key, value_text);
      goto fail;
    }
    cfg_node_free(value);
    return cfg_tree_delete(root, key);
  }
  rc = ef_error_set(EF_EINVAL, "bad override mode");
fail:
  cfg_node_free(value);
  return rc;
}

int cfg_override_apply(cfg_node *root, const char *override) {
  int rc;
  char what[256];
  snprintf(what, sizeof what, "override '%.200s'", override);
  while (isspace((unsigned char)*override))
    override++;
  size_t len = strlen(override);
  if (len > MAX_OVERRIDE_BYTES)
    return ef_error_set(EF_ECONFIG,
                        "%zu bytes long, more than the %u an override "
                        "may have",
                        len, MAX_OVERRIDE_BYTES);
  char *s = strdup(override);
  if (!s)
    return ef_error_set(EF_ENOMEM, "out of memory parsing %s", what);

  ov_mode mode = OV_SET;
  char *key = s;
  if (key[0] == '~')
    mode = OV_DELETE, key += 1;
  else if (key[0] == '+' && key[1] == '+')
    mode = OV_UPSERT, key += 2;
  else if (key[0] == '+')
    mode = OV_ADD, key += 1;

  char *eq = strchr(key, '=');
  char *value = NULL;
  if (eq) {
    *eq = '\0';
    value = eq + 1;
    size_t vlen = strlen(value);
    while (vlen && isspace((unsigned char)value[vlen - 1]))
      value[--vlen] = '\0';
  } else if (mode != OV_DELETE) {
    rc = ef_error_set(EF_ECONFIG,
                      "%s has no '=' (write key=value, +key=value, "
                      "++key=value or ~key)",
                      what);
    goto done;
  }
  size_t klen = strlen(key);
  while (klen && isspace((unsigned char)key[klen - 1]))
    key[--klen] = '\0';
  rc = apply(root, mode, key, value, what);
done:
  free(s);
  return rc;
}

int cfg_override_set(cfg_node *root, const char *path, const char *value) {
  char what[256];
  snprintf(what, sizeof what, "setting '%.200s'", path);
  return apply(root, OV_SET, path, value, what);
}
