/*
 * decode.c - owns the decoder handle of decode.h: demuxing and decoding one
 * video stream with libavformat/libavcodec, resampling it to the run's
 * frame rate, and converting the sampled frames to RGB24 exactly as PyAV's
 * to_ndarray(format='rgb24') does, so features match the reference.
 *
 * Sampling is streaming. The decoder holds one candidate frame (the last
 * source frame at or before the next target time). When the following
 * source frame arrives, the candidate is due for every sample k whose
 * target time k * fps_den / fps_num lies before the newcomer; only then is
 * it converted to RGB, once, and handed out for each of those k. Frames
 * that no sample picks are never converted. So memory is the codec's own
 * frames, one held frame reference and one RGB buffer, whatever the
 * video's length.
 *
 * All time comparisons are exact integer rationals (128-bit products): a
 * float would misplace a frame whose time equals a target time, and with a
 * 30 fps source at fps 30 every frame is such a frame.
 */
#include "media/decode.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>

#include "media/decode_hw.h"
#include "media/media_open.h"
#include "util/error.h"
#include "util/log.h"

__extension__ typedef __int128 i128;

/* A time as an integer count of a rational unit (a time base). */
typedef struct {
  int64_t ticks;
  AVRational unit;
} rtime;

struct decoder {
  char *path;
  AVFormatContext *fmt;
  AVCodecContext *cc;
  AVStream *st;
  AVPacket *pkt;
  AVFrame *recv; /* the codec's output slot */
  int64_t fps_num, fps_den;
  decode_hw hw;    /* asked for; DECODE_HW_NONE once it proved unusable */
  int hw_device;   /* CUDA device index */
  int hw_on;       /* NVDEC attached to cc */
  AVFrame *hw_tmp; /* a downloaded frame before its layout change */

  /* Source times are ticks of the stream time base from `start`. */
  int64_t start;
  int start_known;
  int64_t last_t;   /* time of the newest decoded frame */
  int64_t last_dur; /* its duration in ticks */
  int64_t first_t;
  int64_t decoded; /* source frames received so far */

  /* Samples are emitted while their target time is before `bound`. */
  rtime bound;
  int bound_known;

  /* The candidate frame, not yet converted. */
  AVFrame *cur;
  int64_t cur_t, cur_dur;
  int have_cur;

  /* The converted frame being handed out, and the time it is due until. */
  struct SwsContext *sws;
  uint8_t *rgb[4];
  int rgb_linesize[4];
  int rgb_w, rgb_h;
  int rgb_live;
  /* Lazy mode: the due frame is converted only when decoder_rgb() asks,
   * from this reference to it; rgb_ready says it has been. */
  int lazy;
  AVFrame *due;
  int rgb_ready;
  int rgb_forever; /* due until the bound: it was the last frame */
  int64_t rgb_until;
  int64_t rgb_emitted;
  double rgb_pts;

  int64_t k; /* next sample index */
  int input_done;
  int64_t packets;  /* packets of the stream read */
  int last_corrupt; /* the latest one was flagged corrupt (cut short) */
  int truncated;    /* the input ended before the file said it would */
  int done;
};

/* ---- Exact time arithmetic --------------------------------------------- */

/* Whether sample k's target time k * fps_den / fps_num is before t. */
static int target_before(const decoder *d, int64_t k, rtime t) {
  return (i128)k * d->fps_den * t.unit.den <
         (i128)t.ticks * t.unit.num * d->fps_num;
}

static rtime in_tb(const decoder *d, int64_t ticks) {
  rtime t = {ticks, d->st->time_base};
  return t;
}

static double seconds(rtime t) {
  return (double)t.ticks * av_q2d(t.unit);
}

/* ---- Errors ------------------------------------------------------------ */

static int av_fail(const decoder *d, int code, const char *what, int averr) {
  char msg[AV_ERROR_MAX_STRING_SIZE];
  av_strerror(averr, msg, sizeof msg);
  return ef_error_set(code, "%s: %s (%s)", d->path, what, msg);
}

/* ---- Opening ----------------------------------------------------------- */

/* Decoding falls back to the CPU when NVDEC cannot serve: said once per
 * process, not once per video. */
