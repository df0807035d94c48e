/*
 * labels.h - the class names of a classifier model, for `ego4dfeat
 * inference`: read from a labels file and matched against the class folder
 * names of a dataset (Kinetics "air_drumming", ImageNet "n01440764").
 */
#ifndef EF_CLI_LABELS_H
#define EF_CLI_LABELS_H

#include <stddef.h>

typedef struct {
  char *name; /* display name, e.g. "air drumming" or "tench" */
  char *id;   /* a folder id such as an ImageNet wnid, or NULL */
} label;

typedef struct {
  label *items; /* items[i] names logit i */
  size_t n;
} label_set;

/* Reads a labels file, in one of these forms:
 *  - text: one class per line, in logit order; a line "n01440764 tench"
 *    (an ImageNet wnid, then the name) sets both id and name;
 *  - JSON: ["a", "b"], [["n01440764", "tench"], ...],
 *    {"0": "a", ...}, {"0": ["n01440764", "tench"], ...}, or
 *    {"a": 0, ...} (Kinetics' kinetics_classnames.json; quotes inside
 *    names are dropped, as the reference does).
 * Returns 0, or -1 with a message in err. */
int labels_load(const char *path, label_set *out, char *err, size_t errlen);
void labels_free(label_set *l);

/* The index of the class a dataset folder denotes (same id, or the same
 * name once lower-cased with '_' read as ' '), or -1. alias, if not NULL,
 * is another name for the folder (from the dataset's labels.txt). */
long labels_find(const label_set *l, const char *folder, const char *alias);

/* A dataset's own folder-to-name map, "<dir_name>,<class_name>" per line
 * (the reference reads <dataset_dir>/labels.txt for ImageNet). Absent
 * file: an empty map and 0. */
typedef struct {
  char **dirs, **names;
  size_t n;
} folder_map;
int folder_map_load(const char *path, folder_map *out, char *err,
                    size_t errlen);
const char *folder_map_get(const folder_map *m, const char *dir);
void folder_map_free(folder_map *m);

#endif
