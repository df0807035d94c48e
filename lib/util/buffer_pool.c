/*
 * buffer_pool.c - a mutex-protected stack of equal-sized float buffers
 * (see buffer_pool.h).
 */
#include "util/buffer_pool.h"

#include <pthread.h>
#include <stdlib.h>

struct buffer_pool {
  pthread_mutex_t lock;
  size_t floats;   /* the size of every buffer held */
  size_t n, max;   /* held, and the most to hold */
  float **buffers; /* max slots */
};

buffer_pool *buffer_pool_create(size_t max_free) {
  buffer_pool *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->max = max_free;
  p->buffers = calloc(max_free ? max_free : 1, sizeof *p->buffers);
  if (!p->buffers || pthread_mutex_init(&p->lock, NULL) != 0) {
    free(p->buffers);
    free(p);
    return NULL;
  }
  return p;
}

float *buffer_pool_get(buffer_pool *p, size_t floats) {
  float *buf = NULL;
  if (p) {
    pthread_mutex_lock(&p->lock);
    if (p->n > 0 && p->floats == floats)
      buf = p->buffers[--p->n];
    pthread_mutex_unlock(&p->lock);
  }
  return buf ? buf : malloc(sizeof(float) * (floats ? floats : 1));
}

void buffer_pool_put(buffer_pool *p, float *buf, size_t floats) {
  if (!p) {
    free(buf);
    return;
  }
  pthread_mutex_lock(&p->lock);
  if (p->floats != floats) {
    /* Another size from now on (a run's whole-file audio windows differ
     * from file to file): the buffers held will not be asked for again. */
    for (size_t i = 0; i < p->n; i++)
      free(p->buffers[i]);
    p->n = 0;
    p->floats = floats;
  }
  if (buf && p->n < p->max) {
    p->buffers[p->n++] = buf;
    buf = NULL;
  }
  pthread_mutex_unlock(&p->lock);
  free(buf);
}

void buffer_pool_free(buffer_pool *p) {
  if (!p)
    return;
  for (size_t i = 0; i < p->n; i++)
    free(p->buffers[i]);
  free(p->buffers);
  pthread_mutex_destroy(&p->lock);
  free(p);
}
