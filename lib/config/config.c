/*
 * config.c - the public ef_config API: loading files (with Hydra's minimal
 * `defaults:` list), atomic overrides, typed getters, dump and clone. The
 * tree, YAML, override grammar and schema live in the other config_*.c
 * files.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config_schema.h"
#include "config/config_tree.h"
#include "util/error.h"
#include "util/fs.h"

/* A defaults list that includes itself would otherwise recurse forever. */
#define MAX_DEFAULTS_DEPTH 8

/* ---- Files -------------------------------------------------------------- */

static bool has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* "<dir>/<name>.yaml" (no dir for absolute names; ".yaml" unless given). */
static char *config_path(const char *dir, const char *name) {
  const char *ext =
      has_suffix(name, ".yaml") || has_suffix(name, ".yml") ? "" : ".yaml";
  bool bare = !dir || name[0] == '/';
  size_t n = (bare ? 0 : strlen(dir) + 1) + strlen(name) + strlen(ext) + 1;
  char *p = malloc(n);
  if (p)
    snprintf(p, n, "%s%s%s%s", bare ? "" : dir, bare ? "" : "/", name, ext);
  return p;
}

static int read_file(const char *path, char **text, size_t *len) {
  int rc = fs_read_all(path, SIZE_MAX, text, len);
  if (rc == -ENOENT)
    return ef_error_set(EF_ENOTFOUND, "config file '%s' not found", path);
  if (rc == -ENOMEM)
    return ef_error_set(EF_ENOMEM, "out of memory reading '%s'", path);
  if (rc != 0)
    return ef_error_set(EF_EIO, "cannot read config file '%s': %s", path,
                        strerror(-rc));
  return EF_OK;
}

static int load_tree(const char *dir, const char *name, int depth,
                     cfg_node **out);

/* Merges one `defaults:` entry into the composed result. */
static int merge_default(cfg_node *result, const cfg_node *entry,
                         const char *dir, const char *origin, size_t index,
                         int depth) {
  if (entry->kind != CFG_SCALAR)
    return ef_error_set(EF_ECONFIG,
                        "%s: defaults entry %zu is not a plain config name; "
                        "config groups ('- group: option') are not supported",
                        origin, index);
  if (!dir)
    return ef_error_set(EF_ECONFIG,
                        "%s: defaults entry '%s' needs a config directory "
                        "(load the file with ef_config_load)",
                        origin, entry->text);
  if (depth >= MAX_DEFAULTS_DEPTH)
    return ef_error_set(EF_ECONFIG,
                        "%s: defaults nested more than %d deep (does a "
                        "config include itself?)",
                        origin, MAX_DEFAULTS_DEPTH);
  cfg_node *other = NULL;
  int rc = load_tree(dir, entry->text, depth + 1, &other);
  if (rc != EF_OK)
    return rc;
  rc = cfg_node_merge(result, other);
  cfg_node_free(other);
  return rc;
}

/* Applies Hydra's `defaults:` list: entries merge in order, later ones
 * winning, with the file's own keys at `_self_` (or last, as Hydra 1.1
 * does when `_self_` is absent). Takes `self`. */
static int compose(cfg_node *self, const char *dir, const char *origin,
                   int depth, cfg_node **out) {
  int rc = EF_OK;
  ptrdiff_t at = cfg_map_find(self, "defaults");
  if (at < 0) {
    *out = self;
    return EF_OK;
  }
  cfg_node *defs = self->items[at];
  self->items[at] = NULL;
  cfg_map_remove(self, (size_t)at);
  cfg_node *result = cfg_node_new(CFG_MAP);
  if (!result) {
    rc = ef_error_set(EF_ENOMEM, "out of memory loading '%s'", origin);
    goto done;
  }
  if (defs->kind != CFG_LIST && defs->kind != CFG_NULL) {
    rc = ef_error_set(EF_ECONFIG, "%s: 'defaults' must be a list", origin);
    goto done;
  }
  bool self_merged = false;
  for (size_t i = 0; i < defs->len && rc == EF_OK; i++) {
    const cfg_node *e = defs->items[i];
    if (e->kind == CFG_SCALAR && strcmp(e->text, "_self_") == 0) {
      rc = self_merged ? EF_OK : cfg_node_merge(result, self);
      self_merged = true;
    } else {
      rc = merge_default(result, e, dir, origin, i, depth);
    }
  }
  if (rc == EF_OK && !self_merged)
    rc = cfg_node_merge(result, self);
done:
  cfg_node_free(defs);
  cfg_node_free(self);
  if (rc != EF_OK) {
    cfg_node_free(result);
    return rc;
  }
  *out = result;
  return EF_OK;
}

