/*
 * test_video_windows.c - one video's frames to window items
 * (lib/window/video_windows.c) on clips made with ffmpeg: ITEM_START, the
 * windows in order with the settings' [3][T][H][W] shape, the frames and
 * time ranges window.h places them at, then ITEM_END with their count;
 * an emit that says stop cancels the run before its END; missing and
 * corrupt files fail naming the path; pooled window buffers go back to
 * the pool. The fixtures encode the frame number in the luma (as in
 * test_decode.c), so each frame of a window tells which frame it is.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/settings.h"
#include "ego4dfeat/ego4dfeat.h"
#include "testutil.h"
#include "window/video_windows.h"
#include "window/window.h"

/* Small windows so the clips stay short: 8 frames every 4 at 30 fps,
 * 32x32 crops of frames scaled to a short side of 40. */
#define T_FRAMES 8
#define STRIDE 4
#define CROP 32

static char *g_dir;

/* ---- Fixtures ------------------------------------------------------------ */

/* Frame-numbered grey frames: luma 16 + 2 N, which the transform keeps
 * as one value per frame, increasing with N (N < 100 here). */
#define NUMBERED(frames)                                                       \
  "-f lavfi -i \"color=black:s=64x48:r=30"                                     \
  ",geq=lum='16+2*N':cb=128:cr=128\" -frames:v " frames                        \
  " -c:v libx264 -qp 0 -pix_fmt yuv420p"

typedef struct {
  const char *name;
  const char *args;
  int64_t frames; /* the frames the clip has at 30 fps */
} fixture;

static const fixture fixtures[] = {
    /* 30 - 8 = 22 is not a multiple of 4: a back-padded last window. */
    {"c30.mp4", NUMBERED("30"), 30},
    /* 28 - 8 = 20 is: the last window is a regular one. */
    {"c28.mp4", NUMBERED("28"), 28},
    /* Shorter than a window: one window, its last frame repeated. */
    {"c5.mp4", NUMBERED("5"), 5},
};

static const fixture *find_fixture(const char *name) {
  for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++)
    if (strcmp(fixtures[i].name, name) == 0)
      return &fixtures[i];
  return NULL;
}

/* The path of a fixture, made on first use. */
static char *fx(const char *name) {
  const fixture *f = find_fixture(name);
  ck_assert_ptr_nonnull(f);
  char *path = tu_fixture(g_dir, name, f->args, NULL);
  ck_assert_msg(path != NULL, "ffmpeg failed to make %s", name);
  return path;
}

/* mvit_k400 on the CPU with the small windows above. */
static ef_settings load_settings(void) {
  static const char *const overrides[] = {
      "inference_config.device=cpu", "inference_config.frame_window=8",
      "inference_config.stride=4",   "model_config.side_size=40",
      "model_config.crop_size=32",
  };
  char *dir = tu_path(tu_source_root(), "configs");
  ef_config *cfg = NULL;
  ef_settings s;
  ck_assert_int_eq(ef_config_load(dir, "mvit_k400", &cfg), EF_OK);
  free(dir);
  for (size_t i = 0; i < sizeof overrides / sizeof overrides[0]; i++)
    ck_assert_msg(ef_config_override(cfg, overrides[i]) == EF_OK, "%s: %s",
                  overrides[i], ef_last_error());
  ck_assert_msg(settings_load(cfg, &s) == EF_OK, "%s", ef_last_error());
  ef_config_free(cfg);
  ck_assert_int_eq(s.frame_window, T_FRAMES);
  ck_assert_int_eq(s.stride, STRIDE);
  ck_assert_int_eq(s.crop_size, CROP);
  ck_assert_int_eq(s.hwaccel_cuda, 0);
  return s;
}

/* ---- Collecting what is emitted ------------------------------------------ */

#define MAX_ITEMS 64
#define PLANE (CROP * CROP)
#define FRAME_FLOATS (3 * PLANE)
#define WINDOW_FLOATS (FRAME_FLOATS * T_FRAMES)

typedef struct {
  item_kind kind;
  size_t video;
  int64_t window, value, frames, shape[4];
  int ndim;
  double start, end;
  uintptr_t data; /* the buffer's address, compared only */
  buffer_pool *pool;
  float first[T_FRAMES]; /* channel 0, pixel 0 of each frame */
  int uniform;           /* each frame of each channel one value */
} seen;

typedef struct {
  seen items[MAX_ITEMS];
  int n;
  int stop_at; /* return nonzero for this item (-1: never) */
} collector;

/* Whether every frame and channel of a window is one value (the
 * fixtures' frames are flat grey). */
static int window_uniform(const float *data) {
  for (size_t plane = 0; plane < 3 * T_FRAMES; plane++) {
    const float *p = data + plane * PLANE;
    for (size_t i = 1; i < PLANE; i++)
      if (p[i] < p[0] - 1e-4f || p[i] > p[0] + 1e-4f)
        return 0;
  }
  return 1;
}

