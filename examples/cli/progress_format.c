/*
 * progress_format.c - owns the text of the progress display (see
 * progress_format.h): the run's expected windows, durations, the
 * terminal line and the log line.
 */
#include "progress_format.h"

#include <stdio.h>
#include <string.h>

progress_run progress_summarise(const progress_video *v, size_t n) {
  progress_run r;
  int64_t sum = 0, mean_sum = 0, mean_n = 0, unknown = 0;
  memset(&r, 0, sizeof r);
  r.videos = n;
  for (size_t i = 0; i < n; i++) {
    r.windows_done += v[i].done;
    /* The mean is of what real videos hold: not of skipped ones (0) nor
     * of failed ones (cut short). */
    if (v[i].total > 0 && !v[i].failed && !v[i].skipped) {
      mean_sum += v[i].total;
      mean_n++;
    }
    if (v[i].finished) {
      r.finished++;
      sum += v[i].done; /* what it did is all it will do */
      continue;
    }
    if (v[i].started) {
      r.active++;
      r.current = i;
    }
    if (v[i].total >= 0)
      sum += v[i].total > v[i].done ? v[i].total : v[i].done;
    else
      unknown++;
  }
  if (unknown > 0 && mean_n == 0) {
    r.windows_expected = -1;
    return r;
  }
  r.windows_expected =
      sum + (unknown ? unknown * ((mean_sum + mean_n / 2) / mean_n) : 0);
  return r;
}

void progress_duration(double s, char *buf, size_t n) {
  if (!(s >= 0) || s > 1e7)
    snprintf(buf, n, "--");
  else if (s >= 3600)
    snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
  else if (s >= 60)
    snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
  else
    snprintf(buf, n, "%.0fs", s);
}

double progress_eta(const progress_run *r, double rate) {
  if (r->windows_expected < 0 || rate <= 0)
    return r->finished == r->videos && r->videos ? 0 : -1;
  return (double)(r->windows_expected - r->windows_done) / rate;
}

double progress_share(const progress_run *r) {
  double sh;
  if (r->windows_expected > 0)
    sh = (double)r->windows_done / (double)r->windows_expected;
  else /* nothing known of the windows yet: by videos */
    sh = r->videos ? (double)r->finished / (double)r->videos : 1.0;
  if (sh > 1.0)
    sh = 1.0;
  return sh < r->share_floor ? r->share_floor : sh;
}

#define BAR_MIN 10
#define BAR_MAX 30

/* The figures of the line: share, windows, rate, elapsed and ETA. */
static void stats_text(double share, long long done, const char *expected,
                       const char *rate, const char *elapsed, const char *eta,
                       char *buf, size_t n) {
  snprintf(buf, n, "%5.1f%% %lld/%s windows %s, %s elapsed, ETA %s",
           100.0 * share, done, expected, rate, elapsed, eta);
}

/* The stats of r padded with spaces to the widest they get in this run
 * (every video done, a 6-column rate and durations), so what follows
 * them stays in place from one redraw to the next. */
static void padded_stats(const progress_run *r, double rate, double elapsed,
                         char *buf, size_t n) {
  char el[32], eta[32], expected[32] = "?", rate_text[32] = "-- windows/s";
  progress_duration(elapsed, el, sizeof el);
  progress_duration(progress_eta(r, rate), eta, sizeof eta);
  if (r->windows_expected >= 0)
    snprintf(expected, sizeof expected, "%lld", (long long)r->windows_expected);
  if (rate > 0)
    snprintf(rate_text, sizeof rate_text, "%.1f windows/s", rate);
  stats_text(progress_share(r), (long long)r->windows_done, expected, rate_text,
             el, eta, buf, n);
  char widest[192];
  long long most = r->windows_expected > r->windows_done ? r->windows_expected
                                                         : r->windows_done;
  stats_text(1.0, most, r->windows_expected >= 0 ? expected : "?",
             "9999.9 windows/s", "59m59s", "59m59s", widest, sizeof widest);
  size_t len = strlen(buf), want = strlen(widest);
  while (len < want && len + 1 < n)
    buf[len++] = ' ';
  buf[len] = '\0';
}

