/*
 * ffmpeg_log.h - keeps FFmpeg's own log lines off the user's stderr.
 *
 * FFmpeg prints warnings and errors ("[mov,mp4,... @ 0x55..] moov atom
 * not found") from deep inside its calls, in its own words and at its own
 * time. The library reports every failure itself, naming the file and
 * the problem, so those lines are noise that interleaves with the
 * progress line. ffmpeg_log_init() installs a log callback that drops
 * them, once per process; EGO4DFEAT_FFMPEG_LOG=1 in the environment keeps
 * FFmpeg's default logging instead, for debugging a decoder.
 */
#ifndef EF_FFMPEG_LOG_H
#define EF_FFMPEG_LOG_H

/* Idempotent and thread-safe; called where every run starts
 * (settings_load). */
void ffmpeg_log_init(void);

#endif
