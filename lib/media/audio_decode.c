/*
 * audio_decode.c - owns the audio reader of audio_decode.h: demuxing and
 * decoding one audio stream with libavformat/libavcodec and converting it
 * with libswresample to mono float32 at the caller's rate, plus
 * audio_load() (a whole stream into memory) and peak normalisation.
 *
 * Reading is streaming: each decoded frame is converted into a pending
 * buffer that audio_read() drains, so memory is one converted frame plus
 * the codec's and resampler's own state. At the end the decoder is flushed
 * and then the resampler (swr_convert with no input), whose filter holds
 * back the last few samples; skipping either loses the stream's tail.
 */
#include "media/audio_decode.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libswresample/swresample.h>

#include "media/media_open.h"
#include "util/error.h"

/* A demuxer or codec that keeps failing at the same spot must not spin
 * forever; this many errors in a row end the stream with an error. */
#define MAX_ERRORS_IN_A_ROW 1000

struct audio_reader {
  char *path;
  int rate;
  AVFormatContext *fmt;
  AVCodecContext *cc;
  AVStream *st;
  AVPacket *pkt;
  AVFrame *frame;

  /* The resampler and the input it was made for: a stream may change
   * layout or rate midway, and then needs a new one. */
  SwrContext *swr;
  AVChannelLayout swr_layout;
  int swr_format, swr_rate;

  float *pend; /* converted samples not yet handed out */
  int pend_cap, pend_len, pend_pos;

  int input_done;   /* the decoder has been sent its flush */
  int ended;        /* decoder and resampler both drained */
  int error;        /* the error that stopped reading, or 0 */
  int64_t corrupt;  /* packets skipped as corrupt */
  int64_t produced; /* samples handed out so far */
};

/* ---- Errors ------------------------------------------------------------ */

static int av_fail(const audio_reader *r, int code, const char *what,
                   int averr) {
  char msg[AV_ERROR_MAX_STRING_SIZE];
  av_strerror(averr, msg, sizeof msg);
  return ef_error_set(code, "%s: %s (%s)", r->path, what, msg);
}

/* A failure while reading: says how far reading got. */
static int read_fail(const audio_reader *r, const char *what, int averr) {
  char msg[AV_ERROR_MAX_STRING_SIZE];
  av_strerror(averr, msg, sizeof msg);
  return ef_error_set(EF_EDECODE, "%s: %s after %lld audio samples (%s)",
                      r->path, what, (long long)r->produced, msg);
}

/* ---- Opening ----------------------------------------------------------- */

/* The file's audio stream with a decoder opened on it, in r->fmt/st/cc. */
static int open_audio(audio_reader *r) {
  media_input in;
  int rc = media_open(r->path, AVMEDIA_TYPE_AUDIO, &in);
  if (rc < 0)
    return rc;
  r->fmt = in.fmt;
  r->st = in.st;
  r->cc = in.cc;
  return media_open_codec(r->path, &in);
}

/* ---- Decoding ---------------------------------------------------------- */

/* Errors that mean memory or a broken program, not bad data. Decoders
 * report bad data with many codes (INVALIDDATA, PATCHWELCOME, EINVAL...),
 * so everything else counts as a corrupt packet. */
static int is_fatal(int averr) {
  return averr == AVERROR(ENOMEM) || averr == AVERROR_BUG ||
         averr == AVERROR_BUG2;
}

/* Sends the codec one packet of the stream, or the flush at the end.
 * Packets the codec rejects are skipped: a damaged stretch of audio costs
 * its own samples, not the whole stream. */
static int feed(audio_reader *r) {
  int errors_in_a_row = 0;

  for (;;) {
    int rc = av_read_frame(r->fmt, r->pkt);
    if (rc == AVERROR_INVALIDDATA && ++errors_in_a_row < MAX_ERRORS_IN_A_ROW) {
      r->corrupt++;
      continue;
    }
    if (rc < 0 && rc != AVERROR_EOF)
      return read_fail(r, "cannot read the audio stream", rc);
    if (rc == AVERROR_EOF) {
      r->input_done = 1;
      rc = avcodec_send_packet(r->cc, NULL);
      if (is_fatal(rc))
        return read_fail(r, "cannot flush the audio decoder", rc);
      return EF_OK;
    }
    errors_in_a_row = 0;
    if (r->pkt->stream_index != r->st->index) {
      av_packet_unref(r->pkt);
      continue;
    }
    rc = avcodec_send_packet(r->cc, r->pkt);
    av_packet_unref(r->pkt);
    if (rc == 0)
      return EF_OK;
    /* EAGAIN cannot happen: feed() runs only once the codec has asked
     * for input. */
    if (is_fatal(rc) || rc == AVERROR(EAGAIN))
      return read_fail(r, "cannot decode an audio packet", rc);
    r->corrupt++;
  }
}

