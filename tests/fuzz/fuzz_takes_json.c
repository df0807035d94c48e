/*
 * fuzz_takes_json.c - libFuzzer target: takes.json text through the
 * streaming takes reader (input/takes.c), once keeping every take and
 * once only those io.uid_list names. Either it is refused with a message
 * naming the file, or every stream it lists is whole: a uid, a frame
 * count of -1 or more, and a path inside the data folder whenever a
 * problem is not reported for it.
 */
#include "fuzz_util.h"
#include "input/takes.h"

static void check(const uint8_t *data, size_t size, const takes_filter *f) {
  takes_list l = {0};
  int rc = takes_parse("fuzz/takes.json", "/data", data, size, f, &l);
  if (rc != EF_OK) {
    FUZZ_CHECK(rc < 0);
    FUZZ_CHECK(strstr(ef_last_error(), "fuzz/takes.json") != NULL);
  }
  for (size_t i = 0; rc == EF_OK && i < l.n; i++) {
    const takes_stream *s = &l.items[i];
    FUZZ_CHECK(s->uid != NULL && strchr(s->uid, '_') != NULL);
    FUZZ_CHECK(s->num_frames >= -1);
    FUZZ_CHECK(!s->problem || s->path);
    if (s->path && !s->problem)
      FUZZ_CHECK(strncmp(s->path, "/data", 5) == 0 &&
                 strstr(s->path, "/../") == NULL);
  }
  takes_free(&l); /* the caller frees in either case (takes.h) */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const uids[] = {"t1", "t2_cam01_0", "u"};
  static const char *const prefixes[] = {"CAM", "aria"};
  takes_filter all = {0};
  takes_filter some = {uids, 3, prefixes, 2};
  check(data, size, &all);
  check(data, size, &some);
  return 0;
}
