/*
 * manifest.c - owns reading <video_dir>/manifest.csv: CSV parsing, finding
 * the columns, and looking rows up by uid. Kept apart from discover.c
 * because the CSV rules (RFC 4180 quoting, pandas' "nan", a byte order
 * mark, three names for the uid column) have nothing to do with listing
 * a folder.
 */
#include "input/manifest.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/error.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/strvec.h"

/* Worded alike in discover.c, manifest.c and stereo_list.c: to a caller,
 * discovery is one step. */
static int nomem(void) {
  return ef_error_set(EF_ENOMEM, "discovery: out of memory");
}

/* One CSV record (RFC 4180: quoted fields, "" inside quotes, CRLF or LF,
 * line breaks inside quotes). Advances *pos; 1 for a record, 0 at the end
 * of the text, EF_ENOMEM, or EF_EINVAL (no message recorded) when a quote
 * is still open at the end of the text: that would swallow every row
 * after it, so it is an error rather than one long field. buf is scratch
 * space as long as the text, shared by all records. */
static int csv_record(const char *text, size_t len, size_t *pos, strvec *fields,
                      char *buf) {
  size_t i = *pos;
  size_t blen = 0;

  if (i >= len)
    return 0;
  for (;;) {
    int quoted = i < len && text[i] == '"';
    blen = 0;
    if (quoted)
      i++;
    while (i < len) {
      char c = text[i];
      if (quoted && c == '"') {
        if (i + 1 < len && text[i + 1] == '"') {
          buf[blen++] = '"';
          i += 2;
          continue;
        }
        quoted = 0; /* closing quote; text up to the delimiter follows */
        i++;
        continue;
      }
      if (!quoted && (c == ',' || c == '\n' || c == '\r'))
        break;
      buf[blen++] = c;
      i++;
    }
    if (quoted)
      return EF_EINVAL;
    if (strvec_push(fields, str_ndup(buf, blen)) != EF_OK)
      return EF_ENOMEM;
    if (i < len && text[i] == ',') {
      i++;
      continue;
    }
    if (i < len && text[i] == '\r')
      i++;
    if (i < len && text[i] == '\n')
      i++;
    break;
  }
  *pos = i;
  return 1;
}

/* The 1-based line of text[pos], for messages. */
static size_t line_at(const char *text, size_t pos) {
  size_t line = 1;
  for (size_t i = 0; i < pos; i++)
    line += text[i] == '\n';
  return line;
}

/* The message for a csv_record() failure of the record starting at pos. */
static int record_error(const char *path, const char *text, size_t pos,
                        int rc) {
  if (rc == EF_EINVAL)
    return ef_error_set(EF_EINVAL,
                        "%s: line %zu: quoted field not closed before the "
                        "end of the file",
                        path, line_at(text, pos));
  return nomem();
}

static int col_index(const strvec *header, const char *name) {
  for (size_t i = 0; i < header->n; i++)
    if (strcmp(header->items[i], name) == 0)
      return (int)i;
  return -1;
}

/* The field of a row, NULL if the column is absent ("" if the row is
 * short). */
static const char *field(const strvec *row, int col) {
  if (col < 0)
    return NULL;
  return (size_t)col < row->n ? row->items[col] : "";
}

/* Blank and pandas' "nan" both mean "no value". */
static int empty_value(const char *s) {
  if (!s)
    return 1;
  while (isspace((unsigned char)*s))
    s++;
  return !*s || strncasecmp(s, "nan", 3) == 0;
}

/* A count such as "1234" or "1234.0", at most `max`; `none` when absent
 * or unreadable: negative, not finite, too large, or followed by other
 * text ("12abc"). Such a value is treated as unknown, so discovery probes
 * the file instead of trusting it. */
static int64_t count_value(const char *s, int64_t max, int64_t none) {
  char *end;
  double v;
  if (empty_value(s))
    return none;
  v = strtod(s, &end);
  if (end == s)
    return none;
  while (isspace((unsigned char)*end))
    end++;
  if (*end || !isfinite(v) || v < 0 || v > (double)max)
    return none;
  return (int64_t)llround(v);
}

typedef struct {
  int uid, frames, width, height, audio_start, audio_dur;
} manifest_cols;

static int manifest_columns(const char *path, const strvec *header,
                            manifest_cols *c) {
  c->uid = col_index(header, "video_uid");
  if (c->uid < 0)
    c->uid = col_index(header, "uid");
  if (c->uid < 0)
    c->uid = col_index(header, "exported_clip_uid");
  if (c->uid < 0)
    return ef_error_set(EF_EINVAL,
                        "%s: no uid column (video_uid, uid or "
                        "exported_clip_uid)",
                        path);
  c->frames = col_index(header, "canonical_num_frames");
  c->width = col_index(header, "canonical_display_width");
  c->height = col_index(header, "canonical_display_height");
  c->audio_start = col_index(header, "canonical_audio_start_sec");
  c->audio_dur = col_index(header, "canonical_audio_duration_sec");
  return EF_OK;
}

