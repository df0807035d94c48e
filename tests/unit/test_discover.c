/*
 * test_discover.c - unit tests of discover.c: which uids a run covers, the
 * path of each, and the metadata from manifest.csv, ego4d.json or probing.
 * Each test builds its own folder; the settings are filled by hand, as
 * settings_load() would leave them.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ego4dfeat/ego4dfeat.h"
#include "input/discover.h"
#include "media/probe.h"
#include "testutil.h"

static char *g_dir; /* the current test's folder */

static void setup(void) {
  g_dir = tu_tmpdir();
  ck_assert_ptr_nonnull(g_dir);
}

static void teardown(void) {
  tu_rmrf(g_dir);
  free(g_dir);
  g_dir = NULL;
}

static ef_settings settings_for(const char *dir) {
  ef_settings s;
  memset(&s, 0, sizeof s);
  s.video_dir_path = (char *)dir;
  s.video_limit = -1;
  s.fps_num = 30;
  s.fps_den = 1;
  s.frame_window = 32;
  s.stride = 16;
  return s;
}

static void touch(const char *name) {
  char *p = tu_path(g_dir, name);
  ck_assert_int_eq(tu_write_file(p, ""), 0);
  free(p);
}

static void write_in_dir(const char *name, const char *text) {
  char *p = tu_path(g_dir, name);
  ck_assert_int_eq(tu_write_file(p, text), 0);
  free(p);
}

/* A real little video: 2 s at 30 fps, 64x48, with or without sound. */
static void make_video(const char *name, int with_audio) {
  char *p = tu_ffmpeg(
      g_dir, name,
      with_audio
          ? "-f lavfi -i testsrc2=s=64x48:r=30 -f lavfi -i sine=d=2 -t 2 "
            "-c:v libx264 -pix_fmt yuv420p -c:a aac -shortest"
          : "-f lavfi -i testsrc2=s=64x48:r=30 -t 2 -c:v libx264 "
            "-pix_fmt yuv420p");
  ck_assert_msg(p != NULL, "ffmpeg failed to make %s", name);
  free(p);
}

static const ef_video *find(const ef_video *v, size_t n, const char *uid) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(v[i].uid, uid) == 0)
      return &v[i];
  return NULL;
}

static void assert_path(const ef_video *v, const char *name) {
  char *want = tu_path(g_dir, name);
  ck_assert_str_eq(v->path, want);
  free(want);
}

static void assert_unknown(const ef_video *v) {
  ck_assert_int_eq(v->num_frames, -1);
  ck_assert_int_eq(v->width, 0);
  ck_assert_int_eq(v->height, 0);
  ck_assert_int_eq(v->has_audio, -1);
  ck_assert_int_eq(v->is_stereo, 0);
}

/* ---- Listing ------------------------------------------------------------- */

START_TEST(test_folder_listing_skips) {
  ef_settings s = settings_for(g_dir);
  ef_video *v = NULL;
  size_t n = 0;
  char *sub = tu_path(g_dir, "subdir.mp4");

  touch("b.mp4");
  touch("a.mp4");
  touch("c.mkv");
  touch("d.MOV");
  touch("e"); /* no extension: not a media file */
  touch("notes.txt");
  touch("song.wav"); /* audio: only for audio configs */
  touch(".hidden.mp4");
  touch("manifest_backup.mp4");
  touch("info.json");
  touch("table.CSV");
  ck_assert_int_eq(mkdir(sub, 0755), 0);
  free(sub);

  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_OK);
  ck_assert_uint_eq(n, 4);
  ck_assert_str_eq(v[0].uid, "a");
  ck_assert_str_eq(v[1].uid, "b");
  ck_assert_str_eq(v[2].uid, "c");
  ck_assert_str_eq(v[3].uid, "d");
  assert_path(&v[0], "a.mp4");
  assert_path(&v[2], "c.mkv"); /* the only video file of that uid */
  assert_path(&v[3], "d.MOV");
  for (size_t i = 0; i < n; i++)
    assert_unknown(&v[i]); /* empty files cannot be probed */
  discover_free(v, n);

  /* An audio config takes audio files too. */
  s.include_audio = 1;
  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_OK);
  ck_assert_uint_eq(n, 5);
  ck_assert_str_eq(v[4].uid, "song");
  assert_path(&v[4], "song.wav");
  discover_free(v, n);
}
END_TEST