/* 1 with a frame in r->frame, 0 when the codec is drained, <0 error. */
static int receive(audio_reader *r) {
  int errors_in_a_row = 0;

  for (;;) {
    int rc = avcodec_receive_frame(r->cc, r->frame);
    if (rc == 0)
      return 1;
    if (rc == AVERROR_EOF)
      return 0;
    if (rc == AVERROR(EAGAIN)) {
      if (r->input_done) /* cannot happen after a flush; never spin */
        return 0;
      rc = feed(r);
      if (rc < 0)
        return rc;
      errors_in_a_row = 0;
      continue;
    }
    if (is_fatal(rc) || ++errors_in_a_row >= MAX_ERRORS_IN_A_ROW)
      return read_fail(r, "cannot decode an audio frame", rc);
    r->corrupt++; /* a frame the codec could not rebuild: skip it */
  }
}

/* ---- Resampling -------------------------------------------------------- */

/* Room for `more` samples after the pending ones. */
static int reserve(audio_reader *r, int more) {
  int need;
  float *p;

  if (more > INT32_MAX - r->pend_len)
    return ef_error_set(EF_ENOMEM, "%s: audio frame too large", r->path);
  need = r->pend_len + more;
  if (need <= r->pend_cap)
    return EF_OK;
  p = realloc(r->pend, (size_t)need * sizeof *p);
  if (!p)
    return ef_error_set(EF_ENOMEM, "%s: out of memory", r->path);
  r->pend = p;
  r->pend_cap = need;
  return EF_OK;
}

/* Converts `count` input samples (in == NULL: the resampler's held-back
 * tail) and appends them to the pending samples. */
static int convert(audio_reader *r, const uint8_t **in, int count) {
  for (;;) {
    int room = swr_get_out_samples(r->swr, count);
    int rc;
    uint8_t *out;

    if (room < 0)
      return av_fail(r, EF_EDECODE, "cannot resample the audio", room);
    if ((rc = reserve(r, room)) < 0)
      return rc;
    out = (uint8_t *)(r->pend + r->pend_len);
    rc = swr_convert(r->swr, &out, room, in, count);
    if (rc < 0)
      return av_fail(r, EF_EDECODE, "cannot resample the audio", rc);
    r->pend_len += rc;
    /* With room for everything the input is used up in one call; the
     * flush may take several until the resampler has nothing left. */
    if (in || rc == 0)
      return EF_OK;
  }
}

/* A new resampler for frames like f: whatever layout and rate to mono at
 * r->rate, with swr's default downmix matrix. */
