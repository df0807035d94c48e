/*
 * decode.h - decodes a video stream and samples it at a target frame rate.
 *
 * Frame k of the output is the last source frame whose presentation time
 * (from the stream's start time, exact rational arithmetic) is <= k / fps
 * (the first frame if it starts later), for k = 0, 1, ... while k / fps <
 * the stream's duration. With a 30 fps source and fps 30 that is every
 * frame; 25, 29.97, 60 fps and variable-rate files are resampled instead
 * of rejected. Frames are converted to RGB24 the way PyAV's
 * to_ndarray(format='rgb24') does (libswscale, SWS_BILINEAR, default
 * colourspace), only when sampled, into one reused buffer: besides the
 * codec's own frames, one decoded frame and that buffer are all that is
 * held, whatever the video's length.
 */
#ifndef EF_DECODE_H
#define EF_DECODE_H

#include <stdint.h>

#include "media/decode_hw.h"

typedef struct {
  const uint8_t *rgb; /* packed RGB24; valid until the next decoder call */
  int linesize;       /* bytes between rows: 3 * width rounded up to 16 */
  int width, height;
  int64_t index; /* k, the sampled frame number */
  int repeat;    /* 1 if the same source frame as sample index - 1 */
  double pts;    /* the source frame's time in seconds from the start */
} sampled_frame;

typedef struct decoder decoder;

/* threads: decoder threads (0 = automatic). Errors name the file. The
 * first frame is decoded here, so a file without any decodable frame
 * fails at open (EF_ENOTFOUND, EF_ENOSTREAM or EF_EDECODE). */
int decoder_open(const char *path, int64_t fps_num, int64_t fps_den,
                 int threads, decoder **out);
/* The same with hardware decoding asked for (DECODE_HW_CUDA on CUDA
 * device hw_device). Where NVDEC is missing, cannot take the stream or
 * fails on its first frame, the file is decoded on the CPU (said once on
 * stderr): the frames are the same either way. */
int decoder_open_hw(const char *path, int64_t fps_num, int64_t fps_den,
                    int threads, decode_hw hw, int hw_device, decoder **out);
/* 1 if NVDEC decodes this file. */
int decoder_uses_hw(const decoder *d);
/* Lazy mode (set before the first decoder_next): sampled frames come with
 * rgb NULL, and only those passed to decoder_rgb() are converted. A caller
 * that uses one frame in five skips four conversions. */
void decoder_set_lazy(decoder *d, int lazy);
/* Converts the frame decoder_next() returned last (also after it returned
 * 0, for the last frame) and fills f->rgb and f->linesize. Converting a
 * frame twice costs nothing: the result is kept. */
int decoder_rgb(decoder *d, sampled_frame *f);
/* 1 with *out filled, 0 at the end, negative on error (message names the
 * file and the frame). */
int decoder_next(decoder *d, sampled_frame *out);
/* Duration in seconds that bounds the sampling (stream, else container).
 * When neither says, it is the end of the last frame, known only once
 * decoder_next() has returned 0; until then 0. A truncated file's bound
 * shrinks to where its last frame ends. */
double decoder_duration(const decoder *d);
void decoder_close(decoder *d);

#endif
