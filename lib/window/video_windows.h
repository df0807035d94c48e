/*
 * video_windows.h - the decode -> transform -> window stage for one video:
 * samples frames at the run's rate, transforms each sampled frame once into
 * a ring of the last frame_window frames, and hands out every window as
 * soon as its last frame is in. Memory is bounded by the ring, whatever the
 * video's length.
 */
#ifndef EF_VIDEO_WINDOWS_H
#define EF_VIDEO_WINDOWS_H

#include <stddef.h>

#include "config/settings.h"
#include "window/frame_source.h"
#include "window/queue.h"

typedef struct video_windows video_windows;

/* Receives each item (ownership passes); returns nonzero to stop. */
typedef int (*emit_fn)(void *ctx, item *it);

/* Emits a window-less item (ITEM_START or ITEM_END) with its value and
 * frame count; the sources share it. EF_ECANCELLED if emit said stop. */
int emit_status_item(item_kind kind, size_t video, int64_t value,
                     int64_t frames, emit_fn emit, void *ctx);

/* Window buffers come from pool (NULL: malloc) and go back to it when
 * their items are freed; the pool must outlive the items. */
int video_windows_create(const ef_settings *s, int decode_threads,
                         buffer_pool *pool, video_windows **out);
/* Emits ITEM_START, the ITEM_WINDOWs in order, then ITEM_END. On failure
 * returns the error (message set, naming the file) and emits no END.
 * EF_ECANCELLED if emit asked to stop. */
int video_windows_run(video_windows *vw, size_t video, const char *path,
                      int is_stereo, emit_fn emit, void *ctx);
/* The same for frames in memory (frame_source.h), sampled as a file of
 * those frames at fb's rate would be: the same windows, times and model
 * inputs. name stands for the file in messages. EF_EINVAL (no item
 * emitted) for a frame_buffer that fails frame_buffer_check. */
int video_windows_run_frames(video_windows *vw, size_t video,
                             const frame_buffer *fb, const char *name,
                             emit_fn emit, void *ctx);
/* Seconds spent decoding and transforming so far. */
double video_windows_busy_seconds(const video_windows *vw);
void video_windows_free(video_windows *vw);

#endif