START_TEST(test_media_names) {
  ck_assert(discover_is_media_name("a.mp4", 0));
  ck_assert(discover_is_media_name("/x/y/A.MKV", 0));
  ck_assert(discover_is_media_name("clip.webm", 0));
  ck_assert(!discover_is_media_name("notes.txt", 1));
  ck_assert(!discover_is_media_name("mp4", 1));
  ck_assert(!discover_is_media_name(".mp4", 1)); /* a dotfile, no extension */
  ck_assert(!discover_is_media_name("dir.mp4/x", 1));
  ck_assert(!discover_is_media_name("a.wav", 0));
  ck_assert(discover_is_media_name("a.wav", 1));
  ck_assert(discover_is_media_name("a.opus", 1));
}
END_TEST

/* Only other files: an error naming the folder and one of them. */
START_TEST(test_folder_without_media) {
  ef_settings s = settings_for(g_dir);
  ef_video *v = (ef_video *)1;
  size_t n = 7;

  touch("notes.txt");
  touch("README");
  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_ENOTFOUND);
  ck_assert_ptr_null(v);
  ck_assert_uint_eq(n, 0);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), g_dir));
  ck_assert_msg(strstr(ef_last_error(), "no media files"), "%s",
                ef_last_error());
  ck_assert_msg(strstr(ef_last_error(), "2 other files ignored, e.g. 'README'"),
                "%s", ef_last_error());
}
END_TEST

/* uid_list entries with an extension or an absolute path. */
START_TEST(test_uid_list_names_and_paths) {
  char *elsewhere = tu_tmpdir();
  char *abs_clip = tu_path(elsewhere, "far.mkv");
  char *abs_missing = tu_path(elsewhere, "gone.mp4");
  char *dotdot = tu_path(elsewhere, "../x/far.mkv");
  ck_assert_int_eq(tu_write_file(abs_clip, ""), 0);
  char *abs_ctrl = tu_path(elsewhere, "bad\nname.mp4");
  ck_assert_int_eq(tu_write_file(abs_ctrl, ""), 0);
  char *uids[] = {"x.mp4", abs_clip,    "plain", abs_missing,
                  dotdot,  "sub/y.mp4", abs_ctrl};
  ef_settings s = settings_for(g_dir);
  ef_video *v = NULL;
  size_t n = 0;

  touch("x.mp4");
  s.uid_list = uids;
  s.n_uids = 7;
  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_OK);
  ck_assert_uint_eq(n, 7);
  ck_assert_str_eq(v[0].uid, "x");
  assert_path(&v[0], "x.mp4"); /* not x.mp4.mp4 */
  ck_assert_ptr_null(v[0].reject);
  ck_assert_str_eq(v[1].uid, "far");
  ck_assert_str_eq(v[1].path, abs_clip); /* not joined to the folder */
  ck_assert_ptr_null(v[1].reject);
  ck_assert_str_eq(v[2].uid, "plain");
  assert_path(&v[2], "plain.mp4");
  ck_assert_str_eq(v[3].uid, "gone");
  ck_assert_msg(v[3].reject && strstr(v[3].reject, "existing file"), "%s",
                v[3].reject);
  ck_assert_str_eq(v[3].path, "");
  ck_assert_msg(v[4].reject && strstr(v[4].reject, "'..'"), "%s", v[4].reject);
  ck_assert_msg(v[5].reject && strstr(v[5].reject, "may not contain '/'"), "%s",
                v[5].reject);
  /* An existing file whose name is no uid: refused by the uid rules. */
  ck_assert_str_eq(v[6].uid, "bad\nname");
  ck_assert_msg(v[6].reject && strstr(v[6].reject, "control characters"), "%s",
                v[6].reject);
  ck_assert_str_eq(v[6].path, "");
  free(abs_ctrl);
  discover_free(v, n);
  tu_rmrf(elsewhere);
  free(elsewhere);
  free(abs_clip);
  free(abs_missing);
  free(dotdot);
}
END_TEST

