/*
 * progress.c - what the user sees during a run. On a terminal: one line
 * redrawn at most 10 times a second with the current video, the overall
 * share done, the rate and an ETA. Otherwise (logs, CI, SLURM): one plain
 * line per finished video.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

struct progress {
  size_t n_videos;
  int quiet, tty;
  unsigned char *finished; /* per video */
  double *fraction;        /* per video, 0..1 */
  size_t n_finished;
  double start, last_draw;
};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void format_duration(double s, char *buf, size_t n) {
  if (s < 0 || s > 1e7)
    snprintf(buf, n, "--");
  else if (s >= 3600)
    snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
  else if (s >= 60)
    snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
  else
    snprintf(buf, n, "%.0fs", s);
}

/* The video count is only known once the library has listed the videos,
 * so the per-video arrays are made at the first report. */
static int ensure_arrays(progress *p, size_t n) {
  if (p->finished)
    return p->n_videos == n ? 0 : -1;
  p->finished = calloc(n ? n : 1, 1);
  p->fraction = calloc(n ? n : 1, sizeof *p->fraction);
  if (!p->finished || !p->fraction)
    return -1;
  p->n_videos = n;
  return 0;
}

static int on_progress(const ef_progress_info *info, void *user) {
  progress *p = user;
  if (!p || ensure_arrays(p, info->video_count) != 0 ||
      info->video_index >= p->n_videos)
    return 0;
  size_t v = info->video_index;
  if (info->windows_total > 0)
    p->fraction[v] = (double)info->windows_done / (double)info->windows_total;
  if (info->finished && !p->finished[v]) {
    p->finished[v] = 1;
    p->fraction[v] = 1.0;
    p->n_finished++;
    if (!p->quiet && !p->tty) {
      /* "skipped": complete already, or claimed by another process (the
       * summary says which). */
      const char *what = info->failed    ? "failed"
                         : info->skipped ? "skipped"
                                         : "done";
      char uid[1024];
      fprintf(stderr, "[%zu/%zu] %s %s (%lld windows)\n", p->n_finished,
              p->n_videos, cli_printable(info->uid, uid, sizeof uid), what,
              (long long)info->windows_done);
    }
  }
  if (p->quiet || !p->tty)
    return 0;
  double t = now();
  if (t - p->last_draw < 0.1 && !info->finished)
    return 0;
  p->last_draw = t;
  double sum = 0;
  for (size_t i = 0; i < p->n_videos; i++)
    sum += p->fraction[i];
  double share = p->n_videos ? sum / (double)p->n_videos : 1;
  double elapsed = t - p->start;
  char eta[32];
  format_duration(share > 0 ? elapsed * (1 - share) / share : -1, eta,
                  sizeof eta);
  char uid[128];
  fprintf(stderr,
          "\r\033[K[%zu/%zu] %.30s %lld/%lld windows | %5.1f%% | %.2f "
          "videos/min | ETA %s",
          p->n_finished, p->n_videos, cli_printable(info->uid, uid, sizeof uid),
          (long long)info->windows_done, (long long)info->windows_total,
          100.0 * share, elapsed > 0 ? 60.0 * sum / elapsed : 0.0, eta);
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
  free(p->finished);
  free(p->fraction);
  free(p);
}
