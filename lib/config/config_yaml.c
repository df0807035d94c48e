/*
 * config_yaml.c - YAML text <-> config tree, through libyaml's event
 * parser and emitter. Parsing keeps each scalar's text and whether it was
 * quoted; dumping quotes exactly the strings that would otherwise read back
 * as another type, so dump -> parse gives an equal tree.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config/config_tree.h"
#include "util/error.h"
#include "util/membuf.h"
#include "util/utf8.h"

/* Deeper documents are rejected rather than risking the C stack. */
#define MAX_DEPTH 64

/* ---- Parsing ------------------------------------------------------------ */

typedef struct {
  yaml_parser_t parser;
  const char *origin;
  const char *text; /* the whole input, for reader errors' lines */
  size_t len;
} reader;

/* libyaml's reader (bad UTF-8, a NUL or another control character) gives
 * a byte offset and leaves the mark at 1:1: the line and column (in
 * bytes) are counted here, and the byte is named. */
static int reader_error(reader *r) {
  const yaml_parser_t *p = &r->parser;
  size_t at = p->problem_offset < r->len ? p->problem_offset : r->len;
  size_t line = 1, col = 1;
  for (size_t i = 0; i < at; i++) {
    col++;
    if (r->text[i] == '\n') {
      line++;
      col = 1;
    }
  }
  char byte[32] = "";
  if (at < r->len)
    snprintf(byte, sizeof byte, " (byte 0x%02x%s)",
             (unsigned)(unsigned char)r->text[at],
             r->text[at] == '\0' ? ", a NUL" : "");
  return ef_error_set(EF_ECONFIG, "%s:%zu:%zu: YAML error: %s%s", r->origin,
                      line, col, p->problem ? p->problem : "unreadable text",
                      byte);
}

static int syntax_error(reader *r) {
  const yaml_parser_t *p = &r->parser;
  if (p->error == YAML_MEMORY_ERROR)
    return ef_error_set(EF_ENOMEM, "%s: out of memory parsing YAML", r->origin);
  if (p->error == YAML_READER_ERROR)
    return reader_error(r);
  return ef_error_set(EF_ECONFIG, "%s:%zu:%zu: YAML error: %s%s%s", r->origin,
                      p->problem_mark.line + 1, p->problem_mark.column + 1,
                      p->problem ? p->problem : "invalid document",
                      p->context ? " " : "", p->context ? p->context : "");
}

static int next_event(reader *r, yaml_event_t *ev) {
  if (!yaml_parser_parse(&r->parser, ev))
    return syntax_error(r);
  return EF_OK;
}

static size_t line_of(const yaml_event_t *ev) {
  return ev->start_mark.line + 1;
}

static int parse_node(reader *r, yaml_event_t *ev, int depth, cfg_node **out);

static int parse_scalar(reader *r, const yaml_event_t *ev, cfg_node **out) {
  const char *text = (const char *)ev->data.scalar.value;
  size_t len = ev->data.scalar.length;
  const char *tag = (const char *)ev->data.scalar.tag;
  bool quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
                (tag && strcmp(tag, YAML_STR_TAG) == 0);
  char *bytes = NULL; /* the text with its non-UTF-8 bytes back (utf8.h) */
  if (strlen(text) != len) {
    int stray = 0;
    if (!(bytes = malloc(len + 1)))
      return ef_error_set(EF_ENOMEM, "%s: out of memory", r->origin);
    memcpy(bytes, text, len);
    len = utf8_restore_bytes((unsigned char *)bytes, len, &stray);
    text = bytes;
    if (stray) {
      free(bytes);
      return ef_error_set(EF_ECONFIG, "%s:%zu: NUL characters are not allowed",
                          r->origin, line_of(ev));
    }
  }
  cfg_node *n = !quoted && cfg_text_type(text) == CFG_T_NULL
                    ? cfg_node_new(CFG_NULL)
                    : cfg_node_new_scalar(text, len, quoted);
  free(bytes);
  if (!n)
    return ef_error_set(EF_ENOMEM, "%s: out of memory", r->origin);
  *out = n;
  return EF_OK;
}

/* Reads items until the closing event of a list or map. */
static int parse_children(reader *r, cfg_node *n, yaml_event_type_t end,
                          int depth) {
  int rc;
  yaml_event_t ev;
  cfg_node *item = NULL;
  char *key = NULL;
  for (;;) {
    if ((rc = next_event(r, &ev)) != EF_OK)
      return rc;
    if (ev.type == end) {
      yaml_event_delete(&ev);
      return EF_OK;
    }
    if (n->kind == CFG_MAP) {
      if (ev.type != YAML_SCALAR_EVENT) {
        rc = ef_error_set(EF_ECONFIG, "%s:%zu: map keys must be scalars",
                          r->origin, line_of(&ev));
        yaml_event_delete(&ev);
        return rc;
      }
      size_t line = line_of(&ev);
      key = strdup((const char *)ev.data.scalar.value);
      yaml_event_delete(&ev);
      if (!key)
        return ef_error_set(EF_ENOMEM, "%s: out of memory", r->origin);
      if (cfg_map_find(n, key) >= 0) {
        rc = ef_error_set(EF_ECONFIG, "%s:%zu: duplicate key '%s'", r->origin,
                          line, key);
        goto fail;
      }
      if ((rc = next_event(r, &ev)) != EF_OK)
        goto fail;
    }
    if ((rc = parse_node(r, &ev, depth + 1, &item)) != EF_OK)
      goto fail;
    rc = key ? cfg_map_add(n, key, item) : cfg_list_append(n, item);
    if (rc != EF_OK)
      goto fail;
    item = NULL;
    free(key);
    key = NULL;
  }
fail:
  cfg_node_free(item);
  free(key);
  return rc;
}

