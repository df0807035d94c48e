/*
 * write_times.h - each output's window times, <uid>.times.npy beside the
 * features: float64 [windows, 2], row i = (start, end) seconds of window
 * i. The times cannot be recomputed from the config alone: the last
 * window is shifted back to end on the last frame (window.h), and the
 * frame count depends on the file. One format for every feature format
 * (.npy reads with numpy.load, also where the features are .pt).
 */
#ifndef EF_WRITE_TIMES_H
#define EF_WRITE_TIMES_H

#include <stddef.h>
#include <stdint.h>

/* "<dir>/<uid>.times.npy"; caller frees. */
char *write_times_path(const char *dir, const char *uid);
/* Writes n rows atomically (write_file_atomic). */
int write_times(const char *path, const double *starts, const double *ends,
                int64_t n);
/* The rows of a complete times file, or -1 if it is missing, truncated or
 * not a float64 [N, 2] array. */
int64_t write_times_rows(const char *path);
/* Reads a complete times file: *starts and *ends (caller frees) of *n
 * rows. EF_EINVAL naming the file if it is not one. */
int write_times_read(const char *path, double **starts, double **ends,
                     int64_t *n);

#endif
