/*
 * ego4dfeat.h - the whole public API of libego4dfeat.
 *
 * libego4dfeat turns folders of (egocentric) videos into model features,
 * matching the Ego4D reference Python pipeline for the same TorchScript
 * weights. The data flows one way:
 *
 *   discover -> decode -> window -> transform -> infer -> write
 *
 * Conventions (libgit2 / SQLite style):
 *  - Every function that can fail returns an `int` status: EF_OK (0) on
 *    success, a negative EF_E* code on failure. The message of the last
 *    failure on the calling thread is read with ef_last_error().
 *  - Handles are opaque. Each has a create/load function and a matching
 *    free function; free functions accept NULL.
 *  - Strings returned through `const char *` belong to the handle they came
 *    from and live until that handle is freed (or changed, where noted).
 *    Strings returned through `char **` are the caller's, freed with
 *    ef_free().
 *  - No C++ type, exception or libtorch header crosses this boundary.
 *  - Options structs that may grow (ef_params, ef_merge_options,
 *    ef_plan_options) start
 *    with the caller's sizeof, passed to their _init function, so a newer
 *    library never writes past an older caller's copy.
 *  - Scheduling (ef_plan_*, ef_schedule_*) is in <ego4dfeat/schedule.h>:
 *    not yet stable, it may change in any 0.x release.
 *
 * Threads:
 *  - The last error is per thread.
 *  - ef_config: read-only calls (the getters, dump, clone) may run on one
 *    config from several threads at once; an override or set must not run
 *    beside any other call on that config.
 *  - ef_model: one extraction at a time per model. To extract on several
 *    threads, load one model per thread (each holds its own weights).
 *  - ef_results and ef_stats are read-only once returned: any thread may
 *    read them.
 *  - An extraction runs its decode workers on threads of its own, but the
 *    model, the progress callback and the writing all run on the calling
 *    thread. The cancel flag may be raised from any thread; it is polled
 *    between batches.
 *  - Process-wide: ef_params.torch_threads sets libtorch's thread count
 *    for the whole process (the last run to start wins), and the first
 *    model load or extraction installs an FFmpeg log callback that drops
 *    FFmpeg's own messages (EGO4DFEAT_FFMPEG_LOG=1 keeps them).
 *
 * Use, in short (every call returns a status; see each declaration):
 *
 *   ef_config *cfg = NULL;  ef_model *model = NULL;  ef_results *res = NULL;
 *   const char *videos[] = {"a.mp4"};
 *   ef_params params;
 *   if (ef_params_init(&params, sizeof params) != EF_OK ||
 *       ef_config_load("configs", "mvit_k400", &cfg) != EF_OK ||
 *       ef_config_override(cfg, "model_config.model_path=m.pt") != EF_OK ||
 *       ef_model_load(cfg, &model) != EF_OK ||
 *       ef_extract_features(model, cfg, videos, 1, &params, &res) < 0)
 *     fprintf(stderr, "%s\n", ef_last_error());
 *   else if (ef_results_outcome(res, 0) == EF_VIDEO_DONE)
 *     use(ef_results_data(res, 0));      // [windows, ...] float32
 *   ef_results_free(res);  ef_model_free(model);  ef_config_free(cfg);
 */
#ifndef EGO4DFEAT_H
#define EGO4DFEAT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's own build defines EF_BUILDING_LIBRARY; a program that
 * links the static library on Windows defines EF_STATIC. */
#if defined(_WIN32) && defined(EF_STATIC)
#define EF_API
#elif defined(_WIN32) && defined(EF_BUILDING_LIBRARY)
#define EF_API __declspec(dllexport)
#elif defined(_WIN32)
#define EF_API __declspec(dllimport)
#elif defined(__GNUC__)
#define EF_API __attribute__((visibility("default")))
#else
#define EF_API
#endif

/* ---- Version ------------------------------------------------------------ */

#define EF_VERSION_MAJOR 0
#define EF_VERSION_MINOR 1
#define EF_VERSION_PATCH 0
#define EF_VERSION_STRING "0.1.0"
/* One number, comparable: 10000 * major + 100 * minor + patch. */
#define EF_VERSION_NUMBER                                                      \
  (EF_VERSION_MAJOR * 10000 + EF_VERSION_MINOR * 100 + EF_VERSION_PATCH)

