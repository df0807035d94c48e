/*
 * test_write.c - feature files (.pt, .npy), the atomic write, folder
 * creation and the completeness check. The readers of record are Python's
 * torch.load and numpy.load, so every written file is loaded by them and
 * compared bit for bit with the floats we handed in. C core only: this
 * runs under ASan/UBSan.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/store_format.h"
#include "output/transcript.h"
#include "output/write.h"
#include "output/write_internal.h"
#include "testutil.h"
#include "util/error.h"

/* Loads a written file in Python and compares it with the raw floats. */
static const char *check_py =
    "import sys, zipfile, numpy as np\n"
    "kind, path, raw = sys.argv[1], sys.argv[2], sys.argv[3]\n"
    "shape = tuple(int(s) for s in sys.argv[4].split(','))\n"
    "want = np.fromfile(raw, dtype='<f4').reshape(shape)\n"
    "if kind == 'pt':\n"
    "    import torch\n"
    "    z = zipfile.ZipFile(path)\n"
    "    assert z.testzip() is None, 'bad CRC'\n"
    "    names = z.namelist()\n"
    "    assert names == ['archive/data.pkl', 'archive/byteorder',\n"
    "                     'archive/data/0', 'archive/version'], names\n"
    "    assert z.read('archive/byteorder') == b'little'\n"
    "    assert z.read('archive/version') == b'3\\n'\n"
    "    raw_f = open(path, 'rb').read()\n"
    "    for info in z.infolist():\n"
    "        off = info.header_offset\n"
    "        n = int.from_bytes(raw_f[off + 26:off + 28], 'little')\n"
    "        x = int.from_bytes(raw_f[off + 28:off + 30], 'little')\n"
    "        assert (off + 30 + n + x) % 64 == 0, ('unaligned', info)\n"
    "        assert info.compress_type == zipfile.ZIP_STORED\n"
    "    for wo in (False, True):\n"
    "        t = torch.load(path, weights_only=wo)\n"
    "        assert isinstance(t, torch.Tensor), type(t)\n"
    "        assert t.dtype == torch.float32, t.dtype\n"
    "        assert tuple(t.shape) == shape, (tuple(t.shape), shape)\n"
    "        assert t.is_contiguous() and not t.requires_grad\n"
    "        assert t.device.type == 'cpu'\n"
    "        got = t.numpy()\n"
    "        assert got.tobytes() == want.tobytes(), (got, want)\n"
    "else:\n"
    "    got = np.load(path, allow_pickle=False)\n"
    "    assert got.dtype == np.float32 and got.dtype.byteorder in '<=', "
    "got.dtype\n"
    "    assert got.shape == shape, (got.shape, shape)\n"
    "    assert got.flags.c_contiguous\n"
    "    assert got.tobytes() == want.tobytes(), (got, want)\n"
    "    hl = int.from_bytes(open(path, 'rb').read(10)[8:10], 'little')\n"
    "    assert (10 + hl) % 64 == 0, hl\n";

/* Unpickles data.pkl with stand-ins for torch, so shapes far beyond what
 * fits in memory can be checked. argv: pkl, numel, shape. */
static const char *pickle_py =
    "import sys, pickle, pickletools, collections\n"
    "data = open(sys.argv[1], 'rb').read()\n"
    "numel = int(sys.argv[2])\n"
    "shape = tuple(int(s) for s in sys.argv[3].split(','))\n"
    "class U(pickle.Unpickler):\n"
    "    def persistent_load(self, pid):\n"
    "        return pid\n"
    "    def find_class(self, mod, name):\n"
    "        if (mod, name) == ('torch._utils', '_rebuild_tensor_v2'):\n"
    "            return lambda *a: ('tensor',) + a\n"
    "        if (mod, name) == ('torch', 'FloatStorage'):\n"
    "            return 'FloatStorage'\n"
    "        if (mod, name) == ('collections', 'OrderedDict'):\n"
    "            return collections.OrderedDict\n"
    "        raise pickle.UnpicklingError(mod + '.' + name)\n"
    "import io\n"
    "r = U(io.BytesIO(data)).load()\n"
    "tag, storage, off, size, stride, grad, hooks = r\n"
    "assert storage == ('storage', 'FloatStorage', '0', 'cpu', numel), "
    "storage\n"
    "assert off == 0 and size == shape and grad is False, r\n"
    "assert hooks == collections.OrderedDict(), hooks\n"
    "want = []\n"
    "s = 1\n"
    "for d in reversed(shape):\n"
    "    want.insert(0, s)\n"
    "    s *= max(d, 1)\n"
    "assert stride == tuple(want), (stride, want)\n"
    "ops = [op.name for op, arg, pos in pickletools.genops(data)]\n"
    "if numel >= 2**31:\n"
    "    assert 'LONG1' in ops, ops\n"
    "assert ops[0] == 'PROTO' and ops[-1] == 'STOP'\n";

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

