/*
 * transform.c - one RGB24 frame -> normalised, resized, centre-cropped
 * planar float image (see transform.h for why resizing comes first).
 *
 * The interpolation reproduces torch.nn.functional.interpolate on the CPU
 * with align_corners=False and no antialias:
 *  - bilinear: the scale is a float32 ratio of the sizes, the source
 *    coordinate is computed in double from it and clamped at 0, and the two
 *    weights are rounded to float32;
 *  - bicubic: the same float32 scale and double source coordinate, not
 *    clamped, four taps at floor(src) - 1 .. + 2 clamped to the image, and
 *    Keys' cubic convolution (A = -0.75) weights rounded to float32.
 * Both sum along x first, then along y, as torch's kernels do. Only the
 * output pixels inside the crop are computed.
 *
 * The x pass of a source row depends only on that row, so it is computed
 * once per row into a small cache and shared by every output row whose y
 * taps include it (an upscale reuses each row about twice). The y pass then
 * runs over contiguous planar rows. The operations and their order per
 * output value are the same as evaluating each pixel on its own, so the
 * result is bit-identical to the direct formula.
 */
#include "media/transform.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

#define MAX_TAPS 4

/* Source taps of the output coordinates along one axis: for output k,
 * idx[k * n + j] and w[k * n + j], j < n. */
typedef struct {
  int n;
  int *idx;
  float *w;
} axis_taps;

struct transform {
  transform_spec spec;
  int in_w, in_h; /* size the cached taps were built for (0 = none) */
  axis_taps x, y;
  int *xoff; /* byte offsets of the x taps in an RGB24 row: 3 * idx */
  /* The x pass of the last source rows: slot r % y.n holds row
   * row_of[slot] as [3][crop] floats. The rows one output row needs are
   * consecutive (clamping only repeats one), so they never share a slot. */
  float *rows;
  int row_of[MAX_TAPS];
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
  free(t->idx);
  free(t->w);
  memset(t, 0, sizeof *t);
}

static void bilinear_taps(int in_size, int out_size, int dst, int *idx,
                          float *w) {
  if (in_size == out_size) { /* torch copies when the size is unchanged */
    idx[0] = idx[1] = dst;
    w[0] = 1.0f;
    w[1] = 0.0f;
    return;
  }
  float scale = (float)in_size / (float)out_size;
  double src = (double)scale * (dst + 0.5) - 0.5;
  if (src < 0)
    src = 0;
  int i0 = (int)src;
  double l1 = src - i0;
  if (l1 > 1)
    l1 = 1;
  idx[0] = i0;
  idx[1] = i0 + (i0 < in_size - 1 ? 1 : 0);
  w[1] = (float)l1;
  w[0] = 1.0f - (float)l1;
}

static double cubic_near(double x, double a) { /* |x| <= 1 */
  return ((a + 2) * x - (a + 3)) * x * x + 1;
}

static double cubic_far(double x, double a) { /* 1 < |x| < 2 */
  return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
}

static void bicubic_taps(int in_size, int out_size, int dst, int *idx,
                         float *w) {
  const double a = -0.75;
  float scale = (float)in_size / (float)out_size;
  double src = (double)scale * (dst + 0.5) - 0.5;
  int i0 = (int)floor(src);
  double t = src - i0;
  w[0] = (float)cubic_far(t + 1.0, a);
  w[1] = (float)cubic_near(t, a);
  w[2] = (float)cubic_near(1.0 - t, a);
  w[3] = (float)cubic_far(2.0 - t, a);
  for (int j = 0; j < 4; j++) {
    int k = i0 - 1 + j;
    idx[j] = k < 0 ? 0 : (k > in_size - 1 ? in_size - 1 : k);
  }
}

/* Taps for output coordinates [offset, offset + count) of a resize from
 * in_size to out_size. */
static int taps_build(axis_taps *t, ef_interp interp, int in_size, int out_size,
                      int offset, int count) {
  t->n = interp == EF_INTERP_BICUBIC ? 4 : 2;
  t->idx = malloc(sizeof(int) * (size_t)count * (size_t)t->n);
  t->w = malloc(sizeof(float) * (size_t)count * (size_t)t->n);
  if (!t->idx || !t->w) {
    taps_free(t);
    return ef_error_set(EF_ENOMEM, "out of memory building resize taps");
  }
  for (int k = 0; k < count; k++) {
    int *idx = t->idx + (size_t)k * (size_t)t->n;
    float *w = t->w + (size_t)k * (size_t)t->n;
    if (interp == EF_INTERP_BICUBIC)
      bicubic_taps(in_size, out_size, offset + k, idx, w);
    else
      bilinear_taps(in_size, out_size, offset + k, idx, w);
  }
  return EF_OK;
}

