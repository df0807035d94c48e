/*
 * ffmpeg_log.c - owns FFmpeg's log callback for the library (see
 * ffmpeg_log.h). One place, so no decoder, prober or encoder has to
 * remember it.
 */
#include "util/ffmpeg_log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/log.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Every message is dropped: the failures that matter reach the user
 * through ef_last_error(), worded by the library. */
static void drop(void *avcl, int level, const char *fmt, va_list ap) {
  (void)avcl;
  (void)level;
  (void)fmt;
  (void)ap;
}

static void install(void) {
  const char *keep = getenv("EGO4DFEAT_FFMPEG_LOG");
  if (keep && *keep && strcmp(keep, "0") != 0)
    return;
  av_log_set_callback(drop);
}

void ffmpeg_log_init(void) {
  pthread_once(&once, install);
}
