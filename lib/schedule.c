/*
 * schedule.c - owns the plan of a scheduled run: videos -> estimates ->
 * bins (ef_plan_create), its file (plan.json, written and read back), the
 * figures printed before submitting, and the per-bin status files that
 * the tasks write and the scheduler reads for its summary and for reruns.
 *
 * Both files are JSON: the tests and users read them with any tool, and
 * libyaml (already a dependency) parses JSON as the YAML subset it is.
 * Estimates are kept in whole milliseconds so that bin sums are exact and
 * a plan read back has exactly the bins it was written with.
 */
#include "schedule.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <yaml.h>

#include "binpack.h"
#include "config_tree.h"
#include "discover.h"
#include "error.h"
#include "settings.h"
#include "window.h"
#include "write.h"

#define PLAN_FORMAT "ego4dfeat-plan"
#define STATUS_FORMAT "ego4dfeat-status"
#define FILE_VERSION 1

typedef struct {
  char *uid;
  int64_t frames; /* at inference_config.fps; -1 unknown */
  int64_t windows;
  int64_t ms; /* estimate */
  ef_video_outcome outcome;
  char *error; /* of a failed video, from the status file */
} plan_video;

typedef struct {
  size_t first, n; /* videos[first .. first + n) */
  int64_t ms;
  ef_bin_state state;
  char *runner;
  char *error;
} plan_bin;

struct ef_plan {
  ef_config *cfg; /* resolved, with absolute paths */
  char *dir;
  char key[17];
  plan_video *videos;
  size_t n_videos;
  plan_bin *bins;
  size_t n_bins;
  /* From the config. */
  int64_t timeout_min;
  double overhead, time_per_forward_pass, schedule_time_per_node;
  int64_t parallelism;
  int batch_size;
  char *out_path;
  ef_out_format out_format;
  double figures[EF_PLAN_FIGURE_COUNT_];
};

static int nomem(void) {
  return ef_error_set(EF_ENOMEM, "scheduling: out of memory");
}

static char *dup_or_empty(const char *s) {
  return strdup(s ? s : "");
}

/* ---- A growing text buffer ---------------------------------------------- */

typedef struct {
  char *p;
  size_t n, cap;
  int oom; /* sticky: checked once at the end */
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t len) {
  if (b->oom)
    return;
  if (b->n + len + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->n + len + 1)
      cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
      b->oom = 1;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, len);
  b->n += len;
  b->p[b->n] = '\0';
}

static void sb_puts(sbuf *b, const char *s) {
  sb_add(b, s, strlen(s));
}

static void sb_printf(sbuf *b, const char *fmt, ...) EF_PRINTF(2, 3);
static void sb_printf(sbuf *b, const char *fmt, ...) {
  char small[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->oom = 1;
    return;
  }
  if ((size_t)n < sizeof small) {
    sb_add(b, small, (size_t)n);
    return;
  }
  char *big = malloc((size_t)n + 1);
  if (!big) {
    b->oom = 1;
    return;
  }
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  sb_add(b, big, (size_t)n);
  free(big);
}

/* A JSON string literal. Bytes from 0x80 pass through: uids and paths are
 * UTF-8 (and libyaml reads them back as such). */
static void sb_json(sbuf *b, const char *s) {
  sb_add(b, "\"", 1);
  for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
    switch (*c) {
    case '"': sb_add(b, "\\\"", 2); break;
    case '\\': sb_add(b, "\\\\", 2); break;
    case '\n': sb_add(b, "\\n", 2); break;
    case '\r': sb_add(b, "\\r", 2); break;
    case '\t': sb_add(b, "\\t", 2); break;
    default:
      if (*c < 0x20)
        sb_printf(b, "\\u%04x", *c);
      else
        sb_add(b, (const char *)c, 1);
    }
  }
  sb_add(b, "\"", 1);
}

/* ---- Reading JSON with libyaml ------------------------------------------ */

typedef struct {
  yaml_document_t doc;
  int loaded;
} jdoc;

/* Parses a whole file: EF_ENOTFOUND if it does not exist, EF_EINVAL with
 * the line of a syntax error. */
static int jdoc_load(const char *path, jdoc *d) {
  memset(d, 0, sizeof *d);
  FILE *f = fopen(path, "rb");
  if (!f)
    return ef_error_set(errno == ENOENT ? EF_ENOTFOUND : EF_EIO,
                        "%s: cannot read (%s)", path, strerror(errno));
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) {
    fclose(f);
    return nomem();
  }
  yaml_parser_set_input_file(&parser, f);
  int rc = EF_OK;
  if (!yaml_parser_load(&parser, &d->doc))
    rc = ef_error_set(EF_EINVAL, "%s: invalid JSON at line %zu: %s", path,
                      parser.problem_mark.line + 1,
                      parser.problem ? parser.problem : "parse error");
  else
    d->loaded = 1;
  yaml_parser_delete(&parser);
  fclose(f);
  if (rc == EF_OK && !yaml_document_get_root_node(&d->doc))
    rc = ef_error_set(EF_EINVAL, "%s: empty file", path);
  return rc;
}

static void jdoc_free(jdoc *d) {
  if (d->loaded)
    yaml_document_delete(&d->doc);
  d->loaded = 0;
}

static yaml_node_t *jroot(jdoc *d) {
  return yaml_document_get_root_node(&d->doc);
}

/* The value of key in a mapping node, or NULL. */
static yaml_node_t *jget(jdoc *d, yaml_node_t *map, const char *key) {
  if (!map || map->type != YAML_MAPPING_NODE)
    return NULL;
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
       p < map->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(&d->doc, p->key);
    if (k && k->type == YAML_SCALAR_NODE &&
        strcmp((const char *)k->data.scalar.value, key) == 0)
      return yaml_document_get_node(&d->doc, p->value);
  }
  return NULL;
}

static const char *jstr(yaml_node_t *n) {
  return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
                                          : NULL;
}

static int jint(yaml_node_t *n, int64_t *out) {
  const char *s = jstr(n);
  char *end;
  if (!s || !*s)
    return -1;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (*end || errno)
    return -1;
  *out = v;
  return 0;
}

