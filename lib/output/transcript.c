/*
 * transcript.c - the JSONL encoder of transcript files, their
 * completeness check (see transcript.h), and the "transcript" entry of
 * the list of formats (store_format.h).
 */
#include "output/transcript.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/store_format.h"
#include "util/error.h"
#include "util/json.h"

/* A transcript line is ~100 bytes and a day of audio 17,280 windows;
 * a file this big is not ours. */
#define TRANSCRIPT_MAX_BYTES ((size_t)256 << 20)

/* v in the fewest significant digits that strtod reads back exactly, as
 * Python's repr (0.1, not 0.10000000000000001), and at least its integer
 * digits, so that 10 is not written 1e+01. */
static void put_number(membuf *b, double v) {
  char buf[40];
  double mag = fabs(v);
  int digits = mag >= 1 ? (int)floor(log10(mag)) + 1 : 1;
  for (digits = digits < 17 ? digits : 17; digits <= 17; digits++) {
    snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (strtod(buf, NULL) == v)
      break;
  }
  membuf_puts(b, buf);
}

int transcript_encode(const transcript_line *lines, size_t n, membuf *out) {
  if (!out || (n > 0 && !lines))
    return ef_error_set(EF_EINVAL, "transcript_encode: no lines");
  for (size_t i = 0; i < n; i++) {
    const transcript_line *l = &lines[i];
    if (!isfinite(l->start) || !isfinite(l->end) || !isfinite(l->score))
      return ef_error_set(EF_EINVAL,
                          "transcript window %zu: start, end or score is not "
                          "a finite number",
                          i);
    membuf_puts(out, "{\"start\": ");
    put_number(out, l->start);
    membuf_puts(out, ", \"end\": ");
    put_number(out, l->end);
    membuf_puts(out, ", \"text\": ");
    if (l->text && *l->text)
      membuf_json(out, l->text);
    else
      membuf_puts(out, "null");
    membuf_puts(out, ", \"score\": ");
    put_number(out, l->score);
    membuf_puts(out, "}\n");
  }
  return out->failed ? ef_error_set(EF_ENOMEM, "out of memory writing a "
                                               "transcript")
                     : EF_OK;
}

/* The whole file, if it is a regular one of at most max bytes: opened
 * without blocking (a FIFO under the name must not hang the check). */
static char *read_regular(const char *path, size_t max, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return NULL;
  struct stat st;
  char *buf = NULL;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
      (uint64_t)st.st_size > max)
    goto fail;
  size_t size = (size_t)st.st_size, got = 0;
  if (!(buf = malloc(size + 1)))
    goto fail;
  while (got < size) {
    ssize_t r = read(fd, buf + got, size - got);
    if (r <= 0)
      goto fail; /* an error, or the file shrank while read */
    got += (size_t)r;
  }
  buf[size] = '\0';
  close(fd);
  *len = size;
  return buf;
fail:
  free(buf);
  close(fd);
  return NULL;
}

static int is_number(const json_node *n) {
  double v;
  return n && json_double(n, &v) == 0;
}

/* 1 if the line is one of ours: an object with the four keys. */
static int line_ok(const char *line, size_t len) {
  json_doc d;
  char err[128];
  if (json_parse(&d, line, len, err, sizeof err) != 0) {
    json_free(&d);
    return 0;
  }
  json_node *root = json_root(&d);
  int ok = json_is_object(root);
  if (ok) {
    json_node *text = json_get(&d, root, "text");
    ok = is_number(json_get(&d, root, "start")) &&
         is_number(json_get(&d, root, "end")) &&
         is_number(json_get(&d, root, "score")) && text &&
         (json_string(text) ||
          (json_text(text) && strcmp(json_text(text), "null") == 0));
  }
  json_free(&d);
  return ok;
}

int64_t transcript_lines(const char *path) {
  size_t len = 0;
  char *buf = path ? read_regular(path, TRANSCRIPT_MAX_BYTES, &len) : NULL;
  if (!buf)
    return -1;
  int64_t lines = 0;
  /* A file cut short ends without its last newline. */
  int ok = len > 0 && buf[len - 1] == '\n' && !memchr(buf, '\0', len);
  for (size_t at = 0; ok && at < len;) {
    const char *nl = memchr(buf + at, '\n', len - at);
    size_t l = (size_t)(nl - (buf + at));
    ok = l > 0 && line_ok(buf + at, l);
    at += l + 1;
    lines++;
  }
  free(buf);
  return ok ? lines : -1;
}

int transcript_complete(const char *path) {
  return transcript_lines(path) >= 1;
}

/* ---- The format's entry (store_format.h) -------------------------------- */

/* store_output's per_window: o->windows transcript_line, one per window,
 * decoded by the run stage (the output stage knows no model). */
static int transcript_store_encode(const char *what, const store_output *o,
                                   void **bytes, size_t *len) {
  /* An empty file is never complete (transcript_complete): written, it
   * would be computed again by every rerun. */
  if (o->windows < 1 || !o->per_window)
    return ef_error_set(EF_EINVAL, "%s: a transcript needs at least one window",
                        what);
  membuf out = {0};
  int rc = transcript_encode(o->per_window, (size_t)o->windows, &out);
  if (rc != EF_OK) {
    membuf_free(&out);
    return ef_error_prefix(what);
  }
  *bytes = out.data;
  *len = out.len;
  return EF_OK;
}

/* Text is not merged into HDF5 (no .read); a uid's three files,
 * <uid>.transcript.jsonl, <uid>.times.npy and <uid>.fp, collide with no
 * other uid's, so there is no uid_problem. */
const store_format store_format_transcript = {
    .ext = TRANSCRIPT_EXT,
    .takes = STORE_TAKES_WINDOWS,
    .encode = transcript_store_encode,
    .complete = transcript_complete,
    .read = NULL,
    .uid_problem = NULL,
};
