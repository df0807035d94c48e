/*
 * decode_hw.h - FFmpeg's CUDA (NVDEC) hardware decoding for decode.c, with
 * frames brought back to the CPU in the exact layout the software decoder
 * gives, so the RGB conversion after it (and every feature) is the same
 * whichever decoder ran.
 *
 * NVDEC returns semi-planar frames (NV12, P010, P016: chroma interleaved,
 * samples in the high bits); the software decoder returns planar ones
 * (yuv420p, yuv420p10le, ...). Both decoders are bit-exact for H.264 and
 * HEVC, so de-interleaving and shifting the samples is lossless and
 * libswscale then sees the very frame the CPU would have produced.
 */
#ifndef EF_DECODE_HW_H
#define EF_DECODE_HW_H

#include <stddef.h>

#include <libavcodec/avcodec.h>

typedef enum {
  DECODE_HW_NONE = 0, /* libavcodec on the CPU */
  DECODE_HW_CUDA = 1  /* NVDEC, falling back to the CPU where it cannot */
} decode_hw;

/* Attaches CUDA device `device_index` to cc (before avcodec_open2) when
 * the codec has an NVDEC configuration and a CUDA device opens. 0 when
 * attached; otherwise negative with the reason in why, cc untouched. */
int decode_hw_attach(AVCodecContext *cc, const AVCodec *codec, int device_index,
                     char *why, size_t whylen);
/* A frame that came back from the GPU (format AV_PIX_FMT_CUDA) is
 * downloaded and laid out as the software decoder's `sw_format`, in place
 * of f; tmp is scratch. Any other frame is left as it is. 0, or a negative
 * AVERROR (AVERROR(ENOSYS) for a layout it cannot convert). */
int decode_hw_download(AVFrame *f, AVFrame *tmp, enum AVPixelFormat sw_format);
/* The lossless layout change on its own: a semi-planar frame (NV12, P010,
 * P016) into a new planar frame of `planar` format in out (allocated
 * here, properties copied). AVERROR(ENOSYS) for any other pair. */
int decode_hw_to_planar(const AVFrame *semi, enum AVPixelFormat planar,
                        AVFrame *out);

#endif