/* The version of the library actually loaded, e.g. "0.1.0". Compare with
 * EF_VERSION_STRING to detect a header/library mismatch. */
EF_API const char *ef_version(void);
EF_API int ef_version_number(void);

/* ---- Status codes and errors -------------------------------------------- */

typedef enum {
  EF_OK = 0,
  EF_EINVAL = -1,     /* a bad argument or config value */
  EF_ENOMEM = -2,     /* allocation failed */
  EF_EIO = -3,        /* a file could not be read or written */
  EF_ENOTFOUND = -4,  /* a file, key or video does not exist */
  EF_EDECODE = -5,    /* the media could not be demuxed or decoded */
  EF_EMODEL = -6,     /* the model could not be loaded or run */
  EF_ECONFIG = -7,    /* the configuration is invalid */
  EF_ECANCELLED = -8, /* the caller's cancel flag was raised */
  EF_ENOSTREAM = -9,  /* the file has no stream of the needed kind */
  EF_EPARTIAL = -10   /* some videos failed; see per-video statuses */
} ef_status;

/* The message of the last failure on this thread ("" if none). Valid until
 * the next library call on the same thread. */
EF_API const char *ef_last_error(void);
/* The last failure's status code on this thread (EF_OK if none). */
EF_API int ef_last_error_code(void);
/* A short constant name for a status code, e.g. "EF_EDECODE". */
EF_API const char *ef_status_name(int status);
/* Frees memory the library handed to the caller through a `char **`. */
EF_API void ef_free(void *p);

/* ---- Warnings and notes ------------------------------------------------- */

/* Besides errors (which only ef_last_error reports) the library has a few
 * things to say: a float16 config on the CPU, a model that cannot be
 * frozen, decoding falling back from NVDEC to the CPU. */
typedef enum { EF_LOG_WARNING = 1, EF_LOG_NOTE = 2 } ef_log_level;
/* Receives one message: a line without its newline, valid during the
 * call. May be called from the library's decode threads. */
typedef void (*ef_log_cb)(int level, const char *message, void *user_data);
/* Sends warnings and notes to cb; NULL restores the default, stderr
 * ("ego4dfeat: warning: ..."). Process-wide. */
EF_API void ef_log_set_callback(ef_log_cb cb, void *user_data);

/* ---- Configuration ------------------------------------------------------ */

/* A resolved configuration: a tree of maps, lists and scalars with the
 * schema of the reference's Hydra configs (see configs/ and REFERENCE). */
typedef struct ef_config ef_config;

/* Loads `<config_dir>/<name>.yaml` (name may also carry ".yaml"). If
 * config_dir is NULL, $EGO4DFEAT_CONFIG_DIR, then "configs" are tried.
 * Every key is checked against the schema: an unknown key or a wrong type
 * fails with EF_ECONFIG and a message naming the key and the nearest
 * valid key. On failure *out is NULL. */
EF_API int ef_config_load(const char *config_dir, const char *name,
                          ef_config **out);
/* Parses a YAML document from memory (same checks as ef_config_load). */
EF_API int ef_config_parse(const char *yaml_text, ef_config **out);
/* Applies one Hydra-style override:
 *   a.b=value   set an existing key      +a.b=value  add a new key
 *   ++a.b=value add or set               ~a.b        delete a key
 * Values are YAML scalars or flow lists: 3, 0.5, true, null, foo, "x y",
 * [a,b]. On failure the config is left unchanged. */
EF_API int ef_config_override(ef_config *cfg, const char *override);
/* Sets the key at a dotted path from a YAML value text (like "a.b=v"). */
EF_API int ef_config_set(ef_config *cfg, const char *path, const char *value);
/* Typed reads by dotted path. EF_ENOTFOUND if the key is absent,
 * EF_ECONFIG if it has another type. A YAML null reads as EF_ENOTFOUND. */
EF_API int ef_config_get_string(const ef_config *cfg, const char *path,
                                const char **out);
EF_API int ef_config_get_int(const ef_config *cfg, const char *path,
                             int64_t *out);
EF_API int ef_config_get_double(const ef_config *cfg, const char *path,
                                double *out);
