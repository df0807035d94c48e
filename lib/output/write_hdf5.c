/*
 * write_hdf5.c - the one-file HDF5 output and its atomic merge (see
 * write_hdf5.h for the layout and why a merge rewrites the file).
 */
#include "output/write_hdf5.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "output/fingerprint.h"
#include "output/provenance.h"
#include "output/write.h"
#include "output/write_internal.h"
#include "output/write_times.h"
#include "util/error.h"
#include "util/fs.h"

#define H5_FORMAT "ego4dfeat features 1"

void hdf5_parts_free(hdf5_part *parts, size_t n) {
  for (size_t i = 0; parts && i < n; i++) {
    free(parts[i].uid);
    free(parts[i].features);
    free(parts[i].times);
    free(parts[i].fp);
  }
  free(parts);
}

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a > b && strcmp(s + a - b, suffix) == 0;
}

static int cmp_part(const void *a, const void *b) {
  return strcmp(((const hdf5_part *)a)->uid, ((const hdf5_part *)b)->uid);
}

int hdf5_parts_scan(const char *dir, int strict, hdf5_part **out,
                    size_t *count) {
  *out = NULL;
  *count = 0;
  DIR *d = opendir(dir);
  if (!d)
    return ef_error_set(EF_EIO, "cannot list %s: %s", dir, strerror(errno));
  hdf5_part *parts = NULL;
  size_t n = 0, cap = 0;
  int rc = EF_OK;
  struct dirent *e;
  while (rc == EF_OK && (e = readdir(d))) {
    const char *name = e->d_name;
    /* Dotfiles are temporary and claim files; .times.npy are times. */
    if (name[0] == '.' || ends_with(name, ".times.npy"))
      continue;
    ef_out_format fmt;
    size_t stem;
    if (ends_with(name, ".pt")) {
      fmt = EF_FORMAT_PT;
      stem = strlen(name) - 3;
    } else if (ends_with(name, ".npy")) {
      fmt = EF_FORMAT_NPY;
      stem = strlen(name) - 4;
    } else {
      continue;
    }
    if (n == cap) {
      size_t nc = cap ? cap * 2 : 64;
      hdf5_part *np = realloc(parts, nc * sizeof *np);
      if (!np) {
        rc = ef_error_set(EF_ENOMEM, "out of memory listing %s", dir);
        break;
      }
      parts = np;
      cap = nc;
    }
    hdf5_part *p = &parts[n];
    memset(p, 0, sizeof *p);
    p->fmt = fmt;
    p->uid = strndup(name, stem);
    p->features = p->uid ? write_output_path(dir, p->uid, fmt) : NULL;
    p->times = p->uid ? write_times_path(dir, p->uid) : NULL;
    p->fp = p->uid ? provenance_fp_path(dir, p->uid) : NULL;
    n++;
    if (!p->features || !p->times || !p->fp) {
      rc = ef_error_set(EF_ENOMEM, "out of memory listing %s", dir);
      break;
    }
    char *text = NULL;
    int complete = write_output_complete(p->features, fmt);
    int has_times = complete && write_times_rows(p->times) > 0;
    int frc = has_times ? provenance_read(p->fp, &text) : EF_ENOTFOUND;
    free(text);
    if (frc == EF_OK)
      continue;
    if (strict) {
      if (!complete)
        rc = ef_error_set(EF_EINVAL, "%s: not a complete feature file",
                          p->features);
      else if (!has_times)
        rc = ef_error_set(EF_EINVAL,
                          "%s has no complete window times (%s): written by "
                          "an older ego4dfeat? Extract it again",
                          p->features, p->times);
      else if (frc == EF_ENOTFOUND)
        rc = ef_error_set(EF_EINVAL,
                          "%s has no fingerprint (%s): written by an older "
                          "ego4dfeat? Extract it again",
                          p->features, p->fp);
      else
        rc = frc; /* provenance_read named the file */
      break;
    }
    ef_error_clear();
    n--; /* an unfinished part: left for its writer, or a rerun */
    free(p->uid);
    free(p->features);
    free(p->times);
    free(p->fp);
  }
  closedir(d);
  if (rc == EF_OK && n > 1) {
    qsort(parts, n, sizeof *parts, cmp_part);
    for (size_t i = 1; i < n; i++)
      if (strcmp(parts[i].uid, parts[i - 1].uid) == 0) {
        rc = ef_error_set(
            EF_EINVAL, "%s and %s: two outputs of uid \"%s\"; remove one",
            parts[i - 1].features, parts[i].features, parts[i].uid);
        break;
      }
  }
  if (rc != EF_OK) {
    hdf5_parts_free(parts, n);
    return rc;
  }
  *out = parts;
  *count = n;
  return EF_OK;
}