int transform_create(const transform_spec *spec, transform **out) {
  *out = NULL;
  if (spec->crop_size <= 0 || spec->side_size < spec->crop_size)
    return ef_error_set(EF_EINVAL,
                        "transform: crop_size %d must be in 1..side_size %d",
                        spec->crop_size, spec->side_size);
  if (spec->interp != EF_INTERP_BILINEAR && spec->interp != EF_INTERP_BICUBIC)
    return ef_error_set(EF_EINVAL, "transform: unknown interpolation %d",
                        (int)spec->interp);
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

static void prepared_free(transform *t) {
  taps_free(&t->x);
  taps_free(&t->y);
  free(t->xoff);
  free(t->rows);
  t->xoff = NULL;
  t->rows = NULL;
  t->in_w = t->in_h = 0;
}

static int transform_prepare(transform *t, int w, int h) {
  if (t->in_w == w && t->in_h == h)
    return EF_OK;
  prepared_free(t);
  int crop = t->spec.crop_size, sw, sh;
  transform_scaled_size(w, h, t->spec.side_size, &sw, &sh);
  if (sw < crop || sh < crop)
    return ef_error_set(EF_EINVAL, "frame %dx%d scales to %dx%d, below crop %d",
                        w, h, sw, sh, crop);
  int rc = taps_build(&t->x, t->spec.interp, w, sw,
                      transform_crop_offset(sw, crop), crop);
  if (rc == EF_OK)
    rc = taps_build(&t->y, t->spec.interp, h, sh,
                    transform_crop_offset(sh, crop), crop);
  if (rc != EF_OK) {
    taps_free(&t->x);
    return rc;
  }
  size_t ntaps = (size_t)crop * (size_t)t->x.n;
  t->xoff = malloc(sizeof(int) * ntaps);
  t->rows = malloc(sizeof(float) * 3 * (size_t)crop * (size_t)t->y.n);
  if (!t->xoff || !t->rows) {
    prepared_free(t);
    return ef_error_set(EF_ENOMEM, "out of memory building resize taps");
  }
  for (size_t i = 0; i < ntaps; i++)
    t->xoff[i] = 3 * t->x.idx[i];
  for (int j = 0; j < MAX_TAPS; j++)
    t->row_of[j] = -1;
  t->in_w = w;
  t->in_h = h;
  return EF_OK;
}

/* The x pass of one source row: out[c * crop + ox] for the crop columns. */
static void x_pass(const transform *t, const uint8_t *row, float *out) {
  const int crop = t->spec.crop_size, n = t->x.n;
  const int *off = t->xoff;
  const float *w = t->x.w;
  if (n == 2) {
    for (int ox = 0; ox < crop; ox++) {
      const uint8_t *p0 = row + off[2 * ox], *p1 = row + off[2 * ox + 1];
      const float w0 = w[2 * ox], w1 = w[2 * ox + 1];
      for (int c = 0; c < 3; c++)
        out[c * crop + ox] = (float)p0[c] * w0 + (float)p1[c] * w1;
    }
    return;
  }
  for (int ox = 0; ox < crop; ox++) {
    const int *o = off + (size_t)ox * (size_t)n;
    const float *wx = w + (size_t)ox * (size_t)n;
    for (int c = 0; c < 3; c++) {
      float r = (float)row[o[0] + c] * wx[0];
      for (int i = 1; i < n; i++)
        r += (float)row[o[i] + c] * wx[i];
      out[c * crop + ox] = r;
    }
  }
}

/* Four floats at once (SSE, NEON, or scalar code where there is neither):
 * IEEE arithmetic lane by lane, so the same results as one at a time. */
typedef float v4f __attribute__((vector_size(16)));

static v4f load4(const float *p) {
  v4f v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* One output row of one channel: the y taps' rows combined in torch's
 * order, then normalised, (v / 255 - mean) / std. */
static void y_pass(const float *const *h, const float *yw, int n, int crop,
                   float mean, float std, float *out) {
  const v4f m = {mean, mean, mean, mean}, sd = {std, std, std, std};
  const v4f k255 = {255.0f, 255.0f, 255.0f, 255.0f};
  v4f w[MAX_TAPS];
  for (int j = 0; j < n; j++)
    w[j] = (v4f){yw[j], yw[j], yw[j], yw[j]};
  int ox = 0;
  for (; ox + 4 <= crop; ox += 4) {
    v4f v = load4(h[0] + ox) * w[0];
    for (int j = 1; j < n; j++)
      v = v + load4(h[j] + ox) * w[j];
    v = (v / k255 - m) / sd;
    memcpy(out + ox, &v, sizeof v);
  }
  for (; ox < crop; ox++) {
    float v = h[0][ox] * yw[0];
    for (int j = 1; j < n; j++)
      v = v + h[j][ox] * yw[j];
    out[ox] = (v / 255.0f - mean) / std;
  }
}

/* The cached x pass of source row r, computing it on a miss. */
static const float *x_row(transform *t, const uint8_t *rgb, int linesize,
                          int r) {
  const int slot = r % t->y.n;
  float *dst = t->rows + (size_t)slot * 3 * (size_t)t->spec.crop_size;
  if (t->row_of[slot] != r) {
    x_pass(t, rgb + (size_t)r * (size_t)linesize, dst);
    t->row_of[slot] = r;
  }
  return dst;
}

int transform_frame(transform *t, const uint8_t *rgb, int linesize, int width,
                    int height, float *out) {
  if (width <= 0 || height <= 0)
    return ef_error_set(EF_EINVAL, "empty frame %dx%d", width, height);
  int rc = transform_prepare(t, width, height);
  if (rc != EF_OK)
    return rc;
  for (int j = 0; j < MAX_TAPS; j++) /* a new frame: nothing cached */
    t->row_of[j] = -1;
  const int crop = t->spec.crop_size, n = t->y.n;
  const size_t plane = (size_t)crop * (size_t)crop;
  const float *h[MAX_TAPS];
  for (int oy = 0; oy < crop; oy++) {
    const int *yi = t->y.idx + (size_t)oy * (size_t)n;
    const float *yw = t->y.w + (size_t)oy * (size_t)n;
    for (int j = 0; j < n; j++)
      h[j] = x_row(t, rgb, linesize, yi[j]);
    for (int c = 0; c < 3; c++) {
      const size_t base = (size_t)c * (size_t)crop;
      const float *hc[MAX_TAPS];
      for (int j = 0; j < n; j++)
        hc[j] = h[j] + base;
      y_pass(hc, yw, n, crop, t->spec.mean[c], t->spec.std[c],
             out + (size_t)c * plane + (size_t)oy * (size_t)crop);
    }
  }
  return EF_OK;
}

void transform_free(transform *t) {
  if (!t)
    return;
  prepared_free(t);
  free(t);
}
