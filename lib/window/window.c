/*
 * window.c - window count and placement (docs/semantics.md, "Windows").
 */
#include "window/window.h"

int64_t window_count(int64_t frames, int64_t window, int64_t stride) {
  int64_t n = frames - window;
  if (n < 0)
    return 1;
  return n / stride + 1 + (n % stride != 0);
}

void window_bounds(int64_t i, int64_t frames, int64_t window, int64_t stride,
                   int64_t *first) {
  int64_t start = i * stride;
  /* "Backpad last": a window that would run past the end is moved back so
   * it ends on the last frame; a video shorter than one window starts at
   * 0 and repeats its last frame. */
  if (start + window > frames)
    start = frames - window;
  if (start < 0)
    start = 0;
  *first = start;
}
