/*
 * discover.c - owns discover_videos(): which videos a run covers and what
 * is known of them before decoding.
 *
 * uids come from io.uid_list or from the file names in io.video_dir_path;
 * io.video_limit picks a seeded random subset; metadata comes from
 * manifest.csv (manifest.c), then from probing the file for whatever the
 * manifest does not say; stereo flags come from ego4d.json
 * (stereo_list.c). This file lists the folder, picks the subset and puts
 * each ef_video together. Unlike the reference, a uid the manifest lacks,
 * or whose file is missing, is still listed: the pipeline then reports it
 * as failed instead of it silently vanishing. With an Ego-Exo4D download
 * the videos are the streams that takes.json lists (takes.c); one whose
 * file is missing is listed as skipped, as the reference skips it, but
 * not silently.
 */
#include "input/discover.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "input/manifest.h"
#include "input/stereo_list.h"
#include "input/takes.h"
#include "media/probe.h"
#include "util/error.h"
#include "util/path.h"
#include "util/strvec.h"

/* Worded alike in discover.c, manifest.c and stereo_list.c: to a caller,
 * discovery is one step. */
static int nomem(void) {
  return ef_error_set(EF_ENOMEM, "discovery: out of memory");
}

/* ---- The folder --------------------------------------------------------- */

/* What counts as a video file in io.video_dir_path and what a uid_list
 * entry or a path may end with (case does not matter). Audio configs
 * also take audio-only files. Anything else in the folder (notes.txt, a
 * README) is no video of the run. */
static const char *const video_exts[] = {
    "mp4",  "mkv", "mov", "avi",  "webm", "m4v", "mpg",
    "mpeg", "ts",  "mts", "m2ts", "wmv",  "flv", "3gp",
};
static const char *const audio_exts[] = {
    "wav", "mp3", "m4a", "aac", "flac", "ogg", "opus",
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static int in_list(const char *ext, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcasecmp(ext, list[i]) == 0)
      return 1;
  return 0;
}

/* ext (without the dot) names a media file of a run with or without
 * audio. */
static int is_media_ext(const char *ext, int audio) {
  return in_list(ext, video_exts, N_OF(video_exts)) ||
         (audio && in_list(ext, audio_exts, N_OF(audio_exts)));
}

/* The extension of a file name (after its last dot, not a leading one),
 * or NULL. */
static const char *name_ext(const char *name) {
  const char *base = strrchr(name, '/');
  base = base ? base + 1 : name;
  const char *dot = strrchr(base, '.');
  return dot && dot != base ? dot + 1 : NULL;
}

int discover_is_media_name(const char *name, int audio) {
  const char *ext = name_ext(name);
  return ext && is_media_ext(ext, audio);
}

/* The names of the regular files in dir, sorted. Sorting makes the run
 * independent of the file system's order and lets lookups bisect. */
static int list_files(const char *dir, strvec *out) {
  DIR *dp = opendir(dir);
  struct dirent *de;

  if (!dp)
    return ef_error_set(errno == ENOENT ? EF_ENOTFOUND : EF_EIO,
                        "%s: cannot list videos (%s)", dir, strerror(errno));
  while ((de = readdir(dp)) != NULL) {
    char *full;
    int keep;
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (!(full = path_join(dir, de->d_name))) {
      closedir(dp);
      return nomem();
    }
    keep = path_is_file(full);
    free(full);
    if (keep && strvec_push(out, strdup(de->d_name)) != EF_OK) {
      closedir(dp);
      return nomem();
    }
  }
  closedir(dp);
  strvec_sort(out);
  return EF_OK;
}

/* Files that are not videos of the dataset, as the reference skips them
 * (dotfiles, manifest*), and any file without a media extension. */
static int skipped_name(const char *name, int audio) {
  if (name[0] == '.' || strncmp(name, "manifest", 8) == 0)
    return 1;
  return !discover_is_media_name(name, audio);
}

/* The uids of a folder: stems of its media files, sorted, without
 * repeats. *ignored counts the other files (dotfiles and manifests
 * aside), *example is one of them (borrowed from files). */
