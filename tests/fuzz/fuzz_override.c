/*
 * fuzz_override.c - libFuzzer target: Hydra-style overrides (one per input
 * line) applied to a config like the shipped ones, then the typed settings
 * read from it. Whatever overrides succeed, the result must dump and parse
 * back to the same dump, and settings_load() must either accept it or say
 * why; nothing may crash or leak on any path.
 */
#include "config/settings.h"
#include "ego4dfeat/ego4dfeat.h"
#include "fuzz_util.h"

/* configs/mvit_k400.yaml, trimmed: every section the schema knows. */
static const char base_yaml[] = "fps: 30\n"
                                "force_yes: false\n"
                                "model_module_str: ego4d.features.models.mvit\n"
                                "io:\n"
                                "  filter_completed: true\n"
                                "  video_dir_path: videos\n"
                                "  ego4d_download_dir: null\n"
                                "  dataset_version: ego4d\n"
                                "  uid_list: null\n"
                                "  video_limit: -1\n"
                                "  out_path: features/mvit_k400\n"
                                "  out_format: pt\n"
                                "  debug_mode: false\n"
                                "  debug_path: debug/mvit_k400\n"
                                "  exclude_no_audio: false\n"
                                "inference_config:\n"
                                "  device: cuda\n"
                                "  batch_size: 1\n"
                                "  num_workers: 10\n"
                                "  prefetch_factor: 2\n"
                                "  fps: 30\n"
                                "  frame_window: 32\n"
                                "  stride: 16\n"
                                "  include_audio: false\n"
                                "  include_video: true\n"
                                "  norm_config:\n"
                                "    normalize_audio: false\n"
                                "    resample_audio_rate: 16000\n"
                                "    resampling_method: sinc_interpolation\n"
                                "schedule_config:\n"
                                "  run_locally: false\n"
                                "  log_folder: slurm_log/%j\n"
                                "  timeout_min: 720\n"
                                "  constraint: volta\n"
                                "  slurm_partition: pixar\n"
                                "  slurm_array_parallelism: 256\n"
                                "  gpus_per_node: 1\n"
                                "  cpus_per_task: 10\n"
                                "  overhead: 2.0\n"
                                "  time_per_forward_pass: 0.8\n"
                                "  schedule_time_per_node: 10.0\n"
                                "model_config:\n"
                                "  model_path: models/mvit_k400.pt\n"
                                "  kind: video\n"
                                "  side_size: 256\n"
                                "  crop_size: 224\n"
                                "  mean: [0.45, 0.45, 0.45]\n"
                                "  std: [0.225, 0.225, 0.225]\n";

/* Overrides are capped: a run applies a handful, and long inputs would
 * only slow the fuzzer down on the same code. */
#define MAX_OVERRIDES 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_cstr(data, size);
  ef_config *cfg = NULL;
  char *dump = NULL;
  ef_settings s;
  if (!text)
    return 0;
  FUZZ_CHECK(ef_config_parse(base_yaml, &cfg) == EF_OK);
  char *line = text;
  for (int i = 0; line && i < MAX_OVERRIDES; i++) {
    char *nl = strchr(line, '\n');
    if (nl)
      *nl = '\0';
    (void)ef_config_override(cfg, line); /* errors are expected */
    line = nl ? nl + 1 : NULL;
  }
  FUZZ_CHECK(ef_config_dump(cfg, &dump) == EF_OK);
  fuzz_check_round_trip(dump);
  memset(&s, 0, sizeof s);
  if (settings_load(cfg, &s) == EF_OK) {
    FUZZ_CHECK(s.fps_num > 0 && s.fps_den > 0);
    settings_free(&s);
  }
  ef_free(dump);
  ef_config_free(cfg);
  free(text);
  return 0;
}
