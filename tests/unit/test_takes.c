/*
 * test_takes.c - unit tests of takes.c (which streams of takes.json a run
 * covers, and its errors on a broken file) and of discovery on an
 * Ego-Exo4D folder (discover.c with io.dataset_version egoexo): missing
 * files skipped, bad paths refused, io.uid_list and io.video_limit.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ego4dfeat/ego4dfeat.h"
#include "input/discover.h"
#include "input/takes.h"
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

/* Three takes as Ego-Exo4D writes them (keys in any order, keys the
 * reader does not use): an Aria with rgb and two slam streams, an exo
 * camera, a GoPro, a collage and best_exo (not eligible), a stream
 * without cam_id, one whose relative_path is null. */
static const char takes_json[] =
    "[\n"
    " {\"take_uid\": \"t1\", \"take_name\": \"cooking_1\",\n"
    "  \"root_dir\": \"takes/cooking_1\",\n"
    "  \"timesync_start_idx\": 10, \"timesync_end_idx\": 101,\n"
    "  \"frame_aligned_videos\": {\n"
    "   \"aria01\": {\n"
    "    \"rgb\": {\"cam_id\": \"aria01\", \"relative_path\": "
    "\"frame_aligned_videos/aria01_214-1.mp4\", \"is_collage\": false},\n"
    "    \"slam-left\": {\"cam_id\": \"aria01\", \"relative_path\": "
    "\"frame_aligned_videos/aria01_1201-1.mp4\"},\n"
    "    \"slam-right\": {\"cam_id\": \"aria01\", \"relative_path\": "
    "\"frame_aligned_videos/aria01_1201-2.mp4\"}},\n"
    "   \"cam01\": {\"0\": {\"cam_id\": \"cam01\", \"relative_path\": "
    "\"frame_aligned_videos/cam01.mp4\", \"_s3_path\": null}},\n"
    "   \"collage\": {\"0\": {\"relative_path\": \"x/collage.mp4\"}},\n"
    "   \"best_exo\": {\"0\": {\"relative_path\": null}}}},\n"
    " {\"frame_aligned_videos\": {\"gp02\": {\"0\": {\"relative_path\": "
    "\"frame_aligned_videos/gp02.mp4\"}}, \"cam03\": {\"0\": {\"cam_id\": "
    "\"cam03\", \"relative_path\": null}}},\n"
    "  \"take_uid\": \"t2\", \"root_dir\": \"takes/t2\",\n"
    "  \"timesync_end_idx\": 31, \"timesync_start_idx\": 0},\n"
    " {\"take_uid\": \"t3\", \"root_dir\": \"takes/t3\",\n"
    "  \"timesync_start_idx\": 5, \"timesync_end_idx\": 5,\n"
    "  \"frame_aligned_videos\": {\"cam02\": {\"0\": {\"relative_path\":"
    "\"c.mp4\"}}}}\n"
    "]\n";

static takes_filter no_filter(void) {
  takes_filter f;
  memset(&f, 0, sizeof f);
  return f;
}

static int parse(const char *text, const takes_filter *f, takes_list *l) {
  memset(l, 0, sizeof *l);
  return takes_parse("/data/takes.json", "/data", text, strlen(text), f, l);
}

static const takes_stream *find(const takes_list *l, const char *uid) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->items[i].uid, uid) == 0)
      return &l->items[i];
  return NULL;
}

