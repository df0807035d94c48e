/*
 * pipeline_worker.c - the decode side of a run: each worker takes the next
 * video, checks whether its complete output already exists, and runs the
 * video's source (frames or audio) into the shared queue, or, in debug
 * mode, into PNG files. Failures become ITEM_FAILED messages; nothing here
 * stops the other videos.
 */
#include "run/pipeline_worker.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_kind.h"
#include "output/debug_dump.h"
#include "output/store.h"
#include "util/error.h"
#include "window/audio_windows.h"
#include "window/video_windows.h"

static int push_item(void *ctx, item *it) {
  run_shared *rs = ctx;
  return queue_push(&rs->q, it);
}

/* A failure or skip of video, with its status code. */
static void push_outcome(run_shared *rs, item_kind kind, size_t video,
                         int status, const char *message) {
  item *it = calloc(1, sizeof *it);
  if (!it)
    return; /* the video then ends as failed for lack of an END */
  it->kind = kind;
  it->video = video;
  it->value = status;
  if (message)
    it->error = strdup(message);
  queue_push(&rs->q, it);
}

/* A failure takes the code of the error being reported; a skip is
 * EF_OK. */
static void push_status(run_shared *rs, item_kind kind, size_t video,
                        const char *message) {
  push_outcome(rs, kind, video, kind == ITEM_FAILED ? ef_last_error_code() : 0,
               message);
}

/* io.debug_mode: each window's model input goes to
 * <debug_path>/<uid>/w<window>_t<start>-<end>.png instead of the model
 * (debug_file_name). */
typedef struct {
  run_shared *rs;
  const char *uid;
  int made_dir;
  char *error; /* the first failure, kept past the source's cleanup */
} debug_ctx;

void debug_file_name(int64_t window, double start, double end, char *buf,
                     size_t n) {
  /* Zero-padded so names sort in window order; the times say where in
   * the video to look. */
  snprintf(buf, n, "w%06lld_t%07.2f-%07.2f.png", (long long)window, start, end);
}

/* A video window as its grid: each frame labelled with its frame number
 * in the video, and for SlowFast the slow pathway's frames first. */
static int debug_video_png(const char *path, const item *it,
                           const ef_settings *s) {
  int T = (int)it->shape[1];
  int64_t *numbers = malloc((size_t)T * 2 * sizeof *numbers);
  if (!numbers)
    return ef_error_set(EF_ENOMEM, "cannot write %s: out of memory", path);
  /* Frame numbers back from the window's times, which are exact
   * multiples of 1/fps; a short video repeats its last frame. */
  double fps = (double)s->fps_num / (double)s->fps_den;
  int64_t first = llround(it->start * fps), last = llround(it->end * fps) - 1;
  for (int t = 0; t < T; t++)
    numbers[t] = first + t < last ? first + t : last;
  debug_grid g = {numbers, NULL, 0};
  if (s->model_kind && strcmp(s->model_kind, "slowfast") == 0 &&
      s->slowfast_alpha > 0) {
    g.slow = numbers + T;
    g.n_slow = (int)slowfast_slow_indices(T, s->slowfast_alpha, numbers + T);
  }
  int rc = debug_write_window_grid(path, it->data, T, (int)it->shape[2],
                                   (int)it->shape[3], s->mean, s->std, &g);
  free(numbers);
  return rc;
}

static int debug_emit(void *ctx, item *it) {
  debug_ctx *d = ctx;
  const ef_settings *s = d->rs->s;
  if (it->kind != ITEM_WINDOW)
    return push_item(d->rs, it);
  char dir[4096], name[96], path[4200];
  debug_file_name(it->window, it->start, it->end, name, sizeof name);
  snprintf(dir, sizeof dir, "%s/%s", s->debug_path, d->uid);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int rc = d->made_dir ? EF_OK : store_mkdirs(dir);
  d->made_dir = rc == EF_OK;
  if (rc == EF_OK && it->ndim == 4)
    rc = debug_video_png(path, it, s);
  else if (rc == EF_OK)
    rc = debug_write_matrix_png(path, it->data, (int)it->shape[0],
                                it->ndim > 1 ? (int)it->shape[1] : 1);
  item_free(it);
  if (rc != EF_OK) {
    d->error = ef_error_dup();
    return 1; /* stops this video's source */
  }
  return 0;
}

/* The per-worker source of windows: video frames or audio. */
typedef struct {
  video_windows *video;
  audio_windows *audio;
} source;

static int source_create(const run_shared *rs, source *src) {
  memset(src, 0, sizeof *src);
  if (rs->s->include_audio)
    return audio_windows_create(rs->s, &src->audio);
  return video_windows_create(rs->s, rs->decode_threads, rs->pool, &src->video);
}

static int source_run(source *src, size_t v, const pipeline_video *pv,
                      emit_fn emit, void *ctx) {
  if (src->audio)
    return audio_windows_run(src->audio, v, pv->path, emit, ctx);
  if (pv->frames)
    return video_windows_run_frames(src->video, v, pv->frames, pv->path, emit,
                                    ctx);
  return video_windows_run(src->video, v, pv->path, pv->is_stereo, emit, ctx);
}

