/*
 * video_windows.c - one video's frames to window items (see the header).
 *
 * Window i starts at frame i * stride. Windows are emitted as the frame
 * that ends them arrives; at the end of the stream the back-padded last
 * window (docs/semantics.md, "Windows") or, for a video shorter than one
 * window, the single window with its last frame repeated, is built from the
 * ring.
 */
#include "window/video_windows.h"

#include <stdlib.h>
#include <string.h>

#include "media/decode.h"
#include "media/probe.h"
#include "media/transform.h"
#include "util/clock.h"
#include "util/error.h"
#include "window/frame_source.h"
#include "window/window.h"

struct video_windows {
  const ef_settings *s;
  int decode_threads;
  transform *tf;
  buffer_pool *pool;   /* window buffers */
  float *ring;         /* frame_window frames of [3][crop][crop] */
  int64_t *ring_frame; /* the frame index each slot holds, -1 for none */
  size_t frame_floats;
  double busy;
};

int video_windows_create(const ef_settings *s, int decode_threads,
                         buffer_pool *pool, video_windows **out) {
  *out = NULL;
  video_windows *vw = calloc(1, sizeof *vw);
  if (!vw)
    return ef_error_set(EF_ENOMEM, "out of memory");
  transform_spec spec = {0};
  spec.side_size = s->side_size;
  spec.crop_size = s->crop_size;
  spec.interp = s->interp;
  memcpy(spec.mean, s->mean, sizeof spec.mean);
  memcpy(spec.std, s->std, sizeof spec.std);
  int rc = transform_create(&spec, &vw->tf);
  if (rc != EF_OK)
    goto fail;
  vw->s = s;
  vw->pool = pool;
  vw->decode_threads = decode_threads;
  vw->frame_floats = 3 * (size_t)s->crop_size * (size_t)s->crop_size;
  vw->ring = malloc(sizeof(float) * vw->frame_floats * (size_t)s->frame_window);
  vw->ring_frame = malloc(sizeof(int64_t) * (size_t)s->frame_window);
  if (!vw->ring || !vw->ring_frame) {
    rc = ef_error_set(EF_ENOMEM, "out of memory for %lld frames",
                      (long long)s->frame_window);
    goto fail;
  }
  *out = vw;
  return EF_OK;
fail:
  video_windows_free(vw);
  return rc;
}

static float *ring_slot(video_windows *vw, int64_t frame) {
  return vw->ring + (size_t)(frame % vw->s->frame_window) * vw->frame_floats;
}

/* Builds the [3][T][H][W] input of the window starting at `first` from the
 * ring; frames at or past `frames` (short videos) repeat the last one. */
static int emit_window(video_windows *vw, size_t video, int64_t index,
                       int64_t first, int64_t frames, emit_fn emit, void *ctx) {
  const int64_t T = vw->s->frame_window;
  const size_t plane = vw->frame_floats / 3;
  const size_t floats = vw->frame_floats * (size_t)T;
  item *it = calloc(1, sizeof *it);
  float *data = buffer_pool_get(vw->pool, floats);
  if (!it || !data) {
    free(it);
    buffer_pool_put(vw->pool, data, floats);
    return ef_error_set(EF_ENOMEM, "out of memory for a window");
  }
  for (int64_t t = 0; t < T; t++) {
    int64_t f = first + t < frames ? first + t : frames - 1;
    const float *src = ring_slot(vw, f);
    for (int c = 0; c < 3; c++)
      memcpy(data + ((size_t)c * (size_t)T + (size_t)t) * plane,
             src + (size_t)c * plane, plane * sizeof(float));
  }
  it->kind = ITEM_WINDOW;
  it->video = video;
  it->window = index;
  it->data = data;
  it->pool = vw->pool;
  it->ndim = 4;
  it->shape[0] = 3;
  it->shape[1] = T;
  it->shape[2] = it->shape[3] = vw->s->crop_size;
  /* [first / fps, (last + 1) / fps), the last frame being the video's
   * own for a short video. */
  int64_t end = first + T < frames ? first + T : frames;
  double spf = (double)vw->s->fps_den / (double)vw->s->fps_num;
  it->start = (double)first * spf;
  it->end = (double)end * spf;
  return emit(ctx, it) ? EF_ECANCELLED : EF_OK;
}

/* Shared with audio_windows.c: see video_windows.h. */
int emit_status_item(item_kind kind, size_t video, int64_t value,
                     int64_t frames, emit_fn emit, void *ctx) {
  item *it = calloc(1, sizeof *it);
  if (!it)
    return ef_error_set(EF_ENOMEM, "out of memory");
  it->kind = kind;
  it->video = video;
  it->value = value;
  it->frames = frames;
  return emit(ctx, it) ? EF_ECANCELLED : EF_OK;
}

/* Transforms sampled frame f into its ring slot: the previous slot's copy
 * when f repeats the source frame already transformed there. */
