/*
 * fuzz_npy_complete.c - libFuzzer target: the .npy completeness check
 * (io.filter_completed, io.out_format=npy) on arbitrary bytes. A file it
 * calls complete must hold exactly header + 4 bytes per element, so its
 * size must be at least the header.
 */
#include "fuzz_util.h"
#include "output/write_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int ok = write_npy_complete(fuzz_memfd_path(data, size));
  FUZZ_CHECK(ok == 0 || ok == 1);
  FUZZ_CHECK(!ok || size >= 12);
  return 0;
}
