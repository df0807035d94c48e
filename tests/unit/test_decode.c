/*
 * test_decode.c - unit tests of decode.c and probe.c on videos made with
 * ffmpeg's lavfi sources. Most fixtures encode the source frame number in
 * the luma (Y = 16 + 2 (N mod 100), lossless x264), so a decoded pixel tells
 * which source frame a sample is. The expected sample -> source frame map
 * is computed here independently, by brute force over ffprobe's list of
 * frame timestamps, so the tests do not share decode.c's arithmetic.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ego4dfeat/ego4dfeat.h"
#include "media/decode.h"
#include "media/probe.h"
#include "testutil.h"

static char *g_dir;

/* ---- Fixtures ------------------------------------------------------------ */

/* Frame-numbered source: luma 16 + 2 (N mod 100) survives the
 * limited-range RGB conversion as a distinct grey level per frame. */
#define NUMBERED(rate, extra)                                                  \
  "-f lavfi -i \"color=black:s=64x48:r=" rate                                  \
  ",geq=lum='16+2*mod(N\\,100)':cb=128:cr=128" extra "\""

#define X264_LOSSLESS " -c:v libx264 -qp 0 -pix_fmt yuv420p"

/* 30 fps, a 0.5 s gap after frame 20, 60 fps after frame 40; the 1/600
 * time bases keep the 60 fps steps from being rounded to 1/30. */
#define VFR_PTS                                                                \
  ",settb=1/600,setpts='if(lte(N\\,20)\\,N/30\\,"                              \
  "if(lte(N\\,40)\\,N/30+0.5\\,40/30+0.5+(N-40)/60))/TB'"
#define VFR_OUT " -t 3 -fps_mode passthrough -enc_time_base 1/600"

/* testsrc2 (moving colour patterns) for colour and container tests. */
#define X264(pix) " -c:v libx264 -pix_fmt " pix
#define TESTSRC(size, secs, pix)                                               \
  "-f lavfi -i testsrc2=r=30:s=" size " -t " secs X264(pix)

typedef struct {
  const char *name;
  const char *args; /* NULL: made by a shell command instead */
  const char *shell;
} fixture;

static const fixture fixtures[] = {
    {"c30.mp4", NUMBERED("30", "") " -t 2" X264_LOSSLESS, NULL},
    {"c25.mp4", NUMBERED("25", "") " -t 2" X264_LOSSLESS, NULL},
    {"c2997.mp4", NUMBERED("30000/1001", "") " -t 2" X264_LOSSLESS, NULL},
    {"c60.mp4", NUMBERED("60", "") " -t 2" X264_LOSSLESS, NULL},
    {"vfr.mp4", NUMBERED("30", VFR_PTS) VFR_OUT X264_LOSSLESS, NULL},
    {"long.mp4", NUMBERED("30", "") " -t 60" X264_LOSSLESS, NULL},
    {"rgb160.mp4", TESTSRC("160x120", "1", "yuv420p"), NULL},
    {"rgb100.mp4", TESTSRC("100x62", "1", "yuv420p"), NULL},
    {"rgbj.mp4", TESTSRC("96x64", "1", "yuvj420p"), NULL},
    {"moovend.mp4", TESTSRC("160x120", "4", "yuv420p"), NULL},
    {"faststart.mp4", TESTSRC("160x120", "4", "yuv420p -movflags +faststart"),
     NULL},
    {"audio.mp4", "-f lavfi -i sine=frequency=440:duration=1 -c:a aac", NULL},
    {"text.mp4", NULL, "echo 'this is not a video' > '%s'"},
    {"empty.mp4", NULL, ": > '%s'"},
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
  char *path = tu_fixture(g_dir, name, f->args, f->shell);
  ck_assert_msg(path != NULL, "could not make %s", name);
  return path;
}

