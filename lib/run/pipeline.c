/*
 * pipeline.c - the inference loop and per-video bookkeeping of a run (see
 * pipeline.h); the decode workers are in pipeline_worker.c.
 *
 * Workers take videos from a shared counter and push window items into a
 * bounded queue, so decoding the next windows overlaps the model's forward
 * pass and memory stays bounded. The calling thread owns everything the
 * model touches (libtorch state, results), so only the queue is shared.
 */
#include "run/pipeline.h"

#include <stdlib.h>
#include <string.h>

#include "output/store.h"
#include "run/pipeline_transcript.h"
#include "run/pipeline_worker.h"
#include "util/clock.h"
#include "util/error.h"

typedef struct {
  /* Per-video progress on the inference side. */
  int64_t pending;  /* windows sent to the model, outputs not yet in */
  int64_t received; /* rows stored */
  int64_t capacity; /* rows allocated */
  int ended;        /* ITEM_END seen */
  int64_t total;    /* windows, from ITEM_END */
  size_t row_floats;
} video_acc;

/* ---- the inference side ------------------------------------------------- */

typedef struct {
  ef_model *m;
  const ef_settings *s;
  const pipeline_video *videos;
  size_t n;
  const ef_params *params;
  pipeline_result *res;
  video_acc *acc;
  pipeline_times *times;
  item **batch; /* windows waiting for the model */
  size_t batch_n, batch_cap;
  float *batch_buf;
  size_t batch_buf_floats;
  int cancelled;
  claim *claims;      /* run_shared's, per video */
  const store *store; /* NULL: features stay in memory */
  /* Each video's windows_estimate, for ef_progress_info. */
  int64_t *estimates;
  /* io.out_format transcript: the model's labels, read once per run. */
  ctc_labels labels;
  int transcripts;
} infer_state;

/* Video v has ended here, one way or another: its claim goes. */
static void release_claim(infer_state *st, size_t v) {
  if (st->claims)
    store_claim_release(&st->claims[v]);
}

static void fail_video(infer_state *st, size_t v, int code, const char *msg) {
  pipeline_result *r = &st->res[v];
  if (r->outcome == EF_VIDEO_FAILED)
    return;
  release_claim(st, v);
  r->outcome = EF_VIDEO_FAILED;
  r->status = code;
  free(r->error);
  r->error = strdup(msg && *msg ? msg : "unknown error");
  free(r->data);
  free(r->starts);
  free(r->ends);
  r->data = NULL;
  r->starts = r->ends = NULL;
}

/* Stores one output row of video v; grows its arrays as windows arrive. */
static int store_row(infer_state *st, size_t v, const item *it,
                     const efs_output *out, const float *row) {
  pipeline_result *r = &st->res[v];
  video_acc *a = &st->acc[v];
  size_t row_floats = 1;
  for (int d = 1; d < out->ndim; d++)
    row_floats *= (size_t)out->shape[d];
  if (a->received == 0 && a->capacity == 0) {
    a->row_floats = row_floats;
    r->ndim = out->ndim;
    for (int d = 1; d < out->ndim; d++)
      r->shape[d] = out->shape[d];
  } else if (row_floats != a->row_floats || out->ndim != r->ndim) {
    return ef_error_set(EF_EMODEL, "model output shape changed between "
                                   "batches");
  }
  if (a->received == a->capacity) {
    int64_t cap = a->capacity ? a->capacity * 2 : 64;
    float *d = realloc(r->data, sizeof(float) * row_floats * (size_t)cap);
    if (d)
      r->data = d;
    double *s0 = realloc(r->starts, sizeof(double) * (size_t)cap);
    if (s0)
      r->starts = s0;
    double *e0 = realloc(r->ends, sizeof(double) * (size_t)cap);
    if (e0)
      r->ends = e0;
    if (!d || !s0 || !e0)
      return ef_error_set(EF_ENOMEM, "out of memory storing features");
    a->capacity = cap;
  }
  memcpy(r->data + (size_t)a->received * row_floats, row,
         row_floats * sizeof(float));
  r->starts[a->received] = it->start;
  r->ends[a->received] = it->end;
  a->received++;
  return EF_OK;
}

/* A video whose END has come and whose windows are all through the model
 * is complete: write it, or keep it for the caller. */
