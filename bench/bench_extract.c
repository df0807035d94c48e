/*
 * bench_extract.c - where a run's time goes, on one video and one model:
 *   whole   the full extraction (decode, transform, model) as users run it
 *   decode  decoding + transforms + windowing alone (model never called)
 *   forward the model's forward passes alone, on as many batches
 * printing video-seconds per second for each and the ratio of the whole
 * to the slower part (1.0 = perfect overlap of decoding and inference).
 *
 * usage: bench_extract MODE VIDEO CONFIG_DIR CONFIG_NAME [overrides...]
 *   MODE: all | decode (decode only, also prints frames/s and peak RSS)
 * $EF_BENCH_THREADS=N gives decoding and libtorch N threads each (default:
 * FFmpeg's and libtorch's own choice, both all cores). On a machine where
 * both parts already use every core, overlapping them cannot beat their
 * sum; one thread each shows the overlap itself. $EF_BENCH_DECODE_THREADS
 * and $EF_BENCH_TORCH_THREADS set one part each (bench/threads.sh splits
 * the cores between them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "config/settings.h"
#include "model/model.h"
#include "util/clock.h"
#include "util/error.h"
#include "window/queue.h"
#include "window/video_windows.h"

typedef struct {
  int64_t windows, frames;
} counts;

static int count_items(void *ctx, item *it) {
  counts *c = ctx;
  if (it->kind == ITEM_WINDOW)
    c->windows++;
  if (it->kind == ITEM_END)
    c->frames = it->frames;
  item_free(it);
  return 0;
}

static double peak_rss_mib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_maxrss / 1024.0;
}

static int bench_threads_for(const char *part) {
  const char *t = getenv(part);
  if (!t)
    t = getenv("EF_BENCH_THREADS");
  return t ? atoi(t) : 0;
}

static int decode_threads(void) {
  return bench_threads_for("EF_BENCH_DECODE_THREADS");
}

static int torch_threads(void) {
  return bench_threads_for("EF_BENCH_TORCH_THREADS");
}

static int bench_decode(const ef_settings *s, const char *video, counts *c,
                        double *seconds) {
  video_windows *vw = NULL;
  /* Windows recycled as in a run (each is freed as soon as it is counted). */
  buffer_pool *pool = buffer_pool_create(2);
  int rc = video_windows_create(s, decode_threads(), pool, &vw);
  if (rc != EF_OK) {
    buffer_pool_free(pool);
    return rc;
  }
  double t0 = clock_now_seconds();
  rc = video_windows_run(vw, 0, video, 0, count_items, c);
  *seconds = clock_now_seconds() - t0;
  video_windows_free(vw);
  buffer_pool_free(pool);
  return rc;
}

static int bench_forward(const ef_settings *s, int64_t windows,
                         double *seconds) {
  ef_model *m = NULL;
  int rc = model_load(s, &m);
  if (rc != EF_OK)
    return rc;
  size_t floats = (size_t)s->batch_size * 3 * (size_t)s->frame_window *
                  (size_t)s->crop_size * (size_t)s->crop_size;
  float *data = malloc(floats * sizeof *data);
  if (!data) {
    ef_model_free(m);
    return ef_error_set(EF_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < floats; i++)
    data[i] = (float)((i * 2654435761u) % 1000) / 500.0f - 1.0f;
  window_batch b = {
      data, s->batch_size, {3, s->frame_window, s->crop_size, s->crop_size}, 4};
  int64_t batches = (windows + s->batch_size - 1) / s->batch_size;
  efs_output out;
  efs_timing tm;
  rc = model_forward(m, &b, &out, &tm); /* warm-up, not timed */
  free(out.data);
  double t0 = clock_now_seconds();
  for (int64_t i = 0; rc == EF_OK && i < batches; i++) {
    rc = model_forward(m, &b, &out, &tm);
    free(out.data);
  }
  *seconds = clock_now_seconds() - t0;
  free(data);
  ef_model_free(m);
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr,
            "usage: %s all|decode VIDEO CONFIG_DIR CONFIG_NAME "
            "[overrides...]\n",
            argv[0]);
    return 2;
  }
  const char *mode = argv[1], *video = argv[2];
  ef_config *cfg = NULL;
  ef_settings s;
  int rc = ef_config_load(argv[3], argv[4], &cfg);
  for (int i = 5; rc == EF_OK && i < argc; i++)
    rc = ef_config_override(cfg, argv[i]);
  if (rc == EF_OK)
    rc = settings_load(cfg, &s);
  if (rc != EF_OK) {
    fprintf(stderr, "bench: %s\n", ef_last_error());
    ef_config_free(cfg);
    return 1;
  }
  counts c = {0, 0};
  double t_decode = 0, t_forward = 0, t_whole = 0;
  rc = bench_decode(&s, video, &c, &t_decode);
  if (rc != EF_OK)
    goto fail;
  double video_s = (double)c.frames * (double)s.fps_den / (double)s.fps_num;
  printf("video: %s, %lld frames (%.1f s at %lld/%lld fps), %lld windows\n",
         video, (long long)c.frames, video_s, (long long)s.fps_num,
         (long long)s.fps_den, (long long)c.windows);
  printf("decode+transform: %.2f s, %.1f frames/s, %.2f video-s/s, peak RSS "
         "%.0f MiB\n",
         t_decode, (double)c.frames / t_decode, video_s / t_decode,
         peak_rss_mib());
  if (strcmp(mode, "decode") == 0)
    goto done;

  efs_set_num_threads(torch_threads());
  rc = bench_forward(&s, c.windows, &t_forward);
  if (rc != EF_OK)
    goto fail;
  printf("forward alone:    %.2f s, %.2f video-s/s (%lld windows, batch "
         "%d, %d torch threads)\n",
         t_forward, video_s / t_forward, (long long)c.windows, s.batch_size,
         efs_get_num_threads());

  const char *videos[] = {video};
  ef_model *m = NULL;
  ef_results *res = NULL;
  if ((rc = ef_model_load(cfg, &m)) != EF_OK)
    goto fail;
  ef_params params;
  if ((rc = ef_params_init(&params, sizeof params)) != EF_OK)
    goto fail;
  params.decode_threads = decode_threads();
  params.torch_threads = torch_threads();
  double t0 = clock_now_seconds();
  rc = ef_extract_features(m, cfg, videos, 1, &params, &res);
  t_whole = clock_now_seconds() - t0;
  ef_results_free(res);
  ef_model_free(m);
  if (rc != EF_OK)
    goto fail;
  double slower = t_decode > t_forward ? t_decode : t_forward;
  printf("whole extraction: %.2f s, %.2f video-s/s\n", t_whole,
         video_s / t_whole);
  printf("whole / slower part: %.2f (1.00 = decode and inference fully "
         "overlapped; sum would be %.2f)\n",
         t_whole / slower, (t_decode + t_forward) / slower);
done:
  settings_free(&s);
  ef_config_free(cfg);
  return 0;
fail:
  fprintf(stderr, "bench: %s\n", ef_last_error());
  settings_free(&s);
  ef_config_free(cfg);
  return 1;
}