/* The first `bytes` of a fixture (bytes < 0: half of it). */
static char *truncated_copy(const char *name, long bytes) {
  char *src = fx(name);
  char out_name[256];
  char *out;
  struct stat sb;

  ck_assert_int_eq(stat(src, &sb), 0);
  if (bytes < 0)
    bytes = (long)sb.st_size / 2;
  snprintf(out_name, sizeof out_name, "half_%s", name);
  out = tu_path(g_dir, out_name);
  ck_assert_int_eq(tu_run("head -c %ld '%s' > '%s'", bytes, src, out), 0);
  free(src);
  return out;
}

/* ---- ffprobe's view, and the expected sampling --------------------------- */

typedef struct {
  int64_t tb_num, tb_den, start, duration;
  int64_t *pts;
  size_t n;
} probe_list;

static void probe_list_load(const char *path, probe_list *pl) {
  char *out = tu_path(g_dir, "ffprobe.txt");
  char *text, *line, *save = NULL;
  size_t cap = 0;

  memset(pl, 0, sizeof *pl);
  ck_assert_int_eq(tu_run("ffprobe -v error -select_streams v:0 "
                          "-show_entries stream=time_base,start_pts,"
                          "duration_ts -of default=nw=1 '%s' > '%s'",
                          path, out),
                   0);
  text = tu_read_file(out, NULL);
  ck_assert_ptr_nonnull(text);
  for (line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    long long a, b;
    if (sscanf(line, "time_base=%lld/%lld", &a, &b) == 2) {
      pl->tb_num = a;
      pl->tb_den = b;
    } else if (sscanf(line, "start_pts=%lld", &a) == 1) {
      pl->start = a;
    } else if (sscanf(line, "duration_ts=%lld", &a) == 1) {
      pl->duration = a;
    }
  }
  free(text);
  ck_assert_int_gt(pl->tb_den, 0);
  ck_assert_int_gt(pl->duration, 0);

  ck_assert_int_eq(tu_run("ffprobe -v error -select_streams v:0 "
                          "-show_entries frame=best_effort_timestamp "
                          "-of csv=p=0 '%s' > '%s'",
                          path, out),
                   0);
  text = tu_read_file(out, NULL);
  ck_assert_ptr_nonnull(text);
  save = NULL;
  for (line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    if (pl->n == cap) {
      cap = cap ? 2 * cap : 64;
      pl->pts = realloc(pl->pts, cap * sizeof *pl->pts);
      ck_assert_ptr_nonnull(pl->pts);
    }
    pl->pts[pl->n++] = strtoll(line, NULL, 10);
  }
  free(text);
  free(out);
  ck_assert_int_gt(pl->n, 0);
}

/* Sample k's source frame: the last frame whose time is <= k / fps (the
 * first frame if none), found by scanning them all. */
static size_t expected_source(const probe_list *pl, int64_t k, int64_t num,
                              int64_t den) {
  size_t pick = 0;
  for (size_t i = 0; i < pl->n; i++)
    if ((pl->pts[i] - pl->start) * pl->tb_num * num <= k * den * pl->tb_den)
      pick = i;
  return pick;
}

static int64_t expected_count(const probe_list *pl, int64_t num, int64_t den) {
  int64_t k = 0;
  while (k * den * pl->tb_den < pl->duration * pl->tb_num * num)
    k++;
  return k;
}

/* ---- Running the decoder ------------------------------------------------- */

typedef struct {
  int64_t index;
  int repeat;
  double pts;
  int frame_no; /* from the luma code */
  uint8_t first_px;
} sample;

static int frame_number(const sampled_frame *f) {
  /* Grey Y = 16 + 2n becomes R = G = B ~ 2n * 255 / 219, give or take
   * one level of rounding: two levels per step keep the inverse exact. */
  return (int)lround(f->rgb[0] * 219.0 / 510.0);
}

/* Decodes a whole file; returns the sample count, fills *out (freed by
 * the caller). Fails the test on a decoding error. */
