/*
 * write_internal.h - what write.c, write_pt.c and write_npy.c share: the
 * per-format encoders and completeness checks. Internal to the core library
 * (the unit tests link the core statically and reach these directly).
 */
#ifndef EF_WRITE_INTERNAL_H
#define EF_WRITE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "output/write_tensor.h"
#include "util/error.h"
#include "util/membuf.h"

/* The pickle (protocol 2) that torch.load turns into a contiguous float32
 * tensor of this shape backed by storage "0". */
int write_pt_pickle(membuf *b, const int64_t *shape, int ndim, int64_t numel);
/* A whole torch.save-compatible zip archive in memory (caller frees). */
int write_pt_encode(const char *what, const float *data, const int64_t *shape,
                    int ndim, void **out, size_t *len);
/* A whole .npy v1.0 file in memory (caller frees). */
int write_npy_encode(const char *what, const float *data, const int64_t *shape,
                     int ndim, void **out, size_t *len);

/* Appends a .npy v1.0 header (magic to '\n', data 64-byte aligned) for
 * an array of dtype descr (e.g. "<f8"); -1 when out of memory. */
int write_npy_header(membuf *b, const char *descr, const int64_t *shape,
                     int ndim);
/* 1 if path is a complete .npy of dtype descr (elsize bytes per element),
 * else 0. With ndim non-NULL, the shape goes to shape[0..*ndim) (*ndim -1
 * when the rank exceeds max_dims). */
int write_npy_check(const char *path, const char *descr, size_t elsize,
                    int64_t *shape, int *ndim, int max_dims);

/* Reads a complete .pt feature file (ours, or torch.save's of one
 * contiguous float32 tensor): *data (caller frees) and its shape.
 * EF_EINVAL naming the file if it is not one. */
int write_pt_read(const char *path, float **data, int64_t *shape, int *ndim);
/* The same for a .npy float32 file. */
int write_npy_read(const char *path, float **data, int64_t *shape, int *ndim);

/* The message for a uid that .npy outputs cannot hold ("x.times"), or
 * NULL (*rc EF_OK, or EF_ENOMEM). */
char *write_npy_uid_problem(const char *uid, int *rc);

/* 1 if the file at path is a complete archive / array, else 0. */
int write_pt_complete(const char *path);
int write_npy_complete(const char *path);

#endif
