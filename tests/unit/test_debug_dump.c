/*
 * test_debug_dump.c - io.debug_mode's PNG pictures (debug_dump.h). The
 * reader of record is PyAV, the decoder users look at them with, so every
 * image is decoded by it in Python and checked pixel for pixel against
 * values computed here (windows) or by numpy (spectrograms). C core only:
 * this runs under ASan/UBSan.
 */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/debug_dump.h"
#include "testutil.h"
#include "util/error.h"

static const float imagenet_mean[3] = {0.485f, 0.456f, 0.406f};
static const float imagenet_std[3] = {0.229f, 0.224f, 0.225f};

/* Decodes window grids and compares every tile with the expected bytes
 * [3][T][H][W] and everything else with the gap grey. The layout is
 * recomputed from the documented rule, not taken from the C code.
 * argv: GAP GREY, then png raw T H W for each image. */
static const char *window_py =
    "import sys, math, av, numpy as np\n"
    "GAP, GREY = int(sys.argv[1]), int(sys.argv[2])\n"
    "def check(path, raw, T, H, W):\n"
    "    with av.open(path) as c:\n"
    "        name = c.streams.video[0].codec_context.name\n"
    "        frames = list(c.decode(video=0))\n"
    "    assert name == 'png', name\n"
    "    assert len(frames) == 1, len(frames)\n"
    "    assert frames[0].format.name == 'rgb24', frames[0].format.name\n"
    "    img = frames[0].to_ndarray(format='rgb24')\n"
    "    cols = math.isqrt(T - 1) + 1\n"
    "    assert (cols - 1) ** 2 < T <= cols ** 2\n"
    "    rows = -(-T // cols)\n"
    "    shape = (rows * H + (rows - 1) * GAP,\n"
    "             cols * W + (cols - 1) * GAP, 3)\n"
    "    assert img.shape == shape, (img.shape, shape)\n"
    "    want = np.fromfile(raw, np.uint8).reshape(3, T, H, W)\n"
    "    covered = np.zeros(img.shape[:2], bool)\n"
    "    for t in range(T):\n"
    "        y0, x0 = (t // cols) * (H + GAP), (t % cols) * (W + GAP)\n"
    "        tile = img[y0:y0 + H, x0:x0 + W]\n"
    "        exp = want[:, t].transpose(1, 2, 0)\n"
    "        if not np.array_equal(tile, exp):\n"
    "            y, x = np.argwhere((tile != exp).any(axis=2))[0]\n"
    "            raise AssertionError(f'frame {t} pixel {y},{x}: '\n"
    "                                 f'{tile[y, x]} != {exp[y, x]}')\n"
    "        covered[y0:y0 + H, x0:x0 + W] = True\n"
    "    assert (img[~covered] == GREY).all(), 'gap colour'\n"
    "a = sys.argv[3:]\n"
    "for i in range(0, len(a), 5):\n"
    "    try:\n"
    "        check(a[i], a[i + 1], *(int(v) for v in a[i + 2:i + 5]))\n"
    "    except Exception as e:\n"
    "        sys.exit(f'{a[i]}: {e!r}')\n";

/* Decodes spectrogram PNGs and compares each with numpy's rendering of the
 * documented mapping (to within one grey level, for libm differences at a
 * rounding boundary). Then the brightest pixel must be exactly where the
 * maximum is: row mrow counted from the bottom, column mcol of the matrix
 * (mrow < 0: a constant matrix, all of it at the maximum).
 * argv: png raw rows cols mrow mcol for each image. */
