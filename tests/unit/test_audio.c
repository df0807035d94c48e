/*
 * test_audio.c - unit tests of audio_decode.c and mel.c. The mel
 * filterbank and spectrograms are compared with torchaudio's, computed by
 * tests/reference/reference_audio.py with Debian's python3-torchaudio on
 * the same samples; decoding is checked on files made with ffmpeg's lavfi
 * tone sources, whose length and frequency are known.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ego4dfeat/ego4dfeat.h"
#include "media/audio_decode.h"
#include "media/mel.h"
#include "testutil.h"

static char *g_dir;
/* Something that is not NULL, to see an out parameter reset on failure. */
static char g_junk;
#define JUNK ((void *)&g_junk)

/* ---- Helpers ------------------------------------------------------------- */

/* A file made by ffmpeg on first use. Check runs each test in a forked
 * child, so the files (not memory) carry over between tests. */
static char *media(const char *name, const char *args) {
  char *path = tu_path(g_dir, name);
  struct stat sb;

  ck_assert_ptr_nonnull(path);
  if (stat(path, &sb) == 0)
    return path;
  free(path);
  path = tu_ffmpeg(g_dir, name, args);
  ck_assert_msg(path != NULL, "ffmpeg failed to make %s", name);
  return path;
}

static void write_floats(const char *path, const float *x, int64_t n) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(fwrite(x, sizeof *x, (size_t)n, f), (size_t)n);
  ck_assert_int_eq(fclose(f), 0);
}

/* A raw file of `size`-byte values; *n is their count. */
static void *read_raw(const char *path, size_t size, int64_t *n) {
  size_t len = 0;
  char *buf = tu_read_file(path, &len);
  ck_assert_msg(buf != NULL, "cannot read %s", path);
  ck_assert_int_eq(len % size, 0);
  *n = (int64_t)(len / size);
  return buf;
}

/* Sum of sines and a little noise, from a fixed seed. */
static float *test_waveform(int64_t n, int rate, unsigned seed) {
  float *x = malloc((size_t)n * sizeof *x);
  const double freqs[] = {220.0, 1000.0, 3150.5, 6700.0};
  const double amps[] = {0.4, 0.25, 0.15, 0.05};
  uint32_t s = seed;

  ck_assert_ptr_nonnull(x);
  for (int64_t i = 0; i < n; i++) {
    double t = (double)i / rate, v = 0.0;
    for (int k = 0; k < 4; k++)
      v += amps[k] * sin(2.0 * M_PI * freqs[k] * t + k);
    s = s * 1664525u + 1013904223u; /* LCG: the same noise everywhere */
    v += 0.02 * ((double)(s >> 8) / (1 << 24) - 0.5);
    x[i] = (float)v;
  }
  return x;
}

/* Frequency from sign changes: a tone of f Hz crosses zero 2 f times a
 * second. Skips the first and last 0.1 s, where codecs fade in and out. */
static double zero_crossing_hz(const float *x, int64_t n, int rate) {
  int64_t from = rate / 10, to = n - rate / 10, crossings = 0;
  for (int64_t i = from + 1; i < to; i++)
    if ((x[i - 1] < 0.0f) != (x[i] < 0.0f))
      crossings++;
  return (double)crossings / 2.0 / ((double)(to - from - 1) / rate);
}

/* ---- torchaudio's and PyAV's answers ------------------------------------- */

#define WAV_440                                                                \
  "-f lavfi -i sine=frequency=440:sample_rate=16000:duration=2 -c:a pcm_s16le"
#define AAC_1K                                                                 \
  "-f lavfi -i sine=frequency=1000:sample_rate=44100:duration=3 -ac 2 "        \
  "-c:a aac -b:a 128k"

#define MEL_DEFAULT                                                            \
  { 16000, 1024, 1024, 160, 128, 0.0, 0.0 }

typedef struct {
  const char *label;
  mel_spec spec;
  int64_t n;
  unsigned seed;
} mel_case;

/* Waveforms compared with torchaudio's MelSpectrogram: the Ego4D setup on
 * a clip that is not a whole number of hops; the shortest input reflect
 * padding allows, and lengths where every frame touches a padded edge;
 * other FFT sizes, one with more mels than bins can fill (empty filters);
 * a window shorter than n_fft (zero-padded, centred) at another rate with
 * a band-limited filterbank. */
