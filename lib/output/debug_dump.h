/*
 * debug_dump.h - io.debug_mode's pictures: a window's transformed model
 * input as one PNG grid, and a (mel) spectrogram as a greyscale PNG, so a
 * user can see exactly what the model sees.
 *
 * Both encode with FFmpeg's PNG encoder and write through
 * write_file_atomic(), so a PNG under its final name is always complete.
 * The parent folder is created when missing (io.debug_path/<uid>/ is
 * new for every video). Errors return a negative EF_E* code with a
 * message that names the file: EF_EINVAL for bad arguments or an image
 * too large to encode, EF_ENOMEM, EF_EIO when encoding or writing fails.
 */
#ifndef EF_DEBUG_DUMP_H
#define EF_DEBUG_DUMP_H

#include <stdint.h>

/* Grey between tiles and in unused cells at the end of a window grid. */
#define DEBUG_GAP_GREY 64
/* Gap between tiles, in pixels. */
#define DEBUG_GAP_PIXELS 2
/* Widest spectrogram image; wider matrices are averaged down. */
#define DEBUG_MATRIX_MAX_WIDTH 8192
/* Dynamic range of a spectrogram image, in dB below its maximum. */
#define DEBUG_MATRIX_TOP_DB 80.0

/* Height of the band above each labelled tile, holding its frame number
 * in DEBUG_LABEL_VALUE digits (debug_font.h) 2 pixels from the band's
 * top-left corner, on DEBUG_GAP_GREY. */
#define DEBUG_LABEL_PIXELS 14
#define DEBUG_LABEL_VALUE 255
/* Gap between a grid's two sections (SlowFast's slow, then fast). */
#define DEBUG_SECTION_PIXELS 10

/* A window's model input, data [3][T][H][W] normalised floats (RGB), as one
 * RGB PNG grid: frames in reading order, ceil(sqrt(T)) columns and
 * ceil(T / columns) rows, DEBUG_GAP_PIXELS dark grey gaps between tiles
 * (no border). Pixels are (x * std[c] + mean[c]) * 255 rounded to nearest
 * and clamped to 0..255; NaN becomes 0. */
int debug_write_window_png(const char *path, const float *data, int T, int H,
                           int W, const float mean[3], const float std[3]);

/* What debug_write_window_grid adds to that grid. */
typedef struct {
  /* T numbers, one per frame (its frame number in the video), each drawn
   * in a DEBUG_LABEL_PIXELS band above its tile; NULL: no bands. */
  const int64_t *frame_numbers;
  /* Indices into the window's T frames shown first, as a section of
   * their own (SlowFast's slow pathway), with the same columns and
   * labels, then DEBUG_SECTION_PIXELS of grey, then all T frames (the
   * fast pathway). NULL or n_slow 0: one section. */
  const int64_t *slow;
  int n_slow;
} debug_grid;

/* debug_write_window_png with labels and sections (g may be NULL: then
 * the same image). Cells are (band + H) high; a section of k frames has
 * ceil(k / columns) rows. */
int debug_write_window_grid(const char *path, const float *data, int T, int H,
                            int W, const float mean[3], const float std[3],
                            const debug_grid *g);

/* A [rows][cols] non-negative matrix (a mel spectrogram: rows = mel bins)
 * as a greyscale PNG of `rows` lines: 10 * log10(x + 1e-10) stretched
 * linearly from (max - 80 dB) .. max to 0..255, row 0 (the lowest
 * frequency) at the bottom. Negative and NaN values count as 0, +inf as
 * FLT_MAX. Matrices wider than DEBUG_MATRIX_MAX_WIDTH columns are reduced
 * by averaging groups of k = ceil(cols / 8192) adjacent columns (the last
 * group may be shorter), giving ceil(cols / k) <= 8192 columns. */
int debug_write_matrix_png(const char *path, const float *data, int rows,
                           int cols);

#endif
