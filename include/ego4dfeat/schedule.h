/*
 * schedule.h - planning and running large extractions as bins of videos
 * (SLURM job arrays or local runs), for libego4dfeat.
 *
 * NOT YET STABLE: unlike ego4dfeat.h, the declarations of this header may
 * change in any 0.x release (as TensorFlow Lite keeps its experimental C
 * API in a header of its own). EF_SCHEDULE_API_VERSION says which
 * revision a program was built against; it goes up with every change.
 * Conventions, handles and errors are those of ego4dfeat.h.
 */
#ifndef EGO4DFEAT_SCHEDULE_H
#define EGO4DFEAT_SCHEDULE_H

#include "ego4dfeat/ego4dfeat.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EF_SCHEDULE_API_VERSION 1

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
 * log_folder: every reference config's value (docs/semantics.md,
 * "Defaults"); %j is the job id, "local" for bins run here. */
#define EF_SCHEDULE_DEFAULT_LOG_FOLDER "slurm_log/%j"
/* slurm_array_parallelism: tasks of the array running at once, when the
 * config does not say; most reference configs use 256. */
#define EF_SCHEDULE_DEFAULT_ARRAY_PARALLELISM 256
/* schedule_time_per_node: minutes to start one node, in the reference's
 * estimate; every reference config's value (docs/semantics.md,
 * "Defaults"). */
#define EF_SCHEDULE_DEFAULT_TIME_PER_NODE 10.0

typedef struct {
  /* sizeof(ef_plan_options) in the caller's header, set by
   * ef_plan_options_init(); read as ef_params.size is. */
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

/* Sets every field of *o to its default and o->size to size (the
 * caller's sizeof(ef_plan_options)), writing size bytes and never more,
 * as ef_params_init does. EF_EINVAL (nothing written) for a NULL o or a
 * size this library does not know. */
EF_API int ef_plan_options_init(ef_plan_options *o, size_t size);

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
 * indices give 0, NULL, -1 or the enums' _INVALID value. */
EF_API size_t ef_plan_bin_count(const ef_plan *plan);
EF_API size_t ef_plan_bin_size(const ef_plan *plan, size_t bin);
/* Estimated seconds of a bin (the sum of its videos'). */
EF_API double ef_plan_bin_seconds(const ef_plan *plan, size_t bin);
EF_API const char *ef_plan_video_uid(const ef_plan *plan, size_t bin, size_t i);
EF_API double ef_plan_video_seconds(const ef_plan *plan, size_t bin, size_t i);
/* Frames at inference_config.fps, -1 if unknown. */
EF_API int64_t ef_plan_video_frames(const ef_plan *plan, size_t bin, size_t i);

/* *complete = 1 if every video of the bin has a complete output file (the
 * check of io.filter_completed), else 0. EF_EINVAL for a bad bin (then
 * *complete is 0). */
EF_API int ef_plan_bin_complete(const ef_plan *plan, size_t bin, int *complete);
/* The config that runs one bin: the plan's config with io.uid_list set to
 * the bin's videos. Pass it to ef_perform_feature_extraction(); free it
 * with ef_config_free(). */
EF_API int ef_plan_bin_config(const ef_plan *plan, size_t bin, ef_config **out);

/* ---- Scheduling: status files ---- */

typedef enum {
  /* No such bin: a NULL plan or an index out of range. */
  EF_BIN_INVALID = -1,
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

#endif /* EGO4DFEAT_SCHEDULE_H */