static const mel_case mel_cases[] = {
    {"3 s tones + noise", MEL_DEFAULT, 16000 * 3 + 1234, 1},
    {"short 513", MEL_DEFAULT, 513, 2},
    {"short 514", MEL_DEFAULT, 514, 3},
    {"short 700", MEL_DEFAULT, 700, 4},
    {"short 1023", MEL_DEFAULT, 1023, 5},
    {"short 1024", MEL_DEFAULT, 1024, 6},
    {"short 1025", MEL_DEFAULT, 1025, 7},
    {"n_fft 400, 80 mels", {16000, 400, 400, 160, 80, 0.0, 0.0}, 16000, 9},
    {"n_fft 256, 128 mels, some empty",
     {16000, 256, 256, 64, 128, 0.0, 0.0},
     8000,
     10},
    {"22.05 kHz, win 400 in n_fft 512",
     {22050, 512, 400, 128, 64, 30.0, 8e3},
     22050 + 77,
     8},
};
#define N_MEL_CASES (sizeof mel_cases / sizeof mel_cases[0])

/* Filterbanks compared with melscale_fbanks, and how close each must be.
 * The Ego4D setup matches exactly; in others torch's float32 pow (Sleef)
 * rounds a few mel points one ulp away from a correctly rounded pow,
 * which moves some weights by a few 1e-6. */
static const struct {
  mel_spec spec;
  double tol;
} fb_cases[] = {
    {MEL_DEFAULT, 1e-6}, /* f_max 0: rate / 2 */
    {{44100, 2048, 2048, 512, 80, 20.0, 22050.0}, 5e-5},
    {{22050, 400, 400, 160, 40, 0.0, 11025.0}, 5e-5},
};
#define N_FB_CASES (sizeof fb_cases / sizeof fb_cases[0])

/* Files decoded by PyAV at 16 kHz for comparison. */
static const struct {
  const char *name, *args;
  double tol;
} decode_cases[] = {
    {"tone440.wav", WAV_440, 0.0},
    {"tone1k.mp4", AAC_1K, 1e-6},
};
#define N_DECODE_CASES (sizeof decode_cases / sizeof decode_cases[0])

static char *case_path(const char *what, size_t i) {
  char name[64];
  snprintf(name, sizeof name, "%s_%zu", what, i);
  return tu_path(g_dir, name);
}

/*
 * Writes every input and runs reference_audio.py once for all of them:
 * starting Python with torch takes seconds, each job milliseconds. Tests
 * run in forked children, so the files stay for the tests after.
 */
static void make_references(void) {
  char *stamp = tu_path(g_dir, "references.done");
  char *jobs_path = tu_path(g_dir, "jobs.txt");
  struct stat sb;
  FILE *jobs;

  if (stat(stamp, &sb) == 0)
    goto done;
  jobs = fopen(jobs_path, "w");
  ck_assert_ptr_nonnull(jobs);
  for (size_t i = 0; i < N_MEL_CASES; i++) {
    const mel_case *c = &mel_cases[i];
    char *in = case_path("mel_in", i), *out = case_path("mel_ref", i);
    float *x = test_waveform(c->n, c->spec.sample_rate, c->seed);
    write_floats(in, x, c->n);
    fprintf(jobs, "mel '%s' %d %d %d %d %d %.17g %.17g '%s'\n", in,
            c->spec.sample_rate, c->spec.n_fft, c->spec.win_length,
            c->spec.hop_length, c->spec.n_mels, c->spec.f_min, c->spec.f_max,
            out);
    free(x);
    free(out);
    free(in);
  }
  for (size_t i = 0; i < N_FB_CASES; i++) {
    const mel_spec *s = &fb_cases[i].spec;
    char *out = case_path("fb_ref", i);
    fprintf(jobs, "fbank %d %d %d %.17g %.17g '%s'\n", s->sample_rate, s->n_fft,
            s->n_mels, s->f_min, s->f_max, out);
    free(out);
  }
  for (size_t i = 0; i < N_DECODE_CASES; i++) {
    char *in = media(decode_cases[i].name, decode_cases[i].args);
    char *out = case_path("decode_ref", i);
    fprintf(jobs, "decode '%s' 16000 '%s'\n", in, out);
    free(out);
    free(in);
  }
  ck_assert_int_eq(fclose(jobs), 0);
  ck_assert_int_eq(tu_run("'%s' '%s/tests/reference/reference_audio.py' "
                          "batch '%s'",
                          tu_python(), tu_source_root(), jobs_path),
                   0);
  ck_assert_int_eq(tu_write_file(stamp, "done\n"), 0);
done:
  free(jobs_path);
  free(stamp);
}

