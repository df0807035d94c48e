/*
 * fuzz_yaml.c - libFuzzer target: config YAML through ef_config_parse
 * (libyaml events -> tree -> defaults composition). A document that parses
 * must dump, and its dump must parse back to the same dump: config.yaml is
 * written beside every run's features and read back by resumed runs.
 */
#include "ego4dfeat/ego4dfeat.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_cstr(data, size);
  ef_config *cfg = NULL;
  char *dump = NULL;
  if (!text)
    return 0;
  if (ef_config_parse(text, &cfg) != EF_OK)
    goto done;
  FUZZ_CHECK(ef_config_dump(cfg, &dump) == EF_OK);
  fuzz_check_round_trip(dump);
done:
  ef_free(dump);
  ef_config_free(cfg);
  free(text);
  return 0;
}
