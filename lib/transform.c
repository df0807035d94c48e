/*
 * transform.c - one RGB24 frame -> normalised, resized, centre-cropped
 * planar float image (see transform.h for why resizing comes first).
 *
 * The interpolation reproduces torch.nn.functional.interpolate(mode=
 * "bilinear", align_corners=False, antialias=False) on the CPU: the scale
 * is a float32 ratio of the sizes, the source coordinate is computed in
 * double from it and clamped at 0, and the weights are rounded to float32.
 * Only the output pixels inside the crop are computed.
 */
#include "transform.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Source taps of one output coordinate along one axis. */
typedef struct {
  int *i0, *i1;   /* source indices */
  float *w0, *w1; /* their weights */
} axis_taps;

struct transform {
  transform_spec spec;
  int in_w, in_h; /* size the cached taps were built for (0 = none) */
  axis_taps x, y;
};

void transform_scaled_size(int w, int h, int side, int *out_w, int *out_h) {
  /* pytorchvideo's ShortSideScale: the short side becomes `side`, the
   * other floor(long / short * side), computed in floating point. */
  if (w < h) {
    *out_w = side;
    *out_h = (int)floor((double)h / (double)w * side);
  } else {
    *out_h = side;
    *out_w = (int)floor((double)w / (double)h * side);
  }
}

int transform_crop_offset(int n, int crop) {
  /* Python's round() rounds halves to even: round(115.5) == 116,
   * round(0.5) == 0. (n - crop) is an integer, so only .5 can tie. */
  int d = n - crop;
  if (d % 2 == 0)
    return d / 2;
  int lo = (d - 1) / 2; /* d odd: d / 2 is lo + 0.5 */
  return (lo % 2 == 0) ? lo : lo + 1;
}

static void taps_free(axis_taps *t) {
  free(t->i0);
  free(t->i1);
  free(t->w0);
  free(t->w1);
  memset(t, 0, sizeof *t);
}

/* Taps for output coordinates [offset, offset + count) of a resize from
 * in_size to out_size. */
static int taps_build(axis_taps *t, int in_size, int out_size, int offset,
                      int count) {
  t->i0 = malloc(sizeof(int) * (size_t)count);
  t->i1 = malloc(sizeof(int) * (size_t)count);
  t->w0 = malloc(sizeof(float) * (size_t)count);
  t->w1 = malloc(sizeof(float) * (size_t)count);
  if (!t->i0 || !t->i1 || !t->w0 || !t->w1) {
    taps_free(t);
    return ef_error_set(EF_ENOMEM, "out of memory building resize taps");
  }
  float scale = (float)in_size / (float)out_size;
  for (int k = 0; k < count; k++) {
    int dst = offset + k;
    if (in_size == out_size) { /* torch copies when the size is unchanged */
      t->i0[k] = t->i1[k] = dst;
      t->w0[k] = 1.0f;
      t->w1[k] = 0.0f;
      continue;
    }
    double src = (double)scale * (dst + 0.5) - 0.5;
    if (src < 0)
      src = 0;
    int i0 = (int)src;
    int i1 = i0 + (i0 < in_size - 1 ? 1 : 0);
    double l1 = src - i0;
    if (l1 > 1)
      l1 = 1;
    t->i0[k] = i0;
    t->i1[k] = i1;
    t->w1[k] = (float)l1;
    t->w0[k] = 1.0f - (float)l1;
  }
  return EF_OK;
}

int transform_create(const transform_spec *spec, transform **out) {
  *out = NULL;
  if (spec->crop_size <= 0 || spec->side_size < spec->crop_size)
    return ef_error_set(EF_EINVAL,
                        "transform: crop_size %d must be in 1..side_size %d",
                        spec->crop_size, spec->side_size);
  if (spec->interp != EF_INTERP_BILINEAR)
    return ef_error_set(EF_EINVAL,
                        "transform: only bilinear resizing is implemented");
  for (int c = 0; c < 3; c++)
    if (!(spec->std[c] > 0))
      return ef_error_set(EF_EINVAL, "transform: std[%d] must be > 0", c);
  transform *t = calloc(1, sizeof *t);
  if (!t)
    return ef_error_set(EF_ENOMEM, "out of memory");
  t->spec = *spec;
  *out = t;
  return EF_OK;
}

static int transform_prepare(transform *t, int w, int h) {
  if (t->in_w == w && t->in_h == h)
    return EF_OK;
  taps_free(&t->x);
  taps_free(&t->y);
  t->in_w = t->in_h = 0;
  int crop = t->spec.crop_size, sw, sh;
  transform_scaled_size(w, h, t->spec.side_size, &sw, &sh);
  if (sw < crop || sh < crop)
    return ef_error_set(EF_EINVAL, "frame %dx%d scales to %dx%d, below crop %d",
                        w, h, sw, sh, crop);
  int rc = taps_build(&t->x, w, sw, transform_crop_offset(sw, crop), crop);
  if (rc == EF_OK)
    rc = taps_build(&t->y, h, sh, transform_crop_offset(sh, crop), crop);
  if (rc != EF_OK) {
    taps_free(&t->x);
    return rc;
  }
  t->in_w = w;
  t->in_h = h;
  return EF_OK;
}

int transform_frame(transform *t, const uint8_t *rgb, int linesize, int width,
                    int height, float *out) {
  if (t->spec.left_half)
    width /= 2;
  if (width <= 0 || height <= 0)
    return ef_error_set(EF_EINVAL, "empty frame %dx%d", width, height);
  int rc = transform_prepare(t, width, height);
  if (rc != EF_OK)
    return rc;
  const int crop = t->spec.crop_size;
  const size_t plane = (size_t)crop * (size_t)crop;
  const float *mean = t->spec.mean, *std = t->spec.std;
  for (int oy = 0; oy < crop; oy++) {
    const uint8_t *r0 = rgb + (size_t)t->y.i0[oy] * (size_t)linesize;
    const uint8_t *r1 = rgb + (size_t)t->y.i1[oy] * (size_t)linesize;
    const float wy0 = t->y.w0[oy], wy1 = t->y.w1[oy];
    float *o = out + (size_t)oy * (size_t)crop;
    for (int ox = 0; ox < crop; ox++) {
      const int a = 3 * t->x.i0[ox], b = 3 * t->x.i1[ox];
      const float wx0 = t->x.w0[ox], wx1 = t->x.w1[ox];
      for (int c = 0; c < 3; c++) {
        /* Same operation order as torch: rows first, then columns. */
        float top = (float)r0[a + c] * wx0 + (float)r0[b + c] * wx1;
        float bot = (float)r1[a + c] * wx0 + (float)r1[b + c] * wx1;
        float v = top * wy0 + bot * wy1;
        o[(size_t)c * plane + (size_t)ox] = (v / 255.0f - mean[c]) / std[c];
      }
    }
  }
  return EF_OK;
}

void transform_free(transform *t) {
  if (!t)
    return;
  taps_free(&t->x);
  taps_free(&t->y);
  free(t);
}
