/*
 * ctc.c - the label list of a CTC speech model and greedy CTC decoding
 * (see ctc.h for the rules and the score).
 */
#include "model/ctc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/json.h"
#include "util/membuf.h"

/* A label list is a few dozen to a few thousand entries; more than this
 * is not one. */
#define CTC_MAX_LABELS 100000

void ctc_labels_free(ctc_labels *l) {
  if (!l)
    return;
  for (size_t i = 0; l->labels && i < l->n; i++)
    free(l->labels[i]);
  free(l->labels);
  memset(l, 0, sizeof *l);
}

static int copy_labels(json_doc *d, const json_node *arr, const char *what,
                       ctc_labels *out) {
  size_t n = json_len(arr);
  if (n == 0 || n > CTC_MAX_LABELS)
    return ef_error_set(EF_EINVAL,
                        "%s: \"labels\" must hold 1 to %d strings, not %zu",
                        what, CTC_MAX_LABELS, n);
  out->labels = calloc(n, sizeof *out->labels);
  if (!out->labels)
    return ef_error_set(EF_ENOMEM, "out of memory reading %s", what);
  out->n = n;
  for (size_t i = 0; i < n; i++) {
    const char *s = json_string(json_at(d, arr, i));
    if (!s || !*s)
      return ef_error_set(
          EF_EINVAL, "%s: \"labels\"[%zu] is not a non-empty string", what, i);
    if (!(out->labels[i] = strdup(s)))
      return ef_error_set(EF_ENOMEM, "out of memory reading %s", what);
  }
  return EF_OK;
}

static int read_blank(json_doc *d, const json_node *root, const char *what,
                      ctc_labels *out) {
  json_node *b = json_get(d, root, "blank");
  int64_t blank = 0;
  if (b && (json_int(b, &blank) != 0 || blank < 0 || (uint64_t)blank >= out->n))
    return ef_error_set(EF_EINVAL,
                        "%s: \"blank\" must be a label index, 0 to %zu", what,
                        out->n - 1);
  out->blank = (size_t)blank;
  return EF_OK;
}

static int read_separator(json_doc *d, const json_node *root, const char *what,
                          ctc_labels *out) {
  json_node *sep = json_get(d, root, "word_separator");
  out->separator = CTC_NO_SEPARATOR;
  if (!sep || (json_text(sep) && !json_string(sep) &&
               strcmp(json_text(sep), "null") == 0))
    return EF_OK;
  const char *s = json_string(sep);
  if (!s)
    return ef_error_set(EF_EINVAL,
                        "%s: \"word_separator\" must be a label or null", what);
  for (size_t i = 0; i < out->n; i++)
    if (strcmp(out->labels[i], s) == 0) {
      out->separator = i;
      break;
    }
  if (out->separator == CTC_NO_SEPARATOR)
    return ef_error_set(EF_EINVAL,
                        "%s: \"word_separator\" \"%s\" is not one of the "
                        "labels",
                        what, s);
  if (out->separator == out->blank)
    return ef_error_set(EF_EINVAL, "%s: \"word_separator\" is the blank label",
                        what);
  return EF_OK;
}

int ctc_labels_parse(const char *json, size_t len, const char *what,
                     ctc_labels *out) {
  memset(out, 0, sizeof *out);
  out->separator = CTC_NO_SEPARATOR;
  if (!what)
    what = CTC_LABELS_FILE;
  char err[256] = "";
  json_doc d;
  memset(&d, 0, sizeof d);
  if (!json || json_parse(&d, json, len, err, sizeof err) != 0) {
    json_free(&d);
    return ef_error_set(EF_EINVAL, "%s: %s", what,
                        json ? err : "no label list");
  }
  int rc = EF_OK;
  json_node *root = json_root(&d);
  json_node *arr = json_is_object(root) ? json_get(&d, root, "labels") : NULL;
  if (!arr || !json_is_array(arr))
    rc = ef_error_set(EF_EINVAL,
                      "%s: not a label list (an object with a \"labels\" "
                      "array of strings)",
                      what);
  if (rc == EF_OK)
    rc = copy_labels(&d, arr, what, out);
  if (rc == EF_OK)
    rc = read_blank(&d, root, what, out);
  if (rc == EF_OK)
    rc = read_separator(&d, root, what, out);
  json_free(&d);
  if (rc != EF_OK)
    ctc_labels_free(out);
  return rc;
}

/* The best class of one frame (the first on a tie) and its
 * log-probability; -1 if a value is not finite. */
static int frame_best(const float *e, int64_t vocab, size_t *best,
                      double *logp) {
  size_t arg = 0;
  float top = e[0];
  for (int64_t v = 0; v < vocab; v++) {
    if (!isfinite(e[v]))
      return -1;
    if (e[v] > top) {
      top = e[v];
      arg = (size_t)v;
    }
  }
  double sum = 0;
  for (int64_t v = 0; v < vocab; v++)
    sum += exp((double)e[v] - (double)top);
  *best = arg;
  *logp = -log(sum); /* top - logsumexp */
  return 0;
}

int ctc_greedy_decode(const ctc_labels *l, const float *emissions,
                      int64_t frames, int64_t vocab, char **text,
                      double *score) {
  *text = NULL;
  *score = 0;
  if (!l || frames < 0 || (frames > 0 && !emissions))
    return ef_error_set(EF_EINVAL, "ctc_greedy_decode: no emissions");
  if (vocab < 1 || (uint64_t)vocab != l->n)
    return ef_error_set(EF_EINVAL,
                        "the model emits %lld classes per frame, but its "
                        "label list has %zu labels",
                        (long long)vocab, l->n);
  membuf b = {0};
  membuf_reserve(&b, 64);
  double sum = 0;
  size_t prev = SIZE_MAX;
  int space_due = 0; /* a separator was seen since the last word */
  for (int64_t t = 0; t < frames; t++) {
    size_t best;
    double logp;
    if (frame_best(emissions + t * vocab, vocab, &best, &logp) != 0) {
      membuf_free(&b);
      return ef_error_set(EF_EINVAL,
                          "the model's emissions at frame %lld are not "
                          "finite (NaN or infinity)",
                          (long long)t);
    }
    sum += logp;
    int repeat = best == prev;
    prev = best;
    if (repeat || best == l->blank)
      continue;
    if (best == l->separator) {
      space_due = b.len > 0; /* none before the first word */
      continue;
    }
    if (space_due)
      membuf_byte(&b, ' ');
    space_due = 0;
    membuf_puts(&b, l->labels[best]);
  }
  if (b.failed || !b.data) {
    membuf_free(&b);
    return ef_error_set(EF_ENOMEM, "out of memory decoding a transcript");
  }
  b.data[b.len] = '\0'; /* also when nothing was appended */
  *text = (char *)b.data;
  *score = frames > 0 ? sum / (double)frames : 0.0;
  return EF_OK;
}
