/*
 * ctc_load.c - a CTC model's label list, read from its TorchScript
 * archive (the extra file of ctc.h) through the shim, without loading
 * the module. Apart from ctc.c so that the decoding stays free of
 * libtorch (its unit tests run under the sanitizers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/ctc.h"
#include "torch_shim.h"
#include "util/error.h"

int ctc_labels_load(const char *model_path, ctc_labels *out) {
  char err[1024] = "";
  char *json = NULL;
  size_t len = 0;
  memset(out, 0, sizeof *out);
  if (!model_path || !*model_path)
    return ef_error_set(EF_ECONFIG, "model_config.model_path is not set");
  int rc = efs_archive_extra_file(model_path, CTC_LABELS_FILE, &json, &len, err,
                                  sizeof err);
  if (rc == EF_ENOTFOUND && strstr(err, "has no extra file"))
    return ef_error_set(EF_EMODEL,
                        "model %s has no label list (no extra file %s): the "
                        "asr kind takes a CTC speech model exported with its "
                        "labels by tools/export_models.py",
                        model_path, CTC_LABELS_FILE);
  if (rc != EF_OK)
    return ef_error_set(rc, "%s", err);
  size_t wlen = strlen(model_path) + sizeof ":" CTC_LABELS_FILE;
  char *what = malloc(wlen);
  if (!what) {
    free(json);
    return ef_error_set(EF_ENOMEM, "out of memory");
  }
  snprintf(what, wlen, "%s:%s", model_path, CTC_LABELS_FILE);
  rc = ctc_labels_parse(json, len, what, out);
  free(what);
  free(json);
  return rc;
}