typedef struct {
  double max_abs;  /* largest |ours - theirs| */
  double peak;     /* largest |theirs| */
  double max_rel;  /* largest relative difference among values >= 1e-3 peak */
  int64_t outside; /* elements outside allclose(rtol, atol = rtol * peak) */
} diff_stats;

static diff_stats compare(const float *ours, const float *ref, int64_t n,
                          double rtol) {
  diff_stats d = {0, 0, 0, 0};
  for (int64_t i = 0; i < n; i++)
    if (fabs(ref[i]) > d.peak)
      d.peak = fabs(ref[i]);
  for (int64_t i = 0; i < n; i++) {
    double e = fabs((double)ours[i] - ref[i]);
    ck_assert_msg(isfinite(ours[i]), "element %lld is not finite",
                  (long long)i);
    if (e > d.max_abs)
      d.max_abs = e;
    if (fabs(ref[i]) >= 1e-3 * d.peak && e / fabs(ref[i]) > d.max_rel)
      d.max_rel = e / fabs(ref[i]);
    if (e > rtol * d.peak + rtol * fabs(ref[i]))
      d.outside++;
  }
  return d;
}

/* Our spectrogram of case i against torchaudio's; prints the differences. */
static void check_mel_case(size_t i) {
  const mel_case *c = &mel_cases[i];
  char *in = case_path("mel_in", i), *ref_path = case_path("mel_ref", i);
  mel *m = NULL;
  float *x, *ours, *ref;
  int64_t n, frames, ref_n;
  diff_stats d;

  make_references();
  x = read_raw(in, sizeof(float), &n);
  ck_assert_int_eq(n, c->n);
  ref = read_raw(ref_path, sizeof(float), &ref_n);
  ck_assert_int_eq(mel_create(&c->spec, &m), EF_OK);
  frames = mel_frames(m, n);
  ck_assert_int_eq(ref_n, frames * c->spec.n_mels);
  ours = malloc((size_t)ref_n * sizeof *ours);
  ck_assert_ptr_nonnull(ours);
  ck_assert_int_eq(mel_compute(m, x, n, ours), EF_OK);

  d = compare(ours, ref, ref_n, 1e-4);
  fprintf(stderr,
          "mel %s: %lld samples, %lld frames; max |diff| %.3g = %.3g of the "
          "peak %.4g; max relative diff (values >= 1e-3 peak) %.3g\n",
          c->label, (long long)n, (long long)frames, d.max_abs,
          d.max_abs / d.peak, d.peak, d.max_rel);
  ck_assert_msg(d.outside == 0,
                "%s: %lld of %lld values differ from torchaudio beyond "
                "rtol 1e-4, atol 1e-4 * peak (max diff %g, peak %g)",
                c->label, (long long)d.outside, (long long)ref_n, d.max_abs,
                d.peak);
  free(ours);
  free(ref);
  free(x);
  mel_free(m);
  free(ref_path);
  free(in);
}

/* ---- Mel filterbank ------------------------------------------------------ */

START_TEST(test_filterbank_matches_torchaudio) {
  for (size_t i = 0; i < N_FB_CASES; i++) {
    const mel_spec *s = &fb_cases[i].spec;
    char *ref_path = case_path("fb_ref", i);
    int64_t n, n_freqs = s->n_fft / 2 + 1;
    double *ref, max_diff = 0.0;
    const double *fb;
    mel *m = NULL;

    make_references();
    ref = read_raw(ref_path, sizeof(double), &n);
    ck_assert_int_eq(n, n_freqs * s->n_mels);
    ck_assert_int_eq(mel_create(s, &m), EF_OK);
    fb = mel_filterbank(m);
    for (int64_t k = 0; k < n; k++)
      if (fabs(fb[k] - ref[k]) > max_diff)
        max_diff = fabs(fb[k] - ref[k]);
    fprintf(stderr, "filterbank %d Hz, n_fft %d, %d mels: max |diff| %.3g\n",
            s->sample_rate, s->n_fft, s->n_mels, max_diff);
    ck_assert_msg(max_diff <= fb_cases[i].tol,
                  "filterbank %zu differs from torchaudio's by %g", i,
                  max_diff);
    mel_free(m);
    free(ref);
    free(ref_path);
  }
}
END_TEST

