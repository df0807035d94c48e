/*
 * queue.c - a mutex/condition-variable FIFO with a bound on the number of
 * window items in flight (see queue.h).
 */
#include "window/queue.h"
#include "util/clock.h"

#include <stdlib.h>
#include <time.h>

void item_free(item *it) {
  if (!it)
    return;
  size_t floats = 1;
  for (int d = 0; d < it->ndim; d++)
    floats *= (size_t)it->shape[d];
  buffer_pool_put(it->pool, it->data, floats);
  free(it->error);
  free(it);
}

int queue_init(queue *q, size_t capacity, int producers) {
  q->head = q->tail = NULL;
  q->windows = 0;
  q->capacity = capacity ? capacity : 1;
  q->producers = producers;
  q->stopped = 0;
  if (pthread_mutex_init(&q->lock, NULL) != 0)
    return -1;
  if (pthread_cond_init(&q->not_empty, NULL) != 0) {
    pthread_mutex_destroy(&q->lock);
    return -1;
  }
  if (pthread_cond_init(&q->not_full, NULL) != 0) {
    pthread_cond_destroy(&q->not_empty);
    pthread_mutex_destroy(&q->lock);
    return -1;
  }
  return 0;
}

static void drop_all(queue *q) {
  while (q->head) {
    item *it = q->head;
    q->head = it->next;
    item_free(it);
  }
  q->tail = NULL;
  q->windows = 0;
}

void queue_destroy(queue *q) {
  drop_all(q);
  pthread_cond_destroy(&q->not_full);
  pthread_cond_destroy(&q->not_empty);
  pthread_mutex_destroy(&q->lock);
}

int queue_push(queue *q, item *it) {
  it->next = NULL;
  pthread_mutex_lock(&q->lock);
  if (it->kind == ITEM_WINDOW)
    while (q->windows >= q->capacity && !q->stopped)
      pthread_cond_wait(&q->not_full, &q->lock);
  if (q->stopped) {
    pthread_mutex_unlock(&q->lock);
    item_free(it);
    return -1;
  }
  if (q->tail)
    q->tail->next = it;
  else
    q->head = it;
  q->tail = it;
  if (it->kind == ITEM_WINDOW)
    q->windows++;
  pthread_cond_signal(&q->not_empty);
  pthread_mutex_unlock(&q->lock);
  return 0;
}

item *queue_pop(queue *q, double *waited) {
  double t0 = 0;
  int blocked = 0;
  pthread_mutex_lock(&q->lock);
  while (!q->head && q->producers > 0 && !q->stopped) {
    if (!blocked) {
      blocked = 1;
      t0 = clock_now_seconds();
    }
    pthread_cond_wait(&q->not_empty, &q->lock);
  }
  item *it = q->stopped ? NULL : q->head;
  if (it) {
    q->head = it->next;
    if (!q->head)
      q->tail = NULL;
    if (it->kind == ITEM_WINDOW) {
      q->windows--;
      pthread_cond_signal(&q->not_full);
    }
    it->next = NULL;
  }
  pthread_mutex_unlock(&q->lock);
  if (waited)
    *waited = blocked ? clock_now_seconds() - t0 : 0.0;
  return it;
}

void queue_producer_done(queue *q) {
  pthread_mutex_lock(&q->lock);
  q->producers--;
  pthread_cond_broadcast(&q->not_empty);
  pthread_mutex_unlock(&q->lock);
}

void queue_stop(queue *q) {
  pthread_mutex_lock(&q->lock);
  q->stopped = 1;
  drop_all(q);
  pthread_cond_broadcast(&q->not_full);
  pthread_cond_broadcast(&q->not_empty);
  pthread_mutex_unlock(&q->lock);
}

int queue_is_stopped(queue *q) {
  pthread_mutex_lock(&q->lock);
  int s = q->stopped;
  pthread_mutex_unlock(&q->lock);
  return s;
}