static int jdouble(yaml_node_t *n, double *out) {
  const char *s = jstr(n);
  char *end;
  if (!s || !*s)
    return -1;
  double v = strtod(s, &end);
  if (*end || !isfinite(v))
    return -1;
  *out = v;
  return 0;
}

static size_t jlen(yaml_node_t *seq) {
  return seq && seq->type == YAML_SEQUENCE_NODE
             ? (size_t)(seq->data.sequence.items.top -
                        seq->data.sequence.items.start)
             : 0;
}

static yaml_node_t *jat(jdoc *d, yaml_node_t *seq, size_t i) {
  return yaml_document_get_node(&d->doc, seq->data.sequence.items.start[i]);
}

/* ---- Paths -------------------------------------------------------------- */

static char *join2(const char *a, const char *sep, const char *b) {
  size_t n = strlen(a) + strlen(sep) + strlen(b) + 1;
  char *p = malloc(n);
  if (p)
    snprintf(p, n, "%s%s%s", a, sep, b);
  return p;
}

/* path made absolute against the current folder (not resolved: it may
 * not exist yet). */
static char *absolute(const char *path) {
  if (path[0] == '/')
    return strdup(path);
  char *cwd = getcwd(NULL, 0);
  if (!cwd)
    return NULL;
  const char *rel = strncmp(path, "./", 2) == 0 ? path + 2 : path;
  char *p = strcmp(rel, ".") == 0 ? strdup(cwd) : join2(cwd, "/", rel);
  free(cwd);
  return p;
}

/* Makes a string value of the config absolute in place; absent or null
 * keys stay as they are. */
static int absolutize(ef_config *cfg, const char *key) {
  const char *v;
  if (ef_config_get_string(cfg, key, &v) != EF_OK || !*v) {
    ef_error_clear();
    return EF_OK;
  }
  if (v[0] == '/')
    return EF_OK;
  char *abs = absolute(v);
  if (!abs)
    return ef_error_set(EF_EIO, "%s: cannot make '%s' absolute (%s)", key, v,
                        strerror(errno));
  cfg_node *n = cfg_node_new_scalar(abs, strlen(abs), true);
  free(abs);
  if (!n)
    return nomem();
  return cfg_tree_put(cfg->root, key, n, 0);
}

char *schedule_plan_root(const char *log_folder) {
  const char *s = log_folder ? log_folder : "";
  const char *cut = NULL;
  /* The start of the first component holding %j. */
  for (const char *c = s; *c && !cut; c++) {
    if (c[0] != '%' || c[1] != 'j')
      continue;
    const char *start = c;
    while (start > s && start[-1] != '/')
      start--;
    cut = start;
  }
  size_t len = cut ? (size_t)(cut - s) : strlen(s);
  while (len > 1 && s[len - 1] == '/')
    len--;
  if (len == 0)
    return strdup(s[0] == '/' ? "/" : ".");
  char *p = malloc(len + 1);
  if (p) {
    memcpy(p, s, len);
    p[len] = '\0';
  }
  return p;
}

/* ---- Estimates and figures ---------------------------------------------- */

int64_t schedule_estimate_ms(int64_t windows, int batch_size, double overhead,
                             double time_per_forward_pass) {
  int64_t b = batch_size > 0 ? batch_size : 1;
  int64_t passes = (windows + b - 1) / b;
  double ms = overhead * (double)passes * time_per_forward_pass * 1000.0;
  /* Round up, but not over float noise: 2.0 * 3 * 0.8 s is 4800 ms. */
  return (int64_t)ceil(ms - 1e-6);
}

/* A min-heap of slot end times for the makespan: each bin, in order,
 * starts on the slot that frees first, as SLURM starts array tasks. */
static void heap_sift_down(double *h, size_t n, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < n && h[l] < h[m])
      m = l;
    if (r < n && h[r] < h[m])
      m = r;
    if (m == i)
      return;
    double t = h[i];
    h[i] = h[m];
    h[m] = t;
    i = m;
  }
}

/* Wall time of bins with these loads, started in order on `slots`
 * parallel slots; -1 when out of memory. */
static int64_t makespan_ms(const int64_t *load, size_t bins, size_t slots) {
  if (bins == 0 || slots == 0)
    return 0;
  double *end = calloc(slots, sizeof *end);
  if (!end)
    return -1;
  double makespan = 0;
  for (size_t b = 0; b < bins; b++) {
    end[0] += (double)load[b];
    makespan = end[0] > makespan ? end[0] : makespan;
    heap_sift_down(end, slots, 0);
  }
  free(end);
  return (int64_t)makespan;
}

