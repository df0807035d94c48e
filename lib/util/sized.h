/*
 * sized.h - reading a caller's options struct that starts with its own
 * size (ef_params, ef_plan_options), so that fields added at the end in a
 * later version are safe: an older caller's struct is shorter, and the
 * fields it does not have keep their defaults.
 */
#ifndef EF_SIZED_H
#define EF_SIZED_H

#include <stddef.h>

/* dst (dst_size bytes) holds the defaults; src's first member is a
 * size_t giving its size. Copies src's first size bytes over dst. A size
 * below min_size (the struct of the first version with a size field) or
 * above dst_size is EF_EINVAL naming type_name. */
int sized_read(void *dst, size_t dst_size, size_t min_size, const void *src,
               const char *type_name);

#endif
