/*
 * test_decode_hw.c - the NVDEC path of the decoder: the semi-planar to
 * planar layout change is lossless for NV12 and P010 (so libswscale sees
 * the frame the CPU decoder would give), other pairs are refused, and a
 * decoder asked for CUDA returns exactly the CPU decoder's RGB frames:
 * through NVDEC on a machine with a GPU, through the CPU fallback here.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>

#include "media/decode.h"
#include "media/decode_hw.h"
#include "testutil.h"
#include "util/error.h"

static char *dir;

static AVFrame *planar_frame(enum AVPixelFormat fmt, int w, int h,
                             unsigned seed) {
  AVFrame *f = av_frame_alloc();
  f->format = fmt;
  f->width = w;
  f->height = h;
  ck_assert_int_eq(av_frame_get_buffer(f, 0), 0);
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
  const int bps = d->comp[0].depth > 8 ? 2 : 1, max = (1 << d->comp[0].depth);
  for (int p = 0; p < 3; p++) {
    int pw = p ? AV_CEIL_RSHIFT(w, d->log2_chroma_w) : w;
    int ph = p ? AV_CEIL_RSHIFT(h, d->log2_chroma_h) : h;
    for (int y = 0; y < ph; y++)
      for (int x = 0; x < pw; x++) {
        seed = seed * 1103515245u + 12345u;
        uint16_t v = (uint16_t)((seed >> 8) % (unsigned)max);
        uint8_t *dst = f->data[p] + (size_t)y * (size_t)f->linesize[p];
        if (bps == 1)
          dst[x] = (uint8_t)v;
        else
          memcpy(dst + 2 * x, &v, 2);
      }
  }
  f->pts = 1234;
  return f;
}

/* What NVDEC hands back for a planar frame: chroma interleaved (U then
 * V), samples moved up to the high bits by `shift`. Written here sample by
 * sample, independently of the code under test. */
static AVFrame *to_semi(const AVFrame *src, enum AVPixelFormat semi,
                        int shift) {
  AVFrame *f = av_frame_alloc();
  f->format = semi;
  f->width = src->width;
  f->height = src->height;
  ck_assert_int_eq(av_frame_get_buffer(f, 0), 0);
  f->pts = src->pts;
  const int bps = shift > 0 || semi == AV_PIX_FMT_P016LE ? 2 : 1;
  const int cw = (src->width + 1) / 2, ch = (src->height + 1) / 2;
  for (int y = 0; y < src->height; y++)
    for (int x = 0; x < src->width; x++) {
      uint16_t v = 0;
      memcpy(&v, src->data[0] + (size_t)y * (size_t)src->linesize[0] + bps * x,
             (size_t)bps);
      v = (uint16_t)(v << shift);
      memcpy(f->data[0] + (size_t)y * (size_t)f->linesize[0] + bps * x, &v,
             (size_t)bps);
    }
  for (int y = 0; y < ch; y++)
    for (int x = 0; x < cw; x++)
      for (int c = 0; c < 2; c++) {
        uint16_t v = 0;
        memcpy(&v,
               src->data[1 + c] + (size_t)y * (size_t)src->linesize[1 + c] +
                   bps * x,
               (size_t)bps);
        v = (uint16_t)(v << shift);
        memcpy(f->data[1] + (size_t)y * (size_t)f->linesize[1] +
                   (size_t)bps * (size_t)(2 * x + c),
               &v, (size_t)bps);
      }
  return f;
}

static void assert_same_planes(const AVFrame *a, const AVFrame *b) {
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(a->format);
  const int bps = d->comp[0].depth > 8 ? 2 : 1;
  ck_assert_int_eq(a->format, b->format);
  ck_assert_int_eq(a->width, b->width);
  ck_assert_int_eq(a->height, b->height);
  for (int p = 0; p < 3; p++) {
    int pw = p ? AV_CEIL_RSHIFT(a->width, d->log2_chroma_w) : a->width;
    int ph = p ? AV_CEIL_RSHIFT(a->height, d->log2_chroma_h) : a->height;
    for (int y = 0; y < ph; y++)
      ck_assert_msg(memcmp(a->data[p] + (size_t)y * (size_t)a->linesize[p],
                           b->data[p] + (size_t)y * (size_t)b->linesize[p],
                           (size_t)(pw * bps)) == 0,
                    "plane %d row %d differs", p, y);
  }
}

