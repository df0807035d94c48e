/*
 * ctc.h - a CTC speech model's label list and greedy CTC decoding of its
 * emissions into text, for the asr model kind.
 *
 * The label list travels inside the TorchScript archive, as the extra
 * file "ctc_labels.json" (torch.jit.save(..., _extra_files=...); written
 * by tools/export_models.py), so a model and its labels cannot be
 * separated or mixed up, and the model file's fingerprint covers both:
 *
 *   {"labels": ["-", "|", "E", "T", ...], "blank": 0,
 *    "word_separator": "|"}
 *
 * labels[i] is the text of emission class i (any non-empty UTF-8 string,
 * usually one character); "blank" is the CTC blank's index (default 0);
 * "word_separator" is the label that stands for a space between words
 * (default none; null also means none).
 *
 * Greedy decoding of one window's emissions [frames, vocab]:
 *   1. the best class per frame: the argmax of the emissions (the first
 *      on a tie, as torch.argmax);
 *   2. runs of the same class collapse to one;
 *   3. blanks are dropped;
 *   4. the other labels are concatenated, a word separator becoming a
 *      space: separators before the first word and after the last are
 *      dropped, and consecutive ones (a blank between two, say) give one
 *      space, so the text is words joined by single spaces.
 *
 * The score of a window is the mean over its frames of the best class's
 * log-probability, log_softmax(emissions[t])[best_t] =
 *   max_v e[t][v] - log(sum_v exp(e[t][v])),
 * computed in double: 0 when every frame is certain, more negative the
 * less sure the model is. A window of no frames has the text "" and the
 * score 0.
 */
#ifndef EF_CTC_H
#define EF_CTC_H

#include <stddef.h>
#include <stdint.h>

/* The extra file of the TorchScript archive that holds the labels. */
#define CTC_LABELS_FILE "ctc_labels.json"
#define CTC_NO_SEPARATOR SIZE_MAX

typedef struct {
  char **labels; /* n strings, the text of each class */
  size_t n;
  size_t blank;     /* the blank's index, < n */
  size_t separator; /* the word separator's index, or CTC_NO_SEPARATOR */
} ctc_labels;

/* Parses a label list (the JSON above) of len bytes; `what` names its
 * source in messages ("m.pt:ctc_labels.json"). EF_OK, or EF_EINVAL naming
 * `what` and the key at fault, or EF_ENOMEM. *out is empty on failure;
 * ctc_labels_free is safe either way. */
int ctc_labels_parse(const char *json, size_t len, const char *what,
                     ctc_labels *out);
/* The label list inside the TorchScript archive at model_path (in
 * ef_model, ctc_load.c: it reads the archive through the shim). EF_EMODEL
 * naming the file when it has none or is not an archive. */
int ctc_labels_load(const char *model_path, ctc_labels *out);
void ctc_labels_free(ctc_labels *l);

/* Greedy decoding of emissions [frames, vocab] (row-major float32, vocab
 * == l->n) as described above: *text (caller frees, "" when nothing was
 * said) and *score. EF_EINVAL if vocab differs from the label count or an
 * emission is not finite (NaN, inf: the model is broken), EF_ENOMEM. */
int ctc_greedy_decode(const ctc_labels *l, const float *emissions,
                      int64_t frames, int64_t vocab, char **text,
                      double *score);

#endif
