/*
 * config_schema.c - every valid config key with its type, the check of a
 * whole tree against them, and "did you mean" suggestions.
 */
#include "config/config_schema.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/settings.h"
#include "util/error.h"

#define PATH_MAX_LEN 512

static const char *const on_mismatch[] = {"refuse", "redo", "skip", NULL};
/* io.hdf5_compression: gzip alone is h5py's default level, 4. */
static const char *const hdf5_compressions[] = {
    "none",   "gzip",   "gzip-1", "gzip-2", "gzip-3", "gzip-4",
    "gzip-5", "gzip-6", "gzip-7", "gzip-8", "gzip-9", NULL};
static const char *const dataset_versions[] = {"ego4d", "egoexo", NULL};
static const char *const dtypes[] = {"float32", "float16", NULL};
static const char *const hwaccels[] = {"auto", "cuda", "none", NULL};
static const char *const interpolations[] = {"bilinear", "bicubic", NULL};

#define KEY(p, t)                                                              \
  { .path = (p), .type = (t) }
#define NULLABLE(p, t)                                                         \
  { .path = (p), .type = (t), .nullable = 1 }
#define AT_LEAST(p, m)                                                         \
  { .path = (p), .type = CFG_S_INT, .has_min = 1, .min = (m) }
#define CHOICE(p, c)                                                           \
  { .path = (p), .type = CFG_S_STR, .choices = (c) }

static const cfg_schema_entry schema[] = {
    KEY("fps", CFG_S_RATE),
    KEY("force_yes", CFG_S_BOOL),
    KEY("check_fv_count", CFG_S_BOOL),
    KEY("model_module_str", CFG_S_STR),
    /* The reference's command-line extras (+dataset_type=k400, ...) for the
     * sanity check and profiling. Listing them types them, and lets a
     * dumped config that holds them load again. */
    KEY("dataset_type", CFG_S_STR),
    KEY("dataset_dir", CFG_S_STR),
    KEY("set_to_use", CFG_S_STR),
    KEY("seed", CFG_S_INT),
    AT_LEAST("top_k", 1),
    AT_LEAST("num_examples", 1),
    KEY("profile", CFG_S_STR), /* a profile YAML for `schedule` */

    NULLABLE("io", CFG_S_MAP),
    KEY("io.filter_completed", CFG_S_BOOL),
    KEY("io.video_dir_path", CFG_S_STR),
    NULLABLE("io.ego4d_download_dir", CFG_S_STR),
    CHOICE("io.dataset_version", dataset_versions),
    NULLABLE("io.uid_list", CFG_S_LIST_STR),
    AT_LEAST("io.video_limit", -1),
    KEY("io.out_path", CFG_S_STR),
    CHOICE("io.out_format", settings_out_format_names),
    CHOICE("io.on_mismatch", on_mismatch),
    CHOICE("io.hdf5_compression", hdf5_compressions),
    KEY("io.debug_mode", CFG_S_BOOL),
    NULLABLE("io.debug_path", CFG_S_STR),
    KEY("io.exclude_no_audio", CFG_S_BOOL),
    KEY("io.seed", CFG_S_INT),
    /* Keys of the reference's Ego-Exo configs, accepted so those files
     * load unchanged. */
    NULLABLE("io.egoexo_data_dir", CFG_S_STR),
    NULLABLE("io.eligible_cam_prefixes", CFG_S_LIST_STR),

    NULLABLE("inference_config", CFG_S_MAP),
    KEY("inference_config.device", CFG_S_STR),
    CHOICE("inference_config.hwaccel", hwaccels),
    AT_LEAST("inference_config.batch_size", 1),
    AT_LEAST("inference_config.num_workers", 0),
    /* null in the reference's MAWS config (no worker processes). */
    NULLABLE("inference_config.prefetch_factor", CFG_S_INT),
    KEY("inference_config.fps", CFG_S_RATE),
    AT_LEAST("inference_config.frame_window", 1),
    AT_LEAST("inference_config.stride", 1),
    KEY("inference_config.include_audio", CFG_S_BOOL),
    KEY("inference_config.include_video", CFG_S_BOOL),
    NULLABLE("inference_config.norm_config", CFG_S_MAP),
    KEY("inference_config.norm_config.normalize_audio", CFG_S_BOOL),
    AT_LEAST("inference_config.norm_config.resample_audio_rate", 1),
    KEY("inference_config.norm_config.resampling_method", CFG_S_STR),

    NULLABLE("schedule_config", CFG_S_MAP),
    KEY("schedule_config.run_locally", CFG_S_BOOL),
    KEY("schedule_config.log_folder", CFG_S_STR),
    KEY("schedule_config.timeout_min", CFG_S_INT),
    NULLABLE("schedule_config.constraint", CFG_S_STR),
    NULLABLE("schedule_config.slurm_partition", CFG_S_STR),
    AT_LEAST("schedule_config.slurm_array_parallelism", 1),
    KEY("schedule_config.gpus_per_node", CFG_S_INT),
    KEY("schedule_config.cpus_per_task", CFG_S_INT),
    KEY("schedule_config.overhead", CFG_S_FLOAT),
    KEY("schedule_config.time_per_forward_pass", CFG_S_FLOAT),
    KEY("schedule_config.schedule_time_per_node", CFG_S_FLOAT),

    NULLABLE("model_config", CFG_S_MAP),
    NULLABLE("model_config.model_path", CFG_S_STR),
    NULLABLE("model_config.kind", CFG_S_STR),
    NULLABLE("model_config.model_name", CFG_S_STR),
    NULLABLE("model_config.input_type", CFG_S_STR),
    AT_LEAST("model_config.slowfast_alpha", 1),
    AT_LEAST("model_config.side_size", 1),
    AT_LEAST("model_config.crop_size", 1),
    KEY("model_config.mean", CFG_S_LIST_FLOAT),
    KEY("model_config.std", CFG_S_LIST_FLOAT),
    CHOICE("model_config.dtype", dtypes),
    KEY("model_config.l2_normalize", CFG_S_BOOL),
    KEY("model_config.optimize", CFG_S_BOOL),
    NULLABLE("model_config.input_layout", CFG_S_STR),
    CHOICE("model_config.interpolation", interpolations),
    NULLABLE("model_config.resize", CFG_S_STR),
    NULLABLE("model_config.labels_path", CFG_S_STR),
    KEY("model_config.n_mels", CFG_S_INT),
    KEY("model_config.n_fft", CFG_S_INT),
    KEY("model_config.hop_length", CFG_S_INT),
    /* null means n_fft, as in the reference's mel config. */
    NULLABLE("model_config.win_length", CFG_S_INT),
    KEY("model_config.sample_rate", CFG_S_INT),
    /* Keys of the reference's model configs that name the weights. */
    NULLABLE("model_config.hub_path", CFG_S_STR),
    NULLABLE("model_config.base_model", CFG_S_STR),
    NULLABLE("model_config.pretrained_dataset", CFG_S_STR),
};

