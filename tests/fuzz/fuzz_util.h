/*
 * fuzz_util.h - what the libFuzzer targets share: a NUL-terminated copy of
 * the input (the parsers under test take C strings), a memfd path for the
 * checks that open a file, and an abort that names the broken property so
 * that libFuzzer records the input as a crash.
 */
#ifndef EF_FUZZ_UTIL_H
#define EF_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config/config_tree.h"
#include "ego4dfeat/ego4dfeat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A malloc'ed copy of data with a NUL after it; NULL if out of memory. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (s) {
    memcpy(s, data, size);
    s[size] = '\0';
  }
  return s;
}

/* Stops the run on a broken invariant: libFuzzer saves the input. */
#define FUZZ_CHECK(cond)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__,     \
              #cond);                                                          \
      abort();                                                                 \
    }                                                                          \
  } while (0)

/* Puts data in an anonymous in-memory file, reused across inputs, and
 * returns a path that open() accepts ("/proc/self/fd/N"). The checks
 * under test take a path; a memfd keeps the disk out of the loop. */
static inline const char *fuzz_memfd_path(const uint8_t *data, size_t size) {
  static int fd = -1;
  static char path[64];
  if (fd < 0) {
    fd = memfd_create("fuzz_input", MFD_CLOEXEC);
    FUZZ_CHECK(fd >= 0);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  }
  FUZZ_CHECK(ftruncate(fd, 0) == 0);
  size_t done = 0;
  while (done < size) {
    ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
    FUZZ_CHECK(n > 0);
    done += (size_t)n;
  }
  return path;
}

/* The YAML layer alone (no schema: a dump may hold keys added with
 * +key=value): a dump must parse back to a tree that dumps the same. */
static inline void fuzz_check_round_trip(const char *dump) {
  cfg_node *again = NULL;
  char *dump2 = NULL;
  if (cfg_yaml_parse(dump, strlen(dump), "<dump>", &again) != EF_OK) {
    fprintf(stderr, "dump does not parse back: %s\n%s\n", ef_last_error(),
            dump);
    abort();
  }
  FUZZ_CHECK(cfg_yaml_dump(again, &dump2) == EF_OK);
  if (strcmp(dump, dump2) != 0) {
    fprintf(stderr, "dump changes on a round trip:\n%s\n---\n%s\n", dump,
            dump2);
    abort();
  }
  free(dump2);
  cfg_node_free(again);
}

#endif
