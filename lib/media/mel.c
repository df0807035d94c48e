/*
 * mel.c - owns the mel handle of mel.h: the periodic Hann window, the HTK
 * mel filterbank of torchaudio.functional.melscale_fbanks, and the framing,
 * real FFT (libavutil's av_tx, in double) and filtering that turn a
 * waveform into torchaudio.transforms.MelSpectrogram's output.
 *
 * The filterbank reproduces torch's float32 arithmetic step by step rather
 * than the exact formula: torch rounds the mel points and slopes to float,
 * which moves filter values by up to 1.5e-5, and a filterbank computed
 * exactly would differ from the reference by that much. (This relies on
 * each float operation rounding on its own: no FMA contraction, which is
 * what GCC does under -std=c11 and on x86-64 without -march flags.) The
 * spectrogram itself is computed in double; torch's float32 FFT is the
 * less exact one.
 *
 * Each mel filter is a triangle over a narrow band of bins, so it is
 * stored as a band plus weights and applied to that band only: with 128
 * mels over 513 bins that is about 1,000 products a frame instead of
 * 65,664.
 */
#include "media/mel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/mem.h>
#include <libavutil/tx.h>

#include "util/error.h"

/* Frames filtered into a scratch block before it is scattered into the
 * [n_mels][frames] output, so each output row gets runs of consecutive
 * writes instead of one float per frame. */
#define BLOCK 64

/* Past this the float32 filterbank arithmetic and int sizes lose meaning. */
#define MAX_N_FFT (1 << 20)
#define MAX_N_MELS 16384

/* M_PI is POSIX, not C11. */
static const double PI = 3.14159265358979323846;

struct mel {
  mel_spec spec;
  int n_freqs; /* n_fft / 2 + 1 */
  int pad;     /* reflect padding on each side: n_fft / 2 */
  int win_off; /* where the window starts inside an n_fft frame */

  double *window; /* [win_length] */
  double *fb;     /* [n_freqs][n_mels] */
  int *band_lo;   /* per mel: its first bin with a nonzero weight */
  int *band_len;  /* per mel: how many bins from band_lo */
  double *band_w; /* the weights of every band, one after another */
  int64_t *band_at;

  AVTXContext *tx;
  av_tx_fn tx_fn;
  double *frame;    /* [n_fft], av_malloc'd for av_tx's alignment */
  double *spectrum; /* [n_freqs] complex = 2 n_freqs doubles */
  double *power;    /* [n_freqs] */
  float *block;     /* [BLOCK][n_mels] */
};

mel_spec mel_spec_default(void) {
  mel_spec s = {16000, 1024, 1024, 160, 128, 0.0, 0.0};
  return s;
}

/* ---- Filterbank (torch's float32 arithmetic) -------------------------- */

static double hz_to_mel(double hz) {
  return 2595.0 * log10(1.0 + hz / 700.0);
}

/*
 * torch.linspace(a, b, steps) for float32, element for element. Torch
 * computes the first half as a + step * i and the second as
 * b - step * (steps - 1 - i), but fills whole 8-lane vectors (two per
 * pass) as base + k * step from each vector's first element; only the
 * tail that does not fill two vectors takes the per-element formula. The
 * two orders round differently, by one float ulp of the mel points.
 */
static void torch_linspace_f32(float a, float b, int steps, float *out) {
  enum { LANES = 8 };
  float step = steps > 1 ? (b - a) / (float)(steps - 1) : 0.0f;
  int half = steps / 2;
  int vec_end = steps / (2 * LANES) * (2 * LANES);

  for (int i = 0; i < vec_end; i += LANES) {
    float base =
        i < half ? a + step * (float)i : b - step * (float)(steps - i - 1);
    for (int k = 0; k < LANES; k++)
      out[i + k] = base + (float)k * step;
  }
  for (int i = vec_end; i < steps; i++)
    out[i] = i < half ? a + step * (float)i : b - step * (float)(steps - i - 1);
}

/* melscale_fbanks(n_freqs, f_min, f_max, n_mels, rate, norm=None, "htk"). */
static int build_filterbank(mel *m) {
  const mel_spec *s = &m->spec;
  int nf = m->n_freqs, nm = s->n_mels;
  float *all = malloc((size_t)nf * sizeof *all);
  float *pts = malloc((size_t)(nm + 2) * sizeof *pts);
  float *diff = malloc((size_t)(nm + 1) * sizeof *diff);
  int rc = EF_OK;

  if (!all || !pts || !diff) {
    rc = ef_error_set(EF_ENOMEM, "out of memory for the mel filterbank");
    goto done;
  }
  /* all_freqs = linspace(0, rate // 2, n_freqs): integer division, so an
   * odd rate's top bin is not rate / 2. */
  torch_linspace_f32(0.0f, (float)(s->sample_rate / 2), nf, all);
  torch_linspace_f32((float)hz_to_mel(s->f_min), (float)hz_to_mel(s->f_max),
                     nm + 2, pts);
  /* mel_to_hz: 700 * (10 ** (mel / 2595) - 1), each step in float. */
  for (int i = 0; i < nm + 2; i++) {
    float e = pts[i] / 2595.0f;
    float p = (float)pow(10.0, (double)e);
    pts[i] = 700.0f * (p - 1.0f);
  }
  for (int i = 0; i < nm + 1; i++)
    diff[i] = pts[i + 1] - pts[i];
  for (int k = 0; k < nf; k++)
    for (int j = 0; j < nm; j++) {
      float down = -(pts[j] - all[k]) / diff[j];
      float up = (pts[j + 2] - all[k]) / diff[j + 1];
      float w = fminf(down, up);
      m->fb[(size_t)k * nm + j] = w > 0.0f ? w : 0.0f;
    }
done:
  free(diff);
  free(pts);
  free(all);
  return rc;
}

