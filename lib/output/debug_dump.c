/*
 * debug_dump.c - owns io.debug_mode's PNG pictures (see debug_dump.h):
 * laying out a window's frames as a grid, mapping a spectrogram to grey
 * levels, and encoding either with libavcodec's PNG encoder into a file
 * written atomically.
 *
 * Pixels are built straight into the AVFrame that is encoded, so the
 * only copies of an image are that frame and the encoded packet.
 */
#include "output/debug_dump.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/imgutils.h>

#include "output/debug_font.h"
#include "output/write.h"
#include "util/error.h"

/* ---- Encoding and writing ---------------------------------------------- */

/* A w x h frame of the given format with its own buffer. Dimensions are
 * checked with libavutil's own limit, so whatever passes here the PNG
 * encoder accepts too. */
static int png_frame_new(const char *path, int64_t w, int64_t h,
                         enum AVPixelFormat fmt, AVFrame **out) {
  *out = NULL;
  if (w < 1 || h < 1 || w > INT32_MAX || h > INT32_MAX ||
      av_image_check_size((unsigned)w, (unsigned)h, 0, NULL) < 0)
    return ef_error_set(EF_EINVAL,
                        "cannot write %s: a %lldx%lld image is too large "
                        "to encode",
                        path, (long long)w, (long long)h);
  AVFrame *f = av_frame_alloc();
  if (!f)
    return ef_error_set(EF_ENOMEM, "cannot write %s: out of memory", path);
  f->format = fmt;
  f->width = (int)w;
  f->height = (int)h;
  if (av_frame_get_buffer(f, 0) < 0) {
    av_frame_free(&f);
    return ef_error_set(EF_ENOMEM,
                        "cannot write %s: out of memory for a %lldx%lld "
                        "image",
                        path, (long long)w, (long long)h);
  }
  *out = f;
  return EF_OK;
}

/* Checked before anything is made, so a bad name leaves no folder. */
static int check_path(const char *fn, const char *path) {
  if (!path || !*path)
    return ef_error_set(EF_EINVAL, "%s: no path", fn);
  if (path[strlen(path) - 1] == '/')
    return ef_error_set(EF_EINVAL, "%s: the path names a folder, not a file",
                        path);
  return EF_OK;
}

/* Debug files go to io.debug_path/<uid>/, a folder nobody made yet. */
static int make_parent(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash || slash == path)
    return EF_OK;
  char *dir = strndup(path, (size_t)(slash - path));
  if (!dir)
    return ef_error_set(EF_ENOMEM, "cannot write %s: out of memory", path);
  int rc = write_mkdirs(dir);
  free(dir);
  /* write_mkdirs names the folder; the caller wants the file. */
  return rc == EF_OK ? rc : ef_error_prefix(path);
}

/* Encodes one frame as PNG and writes it atomically to path. */
static int png_write(const char *path, const AVFrame *frame) {
  const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
  if (!codec)
    return ef_error_set(
        EF_EIO, "cannot write %s: this FFmpeg has no PNG encoder", path);
  int rc = EF_OK;
  AVCodecContext *cc = avcodec_alloc_context3(codec);
  AVPacket *pkt = av_packet_alloc();
  if (!cc || !pkt) {
    rc = ef_error_set(EF_ENOMEM, "cannot write %s: out of memory", path);
    goto done;
  }
  cc->width = frame->width;
  cc->height = frame->height;
  cc->pix_fmt = frame->format;
  /* Required of every video encoder, meaningless for a single image. */
  cc->time_base = (AVRational){1, 1};
  /* One small image: worker threads would cost more than they save. */
  cc->thread_count = 1;
  int ret = avcodec_open2(cc, codec, NULL);
  if (ret < 0) {
    rc = ef_error_set(EF_EIO, "cannot write %s: opening the PNG encoder: %s",
                      path, av_err2str(ret));
    goto done;
  }
  /* Send the frame, then drain: one frame in, one packet out. */
  ret = avcodec_send_frame(cc, frame);
  if (ret >= 0)
    ret = avcodec_send_frame(cc, NULL);
  if (ret >= 0)
    ret = avcodec_receive_packet(cc, pkt);
  if (ret < 0) {
    rc = ef_error_set(EF_EIO, "cannot write %s: PNG encoding failed: %s", path,
                      av_err2str(ret));
    goto done;
  }
  rc = make_parent(path);
  if (rc == EF_OK)
    rc = write_file_atomic(path, pkt->data, (size_t)pkt->size);
done:
  av_packet_free(&pkt);
  avcodec_free_context(&cc);
  return rc;
}