static int uids_from_files(const strvec *files, int audio, strvec *uids,
                           size_t *ignored, const char **example) {
  for (size_t i = 0; i < files->n; i++) {
    const char *name = files->items[i];
    const char *dot = strrchr(name, '.');
    if (skipped_name(name, audio)) {
      if (name[0] != '.' && strncmp(name, "manifest", 8) != 0) {
        if (!*ignored)
          *example = name;
        (*ignored)++;
      }
      continue;
    }
    if (strvec_push(uids, str_ndup(name, (size_t)(dot - name))) != EF_OK)
      return nomem();
  }
  strvec_sort(uids);
  size_t w = 0;
  for (size_t i = 0; i < uids->n; i++) {
    if (w > 0 && strcmp(uids->items[w - 1], uids->items[i]) == 0)
      free(uids->items[i]);
    else
      uids->items[w++] = uids->items[i];
  }
  uids->n = w;
  return EF_OK;
}

/* "mp4, mkv, ..." for messages. */
static void ext_names(int audio, char *buf, size_t n) {
  size_t w = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < N_OF(video_exts) + N_OF(audio_exts); i++) {
    if (i >= N_OF(video_exts) && !audio)
      break;
    const char *e =
        i < N_OF(video_exts) ? video_exts[i] : audio_exts[i - N_OF(video_exts)];
    int k = snprintf(buf + w, n - w, "%s.%s", w ? ", " : "", e);
    if (k < 0 || (size_t)k >= n - w)
      break;
    w += (size_t)k;
  }
}

/* A folder without one media file is a mistake (a wrong path, videos
 * still downloading), not an empty success. */
static int no_media_error(const char *dir, int audio, size_t ignored,
                          const char *example) {
  char exts[256];
  ext_names(audio, exts, sizeof exts);
  if (ignored)
    return ef_error_set(EF_ENOTFOUND,
                        "%s: no media files to extract (looked for %s); "
                        "%zu other file%s ignored, e.g. '%s'",
                        dir, exts, ignored, ignored == 1 ? "" : "s", example);
  return ef_error_set(EF_ENOTFOUND,
                      "%s: no media files to extract (the folder is empty; "
                      "looked for %s)",
                      dir, exts);
}

/* <dir>/<uid>.mp4; else the one <uid>.<ext> with another video extension,
 * if there is exactly one; else the .mp4 name, which the pipeline will
 * report as missing. */
static char *video_path(const char *dir, const char *uid, const strvec *files,
                        int audio) {
  size_t len = strlen(uid), lo = 0, hi = files->n;
  const char *only = NULL;
  int count = 0;
  char *mp4 = malloc(len + 5);
  char *path;

  if (!mp4)
    return NULL;
  snprintf(mp4, len + 5, "%s.mp4", uid);
  path = path_join(dir, mp4);
  if (!path || path_is_file(path)) {
    free(mp4);
    return path;
  }
  /* Names starting with "<uid>." sort together from the first name that
   * is not below "<uid>.". */
  mp4[len + 1] = '\0';
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(files->items[mid], mp4) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (size_t i = lo; i < files->n; i++) {
    const char *name = files->items[i];
    if (strncmp(name, mp4, len + 1) != 0)
      break;
    if (!strchr(name + len + 1, '.') && is_media_ext(name + len + 1, audio)) {
      only = name;
      count++;
    }
  }
  free(mp4);
  if (count == 1) {
    free(path);
    path = path_join(dir, only);
  }
  return path;
}

/* ---- Random subset ------------------------------------------------------ */

/*
 * io.video_limit's subset: a partial Fisher-Yates shuffle of the indices
 * 0..n-1 driven by splitmix64 (Steele, Lea & Flood 2014; the generator
 * java.util.SplittableRandom uses) seeded with io.seed. Step i swaps index
 * i with index i + r % (n - i), where r is the next 64-bit output; the
 * first `limit` indices are the subset, which is then put back in the
 * original order. The same seed, list and limit always give the same
 * subset, on any platform.
 */
static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static int cmp_size(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return (x > y) - (x < y);
}

