/*
 * buffer_pool.h - window buffers recycled between the decode workers that
 * fill them and the inference loop that frees them.
 *
 * A video window is tens of megabytes ([3][32][256][256] floats is 25 MiB).
 * malloc serves such sizes with fresh mmap'd pages, and the kernel zeroes
 * every page on first touch: at 240p that cost as much as the transform.
 * A run's windows all have one size, so the freed ones are kept and handed
 * out again. Thread-safe.
 */
#ifndef EF_BUFFER_POOL_H
#define EF_BUFFER_POOL_H

#include <stddef.h>

typedef struct buffer_pool buffer_pool;

/* A pool that keeps at most max_free buffers. NULL when out of memory. */
buffer_pool *buffer_pool_create(size_t max_free);
/* A buffer of `floats` floats (contents undefined), recycled when one of
 * that size is free, else malloc'd. NULL when out of memory. p may be
 * NULL: then it is plain malloc. */
float *buffer_pool_get(buffer_pool *p, size_t floats);
/* Gives a buffer from buffer_pool_get back. Kept if the pool has room and
 * it has the size the pool holds (a new size empties the pool), else
 * freed. p may be NULL: then it is plain free. */
void buffer_pool_put(buffer_pool *p, float *buf, size_t floats);
/* Frees the pool and the buffers it holds; buffers still out must have
 * been given back or freed first. */
void buffer_pool_free(buffer_pool *p);

#endif
