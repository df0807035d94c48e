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
 * as failed instead of it silently vanishing.
 */
#include "discover.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "manifest.h"
#include "probe.h"
#include "stereo_list.h"
#include "strvec.h"

/* Worded alike in discover.c, manifest.c and stereo_list.c: to a caller,
 * discovery is one step. */
static int nomem(void) {
  return ef_error_set(EF_ENOMEM, "discovery: out of memory");
}

/* ---- The folder --------------------------------------------------------- */

static const char *const video_exts[] = {
    "mp4",  "mkv", "mov", "avi",  "webm", "m4v", "mpg",
    "mpeg", "ts",  "mts", "m2ts", "wmv",  "flv", "3gp",
};

static int is_video_ext(const char *ext) {
  for (size_t i = 0; i < sizeof video_exts / sizeof video_exts[0]; i++)
    if (strcasecmp(ext, video_exts[i]) == 0)
      return 1;
  return 0;
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

/* Files that are not videos of the dataset, as the reference skips them. */
static int skipped_name(const char *name) {
  const char *dot = strrchr(name, '.');
  if (name[0] == '.' || strncmp(name, "manifest", 8) == 0)
    return 1;
  return dot && (strcasecmp(dot, ".json") == 0 || strcasecmp(dot, ".csv") == 0);
}

/* The uids of a folder: stems of its files, sorted, without repeats. */
static int uids_from_files(const strvec *files, strvec *uids) {
  for (size_t i = 0; i < files->n; i++) {
    const char *name = files->items[i];
    const char *dot = strrchr(name, '.');
    if (skipped_name(name))
      continue;
    if (strvec_push(uids, dot ? str_ndup(name, (size_t)(dot - name))
                              : strdup(name)) != EF_OK)
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

/* <dir>/<uid>.mp4; else the one <uid>.<ext> with another video extension,
 * if there is exactly one; else the .mp4 name, which the pipeline will
 * report as missing. */
static char *video_path(const char *dir, const char *uid, const strvec *files) {
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
    if (!strchr(name + len + 1, '.') && is_video_ext(name + len + 1)) {
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
  if (v->num_frames < 0 && info.has_video)
    v->num_frames =
        s->fps_num > 0 && s->fps_den > 0
            ? probe_sampled_frames(info.duration, s->fps_num, s->fps_den)
            : info.num_frames;
  if (v->width <= 0 || v->height <= 0) {
    v->width = info.width;
    v->height = info.height;
  }
  if (v->has_audio < 0)
    v->has_audio = info.has_audio;
}

static int describe(ef_video *v, const char *uid, const ef_settings *s,
                    const strvec *files, const manifest *m,
                    const strvec *stereo) {
  const manifest_row *row = manifest_find(m, uid);

  v->uid = strdup(uid);
  if (!v->uid)
    return nomem();
  if (discover_uid_problem(uid)) {
    /* Listed so that it is reported, but its path is never opened. */
    v->reject = discover_uid_reject(uid);
    v->path = strdup("");
    v->num_frames = -1;
    v->has_audio = -1;
    return v->reject && v->path ? EF_OK : nomem();
  }
  v->path = video_path(s->video_dir_path, uid, files);
  if (!v->path)
    return nomem();
  v->num_frames = row ? row->num_frames : -1;
  v->width = row ? row->width : 0;
  v->height = row ? row->height : 0;
  v->has_audio = row ? row->has_audio : -1;
  v->is_stereo = strvec_contains(stereo, uid);
  if ((v->num_frames < 0 || v->width <= 0 || v->has_audio < 0) &&
      path_is_file(v->path))
    fill_from_probe(v, s);
  return EF_OK;
}

static int collect_uids(const ef_settings *s, const strvec *files,
                        strvec *uids) {
  if (s->uid_list) {
    for (size_t i = 0; i < s->n_uids; i++)
      if (strvec_push(uids, strdup(s->uid_list[i])) != EF_OK)
        return nomem();
    return EF_OK;
  }
  return uids_from_files(files, uids);
}

int discover_videos(const ef_settings *s, ef_video **out, size_t *n) {
  strvec files = {0}, uids = {0}, stereo = {0};
  manifest m = {0};
  ef_video *videos = NULL;
  int rc;

  *out = NULL;
  *n = 0;
  if (!s->video_dir_path || !*s->video_dir_path)
    return ef_error_set(EF_ECONFIG, "io.video_dir_path is not set");
  /* The folder is listed even with a uid_list: it says which other
   * extension a uid's file has. Without a uid_list it must exist. */
  rc = list_files(s->video_dir_path, &files);
  if (rc < 0 && (rc == EF_ENOMEM || !s->uid_list))
    goto fail;
  ef_error_clear();
  if ((rc = collect_uids(s, &files, &uids)) < 0)
    goto fail;
  if (s->video_limit > 0 && (uint64_t)s->video_limit < uids.n &&
      (rc = pick_subset(&uids, (size_t)s->video_limit, s->seed)) < 0)
    goto fail;
  if ((rc = manifest_load(s->video_dir_path, &m)) < 0 ||
      (rc = stereo_list_load(s->ego4d_download_dir, &stereo)) < 0)
    goto fail;
  if (uids.n && !(videos = calloc(uids.n, sizeof *videos))) {
    rc = nomem();
    goto fail;
  }
  for (size_t i = 0; i < uids.n; i++) {
    if ((rc = describe(&videos[i], uids.items[i], s, &files, &m, &stereo)) <
        0) {
      discover_free(videos, i + 1);
      videos = NULL;
      goto fail;
    }
  }
  *out = videos;
  *n = uids.n;
  rc = EF_OK;
fail:
  strvec_free(&stereo);
  manifest_free(&m);
  strvec_free(&uids);
  strvec_free(&files);
  return rc;
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
  }
  free(videos);
}
