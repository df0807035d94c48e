/*
 * model.c - loading a model once and running batches through it, and
 * choosing per input shape which variant of the module (as saved, frozen,
 * optimised) runs them, so that the optimisation never changes what runs.
 * The kind-specific input packing is in model_kinds.c; the libtorch calls
 * are behind shim/torch_shim.h.
 */
#include "model/model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"

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
    /* libtorch would wait forever on a FIFO named like a model. */
    int fd = fs_open_regular(s->model_path);
    if (fd < 0) {
      rc = ef_error_set(fd == -ENOENT ? EF_ENOTFOUND : EF_EMODEL,
                        "cannot load the model %s: %s", s->model_path,
                        fd == -ENOTSUP ? "not a regular file" : strerror(-fd));
      goto fail;
    }
    close(fd);
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

static const char *variant_name(int variant) {
  switch (variant) {
  case EFS_OPTIMIZED: return "optimised";
  case EFS_FROZEN: return "frozen";
  default: return "saved";
  }
}

/* The decision for inputs of this shape, or NULL if none yet. */
static model_choice *choice_find(ef_model *m, const efs_input *in, int n,
                                 int as_list) {
  for (int c = 0; c < m->n_choices; c++) {
    model_choice *ch = &m->choices[c];
    if (ch->n != n || ch->as_list != as_list)
      continue;
    int same = 1;
    for (int i = 0; same && i < n; i++)
      same = ch->ndim[i] == in[i].ndim &&
             memcmp(ch->shape[i], in[i].shape,
                    sizeof(int64_t) * (size_t)in[i].ndim) == 0;
    if (same)
      return ch;
  }
  return NULL;
}

static void choice_store(ef_model *m, const efs_input *in, int n, int as_list,
                         int variant) {
  model_choice *ch = choice_find(m, in, n, as_list);
  if (!ch) {
    int slot =
        m->n_choices < MODEL_MAX_CHOICES ? m->n_choices++ : m->next_choice;
    if (m->n_choices == MODEL_MAX_CHOICES)
      m->next_choice = (slot + 1) % MODEL_MAX_CHOICES;
    ch = &m->choices[slot];
    ch->n = n;
    ch->as_list = as_list;
    for (int i = 0; i < n; i++) {
      ch->ndim[i] = in[i].ndim;
      memcpy(ch->shape[i], in[i].shape, sizeof(int64_t) * (size_t)in[i].ndim);
    }
  }
  ch->variant = variant;
}

/* max |got - want| / max |want|, or HUGE_VAL where the shapes differ or a
 * NaN stands where the other has a number. */
static double relative_difference(const efs_output *got,
                                  const efs_output *want) {
  if (got->ndim != want->ndim)
    return HUGE_VAL;
  size_t count = 1;
  for (int d = 0; d < want->ndim; d++) {
    if (got->shape[d] != want->shape[d])
      return HUGE_VAL;
    count *= (size_t)want->shape[d];
  }
  double diff = 0, scale = 0;
  for (size_t i = 0; i < count; i++) {
    double a = got->data[i], b = want->data[i];
    if (isnan(a) || isnan(b)) {
      if (isnan(a) != isnan(b))
        return HUGE_VAL;
      continue;
    }
    if (isinf(a) || isinf(b)) {
      if (a != b)
        return HUGE_VAL;
      continue;
    }
    diff = fmax(diff, fabs(a - b));
    scale = fmax(scale, fabs(b));
  }
  if (diff == 0)
    return 0;
  return scale > 0 ? diff / scale : HUGE_VAL;
}

static void add_timing(efs_timing *sum, const efs_timing *t) {
  sum->transfer += t->transfer;
  sum->forward += t->forward;
}

/* "the optimised module fails (what it said)", appended to why at *w. */
static void say_fails(char *why, size_t size, size_t *w, int variant,
                      const char *err) {
  static const char shim_prefix[] = "model forward failed: ";
  if (strncmp(err, shim_prefix, sizeof shim_prefix - 1) == 0)
    err += sizeof shim_prefix - 1;
  int k = snprintf(why + *w, size - *w, "%sthe %s module fails (%s)",
                   *w ? "; " : "", variant_name(variant), err);
  if (k > 0)
    *w = *w + (size_t)k < size ? *w + (size_t)k : size - 1;
}

/* Decides which variant runs inputs of this shape, trying those faster
 * than `below` (fastest first) against the module as saved, and leaves
 * that variant's output of this batch in *out. An error of the module as
 * saved is the model's own and is returned; the faster variants' errors
 * and differences only make them lose. dropped: why the variant `below`
 * was dropped (its error on this batch), or NULL. */
