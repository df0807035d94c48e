/*
 * fuzz_json.c - libFuzzer target: any text through util/json.c (the plan
 * and status files, the CLI's labels files). Every node of a document
 * that parses is walked; every string in it, and the input's own bytes
 * up to its first NUL (any bytes, as a file name may hold), written the
 * way the plan and status files write strings (membuf_json), must read
 * back the same.
 */
#include "fuzz_util.h"
#include "util/json.h"
#include "util/membuf.h"

static void check_string(const char *s) {
  membuf b = {0};
  membuf_puts(&b, "[");
  membuf_json(&b, s);
  membuf_puts(&b, "]");
  if (b.failed) {
    free(b.data);
    return;
  }
  json_doc d;
  char err[256];
  FUZZ_CHECK(json_parse(&d, (const char *)b.data, b.len, err, sizeof err) == 0);
  FUZZ_CHECK(json_len(json_root(&d)) == 1);
  const char *back = json_string(json_at(&d, json_root(&d), 0));
  FUZZ_CHECK(back && strcmp(back, s) == 0);
  json_free(&d);
  free(b.data);
}

static void walk(json_doc *d, const json_node *n, int depth) {
  if (!n || depth > 64)
    return;
  for (size_t i = 0; i < json_len(n); i++)
    walk(d, json_at(d, n, i), depth + 1);
  for (size_t i = 0; i < json_pair_count(n); i++) {
    json_node *v = NULL;
    const char *key = json_pair(d, n, i, &v);
    FUZZ_CHECK(key != NULL); /* json_parse refuses other keys */
    FUZZ_CHECK(json_get(d, n, key) != NULL);
    walk(d, v, depth + 1);
  }
  const char *s = json_string(n);
  int64_t i;
  double x;
  if (s) {
    /* A string is never a number. */
    FUZZ_CHECK(json_int(n, &i) != 0 && json_double(n, &x) != 0);
    if (strlen(s) < 4096)
      check_string(s);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *raw = fuzz_cstr(data, size < 4096 ? size : 4096);
  if (raw)
    check_string(raw);
  free(raw);
  json_doc d;
  char err[256];
  if (json_parse(&d, (const char *)data, size, err, sizeof err) == 0) {
    FUZZ_CHECK(json_root(&d) != NULL);
    walk(&d, json_root(&d), 0);
  } else {
    FUZZ_CHECK(err[0] != '\0' && json_root(&d) == NULL);
  }
  json_free(&d);
  return 0;
}
