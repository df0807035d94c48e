/*
 * h5file.c - writes the one-file HDF5 output and merges into it
 * atomically (see h5file.h for the layout and why a merge rewrites the
 * file). A file of the first layout (h5attr.h) is converted by the merge.
 */
#include "output/h5file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "output/fingerprint.h"
#include "output/h5attr.h"
#include "output/provenance.h"
#include "output/store_format.h"
#include "output/write.h"
#include "output/write_internal.h"
#include "output/write_times.h"
#include "util/error.h"
#include "util/fs.h"

/* A chunk of about this many bytes: whole rows, so that a reader of a
 * few windows decompresses little, and few chunks for small outputs. */
#define CHUNK_BYTES ((hsize_t)1 << 20)

/* The creation properties of a dataset of dims: chunked (rows of about
 * CHUNK_BYTES), gzip at level `gzip` when it is 1-9. A dataset with an
 * empty dimension cannot be chunked and stays contiguous. */
static hid_t dataset_props(int ndim, const hsize_t *dims, size_t elsize,
                           int gzip) {
  hid_t p = H5Pcreate(H5P_DATASET_CREATE);
  if (p < 0)
    return -1;
  hsize_t chunk[WRITE_MAX_DIMS], row = elsize;
  for (int k = 0; k < ndim; k++) {
    if (dims[k] == 0)
      return p;
    if (k > 0) {
      chunk[k] = dims[k];
      row *= dims[k];
    }
  }
  hsize_t rows = CHUNK_BYTES / (row ? row : 1);
  chunk[0] = rows < 1 ? 1 : rows > dims[0] ? dims[0] : rows;
  if (H5Pset_chunk(p, ndim, chunk) < 0 ||
      (gzip >= 1 && gzip <= 9 && H5Pset_deflate(p, (unsigned)gzip) < 0)) {
    H5Pclose(p);
    return -1;
  }
  return p;
}

/* Dataset `name` of g (UTF-8 names: uids are file names), written whole;
 * *out (may be NULL) keeps it open for attributes. 0 or -1. */
static int put_dataset(hid_t g, const char *name, hid_t type, int ndim,
                       const hsize_t *dims, const void *data, int gzip,
                       hid_t *out) {
  hid_t sp = H5Screate_simple(ndim, dims, NULL), ds = -1;
  hid_t dcpl = dataset_props(ndim, dims, H5Tget_size(type), gzip);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  int ok = sp >= 0 && dcpl >= 0 && lcpl >= 0 &&
           H5Pset_char_encoding(lcpl, H5T_CSET_UTF8) >= 0 &&
           (ds = H5Dcreate2(g, name, type, sp, lcpl, dcpl, H5P_DEFAULT)) >= 0 &&
           H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
  if (ok && out)
    *out = ds;
  else if (ds >= 0 && H5Dclose(ds) < 0)
    ok = 0;
  if (lcpl >= 0)
    H5Pclose(lcpl);
  if (dcpl >= 0)
    H5Pclose(dcpl);
  if (sp >= 0)
    H5Sclose(sp);
  return ok ? 0 : -1;
}

/* Window times as the [N, 2] rows of /_window_times/<uid>. */
static int put_times(hid_t times, const char *uid, const double *starts,
                     const double *ends, int64_t rows) {
  double *pairs = malloc((size_t)(rows ? rows : 1) * 2 * sizeof *pairs);
  if (!pairs)
    return -1;
  for (int64_t i = 0; i < rows; i++) {
    pairs[2 * i] = starts[i];
    pairs[2 * i + 1] = ends[i];
  }
  hsize_t dims[2] = {(hsize_t)rows, 2};
  int r = put_dataset(times, uid, H5T_IEEE_F64LE, 2, dims, pairs, 0, NULL);
  free(pairs);
  return r;
}

/* Reads a whole small text file (a config), or NULL. */
static char *slurp_text(const char *path) {
  char *text = NULL;
  return fs_read_all(path, (size_t)1 << 24, &text, NULL) == 0 ? text : NULL;
}

/* The config file of the run that wrote a part: config.yaml when its
 * first line holds the run's fingerprint, else config-<16 hex>.yaml. */