static int pick_subset(strvec *uids, size_t limit, int64_t seed) {
  size_t n = uids->n;
  size_t *idx = malloc(n * sizeof *idx);
  char **kept = malloc(limit * sizeof *kept);
  uint64_t state = (uint64_t)seed;

  if (!idx || !kept) {
    free(idx);
    free(kept);
    return nomem();
  }
  for (size_t i = 0; i < n; i++)
    idx[i] = i;
  for (size_t i = 0; i < limit; i++) {
    size_t j = i + (size_t)(splitmix64(&state) % (uint64_t)(n - i));
    size_t t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  qsort(idx, limit, sizeof *idx, cmp_size);
  for (size_t i = 0; i < limit; i++) {
    kept[i] = uids->items[idx[i]];
    uids->items[idx[i]] = NULL;
  }
  for (size_t i = 0; i < n; i++)
    free(uids->items[i]);
  free(uids->items);
  free(idx);
  uids->items = kept;
  uids->n = uids->cap = limit;
  return EF_OK;
}

/* ---- uids as file names ------------------------------------------------ */

const char *discover_uid_problem(const char *uid) {
  if (!uid || !*uid)
    return "a uid may not be empty";
  if (strcmp(uid, ".") == 0 || strcmp(uid, "..") == 0)
    return "a uid may not be \".\" or \"..\"";
  for (const unsigned char *p = (const unsigned char *)uid; *p; p++) {
    if (*p == '/')
      return "a uid may not contain '/' (it names a file, not a path)";
    if (*p < 0x20 || *p == 0x7f)
      return "a uid may not contain control characters such as a newline";
  }
  return NULL;
}

char *discover_uid_reject(const char *uid) {
  const char *why = discover_uid_problem(uid);
  if (!why)
    return NULL;
  /* The uid is shown escaped: it may hold the very newline refused. */
  size_t n = uid ? strlen(uid) : 0;
  char *esc = malloc(4 * n + 1), *q = esc;
  if (!esc)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)uid[i];
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
      q += sprintf(q, "\\x%02x", c);
    else
      *q++ = (char)c;
  }
  *q = '\0';
  size_t len = strlen(esc) + strlen(why) + 32;
  char *msg = malloc(len);
  if (msg)
    snprintf(msg, len, "invalid uid \"%s\": %s", esc, why);
  free(esc);
  return msg;
}

/* ---- Assembling --------------------------------------------------------- */

/* Fills what the manifest left unknown from the file itself, if it can be
 * read; a file that cannot be probed stays unknown (the pipeline reports
 * it when it tries to decode it). */
static void fill_from_probe(ef_video *v, const ef_settings *s) {
  probe_info info;

  if (probe_file(v->path, &info) != EF_OK) {
    ef_error_clear();
    return;
  }
  if (v->num_frames < 0)
    v->num_frames = probe_frames_at(&info, s->fps_num, s->fps_den);
  if (v->width <= 0 || v->height <= 0) {
    v->width = info.width;
    v->height = info.height;
  }
  if (v->has_audio < 0)
    v->has_audio = info.has_audio;
}

/* Listed so that it is reported, but its path is never opened. */
static int reject_video(ef_video *v, char *why) {
  v->reject = why;
  v->path = strdup("");
  v->num_frames = -1;
  v->has_audio = -1;
  return v->reject && v->path ? EF_OK : nomem();
}

/* Why an absolute uid_list entry cannot be used, or NULL. It must be a
 * whole path to an existing file, without ".." (a path, not a way out of
 * a folder). */
static const char *absolute_problem(const char *path) {
  for (const char *p = path; (p = strstr(p, "/..")) != NULL; p += 3)
    if (p[3] == '/' || p[3] == '\0')
      return "an absolute path may not contain '..'";
  if (!path_is_file(path))
    return "an absolute path must name an existing file";
  return NULL;
}

/* The uid and path of one input: a uid_list entry or a folder's stem.
 * "x" is the uid x, found as <dir>/x.mp4 (or its one other media file);
 * "x.mp4" (a media extension) is the uid x in the file <dir>/x.mp4;
 * "/data/x.mkv" is the uid x in that file. */
static int resolve(ef_video *v, const char *input, const ef_settings *s,
                   const strvec *files) {
  int audio = s->include_audio;
  int absolute = input[0] == '/';
  int named = !absolute && discover_is_media_name(input, audio);
  if (absolute)
    v->uid = discover_uid_from_path(input);
  else if (named) /* "sub/x.mp4" keeps its '/' in the uid: refused */
    v->uid = str_ndup(input, (size_t)(strrchr(input, '.') - input));
  else
    v->uid = strdup(input);
  if (!v->uid)
    return nomem();
  if (discover_uid_problem(v->uid))
    return reject_video(v, discover_uid_reject(v->uid));
  const char *why = absolute ? absolute_problem(input) : NULL;
  if (why) {
    size_t len = strlen(input) + strlen(why) + 32;
    char *msg = malloc(len);
    if (msg)
      snprintf(msg, len, "io.uid_list: '%s': %s", input, why);
    return reject_video(v, msg);
  }
  if (absolute)
    v->path = strdup(input);
  else if (named)
    v->path = path_join(s->video_dir_path, input);
  else
    v->path = video_path(s->video_dir_path, input, files, audio);
  return v->path ? EF_OK : nomem();
}