/* Each filter's nonzero band, packed, for the filtering loop. */
static int build_bands(mel *m) {
  int nf = m->n_freqs, nm = m->spec.n_mels;
  int64_t total = 0;

  m->band_lo = calloc((size_t)nm, sizeof *m->band_lo);
  m->band_len = calloc((size_t)nm, sizeof *m->band_len);
  m->band_at = calloc((size_t)nm, sizeof *m->band_at);
  if (!m->band_lo || !m->band_len || !m->band_at)
    return ef_error_set(EF_ENOMEM, "out of memory for the mel filterbank");
  for (int j = 0; j < nm; j++) {
    int lo = nf, hi = 0;
    for (int k = 0; k < nf; k++)
      if (m->fb[(size_t)k * nm + j] != 0.0) {
        if (k < lo)
          lo = k;
        hi = k + 1;
      }
    m->band_lo[j] = lo < hi ? lo : 0;
    m->band_len[j] = lo < hi ? hi - lo : 0;
    m->band_at[j] = total;
    total += m->band_len[j];
  }
  m->band_w = malloc((size_t)(total > 0 ? total : 1) * sizeof *m->band_w);
  if (!m->band_w)
    return ef_error_set(EF_ENOMEM, "out of memory for the mel filterbank");
  for (int j = 0; j < nm; j++)
    for (int i = 0; i < m->band_len[j]; i++)
      m->band_w[m->band_at[j] + i] =
          m->fb[(size_t)(m->band_lo[j] + i) * nm + j];
  return EF_OK;
}

/* ---- Setup ------------------------------------------------------------- */

/* Fills in the defaults (win_length, hop_length, f_max) and checks. */
static int check_spec(const mel_spec *in, mel_spec *s) {
  *s = *in;
  if (s->win_length == 0)
    s->win_length = s->n_fft;
  if (s->hop_length == 0)
    s->hop_length = s->win_length / 2;
  /* torchaudio's default is float(sample_rate // 2), integer division. */
  if (!(s->f_max > 0.0))
    s->f_max = (double)(s->sample_rate / 2);
  if (s->sample_rate <= 0)
    return ef_error_set(EF_EINVAL, "mel: bad sample_rate %d", s->sample_rate);
  if (s->n_fft < 2 || s->n_fft > MAX_N_FFT)
    return ef_error_set(EF_EINVAL, "mel: n_fft %d is not in [2, %d]", s->n_fft,
                        MAX_N_FFT);
  if (s->win_length < 1 || s->win_length > s->n_fft)
    return ef_error_set(EF_EINVAL, "mel: win_length %d is not in [1, n_fft %d]",
                        s->win_length, s->n_fft);
  if (s->hop_length < 1)
    return ef_error_set(EF_EINVAL, "mel: bad hop_length %d", s->hop_length);
  if (s->n_mels < 1 || s->n_mels > MAX_N_MELS)
    return ef_error_set(EF_EINVAL, "mel: n_mels %d is not in [1, %d]",
                        s->n_mels, MAX_N_MELS);
  if (!(s->f_min >= 0.0) || !(s->f_min < s->f_max) || !isfinite(s->f_max))
    return ef_error_set(EF_EINVAL,
                        "mel: f_min %g and f_max %g must satisfy "
                        "0 <= f_min < f_max",
                        s->f_min, s->f_max);
  return EF_OK;
}

/* torch.hann_window(win_length, periodic=True), centred in n_fft the way
 * torch.stft pads a shorter window. */
static void build_window(mel *m) {
  int w = m->spec.win_length;
  for (int i = 0; i < w; i++)
    m->window[i] = 0.5 - 0.5 * cos(2.0 * PI * i / w);
  m->win_off = (m->spec.n_fft - w) / 2;
}

static int init_fft(mel *m) {
  const double scale = 1.0;
  int n = m->spec.n_fft;
  int rc = av_tx_init(&m->tx, &m->tx_fn, AV_TX_DOUBLE_RDFT, 0, n, &scale, 0);
  if (rc < 0)
    return ef_error_set(EF_EINVAL,
                        "mel: n_fft %d is not supported by the FFT (av_tx)", n);
  m->frame = av_malloc((size_t)n * sizeof *m->frame);
  m->spectrum = av_malloc((size_t)(m->n_freqs + 1) * 2 * sizeof *m->spectrum);
  m->power = malloc((size_t)m->n_freqs * sizeof *m->power);
  m->block = malloc((size_t)BLOCK * m->spec.n_mels * sizeof *m->block);
  if (!m->frame || !m->spectrum || !m->power || !m->block)
    return ef_error_set(EF_ENOMEM, "out of memory for the mel FFT");
  return EF_OK;
}