static char *part_config(const char *dir, const char *desc) {
  char *run = strdup(desc);
  if (!run)
    return NULL;
  char *st = strstr(run, "stereo: ");
  if (st && (st == run || st[-1] == '\n'))
    *st = '\0';
  char hex[FINGERPRINT_HEX_LEN + 1];
  fingerprint_sha256(run, strlen(run), hex);
  free(run);
  size_t n = strlen(dir) + 64;
  char *path = malloc(n);
  if (!path)
    return NULL;
  char want[128];
  snprintf(want, sizeof want, PROVENANCE_RUN_FP_PREFIX "%s\n", hex);
  snprintf(path, n, "%s/config.yaml", dir);
  char *text = slurp_text(path);
  if (!text || strncmp(text, want, strlen(want)) != 0) {
    free(text);
    snprintf(path, n, "%s/config-%.16s.yaml", dir, hex);
    text = slurp_text(path);
    if (text && strncmp(text, want, strlen(want)) != 0) {
      free(text);
      text = NULL;
    }
  }
  free(path);
  return text;
}

/* A part without times or fingerprint files (parts.h, bare): its data
 * (freed here) as /<uid> with fingerprint and provenance "unknown", the
 * attribute window_times saying where its times came from, and
 * /_window_times/<uid> only when the merge computed them. Computed times
 * of another row count than the tensor's are refused: never guessed. */
static int add_bare_part(hid_t f, hid_t times, const out_part *p, float *data,
                         const int64_t *shape, int ndim, int gzip) {
  int rc = EF_OK;
  hid_t ds = -1;
  if (p->starts && p->n_times != shape[0]) {
    rc = ef_error_set(EF_EINVAL,
                      "%s has %lld rows but %s gives %lld windows; refused "
                      "(is it the config that wrote it?)",
                      p->features, (long long)shape[0],
                      p->times_note ? p->times_note : "the config",
                      (long long)p->n_times);
    goto cleanup;
  }
  hsize_t dims[WRITE_MAX_DIMS];
  for (int k = 0; k < ndim; k++)
    dims[k] = (hsize_t)shape[k];
  if (put_dataset(f, p->uid, H5T_IEEE_F32LE, ndim, dims, data, gzip, &ds) !=
          0 ||
      h5attr_put_str(ds, "fingerprint", "unknown") != 0 ||
      h5attr_put_str(ds, "provenance", "unknown") != 0 ||
      h5attr_put_str(ds, "window_times",
                     p->starts ? (p->times_note ? p->times_note : "computed")
                               : "none") != 0 ||
      (p->starts &&
       put_times(times, p->uid, p->starts, p->ends, p->n_times) != 0))
    rc = ef_error_set(EF_EIO, "cannot add %s to the HDF5 file: %s", p->features,
                      h5attr_error_text());
cleanup:
  if (ds >= 0 && H5Dclose(ds) < 0 && rc == EF_OK)
    rc = ef_error_set(EF_EIO, "cannot add %s to the HDF5 file: %s", p->features,
                      h5attr_error_text());
  free(data);
  return rc;
}

/* Writes one part as /<uid> and /_window_times/<uid> of f. */
static int add_part(hid_t f, hid_t times, const out_part *p,
                    const char *config_dir, int gzip) {
  float *data = NULL;
  double *starts = NULL, *ends = NULL;
  char *desc = NULL, *config = NULL;
  int64_t shape[WRITE_MAX_DIMS], rows = 0;
  int ndim = 0;
  hid_t ds = -1;
  if (strcmp(p->uid, H5_TIMES) == 0)
    return ef_error_set(EF_EINVAL,
                        "%s: uid \"%s\" is the name of the HDF5 file's "
                        "window-times group; rename the video",
                        p->features, p->uid);
  int rc = store_format_of(p->fmt)->read(p->features, &data, shape, &ndim);
  if (rc == EF_OK && p->bare)
    return add_bare_part(f, times, p, data, shape, ndim, gzip);
  if (rc == EF_OK)
    rc = write_times_read(p->times, &starts, &ends, &rows);
  if (rc == EF_OK)
    rc = provenance_read(p->fp, &desc);
  if (rc != EF_OK)
    goto cleanup;
  if (rows != shape[0]) {
    rc = ef_error_set(
        EF_EINVAL, "%s has %lld windows but its times file %s has %lld",
        p->features, (long long)shape[0], p->times, (long long)rows);
    goto cleanup;
  }
  char hex[FINGERPRINT_HEX_LEN + 1];
  fingerprint_sha256(desc, strlen(desc), hex);
  config = part_config(config_dir, desc);
  hsize_t dims[WRITE_MAX_DIMS];
  for (int k = 0; k < ndim; k++)
    dims[k] = (hsize_t)shape[k];
  if (put_dataset(f, p->uid, H5T_IEEE_F32LE, ndim, dims, data, gzip, &ds) !=
          0 ||
      h5attr_put_str(ds, "fingerprint", hex) != 0 ||
      h5attr_put_str(ds, "provenance", desc) != 0 ||
      (config && h5attr_put_str(ds, "config", config) != 0) ||
      put_times(times, p->uid, starts, ends, rows) != 0)
    rc = ef_error_set(EF_EIO, "cannot add %s to the HDF5 file: %s", p->features,
                      h5attr_error_text());
cleanup:
  if (ds >= 0 && H5Dclose(ds) < 0 && rc == EF_OK)
    rc = ef_error_set(EF_EIO, "cannot add %s to the HDF5 file: %s", p->features,
                      h5attr_error_text());
  free(config);
  free(desc);
  free(starts);
  free(ends);
  free(data);
  return rc;
}

