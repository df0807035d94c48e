/*
 * params.h - the caller's ef_params as the run reads them: checked for
 * size (util/sized.h) and filled with defaults where NULL.
 */
#ifndef EF_PARAMS_H
#define EF_PARAMS_H

#include "ego4dfeat/ego4dfeat.h"

/* *out = the defaults, then the fields of in (may be NULL) that the
 * caller's header had. EF_EINVAL for a size this library does not know. */
int params_read(const ef_params *in, ef_params *out);

#endif