static int64_t decode_all(const char *path, int64_t num, int64_t den,
                          int threads, sample **out) {
  decoder *d = NULL;
  sampled_frame f;
  size_t cap = 0;
  int64_t n = 0;
  int rc;

  *out = NULL;
  rc = decoder_open(path, num, den, threads, &d);
  ck_assert_msg(rc == EF_OK, "open %s: %s", path, ef_last_error());
  while ((rc = decoder_next(d, &f)) == 1) {
    if ((size_t)n == cap) {
      cap = cap ? 2 * cap : 64;
      *out = realloc(*out, cap * sizeof **out);
      ck_assert_ptr_nonnull(*out);
    }
    (*out)[n].index = f.index;
    (*out)[n].repeat = f.repeat;
    (*out)[n].pts = f.pts;
    (*out)[n].frame_no = frame_number(&f);
    (*out)[n].first_px = f.rgb[0];
    n++;
  }
  ck_assert_msg(rc == 0, "decode %s: %s", path, ef_last_error());
  decoder_close(d);
  return n;
}

/* Checks every sample against the brute-force expectation. */
static void check_against_ffprobe(const char *name, int64_t num, int64_t den) {
  char *path = fx(name);
  probe_list pl;
  sample *s;
  int64_t n;

  probe_list_load(path, &pl);
  n = decode_all(path, num, den, 0, &s);
  ck_assert_int_eq(n, expected_count(&pl, num, den));
  for (int64_t k = 0; k < n; k++) {
    size_t src = expected_source(&pl, k, num, den);
    int rep = k > 0 && src == expected_source(&pl, k - 1, num, den);
    double t = (double)(pl.pts[src] - pl.start) * (double)pl.tb_num /
               (double)pl.tb_den;
    ck_assert_int_eq(s[k].index, k);
    ck_assert_msg(s[k].frame_no == (int)(src % 100),
                  "%s sample %lld: source frame %d, expected %zu", name,
                  (long long)k, s[k].frame_no, src);
    ck_assert_int_eq(s[k].repeat, rep);
    ck_assert_double_eq_tol(s[k].pts, t, 1e-9);
  }
  free(s);
  free(pl.pts);
  free(path);
}

/* ---- Sampling ------------------------------------------------------------ */

START_TEST(test_same_rate_gives_every_frame) {
  char *path = fx("c30.mp4");
  sample *s;
  int64_t n = decode_all(path, 30, 1, 0, &s);

  ck_assert_int_eq(n, 60);
  for (int64_t k = 0; k < n; k++) {
    ck_assert_int_eq(s[k].index, k);
    ck_assert_int_eq(s[k].repeat, 0);
    ck_assert_int_eq(s[k].frame_no, k);
    ck_assert_double_eq_tol(s[k].pts, (double)k / 30.0, 1e-9);
  }
  free(s);
  free(path);
  check_against_ffprobe("c30.mp4", 30, 1);
}
END_TEST

START_TEST(test_25_to_30_repeats) {
  char *path = fx("c25.mp4");
  sample *s;
  int64_t n = decode_all(path, 30, 1, 0, &s);
  int repeats = 0;

  /* 2 s: ceil(2 * 30) samples from 50 frames, so 10 repeats; sample k
   * shows frame floor(k * 25 / 30), the last one at or before k / 30. */
  ck_assert_int_eq(n, 60);
  for (int64_t k = 0; k < n; k++) {
    ck_assert_int_eq(s[k].frame_no, (int)(k * 25 / 30));
    repeats += s[k].repeat;
  }
  ck_assert_int_eq(repeats, 10);
  free(s);
  free(path);
  check_against_ffprobe("c25.mp4", 30, 1);
}
END_TEST

START_TEST(test_ntsc_to_30) {
  char *path = fx("c2997.mp4");
  sample *s;
  int64_t n = decode_all(path, 30, 1, 0, &s);

  /* 60 frames of 1001/30000 s: 2.002 s, so k / 30 < 2.002 up to k = 60.
   * Frame i is at i * 1.001 / 30, just after sample i: sample 1 still
   * shows frame 0, then sample k shows frame k - 1. */
  ck_assert_int_eq(n, 61);
  ck_assert_int_eq(s[0].frame_no, 0);
  ck_assert_int_eq(s[1].frame_no, 0);
  ck_assert_int_eq(s[1].repeat, 1);
  for (int64_t k = 2; k < n; k++) {
    ck_assert_int_eq(s[k].frame_no, (int)(k - 1));
    ck_assert_int_eq(s[k].repeat, 0);
  }
  free(s);
  free(path);
  check_against_ffprobe("c2997.mp4", 30, 1);
  /* Sampling at the source's own rational rate gives every frame. */
  check_against_ffprobe("c2997.mp4", 30000, 1001);
}
END_TEST