static const char *matrix_py =
    "import sys, av, numpy as np\n"
    "def check(path, raw, rows, cols, mrow, mcol):\n"
    "    with av.open(path) as c:\n"
    "        name = c.streams.video[0].codec_context.name\n"
    "        frames = list(c.decode(video=0))\n"
    "    assert name == 'png', name\n"
    "    assert len(frames) == 1, len(frames)\n"
    "    assert frames[0].format.name == 'gray', frames[0].format.name\n"
    "    img = frames[0].to_ndarray()\n"
    "    rgb = frames[0].to_ndarray(format='rgb24')\n"
    "    assert (rgb == img[..., None]).all()\n"
    "    x = np.fromfile(raw, '<f4').reshape(rows, cols).astype(np.float64)\n"
    "    x = np.where(np.isnan(x) | (x < 0), 0.0, x)\n"
    "    x = np.minimum(x, np.finfo(np.float32).max)\n"
    "    k = -(-cols // 8192)\n"
    "    ow = -(-cols // k)\n"
    "    assert ow <= 8192\n"
    "    assert img.shape == (rows, ow), (img.shape, rows, ow)\n"
    "    m = np.stack([x[:, i * k:(i + 1) * k].mean(axis=1)\n"
    "                  for i in range(ow)], axis=1)\n"
    "    db = 10 * np.log10(m + 1e-10)\n"
    "    g = (db - (db.max() - 80)) / 80 * 255 + 0.5\n"
    "    exp = np.clip(np.floor(g), 0, 255).astype(np.int64)[::-1]\n"
    "    diff = np.abs(img.astype(np.int64) - exp)\n"
    "    assert diff.max() <= 1, (diff.max(), np.argwhere(diff > 1)[:5])\n"
    "    hot = np.argwhere(img == 255).tolist()\n"
    "    if mrow < 0:\n"
    "        assert (img == 255).all(), img\n"
    "    else:\n"
    "        assert hot == [[rows - 1 - mrow, mcol // k]], hot\n"
    "a = sys.argv[1:]\n"
    "for i in range(0, len(a), 6):\n"
    "    try:\n"
    "        check(a[i], a[i + 1], *(int(v) for v in a[i + 2:i + 6]))\n"
    "    except Exception as e:\n"
    "        sys.exit(f'{a[i]}: {e!r}')\n";

static char *tmp;

/* Python checks are batched, one interpreter per test rather than per
 * image: starting one with av and numpy takes about a second. */
static char batch[16384];
static size_t batch_len;

static void setup(void) {
  tmp = tu_tmpdir();
  ck_assert_ptr_nonnull(tmp);
  batch_len = 0;
  batch[0] = '\0';
}

static void teardown(void) {
  tu_rmrf(tmp);
  free(tmp);
  tmp = NULL;
}

static void batch_add(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static void batch_add(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(batch + batch_len, sizeof batch - batch_len, fmt, ap);
  va_end(ap);
  ck_assert(n >= 0 && (size_t)n < sizeof batch - batch_len);
  batch_len += (size_t)n;
}

/* Runs a checking script over the batched arguments, then empties it. */
static void batch_run(const char *name, const char *source,
                      const char *fixed_args) {
  char *script = tu_path(tmp, name);
  ck_assert_int_eq(tu_write_file(script, source), 0);
  int py = tu_run("'%s' '%s' %s%s", tu_python(), script, fixed_args, batch);
  ck_assert_msg(py == 0, "python (%s) rejected an image of:%s", name, batch);
  unlink(script);
  free(script);
  batch_len = 0;
  batch[0] = '\0';
}

/* Fails unless dir holds exactly `want` entries, none of them temporary. */
static void assert_dir_holds(const char *dir, int want) {
  int count;
  char *names = tu_list_dir(dir, &count);
  ck_assert_ptr_nonnull(names);
  ck_assert_msg(count == want, "%s holds %d entries, want %d:\n%s", dir, count,
                want, names);
  ck_assert_msg(!strstr(names, ".tmp"), "temp file left:\n%s", names);
  free(names);
}

static void write_bytes(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(p, 1, n, f), n);
  ck_assert_int_eq(fclose(f), 0);
}

static void assert_png_magic(const char *path) {
  size_t len;
  char *got = tu_read_file(path, &len);
  ck_assert_ptr_nonnull(got);
  ck_assert_uint_ge(len, 8);
  ck_assert_int_eq(memcmp(got, "\x89PNG\r\n\x1a\n", 8), 0);
  free(got);
}

/* Queues a window PNG for checking against the bytes [3][T][H][W], kept
 * in "<png>.want". */