START_TEST(test_streams_of_takes) {
  takes_filter f = no_filter();
  takes_list l;
  ck_assert_int_eq(parse(takes_json, &f, &l), EF_OK);
  /* aria01: rgb only; cam01; gp02; cam03 (no file); cam02. Not collage
   * nor best_exo. File order. */
  ck_assert_uint_eq(l.n, 5);
  ck_assert_str_eq(l.items[0].uid, "t1_aria01_rgb");
  ck_assert_str_eq(l.items[0].path,
                   "/data/takes/cooking_1/frame_aligned_videos/"
                   "aria01_214-1.mp4");
  ck_assert_int_eq(l.items[0].num_frames, 101 - 10 - 1);
  ck_assert_int_eq(l.items[0].is_aria, 1);
  ck_assert_ptr_null(l.items[0].problem);
  ck_assert_str_eq(l.items[1].uid, "t1_cam01_0");
  ck_assert_int_eq(l.items[1].is_aria, 0);
  ck_assert_str_eq(l.items[2].uid, "t2_gp02_0");
  ck_assert_str_eq(l.items[2].path,
                   "/data/takes/t2/frame_aligned_videos/gp02.mp4");
  ck_assert_int_eq(l.items[2].num_frames, 30);
  ck_assert_int_eq(l.items[2].is_aria, 0); /* no cam_id: the camera's id */
  ck_assert_str_eq(l.items[3].uid, "t2_cam03_0");
  ck_assert_ptr_null(l.items[3].path); /* relative_path null */
  ck_assert_str_eq(l.items[4].uid, "t3_cam02_0");
  ck_assert_int_eq(l.items[4].num_frames, -1); /* 5 - 5 - 1 < 0 */
  ck_assert_ptr_null(find(&l, "t1_aria01_slam-left"));
  takes_free(&l);
}
END_TEST

START_TEST(test_uid_list_filter) {
  const char *uids[] = {"t2", "t1_cam01_0", "nope"};
  takes_filter f = no_filter();
  takes_list l;
  f.uids = uids;
  f.n_uids = 3;
  ck_assert_int_eq(parse(takes_json, &f, &l), EF_OK);
  /* t2 whole, and the one stream of t1 listed by its own uid. */
  ck_assert_uint_eq(l.n, 3);
  ck_assert_str_eq(l.items[0].uid, "t1_cam01_0");
  ck_assert_str_eq(l.items[1].uid, "t2_gp02_0");
  ck_assert_str_eq(l.items[2].uid, "t2_cam03_0");
  takes_free(&l);
  f.n_uids = 0; /* an empty list keeps nothing */
  ck_assert_int_eq(parse(takes_json, &f, &l), EF_OK);
  ck_assert_uint_eq(l.n, 0);
  takes_free(&l);
}
END_TEST

START_TEST(test_cam_prefixes) {
  const char *gp[] = {"GP"};
  takes_filter f = no_filter();
  takes_list l;
  f.cam_prefixes = gp;
  f.n_cam_prefixes = 1;
  ck_assert_int_eq(parse(takes_json, &f, &l), EF_OK);
  ck_assert_uint_eq(l.n, 1);
  ck_assert_str_eq(l.items[0].uid, "t2_gp02_0");
  takes_free(&l);
  /* The reference's rgb-only test is case-sensitive ("aria" in the id):
   * "Aria02" is eligible (lower-cased) and keeps every stream, and its
   * streams are not sized as an Aria's (cam_id "Aria02"). */
  const char *text =
      "[{\"take_uid\": \"u\", \"root_dir\": \"r\", \"timesync_start_idx\": 0,"
      " \"timesync_end_idx\": 2, \"frame_aligned_videos\": {\"Aria02\": "
      "{\"rgb\": {\"cam_id\": \"Aria02\", \"relative_path\": \"a.mp4\"}, "
      "\"slam-left\": {\"cam_id\": \"Aria02\", \"relative_path\": "
      "\"b.mp4\"}}}}]";
  f = no_filter();
  ck_assert_int_eq(parse(text, &f, &l), EF_OK);
  ck_assert_uint_eq(l.n, 2);
  ck_assert_str_eq(l.items[1].uid, "u_Aria02_slam-left");
  ck_assert_int_eq(l.items[1].is_aria, 0);
  ck_assert_int_eq(l.items[0].num_frames, 1);
  takes_free(&l);
}
END_TEST

