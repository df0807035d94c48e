/*
 * model_kind.h - how a batch of transformed windows becomes a model's
 * inputs. Each kind is one entry in the table of model_kinds.c; a model
 * with a new input packing needs one C file implementing this struct and
 * one line in that table. Models that fit an existing kind need no code,
 * only a TorchScript file and a YAML in configs/.
 */
#ifndef EF_MODEL_KIND_H
#define EF_MODEL_KIND_H

#include <stdint.h>

#include "config/settings.h"
#include "torch_shim.h"

/* A batch of b windows of one shape, contiguous: [b, shape...]. Video
 * windows are [3][T][H][W]; audio windows [samples] or [mels][frames]. */
typedef struct {
  const float *data;
  int64_t b;
  int64_t shape[4];
  int ndim;
} window_batch;

typedef struct model_kind {
  const char *name;
  const char *description;
  /* 0 for kinds computed entirely in the library (mel spectrograms): no
   * model file is loaded and the window itself is the feature. */
  int needs_model;
  /* Fills inputs[0..*n) (at most 4) from the batch. May allocate one
   * scratch buffer through *scratch (freed by the caller with free()).
   * *as_list tells the shim to pass the inputs as one List[Tensor]. */
  int (*pack)(const ef_settings *s, const window_batch *batch,
              efs_input *inputs, int *n, int *as_list, float **scratch);
} model_kind;

/* The kind with this name, or NULL. */
const model_kind *model_kind_find(const char *name);
/* Names of all kinds, comma separated, for error messages. */
const char *model_kind_names(void);

/* The kinds, one per file. */
extern const model_kind model_kind_video;
extern const model_kind model_kind_slowfast;
extern const model_kind model_kind_image;
extern const model_kind model_kind_clip;
extern const model_kind model_kind_audio;
extern const model_kind model_kind_asr;
extern const model_kind model_kind_mel;

/* SlowFast's slow-pathway frame indices: torch.linspace(0, t - 1,
 * t / alpha) in float32, truncated (docs/semantics.md, "SlowFast slow
 * pathway"). Writes t / alpha indices; returns how many. */
int64_t slowfast_slow_indices(int64_t t, int alpha, int64_t *out);

#endif
