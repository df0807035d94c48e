/*
 * test_model.c - the libtorch shim: loading TorchScript models, forward
 * with single and list inputs, error reporting, float16 on CPU, the
 * tensor pickle and thread settings. The reference for every output is
 * the same model run by Python's torch on the same input. Runs with
 * CK_FORK=no (libtorch's thread pools do not survive fork).
 */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/write.h"
#include "testutil.h"
#include "torch_shim.h"
#include "util/error.h"

static char *models; /* made once by make_models.py, see main() */
static char *tmp;

/* Runs a TorchScript model in Python on .npy inputs and writes the output
 * as raw float32 plus a ".shape" file. argv: model out mode inputs... */
static const char *run_py =
    "import sys, numpy as np, torch\n"
    "model, out, mode = sys.argv[1:4]\n"
    "xs = [torch.from_numpy(np.load(p)) for p in sys.argv[4:]]\n"
    "m = torch.jit.load(model)\n"
    "with torch.no_grad():\n"
    "    y = m(xs) if mode == 'list' else m(*xs)\n"
    "y = y.float().contiguous().numpy()\n"
    "y.astype('<f4').tofile(out)\n"
    "open(out + '.shape', 'w').write(','.join(str(d) for d in y.shape))\n";

static void setup(void) {
  tmp = tu_tmpdir();
  ck_assert_ptr_nonnull(tmp);
}

static void teardown(void) {
  tu_rmrf(tmp);
  free(tmp);
  tmp = NULL;
}

static char *model_path(const char *name) {
  char file[256];
  snprintf(file, sizeof file, "%s.pt", name);
  return tu_path(models, file);
}

static int load_path(const char *path, const char *device, int half,
                     int optimize, efs_module **m, char *err, size_t errlen) {
  efs_load_options opt = {device, half, optimize};
  return efs_module_load(path, &opt, m, err, errlen);
}

static efs_module *load_opt(const char *name, const char *device, int half,
                            int optimize) {
  char *path = model_path(name);
  char err[512] = "";
  efs_module *m = NULL;
  int rc = load_path(path, device, half, optimize, &m, err, sizeof err);
  ck_assert_msg(rc == 0, "load %s: %s", path, err);
  ck_assert_ptr_nonnull(m);
  free(path);
  return m;
}

static efs_module *load(const char *name, const char *device, int half) {
  return load_opt(name, device, half, 0);
}

/* A deterministic input with structure in every axis. */
static efs_input make_input(const int64_t *shape, int ndim, double seed) {
  efs_input in;
  memset(&in, 0, sizeof in);
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) {
    in.shape[i] = shape[i];
    n *= shape[i];
  }
  in.ndim = ndim;
  float *v = malloc((size_t)n * sizeof *v);
  ck_assert_ptr_nonnull(v);
  for (int64_t i = 0; i < n; i++)
    v[i] = (float)(sin((double)i * 0.37 + seed) * 1.5 + cos((double)i * 0.011));
  in.data = v;
  return in;
}

static void free_input(efs_input *in) {
  free((void *)in->data);
  in->data = NULL;
}

/* Runs the model in Python on the inputs and compares with `got`. */
static void compare_with_python(const char *name, const efs_input *in, int n,
                                int as_list, const efs_output *got) {
  char *script = tu_path(tmp, "run.py");
  ck_assert_int_eq(tu_write_file(script, run_py), 0);
  char args[4096] = "";
  size_t at = 0;
  for (int i = 0; i < n; i++) {
    char file[32];
    snprintf(file, sizeof file, "in%d.npy", i);
    char *p = tu_path(tmp, file);
    int rc =
        write_features(p, EF_FORMAT_NPY, in[i].data, in[i].shape, in[i].ndim);
    ck_assert_msg(rc == EF_OK, "%s", ef_last_error());
    at += (size_t)snprintf(args + at, sizeof args - at, " '%s'", p);
    free(p);
  }
  char *out = tu_path(tmp, "expected.raw");
  char *model = model_path(name);
  ck_assert_int_eq(tu_run("'%s' '%s' '%s' '%s' %s%s", tu_python(), script,
                          model, out, as_list ? "list" : "args", args),
                   0);

  char shape_file[4200];
  snprintf(shape_file, sizeof shape_file, "%s.shape", out);
  char *want_shape = tu_read_file(shape_file, NULL);
  ck_assert_ptr_nonnull(want_shape);
  char got_shape[256] = "";
  size_t sat = 0;
  int64_t numel = 1;
  for (int i = 0; i < got->ndim; i++) {
    sat += (size_t)snprintf(got_shape + sat, sizeof got_shape - sat,
                            i ? ",%lld" : "%lld", (long long)got->shape[i]);
    numel *= got->shape[i];
  }
  ck_assert_str_eq(got_shape, want_shape);

  size_t len = 0;
  char *raw = tu_read_file(out, &len);
  ck_assert_ptr_nonnull(raw);
  ck_assert_uint_eq(len, (size_t)numel * 4);
  const float *want = (const float *)(void *)raw;
  for (int64_t i = 0; i < numel; i++)
    ck_assert_msg(fabsf(got->data[i] - want[i]) <= 1e-5f,
                  "%s: output[%lld] = %.8g, Python gives %.8g", name,
                  (long long)i, got->data[i], want[i]);
  free(raw);
  free(want_shape);
  free(model);
  free(out);
  free(script);
}

