/*
 * audio_windows.h - the decode -> window stage for one file's audio: the
 * audio stream as mono float at the resample rate, cut into windows of
 * frame_window / fps seconds every stride / fps seconds (by default one
 * window holding the whole file), each handed out as the waveform or, for
 * the mel_spectrogram kind, as its mel spectrogram.
 */
#ifndef EF_AUDIO_WINDOWS_H
#define EF_AUDIO_WINDOWS_H

#include <stddef.h>

#include "config/settings.h"
#include "window/video_windows.h"

typedef struct audio_windows audio_windows;

int audio_windows_create(const ef_settings *s, audio_windows **out);
/* Emits ITEM_START, ITEM_WINDOWs, ITEM_END like video_windows_run. A file
 * without an audio stream returns EF_ENOSTREAM. */
int audio_windows_run(audio_windows *aw, size_t video, const char *path,
                      emit_fn emit, void *ctx);
double audio_windows_busy_seconds(const audio_windows *aw);
void audio_windows_free(audio_windows *aw);

/* Window length and stride in samples for the settings (at least 1). */
void audio_window_samples(const ef_settings *s, int64_t *window,
                          int64_t *stride);

#endif