static void queue_window(const char *png, const uint8_t *want, int T, int H,
                         int W) {
  char raw[4096];
  snprintf(raw, sizeof raw, "%s.want", png);
  write_bytes(raw, want, (size_t)3 * T * H * W);
  assert_png_magic(png);
  batch_add(" '%s' '%s' %d %d %d", png, raw, T, H, W);
}

static void run_window_checks(void) {
  char fixed[64];
  snprintf(fixed, sizeof fixed, "%d %d", DEBUG_GAP_PIXELS, DEBUG_GAP_GREY);
  batch_run("window.py", window_py, fixed);
}

/* Queues a spectrogram PNG for checking against its matrix, kept in
 * "<png>.want". */
static void queue_matrix(const char *png, const float *data, int rows, int cols,
                         int mrow, int mcol) {
  char raw[4096];
  snprintf(raw, sizeof raw, "%s.want", png);
  write_bytes(raw, data, (size_t)rows * cols * sizeof *data);
  assert_png_magic(png);
  batch_add(" '%s' '%s' %d %d %d %d", png, raw, rows, cols, mrow, mcol);
}

static void run_matrix_checks(void) {
  batch_run("matrix.py", matrix_py, "");
}

/* A window whose frames each have their own colour (and a gradient inside,
 * so a transposed or shifted tile shows), normalised with ImageNet's
 * mean/std as the transform does. */
static void window_write(int T, int H, int W) {
  size_t n = (size_t)3 * T * H * W, plane = (size_t)H * W;
  uint8_t *want = malloc(n);
  float *data = malloc(n * sizeof *data);
  ck_assert_ptr_nonnull(want);
  ck_assert_ptr_nonnull(data);
  for (int c = 0; c < 3; c++)
    for (int t = 0; t < T; t++)
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
          size_t i = ((size_t)c * T + t) * plane + (size_t)y * W + x;
          int p = (t * 53 + c * 85 + y * 11 + x * 7) % 256;
          /* Both ends of the range, where clamping could bite. */
          if (t == 0 && y == 0 && x == 0)
            p = 0;
          if (t == 0 && y == 0 && x == 1)
            p = 255;
          want[i] = (uint8_t)p;
          data[i] = ((float)p / 255.0f - imagenet_mean[c]) / imagenet_std[c];
        }
  char name[64];
  snprintf(name, sizeof name, "w_%d_%dx%d.png", T, H, W);
  char *png = tu_path(tmp, name);
  int rc =
      debug_write_window_png(png, data, T, H, W, imagenet_mean, imagenet_std);
  ck_assert_msg(rc == EF_OK, "debug_write_window_png: %s", ef_last_error());
  queue_window(png, want, T, H, W);
  free(png);
  free(data);
  free(want);
}

START_TEST(test_window_grid) {
  window_write(1, 4, 6);  /* one tile, no gaps */
  window_write(2, 3, 5);  /* 2 columns, 1 row */
  window_write(4, 4, 6);  /* a perfect square: 2x2, not 3 columns */
  window_write(5, 4, 6);  /* 3x2 with one unused cell */
  window_write(10, 5, 3); /* 4x3, two unused cells */
  window_write(16, 7, 4); /* 4x4 */
  window_write(17, 2, 2); /* 5x4 */
  window_write(8, 32, 40);
  run_window_checks();
  /* Eight PNGs and their expected bytes; no temporary files. */
  assert_dir_holds(tmp, 16);
}
END_TEST

/* Labels and a SlowFast slow section (debug_write_window_grid), decoded
 * by PyAV: the layout recomputed from debug_dump.h's rule, every tile
 * pixel for pixel, the slow section the same cells as the fast frames it
 * picks, bands only grey and label white, equal numbers drawn alike and
 * different ones not. argv: GAP GREY BAND SECTION WHITE png raw T H W
 * numbers(comma) slow(comma). */
