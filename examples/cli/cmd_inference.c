/*
 * cmd_inference.c - `ego4dfeat inference`: the reference's sanity check of
 * a classifier-head model. Picks random examples of a Kinetics-400
 * (<dir>/<set>/<class>/<video>) or ImageNet (<dir>/<set>/<wnid>/<image>)
 * folder, averages each example's logits over its windows, applies
 * softmax, prints the top-k classes, and the top-1 / top-k accuracy.
 *
 * Examples are drawn without replacement, class first then file, both
 * uniformly, from name-sorted listings, with SplitMix64 seeded by +seed and
 * bounded by rejection: the same seed and folder give the same examples on
 * every machine.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "labels.h"
#include "util/path.h"

#define MSG_LEN 512

typedef struct {
  char *name;   /* folder name */
  char **files; /* full paths, sorted by name */
  size_t n, left;
} class_dir;

typedef struct {
  class_dir *classes;
  size_t n;
} dataset;

typedef struct {
  const char *type, *dir, *set;
  int64_t seed, top_k, num_examples;
  int seed_given;
} options;

void cmd_inference_help(FILE *f) {
  fprintf(f,
          "usage: ego4dfeat inference --config-name NAME [options] "
          "+dataset_type=k400|imagenet\n"
          "       +dataset_dir=DIR [+set_to_use=val] [+seed=S] [+top_k=K] "
          "[+num_examples=N] [overrides...]\n\n"
          "Runs the config's classifier-head model on N random examples of "
          "DIR/SET/<class>/<file>\n(videos for k400, images for imagenet), "
          "averages each example's logits over its\nwindows, applies softmax "
          "and prints the top K classes, then the top-1 / top-K\naccuracy. "
          "Class names come from model_config.labels_path or a file next to "
          "the\nmodel (<model>.labels.txt or <model>.labels.json); an "
          "ImageNet DIR/labels.txt\n(\"<folder>,<name>\" lines) names the "
          "folders. The same +seed picks the same\nexamples. Defaults: "
          "set_to_use val, num_examples 5, top_k 2, seed from the clock.\n\n"
          "options:\n%s",
          cli_common_help);
}

/* ---- The dataset folder ------------------------------------------------- */

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_strings(char **v, size_t n) {
  for (size_t i = 0; v && i < n; i++)
    free(v[i]);
  free(v);
}

/* The sorted names in dir that are folders (want_dirs) or regular files,
 * skipping dotfiles. Returns 0, or -1 with a message. */
static int list_dir(const char *dir, int want_dirs, char ***out, size_t *n,
                    char *msg) {
  *out = NULL;
  *n = 0;
  DIR *d = opendir(dir);
  if (!d) {
    snprintf(msg, MSG_LEN, "cannot open folder '%s'", dir);
    return -1;
  }
  size_t cap = 0;
  struct dirent *e;
  int rc = 0;
  while ((e = readdir(d)) && rc == 0) {
    if (e->d_name[0] == '.')
      continue;
    char *full = path_join(dir, e->d_name);
    struct stat st;
    if (full && stat(full, &st) == 0 &&
        (want_dirs ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode))) {
      if (*n == cap) {
        char **grown = realloc(*out, (cap = cap ? 2 * cap : 64) * sizeof **out);
        if (grown)
          *out = grown;
        else
          rc = -1;
      }
      if (rc == 0) {
        /* Folders by name, files by path (then owned by the list). */
        (*out)[(*n)++] = want_dirs ? strdup(e->d_name) : full;
        if (!want_dirs)
          full = NULL;
        if (!(*out)[*n - 1])
          rc = -1;
      }
    }
    free(full);
  }
  closedir(d);
  if (rc != 0) {
    snprintf(msg, MSG_LEN, "out of memory listing '%s'", dir);
    free_strings(*out, *n);
    *out = NULL;
    *n = 0;
    return -1;
  }
  qsort(*out, *n, sizeof **out, cmp_str);
  return 0;
}

static void dataset_free(dataset *d) {
  for (size_t i = 0; i < d->n; i++) {
    free(d->classes[i].name);
    free_strings(d->classes[i].files, d->classes[i].n);
  }
  free(d->classes);
  memset(d, 0, sizeof *d);
}

/* <root>/<class>/<file>: every class folder and its files. */
static int dataset_load(const char *root, dataset *d, char *msg) {
  char **names;
  size_t n;
  memset(d, 0, sizeof *d);
  if (list_dir(root, 1, &names, &n, msg) != 0)
    return -1;
  if (!(d->classes = calloc(n ? n : 1, sizeof *d->classes))) {
    free_strings(names, n);
    snprintf(msg, MSG_LEN, "out of memory");
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    class_dir *c = &d->classes[d->n++];
    c->name = names[i];
    names[i] = NULL;
    char *sub = path_join(root, c->name);
    int rc = sub ? list_dir(sub, 0, &c->files, &c->n, msg) : -1;
    free(sub);
    if (rc != 0) {
      free_strings(names, n);
      dataset_free(d);
      return -1;
    }
    c->left = c->n;
  }
  free_strings(names, n);
  return 0;
}

