/*
 * test_model_variants.c - model_forward's choice of module variant (as
 * saved, frozen, optimised) per input shape: a variant that fails or
 * differs is dropped for that shape, the decision is cached and said once,
 * a cached variant that fails later is dropped, and an error of the module
 * as saved is reported as the model's. Runs with CK_FORK=no (libtorch in
 * the test process).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ego4dfeat/ego4dfeat.h"
#include "model/model.h"
#include "testutil.h"

static char *dir;

/* Models made with Debian's torch: PoolNotDividing's AdaptiveAvgPool2d
 * (5x5) does not divide 56x56, which oneDNN refuses once optimised;
 * Switch pools 55x55 of its 56x56 input, or all 56x56 when the first pixel
 * is over 50, so its optimised form works until then; Noisy adds torch.rand, so
 * no variant gives the saved module's numbers; Plain pools 4x4, which all run;
 * Picky refuses windows other than 56x56 itself. */
static const char models_py[] =
    "import sys, torch\n"
    "from torch import nn\n"
    "class PoolNotDividing(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        torch.manual_seed(3)\n"
    "        self.conv = nn.Conv2d(3, 4, 3, padding=1)\n"
    "        self.pool = nn.AdaptiveAvgPool2d((5, 5))\n"
    "    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
    "        return torch.flatten(self.pool(torch.relu(self.conv(x.squeeze(2)"
    "))), 1)\n"
    "class Switch(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        torch.manual_seed(4)\n"
    "        self.conv = nn.Conv2d(3, 4, 3, padding=1)\n"
    "        self.pool = nn.AdaptiveAvgPool2d((5, 5))\n"
    "    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
    "        n = 55\n"
    "        if bool(x[0, 0, 0, 0, 0] > 50.0):\n"
    "            n = 56\n"
    "        y = torch.relu(self.conv(x[:, :, 0, :n, :n]))\n"
    "        return torch.flatten(self.pool(y), 1)\n"
    "class Noisy(nn.Module):\n"
    "    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
    "        return x.mean([1, 2, 3, 4]).unsqueeze(1) + torch.rand(x.size(0), "
    "4)\n"
    "class Plain(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        torch.manual_seed(5)\n"
    "        self.conv = nn.Conv2d(3, 4, 3, padding=1)\n"
    "        self.pool = nn.AdaptiveAvgPool2d((4, 4))\n"
    "    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
    "        return torch.flatten(self.pool(torch.relu(self.conv(x.squeeze(2)"
    "))), 1)\n"
    "class Picky(nn.Module):\n"
    "    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
    "        if x.size(3) != 56:\n"
    "            raise ValueError('expected 56x56 windows')\n"
    "        return x.mean([2, 3, 4])\n"
    "for cls in (PoolNotDividing, Switch, Noisy, Plain, Picky):\n"
    "    torch.jit.script(cls().eval()).save(sys.argv[1] + '/' + "
    "cls.__name__ + '.pt')\n";

/* The warnings the library said, one per line. */
static char logged[8192];
static int n_logged;

static void capture(int level, const char *message, void *user) {
  (void)user;
  if (level != EF_LOG_WARNING)
    return;
  size_t used = strlen(logged);
  snprintf(logged + used, sizeof logged - used, "%s\n", message);
  n_logged++;
}

/* Once for all tests (CK_FORK=no: one process). */
static void make_models(void) {
  dir = tu_tmpdir();
  ck_assert_ptr_nonnull(dir);
  char *script = tu_path(dir, "models.py");
  ck_assert_int_eq(tu_write_file(script, models_py), 0);
  ck_assert_int_eq(tu_run("%s %s %s", tu_python(), script, dir), 0);
  free(script);
}

static void remove_models(void) {
  tu_rmrf(dir);
  free(dir);
}

static void setup(void) {
  logged[0] = '\0';
  n_logged = 0;
  ef_log_set_callback(capture, NULL);
}

static void teardown(void) {
  ef_log_set_callback(NULL, NULL);
}