static void hw_fallback_note(const char *path, const char *why) {
  static atomic_int said;
  if (atomic_exchange(&said, 1) == 0)
    ef_log(EF_LOG_NOTE,
           "%s: decoding on the CPU instead of NVDEC: %s (same frames; "
           "inference_config.hwaccel=none skips the attempt)",
           path, why);
}

/* The file's video stream with a decoder opened on it, in d->fmt/st/cc. */
static int open_video(decoder *d, int threads) {
  media_input in;
  int rc = media_open(d->path, AVMEDIA_TYPE_VIDEO, &in);
  if (rc < 0)
    return rc;
  d->fmt = in.fmt;
  d->st = in.st;
  d->cc = in.cc;
  d->cc->thread_count = threads > 0 ? threads : 0;
  d->cc->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
  if (d->hw == DECODE_HW_CUDA) {
    char why[256];
    d->hw_on =
        decode_hw_attach(d->cc, in.codec, d->hw_device, why, sizeof why) == 0;
    if (!d->hw_on)
      hw_fallback_note(d->path, why);
    else
      d->cc->thread_count = 1; /* NVDEC works alone */
  }
  return media_open_codec(d->path, &in);
}

/* The stream's own duration, else the container's; else it stays unknown
 * until the last frame has been decoded. */
static void init_bound(decoder *d) {
  if (d->st->duration != AV_NOPTS_VALUE && d->st->duration > 0) {
    d->bound = in_tb(d, d->st->duration);
    d->bound_known = 1;
  } else if (d->fmt->duration != AV_NOPTS_VALUE && d->fmt->duration > 0) {
    d->bound.ticks = d->fmt->duration;
    d->bound.unit = AV_TIME_BASE_Q;
    d->bound_known = 1;
  }
  if (d->st->start_time != AV_NOPTS_VALUE) {
    d->start = d->st->start_time;
    d->start_known = 1;
  }
}

/* ---- Decoding ---------------------------------------------------------- */

/* A decoding failure: names the file and how far decoding got. */
static int decode_fail(const decoder *d, const char *what, int averr) {
  char msg[AV_ERROR_MAX_STRING_SIZE];
  av_strerror(averr, msg, sizeof msg);
  return ef_error_set(EF_EDECODE, "%s: %s after source frame %lld (%s)",
                      d->path, what, (long long)d->decoded, msg);
}

/* A cut-short file (a download in progress, a full disk) ends in a read
 * error, in a partial last packet (libavformat flags it corrupt and then
 * reports a plain EOF), or before the packets its index announces. An
 * edited file whose decoder returns fewer frames than packets is not
 * truncated: it has all its packets. */
static int is_truncated(const decoder *d, int read_rc) {
  return read_rc != AVERROR_EOF || d->last_corrupt ||
         (d->st->nb_frames > 0 && d->packets < d->st->nb_frames);
}

/* Feeds the codec one packet of the stream, or the flush at the end.
 * Corrupt packets are skipped: one bad packet must not lose the video. */
static int feed(decoder *d) {
  for (;;) {
    int rc = av_read_frame(d->fmt, d->pkt);
    if (rc < 0) {
      d->truncated = is_truncated(d, rc);
      d->input_done = 1;
      /* The flush may report a late decoding error of an earlier
       * packet (frame threads decode behind); the codec is draining
       * regardless, so that is skipped like any corrupt packet. */
      rc = avcodec_send_packet(d->cc, NULL);
      if (rc < 0 && rc != AVERROR_EOF && rc != AVERROR_INVALIDDATA)
        return decode_fail(d, "cannot flush the decoder", rc);
      return EF_OK;
    }
    if (d->pkt->stream_index != d->st->index) {
      av_packet_unref(d->pkt);
      continue;
    }
    d->packets++;
    d->last_corrupt = (d->pkt->flags & AV_PKT_FLAG_CORRUPT) != 0;
    rc = avcodec_send_packet(d->cc, d->pkt);
    av_packet_unref(d->pkt);
    if (rc == AVERROR_INVALIDDATA)
      continue;
    if (rc < 0)
      return decode_fail(d, "cannot decode a packet", rc);
    return EF_OK;
  }
}

