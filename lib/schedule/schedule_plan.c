/*
 * schedule_plan.c - makes the plan of a scheduled run (ef_plan_create):
 * the config resolved to absolute paths, the videos estimated and packed
 * into bins, the plan's key and folder; and frees it.
 */
#include "schedule/schedule.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config_edit.h"
#include "config/settings.h"
#include "input/discover.h"
#include "output/store.h"
#include "schedule/binpack.h"
#include "schedule/schedule_internal.h"
#include "util/error.h"
#include "util/sized.h"
#include "window/window.h"

/* ---- Paths -------------------------------------------------------------- */

char *sched_join(const char *a, const char *sep, const char *b) {
  size_t n = strlen(a) + strlen(sep) + strlen(b) + 1;
  char *p = malloc(n);
  if (p)
    snprintf(p, n, "%s%s%s", a, sep, b);
  return p;
}

char *sched_absolute(const char *path) {
  if (path[0] == '/')
    return strdup(path);
  char *cwd = getcwd(NULL, 0);
  if (!cwd)
    return NULL;
  const char *rel = strncmp(path, "./", 2) == 0 ? path + 2 : path;
  char *p = strcmp(rel, ".") == 0 ? strdup(cwd) : sched_join(cwd, "/", rel);
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
  char *abs = sched_absolute(v);
  if (!abs)
    return ef_error_set(EF_EIO, "%s: cannot make '%s' absolute (%s)", key, v,
                        strerror(errno));
  int rc = config_put_string(cfg, key, abs, 0);
  free(abs);
  return rc;
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

int sched_read_settings(ef_plan *p, ef_settings *s) {
  const ef_config *c = p->cfg;
  double timeout = 0, par = EF_SCHEDULE_DEFAULT_ARRAY_PARALLELISM,
         per_node = EF_SCHEDULE_DEFAULT_TIME_PER_NODE;
  int rc;
  if ((rc = need_number(c, "schedule_config.timeout_min", &timeout, 1)) ||
      (rc = need_number(c, "schedule_config.overhead", &p->overhead, 1)) ||
      (rc = need_number(c, "schedule_config.time_per_forward_pass",
                        &p->time_per_forward_pass, 1)))
    return rc;
  if (ef_config_get_double(c, "schedule_config.slurm_array_parallelism",
                           &par) != EF_OK)
    par = EF_SCHEDULE_DEFAULT_ARRAY_PARALLELISM;
  if (ef_config_get_double(c, "schedule_config.schedule_time_per_node",
                           &per_node) != EF_OK)
    per_node = EF_SCHEDULE_DEFAULT_TIME_PER_NODE;
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
  p->on_mismatch = s->on_mismatch;
  if (!(p->out_path = strdup(s->out_path)))
    return sched_nomem();
  /* The store hashes the model file: a bin is complete only with outputs
   * of this model (ef_plan_bin_complete). Lenient: a model that cannot be
   * read, or a damaged features.h5, leaves no bin complete; its tasks
   * then say why. */
  store_close(p->store);
  p->store = NULL;
  return store_open(s, STORE_LENIENT, &p->store);
}

/* FNV-1a over what defines the plan: where its outputs go and which
 * videos each bin holds. Same videos, same split, same outputs: same
 * folder, whichever way the bins are run. */
static void plan_key(ef_plan *p) {
  uint64_t h = 0xcbf29ce484222325ull;
  const char *model = "";
  ef_config_get_string(p->cfg, "model_config.model_path", &model);
  ef_error_clear();
  const char *fmt = store_format_name(p->out_format);
  const char *parts[] = {p->out_path, fmt, model};
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
  const char *log = EF_SCHEDULE_DEFAULT_LOG_FOLDER;
  ef_config_get_string(p->cfg, "schedule_config.log_folder", &log);
  ef_error_clear();
  char *root = schedule_plan_root(log);
  char name[32];
  snprintf(name, sizeof name, "plan-%s", p->key);
  char *rel = root ? sched_join(root, "/", name) : NULL;
  free(root);
  p->dir = rel ? sched_absolute(rel) : NULL;
  free(rel);
  return p->dir ? EF_OK : sched_nomem();
}

/* ---- Creating ----------------------------------------------------------- */

/* The size of ef_plan_options in the first version that had a size: the
 * end of its last field. Stays when fields are added. */
#define PLAN_OPTIONS_SIZE_0_1                                                  \
  (offsetof(ef_plan_options, parallelism) + sizeof(int))

/* Every field at its default, in this library's layout. */
static ef_plan_options plan_options_defaults(void) {
  ef_plan_options o;
  memset(&o, 0, sizeof o);
  o.size = sizeof o;
  return o;
}

int ef_plan_options_init(ef_plan_options *o, size_t size) {
  ef_plan_options d = plan_options_defaults();
  return sized_init(o, size, PLAN_OPTIONS_SIZE_0_1, &d, sizeof d,
                    "ef_plan_options");
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
  store_close(p->store);
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
  int64_t before = sched_makespan_ms(packed->load, packed->n_bins, slots);
  int64_t after = sched_makespan_ms(spread.load, spread.n_bins, slots);
  if (before < 0 || after < 0) {
    binpack_free(&spread);
    return sched_nomem();
  }
  if (after < before) {
    binpack_free(packed);
    *packed = spread;
  } else {
    binpack_free(&spread);
  }
  return EF_OK;
}

int64_t schedule_windows_estimate(const ef_settings *s, int64_t frames) {
  return frames > 0 ? window_count(frames, s->frame_window, s->stride) : -1;
}

/* A video of unknown length counts as one window (its task reports it). */
static int64_t plan_windows(const ef_settings *s, int64_t frames) {
  int64_t windows = schedule_windows_estimate(s, frames);
  return windows > 0 ? windows : 1;
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
    rc = sched_nomem();
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    int64_t windows = plan_windows(s, vids[i]->num_frames);
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
    rc = sched_nomem();
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
      v->windows = plan_windows(s, v->frames);
      v->ms = ms[item];
      v->outcome = EF_VIDEO_NOT_RUN;
      if (!(v->uid = strdup(vids[item]->uid))) {
        rc = sched_nomem();
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
    "schedule_config.log_folder", "io.egoexo_data_dir",
};

int ef_plan_create(const ef_config *cfg, const ef_plan_options *opts,
                   ef_plan **out) {
  if (!cfg || !out)
    return ef_error_set(EF_EINVAL, "ef_plan_create: NULL argument");
  *out = NULL;
  ef_plan_options o = plan_options_defaults();
  if (opts && sized_read(&o, sizeof o, PLAN_OPTIONS_SIZE_0_1, opts,
                         "ef_plan_options") != EF_OK)
    return EF_EINVAL;
  ef_settings s;
  ef_video *vids = NULL;
  ef_video **uniq = NULL;
  size_t n = 0, n_uniq = 0;
  int settings_ok = 0;
  ef_plan *p = calloc(1, sizeof *p);
  int rc;
  if (!p)
    return sched_nomem();
  if ((rc = ef_config_clone(cfg, &p->cfg)) != EF_OK)
    goto fail;
  for (size_t k = 0; k < sizeof absolute_keys / sizeof absolute_keys[0]; k++)
    if ((rc = absolutize(p->cfg, absolute_keys[k])) != EF_OK)
      goto fail;
  if ((rc = settings_load(p->cfg, &s)) != EF_OK)
    goto fail;
  settings_ok = 1;
  if ((rc = sched_read_settings(p, &s)) != EF_OK ||
      (rc = discover_videos(&s, &vids, &n)) != EF_OK)
    goto fail;
  if (!(uniq = unique_videos(vids, n, &n_uniq))) {
    rc = sched_nomem();
    goto fail;
  }
  int64_t par = o.parallelism > 0 ? o.parallelism : p->parallelism;
  if ((rc = pack_videos(p, &s, uniq, n_uniq, o.strict, par)) != EF_OK)
    goto fail;
  plan_key(p);
  if ((rc = plan_dir_from_config(p)) != EF_OK ||
      (rc = sched_compute_figures(p, par)) != EF_OK)
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
