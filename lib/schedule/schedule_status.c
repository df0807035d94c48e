/*
 * schedule_status.c - the per-bin status files (status/bin_N.json in the
 * plan's folder): a task writes its bin's (ef_schedule_status_*) as it
 * goes, and the scheduler reads them all back into the plan
 * (ef_plan_read_status) for its summary and for reruns. The task holds
 * the bin's lock (status/bin_N.lock) while it runs: a second process that
 * would run the same bin (a rerun beside orphaned tasks) is refused
 * before it writes anything, so no status file is written by two.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "output/store.h"
#include "schedule/schedule_internal.h"
#include "schedule/schedule_json.h"
#include "util/error.h"
#include "util/membuf.h"

#define STATUS_FORMAT "ego4dfeat-status"

static char *dup_or_empty(const char *s) {
  return strdup(s ? s : "");
}

/* In the order of ef_video_outcome and ef_bin_state. */
static const char *const outcome_names[] = {"done", "skipped", "failed",
                                            "not_run"};
static const char *const state_names[] = {"not_started", "running", "finished",
                                          "cancelled", "failed"};
#define N_OUTCOMES (sizeof outcome_names / sizeof *outcome_names)
#define N_STATES (sizeof state_names / sizeof *state_names)

const char *ef_bin_state_name(int state) {
  return state >= 0 && (size_t)state < N_STATES ? state_names[state] : NULL;
}

const char *ef_video_outcome_name(int outcome) {
  return outcome >= 0 && (size_t)outcome < N_OUTCOMES ? outcome_names[outcome]
                                                      : NULL;
}

static int name_index(const char *const *names, size_t n, const char *s) {
  for (size_t i = 0; s && i < n; i++)
    if (strcmp(names[i], s) == 0)
      return (int)i;
  return -1;
}

static char *status_file(const char *dir, size_t bin) {
  char name[48];
  snprintf(name, sizeof name, "/status/bin_%05zu.json", bin);
  return sched_join(dir, "", name);
}

struct ef_schedule_status {
  char *path;
  int lock_fd; /* status/bin_N.lock, flock'ed; -1 where locks fail */
  char key[17];
  size_t bin;
  char *runner;
  char host[256];
  double started;
  ef_bin_state state;
  char *error;
  size_t n;
  char **uids;
  ef_video_outcome *outcomes;
  char **errors;
};

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int status_write(const ef_schedule_status *st) {
  membuf b = {0};
  membuf_printf(&b,
                "{\n  \"format\": \"%s\",\n  \"version\": %d,\n  \"plan\": "
                "\"%s\",\n  \"bin\": %zu,\n  \"runner\": ",
                STATUS_FORMAT, FILE_VERSION, st->key, st->bin);
  membuf_json(&b, st->runner);
  membuf_puts(&b, ",\n  \"host\": ");
  membuf_json(&b, st->host);
  membuf_printf(
      &b,
      ",\n  \"pid\": %ld,\n  \"state\": \"%s\",\n  \"started\": %.3f,\n"
      "  \"updated\": %.3f,\n  \"error\": ",
      (long)getpid(), state_names[st->state], st->started, wall_now());
  membuf_json(&b, st->error);
  membuf_puts(&b, ",\n  \"videos\": [");
  for (size_t i = 0; i < st->n; i++) {
    membuf_puts(&b, i ? ",\n    {\"uid\": " : "\n    {\"uid\": ");
    membuf_json(&b, st->uids[i]);
    membuf_printf(&b, ", \"outcome\": \"%s\", \"error\": ",
                  outcome_names[st->outcomes[i]]);
    membuf_json(&b, st->errors[i]);
    membuf_puts(&b, "}");
  }
  membuf_puts(&b, "\n  ]\n}\n");
  if (b.failed) {
    free(b.data);
    return sched_nomem();
  }
  int rc = store_file_write(st->path, b.data, b.len);
  free(b.data);
  return rc;
}

/* Who holds a bin's lock, as its holder wrote it ("pid 12 on host h"). */
static void lock_holder(int fd, char *buf, size_t n) {
  ssize_t got = pread(fd, buf, n - 1, 0);
  buf[got > 0 ? got : 0] = '\0';
  buf[strcspn(buf, "\n")] = '\0';
  if (!*buf)
    snprintf(buf, n, "another process");
}

/* Takes status/bin_N.lock for this process (st->lock_fd), or refuses
 * with the holder named. O_NOFOLLOW: the lock file is ours to create, a
 * symlink in its place is not followed. */