/* ---- Copying what the merge keeps --------------------------------------- */

typedef struct {
  hid_t dst, dst_times;
  hid_t src_times; /* layout 2: the source's times group */
  int layout;      /* the source's */
  const out_part *parts;
  size_t n;
  int failed;
  const char *name; /* of the uid that failed */
} copy_ctx;

static int is_replaced(const copy_ctx *c, const char *uid) {
  size_t lo = 0, hi = c->n; /* parts are sorted by uid */
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int d = strcmp(c->parts[mid].uid, uid);
    if (d == 0)
      return 1;
    if (d < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return 0;
}

/* Reads a float64 [rows] dataset of g (caller frees), or NULL. */
static double *read_column(hid_t g, const char *name, hsize_t *rows) {
  hid_t ds = H5Dopen2(g, name, H5P_DEFAULT);
  hid_t sp = ds >= 0 ? H5Dget_space(ds) : -1;
  double *v = NULL;
  hsize_t n = 0;
  if (sp >= 0 && H5Sget_simple_extent_ndims(sp) == 1 &&
      H5Sget_simple_extent_dims(sp, &n, NULL) == 1 &&
      (v = malloc((size_t)(n ? n : 1) * sizeof *v)) &&
      H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) {
    free(v);
    v = NULL;
  }
  if (sp >= 0)
    H5Sclose(sp);
  if (ds >= 0)
    H5Dclose(ds);
  *rows = n;
  return v;
}

/* A uid of the first layout: group /<uid> {features, window_start,
 * window_end} with the attributes on the group, into this layout. */
static int convert_group(const copy_ctx *c, hid_t src, const char *name,
                         hid_t lcpl) {
  hid_t g = H5Gopen2(src, name, H5P_DEFAULT), ds = -1;
  hsize_t n1 = 0, n2 = 0;
  double *starts = g >= 0 ? read_column(g, "window_start", &n1) : NULL;
  double *ends = g >= 0 ? read_column(g, "window_end", &n2) : NULL;
  int ok = g >= 0 && starts && ends && n1 == n2 &&
           H5Ocopy(g, "features", c->dst, name, H5P_DEFAULT, lcpl) >= 0 &&
           (ds = H5Oopen(c->dst, name, H5P_DEFAULT)) >= 0 &&
           put_times(c->dst_times, name, starts, ends, (int64_t)n1) == 0;
  static const char *const attrs[] = {"fingerprint", "provenance", "config"};
  for (size_t k = 0; ok && k < sizeof attrs / sizeof *attrs; k++) {
    char *v = h5attr_get_str(g, attrs[k]);
    ok = !v || h5attr_put_str(ds, attrs[k], v) == 0;
    free(v);
  }
  if (ds >= 0 && H5Oclose(ds) < 0)
    ok = 0;
  if (g >= 0)
    H5Gclose(g);
  free(starts);
  free(ends);
  return ok ? 0 : -1;
}

/* The caller's cancel flag (h5file_merge_watch_cancel), asked per uid:
 * the first signal stops the merge too. */
static _Thread_local const volatile int *merge_cancel;

void h5file_merge_watch_cancel(const volatile int *flag) {
  merge_cancel = flag;
}

static int merge_cancelled(void) {
  return merge_cancel && *merge_cancel;
}

static herr_t copy_one(hid_t src, const char *name, const H5L_info_t *info,
                       void *arg) {
  (void)info;
  copy_ctx *c = arg;
  if (merge_cancelled()) {
    c->failed = 2;
    return 1;
  }
  if ((c->layout == 2 && strcmp(name, H5_TIMES) == 0) || is_replaced(c, name))
    return 0;
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  int ok = lcpl >= 0 && H5Pset_char_encoding(lcpl, H5T_CSET_UTF8) >= 0;
  if (ok && c->layout == 1)
    ok = strcmp(name, H5_TIMES) != 0 && convert_group(c, src, name, lcpl) == 0;
  else if (ok)
    ok = H5Ocopy(src, name, c->dst, name, H5P_DEFAULT, lcpl) >= 0 &&
         (H5Lexists(c->src_times, name, H5P_DEFAULT) <= 0 ||
          H5Ocopy(c->src_times, name, c->dst_times, name, H5P_DEFAULT, lcpl) >=
              0);
  if (!ok) {
    c->failed = 1;
    c->name = name;
  }
  if (lcpl >= 0)
    H5Pclose(lcpl);
  return c->failed ? 1 : 0;
}

/* Copies every uid of src that no part replaces into dst. */
static int copy_kept(hid_t src, int layout, hid_t dst, hid_t dst_times,
                     const out_part *parts, size_t n, const char *h5_path) {
  copy_ctx c = {dst, dst_times, -1, layout, parts, n, 0, NULL};
  if (layout == 2 && H5Lexists(src, H5_TIMES, H5P_DEFAULT) > 0 &&
      (c.src_times = H5Gopen2(src, H5_TIMES, H5P_DEFAULT)) < 0)
    return ef_error_set(EF_EIO, "cannot open /" H5_TIMES " of %s: %s", h5_path,
                        h5attr_error_text());
  if (layout == 2 && c.src_times < 0)
    c.src_times = src; /* no times group: H5Lexists finds none there */
  hsize_t idx = 0;
  int rc = EF_OK;
  if (H5Literate(src, H5_INDEX_NAME, H5_ITER_INC, &idx, copy_one, &c) < 0 ||
      c.failed) {
    if (c.failed == 2)
      rc = ef_error_set(EF_ECANCELLED, "merge into %s cancelled", h5_path);
    else if (c.name && strcmp(c.name, H5_TIMES) == 0)
      rc = ef_error_set(EF_EINVAL,
                        "%s holds a uid \"" H5_TIMES "\", which the current "
                        "layout keeps for the window times: extract it again "
                        "under another name",
                        h5_path);
    else
      rc = ef_error_set(EF_EIO, "cannot copy \"%s\" of %s: %s",
                        c.name ? c.name : "?", h5_path, h5attr_error_text());
  }
  if (c.src_times >= 0 && c.src_times != src)
    H5Gclose(c.src_times);
  return rc;
}

/* ---- The merge ---------------------------------------------------------- */

static uint64_t file_size(const char *path) {
  struct stat st;
  return path && stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* libhdf5 1.10 can crash, not fail, when the disk fills while it copies
 * objects (H5Ocopy), so the space the new file needs is checked first:
 * the old file plus the parts' features and times, and a margin for
 * HDF5's own structures. */
static int check_space(const char *h5_path, const char *tmp,
                       const out_part *parts, size_t n) {
  uint64_t need = file_size(h5_path) + ((uint64_t)1 << 20);
  for (size_t i = 0; i < n; i++)
    need += file_size(parts[i].features) + file_size(parts[i].times) + 4096;
  need += need / 16;
  char *dir = write_dir_of(tmp);
  if (!dir)
    return EF_ENOMEM;
  struct statvfs vfs;
  int ok = statvfs(dir, &vfs) == 0;
  free(dir);
  if (!ok)
    return EF_OK; /* no figure: the writes themselves will say */
  uint64_t avail = (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
  if (avail >= need)
    return EF_OK;
  return ef_error_set(EF_EIO,
                      "cannot write %s: not enough free space (the new file "
                      "needs about %.1f MB, %.1f MB are free); nothing was "
                      "changed",
                      h5_path, (double)need / 1e6, (double)avail / 1e6);
}

char *h5file_lock_path(const char *h5_path) {
  const char *slash = strrchr(h5_path, '/');
  size_t dl = slash ? (size_t)(slash - h5_path) + 1 : 0;
  size_t n = strlen(h5_path) + 8;
  char *lp = malloc(n);
  if (lp)
    snprintf(lp, n, "%.*s.%s.lock", (int)dl, h5_path, h5_path + dl);
  return lp;
}

/* 1 if fd is still the file named path (a finishing run removes the lock
 * file while it holds it: a waiter that then gets the lock of the
 * removed file must start over on a new one). */
static int still_named(int fd, const char *path) {
  struct stat a, b;
  return fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

int h5file_lock(const char *h5_path) {
  char *lp = h5file_lock_path(h5_path);
  if (!lp)
    return -1;
  for (int attempt = 0; attempt < 64; attempt++) {
    /* O_NOFOLLOW: a planted symlink must not create or lock a file
     * elsewhere. */
    int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0)
      break;
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    int r;
    while ((r = fcntl(fd, F_SETLKW, &fl)) != 0 && errno == EINTR)
      ;
    /* A filesystem without locks still gets atomic renames. */
    if (r != 0 && errno != ENOLCK && errno != EOPNOTSUPP) {
      int e = errno;
      close(fd);
      errno = e;
      break;
    }
    if (r != 0 || still_named(fd, lp)) {
      free(lp);
      return fd;
    }
    close(fd);
  }
  int e = errno;
  free(lp);
  errno = e;
  return -1;
}

int h5file_lock_or_fail(const char *h5_path) {
  int fd = h5file_lock(h5_path);
  if (fd < 0 && errno == ELOOP)
    ef_error_set(EF_EIO,
                 "cannot lock %s for writing: its lock file (.<name>.lock "
                 "beside it) is a symbolic link; refusing to follow it",
                 h5_path);
  else if (fd < 0)
    ef_error_set(EF_EIO, "cannot lock %s for writing: %s", h5_path,
                 strerror(errno));
  return fd;
}

int h5file_merge(const char *h5_path, const out_part *parts, size_t n,
                 const char *config_dir, int gzip) {
  int lock = h5file_lock_or_fail(h5_path);
  if (lock < 0)
    return ef_last_error_code();
  int rc = h5file_merge_locked(h5_path, parts, n, config_dir, gzip);
  close(lock); /* releases the lock */
  return rc;
}

int h5file_merge_locked(const char *h5_path, const out_part *parts, size_t n,
                        const char *config_dir, int gzip) {
  h5attr_quiet();
  int rc = EF_OK, layout = 0;
  hid_t src = -1, dst = -1, times = -1;
  char *tmp = NULL;
  if (!(tmp = write_temp_path(h5_path))) {
    rc = ef_last_error_code();
    goto cleanup;
  }
  if (access(h5_path, F_OK) == 0) {
    src = H5Fopen(h5_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    layout = src >= 0 ? h5attr_layout(src) : 0;
    /* Someone else's HDF5 file is not ours to replace. */
    if (!layout) {
      rc = ef_error_set(EF_EINVAL,
                        "%s: not an ego4dfeat features file (no format "
                        "attribute \"" H5_FORMAT "\"); not replacing it",
                        h5_path);
      goto cleanup;
    }
  }
  if ((rc = check_space(h5_path, tmp, parts, n)) != EF_OK)
    goto cleanup;
  dst = H5Fcreate(tmp, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
  if (dst < 0 || h5attr_put_str(dst, "format", H5_FORMAT) != 0 ||
      (times = H5Gcreate2(dst, H5_TIMES, H5P_DEFAULT, H5P_DEFAULT,
                          H5P_DEFAULT)) < 0) {
    rc = ef_error_set(EF_EIO, "cannot create %s: %s", tmp, h5attr_error_text());
    goto cleanup;
  }
  if (src >= 0 &&
      (rc = copy_kept(src, layout, dst, times, parts, n, h5_path)) != EF_OK)
    goto cleanup;
  for (size_t i = 0; i < n && rc == EF_OK; i++)
    rc = merge_cancelled()
             ? ef_error_set(EF_ECANCELLED, "merge into %s cancelled", h5_path)
             : add_part(dst, times, &parts[i], config_dir, gzip);
  if (rc != EF_OK)
    goto cleanup;
  herr_t closed = H5Gclose(times);
  times = -1;
  if (closed < 0 || H5Fclose(dst) < 0) {
    dst = -1;
    rc = ef_error_set(EF_EIO, "cannot write %s: %s", tmp, h5attr_error_text());
    goto cleanup;
  }
  dst = -1;
  rc = write_commit(tmp, h5_path);
  free(tmp);
  tmp = NULL; /* renamed, or removed by write_commit */
cleanup:
  if (times >= 0)
    H5Gclose(times);
  if (dst >= 0)
    H5Fclose(dst);
  if (src >= 0)
    H5Fclose(src);
  if (tmp) {
    unlink(tmp);
    free(tmp);
  }
  return rc;
}
