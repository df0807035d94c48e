/*
 * api_frames.c - ef_extract_frames: the features of RGB24 frames an
 * application holds in memory (a camera, a headset, a decoded clip), run
 * through the same pipeline as ef_extract_features with the frames as the
 * video's source (window/frame_source.h), so they equal the features of a
 * file holding those frames at that rate.
 */
#include <stdlib.h>
#include <string.h>

#include "run/api_results.h"
#include "run/params.h"
#include "run/pipeline.h"
#include "util/error.h"
#include "window/frame_source.h"

/* The name the frames go by in messages and progress. */
static const char frames_name[] = "<frames>";

int ef_extract_frames(ef_model *model, const ef_config *cfg,
                      const uint8_t *frames, int64_t count, int height,
                      int width, size_t row_bytes, double fps,
                      const ef_params *params, ef_results **out) {
  if (!out)
    return ef_error_set(EF_EINVAL, "ef_extract_frames: NULL out");
  *out = NULL;
  if (!model || !cfg || !frames)
    return ef_error_set(EF_EINVAL, "ef_extract_frames: NULL argument");
  frame_buffer fb = {frames, count, width, height, row_bytes, 0, 0};
  int rc = frame_rate_from_double(fps, &fb.rate_num, &fb.rate_den);
  if (rc != EF_OK || (rc = frame_buffer_check(&fb)) != EF_OK)
    return rc;
  ef_params p;
  if ((rc = params_read(params, &p)) != EF_OK)
    return rc;
  ef_settings s;
  if ((rc = settings_load(cfg, &s)) != EF_OK)
    return rc;
  if (s.include_audio) {
    settings_free(&s);
    return ef_error_set(EF_ECONFIG,
                        "ef_extract_frames: frames have no audio, and this "
                        "config extracts audio (inference_config."
                        "include_audio)");
  }
  if ((rc = model_check_settings(model, &s)) != EF_OK) {
    settings_free(&s);
    return rc;
  }
  ef_results *r = calloc(1, sizeof *r);
  pipeline_result *res = calloc(1, sizeof *res);
  if (!r || !res) {
    rc = ef_error_set(EF_ENOMEM, "out of memory");
    goto fail;
  }
  pipeline_video pv = {0};
  pv.uid = pv.path = frames_name;
  pv.has_audio = 0;
  pv.frames = &fb;
  pv.windows_estimate = -1; /* progress: no estimate for frames */
  pipeline_times times;
  memset(&times, 0, sizeof times);
  if (p.torch_threads)
    efs_set_num_threads(p.torch_threads);
  rc = pipeline_run(model, &s, NULL, &pv, 1, &p, res, &times);
  if (rc != EF_OK && rc != EF_EPARTIAL)
    goto fail;
  r->n = 1;
  r->res = res;
  *out = r;
  settings_free(&s);
  return rc;
fail:
  results_free_array(res, 1);
  free(r);
  settings_free(&s);
  return rc;
}
