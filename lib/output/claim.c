/*
 * claim.c - per-output claims as fcntl locks on ".<name>.claim" files
 * (design in claim.h).
 *
 * The one subtle part is the file itself: a holder removes it on release,
 * so a process that opened the old file and then got the lock holds a
 * lock on a file no longer under the name. After locking, the open file
 * must still be the one under the name (same device and inode), or the
 * process starts over. This also makes removing a free claim file (the
 * sweep) safe against a run that is just taking it.
 */
#include "output/claim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"
#include "util/tempname.h"

char *claim_path_for(const char *out_file) {
  const char *slash = strrchr(out_file, '/');
  size_t dlen = slash ? (size_t)(slash - out_file) + 1 : 0;
  const char *name = out_file + dlen;
  size_t n = strlen(out_file) + sizeof "/..claim";
  char *p = malloc(n);
  if (!p) {
    ef_error_set(EF_ENOMEM, "out of memory building the claim of %s", out_file);
    return NULL;
  }
  snprintf(p, n, "%.*s.%s.claim", (int)dlen, out_file, name);
  return p;
}

/* 0: locked; 1: another process holds it; -1: no locks on this
 * filesystem; -2: another failure (errno set). */
static int lock_fd(int fd) {
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  int rc;
#ifdef F_OFD_SETLK
  /* Per open file, so two threads of one run exclude each other too. */
  rc = fcntl(fd, F_OFD_SETLK, &fl);
  if (rc != 0 && errno == EINVAL) /* a kernel before 3.15 */
#endif
    rc = fcntl(fd, F_SETLK, &fl);
  if (rc == 0)
    return 0;
  if (errno == EAGAIN || errno == EACCES)
    return 1;
  if (errno == ENOLCK || errno == ENOSYS || errno == EOPNOTSUPP)
    return -1;
  return -2;
}

/* The open file is the regular file under path. */
static int still_named(int fd, const char *path) {
  struct stat a, b;
  return fstat(fd, &a) == 0 && lstat(path, &b) == 0 && S_ISREG(b.st_mode) &&
         a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The holder's "<host>:<pid>" from the file's "<host> <pid>", or a plain
 * phrase if there is no text yet; *transient is set when the text says
 * the lock is not a real holder's: empty (a holder that has not written
 * it yet, or the sweep, which empties the file before removing it) or a
 * dead process of this host (a run taking over or sweeping a left-over
 * file, which rewrites or removes it at once). */
static char *read_holder(int fd, int *transient) {
  char buf[128], host[TEMPNAME_HOST_MAX + 1], mine[TEMPNAME_HOST_MAX + 1];
  long pid = 0;
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  *transient = n <= 0;
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
    n--;
  if (n <= 0)
    return strdup("another process");
  buf[n] = '\0';
  tempname_host(mine, sizeof mine);
  if (sscanf(buf, "%64s %ld", host, &pid) == 2 && strcmp(host, mine) == 0 &&
      !tempname_pid_alive(pid))
    *transient = 1;
  for (ssize_t i = 0; i < n; i++)
    if (buf[i] == ' ')
      buf[i] = ':';
  return strdup(buf);
}

static void write_holder(int fd) {
  char host[TEMPNAME_HOST_MAX + 1], text[128];
  tempname_host(host, sizeof host);
  int n = snprintf(text, sizeof text, "%s %ld\n", host, (long)getpid());
  /* Only for messages: a full disk here is no reason to fail. */
  if (ftruncate(fd, 0) == 0 && n > 0 && pwrite(fd, text, (size_t)n, 0) < 0)
    errno = 0;
}

int claim_take(const char *out_file, claim *c, char **holder) {
  c->fd = -1;
  c->path = NULL;
  *holder = NULL;
  char *path = claim_path_for(out_file);
  if (!path)
    return ef_error_set(EF_ENOMEM, "out of memory");
  int rc;
  for (int attempt = 0; attempt < 16; attempt++) {
    /* O_NOFOLLOW: a symlink planted under the claim's name must not make
     * us create or lock a file outside the output folder. */
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0) {
      rc = ef_error_set(EF_EIO, "cannot create claim file %s: %s", path,
                        strerror(errno));
      goto fail;
    }
    int locked = lock_fd(fd);
    if (locked == 1) {
      int transient;
      char *who = read_holder(fd, &transient);
      close(fd);
      if (transient && who && attempt + 1 < 16) {
        free(who);
        usleep(10000); /* the other side is done within microseconds */
        continue;
      }
      free(path);
      *holder = who;
      return who ? CLAIM_BUSY
                 : ef_error_set(EF_ENOMEM, "out of memory reading %s",
                                out_file);
    }
    if (locked == -1) { /* no locks here: run unclaimed, leave no file */
      close(fd);
      unlink(path);
      free(path);
      return EF_OK;
    }
    if (locked == -2) {
      rc = ef_error_set(EF_EIO, "cannot lock claim file %s: %s", path,
                        strerror(errno));
      close(fd);
      goto fail;
    }
    if (still_named(fd, path)) {
      write_holder(fd);
      c->fd = fd;
      c->path = path;
      return EF_OK;
    }
    close(fd); /* its holder removed it as we locked it: start over */
  }
  rc = ef_error_set(EF_EIO, "claim file %s keeps being replaced", path);
fail:
  free(path);
  return rc;
}

void claim_release(claim *c) {
  if (c->fd >= 0) {
    unlink(c->path);
    close(c->fd);
  }
  free(c->path);
  c->fd = -1;
  c->path = NULL;
}

int claim_remove_if_free(const char *path) {
  int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return 0;
  int removed = 0;
  /* Emptied first, so that a run taking the claim meanwhile sees a
   * transient lock and tries again (read_holder). */
  if (lock_fd(fd) == 0 && still_named(fd, path) && ftruncate(fd, 0) == 0)
    removed = unlink(path) == 0;
  close(fd);
  return removed;
}
