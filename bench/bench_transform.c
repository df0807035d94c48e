/*
 * bench_transform.c - the per-frame transform alone (resize, crop,
 * normalise of one RGB24 frame), in milliseconds per frame on one thread,
 * for the sizes bench/run.sh reports.
 *
 * usage: bench_transform WIDTH HEIGHT SIDE CROP [FRAMES]
 * Prints a checksum of the last output too: equal checksums across builds
 * mean equal outputs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "media/transform.h"

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: bench_transform WIDTH HEIGHT SIDE CROP [FRAMES]\n");
    return 2;
  }
  int w = atoi(argv[1]), h = atoi(argv[2]);
  int frames = argc > 5 ? atoi(argv[5]) : 200;
  transform_spec spec = {0};
  spec.side_size = atoi(argv[3]);
  spec.crop_size = atoi(argv[4]);
  for (int c = 0; c < 3; c++) {
    spec.mean[c] = 0.45f;
    spec.std[c] = 0.225f;
  }
  size_t bytes = (size_t)w * (size_t)h * 3;
  unsigned char *rgb = malloc(bytes);
  float *out = malloc(sizeof(float) * 3 * (size_t)spec.crop_size *
                      (size_t)spec.crop_size);
  transform *t = NULL;
  if (!rgb || !out || w <= 0 || h <= 0 || frames <= 0 ||
      transform_create(&spec, &t) != 0) {
    fprintf(stderr, "bench_transform: bad sizes or out of memory\n");
    return 1;
  }
  for (size_t i = 0; i < bytes; i++) /* structure in every direction */
    rgb[i] = (unsigned char)((i * 7919u) >> 3);
  int rc = transform_frame(t, rgb, w * 3, w, h, out); /* builds the taps */
  clock_t c0 = clock();
  for (int i = 0; rc == 0 && i < frames; i++)
    rc = transform_frame(t, rgb, w * 3, w, h, out);
  double ms = 1e3 * (double)(clock() - c0) / CLOCKS_PER_SEC / frames;
  double sum = 0;
  for (int i = 0; i < 3 * spec.crop_size * spec.crop_size; i++)
    sum += out[i];
  printf("transform %dx%d -> side %d, crop %d: %.3f ms/frame (checksum "
         "%.6f)\n",
         w, h, spec.side_size, spec.crop_size, ms, sum);
  transform_free(t);
  free(out);
  free(rgb);
  return rc == 0 ? 0 : 1;
}