static double source_free(source *src) {
  double busy = 0;
  if (src->video)
    busy = video_windows_busy_seconds(src->video);
  if (src->audio)
    busy = audio_windows_busy_seconds(src->audio);
  video_windows_free(src->video);
  audio_windows_free(src->audio);
  return busy;
}

static const char no_audio_skip[] =
    "no audio stream (skipped: io.exclude_no_audio is set)";

/* io.filter_completed and io.on_mismatch on video v's output: 1 if the
 * video is to run, 0 if a status was pushed instead. */
static int output_to_do(run_shared *rs, size_t v) {
  const pipeline_video *pv = &rs->videos[v];
  const ef_settings *s = rs->s;
  if (!s->filter_completed)
    return 1;
  store_answer a;
  if (store_state(rs->store, pv->uid, pv->is_stereo, &a) != EF_OK) {
    push_status(rs, ITEM_FAILED, v, ef_last_error());
    return 0;
  }
  const char *why = a.why;
  int run = 0;
  if (a.verdict == STORE_TODO) {
    run = 1;
  } else if (a.verdict == STORE_DONE) {
    push_status(rs, ITEM_SKIPPED, v, NULL);
  } else if (s->on_mismatch == EF_MISMATCH_REDO) {
    run = 1;
  } else if (s->on_mismatch == EF_MISMATCH_SKIP) {
    char msg[2048];
    snprintf(msg, sizeof msg, "kept (io.on_mismatch=skip): %s",
             why ? why : "out of memory");
    push_status(rs, ITEM_SKIPPED, v, msg);
  } else {
    /* The run checked every output before it started; this one changed
     * since (another run wrote it). */
    char msg[2048];
    snprintf(msg, sizeof msg,
             "%s; not overwritten (io.on_mismatch=refuse; redo recomputes "
             "it, skip keeps it)",
             why ? why : "out of memory");
    ef_error_set(EF_ECONFIG, "%s", msg);
    push_status(rs, ITEM_FAILED, v, msg);
  }
  store_answer_clear(&a);
  return run;
}

/* Claims video v's output, then checks again that it is still to do: a
 * process that finished it between the first check and the claim has
 * released its claim already. 1 if the video may run, 0 if a status was
 * pushed instead. */
static int claim_video(run_shared *rs, size_t v) {
  const pipeline_video *pv = &rs->videos[v];
  char *holder = NULL;
  int rc = store_claim(rs->store, pv->uid, &rs->claims[v], &holder);
  if (rc == CLAIM_BUSY) {
    char msg[512];
    snprintf(msg, sizeof msg, "being extracted by another process (%s)",
             holder);
    free(holder);
    push_status(rs, ITEM_SKIPPED, v, msg);
    return 0;
  }
  if (rc != EF_OK) {
    push_status(rs, ITEM_FAILED, v, ef_last_error());
    return 0;
  }
  return output_to_do(rs, v);
}

static void run_one(run_shared *rs, source *src, size_t v) {
  const pipeline_video *pv = &rs->videos[v];
  const ef_settings *s = rs->s;
  if (pv->reject) {
    ef_error_set(EF_EINVAL, "%s", pv->reject);
    push_status(rs, ITEM_FAILED, v, pv->reject);
    return;
  }
  if (pv->skip) {
    push_status(rs, ITEM_SKIPPED, v, *pv->skip ? pv->skip : NULL);
    return;
  }
  /* Checked as each video starts, not once per run: another task may
   * have finished it meanwhile. */
  if (rs->store && !s->debug_mode && !output_to_do(rs, v))
    return;
  if (rs->store && !s->debug_mode && !claim_video(rs, v))
    return;
  if (s->include_audio && s->exclude_no_audio && pv->has_audio == 0) {
    push_outcome(rs, ITEM_SKIPPED, v, EF_ENOSTREAM, no_audio_skip);
    return;
  }
  debug_ctx dbg = {rs, pv->uid, 0, NULL};
  int rc = s->debug_mode ? source_run(src, v, pv, debug_emit, &dbg)
                         : source_run(src, v, pv, push_item, rs);
  if (dbg.error) {
    push_status(rs, ITEM_FAILED, v, dbg.error);
    free(dbg.error);
  } else if (rc == EF_ENOSTREAM && s->include_audio && s->exclude_no_audio)
    push_outcome(rs, ITEM_SKIPPED, v, EF_ENOSTREAM, no_audio_skip);
  else if (rc != EF_OK && rc != EF_ECANCELLED)
    push_status(rs, ITEM_FAILED, v, ef_last_error());
}

void *pipeline_worker_main(void *arg) {
  run_shared *rs = arg;
  source src;
  int rc = source_create(rs, &src);
  for (;;) {
    size_t v = atomic_fetch_add(&rs->next_video, 1);
    if (v >= rs->n || queue_is_stopped(&rs->q))
      break;
    if (rc != EF_OK)
      push_status(rs, ITEM_FAILED, v, ef_last_error());
    else
      run_one(rs, &src, v);
  }
  double busy = source_free(&src);
  pthread_mutex_lock(&rs->busy_lock);
  rs->decode_busy += busy;
  pthread_mutex_unlock(&rs->busy_lock);
  queue_producer_done(&rs->q);
  return NULL;
}