static int make_resampler(audio_reader *r, const AVFrame *f) {
  AVChannelLayout in = {0}, mono = AV_CHANNEL_LAYOUT_MONO;
  int rc;

  /* An unlabelled layout gets the usual one for its channel count, so
   * swr can build a downmix matrix for it. */
  if (f->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
    av_channel_layout_default(&in, f->ch_layout.nb_channels);
  else if ((rc = av_channel_layout_copy(&in, &f->ch_layout)) < 0)
    return av_fail(r, EF_ENOMEM, "out of memory", rc);

  swr_free(&r->swr);
  av_channel_layout_uninit(&r->swr_layout);
  rc = swr_alloc_set_opts2(&r->swr, &mono, AV_SAMPLE_FMT_FLT, r->rate, &in,
                           (enum AVSampleFormat)f->format, f->sample_rate, 0,
                           NULL);
  if (rc >= 0)
    rc = swr_init(r->swr);
  av_channel_layout_uninit(&in);
  if (rc < 0) {
    char desc[128] = "?";
    av_channel_layout_describe(&f->ch_layout, desc, sizeof desc);
    swr_free(&r->swr);
    return ef_error_set(EF_EDECODE,
                        "%s: cannot resample %s audio at %d Hz (%s) to mono "
                        "at %d Hz",
                        r->path, desc, f->sample_rate,
                        av_get_sample_fmt_name(f->format)
                            ? av_get_sample_fmt_name(f->format)
                            : "?",
                        r->rate);
  }
  if ((rc = av_channel_layout_copy(&r->swr_layout, &f->ch_layout)) < 0)
    return av_fail(r, EF_ENOMEM, "out of memory", rc);
  r->swr_format = f->format;
  r->swr_rate = f->sample_rate;
  return EF_OK;
}

static int convert_frame(audio_reader *r, const AVFrame *f) {
  int rc;

  if (f->nb_samples <= 0)
    return EF_OK;
  if (!r->swr || f->format != r->swr_format || f->sample_rate != r->swr_rate ||
      av_channel_layout_compare(&f->ch_layout, &r->swr_layout) != 0) {
    /* The old resampler's tail belongs before the new frame. */
    if (r->swr && (rc = convert(r, NULL, 0)) < 0)
      return rc;
    if ((rc = make_resampler(r, f)) < 0)
      return rc;
  }
  return convert(r, (const uint8_t **)f->extended_data, f->nb_samples);
}

/* Refills the pending buffer: 1 with samples pending, 0 at the end. */
static int refill(audio_reader *r) {
  r->pend_len = r->pend_pos = 0;
  while (!r->ended) {
    int rc = receive(r);
    if (rc < 0)
      return rc;
    if (rc == 0) {
      r->ended = 1;
      if (r->swr && (rc = convert(r, NULL, 0)) < 0)
        return rc;
    } else {
      rc = convert_frame(r, r->frame);
      av_frame_unref(r->frame);
      if (rc < 0)
        return rc;
    }
    if (r->pend_len > 0)
      return 1;
  }
  return 0;
}

/* ---- Public API -------------------------------------------------------- */

int audio_open(const char *path, int rate, audio_reader **out) {
  audio_reader *r;
  int rc;

  *out = NULL;
  if (rate <= 0)
    return ef_error_set(EF_EINVAL, "%s: bad audio sample rate %d", path, rate);
  r = calloc(1, sizeof *r);
  if (!r || !(r->path = strdup(path)))
    goto nomem;
  r->rate = rate;
  r->pkt = av_packet_alloc();
  r->frame = av_frame_alloc();
  if (!r->pkt || !r->frame)
    goto nomem;
  if ((rc = open_audio(r)) < 0)
    goto fail;
  *out = r;
  return EF_OK;

nomem:
  rc = ef_error_set(EF_ENOMEM, "%s: out of memory", path);
fail:
  audio_close(r);
  return rc;
}

int64_t audio_read(audio_reader *r, float *buf, int64_t max) {
  int64_t got = 0;

  if (r->error)
    return r->error;
  while (got < max) {
    int64_t avail = r->pend_len - r->pend_pos;
    if (avail > 0) {
      int64_t take = avail < max - got ? avail : max - got;
      memcpy(buf + got, r->pend + r->pend_pos, (size_t)take * sizeof *buf);
      r->pend_pos += (int)take;
      got += take;
      r->produced += take;
      continue;
    }
    int rc = refill(r);
    if (rc < 0) {
      r->error = rc;
      return rc;
    }
    if (rc == 0)
      break;
  }
  return got;
}

void audio_close(audio_reader *r) {
  if (!r)
    return;
  free(r->pend);
  av_channel_layout_uninit(&r->swr_layout);
  swr_free(&r->swr);
  av_frame_free(&r->frame);
  av_packet_free(&r->pkt);
  avcodec_free_context(&r->cc);
  avformat_close_input(&r->fmt);
  free(r->path);
  free(r);
}

int audio_load(const char *path, int rate, float **samples, int64_t *n) {
  audio_reader *r = NULL;
  float *buf = NULL;
  int64_t len = 0, cap = 0;
  int rc;

  *samples = NULL;
  *n = 0;
  if ((rc = audio_open(path, rate, &r)) < 0)
    return rc;
  for (;;) {
    int64_t got;
    if (cap - len < 65536) {
      int64_t want = cap ? 2 * cap : (int64_t)1 << 18;
      float *p;
      if ((uint64_t)want > SIZE_MAX / sizeof *p) {
        rc = ef_error_set(EF_ENOMEM, "%s: audio too long", path);
        goto fail;
      }
      p = realloc(buf, (size_t)want * sizeof *p);
      if (!p) {
        rc = ef_error_set(EF_ENOMEM, "%s: out of memory for %lld samples", path,
                          (long long)want);
        goto fail;
      }
      buf = p;
      cap = want;
    }
    got = audio_read(r, buf + len, cap - len);
    if (got < 0) {
      rc = (int)got;
      goto fail;
    }
    if (got == 0)
      break;
    len += got;
  }
  if (len == 0) {
    if (r->corrupt > 0)
      rc = ef_error_set(EF_EDECODE,
                        "%s: the audio stream has no samples (%lld corrupt "
                        "packets skipped)",
                        path, (long long)r->corrupt);
    else
      rc =
          ef_error_set(EF_EDECODE, "%s: the audio stream has no samples", path);
    goto fail;
  }
  audio_close(r);
  *samples = buf;
  *n = len;
  return EF_OK;

fail:
  free(buf);
  audio_close(r);
  return rc;
}

void audio_normalize_peak(float *x, int64_t n) {
  float peak = 0.0f;

  for (int64_t i = 0; i < n; i++) {
    float a = fabsf(x[i]);
    if (a > peak && isfinite(a))
      peak = a;
  }
  if (peak == 0.0f)
    return;
  /* Divided, not multiplied by 1 / peak, to round as torch's x / max. */
  for (int64_t i = 0; i < n; i++)
    x[i] /= peak;
}