static efs_output forward_ok(efs_module *m, const efs_input *in, int n,
                             int as_list, efs_timing *t) {
  efs_output out;
  char err[512] = "";
  int rc = efs_module_forward(m, in, n, as_list, &out, t, err, sizeof err);
  ck_assert_msg(rc == 0, "forward: %s", err);
  ck_assert_ptr_nonnull(out.data);
  return out;
}

static float max_abs_diff(const efs_output *a, const efs_output *b) {
  ck_assert_int_eq(a->ndim, b->ndim);
  int64_t n = 1;
  for (int i = 0; i < a->ndim; i++) {
    ck_assert_int_eq(a->shape[i], b->shape[i]);
    n *= a->shape[i];
  }
  float d = 0;
  for (int64_t i = 0; i < n; i++)
    d = fmaxf(d, fabsf(a->data[i] - b->data[i]));
  return d;
}

START_TEST(test_video_matches_python) {
  efs_module *m = load("tiny_video", "cpu", 0);
  ck_assert_str_eq(efs_module_device(m), "cpu");
  static const int64_t shape[] = {2, 3, 4, 16, 12};
  efs_input in = make_input(shape, 5, 0.0);
  efs_timing t;
  efs_output out = forward_ok(m, &in, 1, 0, &t);
  ck_assert_int_eq(out.ndim, 2);
  ck_assert_int_eq(out.shape[0], 2);
  ck_assert_int_eq(out.shape[1], 8);
  ck_assert(t.forward > 0);
  ck_assert(t.transfer >= 0);
  compare_with_python("tiny_video", &in, 1, 0, &out);

  /* Same input, same output: nothing is left over between calls, and the
   * caller's buffer was not modified. */
  efs_output again = forward_ok(m, &in, 1, 0, NULL);
  ck_assert_float_eq(max_abs_diff(&out, &again), 0);

  /* The model sees layout: the same pixels with rows and columns of each
   * frame read in another order give another output. */
  static const int64_t tshape[] = {2, 3, 4, 12, 16};
  efs_input tr = make_input(tshape, 5, 0.0);
  float *dst = (float *)tr.data;
  for (int64_t p = 0; p < 2 * 3 * 4; p++)
    for (int y = 0; y < 12; y++)
      for (int x = 0; x < 16; x++)
        dst[p * 192 + y * 16 + x] = in.data[p * 192 + x * 12 + y];
  efs_output other = forward_ok(m, &tr, 1, 0, NULL);
  float d = 0;
  for (int i = 0; i < 16; i++)
    d = fmaxf(d, fabsf(other.data[i] - out.data[i]));
  ck_assert_msg(d > 1e-3f, "a transposed frame gave the same output");

  free(other.data);
  free(again.data);
  free(out.data);
  free_input(&tr);
  free_input(&in);
  efs_module_free(m);
}
END_TEST