/* The emit callback: records the item and frees it (it owns it). */
static int collect(void *ctx, item *it) {
  collector *c = ctx;
  ck_assert_int_lt(c->n, MAX_ITEMS);
  seen *s = &c->items[c->n];
  memset(s, 0, sizeof *s);
  s->kind = it->kind;
  s->video = it->video;
  s->window = it->window;
  s->value = it->value;
  s->frames = it->frames;
  s->ndim = it->ndim;
  memcpy(s->shape, it->shape, sizeof s->shape);
  s->start = it->start;
  s->end = it->end;
  s->data = (uintptr_t)it->data;
  s->pool = it->pool;
  if (it->kind == ITEM_WINDOW && it->ndim == 4 && it->shape[1] == T_FRAMES &&
      it->shape[2] == CROP && it->shape[3] == CROP) {
    /* [3][T][H][W]: frame t of channel 0 starts at t * H * W. */
    for (int t = 0; t < T_FRAMES; t++)
      s->first[t] = it->data[(size_t)t * PLANE];
    s->uniform = window_uniform(it->data);
  }
  item_free(it);
  return c->n++ == c->stop_at;
}

/* Runs video_windows on a fixture (or any path); returns its status. */
static int run_on(const char *path, buffer_pool *pool, collector *c,
                  double *busy) {
  ef_settings s = load_settings();
  video_windows *vw = NULL;
  ck_assert_int_eq(video_windows_create(&s, 1, pool, &vw), EF_OK);
  ck_assert_ptr_nonnull(vw);
  int rc = video_windows_run(vw, 3, path, 0, collect, c);
  if (busy)
    *busy = video_windows_busy_seconds(vw);
  video_windows_free(vw);
  settings_free(&s);
  return rc;
}

static int count_kind(const collector *c, item_kind kind) {
  int n = 0;
  for (int i = 0; i < c->n; i++)
    n += c->items[i].kind == kind;
  return n;
}

/* A clip's items against window.h: START with the expected count, each
 * window in order at window_bounds' first frame with its time range,
 * frames that are the video's own (the short clip's last one repeated),
 * then END with the count. */
static void check_clip(const char *name, buffer_pool *pool) {
  const fixture *f = find_fixture(name);
  const int64_t F = f->frames;
  const int64_t n = window_count(F, T_FRAMES, STRIDE);
  char *path = fx(name);
  collector c = {.stop_at = -1};
  double busy = -1;

  ck_assert_msg(run_on(path, pool, &c, &busy) == EF_OK, "%s", ef_last_error());
  free(path);
  ck_assert_int_eq(c.n, n + 2);
  ck_assert_double_gt(busy, 0.0);

  const seen *start = &c.items[0];
  ck_assert_int_eq(start->kind, ITEM_START);
  ck_assert_uint_eq(start->video, 3);
  /* START's counts are estimates from the container's duration, which
   * may round up past the last frame (c28.mp4 says 0.934 s: 29 frames). */
  ck_assert_int_ge(start->frames, F);
  ck_assert_int_le(start->frames, F + 1);
  ck_assert_int_eq(start->value, window_count(start->frames, T_FRAMES, STRIDE));

  /* Each frame's value, as first seen; later windows must agree. */
  float value[128];
  int have[128] = {0};
  ck_assert_int_le(F, 128);
  for (int64_t i = 0; i < n; i++) {
    const seen *w = &c.items[1 + i];
    int64_t first;
    window_bounds(i, F, T_FRAMES, STRIDE, &first);
    ck_assert_int_eq(w->kind, ITEM_WINDOW);
    ck_assert_uint_eq(w->video, 3);
    ck_assert_int_eq(w->window, i);
    ck_assert_int_eq(w->ndim, 4);
    ck_assert_int_eq(w->shape[0], 3);
    ck_assert_int_eq(w->shape[1], T_FRAMES);
    ck_assert_int_eq(w->shape[2], CROP);
    ck_assert_int_eq(w->shape[3], CROP);
    ck_assert(w->pool == pool);
    ck_assert(w->data != 0);
    ck_assert(w->uniform);
    int64_t last = first + T_FRAMES < F ? first + T_FRAMES : F;
    ck_assert_double_eq_tol(w->start, (double)first / 30.0, 1e-9);
    ck_assert_double_eq_tol(w->end, (double)last / 30.0, 1e-9);
    for (int t = 0; t < T_FRAMES; t++) {
      int64_t frame = first + t < F ? first + t : F - 1;
      if (!have[frame]) {
        value[frame] = w->first[t];
        have[frame] = 1;
      }
      ck_assert_msg(w->first[t] == value[frame],
                    "%s: window %lld frame %d is not frame %lld", name,
                    (long long)i, t, (long long)frame);
    }
  }
  /* Every frame appears, and they are distinct and in order. */
  for (int64_t k = 0; k < F; k++) {
    ck_assert_msg(have[k], "%s: frame %lld in no window", name, (long long)k);
    if (k > 0)
      ck_assert_msg(value[k] > value[k - 1] + 0.01f,
                    "%s: frame %lld not after frame %lld", name, (long long)k,
                    (long long)k - 1);
  }

  const seen *end = &c.items[c.n - 1];
  ck_assert_int_eq(end->kind, ITEM_END);
  ck_assert_uint_eq(end->video, 3);
  ck_assert_int_eq(end->value, n);
  ck_assert_int_eq(end->frames, F);
  ck_assert_int_eq(count_kind(&c, ITEM_WINDOW), n);
}

