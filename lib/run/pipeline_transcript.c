/*
 * pipeline_transcript.c - a finished video's CTC emissions decoded window
 * by window (model/ctc.h) into transcript lines (output/transcript.h),
 * which the store writes with their times and fingerprint (store.h). The
 * decoding is here, in the run stage, because the output stage knows no
 * model.
 */
#include "run/pipeline_transcript.h"

#include <stdlib.h>

#include "output/transcript.h"
#include "util/error.h"

int pipeline_write_transcript(const store *st, const ctc_labels *labels,
                              const pipeline_video *pv,
                              const pipeline_result *r) {
  if (r->ndim != 3)
    return ef_error_set(EF_EMODEL,
                        "%s: the asr kind takes emissions [batch, frames, "
                        "vocab], but the model returned %d dimensions",
                        pv->uid, r->ndim);
  int64_t n = r->shape[0], frames = r->shape[1], vocab = r->shape[2];
  transcript_line *lines = calloc(n > 0 ? (size_t)n : 1, sizeof *lines);
  if (!lines)
    return ef_error_set(EF_ENOMEM, "out of memory decoding %s", pv->uid);
  int rc = EF_OK;
  for (int64_t i = 0; rc == EF_OK && i < n; i++) {
    char *text = NULL;
    rc = ctc_greedy_decode(labels, r->data + i * frames * vocab, frames, vocab,
                           &text, &lines[i].score);
    lines[i].text = text;
    lines[i].start = r->starts[i];
    lines[i].end = r->ends[i];
    if (rc != EF_OK)
      ef_error_prefix(pv->uid);
  }
  if (rc == EF_OK) {
    store_output o = {.per_window = lines,
                      .starts = r->starts,
                      .ends = r->ends,
                      .windows = n};
    rc = store_write(st, pv->uid, pv->is_stereo, &o);
  }
  for (int64_t i = 0; i < n; i++)
    free((char *)lines[i].text);
  free(lines);
  return rc;
}