/* An image model (kind image, [B,3,1,H,W]) loaded from dir/<name>.pt. */
static ef_model *load(const char *name, int optimize) {
  char text[4096];
  ef_config *cfg = NULL;
  ef_model *m = NULL;
  snprintf(text, sizeof text, "%s/configs", tu_source_root());
  ck_assert_int_eq(ef_config_load(text, "omnivore_image", &cfg), EF_OK);
  snprintf(text, sizeof text, "model_config.model_path=%s/%s.pt", dir, name);
  ck_assert_int_eq(ef_config_override(cfg, text), EF_OK);
  ck_assert_int_eq(ef_config_override(cfg, "inference_config.device=cpu"),
                   EF_OK);
  ck_assert_int_eq(ef_config_override(cfg, optimize
                                               ? "model_config.optimize=true"
                                               : "model_config.optimize=false"),
                   EF_OK);
  ck_assert_msg(ef_model_load(cfg, &m) == EF_OK, "%s", ef_last_error());
  ef_config_free(cfg);
  return m;
}

/* b windows [3,1,side,side] with structure in every axis; the first pixel
 * of window 0 is `first`. */
static float *windows(int64_t b, int64_t side, float first, window_batch *wb) {
  size_t n = (size_t)(b * 3 * side * side);
  float *data = malloc(n * sizeof *data);
  ck_assert_ptr_nonnull(data);
  for (size_t i = 0; i < n; i++)
    data[i] = (float)sin(0.37 * (double)i) + (float)(i % 7) * 0.1f;
  data[0] = first;
  memset(wb, 0, sizeof *wb);
  wb->data = data;
  wb->b = b;
  wb->ndim = 4;
  wb->shape[0] = 3;
  wb->shape[1] = 1;
  wb->shape[2] = side;
  wb->shape[3] = side;
  return data;
}

static efs_output forward_ok(ef_model *m, const window_batch *wb) {
  efs_output out;
  efs_timing t = {0, 0};
  int rc = model_forward(m, wb, &out, &t);
  ck_assert_msg(rc == EF_OK, "%s", ef_last_error());
  ck_assert(t.forward > 0);
  return out;
}

static double max_abs_diff(const efs_output *a, const efs_output *b) {
  ck_assert_int_eq(a->ndim, b->ndim);
  size_t n = 1;
  for (int d = 0; d < a->ndim; d++) {
    ck_assert_int_eq(a->shape[d], b->shape[d]);
    n *= (size_t)a->shape[d];
  }
  double worst = 0;
  for (size_t i = 0; i < n; i++)
    worst = fmax(worst, fabs((double)a->data[i] - (double)b->data[i]));
  return worst;
}

/* The output of the module as saved (optimisation off) for this batch. */
static efs_output saved_output(const char *name, const window_batch *wb) {
  ef_model *plain = load(name, 0);
  efs_output out = forward_ok(plain, wb);
  ck_assert_int_eq(plain->n_choices, 0); /* nothing to decide */
  ef_model_free(plain);
  return out;
}

START_TEST(test_refused_variant_falls_back_to_frozen_once) {
  window_batch wb;
  float *data = windows(2, 56, 0.5f, &wb);
  efs_output want = saved_output("PoolNotDividing", &wb);
  ef_model *m = load("PoolNotDividing", 1);
  ck_assert_int_eq(efs_module_optimized(m->module), 1);
  ck_assert_int_eq(n_logged, 0);

  efs_output got = forward_ok(m, &wb);
  ck_assert_double_le(max_abs_diff(&got, &want), 1e-5);
  ck_assert_int_eq(m->n_choices, 1);
  ck_assert_int_eq(m->choices[0].variant, EFS_FROZEN);
  ck_assert_int_eq(n_logged, 1);
  ck_assert_msg(strstr(logged, "[2,3,1,56,56] input") &&
                    strstr(logged, "optimised module fails") &&
                    strstr(logged, "not divisible") &&
                    strstr(logged, "running it frozen only"),
                "%s", logged);
  free(got.data);

  /* The same shape again: decided, nothing more said. */
  got = forward_ok(m, &wb);
  ck_assert_double_le(max_abs_diff(&got, &want), 1e-5);
  ck_assert_int_eq(m->n_choices, 1);
  ck_assert_int_eq(n_logged, 1);
  free(got.data);

  /* A shorter last batch is a shape of its own; the fallback is said once
   * per model, not per shape. */
  window_batch one = wb;
  one.b = 1;
  got = forward_ok(m, &one);
  ck_assert_int_eq(m->n_choices, 2);
  ck_assert_int_eq(m->choices[1].variant, EFS_FROZEN);
  ck_assert_int_eq(n_logged, 1);
  free(got.data);

  /* 60x60 divides into 5x5: oneDNN runs that shape, optimised. */
  window_batch even;
  float *even_data = windows(1, 60, 0.5f, &even);
  got = forward_ok(m, &even);
  ck_assert_int_eq(m->n_choices, 3);
  ck_assert_int_eq(m->choices[2].variant, EFS_OPTIMIZED);
  ck_assert_int_eq(n_logged, 1);
  free(got.data);
  free(even_data);

  ef_model_free(m);
  free(want.data);
  free(data);
}
END_TEST