static int load_tree(const char *dir, const char *name, int depth,
                     cfg_node **out) {
  int rc;
  char *text = NULL;
  size_t len = 0;
  cfg_node *self = NULL;
  char *file_dir = NULL;
  char *path = config_path(dir, name);
  if (!path)
    return ef_error_set(EF_ENOMEM, "out of memory loading '%s'", name);
  if ((rc = read_file(path, &text, &len)) != EF_OK)
    goto done;
  if ((rc = cfg_yaml_parse(text, len, path, &self)) != EF_OK)
    goto done;
  /* Defaults are found beside the file that names them. */
  const char *slash = strrchr(path, '/');
  if (!(file_dir =
            slash ? strndup(path, (size_t)(slash - path)) : strdup("."))) {
    cfg_node_free(self);
    rc = ef_error_set(EF_ENOMEM, "out of memory loading '%s'", path);
    goto done;
  }
  rc = compose(self, file_dir, path, depth, out);
done:
  free(file_dir);
  free(text);
  free(path);
  return rc;
}

/* ---- Loading ------------------------------------------------------------ */

static int wrap(cfg_node *root, ef_config **out) {
  ef_config *cfg = malloc(sizeof *cfg);
  if (!cfg) {
    cfg_node_free(root);
    return ef_error_set(EF_ENOMEM, "out of memory creating a config");
  }
  cfg->root = root;
  *out = cfg;
  return EF_OK;
}

/* Where an installed library's configs are (meson puts the bundled ones
 * under <datadir>/ego4dfeat/configs); empty when built without one. */
#ifndef EF_CONFIG_INSTALL_DIR
#define EF_CONFIG_INSTALL_DIR ""
#endif

#define MAX_CANDIDATES 3

/* The folders searched for a config, in order: the one given, else
 * $EGO4DFEAT_CONFIG_DIR, ./configs and the installed configs. */
static size_t candidates(const char *config_dir, const char **out) {
  const char *env = getenv("EGO4DFEAT_CONFIG_DIR");
  size_t n = 0;
  if (config_dir) {
    out[n++] = config_dir;
    return n;
  }
  if (env && *env)
    out[n++] = env;
  out[n++] = "configs";
  if (*EF_CONFIG_INSTALL_DIR)
    out[n++] = EF_CONFIG_INSTALL_DIR;
  return n;
}

static int name_cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "a, b, c": the config names (YAML files) in the folders, sorted and
 * without repeats, or "none". malloc'd; NULL when out of memory. */
static char *available_configs(const char *const *dirs, size_t n_dirs) {
  char **names = NULL;
  size_t n = 0, cap = 0, len = 5;
  for (size_t d = 0; d < n_dirs; d++) {
    DIR *dir = opendir(dirs[d]);
    struct dirent *e;
    while (dir && (e = readdir(dir)) != NULL) {
      size_t l = strlen(e->d_name);
      if (e->d_name[0] == '.' || l < 6 || !has_suffix(e->d_name, ".yaml"))
        continue;
      if (n == cap) {
        cap = cap ? 2 * cap : 16;
        char **grown = realloc(names, cap * sizeof *names);
        if (!grown)
          break;
        names = grown;
      }
      if (!(names[n] = strndup(e->d_name, l - 5)))
        break;
      len += l - 5 + 2;
      n++;
    }
    if (dir)
      closedir(dir);
  }
  char *out = malloc(len);
  if (out) {
    strcpy(out, n ? "" : "none");
    qsort(names, n, sizeof *names, name_cmp);
    for (size_t i = 0; i < n; i++)
      if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
        strcat(strcat(out, *out ? ", " : ""), names[i]);
  }
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
  return out;
}

/* The folder to read `name` from: the first candidate holding it. A name
 * found nowhere gets the paths tried and the configs there are. */
