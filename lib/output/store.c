/*
 * store.c - the output store (store.h): the table of formats, and the
 * questions and writes every caller above output/ goes through. Each uid's
 * files are named here, once, from its format's entry.
 */
#include "output/store.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/fingerprint.h"
#include "output/out_sweep.h"
#include "output/provenance.h"
#include "output/store_format.h"
#include "output/write.h"
#include "output/write_times.h"
#include "util/error.h"

/* ---- The table of formats ----------------------------------------------- */

#define ENTRY_(id, name, entry) [EF_FORMAT_##id] = &entry,
static const store_format *const formats[EF_FORMAT_COUNT_] = {
    STORE_FORMATS(ENTRY_)};
#undef ENTRY_
#define NAME_(id, name, entry) [EF_FORMAT_##id] = name,
static const char *const names[EF_FORMAT_COUNT_] = {STORE_FORMATS(NAME_)};
#undef NAME_

const store_format *store_format_of(ef_out_format fmt) {
  return (int)fmt >= 0 && fmt < EF_FORMAT_COUNT_ ? formats[fmt] : NULL;
}

const char *store_format_name(ef_out_format fmt) {
  return (int)fmt >= 0 && fmt < EF_FORMAT_COUNT_ ? names[fmt] : NULL;
}

/* ---- Gathered files' indexes -------------------------------------------- */

