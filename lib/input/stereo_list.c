/*
 * stereo_list.c - owns reading the stereo flags from
 * <ego4d_download_dir>/ego4d.json: which uids have is_stereo true. Kept
 * apart from discover.c so that walking libyaml's events over a JSON file
 * stays in one place, and discovery only sees a sorted list of uids.
 */
#include "input/stereo_list.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "util/error.h"
#include "util/path.h"

/* Worded alike in discover.c, manifest.c and stereo_list.c: to a caller,
 * discovery is one step. */
static int nomem(void) {
  return ef_error_set(EF_ENOMEM, "discovery: out of memory");
}

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

/* Ego4D's files nest 5 levels deep. libyaml's scanner spends time
 * proportional to the open brackets on every token, so a hostile file
 * 100,000 brackets deep would take minutes: deeper values are refused. */
#define JSON_MAX_DEPTH 256

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
        e.type == YAML_MAPPING_START_EVENT) {
      if (++depth > JSON_MAX_DEPTH) {
        yaml_event_delete(&e);
        return ef_error_set(EF_EINVAL,
                            "%s: line %zu: values nested deeper than %d "
                            "levels",
                            r->path, r->parser.mark.line + 1, JSON_MAX_DEPTH);
      }
    } else if (e.type == YAML_SEQUENCE_END_EVENT ||
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
 * it), 0 if it was an array, an object (skipped) or JSON's null (plain
 * "null", unlike the string "null"): a uid that is null is no uid. */
static int json_scalar(json_reader *r, char **val) {
  yaml_event_t e;
  int rc = json_next(r, &e);
  if (rc < 0)
    return rc;
  if (e.type == YAML_SCALAR_EVENT &&
      e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
      strcmp((const char *)e.data.scalar.value, "null") == 0) {
    rc = 0;
  } else if (e.type == YAML_SCALAR_EVENT) {
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
  /* An empty file is a broken download, not a list without stereo
   * videos: json.load() fails on it too. */
  if (type == YAML_STREAM_END_EVENT)
    return ef_error_set(EF_EINVAL, "%s: empty file, no JSON value", r->path);
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
  if (rc < 0)
    return rc;
  /* After the object, only the end of the file: "{...}}" or a second
   * value is not JSON, and may be a file spliced with another. */
  do {
    if ((rc = json_next(r, &e)) < 0)
      return rc;
    type = e.type;
    yaml_event_delete(&e);
  } while (type == YAML_DOCUMENT_END_EVENT);
  if (type != YAML_STREAM_END_EVENT)
    return ef_error_set(EF_EINVAL, "%s: line %zu: text after the JSON value",
                        r->path, r->parser.mark.line + 1);
  return EF_OK;
}

/* Runs the reader over a parser whose input is set; sorts on success. */
static int stereo_read(json_reader *r, strvec *stereo) {
  int rc = json_top(r);
  if (rc == EF_OK)
    strvec_sort(stereo);
  return rc;
}

int stereo_list_parse(const char *path, const void *data, size_t len,
                      strvec *stereo) {
  json_reader r;
  int rc;

  memset(&r, 0, sizeof r);
  r.path = path;
  r.stereo = stereo;
  if (!yaml_parser_initialize(&r.parser))
    return nomem();
  yaml_parser_set_input_string(&r.parser, data, len);
  rc = stereo_read(&r, stereo);
  yaml_parser_delete(&r.parser);
  return rc;
}

int stereo_list_load(const char *dir, strvec *stereo) {
  json_reader r;
  char *path;
  FILE *f;
  int rc;

  if (!dir || !*dir)
    return EF_OK;
  if (!(path = path_join(dir, "ego4d.json")))
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
  /* Streamed from the file: Ego4D's ego4d.json is hundreds of MB. */
  yaml_parser_set_input_file(&r.parser, f);
  rc = stereo_read(&r, stereo);
  yaml_parser_delete(&r.parser);
  fclose(f);
  free(path);
  return rc;
}