#define N_SCHEMA (sizeof schema / sizeof schema[0])

const cfg_schema_entry *cfg_schema_find(const char *path) {
  for (size_t i = 0; i < N_SCHEMA; i++)
    if (strcmp(schema[i].path, path) == 0)
      return &schema[i];
  return NULL;
}

/* ---- Suggestions -------------------------------------------------------- */

static size_t levenshtein(const char *a, const char *b) {
  size_t na = strlen(a), nb = strlen(b);
  if (na > 255)
    na = 255;
  if (nb > 255)
    nb = 255;
  size_t prev[256], cur[256];
  for (size_t j = 0; j <= nb; j++)
    prev[j] = j;
  for (size_t i = 1; i <= na; i++) {
    cur[0] = i;
    for (size_t j = 1; j <= nb; j++) {
      size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
      size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
      cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
    }
    memcpy(prev, cur, (nb + 1) * sizeof *prev);
  }
  return prev[nb];
}

static const char *leaf(const char *path) {
  const char *dot = strrchr(path, '.');
  return dot ? dot + 1 : path;
}

typedef struct {
  const char *path;
  char best[PATH_MAX_LEN];
  size_t score;
} nearest;

/* The section of a dotted path: its length before the last dot (0 for
 * a top-level key). */
static size_t section_len(const char *path) {
  const char *dot = strrchr(path, '.');
  return dot ? (size_t)(dot - path) : 0;
}

/* How a typo relates to a candidate, best first: 0 when the typo is the
 * start of the candidate (a key typed half-way, "io.video_dir" for
 * "io.video_dir_path"), 1 when the typo's last name is inside the
 * candidate's last name in the same section, or in any section when the
 * typo names none ("video_dir"), 2 otherwise. A short last name (under 3
 * characters) matches too much to count as either. Edit distance alone
 * would rank "io.video_limit" (5 edits) above "io.video_dir_path" (5
 * edits, later in the table) for "io.video_dir". */