static const char *grid_py =
    "import sys, math, av, numpy as np\n"
    "GAP, GREY, BAND, SEC, WHITE = (int(v) for v in sys.argv[1:6])\n"
    "png, raw = sys.argv[6:8]\n"
    "T, H, W = (int(v) for v in sys.argv[8:11])\n"
    "nums = [int(v) for v in sys.argv[11].split(',')]\n"
    "slow = [int(v) for v in sys.argv[12].split(',')]\n"
    "with av.open(png) as c:\n"
    "    img = next(c.decode(video=0)).to_ndarray(format='rgb24')\n"
    "cols = math.isqrt(T - 1) + 1\n"
    "ch = BAND + H\n"
    "def sec_h(k):\n"
    "    rows = -(-k // cols)\n"
    "    return rows * ch + (rows - 1) * GAP\n"
    "top = sec_h(len(slow)) + SEC\n"
    "assert img.shape == (top + sec_h(T), cols * W + (cols - 1) * GAP, 3),"
    " img.shape\n"
    "want = np.fromfile(raw, np.uint8).reshape(3, T, H, W)\n"
    "covered = np.zeros(img.shape[:2], bool)\n"
    "def cell(y_top, j):\n"
    "    y, x = y_top + (j // cols) * (ch + GAP), (j % cols) * (W + GAP)\n"
    "    covered[y:y + ch, x:x + W] = True\n"
    "    return img[y:y + BAND, x:x + W], img[y + BAND:y + ch, x:x + W]\n"
    "bands = []\n"
    "for t in range(T):\n"
    "    band, tile = cell(top, t)\n"
    "    assert np.array_equal(tile, want[:, t].transpose(1, 2, 0)), t\n"
    "    assert set(np.unique(band)) == {GREY, WHITE}, (t, np.unique(band))\n"
    "    bands.append(band)\n"
    "for j, t in enumerate(slow):\n"
    "    band, tile = cell(0, j)\n"
    "    assert np.array_equal(tile, want[:, t].transpose(1, 2, 0)), j\n"
    "    assert np.array_equal(band, bands[t]), j\n"
    "for a in range(T):\n"
    "    for b in range(T):\n"
    "        same = np.array_equal(bands[a], bands[b])\n"
    "        assert same == (nums[a] == nums[b]), (a, b)\n"
    "assert (img[~covered] == GREY).all(), 'gaps'\n";

START_TEST(test_window_grid_labels_and_slow_section) {
  enum { T = 5, H = 12, W = 30 };
  size_t n = (size_t)3 * T * H * W, plane = (size_t)H * W;
  uint8_t *want = malloc(n);
  float *data = malloc(n * sizeof *data);
  ck_assert_ptr_nonnull(want);
  ck_assert_ptr_nonnull(data);
  for (int c = 0; c < 3; c++)
    for (int t = 0; t < T; t++)
      for (size_t i = 0; i < plane; i++) {
        size_t k = ((size_t)c * T + (size_t)t) * plane + i;
        want[k] = (uint8_t)((t * 41 + c * 90 + (int)i * 3) % 256);
        data[k] =
            ((float)want[k] / 255.0f - imagenet_mean[c]) / imagenet_std[c];
      }
  /* Frames 3 and 4 carry one number: a short video repeating its last. */
  static const int64_t numbers[T] = {10, 11, 12, 19, 19};
  static const int64_t slow[3] = {0, 2, 4};
  debug_grid g = {numbers, slow, 3};
  char *png = tu_path(tmp, "grid.png");
  int rc = debug_write_window_grid(png, data, T, H, W, imagenet_mean,
                                   imagenet_std, &g);
  ck_assert_msg(rc == EF_OK, "debug_write_window_grid: %s", ef_last_error());
  char raw[4096];
  snprintf(raw, sizeof raw, "%s.want", png);
  write_bytes(raw, want, n);
  batch_add(" '%s' '%s' %d %d %d 10,11,12,19,19 0,2,4", png, raw, T, H, W);
  char fixed[64];
  snprintf(fixed, sizeof fixed, "%d %d %d %d %d", DEBUG_GAP_PIXELS,
           DEBUG_GAP_GREY, DEBUG_LABEL_PIXELS, DEBUG_SECTION_PIXELS,
           DEBUG_LABEL_VALUE);
  batch_run("grid.py", grid_py, fixed);

  /* A slow index outside the window is refused, naming the file. */
  static const int64_t bad[1] = {5};
  debug_grid gb = {numbers, bad, 1};
  ck_assert_int_eq(debug_write_window_grid(png, data, T, H, W, imagenet_mean,
                                           imagenet_std, &gb),
                   EF_EINVAL);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "grid.png"));
  free(png);
  free(data);
  free(want);
}
END_TEST