/* Weights are triangles: nonnegative, at most 1, and each filter's
 * nonzero weights form one band. */
START_TEST(test_filterbank_shape) {
  mel_spec spec = mel_spec_default();
  mel *m = NULL;
  const double *fb;

  ck_assert_int_eq(mel_create(&spec, &m), EF_OK);
  fb = mel_filterbank(m);
  for (int j = 0; j < spec.n_mels; j++) {
    int runs = 0, in_run = 0;
    for (int k = 0; k < spec.n_fft / 2 + 1; k++) {
      double w = fb[k * spec.n_mels + j];
      ck_assert(w >= 0.0 && w <= 1.0);
      if (w > 0.0 && !in_run)
        runs++;
      in_run = w > 0.0;
    }
    ck_assert_int_le(runs, 1);
  }
  mel_free(m);
}
END_TEST

/* ---- Mel spectrogram ----------------------------------------------------- */

START_TEST(test_mel_matches_torchaudio) {
  check_mel_case(0);
}
END_TEST

START_TEST(test_mel_short_inputs) {
  for (size_t i = 0; i < N_MEL_CASES; i++)
    if (strncmp(mel_cases[i].label, "short", 5) == 0)
      check_mel_case(i);
}
END_TEST

START_TEST(test_mel_other_setups) {
  for (size_t i = 1; i < N_MEL_CASES; i++)
    if (strncmp(mel_cases[i].label, "short", 5) != 0)
      check_mel_case(i);
}
END_TEST

START_TEST(test_frame_count) {
  mel_spec spec = mel_spec_default();
  mel *m = NULL;

  ck_assert_int_eq(mel_create(&spec, &m), EF_OK);
  ck_assert_int_eq(mel_frames(m, 512), 0);
  ck_assert_int_eq(mel_frames(m, 513), 1 + 513 / 160);
  ck_assert_int_eq(mel_frames(m, 16000), 101);
  ck_assert_int_eq(mel_frames(m, 16159), 101);
  ck_assert_int_eq(mel_frames(m, 16160), 102);
  ck_assert_int_eq(mel_frames(m, (int64_t)16000 * 3600), 360001);
  mel_free(m);
}
END_TEST

START_TEST(test_too_short) {
  mel_spec spec = mel_spec_default();
  mel *m = NULL;
  float x[512] = {0}, out[128 * 8];

  ck_assert_int_eq(mel_create(&spec, &m), EF_OK);
  ck_assert_int_eq(mel_compute(m, x, 512, out), EF_EINVAL);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "too short for n_fft 1024"));
  ck_assert_int_eq(mel_compute(m, x, 0, out), EF_EINVAL);
  mel_free(m);
}
END_TEST

START_TEST(test_bad_spec) {
  const mel_spec bad[] = {
      {0, 1024, 1024, 160, 128, 0, 0},       /* rate */
      {16000, 1, 1, 160, 128, 0, 0},         /* n_fft */
      {16000, 1024, 2048, 160, 128, 0, 0},   /* window longer than n_fft */
      {16000, 1024, 1024, -1, 128, 0, 0},    /* hop */
      {16000, 1024, 1024, 160, 0, 0, 0},     /* n_mels */
      {16000, 1024, 1024, 160, 128, 9e3, 0}, /* f_min above f_max */
      {16000, 1024, 1024, 160, 128, -1, 0},  /* negative f_min */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    mel *m = JUNK;
    ck_assert_int_eq(mel_create(&bad[i], &m), EF_EINVAL);
    ck_assert_ptr_null(m);
    ck_assert_ptr_nonnull(strstr(ef_last_error(), "mel: "));
  }
}
END_TEST

