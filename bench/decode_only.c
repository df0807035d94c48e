/*
 * decode_only.c - measures decoding throughput in frames per second, to
 * check the decode stage keeps up with inference (the target is >= 225
 * frames/s for 1080p h264 on 2 cores). Three figures, same file, same
 * threading:
 *   raw       libavcodec decoding alone (the ceiling),
 *   pipeline  decoder_next() at the given fps (decode + lazy RGB),
 *   convert   the RGB conversion alone, per converted frame.
 *
 * Each figure is the best of `repeats` runs: on a shared machine the best
 * run is the one least disturbed by other load. CPU milliseconds per frame
 * (all threads) are printed too: they hardly depend on other load, and
 * 1000 * cores / cpu_ms bounds the frames/s that many cores can give.
 *
 * usage: decode_only FILE [fps_num [fps_den [threads [repeats]]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>

#include "ego4dfeat/ego4dfeat.h"
#include "media/decode.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds used by the whole process (every thread) so far. */
static double cpu_now(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
         (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static double min_d(double a, double b) {
  return a < b ? a : b;
}

/* Decodes every frame with the same codec settings as decode.c; when
 * `rgb` is set, also converts each frame and times that part. */
static int raw_decode(const char *path, int threads, int rgb, long *frames,
                      double *convert_s) {
  AVFormatContext *fmt = NULL;
  AVCodecContext *cc = NULL;
  const AVCodec *codec = NULL;
  AVPacket *pkt = av_packet_alloc();
  AVFrame *f = av_frame_alloc();
  struct SwsContext *sws = NULL;
  uint8_t *dst[4] = {0};
  int dst_ls[4];
  int idx, rc = -1, eof = 0;

  *frames = 0;
  *convert_s = 0;
  if (avformat_open_input(&fmt, path, NULL, NULL) < 0 ||
      avformat_find_stream_info(fmt, NULL) < 0)
    goto done;
  idx = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (idx < 0)
    goto done;
  cc = avcodec_alloc_context3(codec);
  avcodec_parameters_to_context(cc, fmt->streams[idx]->codecpar);
  cc->thread_count = threads;
  cc->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
  if (avcodec_open2(cc, codec, NULL) < 0)
    goto done;
  while (!eof) {
    if (av_read_frame(fmt, pkt) < 0) {
      avcodec_send_packet(cc, NULL);
      eof = 1;
    } else {
      if (pkt->stream_index == idx)
        avcodec_send_packet(cc, pkt);
      av_packet_unref(pkt);
    }
    while (avcodec_receive_frame(cc, f) == 0) {
      (*frames)++;
      if (rgb) {
        double t0 = now();
        if (!dst[0])
          av_image_alloc(dst, dst_ls, f->width, f->height, AV_PIX_FMT_RGB24,
                         16);
        sws = sws_getCachedContext(sws, f->width, f->height, f->format,
                                   f->width, f->height, AV_PIX_FMT_RGB24,
                                   SWS_BILINEAR, NULL, NULL, NULL);
        sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0,
                  f->height, dst, dst_ls);
        *convert_s += now() - t0;
      }
    }
  }
  rc = 0;
done:
  av_freep(&dst[0]);
  sws_freeContext(sws);
  av_frame_free(&f);
  av_packet_free(&pkt);
  avcodec_free_context(&cc);
  avformat_close_input(&fmt);
  return rc;
}

/* decoder_next() over the whole file; returns samples/s, -1 on error. */
static double pipeline(const char *path, int64_t num, int64_t den, int threads,
                       long *samples, long *converted) {
  decoder *d = NULL;
  sampled_frame sf;
  double t0 = now();
  int rc;

  *samples = *converted = 0;
  if (decoder_open(path, num, den, threads, &d) != EF_OK)
    return -1;
  while ((rc = decoder_next(d, &sf)) == 1) {
    (*samples)++;
    *converted += !sf.repeat;
  }
  decoder_close(d);
  return rc < 0 ? -1 : (double)*samples / (now() - t0);
}

int main(int argc, char **argv) {
  const char *path;
  int64_t num = 30, den = 1;
  int threads = 0, repeats = 3;
  long frames = 0, samples = 0, converted = 0;
  double best_raw = 0, best_rgb = 0, best_pipe = 0, best_conv = 1e9;
  double cpu_raw = 1e9, cpu_rgb = 1e9, cpu_pipe = 1e9;

  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE [fps_num [fps_den [threads [repeats]]]]\n",
            argv[0]);
    return 2;
  }
  path = argv[1];
  if (argc > 2)
    num = atoll(argv[2]);
  if (argc > 3)
    den = atoll(argv[3]);
  if (argc > 4)
    threads = atoi(argv[4]);
  if (argc > 5)
    repeats = atoi(argv[5]);

  for (int r = 0; r < repeats; r++) {
    double t0 = now(), c0 = cpu_now(), conv_s, fps;
    if (raw_decode(path, threads, 0, &frames, &conv_s) != 0) {
      fprintf(stderr, "%s: cannot decode\n", path);
      return 1;
    }
    fps = (double)frames / (now() - t0);
    best_raw = fps > best_raw ? fps : best_raw;
    cpu_raw = min_d(cpu_raw, (cpu_now() - c0) / (double)frames);

    t0 = now();
    c0 = cpu_now();
    raw_decode(path, threads, 1, &frames, &conv_s);
    fps = (double)frames / (now() - t0);
    best_rgb = fps > best_rgb ? fps : best_rgb;
    cpu_rgb = min_d(cpu_rgb, (cpu_now() - c0) / (double)frames);
    best_conv = min_d(best_conv, conv_s / (double)frames);

    c0 = cpu_now();
    fps = pipeline(path, num, den, threads, &samples, &converted);
    if (fps < 0) {
      fprintf(stderr, "%s\n", ef_last_error());
      return 1;
    }
    best_pipe = fps > best_pipe ? fps : best_pipe;
    cpu_pipe = min_d(cpu_pipe, (cpu_now() - c0) / (double)samples);
  }
  printf("raw decode      %ld frames   %6.1f frames/s   cpu %.2f ms/frame\n",
         frames, best_raw, 1e3 * cpu_raw);
  printf("raw decode+rgb  %ld frames   %6.1f frames/s   cpu %.2f ms/frame "
         "(rgb alone %.2f ms/frame)\n",
         frames, best_rgb, 1e3 * cpu_rgb, 1e3 * best_conv);
  printf("decoder_next    %ld samples  %6.1f samples/s  cpu %.2f ms/sample "
         "(%ld converted)\n",
         samples, best_pipe, 1e3 * cpu_pipe, converted);
  return 0;
}