static int compute_figures(ef_plan *p, int64_t parallelism) {
  double *f = p->figures;
  memset(f, 0, sizeof p->figures);
  int64_t cap_ms = p->timeout_min * 60 * 1000;
  int64_t total = 0, longest = 0, oversize = 0, unknown = 0;
  int64_t *sizes = malloc((p->n_videos ? p->n_videos : 1) * sizeof *sizes);
  if (!sizes)
    return nomem();
  for (size_t i = 0; i < p->n_videos; i++) {
    int64_t ms = p->videos[i].ms;
    sizes[i] = ms;
    total += ms;
    longest = ms > longest ? ms : longest;
    oversize += ms > cap_ms;
    unknown += p->videos[i].frames < 0;
  }
  f[EF_PLAN_BINS_LOWER_BOUND] =
      (double)binpack_lower_bound(sizes, p->n_videos, cap_ms);
  /* Packed again (milliseconds for 10,000 videos) rather than stored, so
   * a plan read back has the same figures. */
  binpack_result fewest;
  int rc = binpack_pack(sizes, NULL, p->n_videos, cap_ms, 0, &fewest);
  free(sizes);
  if (rc != EF_OK)
    return rc;
  f[EF_PLAN_BINS_FEWEST] = (double)fewest.n_bins;
  binpack_free(&fewest);
  size_t bins = p->n_bins;
  int64_t par = parallelism > 0 ? parallelism : 1;
  size_t slots = (size_t)par < bins ? (size_t)par : bins;
  f[EF_PLAN_VIDEOS] = (double)p->n_videos;
  f[EF_PLAN_BINS] = (double)bins;
  f[EF_PLAN_CAPACITY] = (double)cap_ms / 1000.0;
  f[EF_PLAN_TOTAL] = (double)total / 1000.0;
  f[EF_PLAN_LONGEST] = (double)longest / 1000.0;
  f[EF_PLAN_PARALLELISM] = (double)slots;
  f[EF_PLAN_OVERSIZE] = (double)oversize;
  f[EF_PLAN_UNKNOWN_LENGTH] = (double)unknown;
  if (bins == 0)
    return EF_OK;
  int64_t *load = malloc(bins * sizeof *load);
  if (!load)
    return nomem();
  for (size_t b = 0; b < bins; b++)
    load[b] = p->bins[b].ms;
  int64_t makespan = makespan_ms(load, bins, slots);
  free(load);
  if (makespan < 0)
    return nomem();
  f[EF_PLAN_MAKESPAN] = (double)makespan / 1000.0;
  double spread = f[EF_PLAN_TOTAL] / (double)slots;
  f[EF_PLAN_MAKESPAN_LOWER_BOUND] =
      spread > f[EF_PLAN_LONGEST] ? spread : f[EF_PLAN_LONGEST];
  double n_sched = (double)((bins + slots - 1) / slots);
  f[EF_PLAN_N_SCHEDULES] = n_sched;
  f[EF_PLAN_REFERENCE_SECONDS] = n_sched * 60.0 * (double)p->timeout_min +
                                 n_sched * p->schedule_time_per_node * 60.0;
  return EF_OK;
}

/* ---- The plan's settings ------------------------------------------------ */

static int need_number(const ef_config *cfg, const char *key, double *out,
                       int positive) {
  int rc = ef_config_get_double(cfg, key, out);
  if (rc == EF_ENOTFOUND)
    return ef_error_set(EF_ECONFIG, "%s is not set (needed to schedule)", key);
  if (rc != EF_OK)
    return rc;
  if (!isfinite(*out) || (positive ? *out <= 0 : *out < 0))
    return ef_error_set(EF_ECONFIG, "%s must be %s, got %g", key,
                        positive ? "> 0" : ">= 0", *out);
  return EF_OK;
}

/* Reads schedule_config and the io/inference values the plan keeps. */
static int read_plan_settings(ef_plan *p, ef_settings *s) {
  const ef_config *c = p->cfg;
  double timeout = 0, par = 256, per_node = 10.0;
  int rc;
  if ((rc = need_number(c, "schedule_config.timeout_min", &timeout, 1)) ||
      (rc = need_number(c, "schedule_config.overhead", &p->overhead, 1)) ||
      (rc = need_number(c, "schedule_config.time_per_forward_pass",
                        &p->time_per_forward_pass, 1)))
    return rc;
  if (ef_config_get_double(c, "schedule_config.slurm_array_parallelism",
                           &par) != EF_OK)
    par = 256;
  if (ef_config_get_double(c, "schedule_config.schedule_time_per_node",
                           &per_node) != EF_OK)
    per_node = 10.0;
  ef_error_clear();
  if (timeout != floor(timeout) || timeout > 1e8)
    return ef_error_set(EF_ECONFIG,
                        "schedule_config.timeout_min must be a whole number "
                        "of minutes, got %g",
                        timeout);
  p->timeout_min = (int64_t)timeout;
  p->parallelism = par >= 1 ? (int64_t)par : 1;
  p->schedule_time_per_node = per_node;
  p->batch_size = s->batch_size;
  p->out_format = s->out_format;
  if (!(p->out_path = strdup(s->out_path)))
    return nomem();
  return EF_OK;
}

/* FNV-1a over what defines the plan: where its outputs go and which
 * videos each bin holds. Same videos, same split, same outputs: same
 * folder, whichever way the bins are run. */
static void plan_key(ef_plan *p) {
  uint64_t h = 0xcbf29ce484222325ull;
  const char *model = "";
  ef_config_get_string(p->cfg, "model_config.model_path", &model);
  ef_error_clear();
  const char *parts[] = {p->out_path,
                         p->out_format == EF_FORMAT_NPY ? "npy" : "pt", model};
  for (size_t k = 0; k < 3; k++)
    for (const char *c = parts[k];; c++) {
      h = (h ^ (unsigned char)*c) * 0x100000001b3ull;
      if (!*c)
        break;
    }
  for (size_t b = 0; b < p->n_bins; b++) {
    for (size_t i = 0; i < p->bins[b].n; i++)
      for (const char *c = p->videos[p->bins[b].first + i].uid;; c++) {
        h = (h ^ (unsigned char)*c) * 0x100000001b3ull;
        if (!*c)
          break;
      }
    h = (h ^ 0x1e) * 0x100000001b3ull; /* end of bin */
  }
  snprintf(p->key, sizeof p->key, "%016llx", (unsigned long long)h);
}

static int plan_dir_from_config(ef_plan *p) {
  const char *log = "slurm_log/%j";
  ef_config_get_string(p->cfg, "schedule_config.log_folder", &log);
  ef_error_clear();
  char *root = schedule_plan_root(log);
  char name[32];
  snprintf(name, sizeof name, "plan-%s", p->key);
  char *rel = root ? join2(root, "/", name) : NULL;
  free(root);
  p->dir = rel ? absolute(rel) : NULL;
  free(rel);
  return p->dir ? EF_OK : nomem();
}

/* ---- Creating ----------------------------------------------------------- */

ef_plan_options ef_plan_options_default(void) {
  ef_plan_options o;
  memset(&o, 0, sizeof o);
  return o;
}

void ef_plan_free(ef_plan *p) {
  if (!p)
    return;
  for (size_t i = 0; i < p->n_videos; i++) {
    free(p->videos[i].uid);
    free(p->videos[i].error);
  }
  for (size_t b = 0; b < p->n_bins; b++) {
    free(p->bins[b].runner);
    free(p->bins[b].error);
  }
  free(p->videos);
  free(p->bins);
  free(p->out_path);
  free(p->dir);
  ef_config_free(p->cfg);
  free(p);
}