static float *make_values(int64_t n) {
  float *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
  ck_assert_ptr_nonnull(v);
  for (int64_t i = 0; i < n; i++)
    v[i] = (float)(sin((double)i * 0.7) * 100.0 + (double)i / 3.0);
  /* Values whose bytes catch endianness and rounding slips. */
  if (n > 0)
    v[0] = -0.0f;
  if (n > 1)
    v[1] = 1e-40f; /* subnormal */
  if (n > 2)
    v[2] = 3.4e38f;
  return v;
}

static void write_raw(const char *path, const float *v, int64_t n) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(fwrite(v, sizeof *v, (size_t)n, f), (size_t)n);
  ck_assert_int_eq(fclose(f), 0);
}

static void shape_arg(char *buf, size_t cap, const int64_t *shape, int ndim) {
  size_t at = 0;
  for (int i = 0; i < ndim; i++)
    at += (size_t)snprintf(buf + at, cap - at, i ? ",%lld" : "%lld",
                           (long long)shape[i]);
}

/* Writes the shape in the format, then has Python check it. */
static void roundtrip(ef_out_format fmt, const int64_t *shape, int ndim) {
  int64_t n = 1;
  for (int i = 0; i < ndim; i++)
    n *= shape[i];
  float *v = make_values(n);
  char name[300], shp[256];
  shape_arg(shp, sizeof shp, shape, ndim);
  snprintf(name, sizeof name, "f_%s", shp);
  char *out = write_output_path(tmp, name, fmt);
  char *raw = tu_path(tmp, "expected.raw");
  char *script = tu_path(tmp, "check.py");
  ck_assert_int_eq(tu_write_file(script, check_py), 0);
  write_raw(raw, v, n);

  int rc = write_features(out, fmt, v, shape, ndim);
  ck_assert_msg(rc == EF_OK, "write_features: %s", ef_last_error());
  ck_assert_int_eq(write_output_complete(out, fmt), 1);
  int py = tu_run("'%s' '%s' %s '%s' '%s' %s", tu_python(), script,
                  fmt == EF_FORMAT_PT ? "pt" : "npy", out, raw, shp);
  ck_assert_msg(py == 0, "python rejected %s (shape %s)", out, shp);
  free(script);
  free(raw);
  free(out);
  free(v);
}

START_TEST(test_pt_roundtrip) {
  static const int64_t s1[] = {3, 4}, s2[] = {2, 5, 4}, s3[] = {1, 7},
                       s4[] = {5}, s5[] = {2, 1, 3, 1},
                       s6[] = {300, 70}; /* > 255 and 65535 elements */
  roundtrip(EF_FORMAT_PT, s1, 2);
  roundtrip(EF_FORMAT_PT, s2, 3);
  roundtrip(EF_FORMAT_PT, s3, 2);
  roundtrip(EF_FORMAT_PT, s4, 1);
  roundtrip(EF_FORMAT_PT, s5, 4);
  roundtrip(EF_FORMAT_PT, s6, 2);
}
END_TEST

