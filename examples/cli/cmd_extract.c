/*
 * cmd_extract.c - `ego4dfeat extract`: a whole run to feature files, with
 * progress and a summary; exit status 1 if any video failed, 128 + the
 * signal when SIGINT or SIGTERM stopped it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cmd_extract_help(FILE *f) {
  fprintf(f,
          "usage: ego4dfeat extract --config-name NAME [options] "
          "[overrides...] [-- VIDEO...]\n\n"
          "Extracts features of every video of the config (io.uid_list, or "
          "all media files in\nio.video_dir_path) into io.out_path/<uid>.pt "
          "(or .npy, one features.h5, or the text "
          "<uid>.transcript.jsonl),\nwith <uid>.times.npy and the "
          "fingerprint <uid>.fp, skipping videos whose complete\noutput of "
          "the same fingerprint exists when io.filter_completed is true; "
          "one of\nanother fingerprint stops the run unless io.on_mismatch "
          "is redo or skip.\nVideo files given after '--' are extracted "
          "instead (uid = file name without\nits extension). With "
          "io.debug_mode=1 no model runs: each window's model input\n"
          "becomes a PNG in io.debug_path/<uid>/.\n\noptions:\n%s",
          cli_common_help);
}

/* One line per video that needs one: where its output went, or why it
 * failed or was skipped. quiet: failures only (errors and the summary are
 * what --quiet keeps). */
static void print_video(const ef_stats *st, size_t i, const ef_config *cfg,
                        int debug, int quiet, double *video_s) {
  const char *out_path = "", *fmt = "pt", *debug_path = "";
  char uid[1024], count[64];
  ef_config_get_string(cfg, "io.out_path", &out_path);
  ef_config_get_string(cfg, "io.out_format", &fmt);
  ef_config_get_string(cfg, "io.debug_path", &debug_path);
  ef_video_outcome o = ef_stats_video_outcome(st, i);
  long long windows = (long long)ef_stats_video_windows(st, i);
  cli_printable(ef_stats_video_uid(st, i), uid, sizeof uid);
  if (o == EF_VIDEO_DONE)
    *video_s += ef_stats_video_seconds(st, i);
  if (quiet && o != EF_VIDEO_FAILED)
    return;
  if (o == EF_VIDEO_DONE) {
    /* Debug mode writes one PNG per window and no feature file. */
    if (debug)
      printf("wrote %s to %s/%s/\n",
             cli_count(windows, "PNG", "PNGs", count, sizeof count), debug_path,
             uid);
    else if (strcmp(fmt, "hdf5") == 0) /* one group per video */
      printf("wrote %s/features.h5:/%s (%s)\n", out_path, uid,
             cli_count(windows, "window", "windows", count, sizeof count));
    else /* <uid>.pt, .npy, or .transcript.jsonl for transcripts */
      printf("wrote %s/%s.%s%s (%s)\n", out_path, uid, fmt,
             strcmp(fmt, "transcript") == 0 ? ".jsonl" : "",
             cli_count(windows, "window", "windows", count, sizeof count));
  } else if (o == EF_VIDEO_FAILED) {
    fprintf(stderr, "failed %s: %s\n", uid, ef_stats_video_error(st, i));
  } else if (o == EF_VIDEO_SKIPPED && *ef_stats_video_error(st, i)) {
    printf("skipped %s: %s\n", uid, ef_stats_video_error(st, i));
  }
}

static void print_summary(const ef_stats *st, const ef_config *cfg, int quiet) {
  size_t n = ef_stats_video_count(st);
  double video_s = 0;
  int debug = 0;
  char videos[64], windows[64];
  ef_config_get_bool(cfg, "io.debug_mode", &debug);
  for (size_t i = 0; i < n; i++)
    print_video(st, i, cfg, debug, quiet, &video_s);
  double wall = ef_stats_seconds(st, EF_TIME_OVERALL);
  printf(
      "%s: %zu done, %zu skipped, %zu failed, %zu not run; %s; %.1f s of "
      "video in %.1f s (%.2f video-s/s)\n",
      cli_count((long long)n, "video", "videos", videos, sizeof videos),
      ef_stats_count(st, EF_VIDEO_DONE), ef_stats_count(st, EF_VIDEO_SKIPPED),
      ef_stats_count(st, EF_VIDEO_FAILED), ef_stats_count(st, EF_VIDEO_NOT_RUN),
      cli_count((long long)ef_stats_total_windows(st), "window", "windows",
                windows, sizeof windows),
      video_s, wall, wall > 0 ? video_s / wall : 0.0);
  printf("time: load %.2f s, decode %.2f s, decode wait %.2f s, transfer "
         "%.2f s, forward %.2f s, save %.2f s\n",
         ef_stats_seconds(st, EF_TIME_MODEL_LOAD),
         ef_stats_seconds(st, EF_TIME_DECODE),
         ef_stats_seconds(st, EF_TIME_DECODE_WAIT),
         ef_stats_seconds(st, EF_TIME_TRANSFER),
         ef_stats_seconds(st, EF_TIME_FORWARD),
         ef_stats_seconds(st, EF_TIME_SAVE));
}

int cmd_extract(int argc, char **argv) {
  cli_args a;
  ef_config *cfg = NULL;
  ef_stats *st = NULL;
  progress *pr = NULL;
  int exit_code = cli_parse(argc, argv, &a);
  if (exit_code != 0)
    goto done;
  if (a.help) {
    cmd_extract_help(stdout);
    goto done;
  }
  a.accept_paths = 1;
  if ((exit_code = cli_load_config(&a, &cfg)) != 0 ||
      cli_print_config(&a, cfg, &exit_code))
    goto done;
  size_t listed;
  if (a.n_paths &&
      ef_config_get_list_size(cfg, "io.uid_list", &listed) == EF_OK) {
    cli_error("videos given both after '--' and in io.uid_list: give them "
              "one way");
    exit_code = 2;
    goto done;
  }
  pr = progress_create(a.quiet);
  ef_params params;
  if (ef_params_init(&params, sizeof params) != EF_OK) {
    cli_error("%s", ef_last_error());
    exit_code = 2;
    goto done;
  }
  params.progress = progress_callback();
  params.progress_user_data = pr;
  params.cancel = cli_cancel_on_signals();
  params.torch_threads = a.threads;
  /* Paths after "--" replace discovery (io.uid_list, io.video_dir_path). */
  int rc = ef_perform_feature_extraction(cfg, a.n_paths ? a.paths : NULL,
                                         a.n_paths, &params, &st);
  progress_free(pr);
  pr = NULL;
  if (st)
    print_summary(st, cfg, a.quiet);
  if (rc == EF_OK) {
    exit_code = 0;
  } else if (rc == EF_ECANCELLED && cli_cancel_exit_code()) {
    /* Stopped between batches: every file under a final name is complete
     * and the rest is left for a rerun. */
    fprintf(stderr, "ego4dfeat: stopped by a signal; rerun to finish the "
                    "remaining videos\n");
    exit_code = cli_cancel_exit_code();
  } else if (rc == EF_ECONFIG) {
    /* A config the run cannot honour (a CUDA device on a machine without
     * one, an unset model path): a usage error, as docs/cli.md says. */
    cli_error("%s", ef_last_error());
    exit_code = 2;
  } else {
    if (rc != EF_EPARTIAL)
      cli_error("%s", ef_last_error());
    exit_code = 1;
  }
done:
  progress_free(pr);
  ef_stats_free(st);
  ef_config_free(cfg);
  cli_args_free(&a);
  return exit_code;
}
