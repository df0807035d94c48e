/*
 * pipeline_transcript.h - the asr kind's output step (io.out_format
 * transcript): a finished video's CTC emissions decoded into the
 * per-window lines the store's transcript format takes.
 */
#ifndef EF_PIPELINE_TRANSCRIPT_H
#define EF_PIPELINE_TRANSCRIPT_H

#include "model/ctc.h"
#include "output/store.h"
#include "run/pipeline.h"

/* Decodes each window of r (data [windows, frames, vocab], starts, ends)
 * with the labels (ctc.h) and writes pv's transcript, times and
 * fingerprint through store_write. EF_EMODEL naming the model's output
 * shape if it is not [windows, frames, vocab]; ctc's errors (NaN
 * emissions, a vocabulary of another size) prefixed with the uid, and the
 * store's otherwise. */
int pipeline_write_transcript(const store *st, const ctc_labels *labels,
                              const pipeline_video *pv,
                              const pipeline_result *r);

#endif
