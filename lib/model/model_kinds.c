/*
 * model_kinds.c - the table of model kinds and the plain ones:
 *   video  one [B,3,T,H,W] tensor (MViT, Omnivore video, r3d, ...)
 *   image  one frame per window, [B,3,1,H,W] or, with input_layout nchw,
 *          [B,3,H,W] (Omnivore image, MViT ImageNet)
 *   clip   CLIP-style image encoders: [B,3,H,W] unless input_layout says
 *          ncthw; the config sets bicubic resizing and L2-normalised rows
 *   audio  waveform windows, [B, samples]
 *   asr    a CTC speech model on waveform windows, [B, samples] ->
 *          emissions [B, frames, vocab], decoded to text (model/ctc.h)
 *   mel_spectrogram  no model: the window's mel spectrogram is the feature
 * SlowFast's two pathways live in model_slowfast.c.
 */
#include "model/model_kind.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

static int expect_video(const window_batch *b, const char *kind) {
  if (b->ndim == 4 && b->shape[0] == 3)
    return EF_OK;
  return ef_error_set(EF_EINVAL, "%s models take video windows", kind);
}

static void input_5d(efs_input *in, const window_batch *b) {
  in->data = b->data;
  in->ndim = 5;
  in->shape[0] = b->b;
  for (int d = 0; d < 4; d++)
    in->shape[d + 1] = b->shape[d];
}

static int pack_video(const ef_settings *s, const window_batch *b,
                      efs_input *inputs, int *n, int *as_list,
                      float **scratch) {
  (void)s;
  (void)scratch;
  int rc = expect_video(b, "video");
  if (rc != EF_OK)
    return rc;
  input_5d(&inputs[0], b);
  *n = 1;
  *as_list = 0;
  return EF_OK;
}

static int pack_image(const ef_settings *s, const window_batch *b,
                      efs_input *inputs, int *n, int *as_list,
                      float **scratch) {
  (void)scratch;
  int rc = expect_video(b, "image");
  if (rc != EF_OK)
    return rc;
  if (b->shape[1] != 1)
    return ef_error_set(EF_ECONFIG,
                        "image models take one frame per window, but "
                        "inference_config.frame_window is %lld",
                        (long long)b->shape[1]);
  input_5d(&inputs[0], b);
  if (s->input_2d) { /* [B,3,1,H,W] and [B,3,H,W] share one layout */
    inputs[0].ndim = 4;
    inputs[0].shape[2] = b->shape[2];
    inputs[0].shape[3] = b->shape[3];
  }
  *n = 1;
  *as_list = 0;
  return EF_OK;
}

static int pack_audio(const ef_settings *s, const window_batch *b,
                      efs_input *inputs, int *n, int *as_list,
                      float **scratch) {
  (void)s;
  (void)scratch;
  if (b->ndim != 1)
    return ef_error_set(EF_EINVAL, "audio models take waveform windows");
  inputs[0].data = b->data;
  inputs[0].ndim = 2;
  inputs[0].shape[0] = b->b;
  inputs[0].shape[1] = b->shape[0];
  *n = 1;
  *as_list = 0;
  return EF_OK;
}

const model_kind model_kind_video = {
    "video", "one [B,3,T,H,W] input (MViT, Omnivore video, r3d, ...)", 1,
    pack_video};

const model_kind model_kind_image = {
    "image", "one frame per window, [B,3,1,H,W] or [B,3,H,W] (nchw)", 1,
    pack_image};

/* CLIP differs from image only in its defaults (settings.c): 2-D input,
 * bicubic resizing, L2-normalised outputs. */
const model_kind model_kind_clip = {
    "clip", "CLIP-style image encoder, [B,3,H,W], L2-normalised rows", 1,
    pack_image};

const model_kind model_kind_audio = {
    "audio", "waveform windows [B, samples] at the resample rate", 1,
    pack_audio};

/* The input is the audio kind's; what differs is the output, emissions
 * that the run decodes into one transcript line per window (ctc.h). */
const model_kind model_kind_asr = {
    "asr",
    "CTC speech model: waveform windows [B, samples] -> emissions [B, "
    "frames, vocab], greedy-decoded to text",
    1, pack_audio};

const model_kind model_kind_mel = {
    "mel_spectrogram",
    "no model: the [mels, frames] spectrogram is the "
    "feature",
    0, NULL};

static const model_kind *const kinds[] = {
    &model_kind_video, &model_kind_slowfast, &model_kind_image,
    &model_kind_clip,  &model_kind_audio,    &model_kind_asr,
    &model_kind_mel,
};

const model_kind *model_kind_find(const char *name) {
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (name && strcmp(kinds[i]->name, name) == 0)
      return kinds[i];
  return NULL;
}

/* Built once from the table, so a new kind is listed without a second
 * edit. pthread_once: models may be loaded from several threads. */
static char names[256];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void build_names(void) {
  size_t used = 0;
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    int n = snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                     kinds[i]->name);
    if (n < 0 || (size_t)n >= sizeof names - used)
      break; /* cut short: the table outgrew the buffer */
    used += (size_t)n;
  }
}

const char *model_kind_names(void) {
  pthread_once(&names_once, build_names);
  return names;
}
