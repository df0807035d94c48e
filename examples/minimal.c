/*
 * minimal.c - the smallest complete use of libego4dfeat: the features of
 * one video. Usage: minimal CONFIG.yaml VIDEO [override ...]
 * Prints the feature shape and the first values of the first window.
 */
#include <ego4dfeat/ego4dfeat.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s CONFIG.yaml VIDEO [override ...]\n", argv[0]);
    return 2;
  }
  char dir[4096]; /* CONFIG.yaml -> its folder and its name */
  snprintf(dir, sizeof dir, "%s", argv[1]);
  char *slash = strrchr(dir, '/');
  const char *name = slash ? slash + 1 : dir;
  if (slash)
    *slash = '\0';
  ef_config *cfg = NULL;
  ef_model *model = NULL;
  ef_results *res = NULL;
  int rc = ef_config_load(slash ? (slash == dir ? "/" : dir) : ".", name, &cfg);
  for (int i = 3; rc == EF_OK && i < argc; i++)
    rc = ef_config_override(cfg, argv[i]);
  if (rc == EF_OK)
    rc = ef_model_load(cfg, &model);
  const char *videos[] = {argv[2]};
  ef_params params;
  if (rc == EF_OK)
    rc = ef_params_init(&params, sizeof params);
  if (rc == EF_OK)
    rc = ef_extract_features(model, cfg, videos, 1, &params, &res);
  if (rc == EF_OK) {
    int64_t dims[8];
    int nd = ef_results_shape(res, 0, dims, 8);
    long long row = 1;
    printf("shape:");
    for (int d = 0; d < nd && d < 8; d++) {
      printf(" %lld", (long long)dims[d]);
      row *= d > 0 ? dims[d] : 1;
    }
    const float *f = ef_results_data(res, 0);
    printf("\nwindow 0: %.6f s to %.6f s\nfirst:",
           ef_results_window_starts(res, 0)[0],
           ef_results_window_ends(res, 0)[0]);
    for (long long i = 0; i < row && i < 8; i++)
      printf(" %.7g", f[i]);
    printf("\n");
  } else if (rc == EF_EPARTIAL) {
    fprintf(stderr, "%s: %s\n", argv[2], ef_results_error(res, 0));
  } else {
    fprintf(stderr, "error: %s\n", ef_last_error());
  }
  ef_results_free(res);
  ef_model_free(model);
  ef_config_free(cfg);
  return rc == EF_OK ? 0 : 1;
}
