/*
 * queue.h - the bounded queue between the decode workers and the inference
 * loop. Window items count against the bound (they hold the big buffers);
 * the small per-video messages never block, so a worker can always report
 * a failure or an end.
 */
#ifndef EF_QUEUE_H
#define EF_QUEUE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buffer_pool.h"

typedef enum {
  ITEM_START,  /* a video opened; value = expected windows (-1 unknown) */
  ITEM_WINDOW, /* one window's model input */
  ITEM_END,    /* a video ended; value = windows, frames = frames */
  ITEM_FAILED, /* a video failed; error = message */
  ITEM_SKIPPED /* complete output existed */
} item_kind;

typedef struct item {
  item_kind kind;
  size_t video;
  int64_t window;    /* ITEM_WINDOW: index within the video */
  double start, end; /* ITEM_WINDOW: the window's time range, seconds */
  int64_t value;
  int64_t frames;    /* ITEM_END: frames at the run's fps */
  float *data;       /* ITEM_WINDOW: the model input of one window */
  buffer_pool *pool; /* where data goes back to (NULL: free it) */
  int64_t shape[4];  /* its shape: [3][T][H][W] video, [S] audio... */
  int ndim;
  char *error; /* ITEM_FAILED, ITEM_SKIPPED: why */
  struct item *next;
} item;

typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t not_empty, not_full;
  item *head, *tail;
  size_t windows, capacity;
  int producers; /* workers still running */
  int stopped;   /* the consumer gave up: producers must finish */
} queue;

int queue_init(queue *q, size_t capacity, int producers);
void queue_destroy(queue *q);
/* Takes ownership of it. Blocks while the queue is full of windows.
 * Returns 0, or -1 if the queue was stopped (it is then freed). */
int queue_push(queue *q, item *it);
/* Next item, or NULL once every producer has finished and the queue is
 * empty. *waited gets the seconds spent blocked. */
item *queue_pop(queue *q, double *waited);
/* A producer is done. */
void queue_producer_done(queue *q);
/* Wakes and stops producers; pending items are dropped. */
void queue_stop(queue *q);
int queue_is_stopped(queue *q);
void item_free(item *it);

#endif