/* Out-of-range inputs are clamped and rounded to nearest; NaN is black. */
START_TEST(test_window_clamp) {
  static const float zero[3] = {0, 0, 0}, one[3] = {1, 1, 1};
  /* One frame 2x4, the same in all channels: v * 255 is the pixel. */
  static const float v[8] = {
      1e30f,        INFINITY,     -INFINITY,  NAN,
      254.6f / 255, 300.0f / 255, 0.4f / 255, 0.6f / 255,
  };
  static const uint8_t px[8] = {255, 255, 0, 0, 255, 255, 0, 1};
  float data[24];
  uint8_t want[24];
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < 8; i++) {
      data[c * 8 + i] = v[i];
      want[c * 8 + i] = px[i];
    }
  char *png = tu_path(tmp, "clamp.png");
  int rc = debug_write_window_png(png, data, 1, 2, 4, zero, one);
  ck_assert_msg(rc == EF_OK, "debug_write_window_png: %s", ef_last_error());
  queue_window(png, want, 1, 2, 4);

  /* Each channel's mean/std apply to that channel only. */
  static const float mean[3] = {0.5f, 0.25f, 0.0f}, sd[3] = {0.5f, 0.25f, 2};
  for (int i = 0; i < 24; i++)
    data[i] = 0.0f;
  for (int i = 0; i < 8; i++) {
    want[i] = 128;    /* 0.5 * 255 = 127.5 rounds up */
    want[8 + i] = 64; /* 63.75 */
    want[16 + i] = 0;
  }
  data[16] = 0.25f; /* 0.25 * 2 * 255 = 127.5 */
  want[16] = 128;
  char *png2 = tu_path(tmp, "channels.png");
  rc = debug_write_window_png(png2, data, 1, 2, 4, mean, sd);
  ck_assert_msg(rc == EF_OK, "debug_write_window_png: %s", ef_last_error());
  queue_window(png2, want, 1, 2, 4);
  run_window_checks();
  free(png2);
  free(png);
}
END_TEST

START_TEST(test_matrix_small) {
  /* x[r][c] = 10^((-10 r - c) / 10): -10 r - c dB, so the maximum (0 dB)
   * is at row 0, column 0 and the far corner is below the 80 dB floor. */
  enum { R = 9, C = 20 };
  float data[R * C];
  for (int r = 0; r < R; r++)
    for (int c = 0; c < C; c++)
      data[r * C + c] = (float)pow(10.0, (-10.0 * r - c) / 10.0);
  char *png = tu_path(tmp, "mel.png");
  int rc = debug_write_matrix_png(png, data, R, C);
  ck_assert_msg(rc == EF_OK, "debug_write_matrix_png: %s", ef_last_error());
  queue_matrix(png, data, R, C, 0, 0);

  /* A single value, a single column, and a silent (all-zero) matrix,
   * which the fixed 80 dB range from its own maximum draws all white. */
  char *p1 = tu_path(tmp, "one.png"), *p2 = tu_path(tmp, "column.png"),
       *p3 = tu_path(tmp, "silent.png");
  float one = 0.5f, col[3] = {1, 4, 2}, silent[6] = {0};
  ck_assert_int_eq(debug_write_matrix_png(p1, &one, 1, 1), EF_OK);
  queue_matrix(p1, &one, 1, 1, 0, 0);
  ck_assert_int_eq(debug_write_matrix_png(p2, col, 3, 1), EF_OK);
  queue_matrix(p2, col, 3, 1, 1, 0);
  ck_assert_int_eq(debug_write_matrix_png(p3, silent, 2, 3), EF_OK);
  queue_matrix(p3, silent, 2, 3, -1, -1);
  run_matrix_checks();

  /* Spelled out for the first one: the bottom line is row 0, brightest on
   * the left; the top line is row 8 (-80 dB and below), black. */
  char *script = tu_path(tmp, "rows.py");
  ck_assert_int_eq(
      tu_write_file(script,
                    "import sys, av\n"
                    "with av.open(sys.argv[1]) as c:\n"
                    "    img = next(c.decode(video=0)).to_ndarray()\n"
                    "assert img[-1, 0] == 255 and img[-1, 1] < 255, img[-1]\n"
                    "assert (img[0] == 0).all(), img[0]\n"
                    "col = img[::-1, 0].astype(int)\n"
                    "want = [255, 223, 191, 159, 128, 96, 64, 32, 0]\n"
                    "assert all(abs(g - w) <= 1 for g, w in zip(col, want)),"
                    " col\n"),
      0);
  ck_assert_int_eq(tu_run("'%s' '%s' '%s'", tu_python(), script, png), 0);
  free(script);
  free(p3);
  free(p2);
  free(p1);
  free(png);
}
END_TEST