START_TEST(test_slowfast_list) {
  efs_module *m = load("tiny_slowfast", "cpu", 0);
  static const int64_t slow_shape[] = {1, 3, 2, 16, 16};
  static const int64_t fast_shape[] = {1, 3, 8, 16, 16};
  efs_input in[2] = {make_input(slow_shape, 5, 1.0),
                     make_input(fast_shape, 5, 2.0)};
  efs_output out = forward_ok(m, in, 2, 1, NULL);
  ck_assert_int_eq(out.ndim, 2);
  ck_assert_int_eq(out.shape[0], 1);
  ck_assert_int_eq(out.shape[1], 16);
  compare_with_python("tiny_slowfast", in, 2, 1, &out);

  /* The pathways have their own weights: swapping the inputs changes
   * the slow half of the output. */
  efs_input swapped[2] = {in[1], in[0]};
  efs_output sw = forward_ok(m, swapped, 2, 1, NULL);
  float d = 0;
  for (int i = 0; i < 8; i++)
    d = fmaxf(d, fabsf(sw.data[i] - out.data[i]));
  ck_assert_msg(d > 1e-4f, "slow and fast pathways are interchangeable");

  /* Two positional tensors where a list is expected: a clean error. */
  efs_output bad;
  char err[512] = "";
  int rc = efs_module_forward(m, in, 2, 0, &bad, NULL, err, sizeof err);
  ck_assert_int_eq(rc, EF_EMODEL);
  ck_assert_ptr_null(bad.data);
  ck_assert_msg(strlen(err) > 10 && !strchr(err, '\n'), "message: %s", err);

  free(sw.data);
  free(out.data);
  free_input(&in[0]);
  free_input(&in[1]);
  efs_module_free(m);
}
END_TEST

START_TEST(test_other_layouts) {
  static const int64_t video[] = {2, 3, 3, 8, 8};
  static const int64_t image[] = {3, 3, 1, 10, 9};
  static const int64_t image2d[] = {2, 3, 11, 7};

  efs_module *m = load("tiny_tokens", "cpu", 0);
  efs_input in = make_input(video, 5, 3.0);
  efs_output out = forward_ok(m, &in, 1, 0, NULL);
  ck_assert_int_eq(out.ndim, 3);
  ck_assert_int_eq(out.shape[1], 5);
  ck_assert_int_eq(out.shape[2], 4);
  compare_with_python("tiny_tokens", &in, 1, 0, &out);
  free(out.data);
  free_input(&in);
  efs_module_free(m);

  m = load("tiny_image", "cpu", 0);
  in = make_input(image, 5, 4.0);
  out = forward_ok(m, &in, 1, 0, NULL);
  compare_with_python("tiny_image", &in, 1, 0, &out);
  free(out.data);
  free_input(&in);
  efs_module_free(m);

  m = load("tiny_image2d", "cpu", 0);
  in = make_input(image2d, 4, 5.0);
  out = forward_ok(m, &in, 1, 0, NULL);
  ck_assert_int_eq(out.ndim, 2);
  compare_with_python("tiny_image2d", &in, 1, 0, &out);
  free(out.data);
  free_input(&in);
  efs_module_free(m);
}
END_TEST

START_TEST(test_tuple_output) {
  efs_module *m = load("tuple_output", "cpu", 0);
  static const int64_t shape[] = {1, 3, 2, 4, 4};
  efs_input in = make_input(shape, 5, 0.0);
  efs_output out;
  efs_timing t;
  char err[256] = "";
  int rc = efs_module_forward(m, &in, 1, 0, &out, &t, err, sizeof err);
  ck_assert_int_eq(rc, EF_EMODEL);
  ck_assert_str_eq(err, "model output is not a tensor (got Tuple)");
  ck_assert_ptr_null(out.data);
  free_input(&in);
  efs_module_free(m);
}
END_TEST

/* A model's own check (raise in TorchScript) reaches the caller as its
 * message, not as the interpreter's banner. */
START_TEST(test_model_raises) {
  efs_module *m = load("tiny_video", "cpu", 0);
  static const int64_t shape[] = {3, 4, 16, 16};
  efs_input in = make_input(shape, 4, 0.0);
  efs_output out;
  char err[512] = "";
  int rc = efs_module_forward(m, &in, 1, 0, &out, NULL, err, sizeof err);
  ck_assert_int_eq(rc, EF_EMODEL);
  ck_assert_msg(strstr(err, "expected input [B, 3, T, H, W]") != NULL,
                "message: %s", err);
  ck_assert_ptr_null(strchr(err, '\n'));

  /* A shape mismatch inside a layer is also one line. */
  static const int64_t bad_c[] = {1, 4, 2, 8, 8};
  efs_module *sf = load("tiny_slowfast", "cpu", 0);
  efs_input two[2] = {make_input(bad_c, 5, 0.0), make_input(bad_c, 5, 1.0)};
  rc = efs_module_forward(sf, two, 2, 1, &out, NULL, err, sizeof err);
  ck_assert_int_eq(rc, EF_EMODEL);
  ck_assert_ptr_nonnull(strstr(err, "model forward failed"));
  ck_assert_ptr_null(strchr(err, '\n'));

  /* A short buffer gets a truncated, terminated message. */
  char small[8];
  memset(small, 'x', sizeof small);
  rc = efs_module_forward(m, &in, 1, 0, &out, NULL, small, sizeof small);
  ck_assert_int_eq(rc, EF_EMODEL);
  ck_assert_uint_eq(strlen(small), sizeof small - 1);

  free_input(&two[0]);
  free_input(&two[1]);
  free_input(&in);
  efs_module_free(sf);
  efs_module_free(m);
}
END_TEST

