/*
 * fs.c - whole-file reads, atomic writes, folder paths (see fs.h).
 */
#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/tempname.h"

static int neg_errno(void) {
  return -(errno ? errno : EIO);
}

/* ---- Reading ------------------------------------------------------------ */

int fs_open_regular(const char *path) {
  /* O_NONBLOCK and fstat: a FIFO or a device named like a config, a
   * manifest, a plan or a feature file would block the read or never
   * end; refused before any read. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return neg_errno();
  struct stat sb;
  int bad = fstat(fd, &sb) != 0    ? neg_errno()
            : S_ISDIR(sb.st_mode)  ? -EISDIR
            : !S_ISREG(sb.st_mode) ? -ENOTSUP
                                   : 0;
  if (bad) {
    close(fd);
    errno = -bad;
    return bad;
  }
  return fd;
}

int fs_read_all(const char *path, size_t max, char **text, size_t *len) {
  *text = NULL;
  if (len)
    *len = 0;
  int fd = fs_open_regular(path);
  if (fd < 0)
    return fd;
  FILE *f = fdopen(fd, "rb");
  if (!f) {
    int rc = neg_errno();
    close(fd);
    return rc;
  }
  char *buf = NULL;
  size_t n = 0, cap = 0;
  int rc = 0;
  for (;;) {
    if (n + 4096 + 1 > cap) {
      size_t grown_cap = cap ? 2 * cap : 8192;
      char *grown = realloc(buf, grown_cap);
      if (!grown) {
        rc = -ENOMEM;
        break;
      }
      buf = grown;
      cap = grown_cap;
    }
    size_t got = fread(buf + n, 1, cap - n - 1, f);
    n += got;
    if (n > max) {
      rc = -EFBIG;
      break;
    }
    if (got == 0) {
      if (ferror(f))
        rc = -EIO;
      break;
    }
  }
  fclose(f);
  if (rc != 0) {
    free(buf);
    return rc;
  }
  buf[n] = '\0';
  *text = buf;
  if (len)
    *len = n;
  return 0;
}

/* ---- Writing ------------------------------------------------------------ */

const char *fs_step_name(fs_step step) {
  switch (step) {
  case FS_STEP_NONE: return "none";
  case FS_STEP_CREATE: return "create";
  case FS_STEP_WRITE: return "write";
  case FS_STEP_FSYNC: return "fsync";
  case FS_STEP_CLOSE: return "close";
  case FS_STEP_OPEN: return "open";
  case FS_STEP_RENAME: return "rename";
  case FS_STEP_SYNC_DIR: return "sync folder";
  }
  return "?";
}

/* A temp-name suffix that differs between threads, processes and calls
 * without needing a seeded RNG: splitmix64 over a counter, the clock, the
 * pid and a stack address. */
static uint64_t temp_suffix(void) {
  static atomic_uint_fast64_t counter;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t x = atomic_fetch_add(&counter, 1);
  x ^= (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15u;
  x ^= (uint64_t)ts.tv_sec << 20;
  x ^= (uint64_t)(uintptr_t)&ts;
  x ^= (uint64_t)getpid() << 40;
  x += 0x9E3779B97F4A7C15u;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9u;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBu;
  return x ^ (x >> 31);
}

static int write_all(int fd, const uint8_t *p, size_t len) {
  while (len > 0) {
    /* Some kernels cap a single write near 2 GiB. */
    size_t chunk = len > ((size_t)1 << 30) ? ((size_t)1 << 30) : len;
    ssize_t w = write(fd, p, chunk);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

/* The folder part of path (malloc'd): "." for a bare name, "/" for a
 * file at the root. */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    return strdup(".");
  if (slash == path)
    return strdup("/");
  return strndup(path, (size_t)(slash - path));
}

/* Makes the rename durable. Filesystems that cannot sync a folder report
 * EINVAL (or similar); that is no failure of ours. */
static int sync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return errno == EACCES ? 0 : neg_errno();
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  if (rc != 0 && (err == EINVAL || err == ENOTSUP || err == EBADF))
    return 0;
  return rc == 0 ? 0 : -err;
}

/* A fresh temporary name beside path in dir (malloc'd), NULL when out of
 * memory or when the name does not fit. */
static char *temp_name(const char *dir, const char *name) {
  /* Its length stays under NAME_MAX even for long uids (tempname.h). */
  char host[TEMPNAME_HOST_MAX + 1];
  tempname_host(host, sizeof host);
  size_t n = strlen(dir) + 256;
  char *tmp = malloc(n);
  if (tmp && tempname_make(tmp, n, dir, name, host, (long)getpid(),
                           temp_suffix()) != 0) {
    free(tmp);
    errno = ENAMETOOLONG;
    return NULL;
  }
  if (!tmp)
    errno = ENOMEM;
  return tmp;
}

static void set_step(fs_step *out, fs_step step) {
  if (out)
    *out = step;
}

int fs_write_atomic(const char *path, const void *data, size_t len,
                    unsigned mode, fs_step *step) {
  set_step(step, FS_STEP_CREATE);
  const char *slash = strrchr(path, '/');
  const char *name = slash ? slash + 1 : path;
  if (!*name)
    return -EISDIR;
  char *dir = dir_of(path);
  if (!dir)
    return -ENOMEM;

  int fd = -1;
  char *tmp = NULL;
  for (int attempt = 0; attempt < 16 && fd < 0; attempt++) {
    free(tmp);
    if (!(tmp = temp_name(dir, name)))
      break;
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);
    if (fd < 0 && errno != EEXIST)
      break;
  }
  if (fd < 0) {
    int rc = neg_errno();
    free(tmp);
    free(dir);
    return rc;
  }

  /* Each failing step keeps its errno; the temp file goes away on every
   * failure before the rename. */
  fs_step failed = FS_STEP_NONE;
  int err = 0;
  if (write_all(fd, data, len) != 0)
    failed = FS_STEP_WRITE;
  else if (fsync(fd) != 0)
    failed = FS_STEP_FSYNC;
  err = errno;
  if (close(fd) != 0 && !failed) {
    failed = FS_STEP_CLOSE;
    err = errno;
  }
  if (!failed && rename(tmp, path) != 0) {
    failed = FS_STEP_RENAME;
    err = errno;
  }
  int rc = 0;
  if (failed) {
    unlink(tmp);
    rc = -(err ? err : EIO);
  } else if ((rc = sync_dir(dir)) != 0) {
    failed = FS_STEP_SYNC_DIR;
  }
  set_step(step, failed);
  free(tmp);
  free(dir);
  return rc;
}

char *fs_temp_path(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = dir_of(path);
  char *tmp = dir ? temp_name(dir, slash ? slash + 1 : path) : NULL;
  free(dir);
  return tmp;
}

int fs_commit(const char *tmp, const char *path, fs_step *step) {
  fs_step failed = FS_STEP_NONE;
  int err = 0;
  int fd = open(tmp, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    failed = FS_STEP_OPEN;
  else if (fsync(fd) != 0)
    failed = FS_STEP_FSYNC;
  err = errno;
  if (fd >= 0)
    close(fd);
  if (!failed && rename(tmp, path) != 0) {
    failed = FS_STEP_RENAME;
    err = errno;
  }
  if (failed) {
    unlink(tmp);
    set_step(step, failed);
    return -(err ? err : EIO);
  }
  char *dir = dir_of(path);
  int rc = dir ? sync_dir(dir) : -ENOMEM;
  free(dir);
  set_step(step, rc ? FS_STEP_SYNC_DIR : FS_STEP_NONE);
  return rc;
}

/* ---- Folders ------------------------------------------------------------ */

/* One component: 0 if p now is a folder, else a negative errno. */
static int make_one_dir(const char *p) {
  if (mkdir(p, 0777) == 0)
    return 0;
  int err = errno;
  struct stat st;
  /* EEXIST is the common case, but an existing folder on a read-only or
   * automounted filesystem may report EROFS/EACCES instead. */
  if (stat(p, &st) == 0)
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
  return -(err ? err : EIO);
}

int fs_mkdirs(const char *dir, size_t *bad_len) {
  if (bad_len)
    *bad_len = 0;
  char *p = strdup(dir);
  if (!p)
    return -ENOMEM;
  int rc = 0;
  size_t at = 0;
  /* Create each ancestor in turn; skip the leading '/' and empty
   * components from "a//b". */
  for (char *s = p + 1; *s && rc == 0; s++) {
    if (*s != '/' || s[-1] == '/')
      continue;
    *s = '\0';
    rc = make_one_dir(p);
    at = (size_t)(s - p);
    *s = '/';
  }
  if (rc == 0) {
    rc = make_one_dir(p);
    at = strlen(p);
  }
  if (rc != 0 && bad_len)
    *bad_len = at;
  free(p);
  return rc;
}
