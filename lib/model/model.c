/*
 * model.c - loading a model once and running batches through it. The
 * kind-specific input packing is in model_kinds.c; the libtorch calls are
 * behind shim/torch_shim.h.
 */
#include "model/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* Copies the strings of a settings struct so the model owns them. */
static int settings_copy(const ef_settings *src, ef_settings *dst) {
  *dst = *src;
  dst->video_dir_path = dst->ego4d_download_dir = dst->dataset_version = NULL;
  dst->uid_list = NULL;
  dst->n_uids = 0;
  dst->egoexo_data_dir = NULL;
  dst->cam_prefixes = NULL;
  dst->n_cam_prefixes = 0;
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
  if (kind->needs_model && (!s->model_path || !*s->model_path))
    return ef_error_set(EF_ECONFIG, "model_config.model_path is not set");
  ef_model *m = calloc(1, sizeof *m);
  if (!m)
    return ef_error_set(EF_ENOMEM, "out of memory");
  int rc = settings_copy(s, &m->settings);
  if (rc != EF_OK)
    goto fail;
  if (kind->needs_model) {
    efs_load_options opt = {m->settings.device, s->half, s->optimize};
    rc = efs_module_load(s->model_path, &opt, &m->module, err, sizeof err);
    if (rc != EF_OK) {
      ef_error_set(rc, "%s", err);
      goto fail;
    }
  }
  m->kind = kind;
  *out = m;
  return EF_OK;
fail:
  settings_free(&m->settings);
  free(m);
  return rc;
}

/* Kinds without a model: the windows themselves are the features. */
static int copy_batch(const window_batch *b, efs_output *out) {
  size_t n = (size_t)b->b;
  out->ndim = b->ndim + 1;
  out->shape[0] = b->b;
  for (int d = 0; d < b->ndim; d++) {
    out->shape[d + 1] = b->shape[d];
    n *= (size_t)b->shape[d];
  }
  out->data = malloc(n * sizeof(float));
  if (!out->data)
    return ef_error_set(EF_ENOMEM, "out of memory");
  memcpy(out->data, b->data, n * sizeof(float));
  return EF_OK;
}

/* torch.nn.functional.normalize(x, p=2, dim=-1): each row over the last
 * dimension divided by max(norm, 1e-12). */
static void l2_normalize_rows(efs_output *out) {
  if (out->ndim < 1)
    return;
  size_t len = (size_t)out->shape[out->ndim - 1], rows = 1;
  for (int d = 0; d < out->ndim - 1; d++)
    rows *= (size_t)out->shape[d];
  for (size_t r = 0; r < rows; r++) {
    float *v = out->data + r * len;
    double sum = 0;
    for (size_t i = 0; i < len; i++)
      sum += (double)v[i] * (double)v[i];
    double norm = sqrt(sum);
    float inv = (float)(1.0 / (norm > 1e-12 ? norm : 1e-12));
    for (size_t i = 0; i < len; i++)
      v[i] *= inv;
  }
}

/* "[2,3,32,224,224]", or "[[2,3,8,256,256], [2,3,32,256,256]]" for a
 * list of inputs, into buf. */
static const char *describe_inputs(const efs_input *in, int n, int as_list,
                                   char *buf, size_t size) {
  size_t w = 0;
#define PUT(...)                                                               \
  do {                                                                         \
    int k_ = snprintf(buf + w, size - w, __VA_ARGS__);                         \
    if (k_ > 0)                                                                \
      w = w + (size_t)k_ < size ? w + (size_t)k_ : size - 1;                   \
  } while (0)
  buf[0] = '\0';
  if (as_list || n > 1)
    PUT("[");
  for (int i = 0; i < n; i++) {
    PUT("%s[", i ? ", " : "");
    for (int d = 0; d < in[i].ndim; d++)
      PUT("%s%lld", d ? "," : "", (long long)in[i].shape[d]);
    PUT("]");
  }
  if (as_list || n > 1)
    PUT("]");
#undef PUT
  return buf;
}

/* A forward pass that throws is most often a model exported for another
 * input packing than the config's kind: the message says which input the
 * kind gave it, and where to look, instead of only TorchScript's words. */
static int forward_error(const ef_model *m, const efs_input *in, int n,
                         int as_list, int rc, const char *err) {
  static const char shim_prefix[] = "model forward failed: ";
  char shapes[256];
  /* Only a throw inside forward() is about the input; an output that is
   * not a tensor, say, is worded by the shim already. */
  if (strncmp(err, shim_prefix, sizeof shim_prefix - 1) != 0)
    return ef_error_set(rc, "%s: %s", m->settings.model_path, err);
  err += sizeof shim_prefix - 1;
  return ef_error_set(rc,
                      "model %s failed on a %s input for kind '%s': %s; check "
                      "model_config.kind (kinds: %s) and the model's input",
                      m->settings.model_path,
                      describe_inputs(in, n, as_list, shapes, sizeof shapes),
                      m->kind->name, err, model_kind_names());
}

int model_forward(ef_model *m, const window_batch *batch, efs_output *out,
                  efs_timing *timing) {
  efs_input inputs[4];
  int n = 0, as_list = 0;
  float *scratch = NULL;
  char err[1024] = "";
  memset(inputs, 0, sizeof inputs);
  memset(out, 0, sizeof *out);
  if (!m->kind->needs_model)
    return copy_batch(batch, out);
  int rc = m->kind->pack(&m->settings, batch, inputs, &n, &as_list, &scratch);
  if (rc == EF_OK) {
    rc = efs_module_forward(m->module, inputs, n, as_list, out, timing, err,
                            sizeof err);
    if (rc != EF_OK)
      forward_error(m, inputs, n, as_list, rc, err);
  }
  free(scratch);
  if (rc == EF_OK && m->settings.l2_normalize)
    l2_normalize_rows(out);
  return rc;
}

static int same_text(const char *a, const char *b) {
  return strcmp(a ? a : "", b ? b : "") == 0;
}

static int mismatch(const char *key, const char *had, const char *asked) {
  return ef_error_set(EF_ECONFIG,
                      "the model was loaded with %s %s, but the config "
                      "says %s: load the model with this config",
                      key, had && *had ? had : "(unset)",
                      asked && *asked ? asked : "(unset)");
}

int model_check_settings(const ef_model *m, const ef_settings *s) {
  const ef_settings *ms = &m->settings;
  if (!same_text(m->kind->name, s->model_kind))
    return mismatch("model_config.kind", m->kind->name, s->model_kind);
  if (m->kind->needs_model && !same_text(ms->model_path, s->model_path))
    return mismatch("model_config.model_path", ms->model_path, s->model_path);
  if (!same_text(ms->device, s->device))
    return mismatch("inference_config.device", ms->device, s->device);
  if (ms->half != s->half)
    return mismatch("model_config.dtype", ms->half ? "float16" : "float32",
                    s->half ? "float16" : "float32");
  return EF_OK;
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
