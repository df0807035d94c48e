/*
 * write_tensor.h - what a feature tensor may be before it is written.
 */
#ifndef EF_WRITE_TENSOR_H
#define EF_WRITE_TENSOR_H

#include <stdint.h>

/* Feature tensors are small-rank ([N, D], [N, tokens, D], ...); the bound
 * keeps header text and stride arrays on the stack. */
#define WRITE_MAX_DIMS 16

/* Checks a feature tensor (1 <= ndim <= WRITE_MAX_DIMS, at least one row,
 * no negative size, byte count fits in size_t, data present unless empty)
 * and returns the element count in *numel. EF_EINVAL naming `what`
 * (usually the path). */
int write_check_tensor(const char *what, const float *data,
                       const int64_t *shape, int ndim, int64_t *numel);

#endif