/* Two inputs, one uid: one output file for two videos, refused. */
START_TEST(test_duplicate_uids_are_an_error) {
  char *abs_clip = tu_path(g_dir, "x.mkv");
  char *pairs[][2] = {{"x.mp4", "x"}, {"x", abs_clip}, {"y.mp4", "y"}};
  ef_settings s = settings_for(g_dir);
  ef_video *v = NULL;
  size_t n = 0;

  touch("x.mp4");
  touch("x.mkv");
  for (size_t i = 0; i < 3; i++) {
    char want[512];
    s.uid_list = pairs[i];
    s.n_uids = 2;
    ck_assert_int_eq(discover_videos(&s, &v, &n), EF_ECONFIG);
    ck_assert_ptr_null(v);
    snprintf(want, sizeof want, "'%s' and '%s' both give uid '%c'", pairs[i][0],
             pairs[i][1], pairs[i][0][0]);
    ck_assert_msg(strstr(ef_last_error(), want), "%s", ef_last_error());
  }

  /* The same entry twice is one video, not an error. */
  char *twice[] = {"x", "y", "x"};
  s.uid_list = twice;
  s.n_uids = 3;
  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_OK);
  ck_assert_uint_eq(n, 2);
  ck_assert_str_eq(v[0].uid, "x");
  ck_assert_str_eq(v[1].uid, "y");
  discover_free(v, n);

  /* Explicit paths (the CLI's "-- a.mp4 b.mkv") likewise. */
  const char *paths[] = {"/a/clip.mp4", "/b/other.mp4", "/c/clip.mkv"};
  ck_assert_int_eq(discover_paths(paths, 2, &v, &n), EF_OK);
  ck_assert_uint_eq(n, 2);
  ck_assert_str_eq(v[1].uid, "other");
  discover_free(v, n);
  ck_assert_int_eq(discover_paths(paths, 3, &v, &n), EF_ECONFIG);
  ck_assert_ptr_null(v);
  ck_assert_msg(strstr(ef_last_error(), "'/a/clip.mp4' and '/c/clip.mkv' both "
                                        "give uid 'clip'"),
                "%s", ef_last_error());
  free(abs_clip);
}
END_TEST

START_TEST(test_same_stem_listed_once) {
  ef_settings s = settings_for(g_dir);
  ef_video *v = NULL;
  size_t n = 0;

  touch("x.mp4");
  touch("x.mkv");
  touch("amb.mkv");
  touch("amb.webm");
  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_OK);
  ck_assert_uint_eq(n, 2);
  ck_assert_str_eq(v[0].uid, "amb");
  assert_path(&v[0], "amb.mp4"); /* two candidates: neither is guessed */
  ck_assert_str_eq(v[1].uid, "x");
  assert_path(&v[1], "x.mp4"); /* .mp4 wins */
  discover_free(v, n);
}
END_TEST

START_TEST(test_empty_folder) {
  ef_settings s = settings_for(g_dir);
  ef_video *v = (ef_video *)1;
  size_t n = 7;

  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_ENOTFOUND);
  ck_assert_uint_eq(n, 0);
  ck_assert_ptr_null(v);
  ck_assert_msg(strstr(ef_last_error(), "the folder is empty"), "%s",
                ef_last_error());

  /* An empty uid_list is the user's choice: nothing to do, no error. */
  char *none[] = {NULL};
  s.uid_list = none;
  s.n_uids = 0;
  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_OK);
  ck_assert_uint_eq(n, 0);
  discover_free(v, n);
}
END_TEST

START_TEST(test_missing_folder) {
  char *missing = tu_path(g_dir, "nope");
  ef_settings s = settings_for(missing);
  ef_video *v = NULL;
  size_t n = 0;

  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_ENOTFOUND);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), missing));
  ck_assert_ptr_null(v);

  s.video_dir_path = NULL;
  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_ECONFIG);
  free(missing);
}
END_TEST