/* Builds the node that starts with *ev; always deletes *ev. */
static int parse_node(reader *r, yaml_event_t *ev, int depth, cfg_node **out) {
  int rc = EF_OK;
  cfg_node *n = NULL;
  if (depth > MAX_DEPTH) {
    rc = ef_error_set(EF_ECONFIG, "%s:%zu: nesting deeper than %d levels",
                      r->origin, line_of(ev), MAX_DEPTH);
    goto done;
  }
  switch (ev->type) {
  case YAML_SCALAR_EVENT: rc = parse_scalar(r, ev, &n); break;
  case YAML_SEQUENCE_START_EVENT:
  case YAML_MAPPING_START_EVENT: {
    bool is_map = ev->type == YAML_MAPPING_START_EVENT;
    if (!(n = cfg_node_new(is_map ? CFG_MAP : CFG_LIST))) {
      rc = ef_error_set(EF_ENOMEM, "%s: out of memory", r->origin);
      break;
    }
    rc = parse_children(
        r, n, is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT, depth);
    break;
  }
  case YAML_ALIAS_EVENT:
    rc = ef_error_set(EF_ECONFIG,
                      "%s:%zu: aliases (*%s) are not supported; write the "
                      "value out instead",
                      r->origin, line_of(ev),
                      (const char *)ev->data.alias.anchor);
    break;
  default:
    rc = ef_error_set(EF_ECONFIG, "%s:%zu: unexpected YAML event", r->origin,
                      line_of(ev));
    break;
  }
done:
  yaml_event_delete(ev);
  if (rc != EF_OK) {
    cfg_node_free(n);
    return rc;
  }
  *out = n;
  return EF_OK;
}

/* Reads the event after the root node: one document, then the end. */
static int expect(reader *r, yaml_event_type_t type, const char *problem) {
  yaml_event_t ev;
  int rc = next_event(r, &ev);
  if (rc != EF_OK)
    return rc;
  if (ev.type != type)
    rc = ef_error_set(EF_ECONFIG, "%s:%zu: %s", r->origin, line_of(&ev),
                      problem);
  yaml_event_delete(&ev);
  return rc;
}

int cfg_yaml_parse(const char *text, size_t len, const char *origin,
                   cfg_node **out) {
  int rc;
  reader r = {.origin = origin, .text = text, .len = len};
  cfg_node *root = NULL;
  yaml_event_t ev;
  *out = NULL;
  if (!yaml_parser_initialize(&r.parser))
    return ef_error_set(EF_ENOMEM, "%s: out of memory", origin);
  yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);

  if ((rc = expect(&r, YAML_STREAM_START_EVENT, "no YAML stream")) != EF_OK)
    goto fail;
  if ((rc = next_event(&r, &ev)) != EF_OK)
    goto fail;
  if (ev.type == YAML_STREAM_END_EVENT) { /* empty or comments only */
    yaml_event_delete(&ev);
    root = cfg_node_new(CFG_MAP);
    if (!root) {
      rc = ef_error_set(EF_ENOMEM, "%s: out of memory", origin);
      goto fail;
    }
    goto done;
  }
  yaml_event_delete(&ev); /* the document start */
  if ((rc = next_event(&r, &ev)) != EF_OK)
    goto fail;
  if ((rc = parse_node(&r, &ev, 0, &root)) != EF_OK)
    goto fail;
  if ((rc = expect(&r, YAML_DOCUMENT_END_EVENT,
                   "expected the end of the "
                   "document")) != EF_OK)
    goto fail;
  if ((rc = expect(&r, YAML_STREAM_END_EVENT,
                   "only one YAML document is allowed")) != EF_OK)
    goto fail;
  if (root->kind == CFG_NULL) {
    root->kind = CFG_MAP;
  } else if (root->kind != CFG_MAP) {
    rc = ef_error_set(EF_ECONFIG,
                      "%s: the top level must be a map of keys, "
                      "not a %s",
                      origin, cfg_node_type_name(root));
    goto fail;
  }
done:
  yaml_parser_delete(&r.parser);
  *out = root;
  return EF_OK;
fail:
  cfg_node_free(root);
  yaml_parser_delete(&r.parser);
  return rc;
}

/* ---- Dumping ------------------------------------------------------------ */