/* One average frame interval in ticks, for frames without a duration. */
static int64_t nominal_interval(const decoder *d) {
  AVRational r = d->st->avg_frame_rate;
  if (r.num <= 0 || r.den <= 0)
    r = d->st->r_frame_rate;
  if (r.num > 0 && r.den > 0)
    return av_rescale_q(1, av_inv_q(r), d->st->time_base);
  if (d->decoded > 1)
    return (d->last_t - d->first_t) / (d->decoded - 1);
  return av_rescale_q(d->fps_den, (AVRational){1, (int)d->fps_num},
                      d->st->time_base);
}

/* Stamps the frame just received: its time from the start, in ticks. */
static void stamp(decoder *d, const AVFrame *f, int64_t *t, int64_t *dur) {
  int64_t pts = f->best_effort_timestamp;
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(57, 30, 100)
  int64_t fdur = f->duration;
#else
  int64_t fdur = f->pkt_duration;
#endif

  if (pts != AV_NOPTS_VALUE && !d->start_known) {
    d->start = pts;
    d->start_known = 1;
  }
  if (pts != AV_NOPTS_VALUE)
    *t = pts - d->start;
  else /* no timestamp: it follows the previous frame */
    *t = d->decoded > 0 ? d->last_t + d->last_dur : 0;
  if (d->decoded == 0)
    d->first_t = *t;
  d->decoded++;
  d->last_t = *t;
  *dur = fdur > 0 ? fdur : nominal_interval(d);
  d->last_dur = *dur;
}

/* 1 with a new frame in d->recv, 0 when the codec is drained, <0 error. */
static int receive(decoder *d) {
  for (;;) {
    int rc = avcodec_receive_frame(d->cc, d->recv);
    if (rc == 0 && d->hw_on) {
      rc = decode_hw_download(d->recv, d->hw_tmp, d->cc->sw_pix_fmt);
      if (rc < 0)
        return decode_fail(d, "cannot bring an NVDEC frame to the CPU", rc);
    }
    if (rc == 0)
      return 1;
    if (rc == AVERROR_EOF)
      return 0;
    if (rc == AVERROR_INVALIDDATA) /* a corrupt frame: skip it */
      continue;
    if (rc != AVERROR(EAGAIN))
      return decode_fail(d, "cannot decode a frame", rc);
    if (d->input_done) /* cannot happen after a flush; never spin */
      return 0;
    rc = feed(d);
    if (rc < 0)
      return rc;
  }
}

/* ---- Conversion -------------------------------------------------------- */

/* Like PyAV 10's reformat: a cached context at the same size, bilinear,
 * no colourspace details set (so BT.601, limited range), into a buffer
 * allocated the way PyAV allocates its frames (16-byte aligned rows). */
static int convert(decoder *d, const AVFrame *f) {
  if (f->width != d->rgb_w || f->height != d->rgb_h) {
    av_freep(&d->rgb[0]);
    d->rgb_w = d->rgb_h = 0;
    if (av_image_alloc(d->rgb, d->rgb_linesize, f->width, f->height,
                       AV_PIX_FMT_RGB24, 16) < 0)
      return ef_error_set(EF_ENOMEM, "%s: out of memory for a %dx%d frame",
                          d->path, f->width, f->height);
    d->rgb_w = f->width;
    d->rgb_h = f->height;
  }
  d->sws = sws_getCachedContext(d->sws, f->width, f->height, f->format,
                                f->width, f->height, AV_PIX_FMT_RGB24,
                                SWS_BILINEAR, NULL, NULL, NULL);
  if (!d->sws)
    return ef_error_set(EF_EDECODE, "%s: cannot convert %s frames to RGB",
                        d->path, av_get_pix_fmt_name(f->format));
  sws_scale(d->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height,
            d->rgb, d->rgb_linesize);
  return EF_OK;
}

/* The frame being handed out: its RGB once converted (NULL before, in
 * lazy mode), and its size either way. */