static int cmp_uid_ptr(const void *a, const void *b) {
  const ef_video *x = *(const ef_video *const *)a;
  const ef_video *y = *(const ef_video *const *)b;
  return strcmp(x->uid, y->uid);
}

/* The discovered videos without repeated uids (io.uid_list may repeat
 * one; both would write the same file): pointers into vids, by uid. */
static ef_video **unique_videos(ef_video *vids, size_t n, size_t *out_n) {
  ef_video **u = malloc((n ? n : 1) * sizeof *u);
  if (!u)
    return NULL;
  for (size_t i = 0; i < n; i++)
    u[i] = &vids[i];
  if (n > 1)
    qsort(u, n, sizeof *u, cmp_uid_ptr);
  size_t w = 0;
  for (size_t i = 0; i < n; i++)
    if (w == 0 || strcmp(u[w - 1]->uid, u[i]->uid) != 0)
      u[w++] = u[i];
  *out_n = w;
  return u;
}

/*
 * When there are more bins than tasks run at once, the tasks run in waves
 * of full bins: B = P + 1 bins take two bins' time. ceil(B / P) * P bins
 * of equal load do the same work in about total / P. Keeps whichever
 * packing finishes first (fewer bins on a tie). Returns EF_OK or an
 * error; *packed may be replaced.
 */
static int spread_over_waves(const int64_t *ms, const char **keys, size_t n,
                             int64_t cap_ms, size_t slots,
                             binpack_result *packed) {
  if (slots == 0 || packed->n_bins <= slots)
    return EF_OK;
  size_t waves = (packed->n_bins + slots - 1) / slots;
  binpack_result spread;
  int rc = binpack_spread(ms, keys, n, cap_ms,
                          waves * slots - packed->n_oversize, &spread);
  if (rc == 1)
    return EF_OK; /* some bin would exceed the time limit */
  if (rc != EF_OK)
    return rc;
  int64_t before = makespan_ms(packed->load, packed->n_bins, slots);
  int64_t after = makespan_ms(spread.load, spread.n_bins, slots);
  if (before < 0 || after < 0) {
    binpack_free(&spread);
    return nomem();
  }
  if (after < before) {
    binpack_free(packed);
    *packed = spread;
  } else {
    binpack_free(&spread);
  }
  return EF_OK;
}

/* Estimates, checks for oversize videos, packs and fills p's bins. */
static int pack_videos(ef_plan *p, const ef_settings *s, ef_video **vids,
                       size_t n, int strict, int64_t parallelism) {
  int64_t cap_ms = p->timeout_min * 60 * 1000;
  int64_t *ms = malloc((n ? n : 1) * sizeof *ms);
  const char **keys = malloc((n ? n : 1) * sizeof *keys);
  binpack_result packed = {0};
  int rc = EF_OK;
  if (!ms || !keys) {
    rc = nomem();
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    int64_t frames = vids[i]->num_frames;
    int64_t windows =
        frames > 0 ? window_count(frames, s->frame_window, s->stride) : 1;
    ms[i] = schedule_estimate_ms(windows, s->batch_size, p->overhead,
                                 p->time_per_forward_pass);
    keys[i] = vids[i]->uid;
    if (ms[i] > cap_ms && strict) {
      int64_t need = (ms[i] + 60000 - 1) / 60000;
      rc = ef_error_set(
          EF_EINVAL,
          "video '%s' is estimated at %.1f s, longer than a bin's %lld s "
          "(schedule_config.timeout_min=%lld): raise timeout_min to at "
          "least %lld, or plan without strict mode to give it a bin of its "
          "own",
          vids[i]->uid, (double)ms[i] / 1000.0, (long long)(cap_ms / 1000),
          (long long)p->timeout_min, (long long)need);
      goto done;
    }
  }
  if ((rc = binpack_pack(ms, keys, n, cap_ms, BINPACK_BALANCE, &packed)) !=
          EF_OK ||
      (rc = spread_over_waves(ms, keys, n, cap_ms, (size_t)parallelism,
                              &packed)) != EF_OK)
    goto done;
  p->videos = calloc(n ? n : 1, sizeof *p->videos);
  p->bins = calloc(packed.n_bins ? packed.n_bins : 1, sizeof *p->bins);
  if (!p->videos || !p->bins) {
    rc = nomem();
    goto done;
  }
  for (size_t b = 0; b < packed.n_bins; b++) {
    plan_bin *pb = &p->bins[b];
    pb->first = packed.first[b];
    pb->n = packed.first[b + 1] - packed.first[b];
    pb->ms = packed.load[b];
    for (size_t k = packed.first[b]; k < packed.first[b + 1]; k++) {
      size_t item = packed.items[k];
      plan_video *v = &p->videos[k];
      v->frames = vids[item]->num_frames;
      v->windows = v->frames > 0
                       ? window_count(v->frames, s->frame_window, s->stride)
                       : 1;
      v->ms = ms[item];
      v->outcome = EF_VIDEO_NOT_RUN;
      if (!(v->uid = strdup(vids[item]->uid))) {
        rc = nomem();
        goto done;
      }
      p->n_videos = k + 1;
    }
    p->n_bins = b + 1;
  }
done:
  binpack_free(&packed);
  free(keys);
  free(ms);
  return rc;
}

static const char *const absolute_keys[] = {
    "io.video_dir_path",          "io.out_path",
    "io.ego4d_download_dir",      "io.debug_path",
    "model_config.model_path",    "model_config.labels_path",
    "schedule_config.log_folder",
};