static void maybe_finish(infer_state *st, size_t v) {
  pipeline_result *r = &st->res[v];
  video_acc *a = &st->acc[v];
  if (!a->ended || a->pending > 0 || r->outcome == EF_VIDEO_FAILED)
    return;
  if (st->s->debug_mode) { /* the windows went to PNG files */
    r->windows = a->total;
    r->outcome = EF_VIDEO_DONE;
    return;
  }
  if (a->received != a->total) {
    fail_video(st, v, EF_EMODEL, "lost windows between decoder and model");
    return;
  }
  r->windows = a->total;
  r->shape[0] = a->total;
  const pipeline_video *pv = &st->videos[v];
  if (st->store) {
    double t0 = clock_now_seconds();
    store_output o = {.data = r->data,
                      .shape = r->shape,
                      .ndim = r->ndim,
                      .starts = r->starts,
                      .ends = r->ends,
                      .windows = a->total};
    /* Transcripts take per-window text, decoded from the emissions. */
    int rc = st->transcripts
                 ? pipeline_write_transcript(st->store, &st->labels, pv, r)
                 : store_write(st->store, pv->uid, pv->is_stereo, &o);
    st->times->seconds[EF_TIME_SAVE] += clock_now_seconds() - t0;
    if (rc != EF_OK) {
      fail_video(st, v, rc, ef_last_error());
      return;
    }
    free(r->data);
    free(r->starts);
    free(r->ends);
    r->data = NULL;
    r->starts = r->ends = NULL;
  }
  release_claim(st, v); /* after the rename: the file is complete */
  r->outcome = EF_VIDEO_DONE;
  r->status = EF_OK;
}

static void report_progress(infer_state *st, size_t v) {
  const ef_params *p = st->params;
  if (!p || !p->progress)
    return;
  const pipeline_result *r = &st->res[v];
  ef_progress_info info;
  memset(&info, 0, sizeof info);
  info.video_index = v;
  info.video_count = st->n;
  info.uid = st->videos[v].uid;
  info.windows_done = st->acc[v].received;
  /* Exact once the video ended, then the decoder's figure, else the
   * estimate made before the run. */
  info.windows_total = st->acc[v].ended           ? st->acc[v].total
                       : r->windows_expected >= 0 ? r->windows_expected
                                                  : st->estimates[v];
  info.failed = r->outcome == EF_VIDEO_FAILED;
  info.skipped = r->outcome == EF_VIDEO_SKIPPED;
  info.finished = info.failed || info.skipped || r->outcome == EF_VIDEO_DONE;
  info.status = info.finished ? r->status : EF_OK;
  info.error = info.finished && r->error ? r->error : "";
  info.windows_estimated = st->estimates;
  if (p->progress(&info, p->progress_user_data))
    st->cancelled = 1;
}

static size_t item_floats(const item *it) {
  size_t n = 1;
  for (int d = 0; d < it->ndim; d++)
    n *= (size_t)it->shape[d];
  return n;
}

static int same_shape(const item *a, const item *b) {
  return a->ndim == b->ndim &&
         memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)a->ndim) == 0;
}

static void run_batch(infer_state *st) {
  if (st->batch_n == 0)
    return;
  window_batch wb = {0};
  const item *first = st->batch[0];
  size_t floats = item_floats(first);
  wb.b = (int64_t)st->batch_n;
  wb.ndim = first->ndim;
  memcpy(wb.shape, first->shape, sizeof wb.shape);
  int rc = EF_OK;
  if (st->batch_n == 1) {
    wb.data = first->data;
  } else {
    /* Windows arrive as separate buffers; the model wants one tensor. */
    if (st->batch_buf_floats < floats * st->batch_n) {
      float *buf = realloc(st->batch_buf, sizeof(float) * floats * st->batch_n);
      if (buf) {
        st->batch_buf = buf;
        st->batch_buf_floats = floats * st->batch_n;
      } else {
        rc = ef_error_set(EF_ENOMEM, "out of memory for a batch");
      }
    }
    for (size_t i = 0; rc == EF_OK && i < st->batch_n; i++)
      memcpy(st->batch_buf + i * floats, st->batch[i]->data,
             floats * sizeof(float));
    wb.data = st->batch_buf;
  }
  efs_output out = {0};
  efs_timing tm = {0, 0};
  if (rc == EF_OK)
    rc = model_forward(st->m, &wb, &out, &tm);
  st->times->seconds[EF_TIME_TRANSFER] += tm.transfer;
  st->times->seconds[EF_TIME_FORWARD] += tm.forward;
  st->times->forward_passes++;
  if (rc == EF_OK && (out.ndim < 1 || out.shape[0] != wb.b))
    rc = ef_error_set(
        EF_EMODEL, "model returned %lld rows for a batch of %lld windows",
        out.ndim ? (long long)out.shape[0] : 0LL, (long long)wb.b);
  size_t row_floats = 1;
  for (int d = 1; rc == EF_OK && d < out.ndim; d++)
    row_floats *= (size_t)out.shape[d];
  char *msg = rc != EF_OK ? ef_error_dup() : NULL;
  for (size_t i = 0; i < st->batch_n; i++) {
    item *it = st->batch[i];
    size_t v = it->video;
    st->acc[v].pending--;
    if (st->res[v].outcome != EF_VIDEO_FAILED) {
      if (rc != EF_OK)
        fail_video(st, v, rc, msg);
      else if (store_row(st, v, it, &out, out.data + i * row_floats) != EF_OK)
        fail_video(st, v, ef_last_error_code(), ef_last_error());
    }
    item_free(it);
    maybe_finish(st, v);
    if (i + 1 == st->batch_n || st->batch[i + 1]->video != v)
      report_progress(st, v);
  }
  free(msg);
  free(out.data);
  st->batch_n = 0;
}