START_TEST(test_load_errors) {
  char err[512] = "";
  efs_module *m = (efs_module *)(uintptr_t)1; /* must be reset to NULL */
  char *missing = tu_path(tmp, "nope/missing_model.pt");
  int rc = load_path(missing, "cpu", 0, 0, &m, err, sizeof err);
  ck_assert_int_eq(rc, EF_ENOTFOUND);
  ck_assert_ptr_null(m);
  ck_assert_ptr_nonnull(strstr(err, missing));

  /* Random bytes, and text: clear one-line errors naming the file. */
  char *corrupt = tu_path(tmp, "corrupt.pt");
  unsigned char junk[3000];
  unsigned s = 99;
  for (size_t i = 0; i < sizeof junk; i++) {
    s = s * 1103515245u + 12345u;
    junk[i] = (unsigned char)(s >> 16);
  }
  FILE *f = fopen(corrupt, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(junk, 1, sizeof junk, f), sizeof junk);
  ck_assert_int_eq(fclose(f), 0);
  rc = load_path(corrupt, "cpu", 0, 0, &m, err, sizeof err);
  ck_assert_int_eq(rc, EF_EMODEL);
  ck_assert_ptr_null(m);
  ck_assert_msg(strstr(err, corrupt) && !strchr(err, '\n'), "message: %s", err);
  ck_assert_uint_gt(strlen(err), strlen(corrupt) + 20);

  ck_assert_int_eq(tu_write_file(corrupt, "not a model\n"), 0);
  rc = load_path(corrupt, "cpu", 0, 0, &m, err, sizeof err);
  ck_assert_int_eq(rc, EF_EMODEL);
  ck_assert_ptr_nonnull(strstr(err, corrupt));

  /* A plain tensor file (torch.save) is not a TorchScript module, and the
   * message says so. */
  ck_assert_int_eq(
      tu_run("'%s' -c \"import torch; torch.save(torch.ones(2), '%s')\"",
             tu_python(), corrupt),
      0);
  rc = load_path(corrupt, "cpu", 0, 0, &m, err, sizeof err);
  ck_assert_int_eq(rc, EF_EMODEL);
  ck_assert_ptr_nonnull(strstr(err, corrupt));
  ck_assert_ptr_nonnull(strstr(err, "not a TorchScript module"));

  rc = load_path(tmp, "cpu", 0, 0, &m, err, sizeof err);
  ck_assert_int_eq(rc, EF_EMODEL);
  ck_assert_ptr_nonnull(strstr(err, "folder"));

  rc = load_path(NULL, "cpu", 0, 0, &m, err, sizeof err);
  ck_assert_int_eq(rc, EF_EINVAL);
  free(corrupt);
  free(missing);
}
END_TEST

START_TEST(test_devices) {
  char *path = model_path("tiny_video");
  char err[512] = "";
  efs_module *m = NULL;
  int rc = load_path(path, "tpu:0", 0, 0, &m, err, sizeof err);
  ck_assert_int_eq(rc, EF_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "tpu:0"));
  rc = load_path(path, "banana", 0, 0, &m, err, sizeof err);
  ck_assert_int_eq(rc, EF_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "banana"));

  /* Without a GPU (the usual test machine) CUDA must fail clearly; with
   * one, the model must land there. */
  rc = load_path(path, "cuda", 0, 0, &m, err, sizeof err);
  if (rc == 0) {
    ck_assert_str_eq(efs_module_device(m), "cuda:0");
    efs_module_free(m);
  } else {
    ck_assert_int_eq(rc, EF_ECONFIG);
    ck_assert_msg(strstr(err, "CUDA is not available"), "message: %s", err);
    ck_assert_msg(strstr(err, "inference_config.device=cpu"), "message: %s",
                  err);
  }

  /* NULL or "" device means the CPU. */
  m = NULL;
  ck_assert_int_eq(load_path(path, NULL, 0, 0, &m, err, sizeof err), 0);
  ck_assert_str_eq(efs_module_device(m), "cpu");
  efs_module_free(m);
  efs_module_free(NULL);
  ck_assert_str_eq(efs_module_device(NULL), "");
  free(path);
}
END_TEST

