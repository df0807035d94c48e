/*
 * config_tree.h - the in-memory tree behind ef_config, and the internal
 * functions the config_*.c files share: the tree itself (config_tree.c),
 * YAML parsing and dumping (config_yaml.c) and Hydra overrides
 * (config_override.c).
 *
 * Functions that can fail record a message with ef_error_set() and return
 * the negative status, like the rest of the library.
 */
#ifndef EF_CONFIG_TREE_H
#define EF_CONFIG_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ego4dfeat/ego4dfeat.h"

typedef enum { CFG_NULL, CFG_SCALAR, CFG_LIST, CFG_MAP } cfg_kind;

/* What a scalar means. Quoted scalars are always CFG_T_STR. */
typedef enum {
  CFG_T_NULL,
  CFG_T_BOOL,
  CFG_T_INT,
  CFG_T_FLOAT,
  CFG_T_STR
} cfg_type;

typedef struct cfg_node cfg_node;
struct cfg_node {
  cfg_kind kind;
  bool quoted;     /* scalar: was quoted (or block) in the source */
  bool user_added; /* created by a '+'/'++' override: no schema check */
  char *text;      /* scalar: the text as written */
  size_t len, cap; /* list / map: item count and capacity */
  char **keys;     /* map: keys, in insertion order */
  cfg_node **items;
};

/* The handle behind the public API: only the tree. */
struct ef_config {
  cfg_node *root;
};

/* ---- Nodes (config_tree.c) ---------------------------------------------- */

/* New nodes, or NULL when out of memory (no error is recorded). */
cfg_node *cfg_node_new(cfg_kind kind);
cfg_node *cfg_node_new_scalar(const char *text, size_t len, bool quoted);
void cfg_node_free(cfg_node *n);
/* Deep copy including flags; NULL (and EF_ENOMEM recorded) on failure. */
cfg_node *cfg_node_clone(const cfg_node *n);
/* Same kind and same meaning: scalars compare by type, then numerically or
 * by text; maps compare key by key in order. Flags are ignored. */
bool cfg_node_equal(const cfg_node *a, const cfg_node *b);

/* Appends to a list; takes `item` on success only. */
int cfg_list_append(cfg_node *list, cfg_node *item);
/* Index of `key` in a map, or -1. */
ptrdiff_t cfg_map_find(const cfg_node *map, const char *key);
/* Adds key -> value at the end of a map (key must be absent); takes
 * `value` on success only. */
int cfg_map_add(cfg_node *map, const char *key, cfg_node *value);
/* Removes and frees entry i of a map. */
void cfg_map_remove(cfg_node *map, size_t i);

/* Recursively merges src into dst (both maps): maps merge, anything else
 * in src replaces dst's value. src is not changed. */
int cfg_node_merge(cfg_node *dst, const cfg_node *src);

/* ---- Scalars ------------------------------------------------------------ */

/* The type a plain (unquoted) scalar with this text has. */
cfg_type cfg_text_type(const char *text);
/* The type of a node: CFG_T_NULL for null nodes, the text's type for
 * scalars, CFG_T_STR for quoted ones. Lists and maps give -1. */
int cfg_node_type(const cfg_node *n);
/* Interpretations; 0 on success, -1 if the scalar is not of that type (or
 * the integer does not fit). Doubles accept ints; bools accept 0 and 1. */
int cfg_scalar_int(const cfg_node *n, int64_t *out);
int cfg_scalar_double(const cfg_node *n, double *out);
int cfg_scalar_bool(const cfg_node *n, int *out);
/* A short name for error messages: "map", "list", "null", "int", ... */
const char *cfg_node_type_name(const cfg_node *n);

/* ---- Dotted paths ------------------------------------------------------- */

/* The node at a dotted path ("io.uid_list", "model_config.mean.0": a number
 * indexes a list), or NULL if absent. */
cfg_node *cfg_tree_get(const cfg_node *root, const char *path);

/* cfg_tree_put flags. */
enum {
  CFG_PUT_PARENTS = 1, /* create missing intermediate maps */
  CFG_PUT_USER = 2     /* mark created nodes as added by the user */
};
/* Stores value at path, replacing an existing value (which passes on its
 * user_added flag). Always takes `value`, even on failure. */
int cfg_tree_put(cfg_node *root, const char *path, cfg_node *value, int flags);
/* Removes the key at path; EF_ECONFIG if absent. */
int cfg_tree_delete(cfg_node *root, const char *path);
/* Checks a dotted path's syntax (non-empty segments of [A-Za-z0-9_-]). */
int cfg_path_check(const char *path, const char *what);

/* ---- YAML (config_yaml.c) ----------------------------------------------- */

/* Parses one YAML document into a map tree. `origin` names the source in
 * messages (a file path, or "<string>"). An empty document is an empty
 * map. Aliases and non-map roots are rejected. */
int cfg_yaml_parse(const char *text, size_t len, const char *origin,
                   cfg_node **out);
/* Writes the tree as block-style YAML; *out is malloc'ed. */
int cfg_yaml_dump(const cfg_node *root, char **out);

/* ---- Overrides (config_override.c) -------------------------------------- */

/* Applies one Hydra-style override ("a.b=v", "+a.b=v", "++a.b=v", "~a.b",
 * "~a.b=v") to the tree. Not atomic and no schema check: callers work on
 * a copy and validate afterwards (see config.c). */
int cfg_override_apply(cfg_node *root, const char *override);
/* Plain set of one key ("path=value" without the parsing of `path=`). */
int cfg_override_set(cfg_node *root, const char *path, const char *value);

#endif
