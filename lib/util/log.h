/*
 * log.h - the library's warnings and notes (never its errors: those go to
 * ef_last_error). They reach the callback set with ef_log_set_callback,
 * or stderr. C and the C++ shim both call ef_log.
 */
#ifndef EF_LOG_H
#define EF_LOG_H

#include "ego4dfeat/ego4dfeat.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One line (no trailing newline) at EF_LOG_WARNING or EF_LOG_NOTE. */
void ef_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif
