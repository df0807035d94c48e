/*
 * write.c - output paths, the format dispatch, and the atomic file write
 * that every output (features and config.yaml) goes through.
 *
 * The reference wrote features in place, so a crash left a truncated file
 * that a later run with io.filter_completed took as done. Here a file only
 * ever appears under its final name complete and synced: bytes go to a
 * temporary file in the same folder (rename is only atomic within one
 * filesystem), which is fsync'd and renamed over the final name, and the
 * folder is fsync'd so the rename itself survives a power loss.
 * write_output_complete() is the matching check for files that did not
 * come from us (older runs, the Python reference, a copy that broke).
 */
#include "write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "tempname.h"
#include "write_internal.h"

/* ---- Shapes and paths --------------------------------------------------- */

int write_check_tensor(const char *what, const float *data,
                       const int64_t *shape, int ndim, int64_t *numel) {
  if (!shape || ndim < 1 || ndim > WRITE_MAX_DIMS)
    return ef_error_set(EF_EINVAL,
                        "%s: a feature tensor needs 1 to %d dimensions "
                        "(got %d)",
                        what, WRITE_MAX_DIMS, ndim);
  /* Every video yields at least one window, so zero rows means a bug
   * upstream; refusing here keeps an empty file from counting as done. */
  if (shape[0] < 1)
    return ef_error_set(EF_EINVAL,
                        "%s: a feature tensor needs at least one row "
                        "(shape[0] = %lld)",
                        what, (long long)shape[0]);
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0)
      return ef_error_set(EF_EINVAL, "%s: negative size %lld in dimension %d",
                          what, (long long)shape[i], i);
    if (shape[i] != 0 && n > INT64_MAX / 4 / shape[i])
      return ef_error_set(EF_EINVAL, "%s: tensor shape is too large", what);
    n *= shape[i];
  }
  if ((uint64_t)n > SIZE_MAX / 4)
    return ef_error_set(EF_EINVAL, "%s: tensor shape is too large", what);
  if (!data && n > 0)
    return ef_error_set(EF_EINVAL, "%s: no feature data", what);
  *numel = n;
  return EF_OK;
}

char *write_output_path(const char *dir, const char *uid, ef_out_format fmt) {
  const char *ext = fmt == EF_FORMAT_NPY ? ".npy" : ".pt";
  if (!uid) {
    ef_error_set(EF_EINVAL, "write_output_path: no uid");
    return NULL;
  }
  size_t dlen = dir ? strlen(dir) : 0;
  /* "out/" and "out" give the same path; "/" stays the root. */
  while (dlen > 1 && dir[dlen - 1] == '/')
    dlen--;
  size_t n = dlen + 1 + strlen(uid) + strlen(ext) + 1;
  char *p = malloc(n);
  if (!p) {
    ef_error_set(EF_ENOMEM, "out of memory building the output path of %s",
                 uid);
    return NULL;
  }
  if (dlen == 0)
    snprintf(p, n, "%s%s", uid, ext);
  else if (dlen == 1 && dir[0] == '/')
    snprintf(p, n, "/%s%s", uid, ext);
  else
    snprintf(p, n, "%.*s/%s%s", (int)dlen, dir, uid, ext);
  return p;
}

int write_features(const char *path, ef_out_format fmt, const float *data,
                   const int64_t *shape, int ndim) {
  if (!path || !*path)
    return ef_error_set(EF_EINVAL, "write_features: no output path");
  void *bytes = NULL;
  size_t len = 0;
  int rc;
  switch (fmt) {
  case EF_FORMAT_PT:
    rc = write_pt_encode(path, data, shape, ndim, &bytes, &len);
    break;
  case EF_FORMAT_NPY:
    rc = write_npy_encode(path, data, shape, ndim, &bytes, &len);
    break;
  default:
    return ef_error_set(EF_EINVAL, "%s: unknown output format %d", path,
                        (int)fmt);
  }
  if (rc != EF_OK)
    return rc;
  rc = write_file_atomic(path, bytes, len);
  free(bytes);
  return rc;
}

int write_output_complete(const char *path, ef_out_format fmt) {
  if (!path || !*path)
    return 0;
  switch (fmt) {
  case EF_FORMAT_PT: return write_pt_complete(path);
  case EF_FORMAT_NPY: return write_npy_complete(path);
  default: return 0;
  }
}

/* ---- Atomic write ------------------------------------------------------- */

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

/* Makes the rename durable. Filesystems that cannot sync a folder report
 * EINVAL (or similar); that is no failure of ours. */
static int sync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return errno == EACCES ? 0 : -1;
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  if (rc != 0 && (err == EINVAL || err == ENOTSUP || err == EBADF))
    rc = 0;
  errno = err;
  return rc;
}