START_TEST(test_60_to_30_every_other) {
  char *path = fx("c60.mp4");
  sample *s;
  int64_t n = decode_all(path, 30, 1, 0, &s);

  ck_assert_int_eq(n, 60);
  for (int64_t k = 0; k < n; k++) {
    ck_assert_int_eq(s[k].frame_no, (int)(2 * k % 100));
    ck_assert_int_eq(s[k].repeat, 0);
  }
  free(s);
  free(path);
  check_against_ffprobe("c60.mp4", 30, 1);
}
END_TEST

START_TEST(test_variable_rate) {
  check_against_ffprobe("vfr.mp4", 30, 1);
  check_against_ffprobe("vfr.mp4", 10, 1);
  check_against_ffprobe("vfr.mp4", 30000, 1001);
}
END_TEST

START_TEST(test_low_target_rate) {
  check_against_ffprobe("c30.mp4", 1, 1);
  check_against_ffprobe("c60.mp4", 7, 2);
}
END_TEST

START_TEST(test_threads_do_not_change_output) {
  char *path = fx("vfr.mp4");
  sample *a, *b;
  int64_t na = decode_all(path, 30, 1, 1, &a);
  int64_t nb = decode_all(path, 30, 1, 3, &b);

  ck_assert_int_eq(na, nb);
  for (int64_t k = 0; k < na; k++) {
    ck_assert_int_eq(a[k].frame_no, b[k].frame_no);
    ck_assert_int_eq(a[k].repeat, b[k].repeat);
  }
  free(a);
  free(b);
  free(path);
}
END_TEST

START_TEST(test_duration) {
  char *path = fx("c2997.mp4");
  decoder *d = NULL;

  ck_assert_int_eq(decoder_open(path, 30, 1, 0, &d), EF_OK);
  ck_assert_double_eq_tol(decoder_duration(d), 2.002, 1e-9);
  decoder_close(d);
  free(path);
}
END_TEST

/* ---- Colour: byte-equal to PyAV ------------------------------------------ */

static const char pyav_script[] =
    "import sys, av\n"
    "c = av.open(sys.argv[1])\n"
    "n = int(sys.argv[3])\n"
    "with open(sys.argv[2], 'wb') as o:\n"
    "    for i, f in zip(range(n), c.decode(video=0)):\n"
    "        o.write(f.to_ndarray(format='rgb24').tobytes())\n";

static void compare_with_pyav(const char *name, int frames) {
  char *path = fx(name);
  char *script = tu_path(g_dir, "pyav_dump.py");
  char *raw = tu_path(g_dir, "pyav.rgb");
  char *ref;
  size_t ref_len = 0;
  decoder *d = NULL;
  sampled_frame f;

  ck_assert_int_eq(tu_write_file(script, pyav_script), 0);
  ck_assert_int_eq(
      tu_run("'%s' '%s' '%s' '%s' %d", tu_python(), script, path, raw, frames),
      0);
  ref = tu_read_file(raw, &ref_len);
  ck_assert_ptr_nonnull(ref);

  ck_assert_int_eq(decoder_open(path, 30, 1, 0, &d), EF_OK);
  for (int i = 0; i < frames; i++) {
    size_t row = 0, frame_bytes;
    ck_assert_int_eq(decoder_next(d, &f), 1);
    ck_assert_int_ge(f.linesize, 3 * f.width);
    frame_bytes = (size_t)3 * f.width * f.height;
    ck_assert_uint_ge(ref_len, (size_t)(i + 1) * frame_bytes);
    for (int y = 0; y < f.height; y++, row += (size_t)3 * f.width)
      ck_assert_msg(memcmp(f.rgb + (size_t)y * f.linesize,
                           ref + (size_t)i * frame_bytes + row,
                           (size_t)3 * f.width) == 0,
                    "%s frame %d row %d differs from PyAV", name, i, y);
  }
  decoder_close(d);
  free(ref);
  free(raw);
  free(script);
  free(path);
}

