/*
 * model.h - the ef_model handle: a TorchScript module plus the model kind
 * that packs its inputs, loaded once per run.
 */
#ifndef EF_MODEL_H
#define EF_MODEL_H

#include "config/settings.h"
#include "model/model_kind.h"
#include "torch_shim.h"

/* Which variant of the module (efs_variant) runs inputs of one shape:
 * decided on the first batch of that shape, by running it through the
 * module as saved and the faster variants (model.c). */
#define MODEL_MAX_INPUTS 4
typedef struct {
  int n, as_list;
  int ndim[MODEL_MAX_INPUTS];
  int64_t shape[MODEL_MAX_INPUTS][EFS_MAX_DIMS];
  int variant;
} model_choice;
#define MODEL_MAX_CHOICES 32

/* How far a faster variant's output may be from the saved module's:
 * max |fast - saved| over max |saved|. Float32 rounding of reordered sums
 * stays near 1e-6; a wrong kernel is off by far more. Under CUDA float16
 * autocast every op rounds to 2^-11, so that tolerance is wider. */
#define MODEL_VARIANT_RTOL 1e-5
#define MODEL_VARIANT_RTOL_HALF 1e-2

struct ef_model {
  efs_module *module;
  const model_kind *kind;
  ef_settings settings; /* the config the model was loaded with */
  /* Decisions so far, per input shape; past MODEL_MAX_CHOICES the oldest
   * is replaced (next_choice). Odd video sizes and a run's last, shorter
   * batch each add one. */
  model_choice choices[MODEL_MAX_CHOICES];
  int n_choices, next_choice;
  /* A fallback to this variant was said already (once per model). */
  int fallback_told[EFS_VARIANTS];
};

/* Loads the model named by the settings (kind check, then TorchScript). */
int model_load(const ef_settings *s, ef_model **out);
/* EF_OK if the model was loaded for what these settings ask (kind, model
 * file, device, dtype), else EF_ECONFIG naming the first difference: a
 * model and a config of two setups would give features of neither. */
int model_check_settings(const ef_model *m, const ef_settings *s);
/* Runs one batch through the model: packs it for the kind, forwards it.
 * out->data is malloc'd. The first batch of each input shape also runs
 * through the module as saved; a faster variant that fails on it or gives
 * other numbers (beyond MODEL_VARIANT_RTOL of the largest output
 * magnitude) is not used for that shape, and the fallback is logged once.
 * A faster variant never fails a batch: the module as saved runs it. */
int model_forward(ef_model *m, const window_batch *batch, efs_output *out,
                  efs_timing *timing);

#endif
