/*
 * model_slowfast.c - SlowFast's input packing: the model takes
 * [slow, fast] where fast is the whole window and slow keeps T / alpha
 * frames picked as pytorchvideo's PackPathway does.
 */
#include <stdlib.h>
#include <string.h>

#include "model/model_kind.h"
#include "util/error.h"

/* torch.linspace's CPU kernel processes 2 * 8 floats at a time as two
 * 8-lane vectors (AVX2, and the default build, which is what torch picks
 * by default even on AVX-512 machines), each vector as base + j * step
 * from its first index; the leftover tail is computed one by one. The
 * first half counts up from start, the second half down from end. The
 * float32 rounding of these two paths is what makes T = 66 pick 38. */
#define LINSPACE_LANES 8

static float linspace_base(float start, float end, float step, int64_t idx,
                           int64_t steps) {
  if (idx < steps / 2)
    return start + step * (float)idx;
  return end - step * (float)(steps - idx - 1);
}

int64_t slowfast_slow_indices(int64_t t, int alpha, int64_t *out) {
  int64_t steps = t / alpha;
  if (steps <= 0)
    return 0;
  if (steps == 1) {
    out[0] = 0;
    return 1;
  }
  const float start = 0.0f, end = (float)(t - 1);
  const float step = (end - start) / (float)(steps - 1);
  int64_t i = 0;
  for (; i + 2 * LINSPACE_LANES <= steps; i += 2 * LINSPACE_LANES)
    for (int64_t v = i; v < i + 2 * LINSPACE_LANES; v += LINSPACE_LANES) {
      float base = linspace_base(start, end, step, v, steps);
      for (int j = 0; j < LINSPACE_LANES; j++)
        out[v + j] = (int64_t)(base + (float)j * step);
    }
  for (; i < steps; i++)
    out[i] = (int64_t)linspace_base(start, end, step, i, steps);
  return steps;
}

static int pack_slowfast(const ef_settings *s, const window_batch *b,
                         efs_input *inputs, int *n, int *as_list,
                         float **scratch) {
  const int64_t T = b->shape[1], H = b->shape[2], W = b->shape[3];
  int64_t ts = T / s->slowfast_alpha;
  if (b->ndim != 4 || b->shape[0] != 3)
    return ef_error_set(EF_EINVAL, "slowfast: expected video windows");
  if (ts < 1)
    return ef_error_set(EF_ECONFIG,
                        "slowfast: frame_window %lld is shorter than "
                        "slowfast_alpha %d",
                        (long long)T, s->slowfast_alpha);
  int64_t *idx = malloc(sizeof(int64_t) * (size_t)ts);
  size_t plane = (size_t)(H * W);
  float *slow = malloc(sizeof(float) * (size_t)(b->b * 3 * ts) * plane);
  if (!idx || !slow) {
    free(idx);
    free(slow);
    return ef_error_set(EF_ENOMEM, "out of memory packing slowfast input");
  }
  slowfast_slow_indices(T, s->slowfast_alpha, idx);
  for (int64_t i = 0; i < b->b * 3; i++) /* each (window, channel) */
    for (int64_t j = 0; j < ts; j++)
      memcpy(slow + ((size_t)(i * ts + j)) * plane,
             b->data + ((size_t)(i * T + idx[j])) * plane,
             plane * sizeof(float));
  free(idx);
  *scratch = slow;
  inputs[0].data = slow;
  inputs[0].ndim = 5;
  inputs[0].shape[0] = b->b;
  inputs[0].shape[1] = 3;
  inputs[0].shape[2] = ts;
  inputs[0].shape[3] = H;
  inputs[0].shape[4] = W;
  inputs[1] = inputs[0];
  inputs[1].data = b->data;
  inputs[1].shape[2] = T;
  *n = 2;
  *as_list = 1;
  return EF_OK;
}

const model_kind model_kind_slowfast = {
    "slowfast", "[slow, fast] pathways as one list (SlowFast R101 8x8)", 1,
    pack_slowfast};
