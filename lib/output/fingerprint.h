/*
 * fingerprint.h - what determines a video's features, as text and as a
 * SHA-256, so that a rerun can tell outputs of another configuration or
 * another model from its own (provenance.h keeps them beside outputs).
 *
 * The description is one "key: value" line per setting that changes the
 * feature values, named as in the config, e.g.
 *
 *   model_config.kind: slowfast
 *   model_config.model_sha256: 3f1c...   (the model file's bytes)
 *   inference_config.stride: 16
 *   stereo: left half
 *
 * and the fingerprint is the SHA-256 of that text (libavutil's). Paths,
 * batch size, workers, device, hwaccel, optimize and out_format are left
 * out: they change where and how fast features are computed, not their
 * values (out_format only changes the container; merge moves features
 * between containers with their fingerprint).
 */
#ifndef EF_FINGERPRINT_H
#define EF_FINGERPRINT_H

#include "config/settings.h"

#define FINGERPRINT_HEX_LEN 64

/* SHA-256 of a file's bytes as 64 lowercase hex digits + NUL. EF_EIO
 * naming the file if it cannot be read. */
int fingerprint_file_sha256(const char *path,
                            char hex[FINGERPRINT_HEX_LEN + 1]);
/* SHA-256 of len bytes. */
void fingerprint_sha256(const void *data, size_t len,
                        char hex[FINGERPRINT_HEX_LEN + 1]);

/* The run's part of the description: every feature-determining setting of
 * s, with model_hex the model file's SHA-256 (NULL for kinds without a
 * model file). Caller frees *text. */
int fingerprint_run_text(const ef_settings *s, const char *model_hex,
                         char **text);
/* The run's text plus one video's own line (stereo handling). Caller
 * frees. */
char *fingerprint_video_text(const char *run_text, int is_stereo);

/* Lines of `now` that differ from `was` (or are missing from either),
 * as "key: OLD -> NEW; ..." with long values cut. Caller frees. */
char *fingerprint_diff(const char *was, const char *now);

#endif