START_TEST(test_uid_list_order_and_missing_files) {
  char *uids[] = {"zeta", "alpha", "mid"};
  ef_settings s = settings_for(g_dir);
  ef_video *v = NULL;
  size_t n = 0;

  s.uid_list = uids;
  s.n_uids = 3;
  touch("alpha.mp4");
  touch("other.mp4"); /* not in the list: not a video of the run */
  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_OK);
  ck_assert_uint_eq(n, 3);
  ck_assert_str_eq(v[0].uid, "zeta");
  ck_assert_str_eq(v[1].uid, "alpha");
  ck_assert_str_eq(v[2].uid, "mid");
  assert_path(&v[0], "zeta.mp4");
  assert_path(&v[2], "mid.mp4");
  assert_unknown(&v[0]); /* missing: listed, metadata unknown */
  assert_unknown(&v[2]);
  discover_free(v, n);
}
END_TEST

START_TEST(test_uid_list_without_folder) {
  char *uids[] = {"a"};
  char *missing = tu_path(g_dir, "nope");
  ef_settings s = settings_for(missing);
  ef_video *v = NULL;
  size_t n = 0;

  s.uid_list = uids;
  s.n_uids = 1;
  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_OK);
  ck_assert_uint_eq(n, 1);
  assert_unknown(&v[0]);
  discover_free(v, n);
  free(missing);
}
END_TEST

/* ---- manifest.csv -------------------------------------------------------- */

START_TEST(test_manifest) {
  char *uids[] = {"v1", "v2", "v3", "v4", "probed", "gone"};
  ef_settings s = settings_for(g_dir);
  ef_video *v = NULL;
  size_t n = 0;
  const ef_video *x;

  s.uid_list = uids;
  s.n_uids = 6;
  /* Columns in another order, an extra quoted column with a comma, a line
   * break and a doubled quote, CRLF endings, a repeated uid (the first
   * row counts), "nan" as pandas writes it. */
  write_in_dir("manifest.csv",
               "\xEF\xBB\xBF"
               "canonical_display_width,notes,video_uid,canonical_num_frames,"
               "canonical_display_height,canonical_audio_start_sec,"
               "canonical_audio_duration_sec\r\n"
               "1920,\"a, b\",v1,900,1080,0.0,30.0\r\n"
               "1440,\"two\nlines \"\"quoted\"\"\",v2,1800.0,1080,,\r\n"
               "640,,v3,27,480,nan,NaN\r\n"
               "320,,v1,1,240,,\r\n"
               "1280,x,v4,10,720,,12.5\r\n");
  make_video("probed.mp4", 1);

  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_OK);
  ck_assert_uint_eq(n, 6);
  x = find(v, n, "v1");
  ck_assert_int_eq(x->num_frames, 900);
  ck_assert_int_eq(x->width, 1920);
  ck_assert_int_eq(x->height, 1080);
  ck_assert_int_eq(x->has_audio, 1);
  x = find(v, n, "v2");
  ck_assert_int_eq(x->num_frames, 1800);
  ck_assert_int_eq(x->width, 1440);
  ck_assert_int_eq(x->has_audio, 0); /* both audio fields empty */
  x = find(v, n, "v3");
  ck_assert_int_eq(x->num_frames, 27);
  ck_assert_int_eq(x->has_audio, 0);
  x = find(v, n, "v4");
  ck_assert_int_eq(x->has_audio, 1); /* one of the two is enough */
  /* Not in the manifest: the file says. */
  x = find(v, n, "probed");
  ck_assert_int_eq(x->num_frames, 60);
  ck_assert_int_eq(x->width, 64);
  ck_assert_int_eq(x->height, 48);
  ck_assert_int_eq(x->has_audio, 1);
  /* Neither in the manifest nor on disk: listed, unknown. */
  x = find(v, n, "gone");
  assert_unknown(x);
  assert_path(x, "gone.mp4");
  discover_free(v, n);
}
END_TEST

