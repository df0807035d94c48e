/*
 * sized.c - see sized.h.
 */
#include "util/sized.h"

#include <string.h>

#include "util/error.h"

int sized_read(void *dst, size_t dst_size, size_t min_size, const void *src,
               const char *type_name) {
  size_t size;
  memcpy(&size, src, sizeof size);
  if (size == 0)
    return ef_error_set(EF_EINVAL,
                        "%s.size is 0: start from %s_default(), which sets "
                        "it",
                        type_name, type_name);
  if (size < min_size || size > dst_size)
    return ef_error_set(EF_EINVAL,
                        "%s.size is %zu, and this library (%s) knows sizes "
                        "%zu to %zu: the program was built with another "
                        "version's ego4dfeat.h",
                        type_name, size, EF_VERSION_STRING, min_size, dst_size);
  memcpy(dst, src, size);
  return EF_OK;
}