/* ---- Seeded picks ---------------------------------------------------------
 */

/* SplitMix64 (Steele, Lea, Flood 2014): one 64-bit state, any seed. */
static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0: draws above the last multiple of n are
 * rejected, so there is no modulo bias. */
static size_t uniform_below(uint64_t *state, size_t n) {
  uint64_t limit = UINT64_MAX - UINT64_MAX % n, x;
  do
    x = splitmix64(state);
  while (x >= limit);
  return (size_t)(x % n);
}

/* Up to `want` examples without replacement: a class uniformly among those
 * with files left, then one of its files left uniformly (moved to the end
 * of its list). Writes the class of each pick and returns how many. */
static size_t pick_examples(dataset *d, uint64_t seed, size_t want, size_t *cls,
                            const char **paths) {
  uint64_t state = seed;
  size_t k = 0;
  for (; k < want; k++) {
    size_t live = 0;
    for (size_t i = 0; i < d->n; i++)
      live += d->classes[i].left > 0;
    if (live == 0)
      break;
    size_t r = uniform_below(&state, live), ci = 0;
    for (;; ci++)
      if (d->classes[ci].left > 0 && r-- == 0)
        break;
    class_dir *c = &d->classes[ci];
    size_t j = uniform_below(&state, c->left);
    char *tmp = c->files[j];
    c->files[j] = c->files[c->left - 1];
    c->files[--c->left] = tmp;
    cls[k] = ci;
    paths[k] = tmp;
  }
  return k;
}

/* ---- Options and labels ---------------------------------------------------
 */

static int opt_string(const ef_config *cfg, const char *key, const char *def,
                      const char **out) {
  *out = def;
  int rc = ef_config_get_string(cfg, key, out);
  if (rc == EF_ENOTFOUND) {
    *out = def;
    return 0;
  }
  if (rc != EF_OK) {
    cli_error("%s", ef_last_error());
    return 2;
  }
  return 0;
}

static int opt_int(const ef_config *cfg, const char *key, int64_t def,
                   int64_t *out, int *given) {
  int rc = ef_config_get_int(cfg, key, out);
  if (given)
    *given = rc == EF_OK;
  if (rc == EF_ENOTFOUND) {
    *out = def;
    return 0;
  }
  if (rc != EF_OK) {
    cli_error("%s", ef_last_error());
    return 2;
  }
  return 0;
}

static int read_options(const ef_config *cfg, options *o) {
  if (opt_string(cfg, "dataset_type", "k400", &o->type) ||
      opt_string(cfg, "dataset_dir", NULL, &o->dir) ||
      opt_string(cfg, "set_to_use", "val", &o->set) ||
      opt_int(cfg, "seed", 0, &o->seed, &o->seed_given) ||
      opt_int(cfg, "top_k", 2, &o->top_k, NULL) ||
      opt_int(cfg, "num_examples", 5, &o->num_examples, NULL))
    return 2;
  if (strcmp(o->type, "k400") != 0 && strcmp(o->type, "imagenet") != 0) {
    cli_error("+dataset_type must be k400 or imagenet, not '%s'", o->type);
    return 2;
  }
  if (!o->dir) {
    cli_error("+dataset_dir=DIR is required (the folder holding %s/)", o->set);
    return 2;
  }
  if (!o->seed_given)
    o->seed = (int64_t)time(NULL) ^ (int64_t)getpid();
  return 0;
}

/* The labels file: model_config.labels_path, else <model stem>.labels.txt
 * or .labels.json next to the model. Returns a malloc'd path, or NULL
 * after printing where it looked. */
static char *find_labels(const ef_config *cfg) {
  const char *p = NULL, *model = NULL;
  if (ef_config_get_string(cfg, "model_config.labels_path", &p) == EF_OK)
    return strdup(p);
  if (ef_config_get_string(cfg, "model_config.model_path", &model) != EF_OK) {
    cli_error("model_config.model_path is not set");
    return NULL;
  }
  const char *slash = strrchr(model, '/'), *dot = strrchr(model, '.');
  size_t stem =
      dot && (!slash || dot > slash) ? (size_t)(dot - model) : strlen(model);
  static const char *const suffixes[] = {".labels.txt", ".labels.json"};
  for (size_t i = 0; i < 2; i++) {
    size_t n = stem + strlen(suffixes[i]) + 1;
    char *cand = malloc(n);
    if (!cand)
      break;
    snprintf(cand, n, "%.*s%s", (int)stem, model, suffixes[i]);
    if (access(cand, R_OK) == 0)
      return cand;
    free(cand);
  }
  cli_error("no class names for %s: set model_config.labels_path, or put "
            "%.*s.labels.txt (one name per line) next to the model",
            model, (int)stem, model);
  return NULL;
}

