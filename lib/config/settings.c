/*
 * settings.c - reads the typed run settings out of a config tree, applying
 * the defaults of docs/semantics.md ("Defaults") where a key is absent.
 */
#include "config/settings.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/ffmpeg_log.h"
#include "util/log.h"

static int64_t gcd64(int64_t a, int64_t b) {
  while (b) {
    int64_t t = a % b;
    a = b;
    b = t;
  }
  return a < 0 ? -a : a;
}

int settings_parse_rate(const char *text, int64_t *num, int64_t *den) {
  char *end;
  const char *slash = strchr(text, '/');
  if (slash) {
    long long n = strtoll(text, &end, 10);
    if (end != slash)
      goto bad;
    long long d = strtoll(slash + 1, &end, 10);
    if (*end || n <= 0 || d <= 0)
      goto bad;
    int64_t g = gcd64(n, d);
    *num = n / g;
    *den = d / g;
    return EF_OK;
  }
  double r = strtod(text, &end);
  while (isspace((unsigned char)*end))
    end++;
  if (end == text || *end || !(r > 0) || r > 1e6)
    goto bad;
  if (r == floor(r)) {
    *num = (int64_t)r;
    *den = 1;
    return EF_OK;
  }
  /* 29.97, 59.94, 23.976: users mean the NTSC rates N * 1000 / 1001. */
  double n1001 = r * 1001.0 / 1000.0;
  if (fabs(n1001 - floor(n1001 + 0.5)) < 1e-3) {
    *num = (int64_t)floor(n1001 + 0.5) * 1000;
    *den = 1001;
    return EF_OK;
  }
  /* Any other decimal: exact as written, to a millionth. */
  int64_t n = (int64_t)floor(r * 1e6 + 0.5), d = 1000000, g = gcd64(n, d);
  *num = n / g;
  *den = d / g;
  return EF_OK;
bad:
  return ef_error_set(EF_ECONFIG, "invalid frame rate '%s'", text);
}

/* Reads an optional value; a missing or null key keeps the default. */
static int opt_int(const ef_config *c, const char *path, int64_t *v) {
  int rc = ef_config_get_int(c, path, v);
  return rc == EF_ENOTFOUND ? EF_OK : rc;
}

static int opt_bool(const ef_config *c, const char *path, int *v) {
  int rc = ef_config_get_bool(c, path, v);
  return rc == EF_ENOTFOUND ? EF_OK : rc;
}

static int opt_str(const ef_config *c, const char *path, const char *def,
                   char **v) {
  const char *s = NULL;
  int rc = ef_config_get_string(c, path, &s);
  if (rc == EF_ENOTFOUND) {
    s = def;
    rc = EF_OK;
  }
  if (rc != EF_OK)
    return rc;
  free(*v);
  *v = s ? strdup(s) : NULL;
  if (s && !*v)
    return ef_error_set(EF_ENOMEM, "out of memory");
  return EF_OK;
}

static int opt_int32(const ef_config *c, const char *path, int *v) {
  int64_t x = *v;
  int rc = opt_int(c, path, &x);
  if (rc == EF_OK && (x < -2147483647LL || x > 2147483647LL))
    return ef_error_set(EF_ECONFIG, "%s: %lld is out of range", path,
                        (long long)x);
  *v = (int)x;
  return rc;
}

static int read_triple(const ef_config *c, const char *path, float *v) {
  size_t n;
  int rc = ef_config_get_list_size(c, path, &n);
  if (rc == EF_ENOTFOUND)
    return EF_OK;
  if (rc != EF_OK)
    return rc;
  if (n != 3)
    return ef_error_set(EF_ECONFIG, "%s: expected 3 values, got %zu", path, n);
  for (size_t i = 0; i < 3; i++) {
    const char *s;
    char *end;
    rc = ef_config_get_list_string(c, path, i, &s);
    if (rc != EF_OK)
      return rc;
    v[i] = strtof(s, &end);
    if (end == s || *end)
      return ef_error_set(EF_ECONFIG, "%s[%zu]: '%s' is not a number", path, i,
                          s);
  }
  return EF_OK;
}