/* Silence gives zeros, not NaN or garbage. */
START_TEST(test_mel_of_silence) {
  mel_spec spec = mel_spec_default();
  mel *m = NULL;
  float *x = calloc(16000, sizeof *x);
  float *out;
  int64_t frames;

  ck_assert_ptr_nonnull(x);
  ck_assert_int_eq(mel_create(&spec, &m), EF_OK);
  frames = mel_frames(m, 16000);
  out = malloc((size_t)frames * 128 * sizeof *out);
  ck_assert_ptr_nonnull(out);
  ck_assert_int_eq(mel_compute(m, x, 16000, out), EF_OK);
  for (int64_t i = 0; i < frames * 128; i++)
    ck_assert(out[i] == 0.0f);
  free(out);
  free(x);
  mel_free(m);
}
END_TEST

/* A 1 kHz tone peaks in the mel bin whose centre is nearest 1 kHz. */
static int mel_peak_bin(const float *x, int64_t n) {
  mel_spec spec = mel_spec_default();
  mel *m = NULL;
  int64_t frames;
  float *out;
  int best = 0;
  double best_e = -1.0;

  ck_assert_int_eq(mel_create(&spec, &m), EF_OK);
  frames = mel_frames(m, n);
  out = malloc((size_t)frames * 128 * sizeof *out);
  ck_assert_ptr_nonnull(out);
  ck_assert_int_eq(mel_compute(m, x, n, out), EF_OK);
  for (int j = 0; j < 128; j++) {
    double e = 0.0;
    for (int64_t f = 0; f < frames; f++)
      e += out[j * frames + f];
    if (e > best_e) {
      best_e = e;
      best = j;
    }
  }
  free(out);
  mel_free(m);
  return best;
}

/* The HTK mel bin centred nearest f for the default setup. */
static int expected_mel_bin(double f) {
  double top = 2595.0 * log10(1.0 + 8000.0 / 700.0);
  double mel = 2595.0 * log10(1.0 + f / 700.0);
  return (int)lround(mel / top * 129.0) - 1;
}

/* ---- Decoding ------------------------------------------------------------ */

START_TEST(test_wav_16k_mono) {
  char *path = media("tone440.wav", WAV_440);
  float *x = NULL;
  int64_t n = 0;
  double hz;

  ck_assert_int_eq(audio_load(path, 16000, &x, &n), EF_OK);
  ck_assert_int_eq(n, 32000);
  hz = zero_crossing_hz(x, n, 16000);
  ck_assert_msg(fabs(hz - 440.0) < 2.0, "tone at %g Hz, not 440", hz);
  ck_assert_int_eq(mel_peak_bin(x, n), expected_mel_bin(440.0));
  free(x);
  free(path);
}
END_TEST

START_TEST(test_aac_44k_stereo) {
  char *path = media("tone1k.mp4", AAC_1K);
  float *x = NULL;
  int64_t n = 0;
  double hz;

  ck_assert_int_eq(audio_load(path, 16000, &x, &n), EF_OK);
  /* The encoder pads the last AAC frame to 1024 samples. The mp4 says so
   * (its last packet lasts 204 samples), but FFmpeg 5.1's demuxer does
   * not trim it, so ffmpeg, PyAV and this reader all decode the padding:
   * 3 s and at most one frame (1024 / 44100 s = 372 samples at 16 kHz). */
  ck_assert_msg(n >= 48000 && n <= 48000 + 372, "%lld samples, not 48000",
                (long long)n);
  hz = zero_crossing_hz(x, n, 16000);
  ck_assert_msg(fabs(hz - 1000.0) < 3.0, "tone at %g Hz, not 1000", hz);
  ck_assert_int_eq(mel_peak_bin(x, n), expected_mel_bin(1000.0));
  free(x);
  free(path);
}
END_TEST

