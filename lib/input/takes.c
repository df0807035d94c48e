/*
 * takes.c - owns reading <egoexo_data_dir>/takes.json: which video
 * streams of which takes a run covers, with what the schedule needs to
 * know of them (see takes.h). discover.c makes videos of them.
 *
 * takes.json of the full dataset is hundreds of MB, so it is streamed:
 * libyaml's event parser reads it (JSON is YAML's flow style) and only
 * the streams kept are stored; util/json.c would build the whole tree
 * first, many times the file's size (a 274 MB takes.json: 2.8 GB, and
 * libyaml gives up). json_gate.c sits in front of libyaml and lets only
 * JSON through, in bounded amounts, so a hostile file costs neither
 * gigabytes nor minutes; the events are checked for JSON's rules here.
 */
#include "input/takes.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "input/json_gate.h"
#include "util/error.h"
#include "util/path.h"
#include "util/strvec.h"

/* Worded as in the rest of discovery: to a caller it is one step. */
static int nomem(void) {
  return ef_error_set(EF_ENOMEM, "discovery: out of memory");
}

/* ---- Events ------------------------------------------------------------ */

typedef struct {
  yaml_parser_t parser;
  json_gate g;
  const char *path;
  const char *data_dir;
  const takes_filter *f;
  strvec uids; /* f->uids, sorted for lookups */
  takes_list *out;
} reader;

static size_t ev_line(const yaml_event_t *e) {
  return e->start_mark.line + 1;
}

static int is_json_number(const char *s) {
  if (*s == '-')
    s++;
  if (*s == '0')
    s++;
  else if (isdigit((unsigned char)*s))
    while (isdigit((unsigned char)*s))
      s++;
  else
    return 0;
  if (*s == '.') {
    if (!isdigit((unsigned char)*++s))
      return 0;
    while (isdigit((unsigned char)*s))
      s++;
  }
  if (*s == 'e' || *s == 'E') {
    s++;
    if (*s == '+' || *s == '-')
      s++;
    if (!isdigit((unsigned char)*s))
      return 0;
    while (isdigit((unsigned char)*s))
      s++;
  }
  return *s == '\0';
}