static int transform_sample(video_windows *vw, const frame_source *fs,
                            sampled_frame *f, const char *path, int is_stereo) {
  float *slot = ring_slot(vw, f->index);
  const int64_t W = vw->s->frame_window;
  const int64_t prev = f->index - 1;
  if (f->repeat && f->index > 0 && vw->ring_frame[prev % W] == prev) {
    const float *src = ring_slot(vw, prev);
    if (src != slot)
      memcpy(slot, src, vw->frame_floats * sizeof *slot);
  } else {
    int rc = fs->rgb(fs->impl, f);
    if (rc != EF_OK)
      return rc;
    /* Stereo videos keep the left half of each frame. */
    int width = is_stereo ? f->width / 2 : f->width;
    rc = transform_frame(vw->tf, f->rgb, f->linesize, width, f->height, slot);
    if (rc != EF_OK)
      return ef_error_prefix(path);
  }
  vw->ring_frame[f->index % W] = f->index;
  return EF_OK;
}

/* The window loop over any source of sampled frames: path names the
 * video in messages. Emits as video_windows_run says; t0 is when the
 * video's busy time began. */
static int run_source(video_windows *vw, size_t video, const frame_source *src,
                      const char *path, int is_stereo, emit_fn emit, void *ctx,
                      double t0) {
  const ef_settings *s = vw->s;
  const int64_t W = s->frame_window, S = s->stride;
  sampled_frame f;
  int64_t frames = 0, windows = 0;
  int64_t expected =
      probe_sampled_frames(src->duration(src->impl), s->fps_num, s->fps_den);
  int rc = emit_status_item(ITEM_START, video,
                            expected > 0 ? window_count(expected, W, S) : -1,
                            expected, emit, ctx);
  for (int64_t i = 0; i < W; i++)
    vw->ring_frame[i] = -1;
  /* One-frame windows every S frames (the image configs) use one frame in
   * S: the others are neither converted to RGB nor transformed. The last
   * frame, which a back-padded window may need, can still be converted at
   * the end. Longer windows use every frame. */
  const int sparse = W == 1 && S > 1;
  while (rc == EF_OK && (rc = src->next(src->impl, &f)) == 1) {
    rc = !sparse || f.index % S == 0
             ? transform_sample(vw, src, &f, path, is_stereo)
             : EF_OK;
    frames = f.index + 1;
    int64_t first = f.index - W + 1;
    if (rc == EF_OK && first >= 0 && first % S == 0) {
      vw->busy += clock_now_seconds() - t0;
      rc = emit_window(vw, video, windows++, first, frames, emit, ctx);
      t0 = clock_now_seconds();
    }
  }
  if (rc < 0)
    goto done;
  if (frames == 0) {
    rc = ef_error_set(EF_EDECODE, "%s: no video frames could be decoded", path);
    goto done;
  }
  /* The back-padded last window, or the only window of a short video. */
  if (frames < W || (frames - W) % S != 0) {
    int64_t first;
    window_bounds(windows, frames, W, S, &first);
    if (sparse && vw->ring_frame[0] != frames - 1 &&
        (rc = transform_sample(vw, src, &f, path, is_stereo)) != EF_OK)
      goto done;
    rc = emit_window(vw, video, windows++, first, frames, emit, ctx);
    if (rc != EF_OK)
      goto done;
  }
  rc = emit_status_item(ITEM_END, video, windows, frames, emit, ctx);
done:
  vw->busy += clock_now_seconds() - t0;
  return rc;
}

static int decoder_source_next(void *d, sampled_frame *out) {
  return decoder_next(d, out);
}

static int decoder_source_rgb(void *d, sampled_frame *f) {
  return decoder_rgb(d, f);
}

static double decoder_source_duration(const void *d) {
  return decoder_duration(d);
}

int video_windows_run(video_windows *vw, size_t video, const char *path,
                      int is_stereo, emit_fn emit, void *ctx) {
  const ef_settings *s = vw->s;
  decoder *d = NULL;
  double t0 = clock_now_seconds();
  int rc = decoder_open_hw(path, s->fps_num, s->fps_den, vw->decode_threads,
                           s->hwaccel_cuda ? DECODE_HW_CUDA : DECODE_HW_NONE,
                           s->cuda_index, &d);
  if (rc != EF_OK) {
    vw->busy += clock_now_seconds() - t0;
    return rc;
  }
  decoder_set_lazy(d, 1);
  frame_source src = {d, decoder_source_next, decoder_source_rgb,
                      decoder_source_duration};
  rc = run_source(vw, video, &src, path, is_stereo, emit, ctx, t0);
  decoder_close(d);
  return rc;
}

int video_windows_run_frames(video_windows *vw, size_t video,
                             const frame_buffer *fb, const char *name,
                             emit_fn emit, void *ctx) {
  double t0 = clock_now_seconds();
  int rc = frame_buffer_check(fb);
  if (rc != EF_OK)
    return rc;
  frame_buffer_iter iter;
  frame_source src;
  frame_buffer_source(&iter, fb, vw->s->fps_num, vw->s->fps_den, &src);
  return run_source(vw, video, &src, name, 0, emit, ctx, t0);
}

double video_windows_busy_seconds(const video_windows *vw) {
  return vw->busy;
}

void video_windows_free(video_windows *vw) {
  if (!vw)
    return;
  transform_free(vw->tf);
  free(vw->ring);
  free(vw->ring_frame);
  free(vw);
}
