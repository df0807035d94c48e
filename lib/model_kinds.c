/*
 * model_kinds.c - the table of model kinds and the plain ones: "video"
 * (one [B,3,T,H,W] tensor: MViT, Omnivore video, X3D, r3d...) and "image"
 * (T = 1, as [B,3,1,H,W] or, with input_layout nchw, [B,3,H,W]).
 * SlowFast's two pathways live in model_slowfast.c.
 */
#include "model_kind.h"

#include <string.h>

#include "error.h"

static void input_5d(efs_input *in, const window_batch *b) {
  in->data = b->data;
  in->ndim = 5;
  in->shape[0] = b->b;
  in->shape[1] = 3;
  in->shape[2] = b->t;
  in->shape[3] = b->h;
  in->shape[4] = b->w;
}

static int pack_video(const ef_settings *s, const window_batch *b,
                      efs_input *inputs, int *n, int *as_list,
                      float **scratch) {
  (void)s;
  (void)scratch;
  input_5d(&inputs[0], b);
  *n = 1;
  *as_list = 0;
  return EF_OK;
}

static int pack_image(const ef_settings *s, const window_batch *b,
                      efs_input *inputs, int *n, int *as_list,
                      float **scratch) {
  (void)scratch;
  if (b->t != 1)
    return ef_error_set(EF_ECONFIG,
                        "image models take one frame per window, but "
                        "inference_config.frame_window is %lld",
                        (long long)b->t);
  input_5d(&inputs[0], b);
  if (s->input_2d) { /* [B,3,1,H,W] and [B,3,H,W] share one layout */
    inputs[0].ndim = 4;
    inputs[0].shape[2] = b->h;
    inputs[0].shape[3] = b->w;
  }
  *n = 1;
  *as_list = 0;
  return EF_OK;
}

const model_kind model_kind_video = {
    "video", "one [B,3,T,H,W] input (MViT, Omnivore video, r3d, ...)",
    pack_video};

const model_kind model_kind_image = {
    "image", "one frame per window, [B,3,1,H,W] or [B,3,H,W] (nchw)",
    pack_image};

static const model_kind *const kinds[] = {
    &model_kind_video,
    &model_kind_slowfast,
    &model_kind_image,
};

const model_kind *model_kind_find(const char *name) {
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (name && strcmp(kinds[i]->name, name) == 0)
      return kinds[i];
  return NULL;
}

const char *model_kind_names(void) {
  return "video, slowfast, image";
}
