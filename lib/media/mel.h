/*
 * mel.h - power mel spectrograms, equal to torchaudio's MelSpectrogram
 * (power 2, center=True with reflect padding, periodic Hann window, HTK
 * mel scale, no filter normalisation) on the same waveform.
 *
 * A mel handle holds the window, the filterbank, an av_tx real FFT and its
 * buffers, so one handle computes any number of spectrograms cheaply. A
 * handle is not safe to use from two threads at once; make one per thread.
 */
#ifndef EF_MEL_H
#define EF_MEL_H

#include <stdint.h>

typedef struct {
  int sample_rate; /* Hz */
  int n_fft;       /* FFT size, even; n_fft / 2 + 1 frequency bins */
  int win_length;  /* Hann window length <= n_fft; 0 means n_fft */
  int hop_length;  /* samples between frames; 0 means win_length / 2 */
  int n_mels;
  double f_min; /* Hz */
  double f_max; /* Hz; <= 0 means sample_rate / 2 (integer division) */
} mel_spec;

/* The audio_mel_spectrogram setup: 16 kHz, n_fft 1024, hop 160, 128 mels. */
mel_spec mel_spec_default(void);

typedef struct mel mel;

/* Builds the window, filterbank and FFT for `spec`. EF_EINVAL for a bad
 * field (the message names it), EF_ENOMEM. */
int mel_create(const mel_spec *spec, mel **out);
/* Frames a waveform of n samples gives: 1 + (n + 2 (n_fft / 2) - n_fft) /
 * hop, i.e. 1 + n / hop for an even n_fft; 0 when n is too short (fewer
 * than n_fft / 2 + 1 samples, which reflect padding needs). */
int64_t mel_frames(const mel *m, int64_t n_samples);
/* The spectrogram of x[0..n) into out, [n_mels][mel_frames(n)] row-major,
 * float32 like torchaudio's. EF_EINVAL "audio too short for n_fft ..." when
 * n < n_fft / 2 + 1 (torch refuses such input too). */
int mel_compute(mel *m, const float *x, int64_t n, float *out);
/* The filterbank, [n_fft / 2 + 1][n_mels] row-major, owned by m. */
const double *mel_filterbank(const mel *m);
void mel_free(mel *m);

#endif
