/*
 * h5index.c - the uids of a features file and their provenance texts,
 * for the store's "is it done?" (h5file.h). Reads both layouts.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/h5attr.h"
#include "output/h5file.h"
#include "util/error.h"

typedef struct {
  char **uids, **texts;
  size_t n, cap;
  int failed;
  int layout;
} index_ctx;

static herr_t index_one(hid_t f, const char *name, const H5L_info_t *info,
                        void *arg) {
  (void)info;
  index_ctx *c = arg;
  if (c->n == c->cap) {
    size_t nc = c->cap ? c->cap * 2 : 64;
    char **u = realloc(c->uids, nc * sizeof *u);
    if (u)
      c->uids = u;
    char **t = realloc(c->texts, nc * sizeof *t);
    if (t)
      c->texts = t;
    if (!u || !t) {
      c->failed = 1;
      return 1;
    }
    c->cap = nc;
  }
  if (c->layout == 2 && strcmp(name, H5_TIMES) == 0)
    return 0; /* the window times, not a uid */
  /* A dataset (this layout) or a group (the first one). */
  hid_t o = H5Oopen(f, name, H5P_DEFAULT);
  char *text = o >= 0 ? h5attr_get_str(o, "provenance") : NULL;
  if (o >= 0)
    H5Oclose(o);
  c->uids[c->n] = strdup(name);
  c->texts[c->n] = text ? text : strdup("");
  c->n++;
  if (!c->uids[c->n - 1] || !c->texts[c->n - 1]) {
    c->failed = 1;
    return 1;
  }
  return 0;
}

int h5file_index(const char *h5_path, char ***uids, char ***texts, size_t *n) {
  *uids = *texts = NULL;
  *n = 0;
  if (access(h5_path, F_OK) != 0)
    return EF_OK;
  h5attr_quiet();
  hid_t f = H5Fopen(h5_path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0)
    return ef_error_set(EF_EINVAL, "%s: not an HDF5 file this tool can read",
                        h5_path);
  index_ctx c = {0};
  c.layout = h5attr_layout(f);
  hsize_t idx = 0;
  int rc = EF_OK;
  if (!c.layout)
    rc = ef_error_set(EF_EINVAL,
                      "%s: not an ego4dfeat features file (no format "
                      "attribute \"" H5_FORMAT "\")",
                      h5_path);
  else if (H5Literate(f, H5_INDEX_NAME, H5_ITER_INC, &idx, index_one, &c) < 0 ||
           c.failed)
    rc = ef_error_set(EF_EIO, "cannot list the uids of %s: %s", h5_path,
                      h5attr_error_text());
  H5Fclose(f);
  if (rc != EF_OK) {
    h5file_index_free(c.uids, c.texts, c.n);
    return rc;
  }
  *uids = c.uids;
  *texts = c.texts;
  *n = c.n;
  return EF_OK;
}

void h5file_index_free(char **uids, char **texts, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(uids ? uids[i] : NULL);
    free(texts ? texts[i] : NULL);
  }
  free(uids);
  free(texts);
}
