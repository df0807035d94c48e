/*
 * h5attr.c - string attributes, the layout check and HDF5's error text
 * (see h5attr.h).
 */
#include "output/h5attr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void h5attr_quiet(void) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/* The walk of H5Ewalk2 from the innermost entry: the first description
 * is the most specific one (a system call's message, for instance). */
static herr_t first_message(unsigned n, const H5E_error2_t *e, void *arg) {
  char *buf = arg;
  (void)n;
  if (!buf[0] && e && e->desc && *e->desc)
    snprintf(buf, 256, "%s", e->desc);
  return 0;
}

const char *h5attr_error_text(void) {
  static _Thread_local char buf[256];
  buf[0] = '\0';
  if (H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, first_message, buf) < 0 || !buf[0])
    snprintf(buf, sizeof buf, "unknown HDF5 error");
  return buf;
}

static hid_t str_type(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t >= 0 &&
      (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
    H5Tclose(t);
    return -1;
  }
  return t;
}

int h5attr_put_str(hid_t obj, const char *name, const char *value) {
  hid_t t = str_type(), sp = H5Screate(H5S_SCALAR), a = -1;
  int ok = t >= 0 && sp >= 0 &&
           (a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT)) >= 0 &&
           H5Awrite(a, t, &value) >= 0;
  if (a >= 0 && H5Aclose(a) < 0)
    ok = 0;
  if (sp >= 0)
    H5Sclose(sp);
  if (t >= 0)
    H5Tclose(t);
  return ok ? 0 : -1;
}

char *h5attr_get_str(hid_t obj, const char *name) {
  if (H5Aexists(obj, name) <= 0)
    return NULL;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  hid_t t = str_type();
  char *v = NULL, *copy = NULL;
  if (a >= 0 && t >= 0 && H5Aread(a, t, &v) >= 0 && v) {
    copy = strdup(v);
    H5free_memory(v);
  }
  if (t >= 0)
    H5Tclose(t);
  if (a >= 0)
    H5Aclose(a);
  return copy;
}

int h5attr_layout(hid_t file) {
  char *format = h5attr_get_str(file, "format");
  int layout = !format                                 ? 0
               : strcmp(format, H5_FORMAT) == 0        ? 2
               : strcmp(format, H5_FORMAT_GROUPS) == 0 ? 1
                                                       : 0;
  free(format);
  return layout;
}