static int match_tier(const char *typo, const char *cand) {
  const char *tl = leaf(typo);
  if (strlen(tl) < 3)
    return 2;
  if (strncmp(cand, typo, strlen(typo)) == 0)
    return 0;
  size_t ts = section_len(typo);
  int same_section =
      ts == 0 || (ts == section_len(cand) && strncmp(typo, cand, ts) == 0);
  return same_section && strstr(leaf(cand), tl) ? 1 : 2;
}

static void consider(nearest *s, const char *cand) {
  if (strcmp(cand, s->path) == 0)
    return;
  /* Twice the edit distance, so that a key with the same last name in
   * another section ("batch_size" -> "inference_config.batch_size") can
   * rank above every real typo but the one-letter ones. */
  size_t score = 2 * levenshtein(s->path, cand);
  if (strcmp(leaf(cand), leaf(s->path)) == 0 && score > 3)
    score = 3;
  /* Within a tier, the nearest by edit distance. */
  score += (size_t)match_tier(s->path, cand) * 10000;
  if (score < s->score) {
    s->score = score;
    snprintf(s->best, sizeof s->best, "%s", cand);
  }
}

/* Keys added by the user are valid too: they are candidates. */
static void consider_tree(nearest *s, const cfg_node *n, char *prefix,
                          size_t plen, bool user) {
  if (n->kind != CFG_MAP)
    return;
  for (size_t i = 0; i < n->len; i++) {
    int w = snprintf(prefix + plen, PATH_MAX_LEN - plen, "%s%s",
                     plen ? "." : "", n->keys[i]);
    if (w < 0 || (size_t)w >= PATH_MAX_LEN - plen)
      continue;
    bool u = user || n->items[i]->user_added;
    if (u)
      consider(s, prefix);
    consider_tree(s, n->items[i], prefix, plen + (size_t)w, u);
    prefix[plen] = '\0';
  }
}

static void nearest_key(const cfg_node *root, const char *path, char *out,
                        size_t n) {
  nearest s = {.path = path, .score = (size_t)-1};
  for (size_t i = 0; i < N_SCHEMA; i++)
    consider(&s, schema[i].path);
  if (root) {
    char prefix[PATH_MAX_LEN] = "";
    consider_tree(&s, root, prefix, 0, false);
  }
  snprintf(out, n, "%s", s.score == (size_t)-1 ? "" : s.best);
}

const char *cfg_schema_hint(const cfg_node *root, const char *path) {
  static _Thread_local char hint[PATH_MAX_LEN + 32];
  char best[PATH_MAX_LEN];
  nearest_key(root, path, best, sizeof best);
  if (best[0])
    snprintf(hint, sizeof hint, " (did you mean '%s'?)", best);
  else
    hint[0] = '\0';
  return hint;
}

/* ---- Validation --------------------------------------------------------- */

/* "'abc'", "a list", ... for messages. */
static const char *describe(const cfg_node *n, char *buf, size_t size) {
  if (n->kind == CFG_SCALAR)
    snprintf(buf, size, "%s '%.60s'", cfg_node_type_name(n), n->text);
  else if (n->kind == CFG_NULL)
    snprintf(buf, size, "null");
  else
    snprintf(buf, size, "a %s", cfg_node_type_name(n));
  return buf;
}

/* A positive number, or a positive "num/den" ratio of integers. */
static bool rate_ok(const cfg_node *n) {
  double v;
  if (n->kind != CFG_SCALAR)
    return false;
  if (cfg_scalar_double(n, &v) == 0)
    return isfinite(v) && v > 0;
  const char *slash = strchr(n->text, '/');
  char *end;
  if (!slash) {
    v = strtod(n->text, &end);
    return end != n->text && !*end && isfinite(v) && v > 0;
  }
  long long num = strtoll(n->text, &end, 10);
  if (end != slash || end == n->text || num <= 0)
    return false;
  const char *d = slash + 1;
  long long den = strtoll(d, &end, 10);
  return end != d && !*end && den > 0 && *d != '+' && *d != '-';
}

static const char *type_phrase(cfg_schema_type t) {
  switch (t) {
  case CFG_S_STR: return "a string";
  case CFG_S_INT: return "an int";
  case CFG_S_FLOAT: return "a number";
  case CFG_S_BOOL: return "a bool (true/false)";
  case CFG_S_RATE: return "a frame rate (30, 29.97 or 30000/1001)";
  case CFG_S_LIST_STR: return "a list of strings";
  case CFG_S_LIST_FLOAT: return "a list of numbers";
  case CFG_S_MAP: return "a map";
  }
  return "?";
}