/* Rounds to nearest and clamps to a byte; NaN (a broken transform) is
 * drawn black rather than being undefined behaviour in the cast. */
static uint8_t to_byte(double v) {
  if (!(v > 0.0))
    return 0;
  if (v >= 255.0)
    return 255;
  return (uint8_t)(v + 0.5);
}

/* ---- Window grid -------------------------------------------------------- */

/* ceil(sqrt(T)) in integers, so perfect squares never round up. */
static int grid_columns(int T) {
  int c = 1;
  while ((int64_t)c * c < T)
    c++;
  return c;
}

/* Height of a section of k frames in cols columns of cells ch high. */
static int64_t section_height(int k, int cols, int ch) {
  int rows = (k + cols - 1) / cols;
  return rows ? (int64_t)rows * (ch + DEBUG_GAP_PIXELS) - DEBUG_GAP_PIXELS : 0;
}

/* Draws frames pick[0..k) (indices into the window; NULL: 0..k-1) as a
 * section whose top is at y_top. */
static void draw_section(AVFrame *f, int64_t y_top, const float *data, int T,
                         int H, int W, const float mean[3], const float std[3],
                         const debug_grid *g, const int64_t *pick, int k,
                         int cols) {
  int band = g && g->frame_numbers ? DEBUG_LABEL_PIXELS : 0;
  size_t plane = (size_t)H * (size_t)W;
  size_t chan = (size_t)T * plane;
  for (int j = 0; j < k; j++) {
    int64_t t = pick ? pick[j] : j;
    size_t y0 = (size_t)y_top +
                (size_t)(j / cols) * (size_t)(band + H + DEBUG_GAP_PIXELS);
    size_t x0 = (size_t)(j % cols) * (size_t)(W + DEBUG_GAP_PIXELS);
    if (band) {
      char text[24];
      snprintf(text, sizeof text, "%lld", (long long)g->frame_numbers[t]);
      debug_font_draw(f->data[0], f->linesize[0], (int)x0 + 2, (int)y0 + 2,
                      W - 2, text, DEBUG_LABEL_VALUE);
    }
    for (int y = 0; y < H; y++) {
      uint8_t *dst = f->data[0] +
                     (y0 + (size_t)band + (size_t)y) * (size_t)f->linesize[0] +
                     x0 * 3;
      const float *src = data + (size_t)t * plane + (size_t)y * (size_t)W;
      for (int x = 0; x < W; x++)
        for (int c = 0; c < 3; c++)
          dst[3 * x + c] = to_byte(
              ((double)src[(size_t)c * chan + (size_t)x] * std[c] + mean[c]) *
              255.0);
    }
  }
}

int debug_write_window_grid(const char *path, const float *data, int T, int H,
                            int W, const float mean[3], const float std[3],
                            const debug_grid *g) {
  int rc = check_path("debug_write_window_png", path);
  if (rc != EF_OK)
    return rc;
  if (!data || !mean || !std)
    return ef_error_set(EF_EINVAL, "cannot write %s: no data", path);
  if (T < 1 || H < 1 || W < 1)
    return ef_error_set(EF_EINVAL,
                        "cannot write %s: empty window (T=%d H=%d W=%d)", path,
                        T, H, W);
  int n_slow = g && g->slow ? g->n_slow : 0;
  for (int j = 0; j < n_slow; j++)
    if (g->slow[j] < 0 || g->slow[j] >= T)
      return ef_error_set(EF_EINVAL,
                          "cannot write %s: slow frame %lld is not in the "
                          "window's %d",
                          path, (long long)g->slow[j], T);

  int cols = grid_columns(T);
  int ch = H + (g && g->frame_numbers ? DEBUG_LABEL_PIXELS : 0);
  int64_t gw = (int64_t)cols * (W + DEBUG_GAP_PIXELS) - DEBUG_GAP_PIXELS;
  int64_t slow_h = n_slow ? section_height(n_slow, cols, ch) : 0;
  int64_t top = n_slow ? slow_h + DEBUG_SECTION_PIXELS : 0;
  int64_t gh = top + section_height(T, cols, ch);
  AVFrame *f;
  rc = png_frame_new(path, gw, gh, AV_PIX_FMT_RGB24, &f);
  if (rc != EF_OK)
    return rc;

  /* Gaps, bands and unused cells: fill everything, then draw over. */
  for (int y = 0; y < f->height; y++)
    memset(f->data[0] + (size_t)y * (size_t)f->linesize[0], DEBUG_GAP_GREY,
           (size_t)f->width * 3);
  if (n_slow)
    draw_section(f, 0, data, T, H, W, mean, std, g, g->slow, n_slow, cols);
  draw_section(f, top, data, T, H, W, mean, std, g, NULL, T, cols);

  rc = png_write(path, f);
  av_frame_free(&f);
  return rc;
}

