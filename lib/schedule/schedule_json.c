/*
 * schedule_json.c - the JSON of the plan and status files: a growing text
 * buffer that writes it, and libyaml reading it back (JSON is the YAML
 * subset libyaml already parses, so the files need no other library and
 * the tests and users read them with any tool).
 */
#include "schedule/schedule_json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schedule/schedule_internal.h"
#include "util/error.h"

/* ---- Reading JSON with libyaml ------------------------------------------ */

int jdoc_load(const char *path, jdoc *d) {
  memset(d, 0, sizeof *d);
  FILE *f = fopen(path, "rb");
  if (!f)
    return ef_error_set(errno == ENOENT ? EF_ENOTFOUND : EF_EIO,
                        "%s: cannot read (%s)", path, strerror(errno));
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) {
    fclose(f);
    return sched_nomem();
  }
  yaml_parser_set_input_file(&parser, f);
  int rc = EF_OK;
  if (!yaml_parser_load(&parser, &d->doc))
    rc = ef_error_set(EF_EINVAL, "%s: invalid JSON at line %zu: %s", path,
                      parser.problem_mark.line + 1,
                      parser.problem ? parser.problem : "parse error");
  else
    d->loaded = 1;
  yaml_parser_delete(&parser);
  fclose(f);
  if (rc == EF_OK && !yaml_document_get_root_node(&d->doc))
    rc = ef_error_set(EF_EINVAL, "%s: empty file", path);
  return rc;
}

void jdoc_free(jdoc *d) {
  if (d->loaded)
    yaml_document_delete(&d->doc);
  d->loaded = 0;
}

yaml_node_t *jroot(jdoc *d) {
  return yaml_document_get_root_node(&d->doc);
}

yaml_node_t *jget(jdoc *d, yaml_node_t *map, const char *key) {
  if (!map || map->type != YAML_MAPPING_NODE)
    return NULL;
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
       p < map->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(&d->doc, p->key);
    if (k && k->type == YAML_SCALAR_NODE &&
        strcmp((const char *)k->data.scalar.value, key) == 0)
      return yaml_document_get_node(&d->doc, p->value);
  }
  return NULL;
}

const char *jstr(yaml_node_t *n) {
  return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
                                          : NULL;
}

int jint(yaml_node_t *n, int64_t *out) {
  const char *s = jstr(n);
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

int jdouble(yaml_node_t *n, double *out) {
  const char *s = jstr(n);
  char *end;
  if (!s || !*s)
    return -1;
  double v = strtod(s, &end);
  if (*end || !isfinite(v))
    return -1;
  *out = v;
  return 0;
}

size_t jlen(yaml_node_t *seq) {
  return seq && seq->type == YAML_SEQUENCE_NODE
             ? (size_t)(seq->data.sequence.items.top -
                        seq->data.sequence.items.start)
             : 0;
}

yaml_node_t *jat(jdoc *d, yaml_node_t *seq, size_t i) {
  return yaml_document_get_node(&d->doc, seq->data.sequence.items.start[i]);
}