/* ---- Tests --------------------------------------------------------------- */

START_TEST(test_back_padded_last_window) {
  /* 30 frames: windows at 0, 4, ..., 20 and the last moved back to 22. */
  ck_assert_int_eq(window_count(30, T_FRAMES, STRIDE), 7);
  check_clip("c30.mp4", NULL);
}
END_TEST

START_TEST(test_exact_fit) {
  ck_assert_int_eq(window_count(28, T_FRAMES, STRIDE), 6);
  check_clip("c28.mp4", NULL);
}
END_TEST

START_TEST(test_short_video_one_window) {
  ck_assert_int_eq(window_count(5, T_FRAMES, STRIDE), 1);
  check_clip("c5.mp4", NULL);
}
END_TEST

START_TEST(test_cancel_stops_before_end) {
  /* Stop at START, at a regular window (item 3 = window 2) and at the
   * back-padded last window (item 7 = window 6). */
  const int stops[] = {0, 3, 7};
  char *path = fx("c30.mp4");
  for (size_t k = 0; k < sizeof stops / sizeof stops[0]; k++) {
    collector c = {.stop_at = stops[k]};
    ck_assert_int_eq(run_on(path, NULL, &c, NULL), EF_ECANCELLED);
    ck_assert_int_eq(c.n, stops[k] + 1); /* nothing after the stop */
    ck_assert_int_eq(c.items[0].kind, ITEM_START);
    ck_assert_int_eq(count_kind(&c, ITEM_END), 0);
    ck_assert_int_eq(count_kind(&c, ITEM_WINDOW), stops[k]);
    for (int i = 1; i < c.n; i++)
      ck_assert_int_eq(c.items[i].window, i - 1);
  }
  free(path);
}
END_TEST

START_TEST(test_missing_file_names_path) {
  char *path = tu_path(g_dir, "no_such_video.mp4");
  collector c = {.stop_at = -1};
  int rc = run_on(path, NULL, &c, NULL);
  ck_assert_int_lt(rc, 0);
  ck_assert_int_ne(rc, EF_ECANCELLED);
  ck_assert_msg(strstr(ef_last_error(), path) != NULL, "%s", ef_last_error());
  /* Never opened: no START, no END, no windows. */
  ck_assert_int_eq(c.n, 0);
  free(path);
}
END_TEST

START_TEST(test_corrupt_file_names_path) {
  /* Fixed pseudo-random bytes under a .mp4 name. */
  char *path = tu_path(g_dir, "corrupt.mp4");
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  uint32_t x = 12345;
  for (int i = 0; i < 16384; i++) {
    x = x * 1103515245u + 12345u;
    fputc((int)(x >> 24), f);
  }
  ck_assert_int_eq(fclose(f), 0);
  collector c = {.stop_at = -1};
  int rc = run_on(path, NULL, &c, NULL);
  ck_assert_int_lt(rc, 0);
  ck_assert_int_ne(rc, EF_ECANCELLED);
  ck_assert_msg(strstr(ef_last_error(), path) != NULL, "%s", ef_last_error());
  ck_assert_int_eq(count_kind(&c, ITEM_END), 0);
  ck_assert_int_eq(count_kind(&c, ITEM_WINDOW), 0);
  free(path);
}
END_TEST

START_TEST(test_pooled_buffers_are_recycled) {
  buffer_pool *pool = buffer_pool_create(2);
  ck_assert_ptr_nonnull(pool);
  check_clip("c30.mp4", pool);
  /* collect frees each window before the next is made, so the buffer the
   * first window took came back and served every later one... */
  collector c = {.stop_at = -1};
  char *path = fx("c30.mp4");
  ck_assert_int_eq(run_on(path, pool, &c, NULL), EF_OK);
  free(path);
  uintptr_t first = 0;
  int windows = 0;
  for (int i = 0; i < c.n; i++) {
    if (c.items[i].kind != ITEM_WINDOW)
      continue;
    if (!windows++)
      first = c.items[i].data;
    ck_assert(c.items[i].data == first);
  }
  ck_assert_int_eq(windows, 7);
  /* ...and is in the pool now. */
  float *again = buffer_pool_get(pool, WINDOW_FLOATS);
  ck_assert((uintptr_t)again == first);
  buffer_pool_put(pool, again, WINDOW_FLOATS);
  buffer_pool_free(pool);
}
END_TEST

int main(void) {
  g_dir = tu_tmpdir();
  if (!g_dir)
    return EXIT_FAILURE;
  Suite *s = suite_create("video_windows");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_back_padded_last_window);
  tcase_add_test(tc, test_exact_fit);
  tcase_add_test(tc, test_short_video_one_window);
  tcase_add_test(tc, test_cancel_stops_before_end);
  tcase_add_test(tc, test_missing_file_names_path);
  tcase_add_test(tc, test_corrupt_file_names_path);
  tcase_add_test(tc, test_pooled_buffers_are_recycled);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  tu_rmrf(g_dir);
  free(g_dir);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
