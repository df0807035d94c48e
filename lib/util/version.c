/*
 * version.c - the version of the library that is actually loaded, to
 * compare with the EF_VERSION_* macros a caller compiled against.
 */
#include "ego4dfeat/ego4dfeat.h"

const char *ef_version(void) {
  return EF_VERSION_STRING;
}

int ef_version_number(void) {
  return EF_VERSION_NUMBER;
}