/* Values a broken upstream might hand in still give a picture: NaN and
 * negatives count as 0, +inf as FLT_MAX (so it is the maximum). */
START_TEST(test_matrix_odd_values) {
  float data[2 * 3] = {NAN, -1.0f, 1.0f, 0.0f, INFINITY, 1e-3f};
  char *png = tu_path(tmp, "odd.png");
  int rc = debug_write_matrix_png(png, data, 2, 3);
  ck_assert_msg(rc == EF_OK, "debug_write_matrix_png: %s", ef_last_error());
  queue_matrix(png, data, 2, 3, 1, 1);

  /* Cleaned before averaging: a NaN or negative value must not poison
   * the column group it falls in (k = 2 here). */
  enum { W = 8193 };
  float *wide = malloc(2 * W * sizeof *wide);
  ck_assert_ptr_nonnull(wide);
  for (int i = 0; i < 2 * W; i++)
    wide[i] = 1.0f;
  wide[0] = NAN;
  wide[1] = 100.0f; /* group 0 of row 0: mean 50, the maximum */
  wide[W] = -1.0f;
  wide[W + 1] = 3.0f; /* group 0 of row 1: mean 1.5, not 1 */
  char *png2 = tu_path(tmp, "odd_wide.png");
  rc = debug_write_matrix_png(png2, wide, 2, W);
  ck_assert_msg(rc == EF_OK, "debug_write_matrix_png: %s", ef_last_error());
  queue_matrix(png2, wide, 2, W, 0, 1);
  run_matrix_checks();
  free(png2);
  free(wide);
  free(png);
}
END_TEST

/* A smooth matrix with one spike at (mrow, mcol), written and queued. */
static void wide_write(int rows, int cols, int mrow, int mcol) {
  float *data = malloc((size_t)rows * cols * sizeof *data);
  ck_assert_ptr_nonnull(data);
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++)
      data[(size_t)r * cols + c] =
          (float)(1.0 + 0.5 * sin(c * 0.01 + r)) * (float)(r + 1);
  data[(size_t)mrow * cols + mcol] = 1e6f;
  char name[64];
  snprintf(name, sizeof name, "wide_%dx%d.png", rows, cols);
  char *png = tu_path(tmp, name);
  int rc = debug_write_matrix_png(png, data, rows, cols);
  ck_assert_msg(rc == EF_OK, "debug_write_matrix_png: %s", ef_last_error());
  queue_matrix(png, data, rows, cols, mrow, mcol);
  free(png);
  free(data);
}

/* Wide matrices are averaged down to at most 8192 columns. */
START_TEST(test_matrix_wide) {
  wide_write(4, 8192, 2, 8191);   /* the limit itself: not reduced */
  wide_write(4, 8193, 1, 8192);   /* k = 2: 4097 columns, the last alone */
  wide_write(3, 20000, 0, 12345); /* k = 3: 6667 columns */
  wide_write(128, 50000, 127, 3); /* k = 7: 7143 columns */
  run_matrix_checks();
  assert_dir_holds(tmp, 8);
}
END_TEST

