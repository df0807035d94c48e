/*
 * fuzz_ego4d_json.c - libFuzzer target: ego4d.json text through the
 * streaming stereo-flag reader. The result must be sorted and every uid
 * findable in it.
 */
#include "fuzz_util.h"
#include "input/stereo_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  strvec stereo = {0};
  if (stereo_list_parse("fuzz/ego4d.json", data, size, &stereo) == 0) {
    for (size_t i = 0; i < stereo.n; i++) {
      FUZZ_CHECK(stereo.items[i] != NULL);
      FUZZ_CHECK(i == 0 || strcmp(stereo.items[i - 1], stereo.items[i]) <= 0);
      FUZZ_CHECK(strvec_contains(&stereo, stereo.items[i]));
    }
  }
  strvec_free(&stereo); /* the caller frees in either case (stereo_list.h) */
  return 0;
}
