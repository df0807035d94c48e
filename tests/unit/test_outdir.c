/*
 * test_outdir.c - what keeps a shared output folder sane: our temporary
 * file names (tempname.c), per-output claims (claim.c) and the sweep of
 * dead runs' leftovers (out_sweep.c). Claims are checked against a second
 * process (a fork) because that is what they exclude. C core only: this
 * runs under ASan/UBSan.
 */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "output/claim.h"
#include "output/out_sweep.h"
#include "testutil.h"
#include "util/error.h"
#include "util/tempname.h"

static char *tmp;

static void setup(void) {
  tmp = tu_tmpdir();
  ck_assert_ptr_nonnull(tmp);
}

static void teardown(void) {
  tu_rmrf(tmp);
  free(tmp);
  tmp = NULL;
}

static int exists(const char *dir, const char *name) {
  char *p = tu_path(dir, name);
  struct stat st;
  int rc = lstat(p, &st) == 0;
  free(p);
  return rc;
}

/* A pid of this host that has exited. */
static long dead_pid(void) {
  pid_t p = fork();
  if (p == 0)
    _exit(0);
  ck_assert_int_gt(p, 0);
  ck_assert_int_eq(waitpid(p, NULL, 0), p);
  return (long)p;
}

START_TEST(test_tempname_roundtrip) {
  char host[TEMPNAME_HOST_MAX + 1], got[TEMPNAME_HOST_MAX + 1], buf[512];
  tempname_host(host, sizeof host);
  ck_assert_uint_gt(strlen(host), 0);
  ck_assert_uint_eq(strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
                                 "QRSTUVWXYZ0123456789_-"),
                    strlen(host));
  ck_assert_int_eq(
      tempname_make(buf, sizeof buf, "d", "v1.pt", host, 4242, 0xabcULL), 0);
  const char *name = strrchr(buf, '/') + 1;
  long pid = 0;
  ck_assert_int_eq(tempname_parse(name, got, sizeof got, &pid), 1);
  ck_assert_str_eq(got, host);
  ck_assert_int_eq(pid, 4242);
  ck_assert_str_eq(name + strlen(name) - 17, ".0000000000000abc");

  /* A long final name is cut so the temp name fits NAME_MAX. */
  char longname[256];
  memset(longname, 'u', 250);
  strcpy(longname + 250, ".pt");
  ck_assert_int_eq(tempname_make(buf, sizeof buf, "d", longname,
                                 "h234567890123456789012345678901234567890123"
                                 "4567890123456789012345",
                                 2147483647, ~0ULL),
                   0);
  ck_assert_uint_le(strlen(strrchr(buf, '/') + 1), 255);
  ck_assert_int_eq(tempname_make(buf, 16, "d", "v1.pt", host, 1, 1), -1);
}
END_TEST

START_TEST(test_tempname_rejects) {
  char h[TEMPNAME_HOST_MAX + 1];
  long pid;
  static const char *const not_ours[] = {
      "v1.pt",
      "config.yaml",
      ".v1.pt.tmp.123.0123456789abcdef",           /* older naming: no host */
      "v1.pt.tmp.h.123.0123456789abcdef",          /* not hidden */
      ".v1.pt.tmp.h.123.0123456789abcde",          /* 15 hex digits */
      ".v1.pt.tmp.h.123.0123456789abcdefa",        /* 17 */
      ".v1.pt.tmp.h.123.0123456789ABCDEF",         /* not our hex */
      ".v1.pt.tmp.h.12a.0123456789abcdef",         /* pid not a number */
      ".v1.pt.tmp.h.0.0123456789abcdef",           /* no process */
      ".v1.pt.tmp.h.12345678901.0123456789abcdef", /* pid too long */
      ".v1.pt.tmp.h!.1.0123456789abcdef",          /* not a host token */
      ".v1.pt.tmq.h.1.0123456789abcdef",           /* no ".tmp" */
      "..tmp.h.1.0123456789abcdef",                /* no final name */
      ".tmp.h.1.0123456789abcdef",
      "",
  };
  for (size_t i = 0; i < sizeof not_ours / sizeof not_ours[0]; i++)
    ck_assert_msg(tempname_parse(not_ours[i], h, sizeof h, &pid) == 0,
                  "parsed as ours: %s", not_ours[i]);
  ck_assert_int_eq(
      tempname_parse(".x.tmp.h.1.0123456789abcdef", h, sizeof h, &pid), 1);
  ck_assert_str_eq(h, "h");
  ck_assert_int_eq(tempname_parse(".x.tmp.h.1.0123456789abcdef", h, 1, &pid),
                   0); /* host buffer too small */
}
END_TEST

