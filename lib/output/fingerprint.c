/*
 * fingerprint.c - the description of what determines a video's features
 * and its SHA-256 (see fingerprint.h for what is in it and why).
 */
#include "output/fingerprint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/mem.h>
#include <libavutil/sha.h>

#include "output/write_internal.h"
#include "util/error.h"
#include "util/fs.h"

static void to_hex(const uint8_t digest[32],
                   char hex[FINGERPRINT_HEX_LEN + 1]) {
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < 32; i++) {
    hex[2 * i] = digits[digest[i] >> 4];
    hex[2 * i + 1] = digits[digest[i] & 15];
  }
  hex[FINGERPRINT_HEX_LEN] = '\0';
}

void fingerprint_sha256(const void *data, size_t len,
                        char hex[FINGERPRINT_HEX_LEN + 1]) {
  /* AVSHA is opaque; its context is a few hundred bytes, so a failed
   * allocation here is the process running out of memory altogether. */
  struct AVSHA *sha = av_sha_alloc();
  uint8_t digest[32] = {0};
  if (sha && av_sha_init(sha, 256) == 0) {
    av_sha_update(sha, data, len);
    av_sha_final(sha, digest);
  }
  av_free(sha);
  to_hex(digest, hex);
}

int fingerprint_file_sha256(const char *path,
                            char hex[FINGERPRINT_HEX_LEN + 1]) {
  int rc = EF_OK;
  uint8_t *buf = NULL;
  struct AVSHA *sha = NULL;
  int fd = fs_open_regular(path);
  if (fd < 0)
    return ef_error_set(EF_EIO, "cannot read the model file %s: %s", path,
                        fd == -ENOTSUP ? "not a regular file (not opened)"
                                       : strerror(-fd));
  /* 1 MiB reads: a 1 GB model hashes in about 2 s, once per run. */
  enum { CHUNK = 1 << 20 };
  buf = malloc(CHUNK);
  sha = av_sha_alloc();
  if (!buf || !sha || av_sha_init(sha, 256) != 0) {
    rc = ef_error_set(EF_ENOMEM, "out of memory hashing %s", path);
    goto cleanup;
  }
  for (;;) {
    ssize_t r = read(fd, buf, CHUNK);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      rc = ef_error_set(EF_EIO, "cannot read the model file %s: %s", path,
                        strerror(errno));
      goto cleanup;
    }
    if (r == 0)
      break;
    av_sha_update(sha, buf, (size_t)r);
  }
  uint8_t digest[32];
  av_sha_final(sha, digest);
  to_hex(digest, hex);
cleanup:
  av_free(sha);
  free(buf);
  close(fd);
  return rc;
}

static const char *yes_no(int v) {
  return v ? "true" : "false";
}

int fingerprint_run_text(const ef_settings *s, const char *model_hex,
                         char **text) {
  *text = NULL;
  membuf b;
  membuf_init(&b);
  membuf_printf(&b, "model_config.kind: %s\n", s->model_kind);
  membuf_printf(&b, "model_config.model_sha256: %s\n",
                model_hex ? model_hex : "none");
  /* The window grid applies to audio windows too. */
  membuf_printf(&b, "inference_config.fps: %lld/%lld\n", (long long)s->fps_num,
                (long long)s->fps_den);
  membuf_printf(&b, "inference_config.frame_window: %lld\n",
                (long long)s->frame_window);
  membuf_printf(&b, "inference_config.stride: %lld\n", (long long)s->stride);
  membuf_printf(&b, "inference_config.include_audio: %s\n",
                yes_no(s->include_audio));
  if (s->include_audio) {
    membuf_printf(&b, "inference_config.norm_config.normalize_audio: %s\n",
                  yes_no(s->normalize_audio));
    membuf_printf(&b, "inference_config.norm_config.resample_audio_rate: %d\n",
                  s->audio_rate);
    if (strcmp(s->model_kind, "mel_spectrogram") == 0)
      membuf_printf(
          &b,
          "model_config.n_mels: %d\nmodel_config.n_fft: %d\n"
          "model_config.hop_length: %d\nmodel_config.win_length: %d\n",
          s->n_mels, s->n_fft, s->hop_length, s->win_length);
  } else {
    membuf_printf(&b,
                  "model_config.side_size: %d\nmodel_config.crop_size: %d\n",
                  s->side_size, s->crop_size);
    /* %.9g: every float32 prints back to itself. */
    membuf_printf(&b, "model_config.mean: [%.9g, %.9g, %.9g]\n", s->mean[0],
                  s->mean[1], s->mean[2]);
    membuf_printf(&b, "model_config.std: [%.9g, %.9g, %.9g]\n", s->std[0],
                  s->std[1], s->std[2]);
    membuf_printf(&b, "model_config.interpolation: %s\n",
                  s->interp == EF_INTERP_BICUBIC ? "bicubic" : "bilinear");
    membuf_printf(&b, "model_config.input_layout: %s\n",
                  s->input_2d ? "nchw" : "ncthw");
    if (strcmp(s->model_kind, "slowfast") == 0)
      membuf_printf(&b, "model_config.slowfast_alpha: %d\n", s->slowfast_alpha);
  }
  membuf_printf(&b, "model_config.dtype: %s\n",
                s->half ? "float16" : "float32");
  membuf_printf(&b, "model_config.l2_normalize: %s\n", yes_no(s->l2_normalize));
  membuf_byte(&b, '\0');
  if (b.failed) {
    membuf_free(&b);
    return ef_error_set(EF_ENOMEM, "out of memory describing the run");
  }
  *text = (char *)b.data;
  return EF_OK;
}

