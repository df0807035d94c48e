/*
 * schedule.h - the internal pieces of scheduling that the unit tests reach
 * directly. The plan itself (videos -> estimates -> bins), its file and
 * the status files are the public ef_plan_* / ef_schedule_* API of
 * ego4dfeat.h, implemented in the schedule_*.c files.
 */
#ifndef EF_SCHEDULE_H
#define EF_SCHEDULE_H

#include <stdint.h>

#include "config/settings.h"

/* The folder plans live in: log_folder cut before its first path
 * component that holds "%j" (the job id, unknown when planning), without
 * a trailing '/'; "." if nothing is left, "/" for a root-level "%j".
 * "slurm_log/%j" gives "slurm_log", "logs" gives "logs". NULL when out of
 * memory; the caller frees. */
char *schedule_plan_root(const char *log_folder);

/* A video's windows as the scheduler estimates them before it is opened:
 * its frame count at inference_config.fps (discovery's: manifest.csv, the
 * takes file or a probe) cut into windows of frame_window every stride;
 * -1 when frames is unknown (<= 0). The run's progress uses the same
 * figure (pipeline_video.windows_estimate). */
int64_t schedule_windows_estimate(const ef_settings *s, int64_t frames);

/* The reference's estimate in milliseconds, rounded up:
 * overhead * ceil(windows / batch_size) * time_per_forward_pass. */
int64_t schedule_estimate_ms(int64_t windows, int batch_size, double overhead,
                             double time_per_forward_pass);

#endif