START_TEST(test_npy_roundtrip) {
  static const int64_t s1[] = {3, 4}, s2[] = {2, 5, 4}, s3[] = {1, 7},
                       s4[] = {5}, s5[] = {2, 1, 3, 1}, s6[] = {300, 70};
  roundtrip(EF_FORMAT_NPY, s1, 2);
  roundtrip(EF_FORMAT_NPY, s2, 3);
  roundtrip(EF_FORMAT_NPY, s3, 2);
  roundtrip(EF_FORMAT_NPY, s4, 1);
  roundtrip(EF_FORMAT_NPY, s5, 4);
  roundtrip(EF_FORMAT_NPY, s6, 2);
}
END_TEST

/* A zero-size trailing dimension is a valid (if odd) tensor. */
START_TEST(test_zero_columns) {
  static const int64_t s[] = {2, 0};
  float dummy = 0;
  char *pt = tu_path(tmp, "z.pt"), *npy = tu_path(tmp, "z.npy");
  ck_assert_int_eq(write_features(pt, EF_FORMAT_PT, &dummy, s, 2), EF_OK);
  ck_assert_int_eq(write_features(npy, EF_FORMAT_NPY, &dummy, s, 2), EF_OK);
  ck_assert_int_eq(write_output_complete(pt, EF_FORMAT_PT), 1);
  ck_assert_int_eq(write_output_complete(npy, EF_FORMAT_NPY), 1);
  ck_assert_int_eq(tu_run("'%s' -c \"import torch, numpy as np; "
                          "t = torch.load('%s'); assert t.shape == (2, 0); "
                          "a = np.load('%s'); assert a.shape == (2, 0)\"",
                          tu_python(), pt, npy),
                   0);
  free(npy);
  free(pt);
}
END_TEST

/* The pickle alone, for shapes whose data could never be allocated. */
static void check_pickle(const int64_t *shape, int ndim) {
  int64_t numel = 1;
  for (int i = 0; i < ndim; i++)
    numel *= shape[i];
  membuf b;
  membuf_init(&b);
  ck_assert_int_eq(write_pt_pickle(&b, shape, ndim, numel), EF_OK);
  char *pkl = tu_path(tmp, "data.pkl"), *script = tu_path(tmp, "pk.py");
  FILE *f = fopen(pkl, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(fwrite(b.data, 1, b.len, f), b.len);
  ck_assert_int_eq(fclose(f), 0);
  ck_assert_int_eq(tu_write_file(script, pickle_py), 0);
  char shp[256];
  shape_arg(shp, sizeof shp, shape, ndim);
  ck_assert_msg(tu_run("'%s' '%s' '%s' %lld %s", tu_python(), script, pkl,
                       (long long)numel, shp) == 0,
                "pickle of shape %s rejected", shp);
  free(script);
  free(pkl);
  membuf_free(&b);
}

START_TEST(test_pickle_big_shapes) {
  static const int64_t a[] = {3, ((int64_t)1 << 31) + 5};
  static const int64_t b[] = {((int64_t)1 << 40), 1, 70000};
  static const int64_t c[] = {65536, 256, 255};
  static const int64_t d[] = {((int64_t)1 << 31) - 1};
  check_pickle(a, 2);
  check_pickle(b, 3);
  check_pickle(c, 3);
  check_pickle(d, 1);
}
END_TEST

START_TEST(test_rejects) {
  float v[4] = {0};
  char *out = tu_path(tmp, "bad.pt");
  static const int64_t zero_rows[] = {0, 8}, neg[] = {2, -1};
  ck_assert_int_eq(write_features(out, EF_FORMAT_PT, v, zero_rows, 2),
                   EF_EINVAL);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "at least one row"));
  ck_assert_ptr_nonnull(strstr(ef_last_error(), out));
  ck_assert_int_eq(write_features(out, EF_FORMAT_NPY, v, zero_rows, 2),
                   EF_EINVAL);
  ck_assert_int_eq(write_features(out, EF_FORMAT_PT, v, neg, 2), EF_EINVAL);
  ck_assert_int_eq(write_features(out, EF_FORMAT_PT, v, zero_rows, 0),
                   EF_EINVAL);
  ck_assert_int_eq(write_features(out, (ef_out_format)7, v, neg, 2), EF_EINVAL);
  ck_assert_int_eq(write_features(NULL, EF_FORMAT_PT, v, neg, 2), EF_EINVAL);

  /* 4 GiB of floats: refused before the data is touched (v is tiny). */
  static const int64_t huge[] = {(int64_t)1 << 20, (int64_t)1 << 10};
  ck_assert_int_eq(write_features(out, EF_FORMAT_PT, v, huge, 2), EF_EINVAL);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "4 GiB"));
  ck_assert_ptr_nonnull(strstr(ef_last_error(), out));
  ck_assert_int_ne(access(out, F_OK), 0);
  free(out);
}
END_TEST

