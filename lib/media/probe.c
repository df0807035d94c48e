/*
 * probe.c - owns probe_file(), probe_check_path() and probe_sampled_frames():
 * what a media file holds, read from the container headers with
 * libavformat, without decoding. Discovery uses it for videos the manifest
 * does not describe, so its messages must name the file: they end up in
 * per-video reports.
 */
#include "media/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavutil/avutil.h>

#include "util/error.h"

__extension__ typedef __int128 i128;

/* What a file that is not a regular file is, for the message. */
static const char *special_kind(mode_t mode) {
  if (S_ISFIFO(mode))
    return "a FIFO";
  if (S_ISSOCK(mode))
    return "a socket";
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  return "not a regular file";
}

static int stat_problem(const char *path, const struct stat *sb) {
  if (S_ISDIR(sb->st_mode))
    return ef_error_set(EF_EIO, "%s: is a directory", path);
  /* Reading a FIFO, a socket or a device blocks or never ends. */
  if (!S_ISREG(sb->st_mode))
    return ef_error_set(EF_EIO, "%s: %s, not a regular file; not opened", path,
                        special_kind(sb->st_mode));
  if (sb->st_size == 0)
    return ef_error_set(EF_EDECODE, "%s: empty file", path);
  return EF_OK;
}

int probe_check_path(const char *path) {
  struct stat sb;

  if (stat(path, &sb) != 0)
    return ef_error_set(errno == ENOENT ? EF_ENOTFOUND : EF_EIO, "%s: %s", path,
                        errno == ENOENT ? "no such file" : strerror(errno));
  return stat_problem(path, &sb);
}

