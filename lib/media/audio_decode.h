/*
 * audio_decode.h - decodes the best audio stream of a media file to mono
 * float32 at a chosen sample rate.
 *
 * Channels are downmixed with libswresample's default matrix and the rate
 * is converted by libswresample; samples come out in decoding order, with
 * timestamps ignored, as PyAV and torchaudio read audio. An encoder's
 * padding at the end stays in (FFmpeg 5.1's mp4 demuxer does not trim it;
 * ffmpeg and PyAV decode it too). Packets the codec rejects as corrupt are
 * skipped, so a damaged stream gives fewer samples rather than an error,
 * and so does a file cut short. Memory is a few decoded frames, whatever
 * the stream's length.
 */
#ifndef EF_AUDIO_DECODE_H
#define EF_AUDIO_DECODE_H

#include <stdint.h>

typedef struct audio_reader audio_reader;

/* Opens path's best audio stream, to be read at `rate` Hz. EF_ENOTFOUND
 * (no such file), EF_ENOSTREAM ("<path>: no audio stream"), EF_EDECODE
 * (not a media file, no decoder), EF_EINVAL (bad rate); messages name the
 * file. */
int audio_open(const char *path, int rate, audio_reader **out);
/* Reads up to max samples into buf: how many were read, fewer than max
 * only at the end of the stream, 0 once it has ended; negative (EF_E*) on
 * an error, message naming the file. */
int64_t audio_read(audio_reader *r, float *buf, int64_t max);
void audio_close(audio_reader *r);

/* The whole stream in one malloc'd buffer (*samples, freed by the caller)
 * of *n samples. A stream that decodes to no samples at all is EF_EDECODE
 * "<path>: the audio stream has no samples"; on any error *samples is NULL
 * and *n is 0. */
int audio_load(const char *path, int rate, float **samples, int64_t *n);

/* Scales x so that its largest |x| is 1, as `x / x.abs().max()` does.
 * All-zero input is left as it is (silence stays zeros, not NaN);
 * non-finite samples are ignored when finding the peak. */
void audio_normalize_peak(float *x, int64_t n);

#endif