int ef_plan_create(const ef_config *cfg, const ef_plan_options *opts,
                   ef_plan **out) {
  if (!cfg || !out)
    return ef_error_set(EF_EINVAL, "ef_plan_create: NULL argument");
  *out = NULL;
  ef_plan_options o = opts ? *opts : ef_plan_options_default();
  ef_settings s;
  ef_video *vids = NULL;
  ef_video **uniq = NULL;
  size_t n = 0, n_uniq = 0;
  int settings_ok = 0;
  ef_plan *p = calloc(1, sizeof *p);
  int rc;
  if (!p)
    return nomem();
  if ((rc = ef_config_clone(cfg, &p->cfg)) != EF_OK)
    goto fail;
  for (size_t k = 0; k < sizeof absolute_keys / sizeof absolute_keys[0]; k++)
    if ((rc = absolutize(p->cfg, absolute_keys[k])) != EF_OK)
      goto fail;
  if ((rc = settings_load(p->cfg, &s)) != EF_OK)
    goto fail;
  settings_ok = 1;
  if ((rc = read_plan_settings(p, &s)) != EF_OK ||
      (rc = discover_videos(&s, &vids, &n)) != EF_OK)
    goto fail;
  if (!(uniq = unique_videos(vids, n, &n_uniq))) {
    rc = nomem();
    goto fail;
  }
  int64_t par = o.parallelism > 0 ? o.parallelism : p->parallelism;
  if ((rc = pack_videos(p, &s, uniq, n_uniq, o.strict, par)) != EF_OK)
    goto fail;
  plan_key(p);
  if ((rc = plan_dir_from_config(p)) != EF_OK ||
      (rc = compute_figures(p, par)) != EF_OK)
    goto fail;
  free(uniq);
  discover_free(vids, n);
  settings_free(&s);
  *out = p;
  return EF_OK;
fail:
  free(uniq);
  discover_free(vids, n);
  if (settings_ok)
    settings_free(&s);
  ef_plan_free(p);
  return rc;
}

/* ---- The plan file ------------------------------------------------------ */

static char *plan_file(const char *dir) {
  return join2(dir, "/", "plan.json");
}

int ef_plan_save(const ef_plan *p) {
  if (!p)
    return ef_error_set(EF_EINVAL, "ef_plan_save: no plan");
  char *yaml = NULL, *path = NULL;
  sbuf b = {0};
  int rc = ef_config_dump(p->cfg, &yaml);
  if (rc != EF_OK)
    return rc;
  sb_printf(&b, "{\n  \"format\": \"%s\",\n  \"version\": %d,\n", PLAN_FORMAT,
            FILE_VERSION);
  sb_printf(&b, "  \"key\": \"%s\",\n", p->key);
  sb_printf(&b, "  \"timeout_min\": %lld,\n", (long long)p->timeout_min);
  sb_printf(&b, "  \"overhead\": %.10g,\n", p->overhead);
  sb_printf(&b, "  \"time_per_forward_pass\": %.10g,\n",
            p->time_per_forward_pass);
  sb_printf(&b, "  \"batch_size\": %d,\n", p->batch_size);
  sb_printf(&b, "  \"videos\": %zu,\n  \"bins\": [", p->n_videos);
  for (size_t bi = 0; bi < p->n_bins; bi++) {
    const plan_bin *pb = &p->bins[bi];
    sb_printf(&b, "%s\n    {\"bin\": %zu, \"seconds\": %.3f, \"videos\": [",
              bi ? "," : "", bi, (double)pb->ms / 1000.0);
    for (size_t i = 0; i < pb->n; i++) {
      const plan_video *v = &p->videos[pb->first + i];
      sb_puts(&b, i ? ",\n      {\"uid\": " : "\n      {\"uid\": ");
      sb_json(&b, v->uid);
      sb_printf(&b, ", \"frames\": %lld, \"windows\": %lld, \"seconds\": %.3f}",
                (long long)v->frames, (long long)v->windows,
                (double)v->ms / 1000.0);
    }
    sb_puts(&b, "]}");
  }
  sb_puts(&b, "\n  ],\n  \"config\": ");
  sb_json(&b, yaml);
  sb_puts(&b, "\n}\n");
  free(yaml);
  if (b.oom) {
    free(b.p);
    return nomem();
  }
  if ((rc = write_mkdirs(p->dir)) == EF_OK) {
    if (!(path = plan_file(p->dir)))
      rc = nomem();
    else
      rc = write_file_atomic(path, b.p, b.n);
  }
  free(path);
  free(b.p);
  return rc;
}

static int bad_plan(const char *path, const char *what) {
  return ef_error_set(EF_EINVAL, "%s: not an ego4dfeat plan (%s)", path, what);
}

/* The plan's config from its YAML text. It was checked against the schema
 * when the plan was made; user extras (+key=value) are kept as they are. */
static int config_from_text(const char *path, const char *text,
                            ef_config **out) {
  cfg_node *root = NULL;
  int rc = cfg_yaml_parse(text, strlen(text), path, &root);
  if (rc != EF_OK)
    return rc;
  ef_config *c = malloc(sizeof *c);
  if (!c) {
    cfg_node_free(root);
    return nomem();
  }
  c->root = root;
  *out = c;
  return EF_OK;
}

/* Reads the bins of a parsed plan file into p. */
static int load_bins(ef_plan *p, jdoc *d, const char *path) {
  yaml_node_t *bins = jget(d, jroot(d), "bins");
  int64_t n_videos = 0;
  if (!bins || bins->type != YAML_SEQUENCE_NODE ||
      jint(jget(d, jroot(d), "videos"), &n_videos) != 0 || n_videos < 0)
    return bad_plan(path, "no bins or video count");
  size_t nb = jlen(bins);
  p->bins = calloc(nb ? nb : 1, sizeof *p->bins);
  p->videos = calloc(n_videos ? (size_t)n_videos : 1, sizeof *p->videos);
  if (!p->bins || !p->videos)
    return nomem();
  size_t k = 0;
  for (size_t b = 0; b < nb; b++) {
    yaml_node_t *vs = jget(d, jat(d, bins, b), "videos");
    if (!vs || vs->type != YAML_SEQUENCE_NODE)
      return bad_plan(path, "a bin without videos");
    plan_bin *pb = &p->bins[b];
    pb->first = k;
    pb->n = jlen(vs);
    p->n_bins = b + 1;
    for (size_t i = 0; i < pb->n; i++, k++) {
      yaml_node_t *v = jat(d, vs, i);
      const char *uid = jstr(jget(d, v, "uid"));
      double sec;
      if (k >= (size_t)n_videos)
        return bad_plan(path, "more videos than it says");
      plan_video *pv = &p->videos[k];
      if (!uid || jint(jget(d, v, "frames"), &pv->frames) != 0 ||
          jint(jget(d, v, "windows"), &pv->windows) != 0 ||
          jdouble(jget(d, v, "seconds"), &sec) != 0 || sec < 0)
        return bad_plan(path, "a video without uid, frames or seconds");
      pv->ms = llround(sec * 1000.0);
      pv->outcome = EF_VIDEO_NOT_RUN;
      if (!(pv->uid = strdup(uid)))
        return nomem();
      p->n_videos = k + 1;
      pb->ms += pv->ms;
    }
  }
  if (k != (size_t)n_videos)
    return bad_plan(path, "fewer videos than it says");
  return EF_OK;
}