START_TEST(test_paths_outside_refused) {
  const char *text =
      "[{\"take_uid\": \"u\", \"root_dir\": \"/etc\", \"timesync_start_idx\": "
      "0, \"timesync_end_idx\": 9, \"frame_aligned_videos\": {\"cam01\": "
      "{\"0\": {\"relative_path\": \"x.mp4\"}}}},"
      " {\"take_uid\": \"v\", \"root_dir\": \"takes/v\", "
      "\"timesync_start_idx\": 0, \"timesync_end_idx\": 9, "
      "\"frame_aligned_videos\": {\"cam01\": {\"0\": {\"relative_path\": "
      "\"../../secret.mp4\"}}, \"cam02\": {\"0\": {\"relative_path\": "
      "\"a..b/..c.mp4\"}}}}]";
  takes_filter f = no_filter();
  takes_list l;
  ck_assert_int_eq(parse(text, &f, &l), EF_OK);
  ck_assert_uint_eq(l.n, 3);
  ck_assert_ptr_nonnull(l.items[0].problem);
  ck_assert_ptr_nonnull(strstr(l.items[0].problem, "root_dir '/etc' is "
                                                   "absolute"));
  ck_assert_ptr_nonnull(strstr(l.items[1].problem, "relative_path "
                                                   "'../../secret.mp4' has "
                                                   "a '..' component"));
  ck_assert_ptr_null(l.items[2].problem); /* dots inside names are fine */
  takes_free(&l);
}
END_TEST

/* Each broken file gets EF_EINVAL naming the file and what is wrong. */
static void assert_refused(const char *text, const char *want) {
  takes_filter f = no_filter();
  takes_list l;
  int rc = parse(text, &f, &l);
  ck_assert_msg(rc == EF_EINVAL, "rc %d for %s", rc, text);
  ck_assert_msg(strstr(ef_last_error(), "/data/takes.json") != NULL &&
                    strstr(ef_last_error(), want) != NULL,
                "for %s: message '%s' lacks '%s'", text, ef_last_error(), want);
  takes_free(&l);
}

#define TAKE_HEAD "[{\"take_uid\": \"u\", "
#define GOOD_FAV                                                               \
  "\"frame_aligned_videos\": {\"cam01\": {\"0\": {\"relative_path\": "         \
  "\"x.mp4\"}}}"