EF_API int ef_config_get_bool(const ef_config *cfg, const char *path, int *out);
/* Lists: number of items, and item i as a string (scalars only). */
EF_API int ef_config_get_list_size(const ef_config *cfg, const char *path,
                                   size_t *out);
EF_API int ef_config_get_list_string(const ef_config *cfg, const char *path,
                                     size_t index, const char **out);
/* What a key holds. A quoted scalar ("001", '1e5') is EF_CONFIG_STRING
 * whatever its text; a plain one is typed by its text as YAML 1.2's core
 * schema does (true/false, 001 an int, 1e5 a float, null, else a
 * string). */
typedef enum {
  EF_CONFIG_NULL = 0,
  EF_CONFIG_BOOL = 1,
  EF_CONFIG_INT = 2,
  EF_CONFIG_FLOAT = 3,
  EF_CONFIG_STRING = 4,
  EF_CONFIG_LIST = 5,
  EF_CONFIG_MAP = 6
} ef_config_type;
/* The type of the value at a dotted path (a number indexes a list:
 * "io.uid_list.0"). Unlike the typed reads, a null is found
 * (EF_CONFIG_NULL); only an absent key is EF_ENOTFOUND. */
EF_API int ef_config_get_type(const ef_config *cfg, const char *path,
                              ef_config_type *out);
/* The whole resolved config as YAML text; free with ef_free(). */
EF_API int ef_config_dump(const ef_config *cfg, char **out_yaml);
/* A deep copy. */
EF_API int ef_config_clone(const ef_config *cfg, ef_config **out);
EF_API void ef_config_free(ef_config *cfg);

/* ---- Models ------------------------------------------------------------- */

/* A TorchScript model ready for inference, with the input packing of its
 * model kind (video, slowfast, image, ...). */
typedef struct ef_model ef_model;

/* Loads model_config.model_path on inference_config.device. The kind comes
 * from model_config.kind or, failing that, from model_module_str. A CUDA
 * device on a machine without CUDA is EF_ECONFIG, the message naming
 * inference_config.device=cpu. */
EF_API int ef_model_load(const ef_config *cfg, ef_model **out);
/* The model kind's name, e.g. "slowfast". */
EF_API const char *ef_model_kind(const ef_model *model);
EF_API void ef_model_free(ef_model *model);

/* ---- Extraction parameters ---------------------------------------------- */

/* What the progress callback is told. The library owns it; it is valid
 * during the call only. Fields may be added at the end. */
typedef struct {
  size_t video_index;    /* in the run's list of videos */
  size_t video_count;    /* videos in the run */
  const char *uid;       /* the video's uid (or path) */
  int64_t windows_done;  /* of this video */
  int64_t windows_total; /* of this video; -1 while unknown */
  int finished;          /* 1 once this video is done, skipped or failed */
  int failed;            /* 1 if it failed */
  int skipped;           /* 1 if it was skipped (see EF_VIDEO_SKIPPED) */
  /* Once finished: EF_OK if done, else the failure's status, with its
   * message in error (never NULL; "" when done). A skip is EF_OK, or
   * EF_ENOSTREAM for a video without audio (io.exclude_no_audio); error
   * then says why it was skipped. */
  int status;
  const char *error;
  /* video_count entries, the same array in every report of a run: each
   * video's windows as estimated before the run started, from its frame
   * count at inference_config.fps (manifest.csv, the takes file or a
   * quick probe of the file: the scheduler's estimate), -1 where unknown.
   * So a caller knows the run's total before the first video opens. All
   * -1 for ef_extract_features, which has no discovery. */
  const int64_t *windows_estimated;
} ef_progress_info;

/* Called when a video starts, after each batch, and when a video ends.
 * Return nonzero to cancel the run. */
typedef int (*ef_progress_cb)(const ef_progress_info *info, void *user_data);

typedef struct {
  /* sizeof(ef_params) in the caller's header, set by ef_params_init():
   * a library newer than the header reads the fields the caller knows and
   * keeps its defaults for the rest. 0 (a struct not made by
   * ef_params_init) or a size this library does not know (a header
   * newer than the library) is EF_EINVAL. */
  size_t size;
  ef_progress_cb progress; /* may be NULL */
  void *progress_user_data;
  /* Polled between batches; when it becomes nonzero the run stops with
   * EF_ECANCELLED. May be NULL. */
  const volatile int *cancel;
  /* Decode threads per video (0 = the library's choice). */
  int decode_threads;
  /* Inference threads for libtorch (0 = the number of cores). */
  int torch_threads;
} ef_params;