int debug_write_window_png(const char *path, const float *data, int T, int H,
                           int W, const float mean[3], const float std[3]) {
  return debug_write_window_grid(path, data, T, H, W, mean, std, NULL);
}

/* ---- Matrix (spectrogram) ----------------------------------------------- */

/* Spectrogram powers are >= 0 by construction; anything else is a bug
 * upstream that should still give a picture, not NaN grey levels. */
static double clean_power(float v) {
  if (!(v >= 0.0f))
    return 0.0;
  if (isinf(v))
    return FLT_MAX;
  return v;
}

int debug_write_matrix_png(const char *path, const float *data, int rows,
                           int cols) {
  int rc = check_path("debug_write_matrix_png", path);
  if (rc != EF_OK)
    return rc;
  if (!data)
    return ef_error_set(EF_EINVAL, "cannot write %s: no data", path);
  if (rows < 1 || cols < 1)
    return ef_error_set(EF_EINVAL,
                        "cannot write %s: empty matrix (%d rows, %d columns)",
                        path, rows, cols);

  /* Averaging (not picking) columns keeps short events visible. */
  int k = cols > DEBUG_MATRIX_MAX_WIDTH
              ? (cols + DEBUG_MATRIX_MAX_WIDTH - 1) / DEBUG_MATRIX_MAX_WIDTH
              : 1;
  int ow = (cols + k - 1) / k;
  AVFrame *f;
  rc = png_frame_new(path, ow, rows, AV_PIX_FMT_GRAY8, &f);
  if (rc != EF_OK)
    return rc;
  double *db = malloc((size_t)rows * (size_t)ow * sizeof *db);
  if (!db) {
    av_frame_free(&f);
    return ef_error_set(EF_ENOMEM, "cannot write %s: out of memory", path);
  }

  /* The range is relative to the maximum, so all of it is needed before
   * any pixel: first pass to dB, second to grey levels. */
  double top = -HUGE_VAL;
  for (int r = 0; r < rows; r++) {
    const float *src = data + (size_t)r * (size_t)cols;
    for (int o = 0; o < ow; o++) {
      int c0 = o * k, c1 = c0 + k < cols ? c0 + k : cols;
      double sum = 0.0;
      for (int c = c0; c < c1; c++)
        sum += clean_power(src[c]);
      double v = 10.0 * log10(sum / (c1 - c0) + 1e-10);
      db[(size_t)r * (size_t)ow + (size_t)o] = v;
      if (v > top)
        top = v;
    }
  }
  double floor_db = top - DEBUG_MATRIX_TOP_DB;
  for (int r = 0; r < rows; r++) {
    /* Image line 0 is the top; low frequencies belong at the bottom. */
    uint8_t *dst = f->data[0] + (size_t)(rows - 1 - r) * (size_t)f->linesize[0];
    const double *src = db + (size_t)r * (size_t)ow;
    for (int o = 0; o < ow; o++)
      dst[o] = to_byte((src[o] - floor_db) / DEBUG_MATRIX_TOP_DB * 255.0);
  }
  free(db);

  rc = png_write(path, f);
  av_frame_free(&f);
  return rc;
}
