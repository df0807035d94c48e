/*
 * pipeline_worker.h - what the decode workers and the inference loop of
 * pipeline.c share: the run's read-only inputs and the window queue.
 */
#ifndef EF_PIPELINE_WORKER_H
#define EF_PIPELINE_WORKER_H

#include <pthread.h>
#include <stdatomic.h>

#include "output/store.h"
#include "run/pipeline.h"
#include "window/queue.h"

typedef struct {
  const ef_settings *s;
  const store *store; /* NULL: features stay in memory */
  const pipeline_video *videos;
  size_t n;
  int decode_threads;
  queue q;
  buffer_pool *pool; /* window buffers, shared by the workers */
  atomic_size_t next_video;
  /* Per video: taken by the worker before the video's first item, given
   * up by the inference side once the video has ended (pipeline.c). */
  claim *claims;
  pthread_mutex_t busy_lock;
  double decode_busy; /* summed over workers */
} run_shared;

/* A decode worker's thread: takes videos from rs->next_video until none
 * are left or the queue is stopped, pushing their items; ends with
 * queue_producer_done. */
void *pipeline_worker_main(void *run_shared_arg);

/* io.debug_mode's PNG name for a window: "w000012_t0012.80-0013.87.png"
 * (window index zero-padded to 6 digits, start and end in seconds). */
void debug_file_name(int64_t window, double start, double end, char *buf,
                     size_t n);

#endif
