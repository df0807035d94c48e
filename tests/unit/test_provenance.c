/*
 * test_provenance.c - window-times files, fingerprint texts and files,
 * the provenance check, reading feature files back, and the HDF5 merge.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/settings.h"
#include "ego4dfeat/ego4dfeat.h"
#include "output/fingerprint.h"
#include "output/h5file.h"
#include "output/provenance.h"
#include "output/write.h"
#include "output/write_internal.h"
#include "output/write_times.h"
#include "testutil.h"

static char *g_dir;

static void setup(void) {
  g_dir = tu_tmpdir();
  ck_assert_ptr_nonnull(g_dir);
}

static void teardown(void) {
  tu_rmrf(g_dir);
  free(g_dir);
}

START_TEST(test_times_roundtrip_and_truncation) {
  char *p = write_times_path(g_dir, "v1");
  ck_assert(strstr(p, "/v1.times.npy") != NULL);
  const double s[3] = {0, 0.5, 7.0 / 30}, e[3] = {1, 1.5, 39.0 / 30};
  ck_assert_int_eq(write_times(p, s, e, 3), EF_OK);
  ck_assert_int_eq(write_times_rows(p), 3);
  double *rs, *re;
  int64_t n;
  ck_assert_int_eq(write_times_read(p, &rs, &re, &n), EF_OK);
  ck_assert_int_eq(n, 3);
  for (int i = 0; i < 3; i++) {
    ck_assert(rs[i] == s[i]); /* bit-exact: float64 all the way */
    ck_assert(re[i] == e[i]);
  }
  free(rs);
  free(re);
  ck_assert_int_eq(truncate(p, 100), 0);
  ck_assert_int_eq(write_times_rows(p), -1);
  ck_assert_int_eq(write_times_read(p, &rs, &re, &n), EF_EINVAL);
  ck_assert(strstr(ef_last_error(), "v1.times.npy") != NULL);
  /* A float32 features file is not a times file. */
  const float f[2] = {1, 2};
  const int64_t shape[2] = {1, 2};
  ck_assert_int_eq(write_features(p, EF_FORMAT_NPY, f, shape, 2), EF_OK);
  ck_assert_int_eq(write_times_rows(p), -1);
  ck_assert_int_eq(write_times(p, s, e, 0), EF_EINVAL);
  free(p);
}
END_TEST