static void handle_item(infer_state *st, item *it) {
  size_t v = it->video;
  pipeline_result *r = &st->res[v];
  switch (it->kind) {
  case ITEM_START:
    r->windows_expected = it->value;
    r->frames = it->frames;
    item_free(it);
    report_progress(st, v);
    return;
  case ITEM_WINDOW:
    if (r->outcome == EF_VIDEO_FAILED) {
      item_free(it);
      return;
    }
    /* A batch holds windows of one shape: whole-file audio windows of two
     * files differ, so the batch is run before a differing one joins. */
    if (st->batch_n > 0 && !same_shape(st->batch[0], it))
      run_batch(st);
    st->acc[v].pending++;
    st->batch[st->batch_n++] = it;
    if (st->batch_n == st->batch_cap)
      run_batch(st);
    return;
  case ITEM_END:
    st->acc[v].ended = 1;
    st->acc[v].total = it->value;
    r->frames = it->frames;
    item_free(it);
    maybe_finish(st, v);
    if (r->outcome != EF_VIDEO_NOT_RUN)
      report_progress(st, v);
    return;
  case ITEM_FAILED:
    fail_video(st, v, it->value < 0 ? (int)it->value : EF_EDECODE, it->error);
    item_free(it);
    report_progress(st, v);
    return;
  case ITEM_SKIPPED:
    release_claim(st, v);
    r->outcome = EF_VIDEO_SKIPPED;
    r->status = (int)it->value; /* EF_ENOSTREAM: no audio */
    if (it->error) {            /* why it was skipped, for the user */
      free(r->error);
      r->error = it->error;
      it->error = NULL;
    }
    item_free(it);
    report_progress(st, v);
    return;
  }
  item_free(it);
}

void pipeline_result_clear(pipeline_result *r) {
  free(r->error);
  free(r->data);
  free(r->starts);
  free(r->ends);
  memset(r, 0, sizeof *r);
}

static int start_workers(run_shared *rs, pthread_t *threads, int n_workers) {
  for (int i = 0; i < n_workers; i++) {
    if (pthread_create(&threads[i], NULL, pipeline_worker_main, rs) != 0) {
      /* The workers that did start still finish the run. */
      for (int j = i; j < n_workers; j++)
        queue_producer_done(&rs->q);
      if (i == 0)
        return ef_error_set(EF_ENOMEM, "could not start a decode thread");
      return i;
    }
  }
  return n_workers;
}

/* The inference side's state and the claims both sides share (rs).
 * EF_ENOMEM if they cannot be had; pipeline_run frees them either way. */
static int infer_state_init(infer_state *st, run_shared *rs, ef_model *m,
                            const ef_settings *s, const store *store,
                            const pipeline_video *videos, size_t n,
                            const ef_params *params, pipeline_result *results,
                            pipeline_times *times) {
  for (size_t i = 0; i < n; i++)
    results[i].outcome = EF_VIDEO_NOT_RUN;
  st->m = m;
  st->s = s;
  st->videos = videos;
  st->n = n;
  st->params = params;
  st->res = results;
  st->times = times;
  st->batch_cap = (size_t)s->batch_size;
  st->acc = calloc(n ? n : 1, sizeof *st->acc);
  st->batch = calloc(st->batch_cap, sizeof *st->batch);
  st->claims = rs->claims = calloc(n ? n : 1, sizeof *rs->claims);
  for (size_t i = 0; rs->claims && i < n; i++)
    rs->claims[i].fd = -1;
  st->estimates = calloc(n ? n : 1, sizeof *st->estimates);
  for (size_t i = 0; st->estimates && i < n; i++)
    st->estimates[i] = videos[i].windows_estimate;
  if (!st->acc || !st->batch || !rs->claims || !st->estimates)
    return ef_error_set(EF_ENOMEM, "out of memory starting the pipeline");
  /* Before any video: a model without labels fails the run, not each
   * video. Debug mode writes model inputs, no text; without a store the
   * emissions stay in memory for the caller. */
  st->transcripts =
      s->out_format == EF_FORMAT_TRANSCRIPT && !s->debug_mode && store;
  if (st->transcripts)
    return ctc_labels_load(s->model_path, &st->labels);
  return EF_OK;
}