/* Sets every field of the caller's *p to its default and p->size to size,
 * which must be sizeof(ef_params) as the caller's header has it:
 *
 *   ef_params p;
 *   ef_params_init(&p, sizeof p);
 *
 * Writes size bytes and never more, so a program built with an older,
 * shorter ef_params is safe with a newer library. Then change only the
 * fields you need. EF_EINVAL (nothing written) for a NULL p or a size
 * this library does not know. */
EF_API int ef_params_init(ef_params *p, size_t size);

/* ---- In-memory extraction ----------------------------------------------- */

/* What became of one video, in ef_results and ef_stats alike. */
typedef enum {
  EF_VIDEO_INVALID = -1, /* no such video: a NULL handle or an index out
                            of range */
  EF_VIDEO_DONE = 0,     /* features computed (and written, for a run) */
  EF_VIDEO_SKIPPED = 1,  /* not computed, and not a failure: no audio
                            with io.exclude_no_audio; in a run also a
                            complete output (io.filter_completed) or
                            another process's claim (the error says which) */
  EF_VIDEO_FAILED = 2,
  EF_VIDEO_NOT_RUN = 3 /* cancelled before it started */
} ef_video_outcome;

/* The features of a list of videos. */
typedef struct ef_results ef_results;

/* Extracts the features of n videos (paths to media files) with an already
 * loaded model; nothing is written. The model must have been loaded for
 * this config's setup (kind, model file, device, dtype): else EF_ECONFIG
 * naming the key, before any video runs. A video that fails does not stop the
 * others: its status is kept in the results. Returns EF_OK if all
 * succeeded, EF_EPARTIAL if some failed (results still valid), or another
 * code if nothing could run (then *out is NULL). */
EF_API int ef_extract_features(ef_model *model, const ef_config *cfg,
                               const char *const *videos, size_t n,
                               const ef_params *params, ef_results **out);
EF_API size_t ef_results_count(const ef_results *res);
/* EF_OK for a video with features, else the status of why not (message
 * via ef_results_error): a video skipped for having no audio
 * (io.exclude_no_audio) is EF_ENOSTREAM. A skipped video is not a
 * failure: tell them apart with ef_results_outcome. */
EF_API int ef_results_status(const ef_results *res, size_t i);
/* EF_VIDEO_DONE, _SKIPPED or _FAILED (EF_VIDEO_INVALID for an index out
 * of range). */
EF_API ef_video_outcome ef_results_outcome(const ef_results *res, size_t i);
EF_API const char *ef_results_error(const ef_results *res, size_t i);
/* Feature shape of video i: rows = windows, then the model's output dims.
 * Writes at most max_dims sizes, returns the number of dims (0 on error). */
EF_API int ef_results_shape(const ef_results *res, size_t i, int64_t *dims,
                            int max_dims);
/* Row-major float32 features of video i (NULL if it failed). */
EF_API const float *ef_results_data(const ef_results *res, size_t i);
/* Start/end seconds of each window of video i (arrays of shape[0]). */
EF_API const double *ef_results_window_starts(const ef_results *res, size_t i);
EF_API const double *ef_results_window_ends(const ef_results *res, size_t i);
EF_API void ef_results_free(ef_results *res);

/* The features of frames in memory, as one video: count packed RGB24
 * frames (R, G, B bytes) of width x height, rows row_bytes apart (at least
 * 3 * width) and frames height * row_bytes apart, frame j shown at j / fps
 * seconds and the last one lasting 1 / fps. They are sampled at the
 * config's rate, windowed and transformed exactly as a file holding these
 * frames at this rate (ffmpeg -r <fps>, whose fraction of fps this takes:
 * denominators up to 1001000) would be, so the results equal that file's
 * in ef_extract_features: one entry, read with ef_results_*. The frames
 * are read during the call only, never copied whole or kept. Video
 * configs only: an audio config is EF_ECONFIG. Bad sizes, a NULL frames
 * pointer or a rate that is not finite and positive are EF_EINVAL. Returns
 * EF_OK, EF_EPARTIAL if the frames failed (the entry says why), or another
 * code if nothing could run (then *out is NULL). */