/* ---- HDF5 helpers -------------------------------------------------------- */

/* HDF5 prints its error stack to stderr by default; our messages name
 * the file and the step instead. */
static void h5_quiet(void) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static hid_t str_type(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t >= 0 &&
      (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
    H5Tclose(t);
    return -1;
  }
  return t;
}

static int put_str_attr(hid_t obj, const char *name, const char *value) {
  hid_t t = str_type(), sp = H5Screate(H5S_SCALAR), a = -1;
  int ok = t >= 0 && sp >= 0 &&
           (a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT)) >= 0 &&
           H5Awrite(a, t, &value) >= 0;
  if (a >= 0)
    H5Aclose(a);
  if (sp >= 0)
    H5Sclose(sp);
  if (t >= 0)
    H5Tclose(t);
  return ok ? 0 : -1;
}

/* A string attribute, or NULL (caller frees). */
static char *get_str_attr(hid_t obj, const char *name) {
  if (H5Aexists(obj, name) <= 0)
    return NULL;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  hid_t t = str_type();
  char *v = NULL, *copy = NULL;
  if (a >= 0 && t >= 0 && H5Aread(a, t, &v) >= 0 && v) {
    copy = strdup(v);
    H5free_memory(v);
  }
  if (t >= 0)
    H5Tclose(t);
  if (a >= 0)
    H5Aclose(a);
  return copy;
}

static int put_dataset(hid_t g, const char *name, hid_t type, int ndim,
                       const hsize_t *dims, const void *data) {
  hid_t sp = H5Screate_simple(ndim, dims, NULL), ds = -1;
  int ok = sp >= 0 &&
           (ds = H5Dcreate2(g, name, type, sp, H5P_DEFAULT, H5P_DEFAULT,
                            H5P_DEFAULT)) >= 0 &&
           H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
  if (ds >= 0)
    H5Dclose(ds);
  if (sp >= 0)
    H5Sclose(sp);
  return ok ? 0 : -1;
}

/* Reads a whole small text file (a config), or NULL. */
static char *slurp(const char *path) {
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
  snprintf(want, sizeof want, "# ego4dfeat run fingerprint: %s\n", hex);
  snprintf(path, n, "%s/config.yaml", dir);
  char *text = slurp(path);
  if (!text || strncmp(text, want, strlen(want)) != 0) {
    free(text);
    snprintf(path, n, "%s/config-%.16s.yaml", dir, hex);
    text = slurp(path);
    if (text && strncmp(text, want, strlen(want)) != 0) {
      free(text);
      text = NULL;
    }
  }
  free(path);
  return text;
}

