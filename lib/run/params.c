/*
 * params.c - ef_params_default and reading a caller's ef_params.
 */
#include "run/params.h"

#include <stddef.h>
#include <string.h>

#include "util/error.h"
#include "util/sized.h"

/* The size of ef_params in the first version that had a size: the end
 * of its last field. Stays when fields are added. */
#define PARAMS_SIZE_0_1 (offsetof(ef_params, torch_threads) + sizeof(int))

ef_params ef_params_default(void) {
  ef_params p;
  memset(&p, 0, sizeof p);
  p.size = sizeof p;
  return p;
}

int params_read(const ef_params *in, ef_params *out) {
  *out = ef_params_default();
  if (!in)
    return EF_OK;
  return sized_read(out, sizeof *out, PARAMS_SIZE_0_1, in, "ef_params");
}
