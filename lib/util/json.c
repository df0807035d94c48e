/*
 * json.c - see json.h.
 */
#include "util/json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

/* Each scalar gets back the bytes that are not UTF-8 (utf8.h), in
 * place. */
static void restore_bytes(yaml_document_t *doc) {
  for (yaml_node_t *n = doc->nodes.start; n < doc->nodes.top; n++)
    if (n->type == YAML_SCALAR_NODE &&
        memchr(n->data.scalar.value, 0, n->data.scalar.length))
      n->data.scalar.length =
          utf8_restore_bytes(n->data.scalar.value, n->data.scalar.length, NULL);
}

/* YAML lets a key be a number, a list or a map; JSON only a string, and
 * every reader here takes keys as text. 0, or -1 with the line of the
 * first other key in err. */
static int check_keys(yaml_document_t *doc, char *err, size_t errlen) {
  for (yaml_node_t *n = doc->nodes.start; n < doc->nodes.top; n++) {
    if (n->type != YAML_MAPPING_NODE)
      continue;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
         p < n->data.mapping.pairs.top; p++) {
      yaml_node_t *k = yaml_document_get_node(doc, p->key);
      if (!json_string(k)) {
        snprintf(err, errlen,
                 "invalid JSON at line %zu: a key that is not a "
                 "string",
                 (k ? k : n)->start_mark.line + 1);
        return -1;
      }
    }
  }
  return 0;
}

int json_parse(json_doc *d, const char *text, size_t len, char *err,
               size_t errlen) {
  memset(d, 0, sizeof *d);
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  int rc = 0;
  if (!yaml_parser_load(&parser, &d->doc)) {
    snprintf(err, errlen, "invalid JSON at line %zu: %s",
             parser.problem_mark.line + 1,
             parser.problem ? parser.problem : "parse error");
    rc = -1;
  } else {
    d->loaded = 1;
    restore_bytes(&d->doc);
    if (!yaml_document_get_root_node(&d->doc)) {
      snprintf(err, errlen, "empty file");
      rc = -1;
    } else if (check_keys(&d->doc, err, errlen) != 0) {
      rc = -1;
    }
    if (rc != 0)
      json_free(d);
  }
  yaml_parser_delete(&parser);
  return rc;
}

void json_free(json_doc *d) {
  if (d->loaded)
    yaml_document_delete(&d->doc);
  d->loaded = 0;
}

json_node *json_root(json_doc *d) {
  return d->loaded ? yaml_document_get_root_node(&d->doc) : NULL;
}

int json_is_array(const json_node *n) {
  return n && n->type == YAML_SEQUENCE_NODE;
}

int json_is_object(const json_node *n) {
  return n && n->type == YAML_MAPPING_NODE;
}

size_t json_len(const json_node *n) {
  return json_is_array(n) ? (size_t)(n->data.sequence.items.top -
                                     n->data.sequence.items.start)
                          : 0;
}

size_t json_pair_count(const json_node *n) {
  return json_is_object(n)
             ? (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start)
             : 0;
}

json_node *json_at(json_doc *d, const json_node *array, size_t i) {
  return yaml_document_get_node(&d->doc, array->data.sequence.items.start[i]);
}

const char *json_pair(json_doc *d, const json_node *object, size_t i,
                      json_node **value) {
  const yaml_node_pair_t *p = &object->data.mapping.pairs.start[i];
  *value = yaml_document_get_node(&d->doc, p->value);
  return json_text(yaml_document_get_node(&d->doc, p->key));
}

json_node *json_get(json_doc *d, const json_node *object, const char *key) {
  for (size_t i = 0; i < json_pair_count(object); i++) {
    json_node *v;
    const char *k = json_pair(d, object, i, &v);
    if (k && strcmp(k, key) == 0)
      return v;
  }
  return NULL;
}

const char *json_text(const json_node *n) {
  return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
                                          : NULL;
}

const char *json_string(const json_node *n) {
  return n && n->type == YAML_SCALAR_NODE &&
                 n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE
             ? (const char *)n->data.scalar.value
             : NULL;
}

/* A plain scalar's text: JSON's numbers and literals. */
static const char *plain_text(const json_node *n) {
  return n && n->type == YAML_SCALAR_NODE &&
                 n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE
             ? (const char *)n->data.scalar.value
             : NULL;
}

int json_int(const json_node *n, int64_t *out) {
  const char *s = plain_text(n);
  char *end;
  if (!s || !*s)
    return -1;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (*end || errno)
    return -1;
  *out = v;
  return 0;
}

int json_double(const json_node *n, double *out) {
  const char *s = plain_text(n);
  char *end;
  if (!s || !*s)
    return -1;
  double v = strtod(s, &end);
  if (*end || !isfinite(v))
    return -1;
  *out = v;
  return 0;
}