static int have_pyav(void) {
  return tu_run("'%s' -c 'import av' 2>/dev/null", tu_python()) == 0;
}

START_TEST(test_rgb_matches_pyav) {
  if (!have_pyav()) {
    fprintf(stderr, "test_rgb_matches_pyav: no PyAV in %s; skipped\n",
            tu_python());
    return;
  }
  compare_with_pyav("rgb160.mp4", 8);
  compare_with_pyav("rgb100.mp4", 8);
  compare_with_pyav("rgbj.mp4", 8);
}
END_TEST

/* ---- Errors -------------------------------------------------------------- */

static void expect_open_error(const char *path, int code, const char *text) {
  decoder *d = (decoder *)1;
  int rc = decoder_open(path, 30, 1, 0, &d);

  ck_assert_msg(rc == code, "%s: got %d (%s), want %d", path, rc,
                ef_last_error(), code);
  ck_assert_ptr_null(d);
  ck_assert_msg(strstr(ef_last_error(), path) != NULL,
                "message does not name the file: %s", ef_last_error());
  ck_assert_msg(strstr(ef_last_error(), text) != NULL,
                "message lacks \"%s\": %s", text, ef_last_error());
}

START_TEST(test_missing_file) {
  char *path = tu_path(g_dir, "no_such_video.mp4");
  probe_info info;

  expect_open_error(path, EF_ENOTFOUND, "no such file");
  ck_assert_int_eq(probe_file(path, &info), EF_ENOTFOUND);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), path));
  free(path);
}
END_TEST

START_TEST(test_text_file) {
  char *path = fx("text.mp4");
  probe_info info;

  expect_open_error(path, EF_EDECODE, "not a media file");
  ck_assert_int_eq(probe_file(path, &info), EF_EDECODE);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), path));
  free(path);
}
END_TEST

/* An MP4 cut before its index (moov at the end) is not "not a media
 * file": the message says what is missing, for the decoder and the probe
 * (the audio reader shares the same helper). */
START_TEST(test_mp4_without_index) {
  char *half = truncated_copy("moovend.mp4", -1);
  probe_info info;

  expect_open_error(half, EF_EDECODE,
                    "incomplete MP4/MOV file: its index "
                    "(moov atom) is missing");
  ck_assert_int_eq(probe_file(half, &info), EF_EDECODE);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "moov atom"));
  free(half);
}
END_TEST

START_TEST(test_audio_only) {
  char *path = fx("audio.mp4");
  expect_open_error(path, EF_ENOSTREAM, "no video stream");
  free(path);
}
END_TEST

START_TEST(test_empty_file) {
  char *path = fx("empty.mp4");
  probe_info info;

  expect_open_error(path, EF_EDECODE, "empty file");
  ck_assert_int_eq(probe_file(path, &info), EF_EDECODE);
  free(path);
}
END_TEST

/* Cut in half: an error naming the file, or fewer samples; never a crash
 * and never the frozen last frame repeated to the announced duration. */
static void check_truncated(const char *name) {
  char *full = fx(name);
  char *half = truncated_copy(name, -1);
  decoder *d = NULL;
  sampled_frame f;
  int64_t n = 0;
  int rc = decoder_open(half, 30, 1, 0, &d);

  if (rc != EF_OK) {
    ck_assert_int_lt(rc, 0);
    ck_assert_ptr_nonnull(strstr(ef_last_error(), half));
  } else {
    while ((rc = decoder_next(d, &f)) == 1)
      n++;
    ck_assert_int_ge(rc, 0);
    ck_assert_int_gt(n, 0);
    ck_assert_int_lt(n, 120);
    decoder_close(d);
  }
  free(half);
  free(full);
}

START_TEST(test_truncated) {
  check_truncated("moovend.mp4");   /* index at the end: lost */
  check_truncated("faststart.mp4"); /* index first: data lost */
}
END_TEST

