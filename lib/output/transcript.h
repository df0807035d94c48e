/*
 * transcript.h - the transcript file of the asr kind, <uid>.transcript.jsonl:
 * one JSON object per line, one line per audio window, in window order:
 *
 *   {"start": 0, "end": 5, "text": "HELLO WORLD", "score": -0.0421}
 *
 * start and end are the window's seconds (those of <uid>.times.npy);
 * text is the greedy CTC transcript (model/ctc.h), or null when nothing
 * was recognised, as the reference's {"text": None}; score is the mean
 * best log-probability per frame (ctc.h). Numbers are written in the
 * fewest digits that read back to the same double. Strings are JSON-
 * escaped by membuf_json. Pure: the caller writes the bytes atomically.
 *
 * As the store's format "transcript" (store_format_transcript, defined in
 * transcript.c), it takes store_output's per_window items: `windows`
 * transcript_line, one per window, in window order.
 */
#ifndef EF_TRANSCRIPT_H
#define EF_TRANSCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "util/membuf.h"

/* "transcript" files end in this, after the uid. */
#define TRANSCRIPT_EXT ".transcript.jsonl"

typedef struct {
  double start, end; /* seconds */
  const char *text;  /* NULL or "": nothing said (written as null) */
  double score;
} transcript_line;

/* Appends the n lines to out. EF_OK; EF_EINVAL if a number is not finite
 * (JSON has no NaN), naming the window; EF_ENOMEM. */
int transcript_encode(const transcript_line *lines, size_t n, membuf *out);

/* The number of lines of the complete transcript file at path (a regular
 * file of at least one line, every line a JSON object with numbers start,
 * end, score and a string or null text, the last ending in a newline), or
 * -1 if it is missing, truncated or not one. */
int64_t transcript_lines(const char *path);
/* 1 if path is a complete transcript file (transcript_lines >= 1). */
int transcript_complete(const char *path);

#endif
