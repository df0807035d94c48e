/*
 * h5attr.h - what h5file.c and h5index.c share about ego4dfeat's HDF5
 * files: the layout's names and the string attributes.
 */
#ifndef EF_H5ATTR_H
#define EF_H5ATTR_H

#include <hdf5.h>

/* The root's format attribute of the current layout (h5file.h), and of
 * the first one (/<uid> a group holding features, window_start and
 * window_end), which merge converts and the index still reads. */
#define H5_FORMAT "ego4dfeat features 2"
#define H5_FORMAT_GROUPS "ego4dfeat features 1"
/* The group of every uid's window times. */
#define H5_TIMES "_window_times"

/* Which layout the format attribute of an open file says: 2, 1, or 0 when
 * it is not ours. */
int h5attr_layout(hid_t file);

/* HDF5 prints its error stack to stderr by default; our messages name
 * the file and the step instead (h5attr_error_text says why). */
void h5attr_quiet(void);
/* The innermost message of HDF5's error stack of this thread (e.g. "No
 * space left on device"), or "unknown HDF5 error"; a static buffer. */
const char *h5attr_error_text(void);

/* A UTF-8 string attribute: 0, or -1 on failure. */
int h5attr_put_str(hid_t obj, const char *name, const char *value);
/* A string attribute, or NULL (caller frees). */
char *h5attr_get_str(hid_t obj, const char *name);

#endif
