/*
 * transform.h - turns one decoded RGB24 frame into the normalised, resized
 * and cropped planar float image the model sees.
 *
 * The reference (docs/semantics.md, "Video transform") normalises every frame
 * of every window, then resizes with torch's bilinear interpolation, then
 * centre-crops. Normalisation is affine per channel, so resizing the 0..255
 * values first and normalising after gives the same numbers to ~1e-6 while
 * touching only the pixels that survive the crop. Each sampled frame is
 * transformed once and shared by every window that holds it.
 */
#ifndef EF_TRANSFORM_H
#define EF_TRANSFORM_H

#include <stdint.h>

#include "config/settings.h" /* ef_interp */

/* The short side is scaled to side_size, keeping the aspect ratio, then
 * the centre crop_size x crop_size square is kept. Stereo videos keep
 * their left half: video_windows.c passes half the width. */
typedef struct {
  int side_size;
  int crop_size;
  ef_interp interp;
  float mean[3];
  float std[3];
} transform_spec;

typedef struct transform transform;

/* Output size of the short-side scale for a w x h input (torch's floor
 * rule of docs/semantics.md, "Short-side scale"). */
void transform_scaled_size(int w, int h, int side, int *out_w, int *out_h);
/* Python's round((n - crop) / 2) used by the centre crop. */
int transform_crop_offset(int n, int crop);

int transform_create(const transform_spec *spec, transform **out);
/* Writes [3][crop][crop] floats for one frame. Weights are cached per input
 * size, so consecutive frames of one video cost only the arithmetic. */
int transform_frame(transform *t, const uint8_t *rgb, int linesize, int width,
                    int height, float *out);
void transform_free(transform *t);

#endif