START_TEST(test_broken_files) {
  assert_refused("", "empty file");
  assert_refused("   \n", "empty file");
  assert_refused("[{\"take_uid\": \"u\"", "invalid JSON at line 1");
  assert_refused("{\"takes\": []}", "not an array of takes");
  assert_refused("[1]", "take 0 is a number, not an object");
  assert_refused("[{\"root_dir\": \"r\"}]", "key 'take_uid' is missing");
  assert_refused("[{\"take_uid\": 7}]", "'take_uid' is a number");
  assert_refused(TAKE_HEAD "\"timesync_start_idx\": 0, \"timesync_end_idx\": "
                           "1, " GOOD_FAV "}]",
                 "key 'root_dir' is missing");
  assert_refused(TAKE_HEAD "\"root_dir\": 5, \"timesync_start_idx\": 0, "
                           "\"timesync_end_idx\": 1, " GOOD_FAV "}]",
                 "'root_dir' is a number, not a string");
  assert_refused(TAKE_HEAD "\"root_dir\": \"r\", \"timesync_start_idx\": "
                           "\"0\", \"timesync_end_idx\": 1, " GOOD_FAV "}]",
                 "'timesync_start_idx' is a string, not an integer");
  assert_refused(TAKE_HEAD "\"root_dir\": \"r\", \"timesync_start_idx\": 0.5,"
                           " \"timesync_end_idx\": 1, " GOOD_FAV "}]",
                 "'timesync_start_idx' is a number that is not an int64");
  assert_refused(TAKE_HEAD "\"root_dir\": \"r\", \"timesync_start_idx\": 0, "
                           "\"timesync_end_idx\": null, " GOOD_FAV "}]",
                 "'timesync_end_idx' is null, not an integer");
  assert_refused(TAKE_HEAD "\"root_dir\": \"r\", \"timesync_start_idx\": 0, "
                           "\"timesync_end_idx\": 1, \"frame_aligned_videos\""
                           ": {\"cam01\": {\"0\": {\"cam_id\": \"c\"}}}}]",
                 "'relative_path' is missing");
  assert_refused(TAKE_HEAD "\"root_dir\": \"r\", \"timesync_start_idx\": 0, "
                           "\"timesync_end_idx\": 1, \"frame_aligned_videos\""
                           ": {\"cam01\": {\"0\": {\"relative_path\": 3}}}}]",
                 "'relative_path' is a number, not a string");
  assert_refused(TAKE_HEAD "\"frame_aligned_videos\": {\"cam01\": [1]}}]",
                 "camera 'cam01' is an array, not an object");
  assert_refused(TAKE_HEAD "\"frame_aligned_videos\": {\"cam01\": {\"0\": "
                           "\"x.mp4\"}}}]",
                 "stream '0' of camera 'cam01' is a string, not an object");
  assert_refused(TAKE_HEAD "\"root_dir\": \"r\", \"frame_aligned_videos\": "
                           "[]}]",
                 "'frame_aligned_videos' is an array, not an object");
  assert_refused(TAKE_HEAD "\"root_dir\": \"a\", \"root_dir\": \"b\"}]",
                 "key 'root_dir' appears twice");
  assert_refused(TAKE_HEAD "\"frame_aligned_videos\": {\"cam01\": {}, "
                           "\"cam01\": {}}}]",
                 "key 'cam01' appears twice");
  assert_refused(TAKE_HEAD "\"root_dir\": \"r\\u0000x\", "
                           "\"timesync_start_idx\": 0, \"timesync_end_idx\": "
                           "1, " GOOD_FAV "}]",
                 "'root_dir' is a string holding a NUL");
  /* YAML that is not JSON. */
  assert_refused("[{'take_uid': 'u'}]", "''' is not JSON here");
  assert_refused("[{\"take_uid\": u}]", "no JSON value");
  assert_refused("[{\"take_uid\": \"u\"} # note\n]", "'#' is not JSON");
  assert_refused("- take_uid: u\n", "must start with '['");
  assert_refused("[{\"take_uid\": \"u\"}] []", "text after the JSON value");
  assert_refused("[{\"take_uid\": \"u\"}]]", "text after the JSON value");
  assert_refused("[{\"take_uid\": \"u\", \"x\": &a [1], \"y\": *a}]",
                 "'&' is not JSON here");
  assert_refused("[{1: 2}]", "a key that is a number, not a string");
}
END_TEST

/* A file that would cost memory or time: deep nesting, a huge string, a
 * huge run without structure. Each is refused at once, by line. */
START_TEST(test_hostile_sizes) {
  size_t n = 100000;
  char *deep = malloc(2 * n + 3);
  ck_assert_ptr_nonnull(deep);
  deep[0] = '[';
  for (size_t i = 1; i <= n; i++)
    deep[i] = '[';
  memset(deep + n + 1, ']', n + 1);
  deep[2 * n + 2] = '\0';
  assert_refused(deep, "nested deeper than 256 levels");
  free(deep);

  size_t big = (1u << 20) + 10;
  char *text = malloc(big + 64);
  ck_assert_ptr_nonnull(text);
  strcpy(text, "[{\"take_uid\": \"");
  memset(text + strlen(text), 'a', big);
  strcpy(text + 15 + big, "\"}]");
  assert_refused(text, "line 1: a string longer than 1 MiB");
  strcpy(text, "[{\"take_uid\": ");
  memset(text + 14, '1', big);
  strcpy(text + 14 + big, "}]");
  assert_refused(text, "line 1: 1 MiB without a JSON structure");
  free(text);
}
END_TEST

