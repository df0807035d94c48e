/*
 * test_queue.c - the bounded queue between the decode workers and the
 * inference loop (lib/window/queue.c): FIFO order, only window items count
 * against the bound and block a full queue, the small per-video messages
 * never block, pop ends once every producer is done, stop wakes blocked
 * producers and consumers and drops what is pending, and item_free gives
 * window buffers back to their pool. (Leaks of dropped or refused items
 * would show under the ASan build of this suite.)
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/buffer_pool.h"
#include "util/clock.h"
#include "window/queue.h"

/* The floats of every test window: shape [3][2][4][4]. */
#define WINDOW_FLOATS (3 * 2 * 4 * 4)

/* A window-less item (ITEM_START, ITEM_END, ITEM_FAILED, ITEM_SKIPPED);
 * failures and skips carry a message, as the workers' do. */
static item *make_status(item_kind kind, size_t video) {
  item *it = calloc(1, sizeof *it);
  ck_assert_ptr_nonnull(it);
  it->kind = kind;
  it->video = video;
  if (kind == ITEM_FAILED || kind == ITEM_SKIPPED) {
    it->error = strdup(kind == ITEM_FAILED ? "it failed" : "it was done");
    ck_assert_ptr_nonnull(it->error);
  }
  return it;
}

/* Window `index` of video 0, its buffer from pool (NULL: malloc). */
static item *make_window(buffer_pool *pool, int64_t index) {
  item *it = calloc(1, sizeof *it);
  ck_assert_ptr_nonnull(it);
  it->kind = ITEM_WINDOW;
  it->window = index;
  it->pool = pool;
  it->ndim = 4;
  it->shape[0] = 3;
  it->shape[1] = 2;
  it->shape[2] = it->shape[3] = 4;
  it->data = buffer_pool_get(pool, WINDOW_FLOATS);
  ck_assert_ptr_nonnull(it->data);
  it->data[0] = (float)index;
  return it;
}

/* Pops an item that must be there, checks its kind and window index, and
 * frees it. */
static void pop_expect(queue *q, item_kind kind, int64_t window) {
  double waited = -1;
  item *it = queue_pop(q, &waited);
  ck_assert_ptr_nonnull(it);
  ck_assert_int_eq(it->kind, kind);
  ck_assert_ptr_null(it->next);
  ck_assert_double_ge(waited, 0.0);
  if (kind == ITEM_WINDOW) {
    ck_assert_int_eq(it->window, window);
    ck_assert_float_eq(it->data[0], (float)window);
  }
  item_free(it);
}

/* The windows the queue counts, read under its lock (another thread may
 * be in a push). */
static size_t windows_in(queue *q) {
  pthread_mutex_lock(&q->lock);
  size_t n = q->windows;
  pthread_mutex_unlock(&q->lock);
  return n;
}

/* Polls *flag for up to `seconds`; returns its last value. Only a bound
 * for a test that would otherwise hang: nothing here asserts on speed. */
static int wait_flag(atomic_int *flag, double seconds) {
  for (double t = 0; t < seconds && !atomic_load(flag); t += 0.001)
    usleep(1000);
  return atomic_load(flag);
}

/* Whether a thread raised its flag (a plain int for Check's messages). */
static int is_set(atomic_int *flag) {
  return atomic_load(flag) != 0;
}

/* A producer thread: pushes its items in order, then raises done. */
typedef struct {
  queue *q;
  item *items[8];
  int n;
  int rc[8];
  atomic_int started, done;
} pusher;

static void *push_all(void *arg) {
  pusher *p = arg;
  atomic_store(&p->started, 1);
  for (int i = 0; i < p->n; i++)
    p->rc[i] = queue_push(p->q, p->items[i]);
  atomic_store(&p->done, 1);
  return NULL;
}

/* A consumer thread: one pop, then raises done. */
typedef struct {
  queue *q;
  item *got;
  double waited;
  atomic_int started, done;
} popper;

static void *pop_one(void *arg) {
  popper *p = arg;
  atomic_store(&p->started, 1);
  p->got = queue_pop(p->q, &p->waited);
  atomic_store(&p->done, 1);
  return NULL;
}

/* Starts a thread and waits until it runs; then sleeps a little so that a
 * thread that is going to block has reached its wait. */
static void start(pthread_t *th, void *(*fn)(void *), void *arg,
                  atomic_int *started) {
  ck_assert_int_eq(pthread_create(th, NULL, fn, arg), 0);
  ck_assert(wait_flag(started, 60.0));
  usleep(100 * 1000);
}