/* io.debug_path/<uid>/ is made on the first write into it. */
START_TEST(test_creates_folders) {
  char *png = tu_path(tmp, "dbg/uid-1/000003.png");
  float m = 1.0f;
  int rc = debug_write_matrix_png(png, &m, 1, 1);
  ck_assert_msg(rc == EF_OK, "debug_write_matrix_png: %s", ef_last_error());
  ck_assert_int_eq(access(png, R_OK), 0);
  /* A relative name with no folder part lands in the working folder. */
  char cwd[4096];
  ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
  ck_assert_int_eq(chdir(tmp), 0);
  rc = debug_write_matrix_png("rel.png", &m, 1, 1);
  ck_assert_int_eq(chdir(cwd), 0);
  ck_assert_msg(rc == EF_OK, "debug_write_matrix_png: %s", ef_last_error());
  assert_dir_holds(tmp, 2);
  free(png);
}
END_TEST

START_TEST(test_errors) {
  float px[3 * 2 * 2] = {0};
  float m[4] = {1, 2, 3, 4};
  const float *mean = imagenet_mean, *sd = imagenet_std;

  /* A folder that cannot be made: a file stands in the way. */
  char *file = tu_path(tmp, "file");
  ck_assert_int_eq(tu_write_file(file, "x"), 0);
  char *through = tu_path(tmp, "file/uid/0.png");
  ck_assert_int_eq(debug_write_window_png(through, px, 1, 2, 2, mean, sd),
                   EF_EIO);
  ck_assert_msg(strstr(ef_last_error(), through), "%s", ef_last_error());
  ck_assert_int_eq(debug_write_matrix_png(through, m, 2, 2), EF_EIO);
  ck_assert_msg(strstr(ef_last_error(), through), "%s", ef_last_error());

  /* The final name is a folder: the rename fails, the temp file goes. */
  char *dir = tu_path(tmp, "taken.png");
  ck_assert_int_eq(mkdir(dir, 0777), 0);
  ck_assert_int_eq(debug_write_matrix_png(dir, m, 2, 2), EF_EIO);
  ck_assert_msg(strstr(ef_last_error(), dir), "%s", ef_last_error());
  ck_assert_int_eq(debug_write_window_png(dir, px, 1, 2, 2, mean, sd), EF_EIO);
  ck_assert_msg(strstr(ef_last_error(), dir), "%s", ef_last_error());
  assert_dir_holds(dir, 0);

  /* A read-only folder; root writes anyway, so only as another user. */
  char *ro = tu_path(tmp, "ro");
  ck_assert_int_eq(mkdir(ro, 0555), 0);
  if (geteuid() != 0) {
    char *in_ro = tu_path(ro, "0.png");
    ck_assert_int_eq(debug_write_window_png(in_ro, px, 1, 2, 2, mean, sd),
                     EF_EIO);
    ck_assert_msg(strstr(ef_last_error(), in_ro), "%s", ef_last_error());
    ck_assert_int_eq(debug_write_matrix_png(in_ro, m, 2, 2), EF_EIO);
    ck_assert_msg(strstr(ef_last_error(), in_ro), "%s", ef_last_error());
    free(in_ro);
  }
  assert_dir_holds(ro, 0);
  ck_assert_int_eq(chmod(ro, 0755), 0);

  /* Bad arguments: EF_EINVAL naming the file, nothing written. */
  char *png = tu_path(tmp, "bad.png");
  ck_assert_int_eq(debug_write_window_png(NULL, px, 1, 2, 2, mean, sd),
                   EF_EINVAL);
  ck_assert_int_eq(debug_write_window_png("", px, 1, 2, 2, mean, sd),
                   EF_EINVAL);
  ck_assert_int_eq(debug_write_window_png(png, NULL, 1, 2, 2, mean, sd),
                   EF_EINVAL);
  ck_assert_msg(strstr(ef_last_error(), png), "%s", ef_last_error());
  ck_assert_int_eq(debug_write_window_png(png, px, 1, 2, 2, NULL, sd),
                   EF_EINVAL);
  ck_assert_int_eq(debug_write_window_png(png, px, 1, 2, 2, mean, NULL),
                   EF_EINVAL);
  ck_assert_int_eq(debug_write_window_png(png, px, 0, 2, 2, mean, sd),
                   EF_EINVAL);
  ck_assert_msg(strstr(ef_last_error(), png), "%s", ef_last_error());
  ck_assert_int_eq(debug_write_window_png(png, px, 1, 0, 2, mean, sd),
                   EF_EINVAL);
  ck_assert_int_eq(debug_write_window_png(png, px, 1, 2, -1, mean, sd),
                   EF_EINVAL);
  /* Too large to encode: refused before any pixel is read. */
  ck_assert_int_eq(
      debug_write_window_png(png, px, 1, 1 << 20, 1 << 20, mean, sd),
      EF_EINVAL);
  ck_assert_msg(strstr(ef_last_error(), png), "%s", ef_last_error());
  ck_assert_int_eq(debug_write_window_png(png, px, 1 << 30, 1, 1, mean, sd),
                   EF_EINVAL);
  ck_assert_int_eq(debug_write_matrix_png(NULL, m, 2, 2), EF_EINVAL);
  ck_assert_int_eq(debug_write_matrix_png(png, NULL, 2, 2), EF_EINVAL);
  ck_assert_int_eq(debug_write_matrix_png(png, m, 0, 2), EF_EINVAL);
  ck_assert_msg(strstr(ef_last_error(), png), "%s", ef_last_error());
  ck_assert_int_eq(debug_write_matrix_png(png, m, 2, 0), EF_EINVAL);
  ck_assert_int_eq(debug_write_matrix_png(png, m, 1 << 30, 1), EF_EINVAL);
  ck_assert_msg(strstr(ef_last_error(), png), "%s", ef_last_error());
  ck_assert_int_eq(access(png, F_OK), -1);
  /* A name that is a folder is refused before any folder is made. */
  char *slash = tu_path(tmp, "made/");
  ck_assert_int_eq(debug_write_matrix_png(slash, m, 2, 2), EF_EINVAL);
  ck_assert_msg(strstr(ef_last_error(), slash), "%s", ef_last_error());
  ck_assert_int_eq(debug_write_window_png(slash, px, 1, 2, 2, mean, sd),
                   EF_EINVAL);
  free(slash);

  /* Nothing left behind: the file, the folder in the way, "ro". */
  assert_dir_holds(tmp, 3);
  free(png);
  free(ro);
  free(dir);
  free(through);
  free(file);
}
END_TEST

