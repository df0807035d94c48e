/*
 * json_gate.h - a libyaml read handler that lets only JSON through, in
 * bounded amounts: the byte-level check in front of a streamed JSON file
 * (takes.c). libyaml reads JSON as YAML's flow style but also takes what
 * JSON has not (single quotes, comments, anchors, block style), and it
 * holds a whole scalar in memory and rescans open brackets; the gate
 * refuses those inputs before libyaml buffers them. Internal to the core
 * library; carries no ef_ error state (its verdict is text in err).
 */
#ifndef EF_JSON_GATE_H
#define EF_JSON_GATE_H

#include <stddef.h>

/* What the gate lets through at most. */
#define JSON_GATE_MAX_DEPTH 256      /* open brackets */
#define JSON_GATE_MAX_RUN (1u << 20) /* bytes of one string */
#define JSON_GATE_MAX_BYTES ((unsigned long long)4 << 30) /* in all */

typedef struct {
  int fd; /* -1: the text is in memory */
  const unsigned char *mem;
  size_t mem_len, mem_pos;
  unsigned long long total; /* bytes read so far */
  size_t line;              /* of the byte looked at, from 1 */
  size_t depth;             /* open brackets outside strings */
  size_t run; /* bytes of the current string, or since the last bracket,
                 comma or string outside one */
  int started, ended, in_str, esc;
  int io_error;  /* err is a read failure, not the text's fault */
  char err[256]; /* why the gate closed ("line N: ..."), or "" */
} json_gate;

/* A gate reading the file descriptor fd (left open), or len bytes of
 * data (kept by the caller). */
void json_gate_init_fd(json_gate *g, int fd);
void json_gate_init_mem(json_gate *g, const void *data, size_t len);

/*
 * The read handler for yaml_parser_set_input (data is the gate). 1 with
 * the next bytes, or 0 with the reason in err, which makes libyaml
 * fail. It closes on: a first character other than '[' or '{'; text
 * after the top-level value; a byte outside strings that JSON has not
 * there ('\'', '#', '&', a letter outside true/false/null, ...); more than
 * JSON_GATE_MAX_DEPTH open brackets; a string, or a stretch outside
 * strings without a bracket or comma, over JSON_GATE_MAX_RUN bytes; more
 * than JSON_GATE_MAX_BYTES in all; a failed read (io_error set). What
 * it lets through may still be invalid JSON: libyaml says so.
 */
int json_gate_read(void *data, unsigned char *buf, size_t size,
                   size_t *size_read);

#endif
