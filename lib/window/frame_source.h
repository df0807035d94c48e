/*
 * frame_source.h - where video_windows takes its sampled frames from: a
 * decoder over a media file (video_windows.c), or RGB24 frames an
 * application holds in memory (frame_source_mem.c). Both hand out the same
 * sampled_frame sequence for the same frames, so the windows, transforms
 * and features that follow are the same.
 */
#ifndef EF_FRAME_SOURCE_H
#define EF_FRAME_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "media/decode.h"

/* A sequence of sampled frames at the run's rate. */
typedef struct {
  void *impl;
  /* 1 with *out filled (rgb may be NULL until rgb() is called), 0 at the
   * end, negative on error (message set). */
  int (*next)(void *impl, sampled_frame *out);
  /* Fills f->rgb and f->linesize for the frame next() gave last. */
  int (*rgb)(void *impl, sampled_frame *f);
  /* Seconds that bound the sampling, 0 while unknown. */
  double (*duration)(const void *impl);
} frame_source;

/* Frames in memory: count packed RGB24 frames of width x height, rows
 * row_bytes apart and frames height * row_bytes apart, frame j shown at
 * j * rate_den / rate_num seconds and the last one lasting 1 / rate. The
 * caller's bytes are read, never copied or changed. */
typedef struct {
  const uint8_t *data;
  int64_t count;
  int width, height;
  size_t row_bytes;
  int64_t rate_num, rate_den;
} frame_buffer;

/* EF_OK, or EF_EINVAL naming what is wrong with fb (no frames, a size of
 * zero, rows shorter than 3 * width, a rate that is not positive, sizes
 * that overflow). */
int frame_buffer_check(const frame_buffer *fb);

/* fps as the fraction ffmpeg's `-r <fps>` makes of it (av_d2q with
 * denominators up to 1001000: 30 -> 30/1, 29.97 -> 2997/100,
 * 30000/1001.0 -> 30000/1001), so frames given at that rate sample as a
 * file written with it does. EF_EINVAL for a rate that is not finite and
 * positive or does not fit in 32 bits. */
int frame_rate_from_double(double fps, int64_t *num, int64_t *den);

/* The iteration state of a frame_buffer sampled at fps_num / fps_den the
 * way decode.h samples a file: sample k is the last frame whose time is
 * <= k * fps_den / fps_num, while that time is before count / rate. */
typedef struct {
  const frame_buffer *fb;
  int64_t fps_num, fps_den;
  int64_t k;         /* next sample index */
  int64_t last;      /* the frame sample k - 1 took, -1 before any */
  const uint8_t *at; /* that frame's first byte */
} frame_buffer_iter;

/* A frame_source over it; iter must outlive the source's use. fb must
 * have passed frame_buffer_check, and the rate fit in 32 bits. */
void frame_buffer_source(frame_buffer_iter *iter, const frame_buffer *fb,
                         int64_t fps_num, int64_t fps_den, frame_source *out);

#endif
