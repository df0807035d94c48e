/*
 * schedule_json.h - writing and reading the JSON files of a plan
 * (plan.json, status/bin_N.json); see schedule_json.c.
 */
#ifndef EF_SCHEDULE_JSON_H
#define EF_SCHEDULE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "util/error.h"
#include "util/membuf.h"

typedef struct {
  yaml_document_t doc;
  int loaded;
} jdoc;

/* Parses a whole file: EF_ENOTFOUND if it does not exist, EF_EINVAL with
 * the line of a syntax error. */
int jdoc_load(const char *path, jdoc *d);
void jdoc_free(jdoc *d);
yaml_node_t *jroot(jdoc *d);
/* The value of key in a mapping node, or NULL. */
yaml_node_t *jget(jdoc *d, yaml_node_t *map, const char *key);
/* A scalar's text, or NULL for anything else. */
const char *jstr(yaml_node_t *n);
/* A scalar as a number: 0, or -1 if it is not one. */
int jint(yaml_node_t *n, int64_t *out);
int jdouble(yaml_node_t *n, double *out);
/* The length of a sequence (0 for anything else), and its item i. */
size_t jlen(yaml_node_t *seq);
yaml_node_t *jat(jdoc *d, yaml_node_t *seq, size_t i);

#endif