/* libyaml's output handler: 1 to go on, 0 when out of memory. */
static int membuf_write(void *ctx, unsigned char *bytes, size_t size) {
  membuf *b = ctx;
  membuf_put(b, bytes, size);
  return !b->failed;
}

static int emit(yaml_emitter_t *em, yaml_event_t *ev) {
  /* yaml_emitter_emit owns the event from here, on failure too. */
  if (yaml_emitter_emit(em, ev))
    return EF_OK;
  if (em->error == YAML_MEMORY_ERROR || em->error == YAML_WRITER_ERROR)
    return ef_error_set(EF_ENOMEM, "out of memory writing YAML");
  return ef_error_set(EF_EINVAL, "cannot write the config as YAML: %s",
                      em->problem ? em->problem : "emitter error");
}

static int emit_scalar(yaml_emitter_t *em, const char *text, bool is_string) {
  yaml_event_t ev;
  /* A file name may hold bytes that are not UTF-8: they go as "\0" and
   * two hex digits (utf8.h), which only double quotes can carry. */
  size_t len;
  char *bytes = utf8_escape_bytes(text, &len);
  if (!bytes && len)
    return ef_error_set(EF_ENOMEM, "out of memory writing YAML");
  if (!bytes)
    len = strlen(text);
  if (len > INT_MAX) {
    free(bytes);
    return ef_error_set(EF_EINVAL, "a config value is too long to write");
  }
  /* A string that reads as null, a bool or a number needs quotes. */
  yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;
  if (bytes)
    style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
  else if (is_string)
    style = cfg_text_type(text) == CFG_T_STR ? YAML_ANY_SCALAR_STYLE
                                             : YAML_SINGLE_QUOTED_SCALAR_STYLE;
  int ok = yaml_scalar_event_initialize(
      &ev, NULL, NULL, (const yaml_char_t *)(bytes ? bytes : text), (int)len, 1,
      1, style);
  free(bytes);
  if (!ok)
    return ef_error_set(EF_ENOMEM, "out of memory writing YAML");
  return emit(em, &ev);
}

static int emit_node(yaml_emitter_t *em, const cfg_node *n) {
  yaml_event_t ev;
  int rc;
  switch (n->kind) {
  case CFG_NULL: return emit_scalar(em, "null", false);
  case CFG_SCALAR:
    return emit_scalar(em, n->text, cfg_node_type(n) == CFG_T_STR);
  case CFG_LIST:
    if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                              YAML_BLOCK_SEQUENCE_STYLE))
      return ef_error_set(EF_ENOMEM, "out of memory writing YAML");
    break;
  case CFG_MAP:
    if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                                             YAML_BLOCK_MAPPING_STYLE))
      return ef_error_set(EF_ENOMEM, "out of memory writing YAML");
    break;
  }
  if ((rc = emit(em, &ev)) != EF_OK)
    return rc;
  for (size_t i = 0; i < n->len; i++) {
    if (n->kind == CFG_MAP && (rc = emit_scalar(em, n->keys[i], true)) != EF_OK)
      return rc;
    if ((rc = emit_node(em, n->items[i])) != EF_OK)
      return rc;
  }
  if (n->kind == CFG_MAP)
    yaml_mapping_end_event_initialize(&ev);
  else
    yaml_sequence_end_event_initialize(&ev);
  return emit(em, &ev);
}

int cfg_yaml_dump(const cfg_node *root, char **out) {
  int rc;
  yaml_emitter_t em;
  yaml_event_t ev;
  membuf buf = {0};
  *out = NULL;
  if (!yaml_emitter_initialize(&em))
    return ef_error_set(EF_ENOMEM, "out of memory writing YAML");
  yaml_emitter_set_output(&em, membuf_write, &buf);
  yaml_emitter_set_unicode(&em, 1);
  yaml_emitter_set_width(&em, -1); /* never fold long paths */
  yaml_emitter_set_indent(&em, 2);

  yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
  if ((rc = emit(&em, &ev)) != EF_OK)
    goto fail;
  yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
  if ((rc = emit(&em, &ev)) != EF_OK)
    goto fail;
  if ((rc = emit_node(&em, root)) != EF_OK)
    goto fail;
  yaml_document_end_event_initialize(&ev, 1);
  if ((rc = emit(&em, &ev)) != EF_OK)
    goto fail;
  yaml_stream_end_event_initialize(&ev);
  if ((rc = emit(&em, &ev)) != EF_OK)
    goto fail;
  if (!yaml_emitter_flush(&em)) {
    rc = ef_error_set(EF_ENOMEM, "out of memory writing YAML");
    goto fail;
  }
  yaml_emitter_delete(&em);
  if (buf.failed || (!buf.data && !(buf.data = calloc(1, 1)))) {
    free(buf.data);
    return ef_error_set(EF_ENOMEM, "out of memory writing YAML");
  }
  *out = (char *)buf.data;
  return EF_OK;
fail:
  yaml_emitter_delete(&em);
  free(buf.data);
  return rc;
}
