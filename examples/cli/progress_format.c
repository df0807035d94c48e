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

static double share(const progress_run *r) {
  if (r->windows_expected > 0)
    return (double)r->windows_done / (double)r->windows_expected;
  /* Nothing known of the windows yet: by videos. */
  return r->videos ? (double)r->finished / (double)r->videos : 1.0;
}

#define BAR_MIN 10
#define BAR_MAX 30

size_t progress_line(const progress_run *r, const char *uid, int64_t uid_done,
                     int64_t uid_total, double rate, double elapsed, int width,
                     char *buf, size_t n) {
  char head[64], stats[160], tail[1100], bar[BAR_MAX + 3], el[32], eta[32];
  double sh = share(r);
  progress_duration(elapsed, el, sizeof el);
  progress_duration(progress_eta(r, rate), eta, sizeof eta);
  snprintf(head, sizeof head, "[%zu/%zu]", r->finished, r->videos);
  char expected[32] = "?";
  if (r->windows_expected >= 0)
    snprintf(expected, sizeof expected, "%lld", (long long)r->windows_expected);
  char rate_text[32] = "-- windows/s";
  if (rate > 0)
    snprintf(rate_text, sizeof rate_text, "%.1f windows/s", rate);
  snprintf(stats, sizeof stats,
           "%5.1f%% %lld/%s windows %s, %s elapsed, ETA %s", 100.0 * sh,
           (long long)r->windows_done, expected, rate_text, el, eta);
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
  const char *choice[] = {with_counts, bare, ""};
  size_t c = 0;
  while (c < 2 && fixed + (int)strlen(choice[c]) > width)
    c++;
  snprintf(tail, sizeof tail, "%s", choice[c]);
  int room = width - fixed - (int)strlen(tail) - 1;    /* a space */
  int cells = room - 2 > BAR_MAX ? BAR_MAX : room - 2; /* "|...|" */
  bar[0] = '\0';
  if (cells >= BAR_MIN) {
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

size_t progress_log_line(const progress_run *r, const char *uid,
                         const char *what, int64_t windows, double rate,
                         char *buf, size_t n) {
  char eta[32];
  progress_duration(progress_eta(r, rate), eta, sizeof eta);
  int w = snprintf(buf, n,
                   "[%zu/%zu] %s %s (%lld window%s); %.1f%% of "
                   "windows, ETA %s",
                   r->finished, r->videos, uid, what, (long long)windows,
                   windows == 1 ? "" : "s", 100.0 * share(r), eta);
  return w < 0 ? 0 : (size_t)w;
}
