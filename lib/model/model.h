/*
 * model.h - the ef_model handle: a TorchScript module plus the model kind
 * that packs its inputs, loaded once per run.
 */
#ifndef EF_MODEL_H
#define EF_MODEL_H

#include "config/settings.h"
#include "model/model_kind.h"
#include "torch_shim.h"

struct ef_model {
  efs_module *module;
  const model_kind *kind;
  ef_settings settings; /* the config the model was loaded with */
};

/* Loads the model named by the settings (kind check, then TorchScript). */
int model_load(const ef_settings *s, ef_model **out);
/* EF_OK if the model was loaded for what these settings ask (kind, model
 * file, device, dtype), else EF_ECONFIG naming the first difference: a
 * model and a config of two setups would give features of neither. */
int model_check_settings(const ef_model *m, const ef_settings *s);
/* Runs one batch through the model: packs it for the kind, forwards it.
 * out->data is malloc'd. */
int model_forward(ef_model *m, const window_batch *batch, efs_output *out,
                  efs_timing *timing);

#endif
