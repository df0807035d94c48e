/*
 * progress_format.h - the words and numbers of the progress display, as
 * pure functions of a snapshot, so they are tested without a terminal or
 * a clock (tests/unit/test_progress.c). progress.c gathers the snapshot
 * and draws.
 */
#ifndef EF_PROGRESS_FORMAT_H
#define EF_PROGRESS_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* What is known of one video of the run. */
typedef struct {
  int64_t done;  /* windows through the model */
  int64_t total; /* expected windows (from probing), -1 unknown */
  int started, finished, failed, skipped;
} progress_video;

/* The run as a whole, summed from its videos. */
typedef struct {
  size_t videos, finished, active; /* active: started, not finished */
  int64_t windows_done;
  /* Expected windows of the whole run: the known totals, finished videos
   * at what they did, and each video not started yet at the mean total
   * of those known (weighting by windows, not by videos: a 2-hour video
   * is not one 10-second clip). -1 while no total is known. */
  int64_t windows_expected;
  size_t current; /* the one active video when active == 1 */
  /* The share is never shown below this (0 from progress_summarise): the
   * caller sets it to the share it showed last, so that a total that
   * grows (a video longer than estimated) never makes the share fall. */
  double share_floor;
} progress_run;

progress_run progress_summarise(const progress_video *v, size_t n);

/* "45s", "3m07s", "2h05m"; "--" for a negative or absurd value. */
void progress_duration(double s, char *buf, size_t n);

/* The terminal line, at most `width` columns (uids are ASCII in
 * practice; a longer one is dropped whole, never cut):
 *
 *   [3/10] |#######-------| 42.0% 1234/2940 windows 15.2 windows/s,
 *   1m21s elapsed, ETA 1m52s <uid> 12/40
 *
 * on one line. The bar fills what room is left (10 to 30 columns) and
 * goes first when there is none; then the current video's counts, then
 * its uid. With several videos decoding at once (num_workers > 1) the
 * tail is "N videos in progress" instead of a uid, so the line does not
 * jump between videos. rate: windows per second of work so far (<= 0:
 * unknown); elapsed: seconds since the run started. uid may be NULL. */
size_t progress_line(const progress_run *r, const char *uid, int64_t uid_done,
                     int64_t uid_total, double rate, double elapsed, int width,
                     char *buf, size_t n);

/* progress_line for a line redrawn in place: *bar_cells < 0 chooses the
 * bar's cells as progress_line does and stores them; >= 0 keeps them
 * (0: no bar), and a tail that does not fit beside that bar loses its
 * counts, then its uid, so the bar never changes width between redraws.
 * The figures are padded to the widest they can be (a 6-column duration,
 * a 6-column rate, the done count to the total's digits), so the tail
 * does not shift either. */
size_t progress_line_kept(const progress_run *r, const char *uid,
                          int64_t uid_done, int64_t uid_total, double rate,
                          double elapsed, int width, int *bar_cells, char *buf,
                          size_t n);

/* The fraction of the run done: windows done over expected (by videos
 * while nothing is known of the windows), never below r->share_floor. */
double progress_share(const progress_run *r);

/* The log line of a finished video, for non-terminals:
 * "[3/10] <uid> done (12 windows); 42.0% of windows, ETA 1m52s". */
size_t progress_log_line(const progress_run *r, const char *uid,
                         const char *what, int64_t windows, double rate,
                         char *buf, size_t n);

/* Seconds left at `rate` windows per second, -1 if unknown. */
double progress_eta(const progress_run *r, double rate);

#endif