START_TEST(test_manifest_probe_without_audio) {
  ef_settings s = settings_for(g_dir);
  ef_video *v = NULL;
  size_t n = 0;

  write_in_dir("manifest.csv", "video_uid,canonical_num_frames\nother,5\n");
  make_video("silent.mp4", 0);
  s.fps_num = 10; /* probed counts are at the run's rate */
  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_OK);
  ck_assert_uint_eq(n, 1); /* manifest.csv itself is no video */
  ck_assert_str_eq(v[0].uid, "silent");
  ck_assert_int_eq(v[0].num_frames, 20);
  ck_assert_int_eq(v[0].has_audio, 0);
  discover_free(v, n);
}
END_TEST

START_TEST(test_manifest_uid_column_names) {
  const char *names[] = {"uid", "exported_clip_uid"};
  for (size_t i = 0; i < 2; i++) {
    char *uids[] = {"clip"};
    char text[256];
    ef_settings s = settings_for(g_dir);
    ef_video *v = NULL;
    size_t n = 0;

    s.uid_list = uids;
    s.n_uids = 1;
    snprintf(text, sizeof text, "%s,canonical_num_frames\nclip,77\n", names[i]);
    write_in_dir("manifest.csv", text);
    ck_assert_int_eq(discover_videos(&s, &v, &n), EF_OK);
    ck_assert_int_eq(v[0].num_frames, 77);
    ck_assert_int_eq(v[0].has_audio, -1); /* no audio columns: unknown */
    discover_free(v, n);
  }
}
END_TEST

START_TEST(test_manifest_without_uid_column) {
  ef_settings s = settings_for(g_dir);
  ef_video *v = NULL;
  size_t n = 0;

  write_in_dir("manifest.csv", "name,canonical_num_frames\nclip,77\n");
  touch("clip.mp4"); /* else the folder has no video to describe */
  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_EINVAL);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "manifest.csv"));
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "uid"));
  ck_assert_ptr_null(v);
}
END_TEST

/* ---- ego4d.json ---------------------------------------------------------- */

START_TEST(test_stereo_flags) {
  char *uids[] = {"s1", "m1", "s2", "m2", "deep", "none"};
  ef_settings s = settings_for(g_dir);
  ef_video *v = NULL;
  size_t n = 0;

  s.uid_list = uids;
  s.n_uids = 6;
  s.ego4d_download_dir = g_dir;
  /* Tabs, nested values, "\/", keys in any order, and a "videos" key that
   * is not the top-level one (it must not count). */
  write_in_dir(
      "ego4d.json",
      "{\n\t\"version\": \"v2\",\n"
      "\t\"clips\": [{\"video_uid\": \"deep\", \"is_stereo\": true}],\n"
      "\t\"videos\": [\n"
      "\t\t{\"video_uid\": \"s1\", \"is_stereo\": true},\n"
      "\t\t{\"is_stereo\":true,\"meta\":{\"videos\":[{\"video_uid\":\"none\","
      "\"is_stereo\":true}]},\"video_uid\":\"s2\"},\n"
      "\t\t{\"video_uid\": \"m1\", \"is_stereo\": false, \"x\": null},\n"
      "\t\t{\"video_uid\": \"m2\", \"path\": \"a\\/b\", \"n\": [1, 2.5e3]}\n"
      "\t]\n}\n");
  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_OK);
  ck_assert_uint_eq(n, 6);
  ck_assert_int_eq(find(v, n, "s1")->is_stereo, 1);
  ck_assert_int_eq(find(v, n, "s2")->is_stereo, 1);
  ck_assert_int_eq(find(v, n, "m1")->is_stereo, 0);
  ck_assert_int_eq(find(v, n, "m2")->is_stereo, 0);
  ck_assert_int_eq(find(v, n, "deep")->is_stereo, 0);
  ck_assert_int_eq(find(v, n, "none")->is_stereo, 0);
  discover_free(v, n);
}
END_TEST

