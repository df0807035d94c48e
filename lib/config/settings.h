/*
 * settings.h - the resolved, typed view of a config that the pipeline
 * reads. Built once per run from the ef_config tree so the stages never
 * look up dotted paths themselves.
 */
#ifndef EF_SETTINGS_H
#define EF_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "ego4dfeat/ego4dfeat.h"
#include "output/store_formats.h"

/* io.out_format: EF_FORMAT_PT, _NPY, _HDF5, ... in the order of the one
 * list of formats (output/store_formats.h; output/store.h says what each
 * writes). */
typedef enum {
  STORE_FORMATS(STORE_FORMAT_ENUM_) EF_FORMAT_COUNT_
} ef_out_format;

/* The io.out_format names, in enum order, NULL-terminated. */
extern const char *const settings_out_format_names[];

/* io.on_mismatch: what to do with a complete output whose fingerprint
 * differs from this run's, or that has none (provenance.h). */
typedef enum {
  EF_MISMATCH_REFUSE = 0,
  EF_MISMATCH_REDO = 1,
  EF_MISMATCH_SKIP = 2
} ef_on_mismatch;

/* model_config.interpolation: how media/transform.c resizes frames. */
typedef enum {
  EF_INTERP_BILINEAR = 0, /* torch interpolate bilinear, no antialias */
  EF_INTERP_BICUBIC = 1
} ef_interp;

typedef struct {
  /* io */
  char *video_dir_path;
  char *ego4d_download_dir; /* NULL if unset */
  char *dataset_version;    /* "ego4d" or "egoexo" */
  char *egoexo_data_dir;    /* the folder of takes.json; NULL if unset */
  char **cam_prefixes;      /* io.eligible_cam_prefixes; NULL when null */
  size_t n_cam_prefixes;
  char **uid_list; /* NULL when io.uid_list is null */
  size_t n_uids;
  int64_t video_limit; /* -1 = all */
  int64_t seed;        /* for io.video_limit's random subset */
  char *out_path;
  ef_out_format out_format;
  int filter_completed;
  ef_on_mismatch on_mismatch;
  int hdf5_gzip; /* io.hdf5_compression: gzip level 1-9, 0 none */
  int debug_mode;
  char *debug_path;
  int exclude_no_audio;

  /* inference_config */
  char *device;
  int hwaccel_cuda; /* decode with NVDEC (inference_config.hwaccel) */
  int cuda_index;   /* the N of device cuda:N (0 for cuda) */
  int batch_size;
  int num_workers;
  int prefetch_factor;
  int64_t fps_num, fps_den; /* sampling rate as a rational */
  int64_t frame_window;
  int64_t stride;
  int include_audio;
  int include_video;

  /* model_config */
  char *model_path;
  char *model_kind; /* resolved kind name, e.g. "slowfast" */
  int side_size;
  int crop_size;
  float mean[3];
  float std[3];
  int slowfast_alpha;
  int input_2d;     /* model_config.input_layout "nchw": [B,3,H,W] input */
  int half;         /* model_config.dtype float16 */
  int optimize;     /* model_config.optimize: freeze + optimise on load */
  ef_interp interp; /* model_config.interpolation */
  int l2_normalize; /* model_config.l2_normalize: unit-length rows */

  /* audio (inference_config.norm_config and the mel model_config keys) */
  int normalize_audio; /* scale each file to peak 1 */
  int audio_rate;      /* resample_audio_rate, Hz */
  int n_mels, n_fft, hop_length, win_length;
} ef_settings;

/* Reads and checks every value the pipeline needs. EF_ECONFIG naming the
 * key on a missing or out-of-range value. */
int settings_load(const ef_config *cfg, ef_settings *out);
void settings_free(ef_settings *s);

/* Parses a frame rate such as "30", "29.97" or "30000/1001" into a reduced
 * rational. 29.97 becomes 30000/1001 (the NTSC rate users mean). */
int settings_parse_rate(const char *text, int64_t *num, int64_t *den);

#endif