/* An optional list of strings; a missing or null key leaves it NULL. */
static int read_str_list(const ef_config *c, const char *path, char ***list,
                         size_t *count) {
  size_t n;
  int rc = ef_config_get_list_size(c, path, &n);
  if (rc == EF_ENOTFOUND)
    return EF_OK;
  if (rc != EF_OK)
    return rc;
  *list = calloc(n ? n : 1, sizeof(char *));
  if (!*list)
    return ef_error_set(EF_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const char *u;
    rc = ef_config_get_list_string(c, path, i, &u);
    if (rc != EF_OK)
      return rc;
    if (!((*list)[i] = strdup(u)))
      return ef_error_set(EF_ENOMEM, "out of memory");
    *count = i + 1;
  }
  return EF_OK;
}

static int read_uid_list(const ef_config *c, ef_settings *s) {
  return read_str_list(c, "io.uid_list", &s->uid_list, &s->n_uids);
}

/* The model kind: model_config.kind, else derived from the reference's
 * model_module_str so unmodified reference configs still work. */
static int resolve_kind(const ef_config *c, ef_settings *s) {
  const char *kind = NULL, *module = NULL, *input_type = NULL;
  if (ef_config_get_string(c, "model_config.kind", &kind) == EF_OK)
    return opt_str(c, "model_config.kind", NULL, &s->model_kind);
  ef_config_get_string(c, "model_module_str", &module);
  ef_config_get_string(c, "model_config.input_type", &input_type);
  if (!module)
    kind = "video";
  else if (strstr(module, "slowfast"))
    kind = "slowfast";
  else if (strstr(module, "mel_spectrogram"))
    kind = "mel_spectrogram";
  else if (strstr(module, "speechbrain_asr")) /* the reference's ASR job */
    kind = "asr";
  else if (strstr(module, "audio"))
    kind = "audio";
  else if (strstr(module, "clip") || strstr(module, "maws"))
    kind = "clip";
  else if ((input_type && strcmp(input_type, "image") == 0) ||
           s->frame_window == 1)
    kind = "image";
  else
    kind = "video";
  s->model_kind = strdup(kind);
  return s->model_kind ? EF_OK : ef_error_set(EF_ENOMEM, "out of memory");
}

/* Frames are sampled at inference_config.fps, as in the reference, whose
 * top-level fps only enters the statistics it prints; fps is read when
 * inference_config.fps is absent. A top-level fps of another rate (an
 * override fps=25 meant as the rate) would be ignored without a word:
 * it gets a warning naming the key that counts. */
static int read_rate(const ef_config *c, ef_settings *s) {
  const char *text = NULL, *top = NULL;
  int has_top = ef_config_get_string(c, "fps", &top) == EF_OK;
  if (ef_config_get_string(c, "inference_config.fps", &text) != EF_OK) {
    text = has_top ? top : "30";
    has_top = 0;
  }
  ef_error_clear();
  int rc = settings_parse_rate(text, &s->fps_num, &s->fps_den);
  if (rc != EF_OK)
    return ef_error_prefix("inference_config.fps");
  int64_t num, den;
  if (has_top && settings_parse_rate(top, &num, &den) == EF_OK &&
      num * s->fps_den != s->fps_num * den)
    ef_log(EF_LOG_WARNING,
           "fps=%s is not inference_config.fps=%s: frames are sampled at "
           "inference_config.fps (the top-level fps does not set the rate); "
           "to sample at %s, set inference_config.fps=%s",
           top, text, top, top);
  ef_error_clear();
  return EF_OK;
}

/* inference_config.hwaccel: none, cuda, or auto (the default: NVDEC when
 * the model runs on CUDA). */
static void read_hwaccel(const ef_config *c, ef_settings *s) {
  const char *hw = "auto";
  ef_config_get_string(c, "inference_config.hwaccel", &hw);
  int on_cuda = strncmp(s->device, "cuda", 4) == 0;
  if (on_cuda && s->device[4] == ':')
    s->cuda_index = atoi(s->device + 5);
  s->hwaccel_cuda =
      strcmp(hw, "cuda") == 0 || (strcmp(hw, "auto") == 0 && on_cuda);
}