/* Freezing and optimize_for_inference (the default in the pipeline) fold
 * batch norms and pick oneDNN kernels; the outputs must stay those of the
 * module as saved, run by Python, for plain, batch-norm and list-input
 * models. */
START_TEST(test_optimized_matches_python) {
  static const int64_t shape[] = {2, 3, 4, 16, 12};
  const char *names[] = {"tiny_video", "tiny_bn"};
  for (size_t k = 0; k < 2; k++) {
    efs_module *m = load_opt(names[k], "cpu", 0, 1);
    ck_assert_int_eq(efs_module_optimized(m), 1);
    efs_input in = make_input(shape, 5, 3.0 + (double)k);
    efs_output out = forward_ok(m, &in, 1, 0, NULL);
    compare_with_python(names[k], &in, 1, 0, &out);
    /* The plain module gives the same numbers to rounding. */
    efs_module *plain = load(names[k], "cpu", 0);
    ck_assert_int_eq(efs_module_optimized(plain), 0);
    efs_output ref = forward_ok(plain, &in, 1, 0, NULL);
    ck_assert_float_le(max_abs_diff(&out, &ref), 1e-5f);
    free(ref.data);
    free(out.data);
    free_input(&in);
    efs_module_free(plain);
    efs_module_free(m);
  }

  efs_module *sf = load_opt("tiny_slowfast", "cpu", 0, 1);
  ck_assert_int_eq(efs_module_optimized(sf), 1);
  static const int64_t slow_shape[] = {1, 3, 2, 16, 16};
  static const int64_t fast_shape[] = {1, 3, 8, 16, 16};
  efs_input two[2] = {make_input(slow_shape, 5, 5.0),
                      make_input(fast_shape, 5, 6.0)};
  efs_output out = forward_ok(sf, two, 2, 1, NULL);
  compare_with_python("tiny_slowfast", two, 2, 1, &out);
  free(out.data);
  free_input(&two[0]);
  free_input(&two[1]);
  efs_module_free(sf);
}
END_TEST

/* float16 on the CPU is ignored with a warning: same output as float32. */
/* Collects what the library says through ef_log_set_callback. */
typedef struct {
  int calls, level;
  char last[512];
} heard;

static void hear(int level, const char *message, void *user_data) {
  heard *h = user_data;
  h->calls++;
  h->level = level;
  snprintf(h->last, sizeof h->last, "%s", message);
}

START_TEST(test_half_on_cpu) {
  /* The warning goes to the caller's callback, not to stderr. */
  heard h = {0};
  ef_log_set_callback(hear, &h);
  efs_module *m = load("tiny_video", "cpu", 1);
  ef_log_set_callback(NULL, NULL);
  ck_assert_int_eq(h.calls, 1);
  ck_assert_int_eq(h.level, EF_LOG_WARNING);
  ck_assert_msg(strstr(h.last, "float16 ignored on CPU") &&
                    strstr(h.last, "tiny_video.pt"),
                "%s", h.last);
  static const int64_t shape[] = {1, 3, 4, 8, 8};
  efs_input in = make_input(shape, 5, 7.0);
  efs_output out = forward_ok(m, &in, 1, 0, NULL);
  compare_with_python("tiny_video", &in, 1, 0, &out);
  free(out.data);
  free_input(&in);
  efs_module_free(m);
}
END_TEST

START_TEST(test_bad_forward_args) {
  efs_module *m = load("tiny_video", "cpu", 0);
  efs_output out;
  char err[256] = "";
  ck_assert_int_eq(
      efs_module_forward(m, NULL, 1, 0, &out, NULL, err, sizeof err),
      EF_EINVAL);
  efs_input in;
  memset(&in, 0, sizeof in);
  in.ndim = 2;
  in.shape[0] = 1;
  in.shape[1] = 2;
  ck_assert_int_eq(
      efs_module_forward(m, &in, 1, 0, &out, NULL, err, sizeof err),
      EF_EINVAL); /* no data */
  float v[2] = {0, 0};
  in.data = v;
  in.ndim = EFS_MAX_DIMS + 1;
  ck_assert_int_eq(
      efs_module_forward(m, &in, 1, 0, &out, NULL, err, sizeof err), EF_EINVAL);
  ck_assert_int_eq(
      efs_module_forward(m, &in, 0, 0, &out, NULL, err, sizeof err), EF_EINVAL);
  ck_assert_int_eq(efs_module_forward(NULL, &in, 1, 0, &out, NULL, NULL, 0),
                   EF_EINVAL);
  efs_module_free(m);
}
END_TEST

