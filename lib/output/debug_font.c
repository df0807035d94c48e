/*
 * debug_font.c - owns the digit glyphs of debug_font.h and draws them.
 */
#include "output/debug_font.h"

#include <stddef.h>

/* Each digit is 5 rows of 3 bits, the high bit on the left. */
static const uint8_t glyphs[10][5] = {
    {7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7},
    {5, 5, 7, 1, 1}, {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1},
    {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7},
};

void debug_font_draw(uint8_t *rgb, int linesize, int x, int y, int max_w,
                     const char *text, uint8_t value) {
  for (int i = 0; text[i]; i++) {
    int gx = x + i * DEBUG_FONT_ADVANCE;
    if (text[i] < '0' || text[i] > '9')
      continue;
    const uint8_t *g = glyphs[text[i] - '0'];
    for (int py = 0; py < DEBUG_FONT_H; py++)
      for (int px = 0; px < DEBUG_FONT_W; px++) {
        int col = px / DEBUG_FONT_SCALE, row = py / DEBUG_FONT_SCALE;
        if (!(g[row] & (4 >> col)) || gx + px >= x + max_w)
          continue;
        uint8_t *p =
            rgb + (size_t)(y + py) * (size_t)linesize + (size_t)(gx + px) * 3;
        p[0] = p[1] = p[2] = value;
      }
  }
}
