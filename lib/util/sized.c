/*
 * sized.c - see sized.h.
 */
#include "util/sized.h"

#include <string.h>

#include "util/error.h"

static int size_known(size_t size, size_t min_size, size_t lib_size,
                      const char *type_name) {
  if (size == 0)
    return ef_error_set(EF_EINVAL,
                        "%s.size is 0: start from %s_init(&s, sizeof s), "
                        "which sets it",
                        type_name, type_name);
  if (size < min_size || size > lib_size)
    return ef_error_set(EF_EINVAL,
                        "%s.size is %zu, and this library (%s) knows sizes "
                        "%zu to %zu: the program was built with another "
                        "version's ego4dfeat.h",
                        type_name, size, EF_VERSION_STRING, min_size, lib_size);
  return EF_OK;
}

int sized_init(void *dst, size_t size, size_t min_size, const void *defaults,
               size_t lib_size, const char *type_name) {
  if (!dst)
    return ef_error_set(EF_EINVAL, "%s_init: NULL struct", type_name);
  if (size_known(size, min_size, lib_size, type_name) != EF_OK)
    return EF_EINVAL;
  memcpy(dst, defaults, size);
  memcpy(dst, &size, sizeof size);
  return EF_OK;
}

int sized_read(void *dst, size_t dst_size, size_t min_size, const void *src,
               const char *type_name) {
  size_t size;
  memcpy(&size, src, sizeof size);
  if (size_known(size, min_size, dst_size, type_name) != EF_OK)
    return EF_EINVAL;
  memcpy(dst, src, size);
  return EF_OK;
}