static int check_positive(const char *key, int64_t v) {
  if (v >= 1)
    return EF_OK;
  return ef_error_set(EF_ECONFIG, "%s must be >= 1 (got %lld)", key,
                      (long long)v);
}

/* The defaults of docs/semantics.md ("Defaults"), for every key a config
 * may leave out. */
static void set_defaults(ef_settings *s) {
  static const float imagenet_mean[3] = {0.485f, 0.456f, 0.406f};
  static const float imagenet_std[3] = {0.229f, 0.224f, 0.225f};
  memset(s, 0, sizeof *s);
  s->video_limit = -1;
  s->filter_completed = 1;
  s->batch_size = 1;
  s->prefetch_factor = 2;
  s->frame_window = 32;
  s->stride = 16;
  s->include_video = 1;
  s->side_size = 256;
  s->crop_size = 224;
  s->slowfast_alpha = 4;
  memcpy(s->mean, imagenet_mean, sizeof s->mean);
  memcpy(s->std, imagenet_std, sizeof s->std);
  s->audio_rate = 16000;
  s->n_mels = 128;
  s->n_fft = 1024;
  s->hop_length = 160;
  s->optimize = 1;
}

static int read_io_keys(const ef_config *c, ef_settings *s) {
  int rc;
  if ((rc = opt_str(c, "io.video_dir_path", "videos", &s->video_dir_path)) ||
      (rc =
           opt_str(c, "io.ego4d_download_dir", NULL, &s->ego4d_download_dir)) ||
      (rc = opt_str(c, "io.dataset_version", "ego4d", &s->dataset_version)) ||
      (rc = opt_str(c, "io.egoexo_data_dir", NULL, &s->egoexo_data_dir)) ||
      (rc = read_str_list(c, "io.eligible_cam_prefixes", &s->cam_prefixes,
                          &s->n_cam_prefixes)) ||
      (rc = read_uid_list(c, s)) ||
      (rc = opt_int(c, "io.video_limit", &s->video_limit)) ||
      (rc = opt_int(c, "io.seed", &s->seed)) ||
      (rc = opt_str(c, "io.out_path", "features", &s->out_path)) ||
      (rc = opt_bool(c, "io.filter_completed", &s->filter_completed)) ||
      (rc = opt_bool(c, "io.debug_mode", &s->debug_mode)) ||
      (rc = opt_str(c, "io.debug_path", "debug", &s->debug_path)) ||
      (rc = opt_bool(c, "io.exclude_no_audio", &s->exclude_no_audio)))
    return rc;
  return EF_OK;
}

/* inference_config, but its norm_config (read_audio_keys). */
static int read_inference_keys(const ef_config *c, ef_settings *s) {
  int rc;
  if ((rc = opt_str(c, "inference_config.device", "cpu", &s->device)) ||
      (rc = opt_int32(c, "inference_config.batch_size", &s->batch_size)) ||
      (rc = opt_int32(c, "inference_config.num_workers", &s->num_workers)) ||
      (rc = opt_int32(c, "inference_config.prefetch_factor",
                      &s->prefetch_factor)) ||
      (rc = read_rate(c, s)) ||
      (rc = opt_int(c, "inference_config.frame_window", &s->frame_window)) ||
      (rc = opt_int(c, "inference_config.stride", &s->stride)) ||
      (rc = opt_bool(c, "inference_config.include_audio", &s->include_audio)) ||
      (rc = opt_bool(c, "inference_config.include_video", &s->include_video)))
    return rc;
  return EF_OK;
}

/* The model file and its video transform. */
static int read_model_keys(const ef_config *c, ef_settings *s) {
  int rc;
  if ((rc = opt_str(c, "model_config.model_path", NULL, &s->model_path)) ||
      (rc = opt_int32(c, "model_config.side_size", &s->side_size)) ||
      (rc = opt_int32(c, "model_config.crop_size", &s->crop_size)) ||
      (rc = opt_int32(c, "model_config.slowfast_alpha", &s->slowfast_alpha)) ||
      (rc = read_triple(c, "model_config.mean", s->mean)) ||
      (rc = read_triple(c, "model_config.std", s->std)))
    return rc;
  return EF_OK;
}

