/*
 * config_edit.h - the edits later stages make to a resolved config
 * without the text round trip of ef_config_set: the scheduler makes paths
 * absolute in a plan's copy, sets a bin's io.uid_list, and rebuilds a
 * plan's config from the YAML it saved. Values are stored as they are
 * given (a string stays a string, whatever its bytes), which a YAML value
 * text could not promise for any uid.
 *
 * Internal to the core library; the config tree itself stays private to
 * config/ (config_tree.h).
 */
#ifndef EF_CONFIG_EDIT_H
#define EF_CONFIG_EDIT_H

#include <stddef.h>

#include "ego4dfeat/ego4dfeat.h"

/* Sets path to the string value (quoted, so "1234" or "null" stays a
 * string), replacing what is there. create: 1 makes missing parent maps,
 * 0 needs them. EF_OK, EF_ENOMEM, or the tree's error. */
int config_put_string(ef_config *c, const char *path, const char *value,
                      int create);
/* Sets path to a list of n strings, making missing parent maps. */
int config_put_string_list(ef_config *c, const char *path,
                           const char *const *items, size_t n);
/* Sets path to the plain scalar text (a number: "-1"), making missing
 * parent maps. */
int config_put_plain(ef_config *c, const char *path, const char *text);
/* A config from YAML text already checked against the schema when it was
 * written (a plan's copy): parsed, not checked again, so the user's extras
 * (+key=value) stay as they are. origin names the text in messages. */
int config_from_checked_yaml(const char *origin, const char *text,
                             ef_config **out);

#endif