START_TEST(test_claim_excludes_other_process) {
  char *out = tu_path(tmp, "v1.pt");
  char *cpath = claim_path_for(out);
  char *want = tu_path(tmp, ".v1.pt.claim");
  ck_assert_str_eq(cpath, want);
  claim c = CLAIM_INIT;
  char *holder = NULL;
  ck_assert_int_eq(claim_take(out, &c, &holder), EF_OK);
  ck_assert_int_ge(c.fd, 0);
  ck_assert_ptr_null(holder);
  char *text = tu_read_file(cpath, NULL);
  char host[TEMPNAME_HOST_MAX + 1], expect[128];
  tempname_host(host, sizeof host);
  snprintf(expect, sizeof expect, "%s %ld\n", host, (long)getpid());
  ck_assert_str_eq(text, expect);
  free(text);

  /* Another process sees it busy, with our host:pid; the sweep leaves a
   * held claim alone. */
  int pipefd[2];
  ck_assert_int_eq(pipe(pipefd), 0);
  pid_t p = fork();
  if (p == 0) {
    claim c2 = CLAIM_INIT;
    char *h2 = NULL;
    char line[256];
    int rc = claim_take(out, &c2, &h2);
    int n = snprintf(line, sizeof line, "%d %s %d", rc, h2 ? h2 : "-",
                     claim_remove_if_free(cpath));
    if (write(pipefd[1], line, (size_t)n + 1) < 0)
      _exit(2);
    _exit(0);
  }
  close(pipefd[1]);
  char line[256] = {0};
  ck_assert_int_gt(read(pipefd[0], line, sizeof line - 1), 0);
  close(pipefd[0]);
  waitpid(p, NULL, 0);
  char busy[300];
  snprintf(busy, sizeof busy, "%d %s:%ld 0", CLAIM_BUSY, host, (long)getpid());
  ck_assert_str_eq(line, busy);

  /* Released: the file goes, and the next taker gets it. */
  claim_release(&c);
  ck_assert_int_eq(c.fd, -1);
  claim_release(&c); /* twice is harmless */
  ck_assert(!exists(tmp, ".v1.pt.claim"));
  ck_assert_int_eq(claim_take(out, &c, &holder), EF_OK);
  claim_release(&c);
  free(want);
  free(cpath);
  free(out);
}
END_TEST

START_TEST(test_claim_of_killed_process_is_taken_over) {
  char *out = tu_path(tmp, "v2.pt");
  char *cpath = claim_path_for(out);
  pid_t p = fork();
  if (p == 0) {
    claim c = CLAIM_INIT;
    char *h = NULL;
    if (claim_take(out, &c, &h) != EF_OK)
      _exit(1);
    pause(); /* holds it until killed */
    _exit(0);
  }
  /* Wait until the child holds it (its text is in the file). */
  claim c = CLAIM_INIT;
  char *holder = NULL;
  for (int i = 0; i < 500; i++) {
    char *t = tu_read_file(cpath, NULL);
    int ready = t && *t;
    free(t);
    if (ready)
      break;
    usleep(10000);
  }
  ck_assert_int_eq(claim_take(out, &c, &holder), CLAIM_BUSY);
  free(holder);
  kill(p, SIGKILL);
  waitpid(p, NULL, 0);
  ck_assert(exists(tmp, ".v2.pt.claim")); /* the name outlives it */
  ck_assert_int_eq(claim_take(out, &c, &holder), EF_OK);
  claim_release(&c);
  ck_assert(!exists(tmp, ".v2.pt.claim"));
  free(cpath);
  free(out);
}
END_TEST