START_TEST(test_stereo_json_missing_or_bad) {
  char *uids[] = {"s1"};
  char *missing = tu_path(g_dir, "nope");
  ef_settings s = settings_for(g_dir);
  ef_video *v = NULL;
  size_t n = 0;

  s.uid_list = uids;
  s.n_uids = 1;
  s.ego4d_download_dir = missing; /* no ego4d.json: nothing is stereo */
  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_OK);
  ck_assert_int_eq(v[0].is_stereo, 0);
  discover_free(v, n);

  s.ego4d_download_dir = g_dir;
  write_in_dir("ego4d.json", "{\"videos\": [{\"video_uid\": \"s1\",]]");
  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_EINVAL);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "ego4d.json"));
  free(missing);
}
END_TEST

/* ---- io.video_limit ------------------------------------------------------ */

static char *g_names[20];

static void twenty_uids(ef_settings *s) {
  static char buf[20][16];
  for (int i = 0; i < 20; i++) {
    snprintf(buf[i], sizeof buf[i], "u%02d", i);
    g_names[i] = buf[i];
  }
  s->uid_list = g_names;
  s->n_uids = 20;
}

START_TEST(test_video_limit) {
  /* The subset for seed 42 is pinned: a change of generator or shuffle
   * would silently change which videos a configured run covers. */
  const char *want42[] = {"u02", "u06", "u08", "u13", "u16"};
  ef_settings s = settings_for(g_dir);
  ef_video *a = NULL, *b = NULL;
  size_t na = 0, nb = 0;

  twenty_uids(&s);
  s.video_limit = 5;
  s.seed = 42;
  ck_assert_int_eq(discover_videos(&s, &a, &na), EF_OK);
  ck_assert_int_eq(discover_videos(&s, &b, &nb), EF_OK);
  ck_assert_uint_eq(na, 5);
  ck_assert_uint_eq(nb, 5);
  for (size_t i = 0; i < 5; i++) {
    ck_assert_str_eq(a[i].uid, want42[i]); /* in the list's order */
    ck_assert_str_eq(a[i].uid, b[i].uid);  /* and the same every time */
  }
  discover_free(b, nb);

  s.seed = 43;
  ck_assert_int_eq(discover_videos(&s, &b, &nb), EF_OK);
  ck_assert_uint_eq(nb, 5);
  ck_assert_str_eq(b[0].uid, "u00");
  ck_assert_str_eq(b[4].uid, "u19");
  discover_free(b, nb);
  discover_free(a, na);
}
END_TEST

START_TEST(test_video_limit_not_applied) {
  const int64_t limits[] = {-1, 0, 20, 25};
  for (size_t i = 0; i < 4; i++) {
    ef_settings s = settings_for(g_dir);
    ef_video *v = NULL;
    size_t n = 0;

    twenty_uids(&s);
    s.video_limit = limits[i];
    ck_assert_int_eq(discover_videos(&s, &v, &n), EF_OK);
    ck_assert_uint_eq(n, 20);
    ck_assert_str_eq(v[0].uid, "u00");
    ck_assert_str_eq(v[19].uid, "u19");
    discover_free(v, n);
  }
}
END_TEST

START_TEST(test_video_limit_on_folder) {
  ef_settings s = settings_for(g_dir);
  ef_video *v = NULL;
  size_t n = 0;

  for (int i = 0; i < 10; i++) {
    char name[32];
    snprintf(name, sizeof name, "f%d.mp4", i);
    touch(name);
  }
  s.video_limit = 3;
  s.seed = 7;
  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_OK);
  ck_assert_uint_eq(n, 3);
  ck_assert_int_lt(strcmp(v[0].uid, v[1].uid), 0);
  ck_assert_int_lt(strcmp(v[1].uid, v[2].uid), 0);
  discover_free(v, n);
}
END_TEST

/* ---- discover_uid_from_path ---------------------------------------------- */

