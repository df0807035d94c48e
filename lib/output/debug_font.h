/*
 * debug_font.h - digits small enough to label the tiles of a debug PNG
 * grid (io.debug_mode), drawn straight into an RGB24 image. 3x5-cell
 * glyphs scaled DEBUG_FONT_SCALE times; no font file, no dependency.
 */
#ifndef EF_DEBUG_FONT_H
#define EF_DEBUG_FONT_H

#include <stdint.h>

#define DEBUG_FONT_SCALE 2
#define DEBUG_FONT_W (3 * DEBUG_FONT_SCALE)
#define DEBUG_FONT_H (5 * DEBUG_FONT_SCALE)
/* From one glyph's left edge to the next one's. */
#define DEBUG_FONT_ADVANCE (DEBUG_FONT_W + DEBUG_FONT_SCALE)

/* Draws the digits of `text` (other characters leave a blank cell) with
 * their top-left corner at (x, y) of an RGB24 image, every channel set to
 * `value`, clipped to columns x .. x + max_w - 1. */
void debug_font_draw(uint8_t *rgb, int linesize, int x, int y, int max_w,
                     const char *text, uint8_t value);

#endif