/* ---- Scoring ---------------------------------------------------------------
 */

/* Softmax of the logits averaged over the windows (rows) of one example. */
static void average_softmax(const float *rows, int64_t n_rows, size_t n_cls,
                            double *prob) {
  for (size_t c = 0; c < n_cls; c++)
    prob[c] = 0;
  for (int64_t r = 0; r < n_rows; r++)
    for (size_t c = 0; c < n_cls; c++)
      prob[c] += rows[(size_t)r * n_cls + c];
  double max = -INFINITY, sum = 0;
  for (size_t c = 0; c < n_cls; c++) {
    prob[c] /= (double)n_rows;
    max = prob[c] > max ? prob[c] : max;
  }
  for (size_t c = 0; c < n_cls; c++)
    sum += (prob[c] = exp(prob[c] - max));
  for (size_t c = 0; c < n_cls; c++)
    prob[c] /= sum;
}

/* The k most probable classes, best first (lower index on ties). */
static void top_k(const double *prob, size_t n_cls, size_t k, size_t *best) {
  for (size_t i = 0; i < k; i++) {
    size_t arg = n_cls;
    for (size_t c = 0; c < n_cls; c++) {
      int taken = 0;
      for (size_t j = 0; j < i; j++)
        taken |= best[j] == c;
      if (!taken && (arg == n_cls || prob[c] > prob[arg]))
        arg = c;
    }
    best[i] = arg;
  }
}

typedef struct {
  size_t known, hit1, hitk, failed;
} tally;

/* Prints one example's result and counts it. Returns 2 if the model's
 * output does not match the labels (a setup error), else 0. */
static int report(size_t i, size_t n, const char *path, const char *folder,
                  long truth, const label_set *labels, const ef_results *res,
                  size_t k, double *prob, size_t *best, tally *t) {
  int ok = ef_results_status(res, i) == EF_OK;
  int64_t dims[8];
  int nd = ok ? ef_results_shape(res, i, dims, 8) : 0;
  size_t n_cls = 1;
  for (int d = 1; d < nd && d < 8; d++)
    n_cls *= (size_t)dims[d];
  if (ok && (nd < 2 || n_cls != labels->n)) {
    cli_error("the model gives %zu values per window but there are %zu "
              "class names: is model_config.model_path a classifier-head "
              "model?",
              n_cls, labels->n);
    return 2;
  }
  printf("example %zu/%zu: %s\n", i + 1, n, path);
  if (truth >= 0)
    printf("  expected: %s\n", labels->items[truth].name);
  else
    printf("  expected: %s (not among the model's labels)\n", folder);
  if (!ok) {
    printf("  failed: %s\n", ef_results_error(res, i));
    t->failed++;
    return 0;
  }
  average_softmax(ef_results_data(res, i), dims[0], n_cls, prob);
  top_k(prob, n_cls, k, best);
  for (size_t j = 0; j < k; j++)
    printf("  - %s: %.2f%%\n", labels->items[best[j]].name,
           100.0 * prob[best[j]]);
  if (truth >= 0) {
    t->known++;
    t->hit1 += best[0] == (size_t)truth;
    for (size_t j = 0; j < k; j++)
      t->hitk += best[j] == (size_t)truth;
  }
  return 0;
}

static void print_accuracy(const tally *t, size_t k, int64_t seed) {
  if (t->known == 0) {
    printf("accuracy: no example's folder matched a class name\n");
  } else {
    printf("top-1 accuracy: %.2f%% (%zu/%zu); top-%zu accuracy: %.2f%% "
           "(%zu/%zu)\n",
           100.0 * (double)t->hit1 / (double)t->known, t->hit1, t->known, k,
           100.0 * (double)t->hitk / (double)t->known, t->hitk, t->known);
  }
  if (t->failed)
    printf("%zu example(s) failed\n", t->failed);
  printf("seed: %lld\n", (long long)seed);
}

/* ---- The command ----------------------------------------------------------
 */

/* What one `inference` run scores: the class names, the dataset and the
 * examples drawn from it. */
typedef struct {
  label_set labels;
  folder_map fmap;
  dataset ds;
  char *set_dir;
  size_t *cls;        /* each example's class folder in ds */
  const char **paths; /* each example's file */
  size_t n;
} examples;

static void examples_free(examples *ex) {
  free(ex->paths);
  free(ex->cls);
  dataset_free(&ex->ds);
  folder_map_free(&ex->fmap);
  labels_free(&ex->labels);
  free(ex->set_dir);
  memset(ex, 0, sizeof *ex);
}

