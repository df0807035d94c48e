/*
 * sized.h - options structs that start with the caller's own size
 * (ef_params, ef_plan_options), so that fields added at the end in a
 * later version are safe: an older caller's struct is shorter, the
 * library never writes past it, and the fields it does not have keep
 * their defaults.
 */
#ifndef EF_SIZED_H
#define EF_SIZED_H

#include <stddef.h>

/* The _init side: copies the first size bytes of defaults (a struct of
 * lib_size bytes) into dst, which is the caller's struct of size bytes,
 * then stores size in its leading size_t. A NULL dst, or a size below
 * min_size (the struct of the first version with a size field) or above
 * lib_size (a header newer than the library), is EF_EINVAL naming
 * type_name; dst is then not written. */
int sized_init(void *dst, size_t size, size_t min_size, const void *defaults,
               size_t lib_size, const char *type_name);

/* The reading side: dst (dst_size bytes) holds the defaults; src's first
 * member is a size_t giving its size. Copies src's first size bytes over
 * dst. A size below min_size or above dst_size is EF_EINVAL naming
 * type_name. */
int sized_read(void *dst, size_t dst_size, size_t min_size, const void *src,
               const char *type_name);

#endif
