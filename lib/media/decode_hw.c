/*
 * decode_hw.c - NVDEC through FFmpeg's hwaccel API, and the lossless
 * semi-planar to planar layout change (see decode_hw.h).
 */
#include "media/decode_hw.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/hwcontext.h>
#include <libavutil/pixdesc.h>

/* Asks for CUDA frames when the decoder offers them; otherwise the first
 * (software) format, so a stream NVDEC cannot take still decodes. */
static enum AVPixelFormat pick_cuda(AVCodecContext *cc,
                                    const enum AVPixelFormat *fmts) {
  (void)cc;
  for (const enum AVPixelFormat *p = fmts; *p != AV_PIX_FMT_NONE; p++)
    if (*p == AV_PIX_FMT_CUDA)
      return *p;
  return fmts[0];
}

int decode_hw_attach(AVCodecContext *cc, const AVCodec *codec, int device_index,
                     char *why, size_t whylen) {
  int has_cuda = 0;
  for (int i = 0;; i++) {
    const AVCodecHWConfig *hc = avcodec_get_hw_config(codec, i);
    if (!hc)
      break;
    if (hc->device_type == AV_HWDEVICE_TYPE_CUDA &&
        (hc->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX))
      has_cuda = 1;
  }
  if (!has_cuda) {
    snprintf(why, whylen, "FFmpeg has no NVDEC decoder for %s", codec->name);
    return AVERROR(ENOSYS);
  }
  /* FFmpeg loads the CUDA driver itself, logging its own complaint when
   * there is none (every machine without a GPU); ask first. */
  void *driver = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
  if (!driver) {
    snprintf(why, whylen, "no CUDA driver (libcuda.so.1)");
    return AVERROR(ENOSYS);
  }
  dlclose(driver);
  char dev[16];
  snprintf(dev, sizeof dev, "%d", device_index);
  /* The primary context is the one libtorch uses: one context per GPU,
   * not two. */
  AVDictionary *opts = NULL;
  av_dict_set(&opts, "primary_ctx", "1", 0);
  AVBufferRef *device = NULL;
  int rc = av_hwdevice_ctx_create(&device, AV_HWDEVICE_TYPE_CUDA, dev, opts, 0);
  av_dict_free(&opts);
  if (rc < 0) {
    char msg[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(rc, msg, sizeof msg);
    snprintf(why, whylen, "cannot open CUDA device %d for decoding (%s)",
             device_index, msg);
    return rc;
  }
  cc->hw_device_ctx = device; /* cc owns the reference now */
  cc->get_format = pick_cuda;
  return 0;
}

/* Copies one plane of w x h samples (bytes per sample bps) from the
 * interleaved src, taking every `step`-th sample from `first`, shifted
 * right by `shift` bits. */
static void deinterleave(const uint8_t *src, int src_ls, uint8_t *dst,
                         int dst_ls, int w, int h, int bps, int step, int first,
                         int shift) {
  for (int y = 0; y < h; y++) {
    const uint8_t *s = src + (size_t)y * (size_t)src_ls;
    uint8_t *d = dst + (size_t)y * (size_t)dst_ls;
    if (bps == 1) {
      for (int x = 0; x < w; x++)
        d[x] = s[x * step + first];
    } else {
      for (int x = 0; x < w; x++) {
        uint16_t v;
        memcpy(&v, s + 2 * (size_t)(x * step + first), 2);
        v = (uint16_t)(v >> shift);
        memcpy(d + 2 * (size_t)x, &v, 2);
      }
    }
  }
}

int decode_hw_to_planar(const AVFrame *semi, enum AVPixelFormat planar,
                        AVFrame *out) {
  const AVPixFmtDescriptor *sd = av_pix_fmt_desc_get(semi->format);
  const AVPixFmtDescriptor *pd = av_pix_fmt_desc_get(planar);
  /* Semi-planar: two planes, chroma interleaved in the second. Planar:
   * three planes, the same subsampling, samples of the same width. */
  if (!sd || !pd || sd->nb_components != 3 || pd->nb_components != 3 ||
      sd->comp[1].plane != 1 || sd->comp[2].plane != 1 ||
      pd->comp[1].plane != 1 || pd->comp[2].plane != 2 ||
      (sd->flags & AV_PIX_FMT_FLAG_BE) || (pd->flags & AV_PIX_FMT_FLAG_BE) ||
      sd->log2_chroma_w != pd->log2_chroma_w ||
      sd->log2_chroma_h != pd->log2_chroma_h ||
      sd->comp[0].step != (sd->comp[0].depth > 8 ? 2 : 1) ||
      (sd->comp[0].depth > 8) != (pd->comp[0].depth > 8) ||
      sd->comp[0].depth + sd->comp[0].shift <
          pd->comp[0].depth + pd->comp[0].shift)
    return AVERROR(ENOSYS);
  const int bps = sd->comp[0].depth > 8 ? 2 : 1;
  /* NVDEC's samples sit in the high bits (P010: 10 of 16; P016 holds 12-bit
   * video the same way); the planar formats keep them in the low bits. */
  const int shift = (sd->comp[0].depth + sd->comp[0].shift) -
                    (pd->comp[0].depth + pd->comp[0].shift);
  av_frame_unref(out);
  out->format = planar;
  out->width = semi->width;
  out->height = semi->height;
  int rc = av_frame_get_buffer(out, 0);
  if (rc < 0)
    return rc;
  rc = av_frame_copy_props(out, semi);
  if (rc < 0)
    return rc;
  const int cw = AV_CEIL_RSHIFT(semi->width, sd->log2_chroma_w);
  const int ch = AV_CEIL_RSHIFT(semi->height, sd->log2_chroma_h);
  deinterleave(semi->data[0], semi->linesize[0], out->data[0], out->linesize[0],
               semi->width, semi->height, bps, 1, 0, shift);
  for (int c = 1; c <= 2; c++)
    deinterleave(semi->data[1], semi->linesize[1], out->data[c],
                 out->linesize[c], cw, ch, bps, 2, sd->comp[c].offset / bps,
                 shift);
  return 0;
}

int decode_hw_download(AVFrame *f, AVFrame *tmp, enum AVPixelFormat sw_format) {
  if (f->format != AV_PIX_FMT_CUDA)
    return 0;
  av_frame_unref(tmp);
  int rc = av_hwframe_transfer_data(tmp, f, 0);
  if (rc < 0)
    return rc;
  rc = av_frame_copy_props(tmp, f);
  if (rc < 0)
    return rc;
  av_frame_unref(f);
  if (tmp->format == sw_format) {
    av_frame_move_ref(f, tmp);
    return 0;
  }
  rc = decode_hw_to_planar(tmp, sw_format, f);
  av_frame_unref(tmp);
  return rc;
}
