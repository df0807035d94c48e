/*
 * media_open.h - opening one stream of a media file for decoding, done the
 * same way for video (decode.c) and audio (audio_decode.c): the file is
 * checked and its headers read (probe_open), the best stream of the type
 * chosen (cover art is no video), the other streams discarded at the
 * demuxer, and a decoder context made from the stream's parameters. The
 * caller then sets its threads or hardware and calls media_open_codec().
 * Every message names the file.
 */
#ifndef EF_MEDIA_OPEN_H
#define EF_MEDIA_OPEN_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

typedef struct {
  AVFormatContext *fmt;
  AVStream *st; /* the chosen stream, owned by fmt */
  const AVCodec *codec;
  AVCodecContext *cc; /* parameters and time base set, not yet opened */
} media_input;

/* EF_OK with *in filled, or EF_ENOTFOUND / EF_EDECODE / EF_ENOSTREAM
 * ("<path>: no video stream") / EF_ENOMEM, with *in all NULL. */
int media_open(const char *path, enum AVMediaType type, media_input *in);
/* avcodec_open2 on in->cc: EF_OK, or EF_EDECODE "cannot open the video
 * decoder" (or audio). */
int media_open_codec(const char *path, media_input *in);
/* Frees what media_open made; safe on a zeroed or closed input. */
void media_close(media_input *in);

#endif