START_TEST(test_claim_refuses_symlink) {
  char *out = tu_path(tmp, "v3.pt");
  char *cpath = claim_path_for(out);
  char *target = tu_path(tmp, "elsewhere");
  ck_assert_int_eq(symlink(target, cpath), 0);
  claim c = CLAIM_INIT;
  char *holder = NULL;
  ck_assert_int_eq(claim_take(out, &c, &holder), EF_EIO);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), cpath));
  ck_assert(!exists(tmp, "elsewhere")); /* nothing created through it */
  ck_assert_int_eq(claim_remove_if_free(cpath), 0);
  free(target);
  free(cpath);
  free(out);
}
END_TEST

START_TEST(test_sweep_rule) {
  char host[TEMPNAME_HOST_MAX + 1], name[512];
  tempname_host(host, sizeof host);
  long dead = dead_pid();
  ck_assert(!tempname_pid_alive(dead));
  ck_assert(tempname_pid_alive((long)getpid()));
  ck_assert(tempname_pid_alive(1)); /* init: alive, even if not ours */
  const char *hex = "0123456789abcdef";
  char gone[3][300], kept[5][300];
  snprintf(gone[0], 300, ".a.pt.tmp.%s.%ld.%s", host, dead, hex);
  snprintf(gone[1], 300, ".config.yaml.tmp.%s.%ld.%s", host, dead, hex);
  snprintf(gone[2], 300, ".b.pt.claim");
  snprintf(kept[0], 300, ".a.pt.tmp.%s.%ld.%s", host, (long)getpid(), hex);
  snprintf(kept[1], 300, ".a.pt.tmp.%s.1.%s", host, hex); /* init lives */
  snprintf(kept[2], 300, ".a.pt.tmp.otherhost.%ld.%s", dead, hex);
  snprintf(kept[3], 300, ".a.pt.tmp.%ld.%s", dead, hex);
  snprintf(kept[4], 300, "a.pt");
  for (int i = 0; i < 3; i++) {
    char *p = tu_path(tmp, gone[i]);
    ck_assert_int_eq(tu_write_file(p, "x"), 0);
    free(p);
  }
  for (int i = 0; i < 5; i++) {
    char *p = tu_path(tmp, kept[i]);
    ck_assert_int_eq(tu_write_file(p, "x"), 0);
    free(p);
  }
  /* A symlink with a stale name is not ours to remove (nor its target). */
  snprintf(name, sizeof name, ".c.pt.tmp.%s.%ld.%s", host, dead, hex);
  char *link = tu_path(tmp, name);
  char *target = tu_path(tmp, "a.pt");
  ck_assert_int_eq(symlink(target, link), 0);
  out_sweep_counts n;
  ck_assert_int_eq(out_sweep(tmp, &n), EF_OK);
  ck_assert_uint_eq(n.temps, 2);
  ck_assert_uint_eq(n.claims, 1);
  for (int i = 0; i < 3; i++)
    ck_assert_msg(!exists(tmp, gone[i]), "not swept: %s", gone[i]);
  for (int i = 0; i < 5; i++)
    ck_assert_msg(exists(tmp, kept[i]), "swept: %s", kept[i]);
  ck_assert(exists(tmp, name));
  char *missing = tu_path(tmp, "no-such-folder");
  ck_assert_int_eq(out_sweep(missing, &n), EF_EIO);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), missing));
  free(missing);
  free(target);
  free(link);
}
END_TEST

int main(void) {
  Suite *s = suite_create("outdir");
  TCase *tc = tcase_create("outdir");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_tempname_roundtrip);
  tcase_add_test(tc, test_tempname_rejects);
  tcase_add_test(tc, test_claim_excludes_other_process);
  tcase_add_test(tc, test_claim_of_killed_process_is_taken_over);
  tcase_add_test(tc, test_claim_refuses_symlink);
  tcase_add_test(tc, test_sweep_rule);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