/* Audio: normalisation, resampling and the mel spectrogram. win_length
 * defaults to n_fft, as in torchaudio. */
static int read_audio_keys(const ef_config *c, ef_settings *s) {
  int rc;
  if ((rc = opt_bool(c, "inference_config.norm_config.normalize_audio",
                     &s->normalize_audio)) ||
      (rc = opt_int32(c, "inference_config.norm_config.resample_audio_rate",
                      &s->audio_rate)) ||
      (rc = opt_int32(c, "model_config.n_mels", &s->n_mels)) ||
      (rc = opt_int32(c, "model_config.n_fft", &s->n_fft)) ||
      (rc = opt_int32(c, "model_config.hop_length", &s->hop_length)) ||
      (rc = opt_int32(c, "model_config.win_length", &s->win_length)))
    return rc;
  if (s->win_length <= 0)
    s->win_length = s->n_fft;
  return EF_OK;
}

/* The model kind and the defaults it implies. CLIP-style encoders: 2-D
 * input, bicubic resizing and unit-length embeddings unless the config
 * says otherwise. */
static int read_kind(const ef_config *c, ef_settings *s) {
  const char *interp = NULL;
  int rc = resolve_kind(c, s);
  if (rc != EF_OK)
    return rc;
  int is_clip = strcmp(s->model_kind, "clip") == 0;
  s->input_2d = is_clip;
  s->interp = is_clip ? EF_INTERP_BICUBIC : EF_INTERP_BILINEAR;
  s->l2_normalize = is_clip;
  if ((rc = opt_bool(c, "model_config.l2_normalize", &s->l2_normalize)))
    return rc;
  if (ef_config_get_string(c, "model_config.interpolation", &interp) == EF_OK)
    s->interp =
        strcmp(interp, "bicubic") == 0 ? EF_INTERP_BICUBIC : EF_INTERP_BILINEAR;
  return EF_OK;
}

const char *const settings_out_format_names[] = {
    STORE_FORMATS(STORE_FORMAT_NAME_) NULL};

/* io.out_format, io.hdf5_compression and io.on_mismatch: what is written, and
 * what is done with outputs of another model or version. */
static int read_output_choices(const ef_config *c, ef_settings *s) {
  const char *fmt = NULL, *mm = NULL;
  if (ef_config_get_string(c, "io.out_format", &fmt) == EF_OK) {
    int k = 0;
    while (settings_out_format_names[k] &&
           strcmp(fmt, settings_out_format_names[k]) != 0)
      k++;
    if (!settings_out_format_names[k]) {
      char list[256] = "";
      for (int j = 0; settings_out_format_names[j]; j++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                 j ? ", " : "", settings_out_format_names[j]);
      return ef_error_set(EF_ECONFIG, "io.out_format: '%s' is not one of %s",
                          fmt, list);
    }
    s->out_format = (ef_out_format)k;
  }
  /* Text comes only from a speech model's emissions; the asr kind with
   * pt, npy or hdf5 writes the emissions themselves. */
  if (s->out_format == EF_FORMAT_TRANSCRIPT &&
      (!s->model_kind || strcmp(s->model_kind, "asr") != 0))
    return ef_error_set(EF_ECONFIG,
                        "io.out_format transcript needs model_config.kind "
                        "asr (a CTC speech model), not '%s'",
                        s->model_kind ? s->model_kind : "(none)");
  const char *gz = NULL;
  if (ef_config_get_string(c, "io.hdf5_compression", &gz) == EF_OK &&
      strcmp(gz, "none") != 0) {
    s->hdf5_gzip = strcmp(gz, "gzip") == 0 ? 4 : atoi(gz + 5);
    if (strncmp(gz, "gzip", 4) != 0 || s->hdf5_gzip < 1 || s->hdf5_gzip > 9)
      return ef_error_set(EF_ECONFIG,
                          "io.hdf5_compression: '%s' is not none, gzip or "
                          "gzip-1 ... gzip-9",
                          gz);
  }
  if (ef_config_get_string(c, "io.on_mismatch", &mm) == EF_OK) {
    if (strcmp(mm, "redo") == 0)
      s->on_mismatch = EF_MISMATCH_REDO;
    else if (strcmp(mm, "skip") == 0)
      s->on_mismatch = EF_MISMATCH_SKIP;
    else if (strcmp(mm, "refuse") != 0)
      return ef_error_set(
          EF_ECONFIG, "io.on_mismatch: '%s' is not refuse, redo or skip", mm);
  }
  return EF_OK;
}

