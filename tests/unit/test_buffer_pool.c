/*
 * test_buffer_pool.c - window buffers are recycled by size, never more
 * than the pool's bound are kept, a new size drops the old ones, and
 * concurrent get/put from several threads loses and duplicates nothing.
 * (Leaks would show under the ASan build of this suite.)
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "util/buffer_pool.h"

START_TEST(test_same_size_is_recycled) {
  buffer_pool *p = buffer_pool_create(2);
  ck_assert_ptr_nonnull(p);
  float *a = buffer_pool_get(p, 1000), *b = buffer_pool_get(p, 1000);
  ck_assert_ptr_nonnull(a);
  ck_assert_ptr_nonnull(b);
  ck_assert_ptr_ne(a, b);
  a[999] = 1.0f; /* the whole size is usable */
  buffer_pool_put(p, a, 1000);
  buffer_pool_put(p, b, 1000);
  /* Handed out again, last in first out. */
  float *c = buffer_pool_get(p, 1000), *d = buffer_pool_get(p, 1000);
  ck_assert_ptr_eq(c, b);
  ck_assert_ptr_eq(d, a);
  buffer_pool_put(p, c, 1000);
  buffer_pool_put(p, d, 1000);
  buffer_pool_free(p);
}
END_TEST

START_TEST(test_bound_and_size_change) {
  buffer_pool *p = buffer_pool_create(1);
  float *a = buffer_pool_get(p, 64), *b = buffer_pool_get(p, 64);
  buffer_pool_put(p, a, 64);
  buffer_pool_put(p, b, 64); /* over the bound: freed */
  ck_assert_ptr_eq(buffer_pool_get(p, 64), a);
  buffer_pool_put(p, a, 64);
  /* Another size is not served from the held buffer... */
  float *big = buffer_pool_get(p, 128);
  ck_assert_ptr_ne(big, a);
  /* ...and giving one back switches the pool to it (a is freed). */
  buffer_pool_put(p, big, 128);
  ck_assert_ptr_eq(buffer_pool_get(p, 128), big);
  buffer_pool_put(p, big, 128);
  buffer_pool_put(p, NULL, 128); /* ignored */
  buffer_pool_free(p);
}
END_TEST

START_TEST(test_no_pool_is_malloc) {
  float *a = buffer_pool_get(NULL, 10);
  ck_assert_ptr_nonnull(a);
  buffer_pool_put(NULL, a, 10);
  buffer_pool_free(NULL);
}
END_TEST

/* Each thread takes buffers, stamps them with its id, checks nobody else
 * wrote to them while it held them, and gives them back. */
typedef struct {
  buffer_pool *p;
  float id;
  int bad;
} worker;

static void *churn(void *arg) {
  worker *w = arg;
  for (int i = 0; i < 2000; i++) {
    float *x = buffer_pool_get(w->p, 256), *y = buffer_pool_get(w->p, 256);
    if (!x || !y || x == y)
      w->bad++;
    for (int k = 0; x && y && k < 256; k++)
      x[k] = y[k] = w->id;
    for (int k = 0; x && y && k < 256; k++)
      if (x[k] != w->id || y[k] != w->id)
        w->bad++;
    buffer_pool_put(w->p, x, 256);
    buffer_pool_put(w->p, y, 256);
  }
  return NULL;
}

START_TEST(test_threads_share_a_pool) {
  buffer_pool *p = buffer_pool_create(3);
  pthread_t th[4];
  worker w[4];
  for (int i = 0; i < 4; i++) {
    w[i] = (worker){p, (float)(i + 1), 0};
    ck_assert_int_eq(pthread_create(&th[i], NULL, churn, &w[i]), 0);
  }
  for (int i = 0; i < 4; i++) {
    ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    ck_assert_int_eq(w[i].bad, 0);
  }
  buffer_pool_free(p);
}
END_TEST

int main(void) {
  Suite *s = suite_create("buffer_pool");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_same_size_is_recycled);
  tcase_add_test(tc, test_bound_and_size_change);
  tcase_add_test(tc, test_no_pool_is_malloc);
  tcase_add_test(tc, test_threads_share_a_pool);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