/* A kept take must be whole; another is only read for its take_uid, as
 * the reference reads it. */
START_TEST(test_unkept_take_not_checked) {
  const char *text =
      "[{\"take_uid\": \"bad\", \"frame_aligned_videos\": {\"cam01\": 5}},"
      " {\"take_uid\": \"good\", \"root_dir\": \"r\", \"timesync_start_idx\":"
      " 0, \"timesync_end_idx\": 3, " GOOD_FAV "}]";
  const char *uids[] = {"good"};
  takes_filter f = no_filter();
  takes_list l;
  f.uids = uids;
  f.n_uids = 1;
  ck_assert_int_eq(parse(text, &f, &l), EF_OK);
  ck_assert_uint_eq(l.n, 1);
  ck_assert_str_eq(l.items[0].uid, "good_cam01_0");
  takes_free(&l);
  f.n_uids = 0;
  f.uids = NULL;
  ck_assert_int_eq(parse(text, &f, &l), EF_EINVAL);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "take 0 ('bad'"));
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "camera 'cam01' is a "
                                                "number"));
  takes_free(&l);
}
END_TEST

/* ---- The file itself ---------------------------------------------------- */

static void write_in_dir(const char *name, const char *text) {
  char *p = tu_path(g_dir, name);
  ck_assert_int_eq(tu_write_file(p, text), 0);
  free(p);
}

static void assert_load_fails(int want_rc, const char *want) {
  takes_filter f = no_filter();
  takes_list l = {0};
  ck_assert_int_eq(takes_load(g_dir, &f, &l), want_rc);
  char *path = tu_path(g_dir, "takes.json");
  ck_assert_msg(strstr(ef_last_error(), path) && strstr(ef_last_error(), want),
                "message '%s' lacks '%s'", ef_last_error(), want);
  free(path);
  takes_free(&l);
}

START_TEST(test_load_file_kinds) {
  char *path = tu_path(g_dir, "takes.json");
  assert_load_fails(EF_ENOTFOUND, "no such file");
  ck_assert_int_eq(mkdir(path, 0755), 0);
  assert_load_fails(EF_EIO, "not a regular file");
  ck_assert_int_eq(rmdir(path), 0);
  ck_assert_int_eq(mkfifo(path, 0644), 0);
  assert_load_fails(EF_EIO, "not a regular file"); /* and no hang */
  ck_assert_int_eq(unlink(path), 0);
  ck_assert_int_eq(symlink("takes.json", path), 0); /* a loop */
  assert_load_fails(EF_EIO, "cannot open");
  ck_assert_int_eq(unlink(path), 0);
  /* Sparse: 4 GiB + 1 byte of size, no disk used; refused unread. */
  ck_assert_int_eq(tu_run("truncate -s 4294967297 '%s'", path), 0);
  assert_load_fails(EF_EINVAL, "larger than the 4 GiB");
  write_in_dir("takes.json", "[{\"take_uid\": ");
  assert_load_fails(EF_EINVAL, "invalid JSON at line 1");
  write_in_dir("takes.json", takes_json);
  takes_filter f = no_filter();
  takes_list l = {0};
  ck_assert_int_eq(takes_load(g_dir, &f, &l), EF_OK);
  ck_assert_uint_eq(l.n, 5);
  char *want = tu_path(g_dir, "takes/t2/frame_aligned_videos/gp02.mp4");
  ck_assert_str_eq(l.items[2].path, want);
  free(want);
  takes_free(&l);
  free(path);
}
END_TEST

/* ---- Discovery on an Ego-Exo4D folder ------------------------------------ */

static ef_settings egoexo_settings(void) {
  ef_settings s;
  memset(&s, 0, sizeof s);
  s.video_dir_path = "unused";
  s.dataset_version = "egoexo";
  s.egoexo_data_dir = g_dir;
  s.video_limit = -1;
  s.fps_num = 30;
  s.fps_den = 1;
  s.frame_window = 32;
  s.stride = 16;
  return s;
}

