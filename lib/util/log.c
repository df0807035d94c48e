/*
 * log.c - where warnings and notes go (see log.h). The callback and its
 * user data are set together under a lock, so a message never reaches a
 * callback with another callback's data.
 */
#include "util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static ef_log_cb callback;
static void *callback_data;

EF_API void ef_log_set_callback(ef_log_cb cb, void *user_data) {
  pthread_mutex_lock(&lock);
  callback = cb;
  callback_data = user_data;
  pthread_mutex_unlock(&lock);
}

void ef_log(int level, const char *fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  pthread_mutex_lock(&lock);
  ef_log_cb cb = callback;
  void *data = callback_data;
  pthread_mutex_unlock(&lock);
  if (cb)
    cb(level, msg, data);
  else
    fprintf(stderr, "ego4dfeat: %s: %s\n",
            level == EF_LOG_NOTE ? "note" : "warning", msg);
}
