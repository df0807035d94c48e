/*
 * audio_windows.c - one file's audio to window items (see the header).
 *
 * Windows follow the video rules (window.h) in samples: N = n - W, the
 * back-padded last window, and a file shorter than one window is a single
 * window of the whole file (no padding: a spectrogram of silence would
 * change the features). The reference's configs ask for 100,000,000-frame
 * windows, so by default the whole file is one window.
 */
#include "window/audio_windows.h"

#include <stdlib.h>
#include <string.h>

#include "media/audio_decode.h"
#include "media/mel.h"
#include "util/clock.h"
#include "util/error.h"
#include "window/queue.h"
#include "window/window.h"

struct audio_windows {
  const ef_settings *s;
  mel *mel; /* NULL unless the kind is mel_spectrogram */
  double busy;
};

void audio_window_samples(const ef_settings *s, int64_t *window,
                          int64_t *stride) {
  /* frames at fps -> seconds -> samples; double keeps 1e8 frames exact. */
  double per_frame =
      (double)s->audio_rate * (double)s->fps_den / (double)s->fps_num;
  double w = (double)s->frame_window * per_frame;
  double st = (double)s->stride * per_frame;
  *window = w > 9e18 ? INT64_MAX : (int64_t)(w + 0.5);
  *stride = st > 9e18 ? INT64_MAX : (int64_t)(st + 0.5);
  if (*window < 1)
    *window = 1;
  if (*stride < 1)
    *stride = 1;
}

int audio_windows_create(const ef_settings *s, audio_windows **out) {
  *out = NULL;
  audio_windows *aw = calloc(1, sizeof *aw);
  if (!aw)
    return ef_error_set(EF_ENOMEM, "out of memory");
  aw->s = s;
  /* Debug mode shows audio as its spectrogram whatever the model. */
  if (strcmp(s->model_kind, "mel_spectrogram") == 0 || s->debug_mode) {
    mel_spec spec = {
        s->audio_rate, s->n_fft, s->win_length, s->hop_length, s->n_mels,
        0.0,           0.0};
    int rc = mel_create(&spec, &aw->mel);
    if (rc != EF_OK) {
      free(aw);
      return rc;
    }
  }
  *out = aw;
  return EF_OK;
}

/* One window [first, first + len) of the waveform, as samples or mels. */
static int emit_window(audio_windows *aw, size_t video, int64_t index,
                       const float *x, int64_t first, int64_t len, emit_fn emit,
                       void *ctx) {
  item *it = calloc(1, sizeof *it);
  if (!it)
    return ef_error_set(EF_ENOMEM, "out of memory");
  if (aw->mel) {
    int64_t frames = mel_frames(aw->mel, len);
    it->ndim = 2;
    it->shape[0] = aw->s->n_mels;
    it->shape[1] = frames;
    it->data = malloc(sizeof(float) * (size_t)(aw->s->n_mels * frames));
    if (!it->data) {
      free(it);
      return ef_error_set(EF_ENOMEM, "out of memory for a spectrogram");
    }
    int rc = mel_compute(aw->mel, x + first, len, it->data);
    if (rc != EF_OK) {
      item_free(it);
      return rc;
    }
  } else {
    it->ndim = 1;
    it->shape[0] = len;
    it->data = malloc(sizeof(float) * (size_t)len);
    if (!it->data) {
      free(it);
      return ef_error_set(EF_ENOMEM, "out of memory for a window");
    }
    memcpy(it->data, x + first, sizeof(float) * (size_t)len);
  }
  it->kind = ITEM_WINDOW;
  it->video = video;
  it->window = index;
  it->start = (double)first / aw->s->audio_rate;
  it->end = (double)(first + len) / aw->s->audio_rate;
  return emit(ctx, it) ? EF_ECANCELLED : EF_OK;
}

int audio_windows_run(audio_windows *aw, size_t video, const char *path,
                      emit_fn emit, void *ctx) {
  const ef_settings *s = aw->s;
  float *x = NULL;
  int64_t n = 0, W, S;
  double t0 = clock_now_seconds();
  int rc = audio_load(path, s->audio_rate, &x, &n);
  if (rc != EF_OK)
    goto done;
  if (s->normalize_audio)
    audio_normalize_peak(x, n);
  audio_window_samples(s, &W, &S);
  if (W > n)
    W = n; /* one window of the whole file */
  int64_t count = window_count(n, W, S);
  /* Frames at the run's fps, so stats report seconds of media. */
  int64_t frames = (int64_t)((double)n * (double)s->fps_num /
                             ((double)s->fps_den * s->audio_rate));
  rc = emit_status_item(ITEM_START, video, count, frames, emit, ctx);
  for (int64_t i = 0; rc == EF_OK && i < count; i++) {
    int64_t first;
    window_bounds(i, n, W, S, &first);
    rc = emit_window(aw, video, i, x, first, W, emit, ctx);
    if (rc != EF_OK && rc != EF_ECANCELLED)
      ef_error_prefix(path);
  }
  if (rc == EF_OK)
    rc = emit_status_item(ITEM_END, video, count, frames, emit, ctx);
done:
  aw->busy += clock_now_seconds() - t0;
  free(x);
  return rc;
}

double audio_windows_busy_seconds(const audio_windows *aw) {
  return aw->busy;
}

void audio_windows_free(audio_windows *aw) {
  if (!aw)
    return;
  mel_free(aw->mel);
  free(aw);
}
