/*
 * write.c - output paths, the per-video write through the format list
 * (store_format.h), and the atomic file write
 * that every output (features and config.yaml) goes through: fs.c's steps,
 * worded as ef_ errors naming the file.
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
#include "output/write.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "output/store_format.h"
#include "output/write_internal.h"
#include "util/error.h"
#include "util/fs.h"

/* ---- Paths -------------------------------------------------------------- */

char *write_output_path(const char *dir, const char *uid, ef_out_format fmt) {
  const store_format *f = store_format_of(fmt);
  if (!uid || !f || !f->ext) {
    ef_error_set(EF_EINVAL, "write_output_path: no uid or no per-video format");
    return NULL;
  }
  const char *ext = f->ext;
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

int write_output(const char *path, ef_out_format fmt, const store_output *o) {
  if (!path || !*path)
    return ef_error_set(EF_EINVAL, "write_features: no output path");
  const store_format *f = store_format_of(fmt);
  if (!f || !f->encode)
    return ef_error_set(EF_EINVAL, "%s: unknown output format %d", path,
                        (int)fmt);
  void *bytes = NULL;
  size_t len = 0;
  int rc = f->encode(path, o, &bytes, &len);
  if (rc != EF_OK)
    return rc;
  rc = write_file_atomic(path, bytes, len);
  free(bytes);
  return rc;
}

int write_features(const char *path, ef_out_format fmt, const float *data,
                   const int64_t *shape, int ndim) {
  store_output o = {.data = data, .shape = shape, .ndim = ndim};
  return write_output(path, fmt, &o);
}

int write_output_complete(const char *path, ef_out_format fmt) {
  const store_format *f = store_format_of(fmt);
  if (!path || !*path || !f || !f->complete)
    return 0;
  return f->complete(path);
}

/* ---- File-system steps, worded ------------------------------------------ */

/* The message of a failed fs_write_atomic/fs_commit (rc a negative errno). */
static int fs_failure(const char *path, int rc, fs_step step) {
  if (rc == -ENOMEM)
    return ef_error_set(EF_ENOMEM, "%s: out of memory", path);
  if (step == FS_STEP_CREATE)
    return ef_error_set(EF_EIO, "cannot write %s: %s", path, strerror(-rc));
  /* The file is in place and complete; only its durability is unknown,
   * but the caller asked for a durable write, so say so. */
  if (step == FS_STEP_SYNC_DIR)
    return ef_error_set(EF_EIO, "cannot sync the folder of %s: %s", path,
                        strerror(-rc));
  return ef_error_set(EF_EIO, "cannot write %s (%s): %s", path,
                      fs_step_name(step), strerror(-rc));
}

int write_file_atomic(const char *path, const void *data, size_t len) {
  if (!path || !*path)
    return ef_error_set(EF_EINVAL, "write_file_atomic: no path");
  if (!data && len > 0)
    return ef_error_set(EF_EINVAL, "%s: no data to write", path);
  const char *slash = strrchr(path, '/');
  if (slash && !slash[1])
    return ef_error_set(EF_EINVAL, "%s: the path names a folder, not a file",
                        path);
  fs_step step;
  /* 0666 and not mkstemp's 0600: outputs are shared data sets, and the
   * umask still applies. */
  int rc = fs_write_atomic(path, data, len, 0666, &step);
  return rc ? fs_failure(path, rc, step) : EF_OK;
}

char *write_dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  char *d = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path))
                  : strdup(".");
  if (!d)
    ef_error_set(EF_ENOMEM, "out of memory");
  return d;
}

int write_refuse_symlink(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) {
    if (errno == ENOENT)
      return EF_OK;
    return ef_error_set(EF_EIO, "cannot check %s: %s", path, strerror(errno));
  }
  if (S_ISLNK(st.st_mode))
    return ef_error_set(EF_EIO,
                        "%s is a symbolic link; refusing to write or delete "
                        "through it (remove it, or make it a real folder)",
                        path);
  return EF_OK;
}

int write_mkdirs(const char *dir) {
  if (!dir || !*dir)
    return ef_error_set(EF_EINVAL, "write_mkdirs: empty folder name");
  size_t bad = 0;
  int rc = fs_mkdirs(dir, &bad);
  if (rc == 0)
    return EF_OK;
  if (rc == -ENOMEM)
    return ef_error_set(EF_ENOMEM, "%s: out of memory", dir);
  if (rc == -ENOTDIR)
    return ef_error_set(EF_EIO,
                        "cannot create folder %s: %.*s exists and is "
                        "not a folder",
                        dir, (int)bad, dir);
  return ef_error_set(EF_EIO, "cannot create folder %s: %s", dir,
                      strerror(-rc));
}

char *write_temp_path(const char *path) {
  char *tmp = fs_temp_path(path);
  if (!tmp)
    ef_error_set(EF_ENOMEM, "%s: out of memory", path);
  return tmp;
}

int write_commit(const char *tmp, const char *path) {
  fs_step step;
  int rc = fs_commit(tmp, path, &step);
  return rc ? fs_failure(path, rc, step) : EF_OK;
}
