/*
 * params.c - ef_params_init and reading a caller's ef_params.
 */
#include "run/params.h"

#include <stddef.h>
#include <string.h>

#include "util/error.h"
#include "util/sized.h"

/* The size of ef_params in the first version that had a size: the end
 * of its last field. Stays when fields are added. */
#define PARAMS_SIZE_0_1 (offsetof(ef_params, torch_threads) + sizeof(int))

/* Every field at its default, in this library's layout. */
static ef_params params_defaults(void) {
  ef_params p;
  memset(&p, 0, sizeof p);
  p.size = sizeof p;
  return p;
}

int ef_params_init(ef_params *p, size_t size) {
  ef_params d = params_defaults();
  return sized_init(p, size, PARAMS_SIZE_0_1, &d, sizeof d, "ef_params");
}

int params_read(const ef_params *in, ef_params *out) {
  *out = params_defaults();
  if (!in)
    return EF_OK;
  return sized_read(out, sizeof *out, PARAMS_SIZE_0_1, in, "ef_params");
}