START_TEST(test_fifo_order) {
  queue q;
  ck_assert_int_eq(queue_init(&q, 8, 1), 0);
  ck_assert_int_eq(queue_push(&q, make_status(ITEM_START, 0)), 0);
  for (int64_t i = 0; i < 3; i++)
    ck_assert_int_eq(queue_push(&q, make_window(NULL, i)), 0);
  ck_assert_int_eq(queue_push(&q, make_status(ITEM_END, 0)), 0);
  ck_assert_int_eq(queue_push(&q, make_status(ITEM_FAILED, 1)), 0);
  ck_assert_uint_eq(windows_in(&q), 3); /* only the windows count */

  pop_expect(&q, ITEM_START, 0);
  pop_expect(&q, ITEM_WINDOW, 0);
  pop_expect(&q, ITEM_WINDOW, 1);
  ck_assert_uint_eq(windows_in(&q), 1);
  /* Items pushed while others wait go behind them. */
  ck_assert_int_eq(queue_push(&q, make_window(NULL, 3)), 0);
  pop_expect(&q, ITEM_WINDOW, 2);
  pop_expect(&q, ITEM_END, 0);
  item *failed = queue_pop(&q, NULL); /* waited may be NULL */
  ck_assert_ptr_nonnull(failed);
  ck_assert_int_eq(failed->kind, ITEM_FAILED);
  ck_assert_uint_eq(failed->video, 1);
  ck_assert_str_eq(failed->error, "it failed");
  item_free(failed);
  pop_expect(&q, ITEM_WINDOW, 3);
  ck_assert_uint_eq(windows_in(&q), 0);
  ck_assert_ptr_null(q.head);
  ck_assert_ptr_null(q.tail);
  queue_destroy(&q);
}
END_TEST

START_TEST(test_zero_capacity_means_one) {
  queue q;
  ck_assert_int_eq(queue_init(&q, 0, 1), 0);
  ck_assert_uint_eq(q.capacity, 1);
  queue_destroy(&q);
}
END_TEST

START_TEST(test_full_queue_blocks_window_push) {
  queue q;
  pthread_t th;
  pusher p = {.q = &q, .n = 1};
  ck_assert_int_eq(queue_init(&q, 2, 1), 0);
  ck_assert_int_eq(queue_push(&q, make_window(NULL, 0)), 0);
  ck_assert_int_eq(queue_push(&q, make_window(NULL, 1)), 0);

  /* A third window waits for room... */
  p.items[0] = make_window(NULL, 2);
  start(&th, push_all, &p, &p.started);
  ck_assert_int_eq(is_set(&p.done), 0);
  ck_assert_uint_eq(windows_in(&q), 2);
  /* ...which one pop makes. */
  pop_expect(&q, ITEM_WINDOW, 0);
  ck_assert(wait_flag(&p.done, 60.0));
  ck_assert_int_eq(pthread_join(th, NULL), 0);
  ck_assert_int_eq(p.rc[0], 0);
  ck_assert_int_eq(queue_is_stopped(&q), 0);
  pop_expect(&q, ITEM_WINDOW, 1);
  pop_expect(&q, ITEM_WINDOW, 2);
  queue_destroy(&q);
}
END_TEST

START_TEST(test_status_items_never_block) {
  queue q;
  pthread_t th;
  pusher p = {.q = &q, .n = 4};
  ck_assert_int_eq(queue_init(&q, 1, 1), 0);
  ck_assert_int_eq(queue_push(&q, make_window(NULL, 0)), 0); /* full */

  p.items[0] = make_status(ITEM_START, 1);
  p.items[1] = make_status(ITEM_END, 1);
  p.items[2] = make_status(ITEM_FAILED, 2);
  p.items[3] = make_status(ITEM_SKIPPED, 3);
  ck_assert_int_eq(pthread_create(&th, NULL, push_all, &p), 0);
  int done = wait_flag(&p.done, 60.0);
  if (!done)
    queue_stop(&q); /* frees the thread before failing */
  ck_assert_int_eq(pthread_join(th, NULL), 0);
  ck_assert_msg(done, "a status item blocked on a full queue");
  for (int i = 0; i < 4; i++)
    ck_assert_int_eq(p.rc[i], 0);
  ck_assert_uint_eq(windows_in(&q), 1);

  pop_expect(&q, ITEM_WINDOW, 0);
  pop_expect(&q, ITEM_START, 0);
  pop_expect(&q, ITEM_END, 0);
  item *it = queue_pop(&q, NULL);
  ck_assert_int_eq(it->kind, ITEM_FAILED);
  ck_assert_str_eq(it->error, "it failed");
  item_free(it);
  it = queue_pop(&q, NULL);
  ck_assert_int_eq(it->kind, ITEM_SKIPPED);
  ck_assert_uint_eq(it->video, 3);
  ck_assert_str_eq(it->error, "it was done");
  item_free(it);
  queue_destroy(&q);
}
END_TEST

/* A producer thread that pushes one window once the main thread has had
 * time to block in queue_pop. */