START_TEST(test_nv12_and_p010_are_lossless) {
  /* Odd sizes: the chroma planes round up. */
  struct {
    enum AVPixelFormat planar, semi;
    int shift;
  } cases[] = {{AV_PIX_FMT_YUV420P, AV_PIX_FMT_NV12, 0},
               {AV_PIX_FMT_YUV420P10LE, AV_PIX_FMT_P010LE, 6},
               {AV_PIX_FMT_YUV420P12LE, AV_PIX_FMT_P016LE, 4}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    AVFrame *orig = planar_frame(cases[i].planar, 33, 17, 7u + (unsigned)i);
    AVFrame *semi = to_semi(orig, cases[i].semi, cases[i].shift);
    AVFrame *back = av_frame_alloc();
    ck_assert_int_eq(decode_hw_to_planar(semi, cases[i].planar, back), 0);
    assert_same_planes(orig, back);
    ck_assert_int_eq(back->pts, 1234); /* properties copied */
    av_frame_free(&back);
    av_frame_free(&semi);
    av_frame_free(&orig);
  }
}
END_TEST

START_TEST(test_other_layouts_are_refused) {
  AVFrame *orig = planar_frame(AV_PIX_FMT_YUV420P, 16, 16, 3);
  AVFrame *semi = to_semi(orig, AV_PIX_FMT_NV12, 0);
  AVFrame *out = av_frame_alloc();
  /* Other subsampling, other bit depth, and a planar source. */
  ck_assert_int_eq(decode_hw_to_planar(semi, AV_PIX_FMT_YUV444P, out),
                   AVERROR(ENOSYS));
  ck_assert_int_eq(decode_hw_to_planar(semi, AV_PIX_FMT_YUV420P10LE, out),
                   AVERROR(ENOSYS));
  ck_assert_int_eq(decode_hw_to_planar(orig, AV_PIX_FMT_YUV420P, out),
                   AVERROR(ENOSYS));
  /* A software frame needs no download and is left alone. */
  AVFrame *tmp = av_frame_alloc();
  ck_assert_int_eq(decode_hw_download(orig, tmp, AV_PIX_FMT_YUV420P), 0);
  ck_assert_int_eq(orig->format, AV_PIX_FMT_YUV420P);
  av_frame_free(&tmp);
  av_frame_free(&out);
  av_frame_free(&semi);
  av_frame_free(&orig);
}
END_TEST

/* Every sampled frame of a decoder asked for CUDA equals the CPU
 * decoder's, byte for byte, for 8-bit and 10-bit H.264. */
START_TEST(test_cuda_request_gives_the_cpu_frames) {
  static const char *const clips[][2] = {
      {"h264.mp4", "-f lavfi -i testsrc2=r=30:s=96x64 -t 1 -c:v libx264 "
                   "-pix_fmt yuv420p -g 10"},
      {"h264_10.mp4", "-f lavfi -i testsrc2=r=25:s=80x48 -t 1 -c:v libx264 "
                      "-pix_fmt yuv420p10le"}};
  for (size_t i = 0; i < 2; i++) {
    char *path = tu_ffmpeg(dir, clips[i][0], clips[i][1]);
    ck_assert_ptr_nonnull(path);
    decoder *cpu = NULL, *hw = NULL;
    ck_assert_int_eq(decoder_open(path, 30, 1, 1, &cpu), EF_OK);
    ck_assert_int_eq(decoder_open_hw(path, 30, 1, 1, DECODE_HW_CUDA, 0, &hw),
                     EF_OK);
    ck_assert_int_eq(decoder_uses_hw(cpu), 0);
    int frames = 0;
    for (;;) {
      sampled_frame a, b;
      int ra = decoder_next(cpu, &a), rb = decoder_next(hw, &b);
      ck_assert_int_eq(ra, rb);
      if (ra != 1)
        break;
      ck_assert_int_eq(a.width, b.width);
      ck_assert_int_eq(a.height, b.height);
      ck_assert_int_eq(a.index, b.index);
      for (int y = 0; y < a.height; y++)
        ck_assert_msg(memcmp(a.rgb + (size_t)y * (size_t)a.linesize,
                             b.rgb + (size_t)y * (size_t)b.linesize,
                             (size_t)a.width * 3) == 0,
                      "%s: frame %lld row %d differs (NVDEC %s)", clips[i][0],
                      (long long)a.index, y,
                      decoder_uses_hw(hw) ? "on" : "off");
      frames++;
    }
    ck_assert_int_eq(frames, 30);
    decoder_close(cpu);
    decoder_close(hw);
    free(path);
  }
}
END_TEST

int main(void) {
  dir = tu_tmpdir();
  if (!dir)
    return EXIT_FAILURE;
  Suite *s = suite_create("decode_hw");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_nv12_and_p010_are_lossless);
  tcase_add_test(tc, test_other_layouts_are_refused);
  tcase_add_test(tc, test_cuda_request_gives_the_cpu_frames);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  tu_rmrf(dir);
  free(dir);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