int ef_plan_load(const char *path, ef_plan **out) {
  if (!path || !out)
    return ef_error_set(EF_EINVAL, "ef_plan_load: NULL argument");
  *out = NULL;
  struct stat sb;
  char *file = NULL, *dir = NULL;
  jdoc d = {0};
  ef_settings s;
  int settings_ok = 0, rc;
  ef_plan *p = calloc(1, sizeof *p);
  if (!p)
    return nomem();
  int is_dir = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
  file = is_dir ? plan_file(path) : strdup(path);
  if (!file) {
    rc = nomem();
    goto fail;
  }
  if ((rc = jdoc_load(file, &d)) != EF_OK)
    goto fail;
  const char *fmt = jstr(jget(&d, jroot(&d), "format"));
  const char *key = jstr(jget(&d, jroot(&d), "key"));
  const char *yaml = jstr(jget(&d, jroot(&d), "config"));
  int64_t version = 0;
  if (!fmt || strcmp(fmt, PLAN_FORMAT) != 0) {
    rc = bad_plan(file, "no \"format\": \"" PLAN_FORMAT "\"");
    goto fail;
  }
  if (jint(jget(&d, jroot(&d), "version"), &version) != 0 ||
      version != FILE_VERSION) {
    rc = bad_plan(file, "unknown version");
    goto fail;
  }
  if (!key || strlen(key) != 16 || !yaml) {
    rc = bad_plan(file, "no key or config");
    goto fail;
  }
  memcpy(p->key, key, 17);
  if ((rc = config_from_text(file, yaml, &p->cfg)) != EF_OK ||
      (rc = settings_load(p->cfg, &s)) != EF_OK)
    goto fail;
  settings_ok = 1;
  if ((rc = read_plan_settings(p, &s)) != EF_OK ||
      (rc = load_bins(p, &d, file)) != EF_OK)
    goto fail;
  /* The folder the file is in, wherever the plan was made. */
  char *slash = strrchr(file, '/');
  dir = slash ? strndup(file, (size_t)(slash - file)) : strdup(".");
  if (!dir || !(p->dir = realpath(dir, NULL))) {
    rc = dir ? ef_error_set(EF_EIO, "%s: %s", dir, strerror(errno)) : nomem();
    goto fail;
  }
  if ((rc = compute_figures(p, p->parallelism)) != EF_OK)
    goto fail;
  free(dir);
  settings_free(&s);
  jdoc_free(&d);
  free(file);
  *out = p;
  return EF_OK;
fail:
  free(dir);
  if (settings_ok)
    settings_free(&s);
  jdoc_free(&d);
  free(file);
  ef_plan_free(p);
  return rc;
}

/* ---- Accessors ---------------------------------------------------------- */

const char *ef_plan_dir(const ef_plan *p) {
  return p ? p->dir : NULL;
}

const ef_config *ef_plan_config(const ef_plan *p) {
  return p ? p->cfg : NULL;
}

double ef_plan_figure_value(const ef_plan *p, ef_plan_figure f) {
  if (!p || (int)f < 0 || f >= EF_PLAN_FIGURE_COUNT_)
    return 0;
  return p->figures[f];
}

size_t ef_plan_bin_count(const ef_plan *p) {
  return p ? p->n_bins : 0;
}

static const plan_bin *bin_at(const ef_plan *p, size_t bin) {
  return p && bin < p->n_bins ? &p->bins[bin] : NULL;
}

static const plan_video *video_at(const ef_plan *p, size_t bin, size_t i) {
  const plan_bin *b = bin_at(p, bin);
  return b && i < b->n ? &p->videos[b->first + i] : NULL;
}

size_t ef_plan_bin_size(const ef_plan *p, size_t bin) {
  const plan_bin *b = bin_at(p, bin);
  return b ? b->n : 0;
}

double ef_plan_bin_seconds(const ef_plan *p, size_t bin) {
  const plan_bin *b = bin_at(p, bin);
  return b ? (double)b->ms / 1000.0 : 0;
}

const char *ef_plan_video_uid(const ef_plan *p, size_t bin, size_t i) {
  const plan_video *v = video_at(p, bin, i);
  return v ? v->uid : NULL;
}

double ef_plan_video_seconds(const ef_plan *p, size_t bin, size_t i) {
  const plan_video *v = video_at(p, bin, i);
  return v ? (double)v->ms / 1000.0 : 0;
}

int64_t ef_plan_video_frames(const ef_plan *p, size_t bin, size_t i) {
  const plan_video *v = video_at(p, bin, i);
  return v ? v->frames : -1;
}

int ef_plan_bin_complete(const ef_plan *p, size_t bin) {
  const plan_bin *b = bin_at(p, bin);
  if (!b)
    return ef_error_set(EF_EINVAL, "ef_plan_bin_complete: no bin %zu", bin);
  for (size_t i = 0; i < b->n; i++) {
    char *path = write_output_path(p->out_path, p->videos[b->first + i].uid,
                                   p->out_format);
    if (!path)
      return nomem();
    int done = write_output_complete(path, p->out_format);
    free(path);
    if (!done)
      return 0;
  }
  return 1;
}