static void manifest_fill(manifest_row *r, const strvec *row,
                          const manifest_cols *c) {
  const char *as = field(row, c->audio_start);
  const char *ad = field(row, c->audio_dur);

  /* Frame counts up to 9e15 stay exact in a double; sizes must fit an
   * int (a bigger one is not a display size). */
  r->num_frames = count_value(field(row, c->frames), 9000000000000000, -1);
  r->width = (int)count_value(field(row, c->width), INT_MAX, 0);
  r->height = (int)count_value(field(row, c->height), INT_MAX, 0);
  if (!as && !ad)
    r->has_audio = -1; /* the manifest does not say */
  else
    r->has_audio = !(empty_value(as) && empty_value(ad));
}

static int cmp_row(const void *a, const void *b) {
  const manifest_row *x = a, *y = b;
  int c = strcmp(x->uid, y->uid);
  return c ? c : (x->row > y->row) - (x->row < y->row);
}

void manifest_free(manifest *m) {
  for (size_t i = 0; i < m->n; i++)
    free(m->rows[i].uid);
  free(m->rows);
  memset(m, 0, sizeof *m);
}

/* Parses the rows of the CSV text after its header into m. */
static int manifest_rows(const char *path, const char *text, size_t len,
                         size_t pos, char *buf, const manifest_cols *c,
                         manifest *m) {
  strvec row = {0};
  size_t cap = 0, start = pos;
  int rc;

  while ((rc = csv_record(text, len, &pos, &row, buf)) == 1) {
    const char *uid = field(&row, c->uid);
    if (uid && *uid) {
      if (m->n == cap) {
        size_t ncap = cap ? 2 * cap : 256;
        manifest_row *nr = realloc(m->rows, ncap * sizeof *nr);
        if (!nr)
          goto oom;
        m->rows = nr;
        cap = ncap;
      }
      manifest_row *r = &m->rows[m->n];
      if (!(r->uid = strdup(uid)))
        goto oom;
      manifest_fill(r, &row, c);
      r->row = m->n++;
    }
    strvec_free(&row);
    start = pos;
  }
  strvec_free(&row);
  if (rc < 0)
    return record_error(path, text, start, rc);
  if (m->n > 1)
    qsort(m->rows, m->n, sizeof *m->rows, cmp_row);
  return EF_OK;
oom:
  strvec_free(&row);
  return nomem();
}

int manifest_parse(const char *path, const char *text, size_t len,
                   manifest *m) {
  char *buf = NULL;
  strvec header = {0};
  manifest_cols cols = {-1, -1, -1, -1, -1, -1};
  size_t pos = 0;
  int rc;

  memset(m, 0, sizeof *m);
  /* A NUL byte is no CSV text (a binary file, or a disk error): say so
   * rather than silently cutting the uid that holds it. */
  const char *nul = memchr(text, '\0', len);
  if (nul)
    return ef_error_set(EF_EINVAL, "%s: line %zu: NUL byte (not a text file)",
                        path, line_at(text, (size_t)(nul - text)));
  /* len + 1 so that an empty text still gets a buffer. */
  if (!(buf = malloc(len + 1)))
    return nomem();
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
    pos = 3; /* a UTF-8 byte order mark, as spreadsheet tools write */
  rc = csv_record(text, len, &pos, &header, buf);
  if (rc == 0)
    rc = ef_error_set(EF_EINVAL, "%s: empty manifest", path);
  else if (rc < 0)
    rc = record_error(path, text, 0, rc);
  else if ((rc = manifest_columns(path, &header, &cols)) == EF_OK)
    rc = manifest_rows(path, text, len, pos, buf, &cols, m);
  if (rc < 0)
    manifest_free(m);
  strvec_free(&header);
  free(buf);
  return rc < 0 ? rc : EF_OK;
}

int manifest_load(const char *dir, manifest *m) {
  char *path = path_join(dir, "manifest.csv");
  char *text = NULL;
  size_t len = 0;
  int rc = EF_OK;

  memset(m, 0, sizeof *m);
  if (!path)
    return nomem();
  if (!path_is_file(path))
    goto done;
  if ((rc = fs_read_all(path, SIZE_MAX, &text, &len)) != 0) {
    rc = rc == -ENOMEM ? nomem()
                       : ef_error_set(EF_EIO, "%s: cannot read (%s)", path,
                                      strerror(-rc));
    goto done;
  }
  rc = manifest_parse(path, text, len, m);
done:
  free(text);
  free(path);
  return rc;
}

const manifest_row *manifest_find(const manifest *m, const char *uid) {
  size_t lo = 0, hi = m->n;
  while (lo < hi) { /* the first row of that uid */
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(m->rows[mid].uid, uid) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < m->n && strcmp(m->rows[lo].uid, uid) == 0 ? &m->rows[lo] : NULL;
}