static void fill_rgb(const decoder *d, sampled_frame *out) {
  const AVFrame *f = d->lazy ? d->due : NULL;
  out->rgb = d->rgb_ready ? d->rgb[0] : NULL;
  out->linesize = d->rgb_ready ? d->rgb_linesize[0] : 0;
  out->width = f ? f->width : d->rgb_w;
  out->height = f ? f->height : d->rgb_h;
}

/* Converts the candidate; it is then due until `until` (or the bound). */
static int take_candidate(decoder *d, int64_t until, int forever) {
  int rc;
  if (d->lazy) {
    av_frame_unref(d->due);
    rc = av_frame_ref(d->due, d->cur);
    if (rc < 0)
      return av_fail(d, EF_ENOMEM, "cannot keep a frame", rc);
    d->rgb_ready = 0;
  } else {
    rc = convert(d, d->cur);
    if (rc < 0)
      return rc;
    d->rgb_ready = 1;
  }
  d->rgb_live = 1;
  d->rgb_until = until;
  d->rgb_forever = forever;
  d->rgb_emitted = 0;
  d->rgb_pts = seconds(in_tb(d, d->cur_t));
  return EF_OK;
}

static void hold(decoder *d, AVFrame *f, int64_t t, int64_t dur) {
  av_frame_unref(d->cur);
  av_frame_move_ref(d->cur, f);
  d->cur_t = t;
  d->cur_dur = dur;
  d->have_cur = 1;
}

/* The last frame is repeated until the declared duration, as the
 * reference does (docs/semantics.md). A file that declares far more than
 * its frames cover (3 frames and 10^7 s) keeps a run busy for hours with
 * copies: said once the input ends, so the wait has a reason. */
static void warn_long_freeze(const decoder *d, rtime end) {
  double frozen = seconds(d->bound) - seconds(end);
  double samples = frozen * (double)d->fps_num / (double)d->fps_den;
  if (samples > 1000.0 && samples > 100.0 * (double)(d->decoded + 1))
    ef_log(EF_LOG_WARNING,
           "%s: its %lld frames end at %.1f s but the file declares %.0f s: "
           "about %.0f more samples, each a copy of the last frame, are "
           "still to compute (the declared duration is what counts)",
           d->path, (long long)d->decoded, seconds(end), seconds(d->bound),
           samples);
}

/* Receives the next source frame and decides the candidate's fate. */
static int advance(decoder *d) {
  int64_t t, dur;
  int rc = receive(d);

  if (rc < 0)
    return rc;
  if (rc == 0) {
    /* The last frame lasts until the bound. Without a known duration the
     * bound is where the last frame ends; a truncated input also ends
     * there rather than freezing a frame for the rest of a duration the
     * file no longer has. */
    rtime end = in_tb(d, d->cur_t + d->cur_dur);
    if (!d->bound_known ||
        (d->truncated && av_compare_ts(end.ticks, end.unit, d->bound.ticks,
                                       d->bound.unit) < 0)) {
      d->bound = end;
      d->bound_known = 1;
    }
    warn_long_freeze(d, end);
    rc = target_before(d, d->k, d->bound) ? take_candidate(d, 0, 1) : EF_OK;
    av_frame_unref(d->cur);
    d->have_cur = 0;
    return rc;
  }
  stamp(d, d->recv, &t, &dur);
  if (target_before(d, d->k, in_tb(d, t))) {
    rc = take_candidate(d, t, 0);
    if (rc < 0)
      return rc;
  }
  hold(d, d->recv, t, dur);
  return EF_OK;
}

/* The first frame, decoded at open so a file without any fails there. */
static int prime(decoder *d) {
  int64_t t, dur;
  int rc = receive(d);
  if (rc < 0)
    return rc;
  if (rc == 0)
    return ef_error_set(EF_EDECODE, "%s: no decodable video frames", d->path);
  stamp(d, d->recv, &t, &dur);
  hold(d, d->recv, t, dur);
  return EF_OK;
}

/* ---- Public API -------------------------------------------------------- */

