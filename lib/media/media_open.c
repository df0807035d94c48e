/*
 * media_open.c - one stream of a media file, ready to decode (see
 * media_open.h).
 */
#include "media/media_open.h"

#include <stdio.h>
#include <string.h>

#include "media/probe.h"
#include "util/error.h"

static const char *kind(enum AVMediaType type) {
  return type == AVMEDIA_TYPE_AUDIO ? "audio" : "video";
}

static int av_fail(const char *path, const char *what, int averr) {
  char msg[AV_ERROR_MAX_STRING_SIZE];
  av_strerror(averr, msg, sizeof msg);
  return ef_error_set(EF_EDECODE, "%s: %s (%s)", path, what, msg);
}

/* The chosen stream and its decoder: EF_ENOSTREAM when the file has none
 * of this type, EF_EDECODE when FFmpeg has no decoder for it. */
static int find_stream(const char *path, enum AVMediaType type,
                       media_input *in) {
  int idx = av_find_best_stream(in->fmt, type, -1, -1, &in->codec, 0);
  /* Cover art is a "video" stream of one picture; it is not a video. */
  if (idx == AVERROR_STREAM_NOT_FOUND ||
      (idx >= 0 && type == AVMEDIA_TYPE_VIDEO &&
       (in->fmt->streams[idx]->disposition & AV_DISPOSITION_ATTACHED_PIC)))
    return ef_error_set(EF_ENOSTREAM, "%s: no %s stream", path, kind(type));
  if (idx < 0 || !in->codec)
    return ef_error_set(
        EF_EDECODE, "%s: no decoder for the %s stream (%s)", path, kind(type),
        avcodec_get_name(idx >= 0 ? in->fmt->streams[idx]->codecpar->codec_id
                                  : AV_CODEC_ID_NONE));
  in->st = in->fmt->streams[idx];
  /* Only the chosen stream's packets are read; the demuxer skips the rest
   * instead of handing them over to be dropped. */
  for (unsigned i = 0; i < in->fmt->nb_streams; i++)
    if ((int)i != idx)
      in->fmt->streams[i]->discard = AVDISCARD_ALL;
  return EF_OK;
}

int media_open(const char *path, enum AVMediaType type, media_input *in) {
  memset(in, 0, sizeof *in);
  int rc = probe_open(path, &in->fmt);
  if (rc == EF_OK)
    rc = find_stream(path, type, in);
  if (rc == EF_OK && !(in->cc = avcodec_alloc_context3(in->codec)))
    rc = ef_error_set(EF_ENOMEM, "%s: out of memory", path);
  if (rc == EF_OK) {
    int averr = avcodec_parameters_to_context(in->cc, in->st->codecpar);
    if (averr < 0)
      rc = av_fail(path,
                   type == AVMEDIA_TYPE_AUDIO ? "bad audio codec parameters"
                                              : "bad codec parameters",
                   averr);
  }
  if (rc != EF_OK) {
    media_close(in);
    return rc;
  }
  in->cc->pkt_timebase = in->st->time_base;
  return EF_OK;
}

int media_open_codec(const char *path, media_input *in) {
  int averr = avcodec_open2(in->cc, in->codec, NULL);
  if (averr < 0) {
    char what[64];
    snprintf(what, sizeof what, "cannot open the %s decoder",
             kind(in->codec->type));
    return av_fail(path, what, averr);
  }
  return EF_OK;
}

void media_close(media_input *in) {
  avcodec_free_context(&in->cc);
  avformat_close_input(&in->fmt);
  in->st = NULL;
  in->codec = NULL;
}
