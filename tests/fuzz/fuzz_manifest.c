/*
 * fuzz_manifest.c - libFuzzer target: manifest.csv text through the CSV
 * reader. Every row kept must have a uid, sorted rows must be findable,
 * and the values must be in the ranges manifest.h promises.
 */
#include "fuzz_util.h"
#include "input/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  manifest m;
  if (manifest_parse("fuzz/manifest.csv", (const char *)data, size, &m) != 0)
    return 0;
  for (size_t i = 0; i < m.n; i++) {
    const manifest_row *r = &m.rows[i];
    FUZZ_CHECK(r->uid && r->uid[0]);
    FUZZ_CHECK(r->num_frames >= -1);
    FUZZ_CHECK(r->width >= 0 && r->height >= 0);
    FUZZ_CHECK(r->has_audio >= -1 && r->has_audio <= 1);
    const manifest_row *f = manifest_find(&m, r->uid);
    FUZZ_CHECK(f && strcmp(f->uid, r->uid) == 0 && f->row <= r->row);
  }
  manifest_free(&m);
  return 0;
}