static int lock_bin(ef_schedule_status *st, const char *dir) {
  char name[48];
  snprintf(name, sizeof name, "/bin_%05zu.lock", st->bin);
  char *path = sched_join(dir, "", name);
  if (!path)
    return sched_nomem();
  int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) {
    int rc = ef_error_set(EF_EIO, "cannot open the lock file %s: %s", path,
                          strerror(errno));
    free(path);
    return rc;
  }
  int r;
  while ((r = flock(fd, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR)
    ;
  if (r != 0 && errno == EWOULDBLOCK) {
    char who[320];
    lock_holder(fd, who, sizeof who);
    int rc = ef_error_set(EF_EIO,
                          "bin %zu is being run by %s (it holds %s); not "
                          "running it twice: wait for it to end, or end it",
                          st->bin, who, path);
    close(fd);
    free(path);
    return rc;
  }
  free(path);
  if (r != 0) { /* a filesystem without locks: run unlocked, as before */
    close(fd);
    st->lock_fd = -1;
    return EF_OK;
  }
  char who[320];
  int len = snprintf(who, sizeof who, "pid %ld on host %s\n", (long)getpid(),
                     st->host);
  if (ftruncate(fd, 0) != 0 || write(fd, who, (size_t)len) != len)
    ef_error_clear(); /* only the refusal's message uses it */
  st->lock_fd = fd;
  return EF_OK;
}

void ef_schedule_status_free(ef_schedule_status *st) {
  if (!st)
    return;
  if (st->lock_fd >= 0)
    close(st->lock_fd); /* releases the lock */
  for (size_t i = 0; st->uids && i < st->n; i++) {
    free(st->uids[i]);
    free(st->errors[i]);
  }
  free(st->uids);
  free(st->errors);
  free(st->outcomes);
  free(st->runner);
  free(st->error);
  free(st->path);
  free(st);
}

int ef_schedule_status_begin(const ef_plan *p, size_t bin, const char *runner,
                             ef_schedule_status **out) {
  const plan_bin *b = sched_bin_at(p, bin);
  if (!out)
    return ef_error_set(EF_EINVAL, "ef_schedule_status_begin: NULL argument");
  *out = NULL;
  if (!b)
    return ef_error_set(EF_EINVAL, "the plan has no bin %zu (it has %zu)", bin,
                        p ? p->n_bins : 0);
  ef_schedule_status *st = calloc(1, sizeof *st);
  char *dir = NULL;
  int rc = EF_OK;
  if (!st)
    return sched_nomem();
  st->lock_fd = -1;
  st->bin = bin;
  st->n = b->n;
  st->started = wall_now();
  st->state = EF_BIN_RUNNING;
  memcpy(st->key, p->key, sizeof st->key);
  if (gethostname(st->host, sizeof st->host - 1) != 0)
    strcpy(st->host, "?");
  st->path = status_file(p->dir, bin);
  st->runner = dup_or_empty(runner);
  st->error = strdup("");
  st->uids = calloc(b->n ? b->n : 1, sizeof *st->uids);
  st->errors = calloc(b->n ? b->n : 1, sizeof *st->errors);
  st->outcomes = calloc(b->n ? b->n : 1, sizeof *st->outcomes);
  dir = sched_join(p->dir, "/", "status");
  if (!st->path || !st->runner || !st->error || !st->uids || !st->errors ||
      !st->outcomes || !dir) {
    rc = sched_nomem();
    goto fail;
  }
  for (size_t i = 0; i < b->n; i++) {
    st->uids[i] = strdup(p->videos[b->first + i].uid);
    st->errors[i] = strdup("");
    st->outcomes[i] = EF_VIDEO_NOT_RUN;
    if (!st->uids[i] || !st->errors[i]) {
      rc = sched_nomem();
      goto fail;
    }
  }
  if ((rc = store_mkdirs(dir)) != EF_OK || (rc = lock_bin(st, dir)) != EF_OK ||
      (rc = status_write(st)) != EF_OK)
    goto fail;
  free(dir);
  *out = st;
  return EF_OK;
fail:
  free(dir);
  ef_schedule_status_free(st);
  return rc;
}

int ef_schedule_status_set(ef_schedule_status *st, const char *uid,
                           ef_video_outcome outcome, const char *error) {
  if (!st || !uid || (int)outcome < 0 || outcome > EF_VIDEO_NOT_RUN)
    return ef_error_set(EF_EINVAL, "ef_schedule_status_set: bad argument");
  for (size_t i = 0; i < st->n; i++) {
    if (strcmp(st->uids[i], uid) != 0)
      continue;
    const char *msg = outcome == EF_VIDEO_FAILED && error ? error : "";
    if (st->outcomes[i] == outcome && strcmp(st->errors[i], msg) == 0)
      return EF_OK; /* the pipeline reports a finished video more than once */
    char *copy = strdup(msg);
    if (!copy)
      return sched_nomem();
    free(st->errors[i]);
    st->errors[i] = copy;
    st->outcomes[i] = outcome;
    return status_write(st);
  }
  return ef_error_set(EF_ENOTFOUND, "video '%s' is not in bin %zu", uid,
                      st->bin);
}

int ef_schedule_status_finish(ef_schedule_status *st, ef_bin_state state,
                              const char *error) {
  if (!st || state <= EF_BIN_RUNNING || state > EF_BIN_FAILED)
    return ef_error_set(EF_EINVAL, "ef_schedule_status_finish: bad argument");
  char *copy = strdup(error ? error : "");
  if (!copy)
    return sched_nomem();
  free(st->error);
  st->error = copy;
  st->state = state;
  return status_write(st);
}

/* Reads one bin's status file into the plan (none: not started). */
static int read_bin_status(ef_plan *p, size_t bin) {
  plan_bin *b = &p->bins[bin];
  char *path = status_file(p->dir, bin);
  json_doc d;
  if (!path)
    return sched_nomem();
  for (size_t i = 0; i < b->n; i++) {
    plan_video *v = &p->videos[b->first + i];
    v->outcome = EF_VIDEO_NOT_RUN;
    free(v->error);
    v->error = NULL;
  }
  free(b->runner);
  free(b->error);
  b->runner = b->error = NULL;
  b->state = EF_BIN_NOT_STARTED;
  int rc = schedule_json_load(path, &d);
  if (rc == EF_ENOTFOUND) {
    ef_error_clear();
    free(path);
    return EF_OK;
  }
  if (rc != EF_OK) {
    free(path);
    return rc;
  }
  json_node *root = json_root(&d), *videos = json_get(&d, root, "videos");
  const char *fmt = json_string(json_get(&d, root, "format"));
  int state = name_index(state_names, N_STATES,
                         json_string(json_get(&d, root, "state")));
  int64_t file_bin = -1;
  if (!fmt || strcmp(fmt, STATUS_FORMAT) != 0 || state < 0 ||
      json_int(json_get(&d, root, "bin"), &file_bin) != 0 ||
      file_bin != (int64_t)bin || !json_is_array(videos)) {
    rc = ef_error_set(EF_EINVAL, "%s: not the status file of bin %zu", path,
                      bin);
    goto done;
  }
  b->state = (ef_bin_state)state;
  if (!(b->runner = dup_or_empty(json_string(json_get(&d, root, "runner")))) ||
      !(b->error = dup_or_empty(json_string(json_get(&d, root, "error"))))) {
    rc = sched_nomem();
    goto done;
  }
  for (size_t k = 0; k < json_len(videos); k++) {
    json_node *e = json_at(&d, videos, k);
    const char *uid = json_string(json_get(&d, e, "uid"));
    int outcome = name_index(outcome_names, N_OUTCOMES,
                             json_string(json_get(&d, e, "outcome")));
    if (!uid || outcome < 0)
      continue;
    /* Written in the bin's order, so position k is nearly always it. */
    size_t i =
        k < b->n && strcmp(p->videos[b->first + k].uid, uid) == 0 ? k : b->n;
    for (size_t j = 0; i == b->n && j < b->n; j++)
      if (strcmp(p->videos[b->first + j].uid, uid) == 0)
        i = j;
    if (i == b->n)
      continue; /* not a video of this bin: ignore it */
    plan_video *v = &p->videos[b->first + i];
    v->outcome = (ef_video_outcome)outcome;
    const char *err = json_string(json_get(&d, e, "error"));
    if (err && *err && !(v->error = strdup(err))) {
      rc = sched_nomem();
      goto done;
    }
  }
done:
  json_free(&d);
  free(path);
  return rc;
}

int ef_plan_read_status(ef_plan *p) {
  if (!p)
    return ef_error_set(EF_EINVAL, "ef_plan_read_status: no plan");
  for (size_t b = 0; b < p->n_bins; b++) {
    int rc = read_bin_status(p, b);
    if (rc != EF_OK)
      return rc;
  }
  return EF_OK;
}

ef_bin_state ef_plan_bin_state(const ef_plan *p, size_t bin) {
  const plan_bin *b = sched_bin_at(p, bin);
  return b ? b->state : EF_BIN_INVALID;
}

const char *ef_plan_bin_runner(const ef_plan *p, size_t bin) {
  const plan_bin *b = sched_bin_at(p, bin);
  return b && b->runner ? b->runner : "";
}

const char *ef_plan_bin_error(const ef_plan *p, size_t bin) {
  const plan_bin *b = sched_bin_at(p, bin);
  return b && b->error ? b->error : "";
}

ef_video_outcome ef_plan_video_outcome(const ef_plan *p, size_t bin, size_t i) {
  const plan_video *v = sched_video_at(p, bin, i);
  return v ? v->outcome : EF_VIDEO_INVALID;
}

const char *ef_plan_video_error(const ef_plan *p, size_t bin, size_t i) {
  const plan_video *v = sched_video_at(p, bin, i);
  return v && v->error ? v->error : "";
}