START_TEST(test_fingerprint_text_and_diff) {
  char hex[FINGERPRINT_HEX_LEN + 1];
  fingerprint_sha256("abc", 3, hex);
  ck_assert_str_eq(
      hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  char *m = tu_path(g_dir, "m.pt");
  ck_assert_int_eq(tu_write_file(m, "abc"), 0);
  ck_assert_int_eq(fingerprint_file_sha256(m, hex), EF_OK);
  ck_assert_str_eq(
      hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  char *gone = tu_path(g_dir, "gone.pt");
  ck_assert_int_eq(fingerprint_file_sha256(gone, hex), EF_EIO);
  ck_assert(strstr(ef_last_error(), "gone.pt") != NULL);

  char *d = fingerprint_diff("a: 1\nb: 2\nc: 3\n", "a: 1\nb: 5\nd: 4\n");
  ck_assert_str_eq(d, "b: 2 -> 5; d: (absent) -> 4; c: 3 -> (absent)");
  free(d);
  /* Hashes are cut. */
  d = fingerprint_diff("h: 0123456789abcdef0123\n",
                       "h: fedcba9876543210fedc\n");
  ck_assert_str_eq(d, "h: 0123456789abcdef... -> fedcba9876543210...");
  free(d);

  /* Settings that do not change features are not in the text. */
  ef_config *cfg;
  char *configs = tu_path(tu_source_root(), "configs");
  ck_assert_int_eq(ef_config_load(configs, "slowfast_r101_8x8", &cfg), EF_OK);
  free(configs);
  ef_settings s1, s2;
  ck_assert_int_eq(settings_load(cfg, &s1), EF_OK);
  ck_assert_int_eq(ef_config_override(cfg, "inference_config.batch_size=7"),
                   EF_OK);
  ck_assert_int_eq(ef_config_override(cfg, "io.out_path=/elsewhere"), EF_OK);
  ck_assert_int_eq(settings_load(cfg, &s2), EF_OK);
  char *t1, *t2;
  ck_assert_int_eq(fingerprint_run_text(&s1, hex, &t1), EF_OK);
  ck_assert_int_eq(fingerprint_run_text(&s2, hex, &t2), EF_OK);
  ck_assert_str_eq(t1, t2);
  ck_assert(strstr(t1, "model_config.slowfast_alpha: 4\n") != NULL);
  ck_assert(strstr(t1, "model_config.model_sha256: ba7816bf") != NULL);
  free(t2);
  settings_free(&s2);
  ck_assert_int_eq(ef_config_override(cfg, "model_config.crop_size=224"),
                   EF_OK);
  ck_assert_int_eq(settings_load(cfg, &s2), EF_OK);
  ck_assert_int_eq(fingerprint_run_text(&s2, hex, &t2), EF_OK);
  d = fingerprint_diff(t1, t2);
  ck_assert_str_eq(d, "model_config.crop_size: 256 -> 224");
  free(d);
  char *v0 = fingerprint_video_text(t1, 0), *v1 = fingerprint_video_text(t1, 1);
  ck_assert(strcmp(v0, v1) != 0);
  free(v0);
  free(v1);
  free(t1);
  free(t2);
  settings_free(&s1);
  settings_free(&s2);
  ef_config_free(cfg);
  free(m);
  free(gone);
}
END_TEST

START_TEST(test_check_states_and_write_order) {
  char *out = write_output_path(g_dir, "v", EF_FORMAT_PT);
  char *times = write_times_path(g_dir, "v");
  char *fp = provenance_fp_path(g_dir, "v");
  ck_assert(strstr(fp, "/v.fp") != NULL);
  const float f[4] = {1, 2, 3, 4};
  const int64_t shape[2] = {2, 2};
  const double s[2] = {0, 1}, e[2] = {2, 3};
  char *why = NULL;
  ck_assert_int_eq(
      provenance_check(out, EF_FORMAT_PT, times, fp, "k: 1\n", 0, &why),
      PROV_TODO);
  ck_assert_int_eq(provenance_write_output(out, EF_FORMAT_PT, times, fp,
                                           "k: 1\nstereo: whole frame\n", f,
                                           shape, 2, s, e),
                   EF_OK);
  ck_assert_int_eq(provenance_check(out, EF_FORMAT_PT, times, fp,
                                    "k: 1\nstereo: whole frame\n", 0, &why),
                   PROV_DONE);
  ck_assert_ptr_null(why);
  /* The scheduler's check, without the stereo line. */
  ck_assert_int_eq(
      provenance_check(out, EF_FORMAT_PT, times, fp, "k: 1\n", 1, &why),
      PROV_DONE);
  ck_assert_int_eq(provenance_check(out, EF_FORMAT_PT, times, fp,
                                    "k: 2\nstereo: whole frame\n", 0, &why),
                   PROV_MISMATCH);
  ck_assert(strstr(why, "k: 1 -> 2") != NULL);
  ck_assert(strstr(why, out) != NULL);
  free(why);
  /* With a fingerprint but without times, features are not complete. */
  ck_assert_int_eq(unlink(times), 0);
  ck_assert_int_eq(provenance_check(out, EF_FORMAT_PT, times, fp,
                                    "k: 1\nstereo: whole frame\n", 0, &why),
                   PROV_TODO);
  ck_assert_int_eq(provenance_write_output(out, EF_FORMAT_PT, times, fp,
                                           "k: 1\nstereo: whole frame\n", f,
                                           shape, 2, s, e),
                   EF_OK);
  /* An edited fingerprint file is damaged. */
  size_t len;
  char *text = tu_read_file(fp, &len);
  text[len - 2] = 'X';
  ck_assert_int_eq(tu_write_file(fp, text), 0);
  free(text);
  ck_assert_int_eq(provenance_check(out, EF_FORMAT_PT, times, fp,
                                    "k: 1\nstereo: whole frame\n", 0, &why),
                   PROV_MISMATCH);
  ck_assert(strstr(why, "damaged fingerprint") != NULL);
  free(why);
  ck_assert_int_eq(unlink(fp), 0);
  ck_assert_int_eq(
      provenance_check(out, EF_FORMAT_PT, times, fp, "k: 1\n", 0, &why),
      PROV_LEGACY);
  ck_assert(strstr(why, "has no fingerprint") != NULL);
  free(why);
  /* An older version's output has neither: still of unknown origin. */
  ck_assert_int_eq(unlink(times), 0);
  ck_assert_int_eq(
      provenance_check(out, EF_FORMAT_PT, times, fp, "k: 1\n", 0, &why),
      PROV_LEGACY);
  free(why);
  /* A failed write (times into a missing folder) leaves no features. */
  char *bad_times = tu_path(g_dir, "missing/v.times.npy");
  ck_assert_int_ne(provenance_write_output(out, EF_FORMAT_PT, bad_times, fp,
                                           "k: 1\n", f, shape, 2, s, e),
                   EF_OK);
  ck_assert_int_ne(access(out, F_OK), 0);
  free(bad_times);
  free(out);
  free(times);
  free(fp);
}
END_TEST

START_TEST(test_read_features_back) {
  const float f[6] = {1, -2, 3.5f, 4, 5, 6};
  const int64_t shape[3] = {1, 3, 2};
  for (int k = 0; k < 2; k++) {
    ef_out_format fmt = k ? EF_FORMAT_NPY : EF_FORMAT_PT;
    char *p = write_output_path(g_dir, "r", fmt);
    ck_assert_int_eq(write_features(p, fmt, f, shape, 3), EF_OK);
    float *d;
    int64_t got[WRITE_MAX_DIMS];
    int nd;
    ck_assert_int_eq(k ? write_npy_read(p, &d, got, &nd)
                       : write_pt_read(p, &d, got, &nd),
                     EF_OK);
    ck_assert_int_eq(nd, 3);
    ck_assert(got[0] == 1 && got[1] == 3 && got[2] == 2);
    ck_assert(memcmp(d, f, sizeof f) == 0);
    free(d);
    ck_assert_int_eq(truncate(p, 90), 0);
    ck_assert_int_eq(k ? write_npy_read(p, &d, got, &nd)
                       : write_pt_read(p, &d, got, &nd),
                     EF_EINVAL);
    ck_assert(strstr(ef_last_error(), p) != NULL);
    free(p);
  }
}
END_TEST

START_TEST(test_hdf5_merge_keeps_and_replaces) {
  const float f[2] = {1, 2};
  const int64_t shape[2] = {1, 2};
  const double s = 0, e = 1;
  const char *uids[] = {"a", "b"};
  for (int i = 0; i < 2; i++) {
    char *o = write_output_path(g_dir, uids[i], EF_FORMAT_NPY);
    char *t = write_times_path(g_dir, uids[i]);
    char *p = provenance_fp_path(g_dir, uids[i]);
    ck_assert_int_eq(provenance_write_output(o, EF_FORMAT_NPY, t, p, "k: 1\n",
                                             f, shape, 2, &s, &e),
                     EF_OK);
    free(o);
    free(t);
    free(p);
  }
  /* An unfinished part (fingerprint only) is left out, or refused. */
  char *lone = provenance_fp_path(g_dir, "c");
  ck_assert_int_eq(tu_write_file(lone, "x"), 0);
  char *cnpy = write_output_path(g_dir, "c", EF_FORMAT_NPY);
  ck_assert_int_eq(write_features(cnpy, EF_FORMAT_NPY, f, shape, 2), EF_OK);
  out_part *parts;
  size_t n;
  ck_assert_int_eq(parts_scan(g_dir, 1, &parts, &n), EF_EINVAL);
  ck_assert(strstr(ef_last_error(), "c.npy has no complete window times"));
  ck_assert_int_eq(parts_scan(g_dir, 0, &parts, &n), EF_OK);
  ck_assert_uint_eq(n, 2);
  char *h5 = tu_path(g_dir, "x.h5");
  ck_assert_int_eq(h5file_merge(h5, parts, n, g_dir, 0), EF_OK);
  char **u, **texts;
  size_t m;
  ck_assert_int_eq(h5file_index(h5, &u, &texts, &m), EF_OK);
  ck_assert_uint_eq(m, 2);
  ck_assert_str_eq(u[0], "a");
  ck_assert_str_eq(texts[1], "k: 1\n");
  h5file_index_free(u, texts, m);
  /* Merging only b again keeps a. */
  ck_assert_int_eq(h5file_merge(h5, parts + 1, 1, g_dir, 0), EF_OK);
  ck_assert_int_eq(h5file_index(h5, &u, &texts, &m), EF_OK);
  ck_assert_uint_eq(m, 2);
  h5file_index_free(u, texts, m);
  parts_free(parts, n);
  /* Not an HDF5 file: an error naming it, never overwritten. */
  ck_assert_int_eq(tu_write_file(h5, "junk"), 0);
  ck_assert_int_eq(h5file_index(h5, &u, &texts, &m), EF_EINVAL);
  ck_assert(strstr(ef_last_error(), "x.h5") != NULL);
  ck_assert_int_eq(parts_scan(g_dir, 0, &parts, &n), EF_OK);
  ck_assert_int_eq(h5file_merge(h5, parts, n, g_dir, 0), EF_EINVAL);
  parts_free(parts, n);
  size_t len;
  char *junk = tu_read_file(h5, &len);
  ck_assert_str_eq(junk, "junk");
  free(junk);
  ck_assert(strstr(ef_last_error(), "x.h5: not an ego4dfeat features file"));
  free(h5);
  free(lone);
  free(cnpy);
}
END_TEST

int main(void) {
  Suite *s = suite_create("provenance");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_times_roundtrip_and_truncation);
  tcase_add_test(tc, test_fingerprint_text_and_diff);
  tcase_add_test(tc, test_check_states_and_write_order);
  tcase_add_test(tc, test_read_features_back);
  tcase_add_test(tc, test_hdf5_merge_keeps_and_replaces);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