size_t progress_line_kept(const progress_run *r, const char *uid,
                          int64_t uid_done, int64_t uid_total, double rate,
                          double elapsed, int width, int *bar_cells, char *buf,
                          size_t n) {
  char head[64], stats[192], bar[BAR_MAX + 3];
  double sh = progress_share(r);
  padded_stats(r, rate, elapsed, stats, sizeof stats);
  /* "[ 3/10]": the count padded to the run's, so nothing after it moves. */
  int count_w = snprintf(NULL, 0, "%zu", r->videos);
  snprintf(head, sizeof head, "[%*zu/%zu]", count_w, r->finished, r->videos);
  /* The tail, from the most to the least to say; dropped in that order
   * of need: counts, then the uid. */
  char with_counts[1100] = "", bare[1100] = "";
  if (r->active > 1) {
    snprintf(with_counts, sizeof with_counts, " %zu videos in progress",
             r->active);
    snprintf(bare, sizeof bare, "%s", with_counts);
  } else if (uid && *uid) {
    char total[32] = "?";
    if (uid_total >= 0)
      snprintf(total, sizeof total, "%lld", (long long)uid_total);
    snprintf(with_counts, sizeof with_counts, " %s %lld/%s", uid,
             (long long)uid_done, total);
    snprintf(bare, sizeof bare, " %s", uid);
  }
  int fixed = (int)(strlen(head) + 1 + strlen(stats));
  /* A kept bar takes its room first: "|...| " */
  int kept = bar_cells && *bar_cells >= 0;
  int bar_room = kept && *bar_cells > 0 ? *bar_cells + 3 : 0;
  const char *choice[] = {with_counts, bare, ""};
  size_t c = 0;
  while (c < 2 && fixed + bar_room + (int)strlen(choice[c]) > width)
    c++;
  const char *tail = choice[c];
  int cells = 0;
  if (kept) {
    cells = *bar_cells;
  } else {
    int room = width - fixed - (int)strlen(tail) - 1; /* a space */
    cells = room - 2 > BAR_MAX ? BAR_MAX : room - 2;  /* "|...|" */
    if (cells < BAR_MIN)
      cells = 0;
    if (bar_cells)
      *bar_cells = cells;
  }
  bar[0] = '\0';
  if (cells > 0) {
    int full = (int)(sh * cells + 0.5);
    if (full > cells)
      full = cells;
    if (full < 0)
      full = 0;
    bar[0] = '|';
    for (int i = 0; i < cells; i++)
      bar[1 + i] = i < full ? '#' : '-';
    bar[cells + 1] = '|';
    bar[cells + 2] = '\0';
  }
  int w = snprintf(buf, n, "%s%s%s %s%s", head, bar[0] ? " " : "", bar, stats,
                   tail);
  return w < 0 ? 0 : (size_t)w;
}

size_t progress_line(const progress_run *r, const char *uid, int64_t uid_done,
                     int64_t uid_total, double rate, double elapsed, int width,
                     char *buf, size_t n) {
  return progress_line_kept(r, uid, uid_done, uid_total, rate, elapsed, width,
                            NULL, buf, n);
}

size_t progress_log_line(const progress_run *r, const char *uid,
                         const char *what, int64_t windows, double rate,
                         char *buf, size_t n) {
  char eta[32];
  progress_duration(progress_eta(r, rate), eta, sizeof eta);
  int w = snprintf(buf, n,
                   "[%zu/%zu] %s %s (%lld window%s); %.1f%% of "
                   "windows, ETA %s",
                   r->finished, r->videos, uid, what, (long long)windows,
                   windows == 1 ? "" : "s", 100.0 * progress_share(r), eta);
  return w < 0 ? 0 : (size_t)w;
}