START_TEST(test_uid_from_path) {
  const char *cases[][2] = {
      {"videos/abc-123.mp4", "abc-123"},
      {"/a/b.c/clip.tar.gz", "clip.tar"},
      {"plain", "plain"},
      {"dir.d/noext", "noext"},
      {"/x/.hidden", ".hidden"},
      {"k400/val/abseiling/x_000010_000020.mkv", "x_000010_000020"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *uid = discover_uid_from_path(cases[i][0]);
    ck_assert_str_eq(uid, cases[i][1]);
    free(uid);
  }
}
END_TEST

/* A uid is one file name: the rules of discover_uid_problem, and such
 * uids still listed (to be reported) without their path being opened. */
START_TEST(test_uid_rules) {
  static const char *const ok[] = {
      "abc",        "-leading-dash", "a..b", ".hidden", "\xc3\xa9-\xe8\xa7\x86",
      "with space", "x.pt.claim"};
  static const char *const bad[] = {"",     ".",           "..",
                                    "../x", "/etc/passwd", "a/b",
                                    "a\nb", "tab\there",   "del\x7f"};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    ck_assert_msg(discover_uid_problem(ok[i]) == NULL, "refused: %s", ok[i]);
    ck_assert_ptr_null(discover_uid_reject(ok[i]));
  }
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_msg(discover_uid_problem(bad[i]) != NULL, "allowed: %s", bad[i]);
  char *msg = discover_uid_reject("a\nb\"c");
  ck_assert_str_eq(msg, "invalid uid \"a\\x0ab\\x22c\": a uid may not contain "
                        "control characters such as a newline");
  free(msg);

  char *uids[] = {"../v1", "v1", ""};
  char *clip = tu_ffmpeg(g_dir, "v1.mp4",
                         "-f lavfi -i testsrc=size=64x48:rate=30:duration=0.2");
  ck_assert_ptr_nonnull(clip);
  free(clip);
  ef_settings s = settings_for(g_dir);
  ef_video *v = NULL;
  size_t n = 0;
  s.uid_list = uids;
  s.n_uids = 3;
  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_OK);
  ck_assert_uint_eq(n, 3);
  ck_assert_str_eq(v[0].uid, "../v1");
  ck_assert_ptr_nonnull(strstr(v[0].reject, "may not contain '/'"));
  ck_assert_str_eq(v[0].path, ""); /* never the file one level up */
  ck_assert_int_eq(v[0].num_frames, -1);
  ck_assert_ptr_null(v[1].reject);
  ck_assert_int_gt(v[1].num_frames, 0);
  ck_assert_ptr_nonnull(strstr(v[2].reject, "may not be empty"));
  discover_free(v, n);
}
END_TEST

/* ---- Runner -------------------------------------------------------------- */

static Suite *discover_suite(void) {
  Suite *s = suite_create("discover");
  TCase *listing = tcase_create("listing");
  TCase *manifest = tcase_create("manifest");
  TCase *stereo = tcase_create("stereo");
  TCase *limit = tcase_create("limit");
  TCase *all[] = {listing, manifest, stereo, limit};

  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    tcase_add_checked_fixture(all[i], setup, teardown);
    tcase_set_timeout(all[i], 120); /* fixtures are encoded with ffmpeg */
  }
  tcase_add_test(listing, test_folder_listing_skips);
  tcase_add_test(listing, test_same_stem_listed_once);
  tcase_add_test(listing, test_empty_folder);
  tcase_add_test(listing, test_missing_folder);
  tcase_add_test(listing, test_uid_list_order_and_missing_files);
  tcase_add_test(listing, test_uid_list_without_folder);
  tcase_add_test(listing, test_uid_from_path);
  tcase_add_test(listing, test_uid_rules);
  tcase_add_test(listing, test_media_names);
  tcase_add_test(listing, test_folder_without_media);
  tcase_add_test(listing, test_uid_list_names_and_paths);
  tcase_add_test(listing, test_duplicate_uids_are_an_error);
  tcase_add_test(manifest, test_manifest);
  tcase_add_test(manifest, test_manifest_probe_without_audio);
  tcase_add_test(manifest, test_manifest_uid_column_names);
  tcase_add_test(manifest, test_manifest_without_uid_column);
  tcase_add_test(stereo, test_stereo_flags);
  tcase_add_test(stereo, test_stereo_json_missing_or_bad);
  tcase_add_test(limit, test_video_limit);
  tcase_add_test(limit, test_video_limit_not_applied);
  tcase_add_test(limit, test_video_limit_on_folder);
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    suite_add_tcase(s, all[i]);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(discover_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