int probe_open_regular(const char *path) {
  /* O_NONBLOCK: a FIFO put in place after the stat must not block the
   * open; fstat then says what was opened. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  struct stat sb;
  if (fd < 0)
    return ef_error_set(errno == ENOENT ? EF_ENOTFOUND : EF_EIO, "%s: %s", path,
                        errno == ENOENT ? "no such file" : strerror(errno));
  if (fstat(fd, &sb) != 0) {
    int rc = ef_error_set(EF_EIO, "%s: %s", path, strerror(errno));
    close(fd);
    return rc;
  }
  int rc = stat_problem(path, &sb);
  if (rc != EF_OK) {
    close(fd);
    return rc;
  }
  return fd;
}

static _Thread_local const volatile int *watched_cancel;

void probe_watch_cancel(const volatile int *flag) {
  watched_cancel = flag;
}

int probe_cancelled(void) {
  return watched_cancel && *watched_cancel;
}

/* An ISO media file starts with a box "<size>ftyp"; one that FFmpeg
 * cannot open lacks its moov box, which writers put at the end. */
static int starts_like_mp4(const char *path) {
  unsigned char head[8];
  int fd = probe_open_regular(path);
  int yes = 0;
  if (fd < 0) {
    ef_error_clear();
    return 0;
  }
  yes = read(fd, head, sizeof head) == (ssize_t)sizeof head &&
        memcmp(head + 4, "ftyp", 4) == 0;
  close(fd);
  return yes;
}

int probe_open_error(const char *path, int averr) {
  char msg[AV_ERROR_MAX_STRING_SIZE];
  if (averr == AVERROR(ENOENT))
    return ef_error_set(EF_ENOTFOUND, "%s: no such file", path);
  av_strerror(averr, msg, sizeof msg);
  if (averr == AVERROR_INVALIDDATA && starts_like_mp4(path))
    return ef_error_set(EF_EDECODE,
                        "%s: incomplete MP4/MOV file: its index (moov atom) "
                        "is missing, so it was cut short or is still being "
                        "written (%s)",
                        path, msg);
  return ef_error_set(EF_EDECODE, "%s: not a media file (%s)", path, msg);
}

/* libavformat's own opener, the same for every context: read once. */
typedef int (*io_open_fn)(AVFormatContext *, AVIOContext **, const char *, int,
                          AVDictionary **);
static io_open_fn default_io_open;
static pthread_once_t default_io_once = PTHREAD_ONCE_INIT;

static void read_default_io_open(void) {
  AVFormatContext *fmt = avformat_alloc_context();
  if (fmt) {
    default_io_open = fmt->io_open;
    avformat_free_context(fmt);
  }
}

/* "proto:rest" as libavformat reads a URL (url_find_protocol): letters,
 * digits, '+', '-', '.' then ':'. "/a:b.mp4" is a file. */
static int has_protocol(const char *url) {
  size_t n = strspn(url, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "0123456789+-.");
  return n > 0 && url[n] == ':';
}

/*
 * Every file libavformat opens for reading (the video, and what a demuxer
 * opens beside it) goes through here: it is opened first by
 * probe_open_regular, so a FIFO or a device fails instead of blocking, and
 * libavformat then opens that very file through /proc/self/fd, so a file
 * swapped after the check is never the one read. Where /proc is missing,
 * the checked path is opened by name.
 */
static int checked_io_open(AVFormatContext *s, AVIOContext **pb,
                           const char *url, int flags, AVDictionary **opts) {
  io_open_fn dflt = default_io_open;
  const char *file = url;
  if (strncmp(file, "file:", 5) == 0)
    file += 5;
  /* Other protocols are refused by the whitelist (probe_open). */
  if ((flags & AVIO_FLAG_WRITE) || has_protocol(file))
    return dflt(s, pb, url, flags, opts);
  int fd = probe_open_regular(file);
  if (fd < 0) {
    int rc = ef_last_error_code() == EF_ENOTFOUND ? AVERROR(ENOENT)
                                                  : AVERROR(EINVAL);
    /* Keeps the message for probe_open: it names the reason. */
    return rc;
  }
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  int rc = access(proc, R_OK) == 0 ? dflt(s, pb, proc, flags, opts)
                                   : dflt(s, pb, file, flags, opts);
  close(fd);
  return rc;
}

/* Nonzero stops libavformat's reads: the run's cancel flag. */
static int interrupted(void *flag) {
  const volatile int *cancel = flag;
  return cancel && *cancel;
}

int probe_open(const char *path, AVFormatContext **out) {
  char msg[AV_ERROR_MAX_STRING_SIZE];
  AVFormatContext *fmt = NULL;
  int rc;

  *out = NULL;
  rc = probe_check_path(path);
  if (rc < 0)
    return rc;
  pthread_once(&default_io_once, read_default_io_open);
  if (!default_io_open || !(fmt = avformat_alloc_context()))
    return ef_error_set(EF_ENOMEM, "%s: out of memory", path);
  /* Local files only: no pipe:, no network, whatever a demuxer asks. */
  if (!(fmt->protocol_whitelist = av_strdup("file"))) {
    avformat_free_context(fmt);
    return ef_error_set(EF_ENOMEM, "%s: out of memory", path);
  }
  fmt->io_open = checked_io_open;
  fmt->interrupt_callback.callback = interrupted;
  fmt->interrupt_callback.opaque = (void *)watched_cancel;
  ef_error_clear();
  rc = avformat_open_input(&fmt, path, NULL, NULL); /* frees fmt on error */
  if (rc < 0) {
    /* checked_io_open's refusal, with its reason. */
    if (ef_last_error_code() != EF_OK)
      return ef_last_error_code();
    if (rc == AVERROR_EXIT)
      return ef_error_set(EF_ECANCELLED, "%s: cancelled", path);
    return probe_open_error(path, rc);
  }
  rc = avformat_find_stream_info(fmt, NULL);
  if (rc < 0) {
    av_strerror(rc, msg, sizeof msg);
    avformat_close_input(&fmt);
    if (rc == AVERROR_EXIT)
      return ef_error_set(EF_ECANCELLED, "%s: cancelled", path);
    return ef_error_set(EF_EDECODE, "%s: cannot read stream info (%s)", path,
                        msg);
  }
  *out = fmt;
  return EF_OK;
}

/* Cover art is a "video" stream of one picture; it is not a video. */
static int best_stream(AVFormatContext *fmt, enum AVMediaType type) {
  int i = av_find_best_stream(fmt, type, -1, -1, NULL, 0);
  if (i >= 0 && (fmt->streams[i]->disposition & AV_DISPOSITION_ATTACHED_PIC))
    return -1;
  return i;
}

static double stream_seconds(const AVFormatContext *fmt, const AVStream *st) {
  if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
    return (double)st->duration * av_q2d(st->time_base);
  if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
    return (double)fmt->duration / AV_TIME_BASE;
  return 0.0;
}

static void fill_video(const AVFormatContext *fmt, const AVStream *st,
                       probe_info *out) {
  AVRational rate = st->avg_frame_rate;

  if (rate.num <= 0 || rate.den <= 0)
    rate = st->r_frame_rate;
  out->has_video = 1;
  out->width = st->codecpar->width;
  out->height = st->codecpar->height;
  if (rate.num > 0 && rate.den > 0) {
    av_reduce(&rate.num, &rate.den, rate.num, rate.den, INT32_MAX);
    out->rate_num = rate.num;
    out->rate_den = rate.den;
  }
  out->duration = stream_seconds(fmt, st);
  if (st->nb_frames > 0)
    out->num_frames = st->nb_frames;
  else if (out->rate_num > 0)
    out->num_frames =
        llround(out->duration * (double)out->rate_num / (double)out->rate_den);
}

static void fill_audio(const AVStream *st, probe_info *out) {
  out->has_audio = 1;
  out->audio_sample_rate = st->codecpar->sample_rate;
  out->audio_channels = st->codecpar->ch_layout.nb_channels;
}

int probe_file(const char *path, probe_info *out) {
  AVFormatContext *fmt = NULL;
  int vi, ai, rc;

  memset(out, 0, sizeof *out);
  out->rate_den = 1;
  rc = probe_open(path, &fmt);
  if (rc < 0)
    return rc;
  vi = best_stream(fmt, AVMEDIA_TYPE_VIDEO);
  ai = best_stream(fmt, AVMEDIA_TYPE_AUDIO);
  if (vi < 0 && ai < 0) {
    avformat_close_input(&fmt);
    return ef_error_set(EF_ENOSTREAM, "%s: no video or audio stream", path);
  }
  if (vi >= 0)
    fill_video(fmt, fmt->streams[vi], out);
  else
    out->duration = (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
                        ? (double)fmt->duration / AV_TIME_BASE
                        : 0.0;
  if (ai >= 0)
    fill_audio(fmt->streams[ai], out);
  avformat_close_input(&fmt);
  return EF_OK;
}

/*
 * Whether k * den / num < d, decided exactly: d is split into an integer
 * mantissa and a power of two, so both sides become integers. A float
 * division would put k on the wrong side when d is exactly k / fps (a
 * 10 s clip at 30 fps must give 300 samples, not 301).
 */
static int before_exact(int64_t k, int64_t num, int64_t den, double d) {
  int e;
  double m = frexp(d, &e); /* d = m * 2^e, 0.5 <= m < 1 */
  i128 lhs = (i128)k * den;
  i128 rhs = (i128)(int64_t)ldexp(m, 53) * num; /* d * num * 2^(53 - e) */
  int shift = 53 - e;

  if (lhs == 0)
    return 1;     /* d > 0 here */
  if (shift <= 0) /* d >= 2^52 s; rhs < 2^116 leaves room for 10 bits */
    return -shift > 10 || lhs < (rhs << -shift);
  /* Shifting lhs past 2^126 would overflow; it would also exceed rhs. */
  if (shift > 126 || lhs >= ((i128)1 << (126 - shift)))
    return 0;
  return (lhs << shift) < rhs;
}

int64_t probe_frames_at(const probe_info *info, int64_t fps_num,
                        int64_t fps_den) {
  if (!info->has_video)
    return -1;
  return fps_num > 0 && fps_den > 0
             ? probe_sampled_frames(info->duration, fps_num, fps_den)
             : info->num_frames;
}

int64_t probe_sampled_frames(double duration, int64_t fps_num,
                             int64_t fps_den) {
  double est;
  int64_t k;

  if (!(duration > 0) || !isfinite(duration) || fps_num <= 0 || fps_den <= 0)
    return 0;
  est = ceil(duration * (double)fps_num / (double)fps_den);
  if (!(est < 9e15))
    return 0;
  /* The float estimate is off by at most one; the exact test settles it. */
  k = (int64_t)est;
  while (k > 0 && !before_exact(k - 1, fps_num, fps_den, duration))
    k--;
  while (before_exact(k, fps_num, fps_den, duration))
    k++;
  return k;
}