static void touch(const char *rel) {
  char *p = tu_path(g_dir, rel);
  ck_assert_int_eq(tu_run("mkdir -p \"$(dirname '%s')\" && : > '%s'", p, p), 0);
  free(p);
}

static const ef_video *find_video(const ef_video *v, size_t n,
                                  const char *uid) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(v[i].uid, uid) == 0)
      return &v[i];
  return NULL;
}

START_TEST(test_discover_takes) {
  write_in_dir("takes.json", takes_json);
  touch("takes/cooking_1/frame_aligned_videos/aria01_214-1.mp4");
  touch("takes/cooking_1/frame_aligned_videos/aria01_1201-1.mp4");
  touch("takes/t2/frame_aligned_videos/gp02.mp4");
  /* cam01 of t1 is missing; t3's cam02 is a folder. */
  char *dir = tu_path(g_dir, "takes/t3/c.mp4");
  ck_assert_int_eq(tu_run("mkdir -p '%s'", dir), 0);
  free(dir);
  ef_settings s = egoexo_settings();
  ef_video *v = NULL;
  size_t n = 0;
  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_OK);
  ck_assert_uint_eq(n, 5);
  const ef_video *rgb = find_video(v, n, "t1_aria01_rgb");
  ck_assert_ptr_nonnull(rgb);
  ck_assert_ptr_null(rgb->skip);
  ck_assert_ptr_null(rgb->reject);
  ck_assert_int_eq(rgb->num_frames, 90);
  ck_assert_int_eq(rgb->width, 1408);
  ck_assert_int_eq(rgb->height, 1408);
  ck_assert_int_eq(rgb->has_audio, 0);
  const ef_video *gp = find_video(v, n, "t2_gp02_0");
  ck_assert_int_eq(gp->width, 3840);
  ck_assert_int_eq(gp->height, 2160);
  const ef_video *cam = find_video(v, n, "t1_cam01_0");
  ck_assert_ptr_nonnull(cam->skip);
  ck_assert_ptr_nonnull(strstr(cam->skip, "cam01.mp4: no such file"));
  ck_assert_int_eq(cam->num_frames, -1);
  const ef_video *nul = find_video(v, n, "t2_cam03_0");
  ck_assert_ptr_nonnull(strstr(nul->skip, "relative_path is null"));
  const ef_video *folder = find_video(v, n, "t3_cam02_0");
  ck_assert_ptr_null(folder->skip);
  ck_assert_ptr_nonnull(strstr(folder->reject, "not a regular file"));
  ck_assert_ptr_null(find_video(v, n, "t1_aria01_slam-left"));
  discover_free(v, n);

  /* io.uid_list of take uids; io.video_limit picks among files there. */
  char *uids[] = {"t1", "t2"};
  s.uid_list = uids;
  s.n_uids = 2;
  s.video_limit = 1;
  s.seed = 3;
  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_OK);
  /* 2 with files (aria rgb, gp02): one kept; the 2 without, skipped. */
  ck_assert_uint_eq(n, 3);
  size_t skipped = 0;
  for (size_t i = 0; i < n; i++)
    skipped += v[i].skip != NULL;
  ck_assert_uint_eq(skipped, 2);
  discover_free(v, n);
}
END_TEST

/* A frame count takes.json does not give (end <= start + 1) comes from
 * probing the file, and so do the sizes. */