static void *push_later(void *arg) {
  queue *q = arg;
  usleep(200 * 1000);
  queue_push(q, make_window(NULL, 7));
  return NULL;
}

START_TEST(test_pop_waits_for_a_push) {
  /* waited is the time pop was blocked: never more than the call took,
   * and above 0 when it had to wait. Whether the main thread reached its
   * wait before the push is up to the scheduler, so up to three tries
   * may show it; a pop that never reports waiting fails. */
  int blocked = 0;
  for (int attempt = 0; attempt < 3 && !blocked; attempt++) {
    queue q;
    pthread_t th;
    ck_assert_int_eq(queue_init(&q, 4, 1), 0);
    ck_assert_int_eq(pthread_create(&th, NULL, push_later, &q), 0);
    double waited = -1, t0 = clock_now_seconds();
    item *it = queue_pop(&q, &waited);
    double took = clock_now_seconds() - t0;
    ck_assert_ptr_nonnull(it);
    ck_assert_int_eq(it->window, 7);
    ck_assert_double_ge(waited, 0.0);
    ck_assert_double_le(waited, took);
    blocked = waited > 0.0;
    item_free(it);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    queue_destroy(&q);
  }
  ck_assert_msg(blocked, "queue_pop never reported a wait");
}
END_TEST

START_TEST(test_pop_ends_when_producers_are_done) {
  queue q;
  pthread_t th;
  popper c = {.q = &q};
  ck_assert_int_eq(queue_init(&q, 4, 2), 0);
  ck_assert_int_eq(queue_push(&q, make_status(ITEM_END, 0)), 0);
  queue_producer_done(&q);
  /* One producer left: what was pushed still comes out... */
  pop_expect(&q, ITEM_END, 0);
  /* ...and an empty queue waits for it. */
  start(&th, pop_one, &c, &c.started);
  ck_assert_int_eq(is_set(&c.done), 0);
  queue_producer_done(&q);
  ck_assert_int_eq(pthread_join(th, NULL), 0);
  ck_assert_ptr_null(c.got);
  /* From now on pop returns at once. */
  double waited = -1;
  ck_assert_ptr_null(queue_pop(&q, &waited));
  ck_assert_double_eq(waited, 0.0);
  ck_assert_int_eq(queue_is_stopped(&q), 0);
  queue_destroy(&q);
}
END_TEST

START_TEST(test_items_left_after_last_producer_still_pop) {
  queue q;
  ck_assert_int_eq(queue_init(&q, 4, 1), 0);
  ck_assert_int_eq(queue_push(&q, make_window(NULL, 0)), 0);
  ck_assert_int_eq(queue_push(&q, make_status(ITEM_END, 0)), 0);
  queue_producer_done(&q);
  pop_expect(&q, ITEM_WINDOW, 0);
  pop_expect(&q, ITEM_END, 0);
  ck_assert_ptr_null(queue_pop(&q, NULL));
  queue_destroy(&q);
}
END_TEST

START_TEST(test_stop_wakes_blocked_producer) {
  buffer_pool *pool = buffer_pool_create(4);
  queue q;
  pthread_t th;
  pusher p = {.q = &q, .n = 1};
  ck_assert_int_eq(queue_init(&q, 1, 1), 0);
  item *pending = make_window(pool, 0);
  float *pending_data = pending->data;
  ck_assert_int_eq(queue_push(&q, pending), 0);

  p.items[0] = make_window(pool, 1);
  float *refused_data = p.items[0]->data;
  start(&th, push_all, &p, &p.started);
  ck_assert_int_eq(is_set(&p.done), 0);
  ck_assert_int_eq(queue_is_stopped(&q), 0);

  queue_stop(&q);
  ck_assert_int_eq(pthread_join(th, NULL), 0);
  ck_assert_int_eq(p.rc[0], -1); /* refused, and freed */
  ck_assert_int_eq(queue_is_stopped(&q), 1);
  /* The pending window was dropped: nothing pops, nothing counts. */
  ck_assert_ptr_null(q.head);
  ck_assert_uint_eq(windows_in(&q), 0);
  ck_assert_ptr_null(queue_pop(&q, NULL));
  /* Both buffers went back to the pool (last in, first out). */
  float *a = buffer_pool_get(pool, WINDOW_FLOATS);
  float *b = buffer_pool_get(pool, WINDOW_FLOATS);
  ck_assert(a != b);
  ck_assert((a == pending_data && b == refused_data) ||
            (a == refused_data && b == pending_data));
  buffer_pool_put(pool, a, WINDOW_FLOATS);
  buffer_pool_put(pool, b, WINDOW_FLOATS);

  /* Any later push is refused at once, status items included. */
  ck_assert_int_eq(queue_push(&q, make_status(ITEM_FAILED, 0)), -1);
  ck_assert_int_eq(queue_push(&q, make_window(NULL, 2)), -1);
  queue_destroy(&q);
  buffer_pool_free(pool);
}
END_TEST

