/*
 * write_npy.c - .npy feature files (NumPy format 1.0) and their
 * completeness check.
 *
 * The npy format is the alternative output for users without torch: one
 * header that Python's literal parser reads, then the raw array. Version
 * 1.0 suffices because the header of a rank <= WRITE_MAX_DIMS array is far
 * below its 64 KiB limit. The header is padded with spaces so the data
 * starts on a 64-byte boundary, as numpy itself does (and requires for
 * memory-mapping).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/store_format.h"
#include "output/write_internal.h"
#include "util/error.h"
#include "util/fs.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64
/* Headers this long are not ours; bounds the completeness check's read. */
#define NPY_HEADER_MAX (1u << 20)
/* Room for the header of a rank <= WRITE_MAX_DIMS array. */
#define PT_HEADER_SLACK 1024u

static void npy_header_text(membuf *h, const char *descr, const int64_t *shape,
                            int ndim) {
  membuf_printf(h, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
  for (int i = 0; i < ndim; i++)
    membuf_printf(h, i ? ", %lld" : "%lld", (long long)shape[i]);
  /* Python needs the trailing comma for a 1-tuple: "(7,)". */
  membuf_printf(h, ndim == 1 ? ",), }" : "), }");
}

int write_npy_header(membuf *b, const char *descr, const int64_t *shape,
                     int ndim) {
  membuf h;
  membuf_init(&h);
  npy_header_text(&h, descr, shape, ndim);
  /* magic(6) + version(2) + length(2) + text + padding + '\n' */
  size_t prefix = NPY_MAGIC_LEN + 2 + 2;
  size_t total = prefix + h.len + 1;
  size_t pad = (NPY_ALIGN - total % NPY_ALIGN) % NPY_ALIGN;
  size_t header_len = h.len + pad + 1;
  membuf_put(b, NPY_MAGIC, NPY_MAGIC_LEN);
  membuf_byte(b, 1);
  membuf_byte(b, 0);
  membuf_u16le(b, (uint16_t)header_len);
  membuf_put(b, h.data, h.len);
  for (size_t i = 0; i < pad; i++)
    membuf_byte(b, ' ');
  membuf_byte(b, '\n');
  int failed = h.failed;
  membuf_free(&h);
  return failed || b->failed ? -1 : 0;
}

int write_npy_encode(const char *what, const float *data, const int64_t *shape,
                     int ndim, void **out, size_t *len) {
  *out = NULL;
  *len = 0;
  int64_t numel;
  int rc = write_check_tensor(what, data, shape, ndim, &numel);
  if (rc != EF_OK)
    return rc;
  size_t data_bytes = (size_t)numel * 4;
  membuf b;
  membuf_init(&b);
  if (data_bytes > SIZE_MAX - PT_HEADER_SLACK ||
      membuf_reserve(&b, PT_HEADER_SLACK + data_bytes) != 0 ||
      write_npy_header(&b, "<f4", shape, ndim) != 0) {
    membuf_free(&b);
    return ef_error_set(EF_ENOMEM, "%s: out of memory encoding %zu bytes", what,
                        data_bytes);
  }
  membuf_f32le(&b, data, (size_t)numel);
  if (b.failed) {
    membuf_free(&b);
    return ef_error_set(EF_ENOMEM, "%s: out of memory", what);
  }
  *out = b.data;
  *len = b.len;
  return EF_OK;
}

/* ---- Completeness check ------------------------------------------------- */

static const char *skip_space(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t'))
    p++;
  return p;
}

/* Finds `'key':` in the header dict and returns the text after it. */
static const char *find_key(const char *h, const char *end, const char *key) {
  size_t kl = strlen(key);
  for (const char *p = h; p + kl + 3 <= end; p++) {
    if ((*p == '\'' || *p == '"') && p[kl + 1] == *p &&
        memcmp(p + 1, key, kl) == 0) {
      const char *q = skip_space(p + kl + 2, end);
      if (q < end && *q == ':')
        return skip_space(q + 1, end);
    }
  }
  return NULL;
}

/* Parses "(a, b, ...)" into the element count; -1 if malformed. */
static int64_t parse_shape(const char *p, const char *end) {
  if (!p || p >= end || *p != '(')
    return -1;
  p = skip_space(p + 1, end);
  int64_t n = 1;
  while (p < end && *p != ')') {
    if (*p < '0' || *p > '9')
      return -1;
    int64_t v = 0;
    while (p < end && *p >= '0' && *p <= '9') {
      if (v > (INT64_MAX - 9) / 10)
        return -1;
      v = v * 10 + (*p++ - '0');
    }
    /* numpy may write "3L" in headers from Python 2. */
    if (p < end && *p == 'L')
      p++;
    if (v != 0 && n > INT64_MAX / v)
      return -1;
    n *= v;
    p = skip_space(p, end);
    if (p < end && *p == ',')
      p = skip_space(p + 1, end);
    else if (p < end && *p != ')')
      return -1;
  }
  return p < end ? n : -1;
}

/* The sizes of "(a, b, ...)" into shape (at most max_dims); the rank, or
 * -1 if it has more. parse_shape() has checked the text already. */
static int parse_dims(const char *p, const char *end, int64_t *shape,
                      int max_dims) {
  int n = 0;
  p = skip_space(p + 1, end);
  while (p < end && *p != ')') {
    int64_t v = 0;
    while (p < end && *p >= '0' && *p <= '9')
      v = v * 10 + (*p++ - '0');
    if (n >= max_dims)
      return -1;
    shape[n++] = v;
    while (p < end && (*p == 'L' || *p == ',' || *p == ' ' || *p == '\t'))
      p++;
  }
  return n;
}

int write_npy_complete(const char *path) {
  return write_npy_check(path, "<f4", 4, NULL, NULL, 0);
}

int write_npy_check(const char *path, const char *descr, size_t elsize,
                    int64_t *shape, int *ndim, int max_dims) {
  int ok = 0;
  char *h = NULL;
  int fd = fs_open_regular(path);
  if (fd < 0)
    return 0;
  struct stat st;
  uint8_t pre[12];
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      pread(fd, pre, sizeof pre, 0) != (ssize_t)sizeof pre ||
      memcmp(pre, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
    goto done;
  /* 1.0 has a 2-byte header length; 2.0 and 3.0 (numpy's choice for huge
   * or non-ASCII headers) a 4-byte one. */
  size_t hl, hstart;
  if (pre[6] == 1) {
    hl = (size_t)(pre[8] | pre[9] << 8);
    hstart = 10;
  } else if (pre[6] == 2 || pre[6] == 3) {
    hl = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 |
         (size_t)pre[11] << 24;
    hstart = 12;
  } else {
    goto done;
  }
  if (hl == 0 || hl > NPY_HEADER_MAX)
    goto done;
  h = malloc(hl);
  if (!h || pread(fd, h, hl, (off_t)hstart) != (ssize_t)hl)
    goto done;
  const char *end = h + hl;
  if (end[-1] != '\n')
    goto done;
  const char *d = find_key(h, end, "descr");
  const char *fortran = find_key(h, end, "fortran_order");
  int64_t numel = parse_shape(find_key(h, end, "shape"), end);
  size_t dl = strlen(descr);
  const char *shape_text = find_key(h, end, "shape");
  if (!d || (size_t)(end - d) < dl + 2 || memcmp(d + 1, descr, dl) != 0 ||
      (d[0] != '\'' && d[0] != '"') || d[dl + 1] != d[0] || !fortran ||
      numel < 0 || numel > INT64_MAX / (int64_t)elsize)
    goto done;
  ok = (uint64_t)st.st_size ==
       (uint64_t)(hstart + hl) + (uint64_t)numel * (uint64_t)elsize;
  if (ok && ndim)
    *ndim = parse_dims(shape_text, end, shape, max_dims);

done:
  free(h);
  close(fd);
  return ok;
}

int write_npy_read(const char *path, float **data, int64_t *shape, int *ndim) {
  *data = NULL;
  *ndim = 0;
  int d = 0;
  if (!write_npy_check(path, "<f4", 4, shape, &d, WRITE_MAX_DIMS) || d < 1)
    return ef_error_set(EF_EINVAL,
                        "%s: not a complete float32 .npy file of at least one "
                        "dimension",
                        path);
  int64_t numel = 1;
  for (int k = 0; k < d; k++)
    numel *= shape[k];
  size_t bytes = (size_t)numel * 4;
  float *v = malloc(bytes ? bytes : 1);
  int fd = fs_open_regular(path);
  struct stat st;
  /* The data is the file's last bytes (write_npy_check checked the size). */
  int ok = v && fd >= 0 && fstat(fd, &st) == 0 &&
           (bytes == 0 ||
            pread(fd, v, bytes, st.st_size - (off_t)bytes) == (ssize_t)bytes);
  if (fd >= 0)
    close(fd);
  if (!ok) {
    free(v);
    return ef_error_set(EF_EIO, "cannot read %s", path);
  }
  *data = v;
  *ndim = d;
  return EF_OK;
}

/* ---- The format's entry (store_format.h) -------------------------------- */

static int npy_encode(const char *what, const store_output *o, void **bytes,
                      size_t *len) {
  return write_npy_encode(what, o->data, o->shape, o->ndim, bytes, len);
}

/* uid "x.times" would write x.times.npy, which is the window times of
 * uid "x". */
char *write_npy_uid_problem(const char *uid, int *rc) {
  *rc = EF_OK;
  size_t l = strlen(uid);
  if (l < 6 || strcmp(uid + l - 6, ".times") != 0)
    return NULL;
  size_t n = l + 160;
  char *msg = malloc(n);
  if (!msg) {
    *rc = ef_error_set(EF_ENOMEM, "out of memory");
    return NULL;
  }
  snprintf(msg, n,
           "invalid uid \"%s\": with io.out_format npy or hdf5 a uid may not "
           "end in \".times\" (its file would be another uid's window times)",
           uid);
  return msg;
}

const store_format store_format_npy = {
    .ext = ".npy",
    .takes = STORE_TAKES_TENSOR,
    .encode = npy_encode,
    .complete = write_npy_complete,
    .read = write_npy_read,
    .uid_problem = write_npy_uid_problem,
};