static int open_one(const char *path, int64_t fps_num, int64_t fps_den,
                    int threads, decode_hw hw, int hw_device, decoder **out) {
  decoder *d;
  int rc;

  *out = NULL;
  d = calloc(1, sizeof *d);
  if (!d || !(d->path = strdup(path)))
    goto nomem;
  d->fps_num = fps_num;
  d->fps_den = fps_den;
  d->hw = hw;
  d->hw_device = hw_device;
  d->pkt = av_packet_alloc();
  d->recv = av_frame_alloc();
  d->cur = av_frame_alloc();
  d->hw_tmp = av_frame_alloc();
  d->due = av_frame_alloc();
  if (!d->pkt || !d->recv || !d->cur || !d->hw_tmp || !d->due)
    goto nomem;
  if ((rc = open_video(d, threads)) < 0)
    goto fail;
  init_bound(d);
  if ((rc = prime(d)) < 0)
    goto fail;
  *out = d;
  return EF_OK;

nomem:
  rc = ef_error_set(EF_ENOMEM, "%s: out of memory", path);
fail:
  decoder_close(d);
  return rc;
}

int decoder_open(const char *path, int64_t fps_num, int64_t fps_den,
                 int threads, decoder **out) {
  return decoder_open_hw(path, fps_num, fps_den, threads, DECODE_HW_NONE, 0,
                         out);
}

int decoder_open_hw(const char *path, int64_t fps_num, int64_t fps_den,
                    int threads, decode_hw hw, int hw_device, decoder **out) {
  *out = NULL;
  /* 32-bit rates keep every product in target_before() within 128 bits. */
  if (fps_num <= 0 || fps_den <= 0 || fps_num > INT32_MAX ||
      fps_den > INT32_MAX)
    return ef_error_set(EF_EINVAL, "%s: bad sampling rate %lld/%lld", path,
                        (long long)fps_num, (long long)fps_den);
  int rc = open_one(path, fps_num, fps_den, threads, hw, hw_device, out);
  if (rc == EF_EDECODE && hw != DECODE_HW_NONE) {
    /* NVDEC attached but its first frame failed (a profile it lacks, a
     * layout it cannot give back): the CPU decodes the file instead. */
    char why[512];
    snprintf(why, sizeof why, "%s", ef_last_error());
    hw_fallback_note(path, why);
    rc = open_one(path, fps_num, fps_den, threads, DECODE_HW_NONE, 0, out);
  }
  return rc;
}

int decoder_uses_hw(const decoder *d) {
  return d && d->hw_on;
}

int decoder_next(decoder *d, sampled_frame *out) {
  for (;;) {
    if (d->done)
      return 0;
    if (d->bound_known && !target_before(d, d->k, d->bound)) {
      d->done = 1;
      continue;
    }
    if (d->rgb_live &&
        (d->rgb_forever || target_before(d, d->k, in_tb(d, d->rgb_until)))) {
      fill_rgb(d, out);
      out->index = d->k++;
      out->repeat = d->rgb_emitted++ > 0;
      out->pts = d->rgb_pts;
      return 1;
    }
    d->rgb_live = 0;
    if (!d->have_cur) {
      d->done = 1;
      continue;
    }
    int rc = advance(d);
    if (rc < 0) {
      d->done = 1;
      return rc;
    }
  }
}

void decoder_set_lazy(decoder *d, int lazy) {
  d->lazy = lazy;
}

int decoder_rgb(decoder *d, sampled_frame *f) {
  if (!d->rgb_ready) {
    if (!d->lazy || !d->due->buf[0])
      return ef_error_set(EF_EINVAL, "%s: no frame to convert", d->path);
    int rc = convert(d, d->due);
    if (rc < 0)
      return rc;
    d->rgb_ready = 1;
  }
  fill_rgb(d, f);
  return EF_OK;
}

double decoder_duration(const decoder *d) {
  return d->bound_known ? seconds(d->bound) : 0.0;
}

void decoder_close(decoder *d) {
  if (!d)
    return;
  av_freep(&d->rgb[0]);
  sws_freeContext(d->sws);
  av_frame_free(&d->cur);
  av_frame_free(&d->recv);
  av_frame_free(&d->hw_tmp);
  av_frame_free(&d->due);
  av_packet_free(&d->pkt);
  avcodec_free_context(&d->cc);
  avformat_close_input(&d->fmt);
  free(d->path);
  free(d);
}