static int describe(ef_video *v, const char *input, const ef_settings *s,
                    const strvec *files, const manifest *m,
                    const strvec *stereo, int may_probe) {
  int rc = resolve(v, input, s, files);
  if (rc != EF_OK || v->reject)
    return rc;
  const manifest_row *row = manifest_find(m, v->uid);
  v->num_frames = row ? row->num_frames : -1;
  v->width = row ? row->width : 0;
  v->height = row ? row->height : 0;
  v->has_audio = row ? row->has_audio : -1;
  v->is_stereo = strvec_contains(stereo, v->uid);
  if (may_probe && (v->num_frames < 0 || v->width <= 0 || v->has_audio < 0) &&
      path_is_file(v->path))
    fill_from_probe(v, s);
  return EF_OK;
}

static int collect_inputs(const ef_settings *s, const strvec *files,
                          strvec *inputs, size_t *ignored,
                          const char **example) {
  if (s->uid_list) {
    for (size_t i = 0; i < s->n_uids; i++)
      if (strvec_push(inputs, strdup(s->uid_list[i])) != EF_OK)
        return nomem();
    return EF_OK;
  }
  return uids_from_files(files, s->include_audio, inputs, ignored, example);
}

/* Orders videos by uid, then by place in the list. */
static int cmp_uid(const void *a, const void *b) {
  const ef_video *x = *(const ef_video *const *)a;
  const ef_video *y = *(const ef_video *const *)b;
  int c = strcmp(x->uid, y->uid);
  return c ? c : (x > y) - (x < y);
}

int discover_check_unique(const ef_video *v, const char *const *inputs,
                          size_t n) {
  const ef_video **by_uid = malloc((n ? n : 1) * sizeof *by_uid);
  size_t m = 0;
  int rc = EF_OK;
  if (!by_uid)
    return nomem();
  for (size_t i = 0; i < n; i++)
    if (!v[i].reject) /* refused uids fail alone, each with its reason */
      by_uid[m++] = &v[i];
  /* Sorted, equal uids are neighbours, the earlier input first. */
  qsort(by_uid, m, sizeof *by_uid, cmp_uid);
  for (size_t k = 1; k < m; k++) {
    if (strcmp(by_uid[k - 1]->uid, by_uid[k]->uid) == 0) {
      rc = ef_error_set(EF_ECONFIG,
                        "'%s' and '%s' both give uid '%s': their features "
                        "would go to the same file; list one of them, or "
                        "rename a file",
                        inputs[by_uid[k - 1] - v], inputs[by_uid[k] - v],
                        by_uid[k]->uid);
      break;
    }
  }
  free(by_uid);
  return rc;
}

/* Orders pointers to strings by the strings, then by where they are. */
static int cmp_str_ptr_at(const void *a, const void *b) {
  char **x = *(char **const *)a, **y = *(char **const *)b;
  int c = strcmp(*x, *y);
  return c ? c : (x > y) - (x < y);
}

/* The same uid_list entry twice is one video (the scheduler's bins list
 * each once): later repeats go, the order stays. Different entries with
 * one uid are discover_check_unique's error. */
static int drop_repeats(strvec *inputs) {
  size_t n = inputs->n;
  char ***order = malloc((n ? n : 1) * sizeof *order);
  if (!order)
    return nomem();
  for (size_t i = 0; i < n; i++)
    order[i] = &inputs->items[i];
  /* Sorting pointers into items: equal strings end up side by side, the
   * first occurrence (lowest address) first. */
  qsort(order, n, sizeof *order, cmp_str_ptr_at);
  const char *kept = n ? *order[0] : NULL;
  for (size_t k = 1; k < n; k++) {
    if (strcmp(kept, *order[k]) == 0) {
      free(*order[k]);
      *order[k] = NULL;
    } else {
      kept = *order[k];
    }
  }
  free(order);
  size_t w = 0;
  for (size_t i = 0; i < n; i++)
    if (inputs->items[i])
      inputs->items[w++] = inputs->items[i];
  inputs->n = w;
  return EF_OK;
}

/* ---- Ego-Exo4D takes ----------------------------------------------------- */

/* Why stream t's file cannot be extracted, as a new message in *why:
 * 1 if it is missing (the video is skipped), 0 if it is there (*why
 * NULL: a regular file, else the video fails untouched), -1 out of
 * memory. */
