/*
 * write_tensor.c - the one check every feature tensor passes before any
 * encoder (write_pt.c, write_npy.c, write_hdf5.c) turns it into bytes.
 */
#include "output/write_tensor.h"

#include <stdint.h>

#include "util/error.h"

int write_check_tensor(const char *what, const float *data,
                       const int64_t *shape, int ndim, int64_t *numel) {
  if (!shape || ndim < 1 || ndim > WRITE_MAX_DIMS)
    return ef_error_set(EF_EINVAL,
                        "%s: a feature tensor needs 1 to %d dimensions "
                        "(got %d)",
                        what, WRITE_MAX_DIMS, ndim);
  /* Every video yields at least one window, so zero rows means a bug
   * upstream; refusing here keeps an empty file from counting as done. */
  if (shape[0] < 1)
    return ef_error_set(EF_EINVAL,
                        "%s: a feature tensor needs at least one row "
                        "(shape[0] = %lld)",
                        what, (long long)shape[0]);
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0)
      return ef_error_set(EF_EINVAL, "%s: negative size %lld in dimension %d",
                          what, (long long)shape[i], i);
    if (shape[i] != 0 && n > INT64_MAX / 4 / shape[i])
      return ef_error_set(EF_EINVAL, "%s: tensor shape is too large", what);
    n *= shape[i];
  }
  if ((uint64_t)n > SIZE_MAX / 4)
    return ef_error_set(EF_EINVAL, "%s: tensor shape is too large", what);
  if (!data && n > 0)
    return ef_error_set(EF_EINVAL, "%s: no feature data", what);
  *numel = n;
  return EF_OK;
}