/* model_config.input_layout (over the kind's default) and dtype. */
static int read_input_layout(const ef_config *c, ef_settings *s) {
  const char *layout = NULL, *dtype = NULL;
  if (ef_config_get_string(c, "model_config.input_layout", &layout) == EF_OK) {
    s->input_2d = strcmp(layout, "nchw") == 0;
    if (!s->input_2d && strcmp(layout, "ncthw") != 0)
      return ef_error_set(
          EF_ECONFIG, "model_config.input_layout: '%s' is not ncthw or nchw",
          layout);
  }
  if (ef_config_get_string(c, "model_config.dtype", &dtype) == EF_OK)
    s->half = strcmp(dtype, "float16") == 0;
  return EF_OK;
}

/* Values no run can use, whichever keys they came from. */
static int check_settings(const ef_settings *s) {
  int rc;
  if ((rc = check_positive("inference_config.batch_size", s->batch_size)) ||
      (rc = check_positive("inference_config.frame_window", s->frame_window)) ||
      (rc = check_positive("inference_config.stride", s->stride)) ||
      (rc = check_positive("model_config.crop_size", s->crop_size)) ||
      (rc = check_positive("model_config.slowfast_alpha", s->slowfast_alpha)) ||
      (rc = check_positive("inference_config.norm_config.resample_audio_rate",
                           s->audio_rate)) ||
      (rc = check_positive("model_config.n_mels", s->n_mels)) ||
      (rc = check_positive("model_config.n_fft", s->n_fft)) ||
      (rc = check_positive("model_config.hop_length", s->hop_length)))
    return rc;
  if (s->side_size < s->crop_size)
    return ef_error_set(
        EF_ECONFIG, "model_config.side_size %d is smaller than crop_size %d",
        s->side_size, s->crop_size);
  if (s->include_audio == s->include_video)
    return ef_error_set(EF_ECONFIG, "exactly one of inference_config."
                                    "include_audio and include_video must be "
                                    "true");
  return EF_OK;
}

int settings_load(const ef_config *c, ef_settings *s) {
  /* Every run reads its settings first: the one place to quiet
   * FFmpeg before it decodes or probes anything. */
  ffmpeg_log_init();
  set_defaults(s);
  int rc;
  if ((rc = read_io_keys(c, s)) || (rc = read_inference_keys(c, s)) ||
      (rc = read_model_keys(c, s)) || (rc = read_audio_keys(c, s)) ||
      (rc = opt_bool(c, "model_config.optimize", &s->optimize)) ||
      (rc = read_kind(c, s)) || (rc = read_output_choices(c, s)) ||
      (rc = read_input_layout(c, s)))
    goto fail;
  read_hwaccel(c, s);
  if ((rc = check_settings(s)))
    goto fail;
  return EF_OK;
fail:
  settings_free(s);
  return rc;
}

void settings_free(ef_settings *s) {
  if (!s)
    return;
  free(s->video_dir_path);
  free(s->ego4d_download_dir);
  free(s->dataset_version);
  for (size_t i = 0; i < s->n_uids; i++)
    free(s->uid_list[i]);
  free(s->uid_list);
  free(s->egoexo_data_dir);
  for (size_t i = 0; i < s->n_cam_prefixes; i++)
    free(s->cam_prefixes[i]);
  free(s->cam_prefixes);
  free(s->out_path);
  free(s->debug_path);
  free(s->device);
  free(s->model_path);
  free(s->model_kind);
  memset(s, 0, sizeof *s);
}