static void write_bytes(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  if (n)
    ck_assert_int_eq(fwrite(p, 1, n, f), n);
  ck_assert_int_eq(fclose(f), 0);
}

/* Every proper prefix of a complete file, and the file with a byte
 * appended, must read as incomplete. */
static void check_truncations(const char *good, ef_out_format fmt) {
  size_t len = 0;
  char *bytes = tu_read_file(good, &len);
  ck_assert_ptr_nonnull(bytes);
  char *cut = tu_path(tmp, fmt == EF_FORMAT_PT ? "cut.pt" : "cut.npy");
  size_t lens[] = {0,  1,       9,        10,       21,       22,      63,
                   64, len / 2, len - 23, len - 22, len - 21, len - 4, len - 1};
  for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
    if (lens[i] >= len)
      continue;
    write_bytes(cut, bytes, lens[i]);
    ck_assert_msg(write_output_complete(cut, fmt) == 0,
                  "%s cut to %zu of %zu bytes counted as complete", good,
                  lens[i], len);
  }
  char *longer = malloc(len + 1);
  ck_assert_ptr_nonnull(longer);
  memcpy(longer, bytes, len);
  longer[len] = 'x';
  write_bytes(cut, longer, len + 1);
  ck_assert_int_eq(write_output_complete(cut, fmt), 0);
  /* Control: the untouched copy passes. */
  write_bytes(cut, bytes, len);
  ck_assert_int_eq(write_output_complete(cut, fmt), 1);
  free(longer);
  free(cut);
  free(bytes);
}

START_TEST(test_complete) {
  static const int64_t s[] = {6, 9};
  float *v = make_values(54);
  char *pt = tu_path(tmp, "u.pt"), *npy = tu_path(tmp, "u.npy");
  ck_assert_int_eq(write_features(pt, EF_FORMAT_PT, v, s, 2), EF_OK);
  ck_assert_int_eq(write_features(npy, EF_FORMAT_NPY, v, s, 2), EF_OK);
  ck_assert_int_eq(write_output_complete(pt, EF_FORMAT_PT), 1);
  ck_assert_int_eq(write_output_complete(npy, EF_FORMAT_NPY), 1);
  /* The wrong format for the file is not complete. */
  ck_assert_int_eq(write_output_complete(pt, EF_FORMAT_NPY), 0);
  ck_assert_int_eq(write_output_complete(npy, EF_FORMAT_PT), 0);
  check_truncations(pt, EF_FORMAT_PT);
  check_truncations(npy, EF_FORMAT_NPY);

  /* Garbage, an empty file, a folder, a missing file. */
  char *junk = tu_path(tmp, "junk.pt");
  unsigned char g[4096];
  unsigned s32 = 12345;
  for (size_t i = 0; i < sizeof g; i++) {
    s32 = s32 * 1103515245u + 12345u;
    g[i] = (unsigned char)(s32 >> 16);
  }
  write_bytes(junk, g, sizeof g);
  ck_assert_int_eq(write_output_complete(junk, EF_FORMAT_PT), 0);
  ck_assert_int_eq(write_output_complete(junk, EF_FORMAT_NPY), 0);
  write_bytes(junk, g, 0);
  ck_assert_int_eq(write_output_complete(junk, EF_FORMAT_PT), 0);
  ck_assert_int_eq(write_output_complete(junk, EF_FORMAT_NPY), 0);
  ck_assert_int_eq(write_output_complete(tmp, EF_FORMAT_PT), 0);
  char *missing = tu_path(tmp, "missing.pt");
  ck_assert_int_eq(write_output_complete(missing, EF_FORMAT_PT), 0);
  ck_assert_int_eq(write_output_complete(missing, EF_FORMAT_NPY), 0);
  ck_assert_int_eq(write_output_complete(NULL, EF_FORMAT_PT), 0);

  /* A zip that is complete but lacks the tensor entries. */
  static const unsigned char empty_zip[22] = {0x50, 0x4b, 0x05, 0x06};
  write_bytes(junk, empty_zip, sizeof empty_zip);
  ck_assert_int_eq(write_output_complete(junk, EF_FORMAT_PT), 0);

  free(missing);
  free(junk);
  free(npy);
  free(pt);
  free(v);
}
END_TEST