static int check_list(const cfg_schema_entry *e, const cfg_node *n,
                      const char *path) {
  char what[96];
  for (size_t i = 0; i < n->len; i++) {
    const cfg_node *item = n->items[i];
    double v;
    bool ok = e->type == CFG_S_LIST_STR ? item->kind == CFG_SCALAR
                                        : cfg_scalar_double(item, &v) == 0;
    if (!ok)
      return ef_error_set(EF_ECONFIG, "key '%s' must be %s, but item %zu is %s",
                          path, type_phrase(e->type), i,
                          describe(item, what, sizeof what));
  }
  return EF_OK;
}

static int check_choices(const cfg_schema_entry *e, const cfg_node *n,
                         const char *path) {
  char allowed[128] = "";
  for (const char *const *c = e->choices; *c; c++) {
    if (strcmp(n->text, *c) == 0)
      return EF_OK;
    size_t used = strlen(allowed);
    snprintf(allowed + used, sizeof allowed - used, "%s'%s'", used ? ", " : "",
             *c);
  }
  return ef_error_set(EF_ECONFIG, "key '%s' must be one of %s, got '%s'", path,
                      allowed, n->text);
}

static int check_value(const cfg_schema_entry *e, const cfg_node *n,
                       const char *path) {
  char what[96];
  int64_t i = 0;
  double d;
  int b;
  bool ok;
  if (n->kind == CFG_NULL) {
    if (e->nullable)
      return EF_OK;
    return ef_error_set(EF_ECONFIG, "key '%s' must be %s, not null", path,
                        type_phrase(e->type));
  }
  switch (e->type) {
  case CFG_S_STR: ok = n->kind == CFG_SCALAR; break;
  case CFG_S_INT: ok = cfg_scalar_int(n, &i) == 0; break;
  case CFG_S_FLOAT: ok = cfg_scalar_double(n, &d) == 0; break;
  case CFG_S_BOOL: ok = cfg_scalar_bool(n, &b) == 0; break;
  case CFG_S_RATE: ok = rate_ok(n); break;
  case CFG_S_LIST_STR:
  case CFG_S_LIST_FLOAT: ok = n->kind == CFG_LIST; break;
  case CFG_S_MAP: ok = n->kind == CFG_MAP; break;
  default: ok = false; break;
  }
  if (!ok && e->type == CFG_S_INT && cfg_node_type(n) == CFG_T_INT)
    return ef_error_set(EF_ECONFIG, "key '%s': %s does not fit in 64 bits",
                        path, n->text);
  if (!ok)
    return ef_error_set(EF_ECONFIG, "key '%s' must be %s, got %s", path,
                        type_phrase(e->type), describe(n, what, sizeof what));
  if (n->kind == CFG_LIST)
    return check_list(e, n, path);
  if (e->has_min && i < e->min)
    return ef_error_set(EF_ECONFIG, "key '%s' must be >= %lld, got %lld", path,
                        (long long)e->min, (long long)i);
  if (e->choices)
    return check_choices(e, n, path);
  return EF_OK;
}

static int check_map(const cfg_node *root, const cfg_node *map, char *path,
                     size_t plen) {
  for (size_t k = 0; k < map->len; k++) {
    const char *key = map->keys[k];
    const cfg_node *val = map->items[k];
    int w = snprintf(path + plen, PATH_MAX_LEN - plen, "%s%s", plen ? "." : "",
                     key);
    if (w < 0 || (size_t)w >= PATH_MAX_LEN - plen)
      return ef_error_set(EF_ECONFIG, "key '%.60s...' is too long", path);
    if (!*key || strchr(key, '.'))
      return ef_error_set(EF_ECONFIG,
                          "bad key '%s': keys must be non-empty and must not "
                          "contain '.' (nest sections instead)",
                          path);
    const cfg_schema_entry *e = cfg_schema_find(path);
    if (!e) {
      if (val->user_added)
        continue; /* a user extra such as +dataset_type=k400 */
      return ef_error_set(EF_ECONFIG, "unknown key '%s'%s", path,
                          cfg_schema_hint(root, path));
    }
    int rc = check_value(e, val, path);
    if (rc == EF_OK && val->kind == CFG_MAP)
      rc = check_map(root, val, path, plen + (size_t)w);
    if (rc != EF_OK)
      return rc;
    path[plen] = '\0';
  }
  return EF_OK;
}

int cfg_schema_validate(const cfg_node *root) {
  char path[PATH_MAX_LEN] = "";
  return check_map(root, root, path, 0);
}
