/*
 * fuzz_pt_complete.c - libFuzzer target: the .pt completeness check
 * (io.filter_completed) on arbitrary bytes. It reads offsets and sizes
 * from the file itself, so it must stay inside the file and return 0 or 1.
 */
#include "fuzz_util.h"
#include "output/write_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int ok = write_pt_complete(fuzz_memfd_path(data, size));
  FUZZ_CHECK(ok == 0 || ok == 1);
  return 0;
}