char *fingerprint_video_text(const char *run_text, int is_stereo) {
  /* ego4d.json's is_stereo: the left half of each frame is the video. */
  const char *line =
      is_stereo ? "stereo: left half\n" : "stereo: whole frame\n";
  size_t n = strlen(run_text) + strlen(line) + 1;
  char *t = malloc(n);
  if (t)
    snprintf(t, n, "%s%s", run_text, line);
  return t;
}

/* The line of `text` whose key (before ": ") is key[0..klen), or NULL. */
static const char *find_line(const char *text, const char *key, size_t klen) {
  for (const char *p = text; p && *p;) {
    const char *nl = strchr(p, '\n');
    const char *colon = strstr(p, ": ");
    if (colon && (!nl || colon < nl) && (size_t)(colon - p) == klen &&
        memcmp(p, key, klen) == 0)
      return p;
    p = nl ? nl + 1 : NULL;
  }
  return NULL;
}

/* The value of a line found by find_line, and its length. */
static const char *line_value(const char *line, int *len, const char **cut) {
  *cut = "";
  if (!line) {
    *len = (int)strlen("(absent)");
    return "(absent)";
  }
  const char *v = strstr(line, ": ") + 2;
  const char *nl = strchr(v, '\n');
  int n = nl ? (int)(nl - v) : (int)strlen(v);
  /* Hashes are recognisable from their start; whole ones make the
   * message unreadable. */
  *len = n > 16 ? 16 : n;
  if (n > 16)
    *cut = "...";
  return v;
}

/* Appends "key: OLD -> NEW" for each line of `scan` that `other` lacks
 * or holds with another value. scan_is_now: `scan` is this run's text
 * (every difference is reported); else it is the old text and only keys
 * this run lacks are (the others were reported already). */
static void diff_lines(membuf *b, const char *scan, const char *other,
                       int scan_is_now) {
  for (const char *p = scan; p && *p;) {
    const char *nl = strchr(p, '\n');
    const char *colon = strstr(p, ": ");
    if (colon && (!nl || colon < nl)) {
      size_t klen = (size_t)(colon - p);
      size_t len = nl ? (size_t)(nl - p) : strlen(p);
      const char *o = find_line(other, p, klen);
      int same =
          o && strncmp(o, p, len) == 0 && (o[len] == '\n' || o[len] == '\0');
      if (!same && (scan_is_now || !o)) {
        int sl, ol;
        const char *sc, *oc;
        const char *sv = line_value(p, &sl, &sc);
        const char *ov = line_value(o, &ol, &oc);
        if (scan_is_now)
          membuf_printf(b, "%s%.*s: %.*s%s -> %.*s%s", b->len ? "; " : "",
                        (int)klen, p, ol, ov, oc, sl, sv, sc);
        else
          membuf_printf(b, "%s%.*s: %.*s%s -> %.*s%s", b->len ? "; " : "",
                        (int)klen, p, sl, sv, sc, ol, ov, oc);
      }
    }
    p = nl ? nl + 1 : NULL;
  }
}

char *fingerprint_diff(const char *was, const char *now) {
  membuf b;
  membuf_init(&b);
  diff_lines(&b, now ? now : "", was ? was : "", 1);
  diff_lines(&b, was ? was : "", now ? now : "", 0);
  if (b.len == 0)
    membuf_printf(&b, "the descriptions differ in order or format");
  membuf_byte(&b, '\0');
  if (b.failed) {
    membuf_free(&b);
    return NULL;
  }
  return (char *)b.data;
}