/* Files from the Python reference (torch.save names the zip folder after
 * the file's stem) and from numpy.save count as complete; cut ones not. */
START_TEST(test_complete_foreign) {
  char *pt = tu_path(tmp, "ref_uid.pt"), *npy = tu_path(tmp, "ref.npy");
  ck_assert_int_eq(tu_run("'%s' -c \"import torch, numpy as np; "
                          "torch.save(torch.randn(7, 1, 33), '%s'); "
                          "np.save('%s', np.ones((4, 3), np.float32))\"",
                          tu_python(), pt, npy),
                   0);
  ck_assert_int_eq(write_output_complete(pt, EF_FORMAT_PT), 1);
  ck_assert_int_eq(write_output_complete(npy, EF_FORMAT_NPY), 1);
  check_truncations(pt, EF_FORMAT_PT);
  check_truncations(npy, EF_FORMAT_NPY);
  free(npy);
  free(pt);
}
END_TEST

START_TEST(test_atomic) {
  char *path = tu_path(tmp, "config.yaml");
  ck_assert_int_eq(write_file_atomic(path, "first\n", 6), EF_OK);
  ck_assert_int_eq(write_file_atomic(path, "second, longer\n", 15), EF_OK);
  size_t len;
  char *got = tu_read_file(path, &len);
  ck_assert_ptr_nonnull(got);
  ck_assert_uint_eq(len, 15);
  ck_assert_str_eq(got, "second, longer\n");
  free(got);
  ck_assert_int_eq(write_file_atomic(path, "", 0), EF_OK);
  got = tu_read_file(path, &len);
  ck_assert_ptr_nonnull(got);
  ck_assert_uint_eq(len, 0);
  free(got);

  /* The final file is readable by others (not mkstemp's 0600), up to the
   * umask. */
  struct stat st;
  ck_assert_int_eq(stat(path, &st), 0);
  mode_t mask = umask(0);
  umask(mask);
  ck_assert_int_eq(st.st_mode & 0777, 0666 & ~mask);

  /* A folder in the way: rename fails, and the temp file goes away. */
  char *sub = tu_path(tmp, "sub.pt");
  ck_assert_int_eq(mkdir(sub, 0777), 0);
  ck_assert_int_eq(write_file_atomic(sub, "x", 1), EF_EIO);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), sub));

  int count;
  char *names = tu_list_dir(tmp, &count);
  ck_assert_ptr_nonnull(names);
  ck_assert_msg(count == 2, "left behind:\n%s", names);
  ck_assert_ptr_null(strstr(names, ".tmp"));
  free(names);

  /* Into a folder that does not exist: fails naming the path. */
  char *missing = tu_path(tmp, "no/such/dir/x.pt");
  ck_assert_int_eq(write_file_atomic(missing, "x", 1), EF_EIO);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), missing));
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "No such file"));
  static const int64_t s[] = {1, 2};
  static const float v[] = {1, 2};
  ck_assert_int_eq(write_features(missing, EF_FORMAT_PT, v, s, 2), EF_EIO);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), missing));

  /* A relative path with no folder part lands in the working folder. */
  char cwd[4096];
  ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
  ck_assert_int_eq(chdir(tmp), 0);
  ck_assert_int_eq(write_file_atomic("rel.txt", "r", 1), EF_OK);
  ck_assert_int_eq(chdir(cwd), 0);
  char *rel = tu_path(tmp, "rel.txt");
  ck_assert_int_eq(access(rel, F_OK), 0);

  names = tu_list_dir(tmp, &count);
  ck_assert_ptr_nonnull(names);
  ck_assert_msg(count == 3, "left behind:\n%s", names);
  free(names);
  free(rel);
  free(missing);
  free(sub);
  free(path);
}
END_TEST

