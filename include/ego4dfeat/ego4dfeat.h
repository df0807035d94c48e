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
 *   ef_params params = ef_params_default();
 *   if (ef_config_load("configs", "mvit_k400", &cfg) != EF_OK ||
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

#if defined(_WIN32)
#define EF_API __declspec(dllexport)
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
} ef_progress_info;

/* Called when a video starts, after each batch, and when a video ends.
 * Return nonzero to cancel the run. */
typedef int (*ef_progress_cb)(const ef_progress_info *info, void *user_data);

typedef struct {
  /* sizeof(ef_params) in the caller's header, set by ef_params_default():
   * a library newer than the header reads the fields the caller knows and
   * keeps its defaults for the rest. 0 (a struct not made by
   * ef_params_default) or a size this library does not know (a header
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

/* A params struct with every field at its default and size set; start
 * from it and change only the fields you need. */
EF_API ef_params ef_params_default(void);

/* ---- In-memory extraction ----------------------------------------------- */

/* What became of one video, in ef_results and ef_stats alike. */
typedef enum {
  EF_VIDEO_DONE = 0,    /* features computed (and written, for a run) */
  EF_VIDEO_SKIPPED = 1, /* not computed, and not a failure: no audio
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
/* An ef_video_outcome: EF_VIDEO_DONE, _SKIPPED or _FAILED (or -1 for an
 * index out of range). */
EF_API int ef_results_outcome(const ef_results *res, size_t i);
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

/* ---- Whole-run extraction to files -------------------------------------- */

/* Statistics of a run: timings and per-video outcome. */
typedef struct ef_stats ef_stats;

/* Loads the model once, extracts every video, writes
 * <io.out_path>/<uid>.<io.out_format> atomically (temporary name, then
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
 * <uid>.pt or <uid>.npy with its <uid>.times.npy and <uid>.fp): one group
 * /<uid> per video with datasets features (float32 [windows, ...]),
 * window_start and window_end (float64 [windows], seconds) and string
 * attributes fingerprint, provenance (the text the fingerprint hashes)
 * and config (the YAML of the run that wrote it, when dir still has it);
 * the root has attribute format = "ego4dfeat features 1". uids already in
 * h5_path are kept unless dir has them too. The new file is built under
 * a temporary name and renamed over h5_path (under an fcntl lock on
 * <dir of h5_path>/.<name>.lock), so a crash never damages what was
 * there. EF_EINVAL naming the file for an output without complete times
 * or fingerprint; *merged (may be NULL) gets the number of outputs. */
EF_API int ef_merge_hdf5(const char *dir, const char *h5_path, size_t *merged);

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

/* ---- Scheduling --------------------------------------------------------- */

/*
 * A large run is split into bins of videos whose estimated extraction time
 * fits one task's time limit (schedule_config.timeout_min); each bin is
 * one task of a SLURM job array, or one run on this machine. A video's
 * estimate is the reference's formula
 *
 *   overhead * ceil(windows / batch_size) * time_per_forward_pass
 *
 * (schedule_config.overhead and time_per_forward_pass, measured by
 * `ego4dfeat profile`), with windows counted from the frame count at
 * inference_config.fps (manifest.csv, else probing the file).
 *
 * A plan is deterministic: the same videos and config give the same bins
 * and the same folder, <root>/plan-<16 hex digits>, where root is
 * schedule_config.log_folder cut before its first "%j" component
 * ("slurm_log/%j" gives "slurm_log"). The folder holds plan.json and one
 * status file per bin, status/bin_NNNNN.json, which the task running the
 * bin rewrites atomically as each video ends. A rerun therefore finds what
 * earlier attempts did, and runs only the bins that are not complete.
 */
typedef struct ef_plan ef_plan;

/*
 * The defaults of schedule_config, in one place for the library and the
 * CLI. A key not listed has no default: timeout_min, overhead and
 * time_per_forward_pass must be set (EF_ECONFIG otherwise), since a bin's
 * size depends on them and no guess suits every model and cluster.
 *
 * log_folder: every reference config's value (REFERENCE.md); %j is the
 * job id, "local" for bins run here. */
#define EF_SCHEDULE_DEFAULT_LOG_FOLDER "slurm_log/%j"
/* slurm_array_parallelism: tasks of the array running at once, when the
 * config does not say; most reference configs use 256. */
#define EF_SCHEDULE_DEFAULT_ARRAY_PARALLELISM 256
/* schedule_time_per_node: minutes to start one node, in the reference's
 * estimate; every reference config's value (REFERENCE.md). */
#define EF_SCHEDULE_DEFAULT_TIME_PER_NODE 10.0

typedef struct {
  /* sizeof(ef_plan_options), set by ef_plan_options_default(); read as
   * ef_params.size is. */
  size_t size;
  /* Nonzero: a video estimated longer than a bin is an error (EF_EINVAL
   * naming the video and the timeout_min it needs). Zero: it gets a bin
   * of its own, and ef_plan_figure_value(EF_PLAN_OVERSIZE) counts it. */
  int strict;
  /* Tasks running at once (0 means schedule_config.
   * slurm_array_parallelism): the makespan figures use it, and with more
   * bins than that the packing may prefer more, shorter bins. */
  int parallelism;
} ef_plan_options;

/* Options with every field at its default and size set. */
EF_API ef_plan_options ef_plan_options_default(void);

/* Discovers the config's videos (io.uid_list or io.video_dir_path),
 * estimates each and packs them with first-fit decreasing, then spreads
 * them evenly over the same number of bins where the capacity allows (or
 * over ceil(bins / parallelism) * parallelism bins, when that ends
 * sooner).
 * Relative paths of the config (io.video_dir_path, io.out_path,
 * model_config.model_path, schedule_config.log_folder, ...) are made
 * absolute in the plan's copy, so tasks may run from any folder. Nothing
 * is written: see ef_plan_save(). opts may be NULL. On failure *out is
 * NULL: EF_ECONFIG for a bad schedule_config value, EF_EINVAL for an
 * oversize video in strict mode, or discovery's error. */
EF_API int ef_plan_create(const ef_config *cfg, const ef_plan_options *opts,
                          ef_plan **out);
/* Writes <ef_plan_dir()>/plan.json atomically, creating the folder. The
 * same plan always writes the same bytes. */
EF_API int ef_plan_save(const ef_plan *plan);
/* Reads a plan written by ef_plan_save(): path is its folder or its
 * plan.json. EF_ENOTFOUND if missing, EF_EINVAL if it is not a plan. */
EF_API int ef_plan_load(const char *path, ef_plan **out);
EF_API void ef_plan_free(ef_plan *plan);

/* The plan's folder (absolute). Owned by the plan. */
EF_API const char *ef_plan_dir(const ef_plan *plan);
/* The plan's resolved config, with absolute paths. Owned by the plan. */
EF_API const ef_config *ef_plan_config(const ef_plan *plan);

typedef enum {
  /* Videos in the plan. */
  EF_PLAN_VIDEOS = 0,
  /* Bins: one task each. */
  EF_PLAN_BINS,
  /* The fewest bins possible: oversize videos + ceil(the other videos'
   * total / capacity), which is ceil(total / capacity) when no video is
   * oversize. With more bins than run at a time, the plan may use more
   * (ceil(bins / parallelism) waves of shorter bins end sooner). */
  EF_PLAN_BINS_LOWER_BOUND,
  /* Seconds per bin: timeout_min * 60. */
  EF_PLAN_CAPACITY,
  /* Estimated seconds of all videos, and of the longest one. */
  EF_PLAN_TOTAL,
  EF_PLAN_LONGEST,
  /* Tasks at a time: min(parallelism, bins). */
  EF_PLAN_PARALLELISM,
  /* Estimated wall time: bins start in order, each as soon as one of the
   * parallel slots is free (as SLURM starts array tasks). */
  EF_PLAN_MAKESPAN,
  /* No plan can beat max(total / parallel tasks, longest video). */
  EF_PLAN_MAKESPAN_LOWER_BOUND,
  /* The reference's figures: n_schedules = ceil(bins / parallelism) and
   * its estimate n_schedules * 60 * (timeout_min + schedule_time_per_node)
   * seconds. */
  EF_PLAN_N_SCHEDULES,
  EF_PLAN_REFERENCE_SECONDS,
  /* Videos estimated longer than a bin (each has a bin of its own). */
  EF_PLAN_OVERSIZE,
  /* Videos whose frame count is unknown (missing or unreadable file):
   * counted as one window; their task reports them. */
  EF_PLAN_UNKNOWN_LENGTH,
  /* The bins first-fit decreasing needs; EF_PLAN_BINS is more only when
   * waves of shorter bins end sooner. */
  EF_PLAN_BINS_FEWEST,
  EF_PLAN_FIGURE_COUNT_
} ef_plan_figure;

/* One figure of the plan (counts are whole numbers); 0 for a NULL plan
 * or an unknown figure. */
EF_API double ef_plan_figure_value(const ef_plan *plan, ef_plan_figure figure);
/* The figure's name: the enum's without EF_PLAN_, in lower case
 * ("makespan"). NULL past the last figure, so a caller can list them. */
EF_API const char *ef_plan_figure_name(int figure);

/* Bins, and the videos of each (largest estimate first). Out-of-range
 * indices give 0, NULL or -1. */
EF_API size_t ef_plan_bin_count(const ef_plan *plan);
EF_API size_t ef_plan_bin_size(const ef_plan *plan, size_t bin);
/* Estimated seconds of a bin (the sum of its videos'). */
EF_API double ef_plan_bin_seconds(const ef_plan *plan, size_t bin);
EF_API const char *ef_plan_video_uid(const ef_plan *plan, size_t bin, size_t i);
EF_API double ef_plan_video_seconds(const ef_plan *plan, size_t bin, size_t i);
/* Frames at inference_config.fps, -1 if unknown. */
EF_API int64_t ef_plan_video_frames(const ef_plan *plan, size_t bin, size_t i);

/* 1 if every video of the bin has a complete output file (the check of
 * io.filter_completed), 0 if not, a negative code on error. */
EF_API int ef_plan_bin_complete(const ef_plan *plan, size_t bin);
/* The config that runs one bin: the plan's config with io.uid_list set to
 * the bin's videos. Pass it to ef_perform_feature_extraction(); free it
 * with ef_config_free(). */
EF_API int ef_plan_bin_config(const ef_plan *plan, size_t bin, ef_config **out);

/* ---- Scheduling: status files ---- */

typedef enum {
  /* No status file. */
  EF_BIN_NOT_STARTED = 0,
  /* Started and not finished: still running, or killed (scancel after its
   * grace time, node failure). */
  EF_BIN_RUNNING,
  /* Ran to its end (some videos may have failed). */
  EF_BIN_FINISHED,
  /* Stopped early by SIGTERM or SIGINT (scancel, the time limit). */
  EF_BIN_CANCELLED,
  /* Could not run at all, e.g. the model did not load. */
  EF_BIN_FAILED
} ef_bin_state;

/* The names the status files use: "not_started", "running", ... for a
 * bin state; "done", "skipped", "failed", "not_run" for a video outcome.
 * NULL past the last. */
EF_API const char *ef_bin_state_name(int state);
EF_API const char *ef_video_outcome_name(int outcome);

/* Records the run of one bin in its status file. begin writes the file at
 * once (state running, every video not run); set records one video's
 * outcome and rewrites the file if it changed; finish writes the final
 * state (and, for EF_BIN_FAILED, the reason). runner says who ran it, e.g.
 * "slurm 1234_5" (may be NULL). The handle copies what it needs from the
 * plan. set returns EF_ENOTFOUND for a uid not in the bin. begin also
 * takes the bin's lock (status/bin_N.lock in the plan's folder), held
 * until free: while another process holds it, begin fails with EF_EIO,
 * naming that process, and writes nothing. */
typedef struct ef_schedule_status ef_schedule_status;
EF_API int ef_schedule_status_begin(const ef_plan *plan, size_t bin,
                                    const char *runner,
                                    ef_schedule_status **out);
EF_API int ef_schedule_status_set(ef_schedule_status *st, const char *uid,
                                  ef_video_outcome outcome, const char *error);
EF_API int ef_schedule_status_finish(ef_schedule_status *st, ef_bin_state state,
                                     const char *error);
EF_API void ef_schedule_status_free(ef_schedule_status *st);

/* Runs one bin of a plan as a scheduled task does: begins its status file
 * (runner as for ef_schedule_status_begin), extracts the bin's videos
 * with ef_perform_feature_extraction (params may be NULL; its progress
 * callback, if any, is called as usual), records each video's outcome
 * and failure message as it ends, then the bin's final state
 * (finished, cancelled or failed). A status file that cannot be written
 * is a warning (ef_log_set_callback), not a failure. Returns what the
 * extraction returned; *out (may be NULL) gets its stats, NULL when the
 * bin could not start (a bad bin, a status file that cannot be created:
 * nothing ran). */
EF_API int ef_plan_run_bin(const ef_plan *plan, size_t bin, const char *runner,
                           const ef_params *params, ef_stats **out);

/* (Re)reads every bin's status file into the plan. A missing file means
 * not started; an unreadable one is EF_EINVAL naming it. */
EF_API int ef_plan_read_status(ef_plan *plan);
/* What the status files said at the last ef_plan_read_status() (before
 * any, every bin is not started and every video not run). */
EF_API ef_bin_state ef_plan_bin_state(const ef_plan *plan, size_t bin);
/* The runner of the last attempt ("" if none). */
EF_API const char *ef_plan_bin_runner(const ef_plan *plan, size_t bin);
/* Why the bin failed as a whole ("" if it did not). */
EF_API const char *ef_plan_bin_error(const ef_plan *plan, size_t bin);
EF_API ef_video_outcome ef_plan_video_outcome(const ef_plan *plan, size_t bin,
                                              size_t i);
/* The failure message of a failed video ("" otherwise). */
EF_API const char *ef_plan_video_error(const ef_plan *plan, size_t bin,
                                       size_t i);

#ifdef __cplusplus
}
#endif

#endif /* EGO4DFEAT_H */