static int take_file_state(const takes_stream *t, char **why) {
  struct stat st;
  char msg[4200];
  int missing = 0;
  *why = NULL;
  if (t->problem)
    return (*why = strdup(t->problem)) ? 0 : -1;
  if (!t->path) {
    snprintf(msg, sizeof msg,
             "takes.json lists no file for it "
             "(relative_path is null)");
    missing = 1;
  } else if (stat(t->path, &st) != 0) {
    missing = errno == ENOENT || errno == ENOTDIR;
    snprintf(msg, sizeof msg, "%s: %s", t->path,
             missing ? "no such file (listed in takes.json, not downloaded)"
                     : strerror(errno));
  } else if (S_ISREG(st.st_mode)) {
    return 0;
  } else {
    snprintf(msg, sizeof msg, "%s: not a regular file", t->path);
  }
  return (*why = strdup(msg)) ? missing : -1;
}

/* Video v of stream t, whose file exists (why NULL) or not. Sizes are
 * the reference's for full-size Ego-Exo4D videos; a probe, needed only
 * when the frame count is unknown, replaces them. No audio, as there. */
static int take_video(ef_video *v, takes_stream *t, char *why, int missing,
                      const ef_settings *s) {
  v->uid = t->uid;
  t->uid = NULL;
  v->path = t->path ? t->path : strdup("");
  t->path = NULL;
  v->num_frames = missing ? -1 : t->num_frames;
  v->width = t->is_aria ? 1408 : 3840;
  v->height = t->is_aria ? 1408 : 2160;
  v->has_audio = 0;
  if (!v->path) {
    free(why);
    return nomem();
  }
  /* A uid that cannot be a file name fails, file or no file: no output
   * of it could be named. */
  if (discover_uid_problem(v->uid)) {
    free(why);
    why = NULL;
    if (!(v->reject = discover_uid_reject(v->uid)))
      return nomem();
  } else if (missing) {
    v->skip = why;
  } else {
    v->reject = why;
  }
  if (!missing && !v->reject && v->num_frames < 0) {
    v->width = v->height = 0;
    fill_from_probe(v, s);
  }
  return EF_OK;
}

/* The videos of <egoexo_data_dir>/takes.json: every stream with a file
 * (io.video_limit picks among them), and every one without, skipped. */
static int discover_takes(const ef_settings *s, ef_video **out, size_t *n) {
  takes_filter f = {(const char *const *)s->uid_list, s->n_uids,
                    (const char *const *)s->cam_prefixes, s->n_cam_prefixes};
  takes_list l = {0};
  strvec present = {0};
  char **why = NULL;
  int *missing = NULL;
  ef_video *v = NULL;
  size_t count = 0;
  int rc = takes_load(s->egoexo_data_dir, &f, &l);
  if (rc < 0)
    goto fail;
  why = calloc(l.n ? l.n : 1, sizeof *why);
  missing = calloc(l.n ? l.n : 1, sizeof *missing);
  v = calloc(l.n ? l.n : 1, sizeof *v);
  if (!why || !missing || !v) {
    rc = nomem();
    goto fail;
  }
  for (size_t i = 0; i < l.n; i++) {
    if ((missing[i] = take_file_state(&l.items[i], &why[i])) < 0 ||
        (!missing[i] &&
         strvec_push(&present, strdup(l.items[i].uid)) != EF_OK)) {
      rc = nomem();
      goto fail;
    }
  }
  if (s->video_limit > 0 && (uint64_t)s->video_limit < present.n &&
      (rc = pick_subset(&present, (size_t)s->video_limit, s->seed)) < 0)
    goto fail;
  /* The subset keeps the order: walk both lists together. */
  for (size_t i = 0, k = 0; i < l.n; i++) {
    if (!missing[i] &&
        (k >= present.n || strcmp(present.items[k], l.items[i].uid) != 0))
      continue;
    k += !missing[i];
    rc = take_video(&v[count++], &l.items[i], why[i], missing[i], s);
    why[i] = NULL;
    if (rc < 0)
      goto fail;
  }
  const char **inputs = malloc((count ? count : 1) * sizeof *inputs);
  if (!inputs) {
    rc = nomem();
    goto fail;
  }
  for (size_t i = 0; i < count; i++)
    inputs[i] = v[i].path;
  rc = discover_check_unique(v, inputs, count);
  free(inputs);
fail:
  for (size_t i = 0; why && i < l.n; i++)
    free(why[i]);
  free(why);
  free(missing);
  strvec_free(&present);
  takes_free(&l);
  if (rc < 0) {
    discover_free(v, count);
    return rc;
  }
  *out = v;
  *n = count;
  return EF_OK;
}