/* The same samples as PyAV's decoding and libswresample resampling. */
START_TEST(test_decode_matches_pyav) {
  for (size_t i = 0; i < N_DECODE_CASES; i++) {
    char *path = media(decode_cases[i].name, decode_cases[i].args);
    char *ref_path = case_path("decode_ref", i);
    float *x = NULL, *ref;
    int64_t n = 0, ref_n;
    double max_diff = 0.0;

    make_references();
    ref = read_raw(ref_path, sizeof(float), &ref_n);
    ck_assert_int_eq(audio_load(path, 16000, &x, &n), EF_OK);
    ck_assert_int_eq(n, ref_n);
    for (int64_t k = 0; k < n; k++)
      if (fabs((double)x[k] - ref[k]) > max_diff)
        max_diff = fabs((double)x[k] - ref[k]);
    fprintf(stderr,
            "decode %s at 16 kHz: %lld samples (PyAV %lld), max "
            "diff %g\n",
            decode_cases[i].name, (long long)n, (long long)ref_n, max_diff);
    ck_assert_msg(max_diff <= decode_cases[i].tol, "%s differs from PyAV by %g",
                  decode_cases[i].name, max_diff);
    free(x);
    free(ref);
    free(ref_path);
    free(path);
  }
}
END_TEST

/* Reading in odd-sized pieces gives exactly what audio_load() gives. */
START_TEST(test_read_in_pieces) {
  char *path = media("tone1k.mp4", AAC_1K);
  audio_reader *r = NULL;
  float *all = NULL, *pieces;
  int64_t n = 0, got = 0, k;

  ck_assert_int_eq(audio_load(path, 16000, &all, &n), EF_OK);
  pieces = malloc((size_t)(n + 1000) * sizeof *pieces);
  ck_assert_ptr_nonnull(pieces);
  ck_assert_int_eq(audio_open(path, 16000, &r), EF_OK);
  while ((k = audio_read(r, pieces + got, 997)) > 0)
    got += k;
  ck_assert_int_eq(k, 0);
  ck_assert_int_eq(audio_read(r, pieces, 10), 0); /* stays at the end */
  ck_assert_int_eq(got, n);
  ck_assert_int_eq(memcmp(all, pieces, (size_t)n * sizeof *all), 0);
  audio_close(r);
  free(pieces);
  free(all);
  free(path);
}
END_TEST

/* Rates other than 16 kHz, up and down. */
START_TEST(test_other_rates) {
  char *path = media("tone440.wav", WAV_440);
  const int rates[] = {8000, 22050, 48000};
  for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
    float *x = NULL;
    int64_t n = 0;
    ck_assert_int_eq(audio_load(path, rates[i], &x, &n), EF_OK);
    ck_assert_msg(llabs(n - 2 * (int64_t)rates[i]) <= 2,
                  "%lld samples at %d Hz", (long long)n, rates[i]);
    ck_assert(fabs(zero_crossing_hz(x, n, rates[i]) - 440.0) < 2.0);
    free(x);
  }
  free(path);
}
END_TEST

START_TEST(test_close_midway) {
  char *path = media("tone1k.mp4", AAC_1K);
  audio_reader *r = NULL;
  float buf[100];

  ck_assert_int_eq(audio_open(path, 16000, &r), EF_OK);
  ck_assert_int_eq(audio_read(r, buf, 100), 100);
  audio_close(r);
  audio_close(NULL);
  free(path);
}
END_TEST

/* ---- Normalisation and silence ------------------------------------------- */

START_TEST(test_normalize_peak) {
  float x[] = {0.1f, -0.5f, 0.25f, 0.0f};
  float z[] = {0.0f, 0.0f, -0.0f};

  audio_normalize_peak(x, 4);
  ck_assert(x[1] == -1.0f);
  ck_assert(x[0] == 0.1f / 0.5f && x[2] == 0.5f && x[3] == 0.0f);
  audio_normalize_peak(z, 3);
  for (int i = 0; i < 3; i++)
    ck_assert(z[i] == 0.0f && !isnan(z[i]));
  audio_normalize_peak(NULL, 0);
}
END_TEST

START_TEST(test_normalize_decoded) {
  char *path = media("tone1k.mp4", AAC_1K);
  float *x = NULL, peak = 0.0f;
  int64_t n = 0;

  ck_assert_int_eq(audio_load(path, 16000, &x, &n), EF_OK);
  audio_normalize_peak(x, n);
  for (int64_t i = 0; i < n; i++)
    if (fabsf(x[i]) > peak)
      peak = fabsf(x[i]);
  ck_assert(peak == 1.0f);
  free(x);
  free(path);
}
END_TEST