START_TEST(test_corrupt_middle_is_skipped) {
  char *good = fx("faststart.mp4");
  char *bad = tu_path(g_dir, "corrupt.mp4");
  struct stat sb;
  sample *s;
  int64_t n;

  ck_assert_int_eq(stat(good, &sb), 0);
  ck_assert_int_eq(tu_run("cp '%s' '%s' && head -c 4000 /dev/zero | dd "
                          "of='%s' bs=1 seek=%lld conv=notrunc 2>/dev/null",
                          good, bad, bad, (long long)sb.st_size / 2),
                   0);
  n = decode_all(bad, 30, 1, 0, &s);
  ck_assert_int_eq(n, 120); /* the duration still bounds the samples */
  free(s);
  free(bad);
  free(good);
}
END_TEST

/* Every sample of the stream zeroed: the container is fine, but no frame
 * decodes. */
START_TEST(test_no_decodable_frames) {
  char *good = fx("faststart.mp4");
  char *bad = tu_path(g_dir, "zeroed.mp4");
  size_t len = 0, i;
  char *data = tu_read_file(good, &len);
  FILE *f;

  ck_assert_ptr_nonnull(data);
  for (i = 0; i + 4 <= len && memcmp(data + i, "mdat", 4) != 0; i++)
    ;
  ck_assert_uint_lt(i + 4, len);
  memset(data + i + 4, 0, len - i - 4);
  f = fopen(bad, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(data, 1, len, f), len);
  fclose(f);
  expect_open_error(bad, EF_EDECODE, "no decodable video frames");
  free(data);
  free(bad);
  free(good);
}
END_TEST

/* ---- Memory -------------------------------------------------------------- */

/* A long clip: one RGB buffer throughout (ASan reports any leak). */
START_TEST(test_long_clip_one_buffer) {
  char *path = fx("long.mp4");
  decoder *d = NULL;
  sampled_frame f;
  const uint8_t *buf = NULL;
  int64_t n = 0;
  int rc;

  ck_assert_int_eq(decoder_open(path, 30, 1, 2, &d), EF_OK);
  while ((rc = decoder_next(d, &f)) == 1) {
    if (!buf)
      buf = f.rgb;
    ck_assert_ptr_eq(f.rgb, buf);
    ck_assert_int_eq(frame_number(&f), (int)(n % 100));
    n++;
  }
  ck_assert_int_eq(rc, 0);
  ck_assert_int_eq(n, 1800);
  ck_assert_int_eq(decoder_next(d, &f), 0); /* stays at the end */
  decoder_close(d);
  decoder_close(NULL);
  free(path);
}
END_TEST

/* Closing half-way must release everything the decoder holds. */
START_TEST(test_close_midway) {
  char *path = fx("c60.mp4");
  decoder *d = NULL;
  sampled_frame f;

  ck_assert_int_eq(decoder_open(path, 30, 1, 0, &d), EF_OK);
  for (int i = 0; i < 5; i++)
    ck_assert_int_eq(decoder_next(d, &f), 1);
  decoder_close(d);
  free(path);
}
END_TEST

/* ---- probe.c ------------------------------------------------------------- */

START_TEST(test_probe_video) {
  char *path = fx("c2997.mp4");
  probe_info info;

  ck_assert_int_eq(probe_file(path, &info), EF_OK);
  ck_assert_int_eq(info.has_video, 1);
  ck_assert_int_eq(info.has_audio, 0);
  ck_assert_int_eq(info.width, 64);
  ck_assert_int_eq(info.height, 48);
  ck_assert_int_eq(info.rate_num, 30000);
  ck_assert_int_eq(info.rate_den, 1001);
  ck_assert_double_eq_tol(info.duration, 2.002, 1e-9);
  ck_assert_int_eq(info.num_frames, 60);
  free(path);
}
END_TEST

