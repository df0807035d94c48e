/*
 * discover.c - owns discover_videos(): which videos a run covers and what
 * is known of them before decoding.
 *
 * uids come from io.uid_list or from the file names in io.video_dir_path;
 * io.video_limit picks a seeded random subset; metadata comes from
 * manifest.csv, then from probing the file for whatever the manifest does
 * not say; stereo flags come from ego4d.json. Unlike the reference, a uid
 * the manifest lacks, or whose file is missing, is still listed: the
 * pipeline then reports it as failed instead of it silently vanishing.
 */
#include "discover.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <yaml.h>

#include "error.h"
#include "probe.h"

/* ---- Small helpers ------------------------------------------------------ */

typedef struct {
  char **items;
  size_t n, cap;
} strvec;

static int strvec_push(strvec *v, char *s) {
  if (!s)
    return EF_ENOMEM;
  if (v->n == v->cap) {
    size_t cap = v->cap ? 2 * v->cap : 16;
    char **items = realloc(v->items, cap * sizeof *items);
    if (!items) {
      free(s);
      return EF_ENOMEM;
    }
    v->items = items;
    v->cap = cap;
  }
  v->items[v->n++] = s;
  return EF_OK;
}

static void strvec_free(strvec *v) {
  for (size_t i = 0; i < v->n; i++)
    free(v->items[i]);
  free(v->items);
  memset(v, 0, sizeof *v);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* qsort() must not see the NULL array of an empty vector. */
static void strvec_sort(strvec *v) {
  if (v->n > 1)
    qsort(v->items, v->n, sizeof *v->items, cmp_str);
}

static char *join_path(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (p)
    snprintf(p, n, "%s/%s", dir, name);
  return p;
}

static char *strndup_(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

static int file_exists(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 && !S_ISDIR(sb.st_mode);
}

static int nomem(void) {
  return ef_error_set(EF_ENOMEM, "discovery: out of memory");
}

/* ---- The folder --------------------------------------------------------- */

static const char *const video_exts[] = {
    "mp4",  "mkv", "mov", "avi",  "webm", "m4v", "mpg",
    "mpeg", "ts",  "mts", "m2ts", "wmv",  "flv", "3gp",
};

static int is_video_ext(const char *ext) {
  for (size_t i = 0; i < sizeof video_exts / sizeof video_exts[0]; i++)
    if (strcasecmp(ext, video_exts[i]) == 0)
      return 1;
  return 0;
}

/* The names of the regular files in dir, sorted. Sorting makes the run
 * independent of the file system's order and lets lookups bisect. */
static int list_files(const char *dir, strvec *out) {
  DIR *dp = opendir(dir);
  struct dirent *de;

  if (!dp)
    return ef_error_set(errno == ENOENT ? EF_ENOTFOUND : EF_EIO,
                        "%s: cannot list videos (%s)", dir, strerror(errno));
  while ((de = readdir(dp)) != NULL) {
    char *full;
    int keep;
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (!(full = join_path(dir, de->d_name))) {
      closedir(dp);
      return nomem();
    }
    keep = file_exists(full);
    free(full);
    if (keep && strvec_push(out, strdup(de->d_name)) != EF_OK) {
      closedir(dp);
      return nomem();
    }
  }
  closedir(dp);
  strvec_sort(out);
  return EF_OK;
}

/* Files that are not videos of the dataset, as the reference skips them. */
static int skipped_name(const char *name) {
  const char *dot = strrchr(name, '.');
  if (name[0] == '.' || strncmp(name, "manifest", 8) == 0)
    return 1;
  return dot && (strcasecmp(dot, ".json") == 0 || strcasecmp(dot, ".csv") == 0);
}

/* The uids of a folder: stems of its files, sorted, without repeats. */
static int uids_from_files(const strvec *files, strvec *uids) {
  for (size_t i = 0; i < files->n; i++) {
    const char *name = files->items[i];
    const char *dot = strrchr(name, '.');
    if (skipped_name(name))
      continue;
    if (strvec_push(uids, dot ? strndup_(name, (size_t)(dot - name))
                              : strdup(name)) != EF_OK)
      return nomem();
  }
  strvec_sort(uids);
  size_t w = 0;
  for (size_t i = 0; i < uids->n; i++) {
    if (w > 0 && strcmp(uids->items[w - 1], uids->items[i]) == 0)
      free(uids->items[i]);
    else
      uids->items[w++] = uids->items[i];
  }
  uids->n = w;
  return EF_OK;
}

/* <dir>/<uid>.mp4; else the one <uid>.<ext> with another video extension,
 * if there is exactly one; else the .mp4 name, which the pipeline will
 * report as missing. */
static char *video_path(const char *dir, const char *uid, const strvec *files) {
  size_t len = strlen(uid), lo = 0, hi = files->n;
  const char *only = NULL;
  int count = 0;
  char *mp4 = malloc(len + 5);
  char *path;

  if (!mp4)
    return NULL;
  snprintf(mp4, len + 5, "%s.mp4", uid);
  path = join_path(dir, mp4);
  if (!path || file_exists(path)) {
    free(mp4);
    return path;
  }
  /* Names starting with "<uid>." sort together from the first name that
   * is not below "<uid>.". */
  mp4[len + 1] = '\0';
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(files->items[mid], mp4) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (size_t i = lo; i < files->n; i++) {
    const char *name = files->items[i];
    if (strncmp(name, mp4, len + 1) != 0)
      break;
    if (!strchr(name + len + 1, '.') && is_video_ext(name + len + 1)) {
      only = name;
      count++;
    }
  }
  free(mp4);
  if (count == 1) {
    free(path);
    path = join_path(dir, only);
  }
  return path;
}

/* ---- Random subset ------------------------------------------------------ */

/*
 * io.video_limit's subset: a partial Fisher-Yates shuffle of the indices
 * 0..n-1 driven by splitmix64 (Steele, Lea & Flood 2014; the generator
 * java.util.SplittableRandom uses) seeded with io.seed. Step i swaps index
 * i with index i + r % (n - i), where r is the next 64-bit output; the
 * first `limit` indices are the subset, which is then put back in the
 * original order. The same seed, list and limit always give the same
 * subset, on any platform.
 */
static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static int cmp_size(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return (x > y) - (x < y);
}

static int pick_subset(strvec *uids, size_t limit, int64_t seed) {
  size_t n = uids->n;
  size_t *idx = malloc(n * sizeof *idx);
  char **kept = malloc(limit * sizeof *kept);
  uint64_t state = (uint64_t)seed;

  if (!idx || !kept) {
    free(idx);
    free(kept);
    return nomem();
  }
  for (size_t i = 0; i < n; i++)
    idx[i] = i;
  for (size_t i = 0; i < limit; i++) {
    size_t j = i + (size_t)(splitmix64(&state) % (uint64_t)(n - i));
    size_t t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  qsort(idx, limit, sizeof *idx, cmp_size);
  for (size_t i = 0; i < limit; i++) {
    kept[i] = uids->items[idx[i]];
    uids->items[idx[i]] = NULL;
  }
  for (size_t i = 0; i < n; i++)
    free(uids->items[i]);
  free(uids->items);
  free(idx);
  uids->items = kept;
  uids->n = uids->cap = limit;
  return EF_OK;
}

/* ---- manifest.csv ------------------------------------------------------- */

typedef struct {
  char *uid;
  int64_t num_frames;
  int width, height;
  int has_audio;
  size_t row; /* keeps the first of repeated uids first after sorting */
} manifest_row;

typedef struct {
  manifest_row *rows;
  size_t n;
} manifest;

/* One CSV record (RFC 4180: quoted fields, "" inside quotes, CRLF or LF,
 * line breaks inside quotes). Advances *pos; 0 at the end of the text.
 * buf is scratch space as long as the text, shared by all records. */
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
    if (strvec_push(fields, strndup_(buf, blen)) != EF_OK)
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

/* A count such as "1234" or "1234.0"; `none` when absent or unreadable. */
static int64_t count_value(const char *s, int64_t none) {
  char *end;
  double v;
  if (empty_value(s))
    return none;
  v = strtod(s, &end);
  if (end == s || !isfinite(v) || v < 0 || v > 9e15)
    return none;
  return (int64_t)llround(v);
}

static char *read_text(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t cap = 0, n = 0;

  if (!f)
    return NULL;
  for (;;) {
    if (n + 4096 + 1 > cap) {
      size_t ncap = cap ? 2 * cap : 65536;
      char *nb = realloc(buf, ncap);
      if (!nb) {
        free(buf);
        fclose(f);
        return NULL;
      }
      buf = nb;
      cap = ncap;
    }
    size_t got = fread(buf + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0)
      break;
  }
  if (ferror(f)) {
    free(buf);
    buf = NULL;
  } else {
    buf[n] = '\0';
    *len = n;
  }
  fclose(f);
  return buf;
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

  r->num_frames = count_value(field(row, c->frames), -1);
  r->width = (int)count_value(field(row, c->width), 0);
  r->height = (int)count_value(field(row, c->height), 0);
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

static void manifest_free(manifest *m) {
  for (size_t i = 0; i < m->n; i++)
    free(m->rows[i].uid);
  free(m->rows);
  memset(m, 0, sizeof *m);
}

/* Parses the rows of the CSV text after its header into m. */
static int manifest_rows(const char *text, size_t len, size_t pos, char *buf,
                         const manifest_cols *c, manifest *m) {
  strvec row = {0};
  size_t cap = 0;
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
  }
  strvec_free(&row);
  if (rc < 0)
    return nomem();
  if (m->n > 1)
    qsort(m->rows, m->n, sizeof *m->rows, cmp_row);
  return EF_OK;
oom:
  strvec_free(&row);
  return nomem();
}

/* Loads <dir>/manifest.csv if there is one (m stays empty otherwise). */
static int manifest_load(const char *dir, manifest *m) {
  char *path = join_path(dir, "manifest.csv");
  char *text = NULL, *buf = NULL;
  strvec header = {0};
  manifest_cols cols = {-1, -1, -1, -1, -1, -1};
  size_t len = 0, pos = 0;
  int rc = EF_OK;

  memset(m, 0, sizeof *m);
  if (!path)
    return nomem();
  if (!file_exists(path))
    goto done;
  if (!(text = read_text(path, &len))) {
    rc = ef_error_set(EF_EIO, "%s: cannot read (%s)", path, strerror(errno));
    goto done;
  }
  if (!(buf = malloc(len + 1))) {
    rc = nomem();
    goto done;
  }
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
    pos = 3; /* a UTF-8 byte order mark, as spreadsheet tools write */
  rc = csv_record(text, len, &pos, &header, buf);
  if (rc == 0)
    rc = ef_error_set(EF_EINVAL, "%s: empty manifest", path);
  else if (rc < 0)
    rc = nomem();
  else if ((rc = manifest_columns(path, &header, &cols)) == EF_OK)
    rc = manifest_rows(text, len, pos, buf, &cols, m);
  if (rc < 0)
    manifest_free(m);
done:
  strvec_free(&header);
  free(buf);
  free(text);
  free(path);
  return rc < 0 ? rc : EF_OK;
}

static const manifest_row *manifest_find(const manifest *m, const char *uid) {
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

/* ---- ego4d.json --------------------------------------------------------- */

/*
 * Only videos[].video_uid and videos[].is_stereo are read. JSON is YAML's
 * flow style, so libyaml's event parser reads it without building the
 * (large) document; every other value is skipped as a whole node.
 */
typedef struct {
  yaml_parser_t parser;
  const char *path;
  strvec *stereo; /* uids with is_stereo true */
} json_reader;

static int json_next(json_reader *r, yaml_event_t *ev) {
  if (yaml_parser_parse(&r->parser, ev))
    return EF_OK;
  return ef_error_set(EF_EINVAL, "%s: invalid JSON at line %zu: %s", r->path,
                      r->parser.problem_mark.line + 1,
                      r->parser.problem ? r->parser.problem : "parse error");
}

/* Skips the rest of a node whose first event is `ev` (already read). */
static int json_skip(json_reader *r, const yaml_event_t *ev) {
  int depth = ev->type == YAML_SEQUENCE_START_EVENT ||
              ev->type == YAML_MAPPING_START_EVENT;
  while (depth > 0) {
    yaml_event_t e;
    int rc = json_next(r, &e);
    if (rc < 0)
      return rc;
    if (e.type == YAML_SEQUENCE_START_EVENT ||
        e.type == YAML_MAPPING_START_EVENT)
      depth++;
    else if (e.type == YAML_SEQUENCE_END_EVENT ||
             e.type == YAML_MAPPING_END_EVENT)
      depth--;
    else if (e.type == YAML_STREAM_END_EVENT)
      depth = 0;
    yaml_event_delete(&e);
  }
  return EF_OK;
}

static int json_skip_next(json_reader *r) {
  yaml_event_t e;
  int rc = json_next(r, &e);
  if (rc < 0)
    return rc;
  rc = json_skip(r, &e);
  yaml_event_delete(&e);
  return rc;
}

static int is_true(const char *s) {
  return strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
         strcmp(s, "1") == 0;
}

/* The next key of a mapping: 1 with *key set (the caller frees it), 0 at
 * the mapping's end. A key that is not a string (not JSON, but YAML
 * allows it) is skipped with its value. */
static int json_key(json_reader *r, char **key) {
  for (;;) {
    yaml_event_t e;
    int rc = json_next(r, &e);
    if (rc < 0)
      return rc;
    if (e.type == YAML_MAPPING_END_EVENT || e.type == YAML_STREAM_END_EVENT) {
      yaml_event_delete(&e);
      return 0;
    }
    if (e.type == YAML_SCALAR_EVENT) {
      *key = strdup((const char *)e.data.scalar.value);
      yaml_event_delete(&e);
      return *key ? 1 : nomem();
    }
    rc = json_skip(r, &e);
    yaml_event_delete(&e);
    if (rc < 0 || (rc = json_skip_next(r)) < 0)
      return rc;
  }
}

/* The next value: 1 with *val set if it is a scalar (the caller frees
 * it), 0 if it was an array or object (skipped). */
static int json_scalar(json_reader *r, char **val) {
  yaml_event_t e;
  int rc = json_next(r, &e);
  if (rc < 0)
    return rc;
  if (e.type == YAML_SCALAR_EVENT) {
    *val = strdup((const char *)e.data.scalar.value);
    rc = *val ? 1 : nomem();
  } else {
    rc = json_skip(r, &e);
  }
  yaml_event_delete(&e);
  return rc;
}

/* One element of "videos", an object whose start was read. */
static int json_video(json_reader *r) {
  char *key, *val = NULL, *uid = NULL;
  int stereo = 0, rc;

  while ((rc = json_key(r, &key)) == 1) {
    int want_uid = strcmp(key, "video_uid") == 0;
    int want_stereo = strcmp(key, "is_stereo") == 0;
    free(key);
    rc = want_uid || want_stereo ? json_scalar(r, &val) : json_skip_next(r);
    if (rc < 0)
      break;
    if (rc == 1 && want_stereo) {
      stereo = is_true(val);
      free(val);
    } else if (rc == 1 && want_uid) {
      free(uid);
      uid = val;
    }
    val = NULL;
  }
  if (rc == 0 && uid && stereo) {
    rc = strvec_push(r->stereo, uid) == EF_OK ? EF_OK : nomem();
    uid = NULL;
  }
  free(uid);
  return rc < 0 ? rc : EF_OK;
}

/* The value of "videos"; its first event is `ev`. */
static int json_videos(json_reader *r, const yaml_event_t *ev) {
  if (ev->type != YAML_SEQUENCE_START_EVENT)
    return json_skip(r, ev);
  for (;;) {
    yaml_event_t e;
    int rc = json_next(r, &e);
    if (rc < 0)
      return rc;
    if (e.type == YAML_SEQUENCE_END_EVENT) {
      yaml_event_delete(&e);
      return EF_OK;
    }
    rc = e.type == YAML_MAPPING_START_EVENT ? json_video(r) : json_skip(r, &e);
    yaml_event_delete(&e);
    if (rc < 0)
      return rc;
  }
}

/* Reads the top-level object, looking only at its "videos" key. A file
 * whose top level is not an object has no stereo flags. */
static int json_top(json_reader *r) {
  yaml_event_t e;
  yaml_event_type_t type;
  char *key;
  int rc;

  do { /* past the stream and document starts */
    if ((rc = json_next(r, &e)) < 0)
      return rc;
    type = e.type; /* yaml_event_delete() clears it */
    yaml_event_delete(&e);
  } while (type == YAML_STREAM_START_EVENT ||
           type == YAML_DOCUMENT_START_EVENT);
  if (type != YAML_MAPPING_START_EVENT)
    return EF_OK;
  while ((rc = json_key(r, &key)) == 1) {
    int videos = strcmp(key, "videos") == 0;
    free(key);
    if (!videos) {
      rc = json_skip_next(r);
    } else if ((rc = json_next(r, &e)) == EF_OK) {
      rc = json_videos(r, &e);
      yaml_event_delete(&e);
    }
    if (rc < 0)
      return rc;
  }
  return rc;
}

/* The sorted uids flagged stereo in <dir>/ego4d.json (none without it). */
static int stereo_load(const char *dir, strvec *stereo) {
  json_reader r;
  char *path;
  FILE *f;
  int rc;

  if (!dir || !*dir)
    return EF_OK;
  if (!(path = join_path(dir, "ego4d.json")))
    return nomem();
  if (!(f = fopen(path, "rb"))) {
    rc = errno == ENOENT ? EF_OK
                         : ef_error_set(EF_EIO, "%s: cannot read (%s)", path,
                                        strerror(errno));
    free(path);
    return rc;
  }
  memset(&r, 0, sizeof r);
  r.path = path;
  r.stereo = stereo;
  if (!yaml_parser_initialize(&r.parser)) {
    fclose(f);
    free(path);
    return nomem();
  }
  yaml_parser_set_input_file(&r.parser, f);
  rc = json_top(&r);
  yaml_parser_delete(&r.parser);
  fclose(f);
  free(path);
  if (rc == EF_OK)
    strvec_sort(stereo);
  return rc;
}

static int in_sorted(const strvec *v, const char *s) {
  return v->n && bsearch(&s, v->items, v->n, sizeof *v->items, cmp_str);
}

/* ---- Assembling --------------------------------------------------------- */

/* Fills what the manifest left unknown from the file itself, if it can be
 * read; a file that cannot be probed stays unknown (the pipeline reports
 * it when it tries to decode it). */
static void fill_from_probe(ef_video *v, const ef_settings *s) {
  probe_info info;

  if (probe_file(v->path, &info) != EF_OK) {
    ef_error_clear();
    return;
  }
  if (v->num_frames < 0 && info.has_video)
    v->num_frames =
        s->fps_num > 0 && s->fps_den > 0
            ? probe_sampled_frames(info.duration, s->fps_num, s->fps_den)
            : info.num_frames;
  if (v->width <= 0 || v->height <= 0) {
    v->width = info.width;
    v->height = info.height;
  }
  if (v->has_audio < 0)
    v->has_audio = info.has_audio;
}

static int describe(ef_video *v, const char *uid, const ef_settings *s,
                    const strvec *files, const manifest *m,
                    const strvec *stereo) {
  const manifest_row *row = manifest_find(m, uid);

  v->uid = strdup(uid);
  v->path = video_path(s->video_dir_path, uid, files);
  if (!v->uid || !v->path)
    return nomem();
  v->num_frames = row ? row->num_frames : -1;
  v->width = row ? row->width : 0;
  v->height = row ? row->height : 0;
  v->has_audio = row ? row->has_audio : -1;
  v->is_stereo = in_sorted(stereo, uid);
  if ((v->num_frames < 0 || v->width <= 0 || v->has_audio < 0) &&
      file_exists(v->path))
    fill_from_probe(v, s);
  return EF_OK;
}

static int collect_uids(const ef_settings *s, const strvec *files,
                        strvec *uids) {
  if (s->uid_list) {
    for (size_t i = 0; i < s->n_uids; i++)
      if (strvec_push(uids, strdup(s->uid_list[i])) != EF_OK)
        return nomem();
    return EF_OK;
  }
  return uids_from_files(files, uids);
}

int discover_videos(const ef_settings *s, ef_video **out, size_t *n) {
  strvec files = {0}, uids = {0}, stereo = {0};
  manifest m = {0};
  ef_video *videos = NULL;
  int rc;

  *out = NULL;
  *n = 0;
  if (!s->video_dir_path || !*s->video_dir_path)
    return ef_error_set(EF_ECONFIG, "io.video_dir_path is not set");
  /* The folder is listed even with a uid_list: it says which other
   * extension a uid's file has. Without a uid_list it must exist. */
  rc = list_files(s->video_dir_path, &files);
  if (rc < 0 && (rc == EF_ENOMEM || !s->uid_list))
    goto fail;
  ef_error_clear();
  if ((rc = collect_uids(s, &files, &uids)) < 0)
    goto fail;
  if (s->video_limit > 0 && (uint64_t)s->video_limit < uids.n &&
      (rc = pick_subset(&uids, (size_t)s->video_limit, s->seed)) < 0)
    goto fail;
  if ((rc = manifest_load(s->video_dir_path, &m)) < 0 ||
      (rc = stereo_load(s->ego4d_download_dir, &stereo)) < 0)
    goto fail;
  if (uids.n && !(videos = calloc(uids.n, sizeof *videos))) {
    rc = nomem();
    goto fail;
  }
  for (size_t i = 0; i < uids.n; i++) {
    if ((rc = describe(&videos[i], uids.items[i], s, &files, &m, &stereo)) <
        0) {
      discover_free(videos, i + 1);
      videos = NULL;
      goto fail;
    }
  }
  *out = videos;
  *n = uids.n;
  rc = EF_OK;
fail:
  strvec_free(&stereo);
  manifest_free(&m);
  strvec_free(&uids);
  strvec_free(&files);
  return rc;
}

char *discover_uid_from_path(const char *path) {
  const char *base = strrchr(path, '/');
  const char *dot;

  base = base ? base + 1 : path;
  dot = strrchr(base, '.');
  /* A leading dot is part of the name, not an extension. */
  if (!dot || dot == base)
    return strdup(base);
  return strndup_(base, (size_t)(dot - base));
}

void discover_free(ef_video *videos, size_t n) {
  if (!videos)
    return;
  for (size_t i = 0; i < n; i++) {
    free(videos[i].uid);
    free(videos[i].path);
  }
  free(videos);
}
