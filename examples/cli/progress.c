/*
 * progress.c - what the user sees during a run. On a terminal: one line
 * redrawn at most 10 times a second with the run's share of windows done,
 * a bar, windows per second, elapsed time, an ETA and the current video
 * (or how many are in progress when several decode at once). Otherwise
 * (logs, CI, SLURM): one plain line per finished video. The text comes
 * from progress_format.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "progress_format.h"

struct progress {
  size_t n_videos;
  int quiet, tty;
  progress_video *videos;
  char **uids; /* printable, kept from each video's first report */
  double start, first_report, last_draw;
  double shown_share;       /* the share last shown: it never falls */
  int bar_cells, bar_width; /* the bar kept for this terminal width */
};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Columns of the terminal on stderr ($COLUMNS, else 80 when unknown). */
static int term_width(void) {
  struct winsize ws;
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  const char *c = getenv("COLUMNS");
  int w = c ? atoi(c) : 0;
  return w > 0 ? w : 80;
}

/* The video count is only known once the library has listed the videos,
 * so the per-video array is made at the first report, with each video's
 * windows as the library estimated them before the run (the scheduler's
 * figure): the run's total is known before the first video opens. */
static int ensure_arrays(progress *p, size_t n, const int64_t *estimated) {
  if (p->videos)
    return p->n_videos == n ? 0 : -1;
  p->videos = calloc(n ? n : 1, sizeof *p->videos);
  p->uids = calloc(n ? n : 1, sizeof *p->uids);
  if (!p->videos || !p->uids) {
    free(p->videos);
    free(p->uids);
    p->videos = NULL;
    p->uids = NULL;
    return -1;
  }
  for (size_t i = 0; i < n; i++)
    p->videos[i].total = estimated ? estimated[i] : -1;
  p->n_videos = n;
  return 0;
}

/* Windows per second since the first video started: the model's load
 * before it is no part of the rate. */
static double rate(const progress *p, const progress_run *r, double t) {
  double busy = t - p->first_report;
  return busy > 0.5 && r->windows_done > 0 ? (double)r->windows_done / busy
                                           : 0.0;
}

/* A failure's reason as it happens, so that a log of a run killed later
 * still says it. */
static void print_failure(const ef_progress_info *info) {
  char uid[1024], msg[2048];
  fprintf(stderr, "  %s failed: %s\n",
          cli_printable(info->uid, uid, sizeof uid),
          cli_printable(info->error, msg, sizeof msg));
}

static int on_progress(const ef_progress_info *info, void *user) {
  progress *p = user;
  if (!p || ensure_arrays(p, info->video_count, info->windows_estimated) != 0 ||
      info->video_index >= p->n_videos)
    return 0;
  double t = now();
  if (p->first_report == 0)
    p->first_report = t;
  progress_video *v = &p->videos[info->video_index];
  char uid[1024], line[2048];
  if (!p->uids[info->video_index])
    p->uids[info->video_index] =
        strdup(cli_printable(info->uid, uid, sizeof uid));
  int newly_finished = info->finished && !v->finished;
  v->started = 1;
  v->done = info->windows_done;
  if (info->windows_total >= 0)
    v->total = info->windows_total;
  /* A video done has done all its windows, also in debug mode, where
   * they become PNGs and none goes through a model. */
  if (info->finished && !info->failed && !info->skipped && v->total > v->done)
    v->done = v->total;
  v->finished = info->finished;
  v->failed = info->failed;
  v->skipped = info->skipped;
  if (p->quiet)
    return 0;
  progress_run r = progress_summarise(p->videos, p->n_videos);
  r.share_floor = p->shown_share;
  p->shown_share = progress_share(&r);
  if (!p->tty) {
    if (newly_finished) {
      /* "skipped": complete already, or claimed by another process (the
       * summary says which). */
      const char *what = info->failed    ? "failed"
                         : info->skipped ? "skipped"
                                         : "done";
      progress_log_line(&r, cli_printable(info->uid, uid, sizeof uid), what,
                        v->done, rate(p, &r, t), line, sizeof line);
      fprintf(stderr, "%s\n", line);
      if (info->failed)
        print_failure(info);
    }
    return 0;
  }
  if (newly_finished && info->failed) { /* kept above the status line */
    fprintf(stderr, "\r\033[K");
    print_failure(info);
  }
  if (t - p->last_draw < 0.1 && !newly_finished)
    return 0;
  p->last_draw = t;
  /* The current video is the one active video, whichever reported. */
  const progress_video *cur = r.active == 1 ? &p->videos[r.current] : NULL;
  /* The bar keeps its width for the run, until the terminal's changes. */
  int width = term_width() - 1;
  if (width != p->bar_width) {
    p->bar_width = width;
    p->bar_cells = -1;
  }
  progress_line_kept(&r, cur ? p->uids[r.current] : NULL, cur ? cur->done : 0,
                     cur ? cur->total : -1, rate(p, &r, t), t - p->start, width,
                     &p->bar_cells, line, sizeof line);
  fprintf(stderr, "\r\033[K%s", line);
  fflush(stderr);
  return 0;
}

progress *progress_create(int quiet) {
  progress *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->quiet = quiet;
  p->tty = isatty(STDERR_FILENO);
  p->start = now();
  return p;
}

ef_progress_cb progress_callback(void) {
  return on_progress;
}

void progress_free(progress *p) {
  if (!p)
    return;
  if (p->tty && !p->quiet && p->n_videos)
    fputc('\n', stderr);
  for (size_t i = 0; p->uids && i < p->n_videos; i++)
    free(p->uids[i]);
  free(p->uids);
  free(p->videos);
  free(p);
}
