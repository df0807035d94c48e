/*
 * cmd_profile.c - `ego4dfeat profile`: times whole extractions of a few
 * videos for each combination of batch size and worker count, prints the
 * reference's CSV, and writes the measured time_per_forward_pass and
 * overhead to a YAML that `ego4dfeat schedule --profile FILE` (or
 * +profile=FILE) uses, so the estimates come from this machine and this
 * model instead of the config's guesses.
 *
 * The runs write into a temporary folder with io.filter_completed=false,
 * so every combination does the same work and the user's outputs are not
 * touched.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util/fs.h"

#define MAX_VALUES 16

void cmd_profile_help(FILE *f) {
  fprintf(f,
          "usage: ego4dfeat profile --config-name NAME [options] "
          "[overrides...]\n\n"
          "Extracts the features of a few videos (io.uid_list, else --videos "
          "N of them picked\nat random with --seed) into a temporary folder, "
          "once for each batch size and\nworker count, and prints per "
          "combination:\n  prefetch_factor,batch_size,num_workers,total,mean,"
          "forward_pass,to_load,\n  transfer_to_device,decode,video_s_per_s\n"
          "(total: seconds without loading the model; mean, forward_pass, "
          "to_load and\ntransfer_to_device: seconds per forward pass; decode: "
          "decoding seconds;\nvideo_s_per_s: seconds of video per second). "
          "The fastest combination's\ntime_per_forward_pass (forward seconds "
          "per pass) and overhead (total / forward\nseconds) go to the "
          "--output YAML for `ego4dfeat schedule --profile FILE`.\n\n"
          "options:\n"
          "  --batch-sizes LIST   e.g. 1,2,4 (default: the config's "
          "batch_size)\n"
          "  --workers LIST       e.g. 1,2 (default: the config's "
          "num_workers)\n"
          "  --videos N           videos to time when io.uid_list is null "
          "(default 3)\n"
          "  --seed S             which random videos (default io.seed)\n"
          "  --output FILE        the YAML to write (default "
          "profile_NAME.yaml)\n%s",
          cli_common_help);
}

typedef struct {
  long batch[MAX_VALUES], workers[MAX_VALUES];
  size_t n_batch, n_workers;
  long videos;
  const char *seed, *output;
} prof_options;

static int parse_list(const char *opt, const char *s, long *v, size_t *n) {
  *n = 0;
  while (*s) {
    char *end;
    long x = strtol(s, &end, 10);
    if (end == s || x < (strcmp(opt, "--workers") == 0 ? 0 : 1) || x > 100000 ||
        (*end && *end != ',') || *n == MAX_VALUES) {
      cli_error("%s: '%s' is not a list of up to %d counts like 1,2,4", opt, s,
                MAX_VALUES);
      return 2;
    }
    v[(*n)++] = x;
    s = *end ? end + 1 : end;
  }
  return 0;
}

static int take_options(int argc, char **argv, prof_options *o, char **rest,
                        int *n_rest) {
  memset(o, 0, sizeof *o);
  o->videos = 3;
  *n_rest = 0;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    int known = strcmp(a, "--batch-sizes") == 0 ||
                strcmp(a, "--workers") == 0 || strcmp(a, "--videos") == 0 ||
                strcmp(a, "--seed") == 0 || strcmp(a, "--output") == 0;
    if (!known) {
      rest[(*n_rest)++] = argv[i];
      continue;
    }
    if (i + 1 >= argc) {
      cli_error("%s needs a value", a);
      return 2;
    }
    const char *v = argv[++i];
    int rc = 0;
    if (strcmp(a, "--batch-sizes") == 0)
      rc = parse_list(a, v, o->batch, &o->n_batch);
    else if (strcmp(a, "--workers") == 0)
      rc = parse_list(a, v, o->workers, &o->n_workers);
    else if (strcmp(a, "--seed") == 0)
      o->seed = v;
    else if (strcmp(a, "--output") == 0)
      o->output = v;
    else if ((o->videos = strtol(v, NULL, 10)) < 1) {
      cli_error("--videos needs a count >= 1, got '%s'", v);
      rc = 2;
    }
    if (rc)
      return rc;
  }
  return 0;
}

static int set(ef_config *cfg, const char *override) {
  if (ef_config_override(cfg, override) == EF_OK)
    return 0;
  cli_error("%s: %s", override, ef_last_error());
  return 2;
}

/* Removes the temporary folder's files (outputs, config.yaml) and it. */
static void remove_tree(const char *dir) {
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
        continue;
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      unlink(path);
    }
    closedir(d);
  }
  rmdir(dir);
}

typedef struct {
  long batch, workers;
  double total, forward, wait, transfer, decode, video_s, passes;
} measure;