/* Writes one part as group /<uid> of f. */
static int add_part(hid_t f, const hdf5_part *p, const char *config_dir) {
  float *data = NULL;
  double *starts = NULL, *ends = NULL;
  char *desc = NULL, *config = NULL;
  int64_t shape[WRITE_MAX_DIMS], rows = 0;
  int ndim = 0;
  hid_t lcpl = -1, g = -1;
  int rc = p->fmt == EF_FORMAT_PT
               ? write_pt_read(p->features, &data, shape, &ndim)
               : write_npy_read(p->features, &data, shape, &ndim);
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
  hsize_t n1 = (hsize_t)rows;
  /* uids are UTF-8 file names; so are the group names. */
  lcpl = H5Pcreate(H5P_LINK_CREATE);
  if (lcpl < 0 || H5Pset_char_encoding(lcpl, H5T_CSET_UTF8) < 0 ||
      (g = H5Gcreate2(f, p->uid, lcpl, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
      put_dataset(g, "features", H5T_IEEE_F32LE, ndim, dims, data) != 0 ||
      put_dataset(g, "window_start", H5T_IEEE_F64LE, 1, &n1, starts) != 0 ||
      put_dataset(g, "window_end", H5T_IEEE_F64LE, 1, &n1, ends) != 0 ||
      put_str_attr(g, "fingerprint", hex) != 0 ||
      put_str_attr(g, "provenance", desc) != 0 ||
      (config && put_str_attr(g, "config", config) != 0))
    rc = ef_error_set(EF_EIO, "cannot add %s to the HDF5 file", p->features);
cleanup:
  if (g >= 0)
    H5Gclose(g);
  if (lcpl >= 0)
    H5Pclose(lcpl);
  free(config);
  free(desc);
  free(starts);
  free(ends);
  free(data);
  return rc;
}

typedef struct {
  hid_t dst;
  const hdf5_part *parts;
  size_t n;
  int failed;
  const char *name; /* of the group that failed */
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

/* The caller's cancel flag (hdf5_merge_watch_cancel), asked per group. */
static _Thread_local const volatile int *merge_cancel;

void hdf5_merge_watch_cancel(const volatile int *flag) {
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
  if (is_replaced(c, name))
    return 0;
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  if (lcpl < 0 || H5Pset_char_encoding(lcpl, H5T_CSET_UTF8) < 0 ||
      H5Ocopy(src, name, c->dst, name, H5P_DEFAULT, lcpl) < 0) {
    c->failed = 1;
    c->name = name;
  }
  if (lcpl >= 0)
    H5Pclose(lcpl);
  return c->failed ? 1 : 0;
}

int hdf5_lock(const char *h5_path) {
  const char *slash = strrchr(h5_path, '/');
  size_t dl = slash ? (size_t)(slash - h5_path) + 1 : 0;
  size_t n = strlen(h5_path) + 8;
  char *lp = malloc(n);
  if (!lp)
    return -1;
  snprintf(lp, n, "%.*s.%s.lock", (int)dl, h5_path, h5_path + dl);
  int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  free(lp);
  if (fd < 0)
    return -1;
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  int r;
  while ((r = fcntl(fd, F_SETLKW, &fl)) != 0 && errno == EINTR)
    ;
  /* A filesystem without locks still gets atomic renames. */
  if (r != 0 && errno != ENOLCK && errno != EOPNOTSUPP) {
    close(fd);
    return -1;
  }
  return fd;
}

int hdf5_merge(const char *h5_path, const hdf5_part *parts, size_t n,
               const char *config_dir) {
  int lock = hdf5_lock(h5_path);
  if (lock < 0)
    return ef_error_set(EF_EIO, "cannot lock %s for writing: %s", h5_path,
                        strerror(errno));
  int rc = hdf5_merge_locked(h5_path, parts, n, config_dir);
  close(lock); /* releases the lock */
  return rc;
}

int hdf5_merge_locked(const char *h5_path, const hdf5_part *parts, size_t n,
                      const char *config_dir) {
  h5_quiet();
  int rc = EF_OK;
  hid_t src = -1, dst = -1;
  char *tmp = NULL;
  if (!(tmp = write_temp_path(h5_path))) {
    rc = ef_last_error_code();
    goto cleanup;
  }
  if (access(h5_path, F_OK) == 0) {
    src = H5Fopen(h5_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    char *format = src >= 0 ? get_str_attr(src, "format") : NULL;
    int ours = format && strcmp(format, H5_FORMAT) == 0;
    free(format);
    /* Someone else's HDF5 file is not ours to replace. */
    if (!ours) {
      rc = ef_error_set(EF_EINVAL,
                        "%s: not an ego4dfeat features file (no format "
                        "attribute \"" H5_FORMAT "\"); not replacing it",
                        h5_path);
      goto cleanup;
    }
  }
  dst = H5Fcreate(tmp, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
  if (dst < 0 || put_str_attr(dst, "format", H5_FORMAT) != 0) {
    rc = ef_error_set(EF_EIO, "cannot create %s", tmp);
    goto cleanup;
  }
  if (src >= 0) {
    copy_ctx c = {dst, parts, n, 0, NULL};
    hsize_t idx = 0;
    if (H5Literate(src, H5_INDEX_NAME, H5_ITER_INC, &idx, copy_one, &c) < 0 ||
        c.failed) {
      rc = c.failed == 2
               ? ef_error_set(EF_ECANCELLED, "merge into %s cancelled", h5_path)
               : ef_error_set(EF_EIO, "cannot copy group \"%s\" of %s",
                              c.name ? c.name : "?", h5_path);
      goto cleanup;
    }
  }
  for (size_t i = 0; i < n && rc == EF_OK; i++)
    rc = merge_cancelled()
             ? ef_error_set(EF_ECANCELLED, "merge into %s cancelled", h5_path)
             : add_part(dst, &parts[i], config_dir);
  if (rc != EF_OK)
    goto cleanup;
  if (H5Fclose(dst) < 0) {
    dst = -1;
    rc = ef_error_set(EF_EIO, "cannot write %s", tmp);
    goto cleanup;
  }
  dst = -1;
  rc = write_commit(tmp, h5_path);
  free(tmp);
  tmp = NULL; /* renamed, or removed by write_commit */
cleanup:
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

/* ---- Reading the index --------------------------------------------------- */

typedef struct {
  char **uids, **texts;
  size_t n, cap;
  int failed;
} index_ctx;

static herr_t index_one(hid_t f, const char *name, const H5L_info_t *info,
                        void *arg) {
  (void)info;
  index_ctx *c = arg;
  if (c->n == c->cap) {
    size_t nc = c->cap ? c->cap * 2 : 64;
    char **u = realloc(c->uids, nc * sizeof *u);
    if (u)
      c->uids = u;
    char **t = realloc(c->texts, nc * sizeof *t);
    if (t)
      c->texts = t;
    if (!u || !t) {
      c->failed = 1;
      return 1;
    }
    c->cap = nc;
  }
  hid_t g = H5Gopen2(f, name, H5P_DEFAULT);
  char *text = g >= 0 ? get_str_attr(g, "provenance") : NULL;
  if (g >= 0)
    H5Gclose(g);
  c->uids[c->n] = strdup(name);
  c->texts[c->n] = text ? text : strdup("");
  c->n++;
  if (!c->uids[c->n - 1] || !c->texts[c->n - 1]) {
    c->failed = 1;
    return 1;
  }
  return 0;
}

int hdf5_index(const char *h5_path, char ***uids, char ***texts, size_t *n) {
  *uids = *texts = NULL;
  *n = 0;
  if (access(h5_path, F_OK) != 0)
    return EF_OK;
  h5_quiet();
  hid_t f = H5Fopen(h5_path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0)
    return ef_error_set(EF_EINVAL, "%s: not an HDF5 file this tool can read",
                        h5_path);
  char *format = get_str_attr(f, "format");
  int ours = format && strcmp(format, H5_FORMAT) == 0;
  free(format);
  index_ctx c = {0};
  hsize_t idx = 0;
  int rc = EF_OK;
  if (!ours)
    rc = ef_error_set(EF_EINVAL,
                      "%s: not an ego4dfeat features file (no format "
                      "attribute \"" H5_FORMAT "\")",
                      h5_path);
  else if (H5Literate(f, H5_INDEX_NAME, H5_ITER_INC, &idx, index_one, &c) < 0 ||
           c.failed)
    rc = ef_error_set(EF_EIO, "cannot list the groups of %s", h5_path);
  H5Fclose(f);
  if (rc != EF_OK) {
    hdf5_index_free(c.uids, c.texts, c.n);
    return rc;
  }
  *uids = c.uids;
  *texts = c.texts;
  *n = c.n;
  return EF_OK;
}

void hdf5_index_free(char **uids, char **texts, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(uids ? uids[i] : NULL);
    free(texts ? texts[i] : NULL);
  }
  free(uids);
  free(texts);
}
