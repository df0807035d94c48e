/*
 * config_schema.h - the table of valid config keys and their types, and
 * the checks run on a tree after every load and override.
 */
#ifndef EF_CONFIG_SCHEMA_H
#define EF_CONFIG_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "config/config_tree.h"

typedef enum {
  CFG_S_STR,
  CFG_S_INT,
  CFG_S_FLOAT, /* ints accepted */
  CFG_S_BOOL,  /* true/false/yes/no/on/off, and the ints 0 and 1 */
  CFG_S_RATE,  /* 30, 29.97 or "30000/1001" */
  CFG_S_LIST_STR,
  CFG_S_LIST_FLOAT,
  CFG_S_MAP
} cfg_schema_type;

typedef struct {
  const char *path; /* full dotted key */
  cfg_schema_type type;
  int nullable;
  const char *const *choices; /* NULL-terminated allowed strings, or NULL */
  int has_min;
  int64_t min; /* ints: smallest allowed value when has_min */
} cfg_schema_entry;

/* The entry for a full dotted key, or NULL if the schema does not know it. */
const cfg_schema_entry *cfg_schema_find(const char *path);

/* Checks every key of the tree: EF_ECONFIG naming the key on an unknown key
 * (with the nearest valid one), a wrong type or an out-of-range value. Keys
 * added by the user ('+' overrides) may be unknown; known ones are still
 * type-checked. */
int cfg_schema_validate(const cfg_node *root);

/* " (did you mean 'x'?)" naming the valid key nearest to `path` by edit
 * distance, among the schema's keys and the user-added keys of `root`
 * (may be NULL); "" if there is none. A per-thread buffer, valid until the
 * next call. */
const char *cfg_schema_hint(const cfg_node *root, const char *path);

#endif