int ef_plan_bin_config(const ef_plan *p, size_t bin, ef_config **out) {
  const plan_bin *b = bin_at(p, bin);
  if (!out)
    return ef_error_set(EF_EINVAL, "ef_plan_bin_config: NULL argument");
  *out = NULL;
  if (!b)
    return ef_error_set(EF_EINVAL, "the plan has no bin %zu (it has %zu)", bin,
                        p ? p->n_bins : 0);
  ef_config *c = NULL;
  int rc = ef_config_clone(p->cfg, &c);
  if (rc != EF_OK)
    return rc;
  cfg_node *list = cfg_node_new(CFG_LIST);
  if (!list) {
    ef_config_free(c);
    return nomem();
  }
  for (size_t i = 0; i < b->n; i++) {
    const char *uid = p->videos[b->first + i].uid;
    /* Quoted, so that a uid such as "1234" or "null" stays a string. */
    cfg_node *item = cfg_node_new_scalar(uid, strlen(uid), true);
    if (!item || cfg_list_append(list, item) != EF_OK) {
      cfg_node_free(item);
      cfg_node_free(list);
      ef_config_free(c);
      return nomem();
    }
  }
  /* The plan already chose the videos: io.video_limit must not pick a
   * subset of the bin again. */
  rc = cfg_tree_put(c->root, "io.uid_list", list, CFG_PUT_PARENTS);
  if (rc == EF_OK) {
    cfg_node *all = cfg_node_new_scalar("-1", 2, false);
    rc = all ? cfg_tree_put(c->root, "io.video_limit", all, CFG_PUT_PARENTS)
             : nomem();
  }
  if (rc != EF_OK) {
    ef_config_free(c);
    return rc;
  }
  *out = c;
  return EF_OK;
}

/* ---- Status files ------------------------------------------------------- */

static const char *const outcome_names[] = {"done", "skipped", "failed",
                                            "not_run"};
static const char *const state_names[] = {"not_started", "running", "finished",
                                          "cancelled", "failed"};

static int name_index(const char *const *names, size_t n, const char *s) {
  for (size_t i = 0; s && i < n; i++)
    if (strcmp(names[i], s) == 0)
      return (int)i;
  return -1;
}

static char *status_file(const char *dir, size_t bin) {
  char name[48];
  snprintf(name, sizeof name, "/status/bin_%05zu.json", bin);
  return join2(dir, "", name);
}

struct ef_schedule_status {
  char *path;
  char key[17];
  size_t bin;
  char *runner;
  char host[256];
  double started;
  ef_bin_state state;
  char *error;
  size_t n;
  char **uids;
  ef_video_outcome *outcomes;
  char **errors;
};

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int status_write(const ef_schedule_status *st) {
  sbuf b = {0};
  sb_printf(&b,
            "{\n  \"format\": \"%s\",\n  \"version\": %d,\n  \"plan\": "
            "\"%s\",\n  \"bin\": %zu,\n  \"runner\": ",
            STATUS_FORMAT, FILE_VERSION, st->key, st->bin);
  sb_json(&b, st->runner);
  sb_puts(&b, ",\n  \"host\": ");
  sb_json(&b, st->host);
  sb_printf(&b,
            ",\n  \"pid\": %ld,\n  \"state\": \"%s\",\n  \"started\": %.3f,\n"
            "  \"updated\": %.3f,\n  \"error\": ",
            (long)getpid(), state_names[st->state], st->started, wall_now());
  sb_json(&b, st->error);
  sb_puts(&b, ",\n  \"videos\": [");
  for (size_t i = 0; i < st->n; i++) {
    sb_puts(&b, i ? ",\n    {\"uid\": " : "\n    {\"uid\": ");
    sb_json(&b, st->uids[i]);
    sb_printf(&b, ", \"outcome\": \"%s\", \"error\": ",
              outcome_names[st->outcomes[i]]);
    sb_json(&b, st->errors[i]);
    sb_puts(&b, "}");
  }
  sb_puts(&b, "\n  ]\n}\n");
  if (b.oom) {
    free(b.p);
    return nomem();
  }
  int rc = write_file_atomic(st->path, b.p, b.n);
  free(b.p);
  return rc;
}

void ef_schedule_status_free(ef_schedule_status *st) {
  if (!st)
    return;
  for (size_t i = 0; st->uids && i < st->n; i++) {
    free(st->uids[i]);
    free(st->errors[i]);
  }
  free(st->uids);
  free(st->errors);
  free(st->outcomes);
  free(st->runner);
  free(st->error);
  free(st->path);
  free(st);
}

int ef_schedule_status_begin(const ef_plan *p, size_t bin, const char *runner,
                             ef_schedule_status **out) {
  const plan_bin *b = bin_at(p, bin);
  if (!out)
    return ef_error_set(EF_EINVAL, "ef_schedule_status_begin: NULL argument");
  *out = NULL;
  if (!b)
    return ef_error_set(EF_EINVAL, "the plan has no bin %zu (it has %zu)", bin,
                        p ? p->n_bins : 0);
  ef_schedule_status *st = calloc(1, sizeof *st);
  char *dir = NULL;
  int rc = EF_OK;
  if (!st)
    return nomem();
  st->bin = bin;
  st->n = b->n;
  st->started = wall_now();
  st->state = EF_BIN_RUNNING;
  memcpy(st->key, p->key, sizeof st->key);
  if (gethostname(st->host, sizeof st->host - 1) != 0)
    strcpy(st->host, "?");
  st->path = status_file(p->dir, bin);
  st->runner = dup_or_empty(runner);
  st->error = strdup("");
  st->uids = calloc(b->n ? b->n : 1, sizeof *st->uids);
  st->errors = calloc(b->n ? b->n : 1, sizeof *st->errors);
  st->outcomes = calloc(b->n ? b->n : 1, sizeof *st->outcomes);
  dir = join2(p->dir, "/", "status");
  if (!st->path || !st->runner || !st->error || !st->uids || !st->errors ||
      !st->outcomes || !dir) {
    rc = nomem();
    goto fail;
  }
  for (size_t i = 0; i < b->n; i++) {
    st->uids[i] = strdup(p->videos[b->first + i].uid);
    st->errors[i] = strdup("");
    st->outcomes[i] = EF_VIDEO_NOT_RUN;
    if (!st->uids[i] || !st->errors[i]) {
      rc = nomem();
      goto fail;
    }
  }
  if ((rc = write_mkdirs(dir)) != EF_OK || (rc = status_write(st)) != EF_OK)
    goto fail;
  free(dir);
  *out = st;
  return EF_OK;
fail:
  free(dir);
  ef_schedule_status_free(st);
  return rc;
}

