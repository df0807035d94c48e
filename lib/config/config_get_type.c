/*
 * config_get_type.c - ef_config_get_type: what kind of value a key holds
 * (null, bool, int, float, string, list or map), so that a binding can
 * tell a quoted "001" (a string) from a plain 001 (an int), and a null
 * from an absent key, which the typed getters of config.c cannot.
 */
#include "config/config_tree.h"
#include "util/error.h"

EF_API int ef_config_get_type(const ef_config *cfg, const char *path,
                              ef_config_type *out) {
  if (!cfg || !path || !out)
    return ef_error_set(EF_EINVAL,
                        "ef_config_get_type: cfg, path and out are needed");
  const cfg_node *n = cfg_tree_get(cfg->root, path);
  if (!n)
    return ef_error_set(EF_ENOTFOUND, "key '%s' is not set", path);
  switch (n->kind) {
  case CFG_LIST: *out = EF_CONFIG_LIST; return EF_OK;
  case CFG_MAP: *out = EF_CONFIG_MAP; return EF_OK;
  case CFG_NULL: *out = EF_CONFIG_NULL; return EF_OK;
  case CFG_SCALAR: break;
  }
  /* A quoted scalar is a string whatever its text (cfg_node_type). */
  switch (cfg_node_type(n)) {
  case CFG_T_NULL: *out = EF_CONFIG_NULL; break;
  case CFG_T_BOOL: *out = EF_CONFIG_BOOL; break;
  case CFG_T_INT: *out = EF_CONFIG_INT; break;
  case CFG_T_FLOAT: *out = EF_CONFIG_FLOAT; break;
  default: *out = EF_CONFIG_STRING; break;
  }
  return EF_OK;
}