START_TEST(test_pickle_tensor) {
  static const int64_t shape[] = {3, 4};
  float v[12];
  for (int i = 0; i < 12; i++)
    v[i] = (float)i * 0.5f - 2.25f;
  void *bytes = NULL;
  size_t len = 0;
  char err[256] = "";
  int rc = efs_pickle_tensor(v, shape, 2, &bytes, &len, err, sizeof err);
  ck_assert_msg(rc == 0, "%s", err);
  ck_assert_uint_gt(len, 100);
  char *path = tu_path(tmp, "pickled.pt");
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(bytes, 1, len, f), len);
  ck_assert_int_eq(fclose(f), 0);
  ck_assert_int_eq(
      tu_run("'%s' -c \"import torch\n"
             "for wo in (False, True):\n"
             "    t = torch.load('%s', weights_only=wo)\n"
             "    assert t.dtype == torch.float32 and t.shape == (3, 4), t\n"
             "    want = torch.arange(12, dtype=torch.float32) * 0.5 - 2.25\n"
             "    assert torch.equal(t, want.reshape(3, 4)), t\n\"",
             tu_python(), path),
      0);
  free(path);
  free(bytes);

  ck_assert_int_eq(
      efs_pickle_tensor(NULL, shape, 2, &bytes, &len, err, sizeof err),
      EF_EINVAL);
}
END_TEST

static void *thread_forward(void *arg) {
  efs_module *m = arg;
  static const int64_t shape[] = {1, 3, 2, 8, 8};
  efs_input in = make_input(shape, 5, 0.0);
  efs_output out;
  char err[256];
  int rc = efs_module_forward(m, &in, 1, 0, &out, NULL, err, sizeof err);
  free(out.data);
  free_input(&in);
  static int threads;
  threads = rc == 0 ? efs_get_num_threads() : -1;
  return &threads;
}

START_TEST(test_threads) {
  efs_set_num_threads(2);
  ck_assert_int_eq(efs_get_num_threads(), 2);
  efs_set_num_threads(1);
  ck_assert_int_eq(efs_get_num_threads(), 1);
  efs_set_num_threads(0);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  ck_assert_int_eq(efs_get_num_threads(), cores > 0 ? cores : 1);

  /* The setting follows the model onto another thread (libtorch's is per
   * thread with OpenMP). */
  efs_set_num_threads(1);
  efs_module *m = load("tiny_video", "cpu", 0);
  pthread_t th;
  ck_assert_int_eq(pthread_create(&th, NULL, thread_forward, m), 0);
  void *res;
  ck_assert_int_eq(pthread_join(th, &res), 0);
  ck_assert_int_eq(*(int *)res, 1);
  efs_module_free(m);
}
END_TEST

int main(void) {
  models = tu_tmpdir();
  if (!models)
    return EXIT_FAILURE;
  char script[4096];
  snprintf(script, sizeof script, "%s/tests/fixtures/make_models.py",
           tu_source_root());
  if (tu_run("'%s' '%s' '%s' tiny_video tiny_slowfast tiny_image "
             "tiny_image2d tiny_tokens tuple_output tiny_bn >/dev/null",
             tu_python(), script, models) != 0) {
    fprintf(stderr, "make_models.py failed\n");
    tu_rmrf(models);
    free(models);
    return EXIT_FAILURE;
  }

  Suite *s = suite_create("model");
  TCase *tc = tcase_create("model");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_video_matches_python);
  tcase_add_test(tc, test_slowfast_list);
  tcase_add_test(tc, test_other_layouts);
  tcase_add_test(tc, test_tuple_output);
  tcase_add_test(tc, test_model_raises);
  tcase_add_test(tc, test_load_errors);
  tcase_add_test(tc, test_devices);
  tcase_add_test(tc, test_half_on_cpu);
  tcase_add_test(tc, test_optimized_matches_python);
  tcase_add_test(tc, test_bad_forward_args);
  tcase_add_test(tc, test_pickle_tensor);
  tcase_add_test(tc, test_threads);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  tu_rmrf(models);
  free(models);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