const char *store_index_find(const store_index *idx, const char *uid) {
  size_t lo = 0, hi = idx->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int d = strcmp(idx->uids[mid], uid);
    if (d == 0)
      return idx->texts[mid];
    if (d < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

void store_index_free(store_index *idx) {
  for (size_t i = 0; i < idx->n; i++) {
    free(idx->uids ? idx->uids[i] : NULL);
    free(idx->texts ? idx->texts[i] : NULL);
  }
  free(idx->uids);
  free(idx->texts);
  memset(idx, 0, sizeof *idx);
}

/* ---- The store ---------------------------------------------------------- */

struct store {
  char *out_path;
  char *dir;             /* each uid's files: out_path or the parts folder */
  const store_format *f; /* io.out_format's entry */
  ef_out_format wfmt;    /* the format each uid's file is written in */
  char *run_text;        /* NULL in debug mode (or unhashable, lenient) */
  int debug;
  int compression; /* io.hdf5_compression's gzip level */
  store_index idx; /* a gathering format's file */
};

static char *dup_printf(const char *fmt, ...) EF_PRINTF(1, 2);
static char *dup_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *p = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (p) {
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  return p;
}

int store_open(const ef_settings *s, unsigned flags, store **out) {
  *out = NULL;
  const store_format *f = store_format_of(s->out_format);
  if (!f)
    return ef_error_set(EF_ECONFIG, "io.out_format: unknown format %d",
                        (int)s->out_format);
  store *st = calloc(1, sizeof *st);
  if (!st || !(st->out_path = strdup(s->out_path))) {
    free(st);
    return ef_error_set(EF_ENOMEM, "out of memory");
  }
  st->f = f;
  st->debug = s->debug_mode;
  st->compression = s->hdf5_gzip;
  st->wfmt = f->parts_dir ? f->part : s->out_format;
  int rc = EF_OK;
  st->dir = f->parts_dir ? dup_printf("%s/%s", s->out_path, f->parts_dir)
                         : strdup(s->out_path);
  if (!st->dir)
    rc = ef_error_set(EF_ENOMEM, "out of memory");
  /* The model file is hashed once, before anything is written, so that
   * a mismatch refuses the run with nothing touched. */
  if (rc == EF_OK && !s->debug_mode &&
      (rc = provenance_run_text(s, &st->run_text)) != EF_OK &&
      (flags & STORE_LENIENT)) {
    ef_error_clear();
    rc = EF_OK;
  }
  if (rc == EF_OK && f->index_load &&
      (rc = f->index_load(s->out_path, &st->idx)) != EF_OK &&
      (flags & STORE_LENIENT)) {
    ef_error_clear();
    rc = EF_OK;
  }
  if (rc != EF_OK) {
    store_close(st);
    return rc;
  }
  *out = st;
  return EF_OK;
}

void store_close(store *st) {
  if (!st)
    return;
  store_index_free(&st->idx);
  free(st->run_text);
  free(st->dir);
  free(st->out_path);
  free(st);
}

const char *store_run_text(const store *st) {
  return st->run_text;
}

const char *store_out_path(const store *st) {
  return st->out_path;
}

char *store_uid_problem(const store *st, const char *uid, int *rc) {
  *rc = EF_OK;
  return st->f->uid_problem ? st->f->uid_problem(uid, rc) : NULL;
}

void store_answer_clear(store_answer *a) {
  free(a->why);
  memset(a, 0, sizeof *a);
}

/* uid's three files in the store's folder (caller frees); EF_ENOMEM. */
static int uid_files(const store *st, const char *uid, char **out, char **times,
                     char **fp) {
  *out = write_output_path(st->dir, uid, st->wfmt);
  *times = write_times_path(st->dir, uid);
  *fp = provenance_fp_path(st->dir, uid);
  if (*out && *times && *fp)
    return EF_OK;
  free(*out);
  free(*times);
  free(*fp);
  *out = *times = *fp = NULL;
  return ef_error_set(EF_ENOMEM, "out of memory naming the outputs of %s", uid);
}

/* What the gathered file says of uid, once its part is not complete. */
static store_verdict gathered_state(const store *st, const char *uid,
                                    const char *want, int any_stereo,
                                    char **why) {
  const char *have = store_index_find(&st->idx, uid);
  if (!have)
    return STORE_TODO;
  if (!*have) {
    *why = dup_printf("%s/%s:/%s has no provenance attribute", st->out_path,
                      st->f->file, uid);
    return STORE_LEGACY;
  }
  if (any_stereo ? provenance_same_run(have, want) : strcmp(have, want) == 0)
    return STORE_DONE;
  char *d = fingerprint_diff(have, want);
  *why = dup_printf("%s/%s:/%s was computed with another configuration: %s",
                    st->out_path, st->f->file, uid, d ? d : "(out of memory)");
  free(d);
  return STORE_MISMATCH;
}

/* store_state; with final, a gathering format's parts do not count. */
static int state_of(const store *st, const char *uid, int is_stereo, int final,
                    store_answer *a) {
  memset(a, 0, sizeof *a);
  char *out, *times, *fp;
  int rc = uid_files(st, uid, &out, &times, &fp);
  if (rc != EF_OK)
    return rc;
  const char *run = st->run_text ? st->run_text : "";
  int any_stereo = is_stereo == STORE_STEREO_UNKNOWN;
  char *video = any_stereo ? NULL : fingerprint_video_text(run, is_stereo);
  const char *want = any_stereo ? run : video;
  if (!want) {
    rc = ef_error_set(EF_ENOMEM, "out of memory");
  } else {
    int file_only = final && st->f->index_load;
    if (!file_only)
      a->verdict = (store_verdict)provenance_check(out, st->wfmt, times, fp,
                                                   want, any_stereo, &a->why);
    if (a->verdict == STORE_TODO && st->f->index_load)
      a->verdict = gathered_state(st, uid, want, any_stereo, &a->why);
  }
  free(video);
  free(out);
  free(times);
  free(fp);
  return rc;
}

int store_state(const store *st, const char *uid, int is_stereo,
                store_answer *a) {
  return state_of(st, uid, is_stereo, 0, a);
}

int store_state_final(const store *st, const char *uid, int is_stereo,
                      store_answer *a) {
  return state_of(st, uid, is_stereo, 1, a);
}

int store_write(const store *st, const char *uid, int is_stereo,
                const store_output *o) {
  char *out, *times, *fp;
  int rc = uid_files(st, uid, &out, &times, &fp);
  if (rc != EF_OK)
    return rc;
  char *desc =
      fingerprint_video_text(st->run_text ? st->run_text : "", is_stereo > 0);
  rc = desc ? provenance_write(out, st->wfmt, times, fp, desc, o)
            : ef_error_set(EF_ENOMEM, "out of memory writing %s", out);
  free(desc);
  free(out);
  free(times);
  free(fp);
  return rc;
}

/* 1 if the store's output of uid is this run's (any stereo line). */
static int uid_matches(const store *st, const char *uid) {
  store_answer a;
  if (store_state(st, uid, STORE_STEREO_UNKNOWN, &a) != EF_OK)
    return 0;
  int same = a.verdict == STORE_DONE;
  store_answer_clear(&a);
  return same;
}

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a > b && strcmp(s + a - b, suffix) == 0;
}

int store_all_match(const store *st) {
  if (!st->run_text)
    return 0;
  /* A gathering format's file. */
  for (size_t i = 0; i < st->idx.n; i++)
    if (!uid_matches(st, st->idx.uids[i]))
      return 0;
  /* Each uid's own file (a part, for hdf5). */
  const char *ext = store_format_of(st->wfmt)->ext;
  DIR *d = opendir(st->dir);
  if (!d)
    return errno == ENOENT && st->f->index_load;
  int all = 1;
  struct dirent *e;
  while (all && (e = readdir(d))) {
    const char *name = e->d_name;
    if (!ends_with(name, ext) || ends_with(name, ".times.npy"))
      continue;
    char *uid = strndup(name, strlen(name) - strlen(ext));
    all = uid && uid_matches(st, uid);
    free(uid);
  }
  closedir(d);
  return all;
}

int store_claim(const store *st, const char *uid, claim *c, char **holder) {
  char *out = write_output_path(st->dir, uid, st->wfmt);
  if (!out)
    return ef_last_error_code();
  int rc = claim_take(out, c, holder);
  /* Another run's clean finish may have removed an empty parts folder
   * (store_hdf5.c): it is made again. */
  if (rc < 0 && strcmp(st->dir, st->out_path) != 0 &&
      access(st->dir, F_OK) != 0 && write_refuse_symlink(st->dir) == EF_OK &&
      write_mkdirs(st->dir) == EF_OK) {
    ef_error_clear();
    rc = claim_take(out, c, holder);
  }
  free(out);
  return rc;
}

void store_claim_release(claim *c) {
  claim_release(c);
}

int store_prepare(const store *st) {
  /* A missing output folder is created; then what dead runs of this host
   * left in it goes (out_sweep.h), before anything of ours is there. */
  int rc = EF_OK;
  /* A parts folder planted as a symlink would have parts written into,
   * and deleted from, the folder it points to. */
  if (strcmp(st->dir, st->out_path) != 0 &&
      (rc = write_refuse_symlink(st->dir)) != EF_OK)
    return rc;
  if ((rc = write_mkdirs(st->dir)) != EF_OK)
    return rc;
  if (out_sweep(st->out_path, NULL) != EF_OK ||
      (strcmp(st->dir, st->out_path) != 0 && out_sweep(st->dir, NULL) != EF_OK))
    ef_error_clear(); /* the write of config.yaml says what is wrong */
  return EF_OK;
}

int store_finish(store *st, const volatile int *cancel) {
  /* Debug mode writes model inputs, no features to gather. */
  if (!st->f->finish || st->debug)
    return EF_OK;
  int rc = st->f->finish(st->out_path, st->compression, cancel);
  if (rc != EF_OK)
    return rc;
  store_index_free(&st->idx);
  return st->f->index_load(st->out_path, &st->idx);
}

int store_file_write(const char *path, const void *data, size_t len) {
  return write_file_atomic(path, data, len);
}

int store_mkdirs(const char *dir) {
  return write_mkdirs(dir);
}
