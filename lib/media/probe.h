/*
 * probe.h - what a media file holds, read with libavformat without decoding
 * the whole file. Used by discovery when there is no manifest.csv, and by
 * scheduling to count windows.
 */
#ifndef EF_PROBE_H
#define EF_PROBE_H

#include <stdint.h>

typedef struct {
  int has_video;
  int has_audio;
  int width, height;          /* of the main video stream */
  int64_t rate_num, rate_den; /* its average frame rate (0/1 if unknown) */
  double duration;            /* seconds of the video stream (or file) */
  int64_t num_frames;         /* frames in the stream: nb_frames if the
                                 container has it, else duration * rate */
  int audio_sample_rate;      /* 0 without audio */
  int audio_channels;
} probe_info;

/* EF_OK if path names a non-empty regular file (through symlinks); else
 * EF_ENOTFOUND "<path>: no such file", EF_EDECODE "<path>: empty file" or
 * EF_EIO (a directory, or "a FIFO, not a regular file": a FIFO, socket or
 * device is never opened, as reading it blocks or never ends).
 * libavformat says "Invalid data" for these, so openers check first. */
int probe_check_path(const char *path);
/* Opens path for reading without blocking (O_NONBLOCK) and checks what
 * was opened as probe_check_path does: the fd, or the error code with the
 * message set. Closes the race between a check and an open. */
int probe_open_regular(const char *path);
/* The calling thread's cancel flag for probe_open (an AVIOInterruptCB
 * makes libavformat give up with EF_ECANCELLED) and for discovery's
 * loop, which asks probe_cancelled() between files; NULL: none. */
void probe_watch_cancel(const volatile int *flag);
int probe_cancelled(void);
/* The error for avformat_open_input() failing with `averr` on path:
 * EF_ENOTFOUND "no such file", or EF_EDECODE "not a media file (...)" --
 * except for an MP4/MOV whose header is there but whose index (moov) is
 * not, which is truncated or still being written, and says so. */
int probe_open_error(const char *path, int averr);

/* Checks path (probe_check_path), opens it and reads its stream headers
 * (every file libavformat opens for it is checked the same way, on the
 * opened fd):
 * EF_OK with *out to close with avformat_close_input, or the error with a
 * message naming the file and *out NULL. Every opener of media goes
 * through here (probe_file, media/media_open.c). */
struct AVFormatContext;
int probe_open(const char *path, struct AVFormatContext **out);

/* EF_OK, or EF_ENOTFOUND / EF_EDECODE with a message naming the file. A
 * file with no video and no audio stream is EF_ENOSTREAM. */
int probe_file(const char *path, probe_info *out);

/* Frames sampled at fps_num/fps_den from a stream of the given duration:
 * the count of k >= 0 with k / fps < duration. */
int64_t probe_sampled_frames(double duration, int64_t fps_num, int64_t fps_den);

/* A probed file's frame count at fps_num/fps_den (probe_sampled_frames
 * of its duration; the stream's own count when the rate is not valid), or
 * -1 when it has no video stream. */
int64_t probe_frames_at(const probe_info *info, int64_t fps_num,
                        int64_t fps_den);

#endif