static int find_dir(const char *config_dir, const char *name,
                    const char **dir) {
  const char *cands[MAX_CANDIDATES];
  size_t n = candidates(config_dir, cands);
  char *paths[MAX_CANDIDATES] = {NULL, NULL, NULL};
  char tried[3 * 4096 + 16] = "";
  int rc = EF_OK;
  for (size_t i = 0; i < n; i++) {
    if (!(paths[i] = config_path(cands[i], name))) {
      rc = ef_error_set(EF_ENOMEM, "out of memory loading '%s'", name);
      goto done;
    }
    if (access(paths[i], F_OK) == 0) {
      *dir = cands[i];
      goto done;
    }
    size_t used = strlen(tried);
    snprintf(tried + used, sizeof tried - used, "%s'%s'", i ? ", " : "",
             paths[i]);
  }
  char *names = available_configs(cands, n);
  rc = ef_error_set(EF_ENOTFOUND,
                    "config '%s' not found (looked for %s); configs there: "
                    "%s; choose the folder with --config-dir DIR or "
                    "EGO4DFEAT_CONFIG_DIR",
                    name, tried, names ? names : "?");
  free(names);
done:
  for (size_t i = 0; i < n; i++)
    free(paths[i]);
  return rc;
}

EF_API int ef_config_load(const char *config_dir, const char *name,
                          ef_config **out) {
  if (out)
    *out = NULL;
  if (!name || !*name || !out)
    return ef_error_set(EF_EINVAL, "ef_config_load: name and out are needed");
  const char *dir = NULL;
  cfg_node *root = NULL;
  int rc = find_dir(config_dir, name, &dir);
  if (rc != EF_OK)
    return rc;
  if ((rc = load_tree(dir, name, 0, &root)) != EF_OK)
    return rc;
  if ((rc = cfg_schema_validate(root)) != EF_OK) {
    char *path = config_path(dir, name);
    ef_error_prefix(path ? path : name);
    free(path);
    cfg_node_free(root);
    return rc;
  }
  return wrap(root, out);
}

EF_API int ef_config_parse(const char *yaml_text, ef_config **out) {
  if (out)
    *out = NULL;
  if (!yaml_text || !out)
    return ef_error_set(EF_EINVAL, "ef_config_parse: text and out are needed");
  cfg_node *self = NULL, *root = NULL;
  int rc = cfg_yaml_parse(yaml_text, strlen(yaml_text), "<string>", &self);
  if (rc != EF_OK)
    return rc;
  if ((rc = compose(self, NULL, "<string>", 0, &root)) != EF_OK)
    return rc;
  if ((rc = cfg_schema_validate(root)) != EF_OK) {
    cfg_node_free(root);
    return rc;
  }
  return wrap(root, out);
}

/* ---- Changing ----------------------------------------------------------- */

/* Changes a copy and keeps it only if it passes the schema, so a failed
 * override leaves the config as it was. */
static int change(ef_config *cfg, const char *override, const char *path,
                  const char *value) {
  cfg_node *work = cfg_node_clone(cfg->root);
  if (!work)
    return ef_error_set(EF_ENOMEM, "out of memory");
  int rc = override ? cfg_override_apply(work, override)
                    : cfg_override_set(work, path, value);
  if (rc == EF_OK)
    rc = cfg_schema_validate(work);
  if (rc != EF_OK) {
    cfg_node_free(work);
    return rc;
  }
  cfg_node_free(cfg->root);
  cfg->root = work;
  return EF_OK;
}

EF_API int ef_config_override(ef_config *cfg, const char *override) {
  if (!cfg || !override)
    return ef_error_set(EF_EINVAL, "ef_config_override: cfg and override "
                                   "are needed");
  return change(cfg, override, NULL, NULL);
}

EF_API int ef_config_set(ef_config *cfg, const char *path, const char *value) {
  if (!cfg || !path || !value)
    return ef_error_set(EF_EINVAL, "ef_config_set: cfg, path and value are "
                                   "needed");
  return change(cfg, NULL, path, value);
}

/* ---- Reading ------------------------------------------------------------ */

/* The non-null node at path, or EF_ENOTFOUND. */
static int lookup(const ef_config *cfg, const char *path,
                  const cfg_node **out) {
  if (!cfg || !path)
    return ef_error_set(EF_EINVAL, "config getter: cfg and path are needed");
  const cfg_node *n = cfg_tree_get(cfg->root, path);
  if (!n)
    return ef_error_set(EF_ENOTFOUND, "key '%s' is not set", path);
  if (n->kind == CFG_NULL)
    return ef_error_set(EF_ENOTFOUND, "key '%s' is null", path);
  *out = n;
  return EF_OK;
}