/* Takes the workers' items until they are all done or the run is
 * cancelled, then runs the last, partial batch. */
static void consume(infer_state *st, run_shared *rs) {
  const ef_params *params = st->params;
  for (;;) {
    double waited;
    if (params && params->cancel && *params->cancel)
      st->cancelled = 1;
    if (st->cancelled)
      break;
    item *it = queue_pop(&rs->q, &waited);
    st->times->seconds[EF_TIME_DECODE_WAIT] += waited;
    if (!it)
      break;
    handle_item(st, it);
  }
  if (!st->cancelled)
    run_batch(st);
}

/* The run's status once the workers have stopped: a video that never
 * reported fails, any failure makes it EF_EPARTIAL, a cancel wins. A
 * video still in flight when the run stopped keeps no partial data. */
static int settle_results(infer_state *st, int rc) {
  pipeline_result *results = st->res;
  if (rc == EF_OK) {
    for (size_t i = 0; i < st->n; i++) {
      pipeline_result *r = &results[i];
      if (r->outcome == EF_VIDEO_NOT_RUN && !st->cancelled)
        fail_video(st, i, EF_EDECODE, "the video ended without a result");
      if (r->outcome == EF_VIDEO_FAILED && rc == EF_OK)
        rc = EF_EPARTIAL;
    }
    if (st->cancelled)
      rc = ef_error_set(EF_ECANCELLED, "cancelled by the caller");
  }
  for (size_t i = 0; i < st->n; i++)
    if (results[i].outcome == EF_VIDEO_NOT_RUN) {
      free(results[i].data);
      free(results[i].starts);
      free(results[i].ends);
      results[i].data = NULL;
      results[i].starts = results[i].ends = NULL;
    }
  return rc;
}

int pipeline_run(ef_model *m, const ef_settings *s, const store *store,
                 const pipeline_video *videos, size_t n,
                 const ef_params *params, pipeline_result *results,
                 pipeline_times *times) {
  int n_workers = s->num_workers > 1 ? s->num_workers : 1;
  if ((size_t)n_workers > n)
    n_workers = n ? (int)n : 1;
  size_t cap = (size_t)s->batch_size *
               (size_t)(s->prefetch_factor > 1 ? s->prefetch_factor : 2);
  run_shared rs = {0};
  infer_state st = {0};
  pthread_t *threads = calloc((size_t)n_workers, sizeof *threads);
  int started = 0;
  double t0 = clock_now_seconds();
  int rc = infer_state_init(&st, &rs, m, s, store, videos, n, params, results,
                            times);
  if (rc == EF_OK && !threads)
    rc = ef_error_set(EF_ENOMEM, "out of memory starting the pipeline");
  if (rc != EF_OK)
    goto done;
  rs.s = s;
  rs.store = store;
  st.store = store;
  rs.videos = videos;
  rs.n = n;
  rs.decode_threads = params ? params->decode_threads : 0;
  atomic_init(&rs.next_video, 0);
  /* Windows in flight: the queue's, a batch, one being built per worker. */
  rs.pool = buffer_pool_create(cap + (size_t)s->batch_size + (size_t)n_workers);
  if (!rs.pool || queue_init(&rs.q, cap, n_workers) != 0) {
    buffer_pool_free(rs.pool);
    rs.pool = NULL;
    rc = ef_error_set(EF_ENOMEM, "could not create the window queue");
    goto done;
  }
  pthread_mutex_init(&rs.busy_lock, NULL);
  started = start_workers(&rs, threads, n_workers);
  if (started < 0) {
    rc = started;
    started = 0;
  } else {
    consume(&st, &rs);
  }

  queue_stop(&rs.q);
  for (int i = 0; i < started; i++)
    pthread_join(threads[i], NULL);
  for (size_t i = 0; i < st.batch_n; i++)
    item_free(st.batch[i]);
  st.batch_n = 0;
  queue_destroy(&rs.q);
  buffer_pool_free(rs.pool); /* every window item is freed by now */
  pthread_mutex_destroy(&rs.busy_lock);
  times->seconds[EF_TIME_DECODE] += rs.decode_busy;
  rc = settle_results(&st, rc);
done:
  times->seconds[EF_TIME_OVERALL] += clock_now_seconds() - t0;
  /* Videos still in flight when the run stopped are no longer ours;
   * also when the run could not start. */
  if (st.claims)
    for (size_t i = 0; i < n; i++)
      store_claim_release(&st.claims[i]);
  free(st.claims);
  free(st.estimates);
  ctc_labels_free(&st.labels);
  free(st.batch_buf);
  free(st.batch);
  free(st.acc);
  free(threads);
  return rc;
}