START_TEST(test_mkdirs) {
  char *deep = tu_path(tmp, "a/b//c/d/");
  ck_assert_int_eq(write_mkdirs(deep), EF_OK);
  char *d = tu_path(tmp, "a/b/c/d");
  struct stat st;
  ck_assert_int_eq(stat(d, &st), 0);
  ck_assert(S_ISDIR(st.st_mode));
  ck_assert_int_eq(write_mkdirs(d), EF_OK); /* already there */

  /* A file in the way fails naming it. */
  char *file = tu_path(tmp, "a/file");
  ck_assert_int_eq(tu_write_file(file, "x"), 0);
  char *through = tu_path(tmp, "a/file/sub");
  ck_assert_int_eq(write_mkdirs(through), EF_EIO);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), file));
  ck_assert_int_eq(write_mkdirs(""), EF_EINVAL);
  ck_assert_int_eq(write_mkdirs(NULL), EF_EINVAL);

  /* Output files go into the new folder. */
  char *out = write_output_path(d, "vid", EF_FORMAT_NPY);
  static const int64_t s[] = {1, 1};
  static const float v[] = {42};
  ck_assert_int_eq(write_features(out, EF_FORMAT_NPY, v, s, 2), EF_OK);
  ck_assert_int_eq(write_output_complete(out, EF_FORMAT_NPY), 1);
  free(out);
  free(through);
  free(file);
  free(d);
  free(deep);
}
END_TEST

