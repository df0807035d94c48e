/*
 * config_edit.c - see config_edit.h.
 */
#include "config/config_edit.h"

#include <stdlib.h>
#include <string.h>

#include "config/config_tree.h"
#include "util/error.h"

static int nomem(void) {
  return ef_error_set(EF_ENOMEM, "out of memory");
}

int config_put_string(ef_config *c, const char *path, const char *value,
                      int create) {
  cfg_node *n = cfg_node_new_scalar(value, strlen(value), true);
  if (!n)
    return nomem();
  return cfg_tree_put(c->root, path, n, create ? CFG_PUT_PARENTS : 0);
}

int config_put_string_list(ef_config *c, const char *path,
                           const char *const *items, size_t n) {
  cfg_node *list = cfg_node_new(CFG_LIST);
  if (!list)
    return nomem();
  for (size_t i = 0; i < n; i++) {
    cfg_node *item = cfg_node_new_scalar(items[i], strlen(items[i]), true);
    if (!item || cfg_list_append(list, item) != EF_OK) {
      cfg_node_free(item);
      cfg_node_free(list);
      return nomem();
    }
  }
  return cfg_tree_put(c->root, path, list, CFG_PUT_PARENTS);
}

int config_put_plain(ef_config *c, const char *path, const char *text) {
  cfg_node *n = cfg_node_new_scalar(text, strlen(text), false);
  if (!n)
    return nomem();
  return cfg_tree_put(c->root, path, n, CFG_PUT_PARENTS);
}

int config_from_checked_yaml(const char *origin, const char *text,
                             ef_config **out) {
  *out = NULL;
  cfg_node *root = NULL;
  int rc = cfg_yaml_parse(text, strlen(text), origin, &root);
  if (rc != EF_OK)
    return rc;
  ef_config *c = malloc(sizeof *c);
  if (!c) {
    cfg_node_free(root);
    return nomem();
  }
  c->root = root;
  *out = c;
  return EF_OK;
}
