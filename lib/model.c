/*
 * model.c - loading a model once and running batches through it. The
 * kind-specific input packing is in model_kinds.c; the libtorch calls are
 * behind shim/torch_shim.h.
 */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Copies the strings of a settings struct so the model owns them. */
static int settings_copy(const ef_settings *src, ef_settings *dst) {
  *dst = *src;
  dst->video_dir_path = dst->ego4d_download_dir = dst->dataset_version = NULL;
  dst->uid_list = NULL;
  dst->n_uids = 0;
  dst->out_path = dst->debug_path = NULL;
  dst->device = strdup(src->device ? src->device : "cpu");
  dst->model_path = src->model_path ? strdup(src->model_path) : NULL;
  dst->model_kind = strdup(src->model_kind ? src->model_kind : "video");
  if (!dst->device || !dst->model_kind ||
      (src->model_path && !dst->model_path)) {
    settings_free(dst);
    return ef_error_set(EF_ENOMEM, "out of memory");
  }
  return EF_OK;
}

int model_load(const ef_settings *s, ef_model **out) {
  char err[1024] = "";
  *out = NULL;
  const model_kind *kind = model_kind_find(s->model_kind);
  if (!kind)
    return ef_error_set(EF_ECONFIG,
                        "model_config.kind: unknown model kind '%s' (known: "
                        "%s)",
                        s->model_kind, model_kind_names());
  if (!s->model_path || !*s->model_path)
    return ef_error_set(EF_ECONFIG, "model_config.model_path is not set");
  ef_model *m = calloc(1, sizeof *m);
  if (!m)
    return ef_error_set(EF_ENOMEM, "out of memory");
  int rc = settings_copy(s, &m->settings);
  if (rc != EF_OK)
    goto fail;
  rc = efs_module_load(s->model_path, m->settings.device, s->half, &m->module,
                       err, sizeof err);
  if (rc != EF_OK) {
    ef_error_set(rc, "%s", err);
    goto fail;
  }
  m->kind = kind;
  *out = m;
  return EF_OK;
fail:
  settings_free(&m->settings);
  free(m);
  return rc;
}

int model_forward(ef_model *m, const window_batch *batch, efs_output *out,
                  efs_timing *timing) {
  efs_input inputs[4];
  int n = 0, as_list = 0;
  float *scratch = NULL;
  char err[1024] = "";
  memset(inputs, 0, sizeof inputs);
  memset(out, 0, sizeof *out);
  int rc = m->kind->pack(&m->settings, batch, inputs, &n, &as_list, &scratch);
  if (rc == EF_OK) {
    rc = efs_module_forward(m->module, inputs, n, as_list, out, timing, err,
                            sizeof err);
    if (rc != EF_OK)
      ef_error_set(rc, "%s: %s", m->settings.model_path, err);
  }
  free(scratch);
  return rc;
}

int ef_model_load(const ef_config *cfg, ef_model **out) {
  ef_settings s;
  if (!cfg || !out)
    return ef_error_set(EF_EINVAL, "ef_model_load: NULL argument");
  *out = NULL;
  int rc = settings_load(cfg, &s);
  if (rc != EF_OK)
    return rc;
  rc = model_load(&s, out);
  settings_free(&s);
  return rc;
}

const char *ef_model_kind(const ef_model *model) {
  return model ? model->kind->name : "";
}

void ef_model_free(ef_model *model) {
  if (!model)
    return;
  efs_module_free(model->module);
  settings_free(&model->settings);
  free(model);
}