START_TEST(test_probe_audio) {
  char *path = fx("audio.mp4");
  probe_info info;

  ck_assert_int_eq(probe_file(path, &info), EF_OK);
  ck_assert_int_eq(info.has_video, 0);
  ck_assert_int_eq(info.has_audio, 1);
  ck_assert_int_eq(info.audio_sample_rate, 44100);
  ck_assert_int_eq(info.audio_channels, 1);
  ck_assert_double_gt(info.duration, 0.9);
  free(path);
}
END_TEST

START_TEST(test_sampled_frames) {
  ck_assert_int_eq(probe_sampled_frames(10.0, 30, 1), 300);
  ck_assert_int_eq(probe_sampled_frames(10.001, 30, 1), 301);
  ck_assert_int_eq(probe_sampled_frames(2.0, 30, 1), 60);
  ck_assert_int_eq(probe_sampled_frames(0.5, 30000, 1001), 15);
  ck_assert_int_eq(probe_sampled_frames(1.0, 25, 1), 25);
  /* The double 0.1 lies just above 1/10, so k = 1 is before it; a float
   * product (0.1 * 10 == 1.0) would say otherwise. */
  ck_assert_int_eq(probe_sampled_frames(0.1, 10, 1), 2);
  ck_assert_int_eq(probe_sampled_frames(1e-9, 30, 1), 1);
  ck_assert_int_eq(probe_sampled_frames(0.0, 30, 1), 0);
  ck_assert_int_eq(probe_sampled_frames(-1.0, 30, 1), 0);
  ck_assert_int_eq(probe_sampled_frames(NAN, 30, 1), 0);
  ck_assert_int_eq(probe_sampled_frames(5.0, 0, 1), 0);
  ck_assert_int_eq(probe_sampled_frames(3600.0, 30000, 1001), 107893);
}
END_TEST

/* ---- Runner -------------------------------------------------------------- */

static Suite *decode_suite(void) {
  Suite *s = suite_create("decode");
  TCase *sampling = tcase_create("sampling");
  TCase *colour = tcase_create("colour");
  TCase *errors = tcase_create("errors");
  TCase *memory = tcase_create("memory");
  TCase *probe = tcase_create("probe");

  tcase_add_test(sampling, test_same_rate_gives_every_frame);
  tcase_add_test(sampling, test_25_to_30_repeats);
  tcase_add_test(sampling, test_ntsc_to_30);
  tcase_add_test(sampling, test_60_to_30_every_other);
  tcase_add_test(sampling, test_variable_rate);
  tcase_add_test(sampling, test_low_target_rate);
  tcase_add_test(sampling, test_threads_do_not_change_output);
  tcase_add_test(sampling, test_duration);
  tcase_add_test(colour, test_rgb_matches_pyav);
  tcase_add_test(errors, test_missing_file);
  tcase_add_test(errors, test_text_file);
  tcase_add_test(errors, test_audio_only);
  tcase_add_test(errors, test_empty_file);
  tcase_add_test(errors, test_mp4_without_index);
  tcase_add_test(errors, test_truncated);
  tcase_add_test(errors, test_corrupt_middle_is_skipped);
  tcase_add_test(errors, test_no_decodable_frames);
  tcase_add_test(memory, test_long_clip_one_buffer);
  tcase_add_test(memory, test_close_midway);
  tcase_add_test(probe, test_probe_video);
  tcase_add_test(probe, test_probe_audio);
  tcase_add_test(probe, test_sampled_frames);
  /* Fixtures are encoded on first use, which can take seconds. */
  TCase *all[] = {sampling, colour, errors, memory, probe};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    tcase_set_timeout(all[i], 120);
  suite_add_tcase(s, sampling);
  suite_add_tcase(s, colour);
  suite_add_tcase(s, errors);
  suite_add_tcase(s, memory);
  suite_add_tcase(s, probe);
  return s;
}

int main(void) {
  SRunner *sr;
  int failed;

  g_dir = tu_tmpdir();
  if (!g_dir) {
    fprintf(stderr, "cannot make a temporary folder\n");
    return 1;
  }
  sr = srunner_create(decode_suite());
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  tu_rmrf(g_dir);
  free(g_dir);
  return failed == 0 ? 0 : 1;
}
