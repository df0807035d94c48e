/*
 * frame_source_mem.c - the frame_source over frames in memory (see
 * frame_source.h): the sampling rule of decode.c applied to frame j's time
 * j / rate, with the same exact integer arithmetic, so that a file of the
 * same frames at the same rate gives the same samples.
 */
#include "window/frame_source.h"

#include <limits.h>
#include <math.h>

#include <libavutil/rational.h>

#include "util/error.h"

__extension__ typedef __int128 i128;

/* At most this many frames: keeps k * fps_den * rate_num and
 * count * rate_den * fps_num (32-bit rates) well inside 128 bits. */
#define FRAMES_MAX ((int64_t)1 << 40)

int frame_buffer_check(const frame_buffer *fb) {
  if (!fb->data)
    return ef_error_set(EF_EINVAL, "frames: NULL data");
  if (fb->count <= 0 || fb->count > FRAMES_MAX)
    return ef_error_set(EF_EINVAL, "frames: %lld frames (1 to %lld allowed)",
                        (long long)fb->count, (long long)FRAMES_MAX);
  if (fb->width <= 0 || fb->height <= 0)
    return ef_error_set(EF_EINVAL, "frames: bad frame size %dx%d", fb->width,
                        fb->height);
  if (fb->row_bytes < 3 * (size_t)fb->width || fb->row_bytes > INT_MAX)
    return ef_error_set(EF_EINVAL,
                        "frames: rows of %zu bytes for %d RGB pixels (at "
                        "least %zu, at most %d)",
                        fb->row_bytes, fb->width, 3 * (size_t)fb->width,
                        INT_MAX);
  if (fb->rate_num <= 0 || fb->rate_den <= 0 || fb->rate_num > INT32_MAX ||
      fb->rate_den > INT32_MAX)
    return ef_error_set(EF_EINVAL, "frames: bad frame rate %lld/%lld",
                        (long long)fb->rate_num, (long long)fb->rate_den);
  size_t frame_bytes = fb->row_bytes * (size_t)fb->height;
  if (frame_bytes / (size_t)fb->height != fb->row_bytes ||
      (size_t)fb->count > SIZE_MAX / frame_bytes)
    return ef_error_set(EF_EINVAL, "frames: %lld frames of %dx%d overflow",
                        (long long)fb->count, fb->width, fb->height);
  return EF_OK;
}

int frame_rate_from_double(double fps, int64_t *num, int64_t *den) {
  if (!isfinite(fps) || fps <= 0 || fps > INT32_MAX)
    return ef_error_set(EF_EINVAL, "frames: bad frame rate %g", fps);
  AVRational q = av_d2q(fps, 1001000);
  if (q.num <= 0 || q.den <= 0)
    return ef_error_set(EF_EINVAL, "frames: bad frame rate %g", fps);
  *num = q.num;
  *den = q.den;
  return EF_OK;
}

static int mem_next(void *impl, sampled_frame *out) {
  frame_buffer_iter *it = impl;
  const frame_buffer *fb = it->fb;
  /* k / fps < count / rate, exactly. */
  i128 target = (i128)it->k * it->fps_den * fb->rate_num;
  if (target >= (i128)fb->count * fb->rate_den * it->fps_num)
    return 0;
  /* The last j with j / rate <= k / fps. */
  int64_t j = (int64_t)(target / ((i128)it->fps_num * fb->rate_den));
  if (j >= fb->count) /* cannot happen before the bound; never read past */
    j = fb->count - 1;
  out->index = it->k++;
  out->repeat = j == it->last;
  it->last = j;
  it->at = fb->data + (size_t)j * fb->row_bytes * (size_t)fb->height;
  out->rgb = it->at;
  out->linesize = (int)fb->row_bytes;
  out->width = fb->width;
  out->height = fb->height;
  out->pts = (double)j * (double)fb->rate_den / (double)fb->rate_num;
  return 1;
}

static int mem_rgb(void *impl, sampled_frame *f) {
  frame_buffer_iter *it = impl;
  if (!it->at)
    return ef_error_set(EF_EINVAL, "frames: no frame to convert");
  f->rgb = it->at;
  f->linesize = (int)it->fb->row_bytes;
  return EF_OK;
}

static double mem_duration(const void *impl) {
  const frame_buffer_iter *it = impl;
  return (double)it->fb->count * (double)it->fb->rate_den /
         (double)it->fb->rate_num;
}

void frame_buffer_source(frame_buffer_iter *iter, const frame_buffer *fb,
                         int64_t fps_num, int64_t fps_den, frame_source *out) {
  *iter = (frame_buffer_iter){fb, fps_num, fps_den, 0, -1, NULL};
  *out = (frame_source){iter, mem_next, mem_rgb, mem_duration};
}