/* What makes an event YAML but not JSON, or NULL. */
static const char *not_json(const yaml_event_t *e) {
  switch (e->type) {
  case YAML_ALIAS_EVENT: return "an alias (YAML, not JSON)";
  case YAML_DOCUMENT_START_EVENT:
    return e->data.document_start.implicit ? NULL : "a YAML document marker";
  case YAML_SCALAR_EVENT: {
    const char *v = (const char *)e->data.scalar.value;
    if (e->data.scalar.anchor || e->data.scalar.tag)
      return "an anchor or tag (YAML, not JSON)";
    if (e->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
      return NULL;
    if (e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
      return "a string not in double quotes";
    return strcmp(v, "null") == 0 || strcmp(v, "true") == 0 ||
                   strcmp(v, "false") == 0 || is_json_number(v)
               ? NULL
               : "text that is no JSON value (strings need double quotes)";
  }
  case YAML_SEQUENCE_START_EVENT:
    return e->data.sequence_start.anchor || e->data.sequence_start.tag
               ? "an anchor or tag (YAML, not JSON)"
               : NULL;
  case YAML_MAPPING_START_EVENT:
    return e->data.mapping_start.anchor || e->data.mapping_start.tag
               ? "an anchor or tag (YAML, not JSON)"
               : NULL;
  default: return NULL;
  }
}

static int next(reader *r, yaml_event_t *e) {
  if (!yaml_parser_parse(&r->parser, e)) {
    if (r->g.err[0])
      return ef_error_set(r->g.io_error ? EF_EIO : EF_EINVAL, "%s: %s", r->path,
                          r->g.err);
    /* At the end of the text libyaml counts a line past the last one. */
    size_t line = r->parser.problem_mark.line + 1;
    return ef_error_set(EF_EINVAL, "%s: invalid JSON at line %zu: %s", r->path,
                        line < r->g.line ? line : r->g.line,
                        r->parser.problem ? r->parser.problem : "parse error");
  }
  const char *why = not_json(e);
  if (!why)
    return EF_OK;
  size_t line = ev_line(e);
  yaml_event_delete(e);
  return ef_error_set(EF_EINVAL, "%s: invalid JSON at line %zu: %s", r->path,
                      line, why);
}

static int opens(const yaml_event_t *e) {
  return e->type == YAML_SEQUENCE_START_EVENT ||
         e->type == YAML_MAPPING_START_EVENT;
}

/* Skips the rest of a node whose first event, e, was read. The gate
 * bounds the depth. */
static int skip(reader *r, const yaml_event_t *e) {
  for (int depth = opens(e); depth > 0;) {
    yaml_event_t x;
    int rc = next(r, &x);
    if (rc < 0)
      return rc;
    if (opens(&x))
      depth++;
    else if (x.type == YAML_SEQUENCE_END_EVENT ||
             x.type == YAML_MAPPING_END_EVENT)
      depth--;
    yaml_event_delete(&x);
  }
  return EF_OK;
}

static int skip_next(reader *r) {
  yaml_event_t e;
  int rc = next(r, &e);
  if (rc < 0)
    return rc;
  rc = skip(r, &e);
  yaml_event_delete(&e);
  return rc;
}

/* What a node is, for messages. */
static const char *type_name(const yaml_event_t *e) {
  if (e->type == YAML_MAPPING_START_EVENT)
    return "an object";
  if (e->type == YAML_SEQUENCE_START_EVENT)
    return "an array";
  if (e->type != YAML_SCALAR_EVENT)
    return "not a value";
  const char *v = (const char *)e->data.scalar.value;
  if (e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    return strlen(v) == e->data.scalar.length ? "a string"
                                              : "a string holding a NUL";
  if (strcmp(v, "null") == 0)
    return "null";
  if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
    return "a boolean";
  return "a number";
}

/* The next key of an object: 1 with *key (caller frees) and *line, 0 at
 * the object's end. */
static int next_key(reader *r, char **key, size_t *line) {
  yaml_event_t e;
  int rc = next(r, &e);
  if (rc < 0)
    return rc;
  if (e.type == YAML_MAPPING_END_EVENT) {
    yaml_event_delete(&e);
    return 0;
  }
  *line = ev_line(&e);
  if (e.type != YAML_SCALAR_EVENT || strcmp(type_name(&e), "a string") != 0) {
    rc = ef_error_set(EF_EINVAL,
                      "%s: invalid JSON at line %zu: a key that is %s, not a "
                      "string",
                      r->path, *line, type_name(&e));
    yaml_event_delete(&e);
    return rc;
  }
  *key = strdup((const char *)e.data.scalar.value);
  yaml_event_delete(&e);
  return *key ? 1 : nomem();
}

/* ---- Values of one take ------------------------------------------------ */

typedef struct {
  int seen;
  const char *type; /* type_name() of what it was */
  size_t line;
  char *str;   /* a string's text */
  int64_t num; /* an integer's value */
  int is_int;
} value;

static int is_type(const value *v, const char *type) {
  return v->seen && strcmp(v->type, type) == 0;
}

/* Reads the next node into v, which key (on line) names. A key met twice
 * is refused: which one counts would be a guess. */
static int read_value(reader *r, value *v, const char *key, size_t line) {
  yaml_event_t e;
  if (v->seen)
    return ef_error_set(EF_EINVAL, "%s: line %zu: key '%s' appears twice",
                        r->path, line, key);
  int rc = next(r, &e);
  if (rc < 0)
    return rc;
  v->seen = 1;
  v->type = type_name(&e);
  v->line = line;
  if (strcmp(v->type, "a string") == 0) {
    if (!(v->str = strdup((const char *)e.data.scalar.value)))
      rc = nomem();
  } else if (strcmp(v->type, "a number") == 0) {
    const char *s = (const char *)e.data.scalar.value;
    char *end;
    errno = 0;
    long long n = strtoll(s, &end, 10);
    v->is_int = !*end && errno == 0;
    v->num = n;
  } else {
    rc = skip(r, &e);
  }
  yaml_event_delete(&e);
  return rc;
}

/* A stream of an eligible camera, as read. */
typedef struct {
  char *cam, *name;
  value rel, cam_id; /* relative_path, cam_id */
} stream_rec;

typedef struct {
  size_t index, line;
  value uid, root, start, end;
  value cameras; /* frame_aligned_videos: only seen, type and line */
  stream_rec *streams;
  size_t n_streams, cap_streams;
  /* The first camera or stream that is not an object, said if the take
   * is kept (the reference would not look inside it otherwise). */
  char *defect;
} take;

static void value_free(value *v) {
  free(v->str);
}

static void take_free(take *t) {
  value_free(&t->uid);
  value_free(&t->root);
  value_free(&t->start); /* a string where a number belongs */
  value_free(&t->end);
  for (size_t i = 0; i < t->n_streams; i++) {
    free(t->streams[i].cam);
    free(t->streams[i].name);
    value_free(&t->streams[i].rel);
    value_free(&t->streams[i].cam_id);
  }
  free(t->streams);
  free(t->defect);
}

/* 1 if hay contains needle, ASCII case aside. */
static int contains_nocase(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  for (; *hay; hay++)
    if (strncasecmp(hay, needle, n) == 0)
      return 1;
  return n == 0;
}

/* The reference's test: the id lower-cased contains one of the prefixes
 * (lower-cased here too, so "Cam" means what "cam" does). */
static int eligible(const takes_filter *f, const char *cam_id) {
  static const char *const defaults[] = {"cam", "aria", "gp"};
  const char *const *p = f->cam_prefixes ? f->cam_prefixes : defaults;
  size_t n = f->cam_prefixes ? f->n_cam_prefixes : 3;
  for (size_t i = 0; i < n; i++)
    if (contains_nocase(cam_id, p[i]))
      return 1;
  return 0;
}

static int note_defect(take *t, const char *fmt, ...) EF_PRINTF(2, 3);
static int note_defect(take *t, const char *fmt, ...) {
  if (t->defect)
    return EF_OK;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || !(t->defect = malloc((size_t)n + 1)))
    return nomem();
  va_start(ap, fmt);
  vsnprintf(t->defect, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return EF_OK;
}

/* One stream object (its start read): relative_path and cam_id. */
static int read_stream(reader *r, stream_rec *s) {
  char *key;
  size_t line;
  int rc;
  while ((rc = next_key(r, &key, &line)) == 1) {
    if (strcmp(key, "relative_path") == 0)
      rc = read_value(r, &s->rel, key, line);
    else if (strcmp(key, "cam_id") == 0)
      rc = read_value(r, &s->cam_id, key, line);
    else
      rc = skip_next(r);
    free(key);
    if (rc < 0)
      return rc;
  }
  return rc;
}

static int add_stream(take *t, const char *cam, char *name, stream_rec **out) {
  if (t->n_streams == t->cap_streams) {
    size_t cap = t->cap_streams ? 2 * t->cap_streams : 8;
    stream_rec *s = realloc(t->streams, cap * sizeof *s);
    if (!s) {
      free(name);
      return nomem();
    }
    t->streams = s;
    t->cap_streams = cap;
  }
  stream_rec *s = &t->streams[t->n_streams];
  memset(s, 0, sizeof *s);
  s->name = name;
  if (!(s->cam = strdup(cam))) {
    free(name);
    return nomem();
  }
  t->n_streams++;
  *out = s;
  return EF_OK;
}

/* 1 if the key (on line) was seen in this object already, else records
 * it; a negative status on error. */
static int repeated(reader *r, strvec *seen, const char *key, size_t line) {
  for (size_t i = 0; i < seen->n; i++)
    if (strcmp(seen->items[i], key) == 0)
      return ef_error_set(EF_EINVAL, "%s: line %zu: key '%s' appears twice",
                          r->path, line, key);
  return strvec_push(seen, strdup(key)) == EF_OK ? EF_OK : nomem();
}

/* The streams of one eligible camera (its value's first event read). */
static int read_camera(reader *r, take *t, const char *cam,
                       const yaml_event_t *e, size_t line) {
  if (e->type != YAML_MAPPING_START_EVENT) {
    int rc = note_defect(t, "line %zu: camera '%s' is %s, not an object", line,
                         cam, type_name(e));
    return rc < 0 ? rc : skip(r, e);
  }
  strvec seen = {0};
  char *name;
  size_t at;
  int rc;
  /* The reference's test, case as written: of an Aria, only its rgb. */
  int aria = strstr(cam, "aria") != NULL;
  while ((rc = next_key(r, &name, &at)) == 1) {
    yaml_event_t v;
    stream_rec *s = NULL;
    if ((rc = repeated(r, &seen, name, at)) < 0 ||
        (aria && strcmp(name, "rgb") != 0)) {
      free(name);
      if (rc < 0 || (rc = skip_next(r)) < 0)
        break;
      continue;
    }
    if ((rc = next(r, &v)) < 0) {
      free(name);
      break;
    }
    if (v.type != YAML_MAPPING_START_EVENT) {
      rc = note_defect(t,
                       "line %zu: stream '%s' of camera '%s' is %s, not an "
                       "object",
                       at, name, cam, type_name(&v));
      free(name);
      if (rc == EF_OK)
        rc = skip(r, &v);
    } else if ((rc = add_stream(t, cam, name, &s)) == EF_OK) {
      rc = read_stream(r, s);
    }
    yaml_event_delete(&v);
    if (rc < 0)
      break;
  }
  strvec_free(&seen);
  return rc < 0 ? rc : EF_OK;
}

/* frame_aligned_videos: the eligible cameras' streams. */
static int read_cameras(reader *r, take *t, size_t line) {
  yaml_event_t e;
  if (t->cameras.seen)
    return ef_error_set(EF_EINVAL,
                        "%s: line %zu: key 'frame_aligned_videos' appears "
                        "twice",
                        r->path, line);
  int rc = next(r, &e);
  if (rc < 0)
    return rc;
  t->cameras.seen = 1;
  t->cameras.type = type_name(&e);
  t->cameras.line = line;
  if (e.type != YAML_MAPPING_START_EVENT) {
    rc = skip(r, &e);
    yaml_event_delete(&e);
    return rc;
  }
  yaml_event_delete(&e);
  strvec seen = {0};
  char *cam;
  size_t at;
  while ((rc = next_key(r, &cam, &at)) == 1) {
    if ((rc = repeated(r, &seen, cam, at)) == EF_OK) {
      if (!eligible(r->f, cam)) {
        rc = skip_next(r);
      } else if ((rc = next(r, &e)) == EF_OK) {
        rc = read_camera(r, t, cam, &e, at);
        yaml_event_delete(&e);
      }
    }
    free(cam);
    if (rc < 0)
      break;
  }
  strvec_free(&seen);
  return rc < 0 ? rc : EF_OK;
}

/* ---- Keeping a take's streams ------------------------------------------ */

/* "<take_uid>_<cam>_<stream>", or NULL when out of memory. */
static char *stream_uid(const char *take_uid, const stream_rec *s) {
  size_t n = strlen(take_uid) + strlen(s->cam) + strlen(s->name) + 3;
  char *uid = malloc(n);
  if (uid)
    snprintf(uid, n, "%s_%s_%s", take_uid, s->cam, s->name);
  return uid;
}

/* Why a path from takes.json cannot be used inside the data folder. */
static const char *path_problem(const char *p) {
  if (p[0] == '/')
    return "is absolute";
  for (const char *c = p; (c = strstr(c, "..")) != NULL; c += 2)
    if ((c == p || c[-1] == '/') && (c[2] == '/' || c[2] == '\0'))
      return "has a '..' component";
  return NULL;
}

/* The stream's entry: path, frame count, and any problem with the path. */
static int make_stream(reader *r, const take *t, const stream_rec *s, char *uid,
                       takes_stream *out) {
  memset(out, 0, sizeof *out);
  out->uid = uid;
  const char *cam_id = is_type(&s->cam_id, "a string") ? s->cam_id.str : s->cam;
  out->is_aria = strstr(cam_id, "aria") != NULL;
  int64_t n;
  out->num_frames = __builtin_sub_overflow(t->end.num, t->start.num, &n) ||
                            __builtin_sub_overflow(n, (int64_t)1, &n) || n < 0
                        ? -1
                        : n;
  if (!is_type(&s->rel, "a string"))
    return EF_OK; /* relative_path null: the release has no file */
  const char *root = t->root.str, *rel = s->rel.str;
  const char *bad_key = path_problem(root) ? "root_dir" : "relative_path";
  const char *why = path_problem(root) ? path_problem(root) : path_problem(rel);
  size_t len = strlen(r->data_dir) + strlen(root) + strlen(rel) + 3;
  if (!(out->path = malloc(len)))
    return nomem();
  snprintf(out->path, len, "%s%s%s%s%s", r->data_dir, *root ? "/" : "", root,
           *rel ? "/" : "", rel);
  if (why) {
    const char *what = strcmp(bad_key, "root_dir") == 0 ? root : rel;
    size_t m = strlen(r->path) + strlen(what) + strlen(uid) + 160;
    if (!(out->problem = malloc(m)))
      return nomem();
    snprintf(out->problem, m,
             "%s: stream %s: %s '%s' %s (it must be a path inside "
             "io.egoexo_data_dir)",
             r->path, uid, bad_key, what, why);
  }
  return EF_OK;
}

static int push_stream(takes_list *l, takes_stream *s) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    takes_stream *items = realloc(l->items, cap * sizeof *items);
    if (!items)
      return nomem();
    l->items = items;
    l->cap = cap;
  }
  l->items[l->n++] = *s;
  return EF_OK;
}

/* "take 'uid' (line N)" as messages name a take. */
#define TAKE_FMT "%s: take %zu ('%s', line %zu): "

/* EF_EINVAL when the take's key is missing or not of the type wanted. */
static int need(reader *r, const take *t, const value *v, const char *key,
                const char *want) {
  if (!v->seen)
    return ef_error_set(EF_EINVAL, TAKE_FMT "key '%s' is missing", r->path,
                        t->index, t->uid.str, t->line, key);
  int integer = strcmp(want, "an integer") == 0;
  if (integer ? !(is_type(v, "a number") && v->is_int) : !is_type(v, want))
    return ef_error_set(EF_EINVAL, TAKE_FMT "line %zu: '%s' is %s, not %s",
                        r->path, t->index, t->uid.str, t->line, v->line, key,
                        integer && is_type(v, "a number")
                            ? "a number that is not an int64 integer"
                            : v->type,
                        want);
  return EF_OK;
}

static int listed(const reader *r, const char *uid) {
  return strvec_contains(&r->uids, uid);
}

/* At the end of a take: its streams that the filter keeps, checked and
 * added to the output. Only a kept take must have the keys its streams
 * need, as in the reference, which reads nothing else of the others. */
static int finish_take(reader *r, take *t) {
  if (!t->uid.seen)
    return ef_error_set(EF_EINVAL,
                        "%s: take %zu (line %zu): key 'take_uid' "
                        "is missing",
                        r->path, t->index, t->line);
  if (!is_type(&t->uid, "a string"))
    return ef_error_set(EF_EINVAL,
                        "%s: take %zu (line %zu): 'take_uid' is %s, not a "
                        "string",
                        r->path, t->index, t->uid.line, t->uid.type);
  int all = !r->f->uids || listed(r, t->uid.str);
  char **uids = calloc(t->n_streams ? t->n_streams : 1, sizeof *uids);
  size_t kept = 0;
  int rc = uids ? EF_OK : nomem();
  for (size_t i = 0; rc == EF_OK && i < t->n_streams; i++) {
    if (!(uids[i] = stream_uid(t->uid.str, &t->streams[i])))
      rc = nomem();
    else if (all || listed(r, uids[i]))
      kept++;
    else {
      free(uids[i]);
      uids[i] = NULL;
    }
  }
  if (rc == EF_OK && (all || kept) && t->defect)
    rc = ef_error_set(EF_EINVAL, TAKE_FMT "%s", r->path, t->index, t->uid.str,
                      t->line, t->defect);
  if (rc == EF_OK && all)
    rc = need(r, t, &t->cameras, "frame_aligned_videos", "an object");
  if (rc == EF_OK && kept &&
      ((rc = need(r, t, &t->root, "root_dir", "a string")) < 0 ||
       (rc = need(r, t, &t->start, "timesync_start_idx", "an integer")) < 0 ||
       (rc = need(r, t, &t->end, "timesync_end_idx", "an integer")) < 0))
    kept = 0;
  for (size_t i = 0; rc == EF_OK && i < t->n_streams; i++) {
    const stream_rec *s = &t->streams[i];
    takes_stream out;
    if (!uids[i])
      continue;
    if (!s->rel.seen ||
        !(is_type(&s->rel, "a string") || is_type(&s->rel, "null")))
      rc = ef_error_set(EF_EINVAL,
                        TAKE_FMT "stream '%s' of camera '%s': 'relative_path' "
                                 "is %s, not a string",
                        r->path, t->index, t->uid.str, t->line, s->name, s->cam,
                        s->rel.seen ? s->rel.type : "missing");
    else if (s->cam_id.seen &&
             !(is_type(&s->cam_id, "a string") || is_type(&s->cam_id, "null")))
      rc = ef_error_set(EF_EINVAL,
                        TAKE_FMT "line %zu: stream '%s' of camera '%s': "
                                 "'cam_id' is %s, not a string",
                        r->path, t->index, t->uid.str, t->line, s->cam_id.line,
                        s->name, s->cam, s->cam_id.type);
    else if ((rc = make_stream(r, t, s, uids[i], &out)) == EF_OK) {
      uids[i] = NULL; /* out has it */
      if ((rc = push_stream(r->out, &out)) < 0)
        takes_free(&(takes_list){&out, 1, 1});
    } else {
      uids[i] = NULL;
      takes_free(&(takes_list){&out, 1, 1});
    }
  }
  for (size_t i = 0; uids && i < t->n_streams; i++)
    free(uids[i]);
  free(uids);
  return rc;
}

/* One take (its object's start read). */
static int read_take(reader *r, take *t) {
  char *key;
  size_t line;
  int rc;
  while ((rc = next_key(r, &key, &line)) == 1) {
    if (strcmp(key, "take_uid") == 0)
      rc = read_value(r, &t->uid, key, line);
    else if (strcmp(key, "root_dir") == 0)
      rc = read_value(r, &t->root, key, line);
    else if (strcmp(key, "timesync_start_idx") == 0)
      rc = read_value(r, &t->start, key, line);
    else if (strcmp(key, "timesync_end_idx") == 0)
      rc = read_value(r, &t->end, key, line);
    else if (strcmp(key, "frame_aligned_videos") == 0)
      rc = read_cameras(r, t, line);
    else
      rc = skip_next(r);
    free(key);
    if (rc < 0)
      return rc;
  }
  return rc < 0 ? rc : finish_take(r, t);
}

/* The file: one array of takes, nothing after it. */
static int read_top(reader *r) {
  yaml_event_t e;
  yaml_event_type_t type;
  int rc;
  do { /* past the stream and document starts */
    if ((rc = next(r, &e)) < 0)
      return rc;
    type = e.type;
    if (type != YAML_STREAM_START_EVENT && type != YAML_DOCUMENT_START_EVENT)
      break;
    yaml_event_delete(&e);
  } while (1);
  if (type == YAML_STREAM_END_EVENT) {
    yaml_event_delete(&e);
    return ef_error_set(EF_EINVAL, "%s: empty file, no JSON value", r->path);
  }
  if (type != YAML_SEQUENCE_START_EVENT) {
    rc = ef_error_set(EF_EINVAL,
                      "%s: the top level is %s, not an array of "
                      "takes",
                      r->path, type_name(&e));
    yaml_event_delete(&e);
    return rc;
  }
  yaml_event_delete(&e);
  for (size_t index = 0;; index++) {
    if ((rc = next(r, &e)) < 0)
      return rc;
    if (e.type == YAML_SEQUENCE_END_EVENT) {
      yaml_event_delete(&e);
      break;
    }
    if (e.type != YAML_MAPPING_START_EVENT) {
      rc = ef_error_set(EF_EINVAL,
                        "%s: line %zu: take %zu is %s, not an "
                        "object",
                        r->path, ev_line(&e), index, type_name(&e));
      yaml_event_delete(&e);
      return rc;
    }
    take t;
    memset(&t, 0, sizeof t);
    t.index = index;
    t.line = ev_line(&e);
    yaml_event_delete(&e);
    rc = read_take(r, &t);
    take_free(&t);
    if (rc < 0)
      return rc;
  }
  /* The gate refused any text after the array; only the ends remain. */
  do {
    if ((rc = next(r, &e)) < 0)
      return rc;
    type = e.type;
    yaml_event_delete(&e);
  } while (type == YAML_DOCUMENT_END_EVENT);
  return type == YAML_STREAM_END_EVENT
             ? EF_OK
             : ef_error_set(EF_EINVAL, "%s: text after the JSON value",
                            r->path);
}

/* Reads takes.json from the gate g describes (its fd or memory). */
static int takes_read(const char *path, const char *data_dir,
                      const json_gate *g, const takes_filter *f,
                      takes_list *out) {
  reader r;
  int rc = EF_OK;
  memset(&r, 0, sizeof r);
  r.g = *g;
  r.path = path;
  r.data_dir = data_dir;
  r.f = f;
  r.out = out;
  for (size_t i = 0; f->uids && i < f->n_uids && rc == EF_OK; i++)
    rc = strvec_push(&r.uids, strdup(f->uids[i])) == EF_OK ? EF_OK : nomem();
  strvec_sort(&r.uids);
  if (rc == EF_OK && !yaml_parser_initialize(&r.parser))
    rc = nomem();
  else if (rc == EF_OK) {
    yaml_parser_set_input(&r.parser, json_gate_read, &r.g);
    rc = read_top(&r);
    yaml_parser_delete(&r.parser);
  }
  strvec_free(&r.uids);
  return rc;
}

int takes_parse(const char *path, const char *data_dir, const void *data,
                size_t len, const takes_filter *f, takes_list *out) {
  json_gate g;
  json_gate_init_mem(&g, data, len);
  return takes_read(path, data_dir, &g, f, out);
}

int takes_load(const char *data_dir, const takes_filter *f, takes_list *out) {
  char *path = path_join(data_dir, "takes.json");
  struct stat st;
  json_gate g;
  int rc;
  if (!path)
    return nomem();
  /* O_NONBLOCK: a FIFO in its place must not hang the open. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    rc = errno == ENOENT
             ? ef_error_set(EF_ENOTFOUND,
                            "%s: no such file (with io.dataset_version "
                            "egoexo, io.egoexo_data_dir is an Ego-Exo4D "
                            "download holding takes.json)",
                            path)
             : ef_error_set(EF_EIO, "%s: cannot open (%s)", path,
                            strerror(errno));
    free(path);
    return rc;
  }
  if (fstat(fd, &st) != 0)
    rc = ef_error_set(EF_EIO, "%s: cannot stat (%s)", path, strerror(errno));
  else if (!S_ISREG(st.st_mode))
    rc = ef_error_set(EF_EIO, "%s: not a regular file", path);
  else if ((unsigned long long)st.st_size > JSON_GATE_MAX_BYTES)
    rc = ef_error_set(EF_EINVAL,
                      "%s: %lld bytes, larger than the 4 GiB a takes.json "
                      "can be",
                      path, (long long)st.st_size);
  else {
    json_gate_init_fd(&g, fd);
    rc = takes_read(path, data_dir, &g, f, out);
  }
  close(fd);
  free(path);
  return rc;
}

void takes_free(takes_list *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->items[i].uid);
    free(l->items[i].path);
    free(l->items[i].problem);
  }
  free(l->items);
  memset(l, 0, sizeof *l);
}