static int choose_variant(ef_model *m, const efs_input *in, int n, int as_list,
                          int below, const char *dropped, efs_output *out,
                          efs_timing *timing) {
  char err[1024] = "", why[2400] = "";
  efs_output want = {0};
  efs_timing t = {0, 0};
  int rc = efs_module_forward_variant(m->module, EFS_SAVED, in, n, as_list,
                                      &want, &t, err, sizeof err);
  add_timing(timing, &t);
  if (rc != EF_OK)
    return forward_error(m, in, n, as_list, rc, err);
  double rtol = m->settings.half && strncmp(m->settings.device, "cuda", 4) == 0
                    ? MODEL_VARIANT_RTOL_HALF
                    : MODEL_VARIANT_RTOL;
  int chosen = EFS_SAVED;
  size_t w = 0;
  if (dropped)
    say_fails(why, sizeof why, &w, below, dropped);
  for (int v = below - 1; v > EFS_SAVED; v--) {
    if (!efs_module_has_variant(m->module, v))
      continue;
    efs_output got = {0};
    err[0] = '\0';
    rc = efs_module_forward_variant(m->module, v, in, n, as_list, &got, &t, err,
                                    sizeof err);
    add_timing(timing, &t);
    double rel = rc == EF_OK ? relative_difference(&got, &want) : 0;
    if (rc == EF_OK && rel <= rtol) {
      chosen = v;
      *out = got;
      break;
    }
    free(got.data);
    if (rc != EF_OK) {
      say_fails(why, sizeof why, &w, v, err);
      continue;
    }
    int k = snprintf(why + w, sizeof why - w,
                     "%sthe %s module differs from the saved one by %.3g "
                     "relative (over %g)",
                     w ? "; " : "", variant_name(v), rel, rtol);
    if (k > 0)
      w = w + (size_t)k < sizeof why ? w + (size_t)k : sizeof why - 1;
  }
  if (chosen == EFS_SAVED)
    *out = want;
  else
    free(want.data);
  choice_store(m, in, n, as_list, chosen);
  if (w > 0 && !m->fallback_told[chosen]) {
    char shapes[256];
    m->fallback_told[chosen] = 1;
    ef_log(EF_LOG_WARNING,
           "model %s, %s input: %s; running it %s (the optimisation is "
           "checked once per input shape)",
           m->settings.model_path,
           describe_inputs(in, n, as_list, shapes, sizeof shapes), why,
           chosen == EFS_SAVED ? "as saved" : "frozen only");
  }
  return EF_OK;
}

/* Forwards the inputs on the variant chosen for their shape, choosing on
 * the first batch of a shape. A chosen variant that fails later is
 * dropped for that shape and the batch decided again without it. */
static int forward_checked(ef_model *m, const efs_input *in, int n, int as_list,
                           efs_output *out, efs_timing *timing) {
  char err[1024] = "";
  efs_timing t = {0, 0};
  if (!efs_module_has_variant(m->module, EFS_FROZEN)) {
    int rc = efs_module_forward_variant(m->module, EFS_SAVED, in, n, as_list,
                                        out, &t, err, sizeof err);
    add_timing(timing, &t);
    return rc == EF_OK ? EF_OK : forward_error(m, in, n, as_list, rc, err);
  }
  model_choice *ch = choice_find(m, in, n, as_list);
  if (!ch)
    return choose_variant(m, in, n, as_list, EFS_VARIANTS, NULL, out, timing);
  int rc = efs_module_forward_variant(m->module, ch->variant, in, n, as_list,
                                      out, &t, err, sizeof err);
  add_timing(timing, &t);
  if (rc == EF_OK)
    return EF_OK;
  if (ch->variant == EFS_SAVED)
    return forward_error(m, in, n, as_list, rc, err);
  return choose_variant(m, in, n, as_list, ch->variant, err, out, timing);
}

int model_forward(ef_model *m, const window_batch *batch, efs_output *out,
                  efs_timing *timing) {
  efs_input inputs[MODEL_MAX_INPUTS];
  int n = 0, as_list = 0;
  float *scratch = NULL;
  memset(inputs, 0, sizeof inputs);
  memset(out, 0, sizeof *out);
  if (!m->kind->needs_model)
    return copy_batch(batch, out);
  int rc = m->kind->pack(&m->settings, batch, inputs, &n, &as_list, &scratch);
  efs_timing sum = {0, 0};
  if (rc == EF_OK)
    rc = forward_checked(m, inputs, n, as_list, out, &sum);
  if (timing)
    *timing = sum;
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