int discover_videos(const ef_settings *s, ef_video **out, size_t *n) {
  strvec files = {0}, inputs = {0}, stereo = {0};
  manifest m = {0};
  ef_video *videos = NULL;
  size_t ignored = 0;
  const char *example = "";
  int rc;

  *out = NULL;
  *n = 0;
  if (s->dataset_version && strcmp(s->dataset_version, "egoexo") == 0 &&
      s->egoexo_data_dir && *s->egoexo_data_dir)
    return discover_takes(s, out, n);
  if (!s->video_dir_path || !*s->video_dir_path)
    return ef_error_set(EF_ECONFIG, "io.video_dir_path is not set");
  /* The folder is listed even with a uid_list: it says which other
   * extension a uid's file has. Without a uid_list it must exist. */
  rc = list_files(s->video_dir_path, &files);
  if (rc < 0 && (rc == EF_ENOMEM || !s->uid_list))
    goto fail;
  ef_error_clear();
  if ((rc = collect_inputs(s, &files, &inputs, &ignored, &example)) < 0 ||
      (rc = drop_repeats(&inputs)) < 0)
    goto fail;
  if (!s->uid_list && inputs.n == 0) {
    rc = no_media_error(s->video_dir_path, s->include_audio, ignored, example);
    goto fail;
  }
  if (s->video_limit > 0 && (uint64_t)s->video_limit < inputs.n &&
      (rc = pick_subset(&inputs, (size_t)s->video_limit, s->seed)) < 0)
    goto fail;
  if ((rc = manifest_load(s->video_dir_path, &m)) < 0 ||
      (rc = stereo_list_load(s->ego4d_download_dir, &stereo)) < 0)
    goto fail;
  if (inputs.n && !(videos = calloc(inputs.n, sizeof *videos))) {
    rc = nomem();
    goto fail;
  }
  for (size_t i = 0; i < inputs.n; i++) {
    /* Probing many files takes a while: after a signal the rest are
     * listed unprobed, and the run that follows stops at once. */
    if ((rc = describe(&videos[i], inputs.items[i], s, &files, &m, &stereo,
                       !probe_cancelled())) < 0)
      break;
  }
  if (rc == EF_OK)
    rc = discover_check_unique(videos, (const char *const *)inputs.items,
                               inputs.n);
  if (rc < 0) {
    discover_free(videos, inputs.n);
    videos = NULL;
    goto fail;
  }
  *out = videos;
  *n = inputs.n;
  rc = EF_OK;
fail:
  strvec_free(&stereo);
  manifest_free(&m);
  strvec_free(&inputs);
  strvec_free(&files);
  return rc;
}

int discover_paths(const char *const *paths, size_t n, ef_video **out,
                   size_t *count) {
  ef_video *v = calloc(n ? n : 1, sizeof *v);
  int rc = EF_OK;
  *out = NULL;
  *count = 0;
  if (!v)
    return nomem();
  for (size_t i = 0; i < n && rc == EF_OK; i++) {
    v[i].uid = discover_uid_from_path(paths[i]);
    v[i].path = strdup(paths[i]);
    v[i].num_frames = -1;
    v[i].has_audio = -1;
    if (!v[i].uid || !v[i].path ||
        (discover_uid_problem(v[i].uid) &&
         !(v[i].reject = discover_uid_reject(v[i].uid))))
      rc = nomem();
  }
  if (rc == EF_OK)
    rc = discover_check_unique(v, paths, n);
  if (rc != EF_OK) {
    discover_free(v, n);
    return rc;
  }
  *out = v;
  *count = n;
  return EF_OK;
}

char *discover_uid_from_path(const char *path) {
  const char *base = strrchr(path, '/');
  const char *dot;

  base = base ? base + 1 : path;
  dot = strrchr(base, '.');
  /* A leading dot is part of the name, not an extension. */
  if (!dot || dot == base)
    return strdup(base);
  return str_ndup(base, (size_t)(dot - base));
}

void discover_free(ef_video *videos, size_t n) {
  if (!videos)
    return;
  for (size_t i = 0; i < n; i++) {
    free(videos[i].uid);
    free(videos[i].path);
    free(videos[i].reject);
    free(videos[i].skip);
  }
  free(videos);
}