int write_file_atomic(const char *path, const void *data, size_t len) {
  if (!path || !*path)
    return ef_error_set(EF_EINVAL, "write_file_atomic: no path");
  if (!data && len > 0)
    return ef_error_set(EF_EINVAL, "%s: no data to write", path);

  const char *slash = strrchr(path, '/');
  const char *name = slash ? slash + 1 : path;
  if (!*name)
    return ef_error_set(EF_EINVAL, "%s: the path names a folder, not a file",
                        path);
  char *dir;
  if (!slash)
    dir = strdup(".");
  else if (slash == path)
    dir = strdup("/");
  else
    dir = strndup(path, (size_t)(slash - path));
  if (!dir)
    return ef_error_set(EF_ENOMEM, "%s: out of memory", path);

  /* The temp name carries host and pid so that a later run can tell a
   * dead writer's leftover from a live one's file (out_sweep.c); its
   * length stays under NAME_MAX even for long uids. */
  char host[TEMPNAME_HOST_MAX + 1];
  tempname_host(host, sizeof host);
  size_t tlen = strlen(dir) + 256;
  char *tmp = malloc(tlen);
  if (!tmp) {
    free(dir);
    return ef_error_set(EF_ENOMEM, "%s: out of memory", path);
  }

  int fd = -1;
  errno = ENAMETOOLONG;
  for (int attempt = 0; attempt < 16; attempt++) {
    if (tempname_make(tmp, tlen, dir, name, host, (long)getpid(),
                      temp_suffix()) != 0)
      break;
    /* 0666 and not mkstemp's 0600: outputs are shared data sets, and the
     * umask still applies. */
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST)
      break;
  }
  if (fd < 0) {
    int rc = ef_error_set(EF_EIO, "cannot write %s: %s", path, strerror(errno));
    free(tmp);
    free(dir);
    return rc;
  }

  /* Each failing step records its name and errno; the temp file goes
   * away on every failure path. */
  const char *step = NULL;
  int err = 0;
  if (write_all(fd, data, len) != 0)
    step = "write";
  else if (fsync(fd) != 0)
    step = "fsync";
  err = errno;
  if (close(fd) != 0 && !step) {
    step = "close";
    err = errno;
  }
  if (!step && rename(tmp, path) != 0) {
    step = "rename";
    err = errno;
  }
  int rc = EF_OK;
  if (step) {
    unlink(tmp);
    rc = ef_error_set(EF_EIO, "cannot write %s (%s): %s", path, step,
                      strerror(err));
  } else if (sync_dir(dir) != 0) {
    /* The file is in place and complete; only its durability is unknown,
     * but the caller asked for a durable write, so say so. */
    rc = ef_error_set(EF_EIO, "cannot sync the folder of %s: %s", path,
                      strerror(errno));
  }
  free(tmp);
  free(dir);
  return rc;
}

/* ---- Folders ------------------------------------------------------------ */

static int make_one_dir(const char *full, const char *p) {
  if (mkdir(p, 0777) == 0)
    return EF_OK;
  int err = errno;
  struct stat st;
  /* EEXIST is the common case, but an existing folder on a read-only or
   * automounted filesystem may report EROFS/EACCES instead. */
  if (stat(p, &st) == 0) {
    if (S_ISDIR(st.st_mode))
      return EF_OK;
    return ef_error_set(EF_EIO,
                        "cannot create folder %s: %s exists and is "
                        "not a folder",
                        full, p);
  }
  return ef_error_set(EF_EIO, "cannot create folder %s: %s", full,
                      strerror(err));
}

int write_mkdirs(const char *dir) {
  if (!dir || !*dir)
    return ef_error_set(EF_EINVAL, "write_mkdirs: empty folder name");
  char *p = strdup(dir);
  if (!p)
    return ef_error_set(EF_ENOMEM, "%s: out of memory", dir);
  int rc = EF_OK;
  /* Create each ancestor in turn; skip the leading '/' and empty
   * components from "a//b". */
  for (char *s = p + 1; *s && rc == EF_OK; s++) {
    if (*s != '/' || s[-1] == '/')
      continue;
    *s = '\0';
    rc = make_one_dir(dir, p);
    *s = '/';
  }
  if (rc == EF_OK)
    rc = make_one_dir(dir, p);
  free(p);
  return rc;
}

/* ---- Files written by others (libhdf5) ---------------------------------- */

char *write_temp_path(const char *path) {
  const char *slash = strrchr(path, '/');
  const char *name = slash ? slash + 1 : path;
  size_t dlen = slash ? (size_t)(slash - path) : 1;
  char *dir = slash ? strndup(path, dlen ? dlen : 1) : strdup(".");
  char host[TEMPNAME_HOST_MAX + 1];
  tempname_host(host, sizeof host);
  size_t n = (dir ? strlen(dir) : 0) + 256;
  char *tmp = dir ? malloc(n) : NULL;
  if (!tmp || tempname_make(tmp, n, dir, name, host, (long)getpid(),
                            temp_suffix()) != 0) {
    free(tmp);
    tmp = NULL;
    ef_error_set(EF_ENOMEM, "%s: out of memory", path);
  }
  free(dir);
  return tmp;
}

int write_commit(const char *tmp, const char *path) {
  const char *step = NULL;
  int err = 0;
  int fd = open(tmp, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    step = "open";
  else if (fsync(fd) != 0)
    step = "fsync";
  err = errno;
  if (fd >= 0)
    close(fd);
  if (!step && rename(tmp, path) != 0) {
    step = "rename";
    err = errno;
  }
  if (step) {
    unlink(tmp);
    return ef_error_set(EF_EIO, "cannot write %s (%s): %s", path, step,
                        strerror(err));
  }
  const char *slash = strrchr(path, '/');
  char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path))
                    : strdup(".");
  int rc = EF_OK;
  if (!dir)
    rc = ef_error_set(EF_ENOMEM, "%s: out of memory", path);
  else if (sync_dir(dir) != 0)
    rc = ef_error_set(EF_EIO, "cannot sync the folder of %s: %s", path,
                      strerror(errno));
  free(dir);
  return rc;
}