int mel_create(const mel_spec *spec, mel **out) {
  mel *m;
  int rc;

  *out = NULL;
  m = calloc(1, sizeof *m);
  if (!m)
    return ef_error_set(EF_ENOMEM, "out of memory");
  if ((rc = check_spec(spec, &m->spec)) < 0)
    goto fail;
  m->n_freqs = m->spec.n_fft / 2 + 1;
  m->pad = m->spec.n_fft / 2;
  m->window = malloc((size_t)m->spec.win_length * sizeof *m->window);
  m->fb = malloc((size_t)m->n_freqs * m->spec.n_mels * sizeof *m->fb);
  if (!m->window || !m->fb) {
    rc = ef_error_set(EF_ENOMEM, "out of memory for the mel filterbank");
    goto fail;
  }
  build_window(m);
  if ((rc = build_filterbank(m)) < 0 || (rc = build_bands(m)) < 0 ||
      (rc = init_fft(m)) < 0)
    goto fail;
  *out = m;
  return EF_OK;

fail:
  mel_free(m);
  return rc;
}

/* ---- Computing --------------------------------------------------------- */

int64_t mel_frames(const mel *m, int64_t n_samples) {
  if (n_samples < m->pad + 1)
    return 0;
  return 1 +
         (n_samples + 2 * (int64_t)m->pad - m->spec.n_fft) / m->spec.hop_length;
}

/* torch's 'reflect' padding: mirrored about the edge samples, which are
 * not repeated. Valid for -pad <= i < n + pad because n > pad. */
static int64_t reflect(int64_t i, int64_t n) {
  if (i < 0)
    return -i;
  if (i >= n)
    return 2 * (n - 1) - i;
  return i;
}

/* Windows frame f (starting at f * hop in the padded signal) into m->frame
 * and leaves its power spectrum in m->power. */
static void frame_power(mel *m, const float *x, int64_t n, int64_t f) {
  int n_fft = m->spec.n_fft, w = m->spec.win_length, off = m->win_off;
  int64_t first = f * m->spec.hop_length - m->pad + off; /* window start */
  double *fr = m->frame;
  const double *sp = m->spectrum;

  memset(fr, 0, (size_t)off * sizeof *fr);
  memset(fr + off + w, 0, (size_t)(n_fft - off - w) * sizeof *fr);
  if (first >= 0 && first + w <= n) { /* all but the edge frames */
    const float *src = x + first;
    for (int i = 0; i < w; i++)
      fr[off + i] = m->window[i] * src[i];
  } else {
    for (int i = 0; i < w; i++)
      fr[off + i] = m->window[i] * x[reflect(first + i, n)];
  }
  m->tx_fn(m->tx, m->spectrum, fr, sizeof(double));
  for (int k = 0; k < m->n_freqs; k++)
    m->power[k] = sp[2 * k] * sp[2 * k] + sp[2 * k + 1] * sp[2 * k + 1];
}

static void filter(const mel *m, float *row) {
  for (int j = 0; j < m->spec.n_mels; j++) {
    const double *p = m->power + m->band_lo[j];
    const double *wt = m->band_w + m->band_at[j];
    double acc = 0.0;
    for (int i = 0; i < m->band_len[j]; i++)
      acc += p[i] * wt[i];
    row[j] = (float)acc;
  }
}

int mel_compute(mel *m, const float *x, int64_t n, float *out) {
  int64_t frames = mel_frames(m, n);
  int nm = m->spec.n_mels;

  if (frames == 0)
    return ef_error_set(EF_EINVAL,
                        "audio too short for n_fft %d: %lld samples, reflect "
                        "padding needs at least %d",
                        m->spec.n_fft, (long long)n, m->pad + 1);
  for (int64_t f0 = 0; f0 < frames; f0 += BLOCK) {
    int len = frames - f0 < BLOCK ? (int)(frames - f0) : BLOCK;
    for (int b = 0; b < len; b++) {
      frame_power(m, x, n, f0 + b);
      filter(m, m->block + (size_t)b * nm);
    }
    for (int j = 0; j < nm; j++) {
      float *dst = out + (size_t)j * (size_t)frames + (size_t)f0;
      for (int b = 0; b < len; b++)
        dst[b] = m->block[(size_t)b * nm + j];
    }
  }
  return EF_OK;
}

const double *mel_filterbank(const mel *m) {
  return m->fb;
}

void mel_free(mel *m) {
  if (!m)
    return;
  free(m->block);
  free(m->power);
  av_free(m->spectrum);
  av_free(m->frame);
  av_tx_uninit(&m->tx);
  free(m->band_w);
  free(m->band_at);
  free(m->band_len);
  free(m->band_lo);
  free(m->fb);
  free(m->window);
  free(m);
}