/* One whole extraction; EF_OK or the reason (already printed). */
static int run_once(const ef_config *cfg, int threads, measure *m) {
  ef_params params;
  if (ef_params_init(&params, sizeof params) != EF_OK) {
    cli_error("%s", ef_last_error());
    return EF_EINVAL;
  }
  params.torch_threads = threads;
  ef_stats *st = NULL;
  int rc = ef_perform_feature_extraction(cfg, NULL, 0, &params, &st);
  if (rc != EF_OK) {
    if (rc != EF_EPARTIAL)
      cli_error("%s", ef_last_error());
    for (size_t i = 0; st && i < ef_stats_video_count(st); i++)
      if (ef_stats_video_outcome(st, i) == EF_VIDEO_FAILED)
        cli_error("%s: %s", ef_stats_video_uid(st, i),
                  ef_stats_video_error(st, i));
    ef_stats_free(st);
    return rc;
  }
  /* Loading the model happens once per task, not per video: it is left
   * out of the per-video overhead. */
  m->total = ef_stats_seconds(st, EF_TIME_OVERALL) -
             ef_stats_seconds(st, EF_TIME_MODEL_LOAD);
  m->forward = ef_stats_seconds(st, EF_TIME_FORWARD);
  m->wait = ef_stats_seconds(st, EF_TIME_DECODE_WAIT);
  m->transfer = ef_stats_seconds(st, EF_TIME_TRANSFER);
  m->decode = ef_stats_seconds(st, EF_TIME_DECODE);
  m->passes = (double)ef_stats_total_forward_passes(st);
  m->video_s = 0;
  for (size_t i = 0; i < ef_stats_video_count(st); i++)
    m->video_s += ef_stats_video_seconds(st, i);
  ef_stats_free(st);
  if (m->passes < 1 || m->forward <= 0) {
    cli_error("no forward pass was timed (no videos?)");
    return EF_EINVAL;
  }
  return EF_OK;
}

/* One combination's figures, a line of the CSV that profile prints. */
static void print_row(FILE *f, const char *prefix, const char *prefetch,
                      const measure *m) {
  fprintf(f, "%s%s,%ld,%ld,%.4f,%.6f,%.6f,%.6f,%.6f,%.4f,%.3f\n", prefix,
          prefetch, m->batch, m->workers, m->total, m->total / m->passes,
          m->forward / m->passes, m->wait / m->passes, m->transfer / m->passes,
          m->decode, m->video_s / m->total);
}

static int write_profile(const char *path, const char *name,
                         const ef_config *cfg, const measure *rows, size_t n,
                         const measure *best, const char *prefetch) {
  /* Built in memory, then written atomically and durably (fs.h). */
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f)
    return -1;
  const char *device = "?";
  ef_config_get_string(cfg, "inference_config.device", &device);
  char host[256] = "?";
  gethostname(host, sizeof host - 1);
  fprintf(f,
          "# Measured by `ego4dfeat profile --config-name %s` on %s (device "
          "%s).\n# prefetch_factor,batch_size,num_workers,total,mean,"
          "forward_pass,to_load,transfer_to_device,decode,video_s_per_s\n",
          name, host, device);
  for (size_t i = 0; i < n; i++)
    print_row(f, "# ", prefetch, &rows[i]);
  fprintf(f,
          "# The fastest combination is kept: time_per_forward_pass is "
          "forward seconds per\n# pass, overhead the run's seconds (model "
          "load aside) per forward second.\n"
          "# Use: ego4dfeat schedule --config-name %s --profile %s\n"
          "schedule_config:\n  time_per_forward_pass: %.9f\n"
          "  overhead: %.6f\ninference_config:\n  batch_size: %ld\n"
          "  num_workers: %ld\n",
          name, path, best->forward / best->passes, best->total / best->forward,
          best->batch, best->workers);
  int ok = fclose(f) == 0 && fs_write_atomic(path, text, len, 0666, NULL) == 0;
  free(text);
  return ok ? 0 : -1;
}

/* The videos: io.uid_list, else a seeded random few (io.video_limit
 * if the user set one). 0, or set()'s exit code. */
static int pick_videos(ef_config *cfg, prof_options *po) {
  char override[4200];
  size_t n_uids = 0;
  int64_t limit = -1;
  ef_config_get_int(cfg, "io.video_limit", &limit);
  if (ef_config_get_list_size(cfg, "io.uid_list", &n_uids) == EF_OK)
    return 0;
  if (limit > 0)
    po->videos = (long)limit;
  snprintf(override, sizeof override, "io.video_limit=%ld", po->videos);
  if (set(cfg, override))
    return 2;
  if (po->seed) {
    snprintf(override, sizeof override, "++io.seed=%s", po->seed);
    if (set(cfg, override))
      return 2;
  }
  return 0;
}

/* Outputs go to a fresh temporary folder (tmpdir, removed by the caller
 * when not empty) and are always recomputed. 0, or 2. */
static int use_scratch_output(ef_config *cfg, char *tmpdir, size_t size) {
  char override[4200];
  const char *base_tmp = getenv("TMPDIR");
  snprintf(tmpdir, size, "%s/ego4dfeat-profile-XXXXXX",
           base_tmp && *base_tmp ? base_tmp : "/tmp");
  if (!mkdtemp(tmpdir)) {
    cli_error("cannot create a temporary folder %s", tmpdir);
    tmpdir[0] = '\0';
    return 2;
  }
  snprintf(override, sizeof override, "io.out_path=\"%s\"", tmpdir);
  if (set(cfg, override) || set(cfg, "io.filter_completed=false"))
    return 2;
  return 0;
}