static int wrong_type(const char *path, const cfg_node *n, const char *want) {
  if (n->kind == CFG_SCALAR)
    return ef_error_set(EF_ECONFIG, "key '%s' must be %s, got %s '%s'", path,
                        want, cfg_node_type_name(n), n->text);
  return ef_error_set(EF_ECONFIG, "key '%s' must be %s, got a %s", path, want,
                      cfg_node_type_name(n));
}

EF_API int ef_config_get_string(const ef_config *cfg, const char *path,
                                const char **out) {
  const cfg_node *n = NULL;
  int rc = lookup(cfg, path, &n);
  if (rc != EF_OK)
    return rc;
  /* Any scalar reads as its text, so numbers can be read as strings. */
  if (n->kind != CFG_SCALAR)
    return wrong_type(path, n, "a string");
  *out = n->text;
  return EF_OK;
}

EF_API int ef_config_get_int(const ef_config *cfg, const char *path,
                             int64_t *out) {
  const cfg_node *n = NULL;
  int rc = lookup(cfg, path, &n);
  if (rc != EF_OK)
    return rc;
  if (cfg_scalar_int(n, out) != 0) {
    if (cfg_node_type(n) == CFG_T_INT)
      return ef_error_set(EF_ECONFIG, "key '%s': %s does not fit in 64 bits",
                          path, n->text);
    return wrong_type(path, n, "an int");
  }
  return EF_OK;
}

EF_API int ef_config_get_double(const ef_config *cfg, const char *path,
                                double *out) {
  const cfg_node *n = NULL;
  int rc = lookup(cfg, path, &n);
  if (rc != EF_OK)
    return rc;
  if (cfg_scalar_double(n, out) != 0)
    return wrong_type(path, n, "a number");
  return EF_OK;
}

EF_API int ef_config_get_bool(const ef_config *cfg, const char *path,
                              int *out) {
  const cfg_node *n = NULL;
  int rc = lookup(cfg, path, &n);
  if (rc != EF_OK)
    return rc;
  if (cfg_scalar_bool(n, out) != 0)
    return wrong_type(path, n, "a bool");
  return EF_OK;
}

EF_API int ef_config_get_list_size(const ef_config *cfg, const char *path,
                                   size_t *out) {
  const cfg_node *n = NULL;
  int rc = lookup(cfg, path, &n);
  if (rc != EF_OK)
    return rc;
  if (n->kind != CFG_LIST)
    return wrong_type(path, n, "a list");
  *out = n->len;
  return EF_OK;
}

EF_API int ef_config_get_list_string(const ef_config *cfg, const char *path,
                                     size_t index, const char **out) {
  const cfg_node *n = NULL;
  int rc = lookup(cfg, path, &n);
  if (rc != EF_OK)
    return rc;
  if (n->kind != CFG_LIST)
    return wrong_type(path, n, "a list");
  if (index >= n->len)
    return ef_error_set(EF_ENOTFOUND, "key '%s' has %zu items, no item %zu",
                        path, n->len, index);
  const cfg_node *item = n->items[index];
  if (item->kind == CFG_NULL)
    return ef_error_set(EF_ENOTFOUND, "item %zu of '%s' is null", index, path);
  if (item->kind != CFG_SCALAR)
    return ef_error_set(EF_ECONFIG, "item %zu of '%s' is a %s, not a string",
                        index, path, cfg_node_type_name(item));
  *out = item->text;
  return EF_OK;
}

/* ---- Whole configs ------------------------------------------------------ */

EF_API int ef_config_dump(const ef_config *cfg, char **out_yaml) {
  if (out_yaml)
    *out_yaml = NULL;
  if (!cfg || !out_yaml)
    return ef_error_set(EF_EINVAL, "ef_config_dump: cfg and out are needed");
  return cfg_yaml_dump(cfg->root, out_yaml);
}

EF_API int ef_config_clone(const ef_config *cfg, ef_config **out) {
  if (out)
    *out = NULL;
  if (!cfg || !out)
    return ef_error_set(EF_EINVAL, "ef_config_clone: cfg and out are needed");
  cfg_node *root = cfg_node_clone(cfg->root);
  if (!root)
    return ef_error_set(EF_ENOMEM, "out of memory");
  return wrap(root, out);
}

EF_API void ef_config_free(ef_config *cfg) {
  if (!cfg)
    return;
  cfg_node_free(cfg->root);
  free(cfg);
}