START_TEST(test_silence) {
  char *path = media("silence.wav", "-f lavfi -i anullsrc=r=16000:cl=mono "
                                    "-t 1 -c:a pcm_s16le");
  float *x = NULL;
  int64_t n = 0;

  ck_assert_int_eq(audio_load(path, 16000, &x, &n), EF_OK);
  ck_assert_int_eq(n, 16000);
  audio_normalize_peak(x, n);
  for (int64_t i = 0; i < n; i++)
    ck_assert(x[i] == 0.0f);
  free(x);
  free(path);
}
END_TEST

/* ---- Errors -------------------------------------------------------------- */

START_TEST(test_video_only) {
  char *path = media("video.mp4", "-f lavfi -i testsrc2=s=64x48:r=10 -t 1 "
                                  "-c:v mpeg4");
  audio_reader *r = JUNK;
  float *x = JUNK;
  int64_t n = 5;
  char expect[4096];

  snprintf(expect, sizeof expect, "%s: no audio stream", path);
  ck_assert_int_eq(audio_open(path, 16000, &r), EF_ENOSTREAM);
  ck_assert_ptr_null(r);
  ck_assert_str_eq(ef_last_error(), expect);
  ck_assert_int_eq(audio_load(path, 16000, &x, &n), EF_ENOSTREAM);
  ck_assert_ptr_null(x);
  ck_assert_int_eq(n, 0);
  ck_assert_str_eq(ef_last_error(), expect);
  free(path);
}
END_TEST

START_TEST(test_missing_file) {
  char *path = tu_path(g_dir, "missing.mp4");
  audio_reader *r = NULL;

  ck_assert_int_eq(audio_open(path, 16000, &r), EF_ENOTFOUND);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), path));
  free(path);
}
END_TEST

START_TEST(test_text_and_empty_files) {
  char *text = tu_path(g_dir, "text.mp4");
  char *empty = tu_path(g_dir, "empty.wav");
  float *x = NULL;
  int64_t n = 0;

  ck_assert_int_eq(tu_write_file(text, "this is not audio\n"), 0);
  ck_assert_int_eq(tu_write_file(empty, ""), 0);
  ck_assert_int_eq(audio_load(text, 16000, &x, &n), EF_EDECODE);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), text));
  ck_assert_int_eq(audio_load(empty, 16000, &x, &n), EF_EDECODE);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), empty));
  ck_assert_ptr_null(x);
  free(empty);
  free(text);
}
END_TEST

/* A wav header with no samples after it. */
START_TEST(test_no_samples) {
  char *path = media("nothing.wav", "-f lavfi -i anullsrc=r=16000:cl=mono "
                                    "-t 0 -c:a pcm_s16le");
  float *x = NULL;
  int64_t n = 3;

  ck_assert_int_eq(audio_load(path, 16000, &x, &n), EF_EDECODE);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "the audio stream has no "
                                                "samples"));
  ck_assert_ptr_nonnull(strstr(ef_last_error(), path));
  ck_assert_ptr_null(x);
  ck_assert_int_eq(n, 0);
  free(path);
}
END_TEST

START_TEST(test_bad_rate) {
  char *path = media("tone440.wav", WAV_440);
  audio_reader *r = NULL;
  ck_assert_int_eq(audio_open(path, 0, &r), EF_EINVAL);
  ck_assert_ptr_null(r);
  free(path);
}
END_TEST

/* Garbage over the middle of the compressed stream: decoding must end
 * (with fewer or damaged samples, or a clear error), never crash. */
static void check_corrupt(const char *name, const char *args, int64_t expect) {
  char *path = media(name, args);
  char out_name[256];
  char *bad;
  struct stat sb;
  float *x = NULL;
  int64_t n = 0;
  int rc;

  snprintf(out_name, sizeof out_name, "corrupt_%s", name);
  bad = tu_path(g_dir, out_name);
  ck_assert_int_eq(stat(path, &sb), 0);
  ck_assert_int_eq(tu_run("cp '%s' '%s' && yes 'not audio at all!' | "
                          "head -c 6000 | dd of='%s' bs=1 seek=%lld "
                          "conv=notrunc status=none",
                          path, bad, bad, (long long)sb.st_size / 2),
                   0);
  rc = audio_load(bad, 16000, &x, &n);
  fprintf(stderr, "corrupt %s: rc %d, %lld samples (intact: %lld)%s%s\n", name,
          rc, (long long)n, (long long)expect, rc < 0 ? ", " : "",
          rc < 0 ? ef_last_error() : "");
  if (rc == EF_OK) {
    ck_assert_int_le(n, expect + 16);
    for (int64_t i = 0; i < n; i++)
      ck_assert(!isnan(x[i]));
    free(x);
  } else {
    ck_assert_ptr_null(x);
    ck_assert_ptr_nonnull(strstr(ef_last_error(), bad));
  }
  free(bad);
  free(path);
}