/* Reads the labels and the dataset and draws the examples: 0, or 2 after
 * printing what is wrong (examples_free either way). */
static int examples_load(const ef_config *cfg, const options *o, examples *ex) {
  char msg[MSG_LEN];
  char *labels_path = find_labels(cfg), *fmap_path = NULL;
  int rc = 2;
  if (!labels_path)
    return 2;
  if (labels_load(labels_path, &ex->labels, msg, sizeof msg) != 0) {
    cli_error("%s", msg);
    goto done;
  }
  if (!(fmap_path = path_join(o->dir, "labels.txt")) ||
      !(ex->set_dir = path_join(o->dir, o->set))) {
    cli_error("out of memory");
    goto done;
  }
  if (folder_map_load(fmap_path, &ex->fmap, msg, sizeof msg) != 0 ||
      dataset_load(ex->set_dir, &ex->ds, msg) != 0) {
    cli_error("%s", msg);
    goto done;
  }
  size_t want = (size_t)o->num_examples;
  ex->cls = calloc(want, sizeof *ex->cls);
  ex->paths = calloc(want, sizeof *ex->paths);
  if (!ex->cls || !ex->paths) {
    cli_error("out of memory");
    goto done;
  }
  ex->n = pick_examples(&ex->ds, (uint64_t)o->seed, want, ex->cls, ex->paths);
  if (ex->n == 0) {
    cli_error("no examples in %s (expected %s/<class>/<file>)", ex->set_dir,
              ex->set_dir);
    goto done;
  }
  char count[64];
  if (ex->n < want)
    printf(
        "only %s in %s: using all of them\n",
        cli_count((long long)ex->n, "example", "examples", count, sizeof count),
        ex->set_dir);
  rc = 0;
done:
  free(fmap_path);
  free(labels_path);
  return rc;
}

/* Prints each example's top classes and the accuracy: 0, 1 if some
 * example failed, 2 if the model's outputs are not the labels' classes. */
static int score(const examples *ex, const ef_results *res, const options *o) {
  size_t n_cls = ex->labels.n;
  size_t k = (size_t)o->top_k < n_cls ? (size_t)o->top_k : n_cls;
  double *prob = calloc(n_cls, sizeof *prob);
  size_t *best = calloc(k, sizeof *best);
  int exit_code = 0;
  if (!prob || !best) {
    cli_error("out of memory");
    exit_code = 2;
  }
  tally t = {0};
  for (size_t i = 0; i < ex->n && exit_code == 0; i++) {
    const char *folder = ex->ds.classes[ex->cls[i]].name;
    long truth =
        labels_find(&ex->labels, folder, folder_map_get(&ex->fmap, folder));
    exit_code = report(i, ex->n, ex->paths[i], folder, truth, &ex->labels, res,
                       k, prob, best, &t);
  }
  if (exit_code == 0) {
    print_accuracy(&t, k, o->seed);
    exit_code = t.failed ? 1 : 0;
  }
  free(best);
  free(prob);
  return exit_code;
}

int cmd_inference(int argc, char **argv) {
  cli_args a;
  ef_config *cfg = NULL;
  ef_model *model = NULL;
  ef_results *res = NULL;
  progress *pr = NULL;
  examples ex = {0};
  options o;
  int exit_code = cli_parse(argc, argv, &a);
  if (exit_code != 0)
    goto done;
  if (a.help) {
    cmd_inference_help(stdout);
    goto done;
  }
  if ((exit_code = cli_load_config(&a, &cfg)) != 0 ||
      cli_print_config(&a, cfg, &exit_code) ||
      (exit_code = read_options(cfg, &o)) != 0 ||
      (exit_code = examples_load(cfg, &o, &ex)) != 0)
    goto done;
  exit_code = 1;
  if (ef_model_load(cfg, &model) != EF_OK) {
    cli_error("%s", ef_last_error());
    goto done;
  }
  pr = progress_create(a.quiet);
  ef_params params;
  if (ef_params_init(&params, sizeof params) != EF_OK) {
    cli_error("%s", ef_last_error());
    exit_code = 2;
    goto done;
  }
  params.progress = progress_callback();
  params.progress_user_data = pr;
  params.torch_threads = a.threads;
  int rc = ef_extract_features(model, cfg, ex.paths, ex.n, &params, &res);
  progress_free(pr);
  pr = NULL;
  if (rc != EF_OK && rc != EF_EPARTIAL) {
    cli_error("%s", ef_last_error());
    goto done;
  }
  exit_code = score(&ex, res, &o);
done:
  progress_free(pr);
  ef_results_free(res);
  ef_model_free(model);
  examples_free(&ex);
  ef_config_free(cfg);
  cli_args_free(&a);
  return exit_code;
}
