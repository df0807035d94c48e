/*
 * error.h - the thread-local last-error slot behind ef_last_error().
 *
 * Every failing internal function records a message here and returns the
 * negative status, so callers can simply `return ef_error_set(...)`.
 */
#ifndef EF_ERROR_H
#define EF_ERROR_H

#include "ego4dfeat/ego4dfeat.h"

#if defined(__GNUC__)
#define EF_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define EF_PRINTF(a, b)
#endif

/* Records `code` and a printf-style message for this thread; returns code. */
int ef_error_set(int code, const char *fmt, ...) EF_PRINTF(2, 3);
/* Prefixes the current message with "<prefix>: " (e.g. a file name). */
int ef_error_prefix(const char *prefix);
void ef_error_clear(void);
/* Copies the current message (for keeping it past later calls). */
char *ef_error_dup(void);

#endif