START_TEST(test_output_path) {
  struct {
    const char *dir, *uid;
    ef_out_format fmt;
    const char *want;
  } cases[] = {
      {"out", "abc", EF_FORMAT_PT, "out/abc.pt"},
      {"out/", "abc", EF_FORMAT_PT, "out/abc.pt"},
      {"a/b//", "x-y_z", EF_FORMAT_NPY, "a/b/x-y_z.npy"},
      {"/", "u", EF_FORMAT_PT, "/u.pt"},
      {"", "u", EF_FORMAT_NPY, "u.npy"},
      {NULL, "u", EF_FORMAT_PT, "u.pt"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *p = write_output_path(cases[i].dir, cases[i].uid, cases[i].fmt);
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(p, cases[i].want);
    free(p);
  }
  ck_assert_ptr_null(write_output_path("out", NULL, EF_FORMAT_PT));
}
END_TEST

/* Same input, same bytes: outputs are reproducible and diffable. */
START_TEST(test_deterministic) {
  static const int64_t s[] = {4, 5};
  float *v = make_values(20);
  void *a, *b;
  size_t la, lb;
  ck_assert_int_eq(write_pt_encode("a", v, s, 2, &a, &la), EF_OK);
  ck_assert_int_eq(write_pt_encode("b", v, s, 2, &b, &lb), EF_OK);
  ck_assert_uint_eq(la, lb);
  ck_assert_int_eq(memcmp(a, b, la), 0);
  free(a);
  free(b);
  free(v);
}
END_TEST

/* The one table of formats: every io.out_format name the config accepts
 * has a complete entry, in the enum's order, and nothing else does. */
START_TEST(test_format_table) {
  int k = 0;
  for (; settings_out_format_names[k]; k++) {
    const store_format *f = store_format_of((ef_out_format)k);
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(store_format_name((ef_out_format)k),
                     settings_out_format_names[k]);
    if (f->parts_dir) { /* gathering: parts of a per-video format */
      ck_assert_ptr_null(f->ext);
      ck_assert_ptr_nonnull(f->file);
      ck_assert(f->index_load != NULL && f->finish != NULL);
      ck_assert_ptr_nonnull(store_format_of(f->part)->ext);
    } else {
      ck_assert_ptr_nonnull(f->ext);
      ck_assert(f->encode != NULL && f->complete != NULL);
    }
  }
  ck_assert_int_eq(k, EF_FORMAT_COUNT_);
  ck_assert_ptr_null(store_format_of(EF_FORMAT_COUNT_));
  ck_assert_ptr_null(store_format_name((ef_out_format)-1));
  ck_assert_str_eq(store_format_name(EF_FORMAT_HDF5), "hdf5");
  ck_assert_str_eq(store_format_of(EF_FORMAT_NPY)->ext, ".npy");
  ck_assert_int_eq(store_format_of(EF_FORMAT_PT)->takes, STORE_TAKES_TENSOR);
  ck_assert_int_eq(store_format_of(EF_FORMAT_NPY)->takes, STORE_TAKES_TENSOR);
  /* Transcripts: per-window text, never merged into HDF5. */
  const store_format *t = store_format_of(EF_FORMAT_TRANSCRIPT);
  ck_assert_str_eq(store_format_name(EF_FORMAT_TRANSCRIPT), "transcript");
  ck_assert_str_eq(t->ext, ".transcript.jsonl");
  ck_assert_int_eq(t->takes, STORE_TAKES_WINDOWS);
  ck_assert(t->read == NULL);
  ck_assert_ptr_null(t->parts_dir);
}
END_TEST

/* The transcript entry through the table's write: its per-window lines
 * become a complete JSONL file; no window, or a non-finite score, write
 * nothing. */
START_TEST(test_transcript_entry) {
  transcript_line lines[2] = {{0, 5, "HELLO WORLD", -0.25}, {5, 7, NULL, 0}};
  double starts[2] = {0, 5}, ends[2] = {5, 7};
  store_output o = {
      .per_window = lines, .starts = starts, .ends = ends, .windows = 2};
  char *out = write_output_path(tmp, "talk", EF_FORMAT_TRANSCRIPT);
  ck_assert_str_eq(strrchr(out, '/'), "/talk.transcript.jsonl");
  ck_assert_int_eq(write_output_complete(out, EF_FORMAT_TRANSCRIPT), 0);
  ck_assert_int_eq(write_output(out, EF_FORMAT_TRANSCRIPT, &o), EF_OK);
  size_t len;
  char *got = tu_read_file(out, &len);
  ck_assert_ptr_nonnull(got);
  ck_assert_str_eq(got, "{\"start\": 0, \"end\": 5, \"text\": \"HELLO WORLD\", "
                        "\"score\": -0.25}\n"
                        "{\"start\": 5, \"end\": 7, \"text\": null, "
                        "\"score\": 0}\n");
  free(got);
  ck_assert_int_eq(write_output_complete(out, EF_FORMAT_TRANSCRIPT), 1);
  /* Not a tensor: the other formats do not take it for theirs. */
  ck_assert_int_eq(write_output_complete(out, EF_FORMAT_NPY), 0);
  char *none = write_output_path(tmp, "none", EF_FORMAT_TRANSCRIPT);
  o.windows = 0;
  ck_assert_int_eq(write_output(none, EF_FORMAT_TRANSCRIPT, &o), EF_EINVAL);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "none.transcript.jsonl"));
  o.windows = 2;
  lines[1].score = NAN;
  ck_assert_int_eq(write_output(none, EF_FORMAT_TRANSCRIPT, &o), EF_EINVAL);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "not a finite number"));
  ck_assert_int_eq(access(none, F_OK), -1);
  free(none);
  free(out);
}
END_TEST

int main(void) {
  Suite *s = suite_create("write");
  TCase *tc = tcase_create("write");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_pt_roundtrip);
  tcase_add_test(tc, test_npy_roundtrip);
  tcase_add_test(tc, test_zero_columns);
  tcase_add_test(tc, test_pickle_big_shapes);
  tcase_add_test(tc, test_rejects);
  tcase_add_test(tc, test_complete);
  tcase_add_test(tc, test_complete_foreign);
  tcase_add_test(tc, test_atomic);
  tcase_add_test(tc, test_mkdirs);
  tcase_add_test(tc, test_output_path);
  tcase_add_test(tc, test_deterministic);
  tcase_add_test(tc, test_format_table);
  tcase_add_test(tc, test_transcript_entry);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