START_TEST(test_stop_wakes_blocked_consumer) {
  queue q;
  pthread_t th;
  popper c = {.q = &q};
  ck_assert_int_eq(queue_init(&q, 4, 1), 0);
  start(&th, pop_one, &c, &c.started);
  ck_assert_int_eq(is_set(&c.done), 0);
  queue_stop(&q);
  ck_assert_int_eq(pthread_join(th, NULL), 0);
  ck_assert_ptr_null(c.got);
  ck_assert_int_eq(queue_is_stopped(&q), 1);
  queue_destroy(&q);
}
END_TEST

START_TEST(test_stop_drops_pending_items) {
  queue q;
  ck_assert_int_eq(queue_init(&q, 4, 1), 0);
  ck_assert_int_eq(queue_push(&q, make_status(ITEM_START, 0)), 0);
  ck_assert_int_eq(queue_push(&q, make_window(NULL, 0)), 0);
  ck_assert_int_eq(queue_push(&q, make_status(ITEM_FAILED, 0)), 0);
  queue_stop(&q);
  ck_assert_ptr_null(q.head);
  ck_assert_ptr_null(q.tail);
  ck_assert_uint_eq(windows_in(&q), 0);
  ck_assert_ptr_null(queue_pop(&q, NULL));
  queue_destroy(&q);
}
END_TEST

START_TEST(test_destroy_drops_pending_items) {
  buffer_pool *pool = buffer_pool_create(4);
  queue q;
  ck_assert_int_eq(queue_init(&q, 4, 1), 0);
  item *w = make_window(pool, 0);
  float *data = w->data;
  ck_assert_int_eq(queue_push(&q, make_status(ITEM_START, 0)), 0);
  ck_assert_int_eq(queue_push(&q, w), 0);
  ck_assert_int_eq(queue_push(&q, make_window(NULL, 1)), 0);
  ck_assert_int_eq(queue_push(&q, make_status(ITEM_SKIPPED, 1)), 0);
  queue_destroy(&q);
  /* The pooled window's buffer is back in the pool. */
  float *again = buffer_pool_get(pool, WINDOW_FLOATS);
  ck_assert_ptr_eq(again, data);
  buffer_pool_put(pool, again, WINDOW_FLOATS);
  buffer_pool_free(pool);
}
END_TEST

START_TEST(test_item_free_without_pool) {
  item_free(NULL);
  item *w = make_window(NULL, 0);
  w->error = strdup("also freed");
  item_free(w);
  item_free(make_status(ITEM_FAILED, 0));
  item_free(make_status(ITEM_START, 0)); /* no data, no message */
}
END_TEST

START_TEST(test_item_free_returns_buffer_to_pool) {
  buffer_pool *pool = buffer_pool_create(2);
  item *w = make_window(pool, 0);
  float *data = w->data;
  item_free(w);
  /* Given back with its size, the shape's product: served again. */
  float *again = buffer_pool_get(pool, WINDOW_FLOATS);
  ck_assert_ptr_eq(again, data);
  /* A one-dimensional (audio) item's size is its one extent. */
  item *a = calloc(1, sizeof *a);
  ck_assert_ptr_nonnull(a);
  a->kind = ITEM_WINDOW;
  a->pool = pool;
  a->ndim = 1;
  a->shape[0] = 100;
  a->data = buffer_pool_get(pool, 100);
  float *audio = a->data;
  item_free(a);
  ck_assert_ptr_eq(buffer_pool_get(pool, 100), audio);
  buffer_pool_put(pool, audio, 100);
  buffer_pool_put(pool, again, WINDOW_FLOATS);
  buffer_pool_free(pool);
}
END_TEST

int main(void) {
  Suite *s = suite_create("queue");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_fifo_order);
  tcase_add_test(tc, test_zero_capacity_means_one);
  tcase_add_test(tc, test_full_queue_blocks_window_push);
  tcase_add_test(tc, test_status_items_never_block);
  tcase_add_test(tc, test_pop_waits_for_a_push);
  tcase_add_test(tc, test_pop_ends_when_producers_are_done);
  tcase_add_test(tc, test_items_left_after_last_producer_still_pop);
  tcase_add_test(tc, test_stop_wakes_blocked_producer);
  tcase_add_test(tc, test_stop_wakes_blocked_consumer);
  tcase_add_test(tc, test_stop_drops_pending_items);
  tcase_add_test(tc, test_destroy_drops_pending_items);
  tcase_add_test(tc, test_item_free_without_pool);
  tcase_add_test(tc, test_item_free_returns_buffer_to_pool);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