/* Without --batch-size or --num-workers, the config's value (else 1) is
 * the only one tried. prefetch gets the config's prefetch_factor, or "". */
static void default_grid(const ef_config *cfg, prof_options *po, char *prefetch,
                         size_t size) {
  int64_t v;
  if (po->n_batch == 0) {
    po->batch[0] =
        ef_config_get_int(cfg, "inference_config.batch_size", &v) == EF_OK
            ? (long)v
            : 1;
    po->n_batch = 1;
  }
  if (po->n_workers == 0) {
    po->workers[0] =
        ef_config_get_int(cfg, "inference_config.num_workers", &v) == EF_OK
            ? (long)v
            : 1;
    po->n_workers = 1;
  }
  if (ef_config_get_int(cfg, "inference_config.prefetch_factor", &v) == EF_OK)
    snprintf(prefetch, size, "%lld", (long long)v);
}

/* Runs every batch_size x num_workers combination, printing each row as
 * it ends; rows has room for all. *best: the most video seconds per
 * second. 0, 2 (a bad override) or 1 (a run failed). */
static int measure_grid(ef_config *cfg, const prof_options *po, int threads,
                        const char *prefetch, measure *rows, size_t *n_rows,
                        size_t *best) {
  char override[4200];
  printf("prefetch_factor,batch_size,num_workers,total,mean,forward_pass,"
         "to_load,transfer_to_device,decode,video_s_per_s\n");
  fflush(stdout);
  for (size_t i = 0; i < po->n_batch; i++)
    for (size_t j = 0; j < po->n_workers; j++) {
      measure *m = &rows[*n_rows];
      m->batch = po->batch[i];
      m->workers = po->workers[j];
      snprintf(override, sizeof override, "inference_config.batch_size=%ld",
               m->batch);
      if (set(cfg, override))
        return 2;
      snprintf(override, sizeof override, "inference_config.num_workers=%ld",
               m->workers);
      if (set(cfg, override))
        return 2;
      if (run_once(cfg, threads, m) != EF_OK)
        return 1;
      print_row(stdout, "", prefetch, m);
      fflush(stdout);
      if (m->video_s / m->total > rows[*best].video_s / rows[*best].total)
        *best = *n_rows;
      (*n_rows)++;
    }
  return 0;
}

int cmd_profile(int argc, char **argv) {
  prof_options po;
  cli_args a;
  memset(&a, 0, sizeof a);
  ef_config *cfg = NULL;
  measure *rows = NULL;
  char **rest_v = calloc((size_t)argc + 1, sizeof *rest_v);
  char tmpdir[4096] = "", out_default[512], prefetch[32] = "";
  int n_rest = 0, exit_code = 2;
  if (!rest_v) {
    cli_error("out of memory");
    return 2;
  }
  if ((exit_code = take_options(argc, argv, &po, rest_v, &n_rest)) != 0 ||
      (exit_code = cli_parse(n_rest, rest_v, &a)) != 0)
    goto done;
  if (a.help) {
    cmd_profile_help(stdout);
    goto done;
  }
  if ((exit_code = cli_load_config(&a, &cfg)) != 0 ||
      cli_print_config(&a, cfg, &exit_code))
    goto done;
  const char *base = strrchr(a.config_name, '/');
  base = base ? base + 1 : a.config_name;
  snprintf(out_default, sizeof out_default, "profile_%s.yaml", base);
  const char *output = po.output ? po.output : out_default;
  if ((exit_code = pick_videos(cfg, &po)) != 0 ||
      (exit_code = use_scratch_output(cfg, tmpdir, sizeof tmpdir)) != 0)
    goto done;
  default_grid(cfg, &po, prefetch, sizeof prefetch);
  if (!(rows = calloc(po.n_batch * po.n_workers, sizeof *rows))) {
    cli_error("out of memory");
    exit_code = 2;
    goto done;
  }
  size_t n_rows = 0, best = 0;
  if ((exit_code = measure_grid(cfg, &po, a.threads, prefetch, rows, &n_rows,
                                &best)) != 0)
    goto done;
  if (write_profile(output, base, cfg, rows, n_rows, &rows[best], prefetch) !=
      0) {
    cli_error("cannot write %s", output);
    exit_code = 1;
    goto done;
  }
  const measure *b = &rows[best];
  printf("fastest: batch_size %ld, num_workers %ld: time_per_forward_pass "
         "%.6f s, overhead %.3f\nwrote %s; use it with: ego4dfeat schedule "
         "--config-name %s --profile %s\n",
         b->batch, b->workers, b->forward / b->passes, b->total / b->forward,
         output, a.config_name, output);
  exit_code = 0;
done:
  if (tmpdir[0])
    remove_tree(tmpdir);
  free(rows);
  ef_config_free(cfg);
  free(rest_v);
  cli_args_free(&a);
  return exit_code;
}