START_TEST(test_variant_that_differs_runs_as_saved) {
  window_batch wb;
  float *data = windows(3, 8, 0.5f, &wb);
  ef_model *m = load("Noisy", 1);
  efs_output got = forward_ok(m, &wb);
  ck_assert_int_eq(m->n_choices, 1);
  ck_assert_int_eq(m->choices[0].variant, EFS_SAVED);
  ck_assert_int_eq(n_logged, 1);
  ck_assert_msg(strstr(logged, "optimised module differs") &&
                    strstr(logged, "frozen module differs") &&
                    strstr(logged, "running it as saved"),
                "%s", logged);
  ck_assert_int_eq(got.ndim, 2);
  ck_assert_int_eq(got.shape[0], 3);
  ck_assert_int_eq(got.shape[1], 4);
  free(got.data);
  ef_model_free(m);
  free(data);
}
END_TEST

START_TEST(test_cached_variant_that_fails_later_is_dropped) {
  window_batch wb;
  float *data = windows(2, 56, 0.5f, &wb);
  ef_model *m = load("Switch", 1);
  efs_output got = forward_ok(m, &wb);
  ck_assert_int_eq(m->choices[0].variant, EFS_OPTIMIZED);
  ck_assert_int_eq(n_logged, 0);
  free(got.data);

  /* Same shape, but now the branch oneDNN refuses. */
  data[0] = 99.0f;
  efs_output want = saved_output("Switch", &wb);
  got = forward_ok(m, &wb);
  ck_assert_double_le(max_abs_diff(&got, &want), 1e-5);
  ck_assert_int_eq(m->n_choices, 1);
  ck_assert_int_eq(m->choices[0].variant, EFS_FROZEN);
  ck_assert_int_eq(n_logged, 1);
  ck_assert_msg(strstr(logged, "running it frozen only"), "%s", logged);
  free(got.data);
  free(want.data);
  ef_model_free(m);
  free(data);
}
END_TEST

START_TEST(test_matching_variant_runs_silently) {
  window_batch wb;
  float *data = windows(2, 56, 0.5f, &wb);
  efs_output want = saved_output("Plain", &wb);
  ef_model *m = load("Plain", 1);
  for (int pass = 0; pass < 2; pass++) {
    efs_output got = forward_ok(m, &wb);
    ck_assert_double_le(max_abs_diff(&got, &want), 1e-5);
    free(got.data);
  }
  ck_assert_int_eq(m->n_choices, 1);
  ck_assert_int_eq(m->choices[0].variant, EFS_OPTIMIZED);
  ck_assert_int_eq(n_logged, 0);
  ef_model_free(m);
  free(want.data);
  free(data);
}
END_TEST

START_TEST(test_saved_module_error_is_the_models_own) {
  window_batch wb;
  float *data = windows(1, 40, 0.5f, &wb);
  ef_model *m = load("Picky", 1);
  efs_output out;
  efs_timing t = {0, 0};
  ck_assert_int_eq(model_forward(m, &wb, &out, &t), EF_EMODEL);
  ck_assert_msg(strstr(ef_last_error(), "failed on a [1,3,1,40,40] input") &&
                    strstr(ef_last_error(), "expected 56x56 windows"),
                "%s", ef_last_error());
  ck_assert_int_eq(m->n_choices, 0); /* nothing decided */
  ck_assert_int_eq(n_logged, 0);
  ck_assert_ptr_null(out.data);
  ef_model_free(m);
  free(data);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("model_variants");
  TCase *tc = tcase_create("choice");
  tcase_add_unchecked_fixture(tc, make_models, remove_models);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_refused_variant_falls_back_to_frozen_once);
  tcase_add_test(tc, test_variant_that_differs_runs_as_saved);
  tcase_add_test(tc, test_cached_variant_that_fails_later_is_dropped);
  tcase_add_test(tc, test_matching_variant_runs_silently);
  tcase_add_test(tc, test_saved_module_error_is_the_models_own);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