EF_API int ef_extract_frames(ef_model *model, const ef_config *cfg,
                             const uint8_t *frames, int64_t count, int height,
                             int width, size_t row_bytes, double fps,
                             const ef_params *params, ef_results **out);

/* ---- Whole-run extraction to files -------------------------------------- */

/* Statistics of a run: timings and per-video outcome. */
typedef struct ef_stats ef_stats;

/* Loads the model once, extracts every video, writes
 * <io.out_path>/<uid>.<io.out_format> (<uid>.transcript.jsonl for
 * "transcript", the asr kind's text) atomically (temporary name, then
 * rename) with its window times <uid>.times.npy (float64 [windows, 2]:
 * start, end seconds) and its fingerprint <uid>.fp (the SHA-256 of every
 * setting that determines the features and of the model file's bytes;
 * written before the features, which come last), and
 * <io.out_path>/config.yaml (only when absent or of this run's
 * fingerprint, else config-<16 hex>.yaml). io.filter_completed skips a
 * video whose features and times are complete and whose fingerprint is
 * this run's; a complete output of another fingerprint, or without one
 * (an older version's), follows io.on_mismatch: "refuse" (default: the
 * call returns EF_ECONFIG naming the file and what differs, before
 * anything is written), "redo" (recompute it) or "skip" (keep it, the
 * video is skipped with a note). Each video is claimed first (an
 * fcntl lock on <io.out_path>/.<uid>.<ext>.claim), so runs sharing the
 * folder never compute one video twice; temporary files of dead runs of
 * this host are removed first. A uid that cannot be one file name fails
 * (see the README's Output section). videos may be NULL: then the
 * videos come from discovery (io.uid_list, or the media files of
 * io.video_dir_path: a folder without one is EF_ENOTFOUND); else each
 * path's uid is its file name without the extension. Two inputs giving
 * one uid are EF_ECONFIG naming both (they would write one file). Returns
 * EF_OK, EF_EPARTIAL if some videos failed, or another code if the run
 * could not start. *out (may be NULL) receives the stats in every case
 * where the run started. */
EF_API int ef_perform_feature_extraction(const ef_config *cfg,
                                         const char *const *videos, size_t n,
                                         const ef_params *params,
                                         ef_stats **out);

/* The check ef_perform_feature_extraction() makes before it writes
 * anything, alone: EF_OK, or EF_ECONFIG naming the first complete output
 * of cfg's videos whose fingerprint is not this config's and model's
 * (with io.on_mismatch=refuse and io.filter_completed; otherwise EF_OK).
 * `ego4dfeat schedule` calls it before it submits anything. */
EF_API int ef_outputs_check(const ef_config *cfg);

/* Builds the HDF5 file h5_path from the per-video outputs in dir (every
 * <uid>.pt or <uid>.npy with its <uid>.times.npy and <uid>.fp): per video
 * the float32 [windows, ...] dataset /<uid> (what Ego4D's readers open as
 * f[uid][0:]) with string attributes fingerprint, provenance (the text
 * the fingerprint hashes) and config (the YAML of the run that wrote it,
 * when dir still has it), and the float64 [windows, 2] dataset
 * /_window_times/<uid> (start, end in seconds); the root has attribute
 * format = "ego4dfeat features 2". Datasets are chunked; a uid
 * "_window_times" is EF_EINVAL. uids already in h5_path are kept unless
 * dir has them too (a file of the first layout, one group per uid, is
 * converted). The new file is built under
 * a temporary name and renamed over h5_path (under an fcntl lock on
 * <dir of h5_path>/.<name>.lock), so a crash never damages what was
 * there. EF_EINVAL naming the file for an output without complete times
 * or fingerprint; *merged (may be NULL) gets the number of outputs.
 * Transcripts (<uid>.transcript.jsonl) are text and are not merged: a dir
 * holding them and no features is EF_EINVAL saying so; beside features
 * they are left out. */
EF_API int ef_merge_hdf5(const char *dir, const char *h5_path, size_t *merged);

