/*
 * json.h - reading a JSON document: the plan and status files of a
 * schedule, and the CLI's labels files. JSON is YAML's flow style, so
 * libyaml (already the config parser) builds the tree; this module adds
 * the JSON view of it: a string is a quoted scalar, a number or literal a
 * plain one. Carries no ef_ state (errors are text in the caller's
 * buffer), so the CLI links its own copy, like fs.c. ego4d.json, which is
 * large, is streamed instead (input/stereo_list.c).
 */
#ifndef EF_JSON_H
#define EF_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

typedef struct {
  yaml_document_t doc;
  int loaded;
} json_doc;

typedef yaml_node_t json_node;

/* Parses len bytes of text into d. 0, or -1 with the reason in err:
 * "invalid JSON at line N: <problem>" (an object key that is not a
 * string, which YAML would allow, included), "empty file" or "out of
 * memory".
 * d is then empty; json_free is safe either way. */
int json_parse(json_doc *d, const char *text, size_t len, char *err,
               size_t errlen);
void json_free(json_doc *d);

json_node *json_root(json_doc *d);
int json_is_array(const json_node *n);
int json_is_object(const json_node *n);
/* Items of an array; 0 for anything else. */
size_t json_len(const json_node *n);
/* Pairs of an object; 0 for anything else. */
size_t json_pair_count(const json_node *n);
/* Item i of an array (i < json_len). */
json_node *json_at(json_doc *d, const json_node *array, size_t i);
/* Pair i of an object (i < json_pair_count): its key (a string, never
 * NULL), its value in *value. */
const char *json_pair(json_doc *d, const json_node *object, size_t i,
                      json_node **value);
/* The value of key in an object, or NULL. */
json_node *json_get(json_doc *d, const json_node *object, const char *key);

/* A JSON string's text, or NULL for anything else. "\u0000" and two hex
 * digits stand for that byte (how membuf_json writes a byte that is not
 * UTF-8); any other "\u0000" ends the text. */
const char *json_string(const json_node *n);
/* A scalar's text, string or not (a number's digits), or NULL. */
const char *json_text(const json_node *n);
/* A number: 0, or -1 if n is not one (a string of digits is not), or
 * for json_int not an integer that fits. */
int json_int(const json_node *n, int64_t *out);
int json_double(const json_node *n, double *out);

#endif