START_TEST(test_corrupt_middle) {
  check_corrupt("long_aac.mp4",
                "-f lavfi -i sine=frequency=700:sample_rate=44100:duration=6 "
                "-ac 2 -c:a aac",
                6 * 16000);
  check_corrupt("long.mp3",
                "-f lavfi -i sine=frequency=700:sample_rate=44100:duration=6 "
                "-c:a libmp3lame",
                6 * 16000);
  check_corrupt("long.ogg",
                "-f lavfi -i sine=frequency=700:sample_rate=48000:duration=6 "
                "-c:a libopus",
                6 * 16000);
}
END_TEST

/* A file cut in half (moov first, so it still opens) gives the first part
 * of the stream. */
START_TEST(test_truncated) {
  char *path =
      media("faststart.mp4", "-f lavfi -i sine=frequency=700:sample_rate=44100:"
                             "duration=6 -ac 2 -c:a aac -movflags +faststart");
  char *half = tu_path(g_dir, "half_faststart.mp4");
  struct stat sb;
  float *x = NULL;
  int64_t n = 0;

  ck_assert_int_eq(stat(path, &sb), 0);
  ck_assert_int_eq(
      tu_run("head -c %lld '%s' > '%s'", (long long)sb.st_size / 2, path, half),
      0);
  ck_assert_int_eq(audio_load(half, 16000, &x, &n), EF_OK);
  ck_assert_int_gt(n, 16000);
  ck_assert_int_lt(n, 5 * 16000);
  ck_assert(fabs(zero_crossing_hz(x, n, 16000) - 700.0) < 3.0);
  free(x);
  free(half);
  free(path);
}
END_TEST

/* ---- Runner -------------------------------------------------------------- */

static Suite *audio_suite(void) {
  Suite *s = suite_create("audio");
  TCase *fbank = tcase_create("filterbank");
  TCase *spec = tcase_create("spectrogram");
  TCase *decode = tcase_create("decode");
  TCase *norm = tcase_create("normalise");
  TCase *errors = tcase_create("errors");

  tcase_add_test(fbank, test_filterbank_matches_torchaudio);
  tcase_add_test(fbank, test_filterbank_shape);
  tcase_add_test(spec, test_mel_matches_torchaudio);
  tcase_add_test(spec, test_mel_short_inputs);
  tcase_add_test(spec, test_mel_other_setups);
  tcase_add_test(spec, test_frame_count);
  tcase_add_test(spec, test_too_short);
  tcase_add_test(spec, test_bad_spec);
  tcase_add_test(spec, test_mel_of_silence);
  tcase_add_test(decode, test_wav_16k_mono);
  tcase_add_test(decode, test_aac_44k_stereo);
  tcase_add_test(decode, test_decode_matches_pyav);
  tcase_add_test(decode, test_read_in_pieces);
  tcase_add_test(decode, test_other_rates);
  tcase_add_test(decode, test_close_midway);
  tcase_add_test(norm, test_normalize_peak);
  tcase_add_test(norm, test_normalize_decoded);
  tcase_add_test(norm, test_silence);
  tcase_add_test(errors, test_video_only);
  tcase_add_test(errors, test_missing_file);
  tcase_add_test(errors, test_text_and_empty_files);
  tcase_add_test(errors, test_no_samples);
  tcase_add_test(errors, test_bad_rate);
  tcase_add_test(errors, test_corrupt_middle);
  tcase_add_test(errors, test_truncated);
  /* Fixtures and torch references are made on first use: seconds each. */
  TCase *all[] = {fbank, spec, decode, norm, errors};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    tcase_set_timeout(all[i], 300);
    suite_add_tcase(s, all[i]);
  }
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
  sr = srunner_create(audio_suite());
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  tu_rmrf(g_dir);
  free(g_dir);
  return failed == 0 ? 0 : 1;
}