/* Where ef_merge_hdf5_ex takes the window times of an output that has no
 * <uid>.times.npy or no <uid>.fp (a released plain torch.save file).
 * Outputs that have both are merged as ef_merge_hdf5 does in every mode. */
typedef enum {
  /* Such an output is EF_EINVAL naming the file (ef_merge_hdf5's rule). */
  EF_MERGE_TIMES_FILES = 0,
  /* No /_window_times/<uid> for it. */
  EF_MERGE_TIMES_NONE = 1,
  /* Computed from ef_merge_options.config: the video's sampled frame
   * count at inference_config.fps (its manifest.csv row in
   * io.video_dir_path, else a probe of <io.video_dir_path>/<uid>.<ext>,
   * found as extraction finds it), cut into inference_config.frame_window
   * frames every inference_config.stride as extraction cuts it. A video
   * without a frame count, or a count of windows other than the tensor's
   * rows (both numbers named), is EF_EINVAL: nothing is guessed. Video
   * models only (include_video). */
  EF_MERGE_TIMES_CONFIG = 2
} ef_merge_times;

typedef struct {
  /* sizeof(ef_merge_options) in the caller's header, set by
   * ef_merge_options_init() (as ef_params.size). */
  size_t size;
  ef_merge_times times; /* default EF_MERGE_TIMES_FILES */
  /* The config of EF_MERGE_TIMES_CONFIG, borrowed for the call; NULL
   * otherwise. */
  const ef_config *config;
} ef_merge_options;

/* Sets every field of the caller's *o to its default and o->size to size
 * (sizeof(ef_merge_options) as the caller's header has it), writing size
 * bytes and never more. EF_EINVAL (nothing written) for a NULL o or a
 * size this library does not know. */
EF_API int ef_merge_options_init(ef_merge_options *o, size_t size);

/* ef_merge_hdf5 with options (NULL: the defaults, which are exactly
 * ef_merge_hdf5). An output without times or fingerprint files, merged
 * with EF_MERGE_TIMES_NONE or EF_MERGE_TIMES_CONFIG, gets string
 * attributes fingerprint = provenance = "unknown" (no config attribute)
 * and window_times: "none", or the config, frame count and window rule
 * its times were computed from. EF_EINVAL for options of an unknown size,
 * an unknown times mode, or EF_MERGE_TIMES_CONFIG without a config. */
EF_API int ef_merge_hdf5_ex(const char *dir, const char *h5_path,
                            const ef_merge_options *opts, size_t *merged);

typedef enum {
  EF_TIME_MODEL_LOAD = 0, /* loading the model */
  EF_TIME_DECODE_WAIT,    /* inference waiting for decoded windows */
  EF_TIME_TRANSFER,       /* copying inputs to the device */
  EF_TIME_FORWARD,        /* model forward passes */
  EF_TIME_SAVE,           /* writing outputs */
  EF_TIME_DECODE,         /* decoding + transforms (on the decode thread) */
  EF_TIME_OVERALL,        /* the whole call */
  EF_TIME_COUNT_
} ef_time_kind;

/* Seconds spent in one part of the run. */
EF_API double ef_stats_seconds(const ef_stats *st, ef_time_kind kind);
EF_API size_t ef_stats_video_count(const ef_stats *st);
EF_API const char *ef_stats_video_uid(const ef_stats *st, size_t i);
/* EF_VIDEO_INVALID for an index out of range. */
EF_API ef_video_outcome ef_stats_video_outcome(const ef_stats *st, size_t i);
/* The failure message for a failed video ("" otherwise). */
EF_API const char *ef_stats_video_error(const ef_stats *st, size_t i);
EF_API int64_t ef_stats_video_windows(const ef_stats *st, size_t i);
/* Seconds of video covered (frames / fps) for video i. */
EF_API double ef_stats_video_seconds(const ef_stats *st, size_t i);
/* Totals over all videos. */
EF_API size_t ef_stats_count(const ef_stats *st, ef_video_outcome outcome);
EF_API int64_t ef_stats_total_windows(const ef_stats *st);
EF_API int64_t ef_stats_total_forward_passes(const ef_stats *st);
EF_API void ef_stats_free(ef_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* EGO4DFEAT_H */
