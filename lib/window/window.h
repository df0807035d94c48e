/*
 * window.h - how a video of F frames is cut into windows of W frames every
 * S frames, exactly as the reference does (docs/semantics.md, "Windows").
 */
#ifndef EF_WINDOW_H
#define EF_WINDOW_H

#include <stdint.h>

/* Number of windows: N = F - W; 1 if N < 0, else N / S + 1, plus one more
 * when N % S != 0. frames >= 1, window >= 1, stride >= 1. */
int64_t window_count(int64_t frames, int64_t window, int64_t stride);

/* Frames [*first, *first + window) of window i; the last window is moved
 * back to end at the last frame. For a video shorter than one window,
 * first is 0 and the window runs past the end (its missing frames repeat
 * the last frame). */
void window_bounds(int64_t i, int64_t frames, int64_t window, int64_t stride,
                   int64_t *first);

#endif