/* A second write replaces the first whole, even with another size. */
START_TEST(test_overwrite) {
  static const float zero[3] = {0, 0, 0}, one[3] = {1, 1, 1};
  float big[3 * 4 * 3 * 3];
  uint8_t want[3 * 4 * 3 * 3];
  for (int i = 0; i < 3 * 4 * 3 * 3; i++) {
    want[i] = (uint8_t)(i * 5);
    big[i] = (float)want[i] / 255.0f;
  }
  float small[3] = {1, 1, 1};
  uint8_t white[3] = {255, 255, 255};
  char *png = tu_path(tmp, "again.png");
  /* Big over small, then small over big; each checked before the next. */
  ck_assert_int_eq(debug_write_window_png(png, small, 1, 1, 1, zero, one),
                   EF_OK);
  ck_assert_int_eq(debug_write_window_png(png, big, 4, 3, 3, zero, one), EF_OK);
  queue_window(png, want, 4, 3, 3);
  run_window_checks();
  ck_assert_int_eq(debug_write_window_png(png, small, 1, 1, 1, zero, one),
                   EF_OK);
  queue_window(png, white, 1, 1, 1);
  run_window_checks();
  assert_dir_holds(tmp, 2);
  free(png);
}
END_TEST

int main(void) {
  Suite *s = suite_create("debug_dump");
  TCase *tc = tcase_create("debug_dump");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_window_grid);
  tcase_add_test(tc, test_window_clamp);
  tcase_add_test(tc, test_window_grid_labels_and_slow_section);
  tcase_add_test(tc, test_matrix_small);
  tcase_add_test(tc, test_matrix_odd_values);
  tcase_add_test(tc, test_matrix_wide);
  tcase_add_test(tc, test_creates_folders);
  tcase_add_test(tc, test_errors);
  tcase_add_test(tc, test_overwrite);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