int ef_schedule_status_set(ef_schedule_status *st, const char *uid,
                           ef_video_outcome outcome, const char *error) {
  if (!st || !uid || (int)outcome < 0 || outcome > EF_VIDEO_NOT_RUN)
    return ef_error_set(EF_EINVAL, "ef_schedule_status_set: bad argument");
  for (size_t i = 0; i < st->n; i++) {
    if (strcmp(st->uids[i], uid) != 0)
      continue;
    const char *msg = outcome == EF_VIDEO_FAILED && error ? error : "";
    if (st->outcomes[i] == outcome && strcmp(st->errors[i], msg) == 0)
      return EF_OK; /* the pipeline reports a finished video more than once */
    char *copy = strdup(msg);
    if (!copy)
      return nomem();
    free(st->errors[i]);
    st->errors[i] = copy;
    st->outcomes[i] = outcome;
    return status_write(st);
  }
  return ef_error_set(EF_ENOTFOUND, "video '%s' is not in bin %zu", uid,
                      st->bin);
}

int ef_schedule_status_finish(ef_schedule_status *st, ef_bin_state state,
                              const char *error) {
  if (!st || state <= EF_BIN_RUNNING || state > EF_BIN_FAILED)
    return ef_error_set(EF_EINVAL, "ef_schedule_status_finish: bad argument");
  char *copy = strdup(error ? error : "");
  if (!copy)
    return nomem();
  free(st->error);
  st->error = copy;
  st->state = state;
  return status_write(st);
}

/* Reads one bin's status file into the plan (none: not started). */
static int read_bin_status(ef_plan *p, size_t bin) {
  plan_bin *b = &p->bins[bin];
  char *path = status_file(p->dir, bin);
  jdoc d;
  if (!path)
    return nomem();
  for (size_t i = 0; i < b->n; i++) {
    plan_video *v = &p->videos[b->first + i];
    v->outcome = EF_VIDEO_NOT_RUN;
    free(v->error);
    v->error = NULL;
  }
  free(b->runner);
  free(b->error);
  b->runner = b->error = NULL;
  b->state = EF_BIN_NOT_STARTED;
  int rc = jdoc_load(path, &d);
  if (rc == EF_ENOTFOUND) {
    ef_error_clear();
    free(path);
    return EF_OK;
  }
  if (rc != EF_OK) {
    free(path);
    return rc;
  }
  yaml_node_t *root = jroot(&d), *videos = jget(&d, root, "videos");
  const char *fmt = jstr(jget(&d, root, "format"));
  int state = name_index(state_names, 5, jstr(jget(&d, root, "state")));
  int64_t file_bin = -1;
  if (!fmt || strcmp(fmt, STATUS_FORMAT) != 0 || state < 0 ||
      jint(jget(&d, root, "bin"), &file_bin) != 0 || file_bin != (int64_t)bin ||
      !videos || videos->type != YAML_SEQUENCE_NODE) {
    rc = ef_error_set(EF_EINVAL, "%s: not the status file of bin %zu", path,
                      bin);
    goto done;
  }
  b->state = (ef_bin_state)state;
  if (!(b->runner = dup_or_empty(jstr(jget(&d, root, "runner")))) ||
      !(b->error = dup_or_empty(jstr(jget(&d, root, "error"))))) {
    rc = nomem();
    goto done;
  }
  for (size_t k = 0; k < jlen(videos); k++) {
    yaml_node_t *e = jat(&d, videos, k);
    const char *uid = jstr(jget(&d, e, "uid"));
    int outcome = name_index(outcome_names, 4, jstr(jget(&d, e, "outcome")));
    if (!uid || outcome < 0)
      continue;
    /* Written in the bin's order, so position k is nearly always it. */
    size_t i =
        k < b->n && strcmp(p->videos[b->first + k].uid, uid) == 0 ? k : b->n;
    for (size_t j = 0; i == b->n && j < b->n; j++)
      if (strcmp(p->videos[b->first + j].uid, uid) == 0)
        i = j;
    if (i == b->n)
      continue; /* not a video of this bin: ignore it */
    plan_video *v = &p->videos[b->first + i];
    v->outcome = (ef_video_outcome)outcome;
    const char *err = jstr(jget(&d, e, "error"));
    if (err && *err && !(v->error = strdup(err))) {
      rc = nomem();
      goto done;
    }
  }
done:
  jdoc_free(&d);
  free(path);
  return rc;
}

int ef_plan_read_status(ef_plan *p) {
  if (!p)
    return ef_error_set(EF_EINVAL, "ef_plan_read_status: no plan");
  for (size_t b = 0; b < p->n_bins; b++) {
    int rc = read_bin_status(p, b);
    if (rc != EF_OK)
      return rc;
  }
  return EF_OK;
}

ef_bin_state ef_plan_bin_state(const ef_plan *p, size_t bin) {
  const plan_bin *b = bin_at(p, bin);
  return b ? b->state : EF_BIN_NOT_STARTED;
}

const char *ef_plan_bin_runner(const ef_plan *p, size_t bin) {
  const plan_bin *b = bin_at(p, bin);
  return b && b->runner ? b->runner : "";
}

const char *ef_plan_bin_error(const ef_plan *p, size_t bin) {
  const plan_bin *b = bin_at(p, bin);
  return b && b->error ? b->error : "";
}

ef_video_outcome ef_plan_video_outcome(const ef_plan *p, size_t bin, size_t i) {
  const plan_video *v = video_at(p, bin, i);
  return v ? v->outcome : EF_VIDEO_NOT_RUN;
}

const char *ef_plan_video_error(const ef_plan *p, size_t bin, size_t i) {
  const plan_video *v = video_at(p, bin, i);
  return v && v->error ? v->error : "";
}