START_TEST(test_discover_takes_probe) {
  const char *text =
      "[{\"take_uid\": \"p\", \"root_dir\": \"\", \"timesync_start_idx\": 7,"
      " \"timesync_end_idx\": 7, \"frame_aligned_videos\": {\"gp01\": {\"0\": "
      "{\"relative_path\": \"v.mp4\"}}}}]";
  write_in_dir("takes.json", text);
  char *p = tu_ffmpeg(g_dir, "v.mp4",
                      "-f lavfi -i testsrc2=s=64x48:r=30 -t 1 -c:v libx264 "
                      "-pix_fmt yuv420p");
  ck_assert_ptr_nonnull(p);
  free(p);
  ef_settings s = egoexo_settings();
  ef_video *v = NULL;
  size_t n = 0;
  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_OK);
  ck_assert_uint_eq(n, 1);
  ck_assert_int_eq(v[0].num_frames, 30);
  ck_assert_int_eq(v[0].width, 64);
  ck_assert_int_eq(v[0].height, 48);
  discover_free(v, n);
}
END_TEST

START_TEST(test_discover_takes_errors) {
  ef_settings s = egoexo_settings();
  ef_video *v = NULL;
  size_t n = 0;
  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_ENOTFOUND);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "takes.json: no such file"));
  /* A camera id with '/' makes a uid that is no file name: refused. Two
   * streams with one uid: an error naming both files. */
  write_in_dir("takes.json",
               "[{\"take_uid\": \"u\", \"root_dir\": \"r\", "
               "\"timesync_start_idx\": 0, \"timesync_end_idx\": 9, "
               "\"frame_aligned_videos\": {\"cam/1\": {\"0\": "
               "{\"relative_path\": \"a.mp4\"}}, \"cam/2\": {\"0\": "
               "{\"relative_path\": \"missing.mp4\"}}}}]");
  touch("r/a.mp4");
  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_OK);
  ck_assert_uint_eq(n, 2);
  ck_assert_ptr_nonnull(strstr(v[0].reject, "may not contain '/'"));
  ck_assert_ptr_nonnull(strstr(v[1].reject, "may not contain '/'"));
  ck_assert_ptr_null(v[1].skip);
  discover_free(v, n);
  write_in_dir("takes.json",
               "[{\"take_uid\": \"u\", \"root_dir\": \"r\", "
               "\"timesync_start_idx\": 0, \"timesync_end_idx\": 9, "
               "\"frame_aligned_videos\": {\"cam1\": {\"0\": "
               "{\"relative_path\": \"a.mp4\"}}}},"
               "{\"take_uid\": \"u\", \"root_dir\": \"r2\", "
               "\"timesync_start_idx\": 0, \"timesync_end_idx\": 9, "
               "\"frame_aligned_videos\": {\"cam1\": {\"0\": "
               "{\"relative_path\": \"a.mp4\"}}}}]");
  touch("r2/a.mp4");
  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_ECONFIG);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "r2/a.mp4"));
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "uid 'u_cam1_0'"));
  /* Without io.egoexo_data_dir, an egoexo config lists a folder. */
  s.egoexo_data_dir = NULL;
  s.video_dir_path = g_dir;
  ck_assert_int_eq(discover_videos(&s, &v, &n), EF_ENOTFOUND);
  ck_assert_ptr_nonnull(strstr(ef_last_error(), "no media files"));
}
END_TEST

static Suite *takes_suite(void) {
  Suite *s = suite_create("takes");
  TCase *parse_tc = tcase_create("parse");
  TCase *files = tcase_create("files");
  tcase_add_checked_fixture(files, setup, teardown);
  tcase_set_timeout(files, 120);
  tcase_add_test(parse_tc, test_streams_of_takes);
  tcase_add_test(parse_tc, test_uid_list_filter);
  tcase_add_test(parse_tc, test_cam_prefixes);
  tcase_add_test(parse_tc, test_paths_outside_refused);
  tcase_add_test(parse_tc, test_broken_files);
  tcase_add_test(parse_tc, test_hostile_sizes);
  tcase_add_test(parse_tc, test_unkept_take_not_checked);
  tcase_add_test(files, test_load_file_kinds);
  tcase_add_test(files, test_discover_takes);
  tcase_add_test(files, test_discover_takes_probe);
  tcase_add_test(files, test_discover_takes_errors);
  suite_add_tcase(s, parse_tc);
  suite_add_tcase(s, files);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(takes_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
