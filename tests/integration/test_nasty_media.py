"""Nasty media made with the ffmpeg CLI: odd sizes, pixel formats, codecs,
containers, timestamps and damaged files. Each file either gives features
of the right shape, equal to the reference pipeline's (PyAV + torch) to
1e-4, or fails with a message naming the file and the problem; a bad file
never stops the others, and the run exits 1 when any failed.

Rotation: the reference decodes with PyAV, which ignores the display
matrix (the stream's rotation side data), so the library ignores it too:
a clip tagged "rotate 90" gives the same features as the untagged clip.
"""
import os
import re

import numpy as np
import pytest
import torch

import reference_pipeline as ref
from conftest import extract_args, ffmpeg, run_cli

SRC = "testsrc2=size=320x240:rate=30:duration=1"
X264 = ["-c:v", "libx264", "-g", "12"]


def lavfi(src=SRC):
    return ["-f", "lavfi", "-i", src]


@pytest.fixture(scope="module")
def nasty(tmp_path_factory):
    d = tmp_path_factory.mktemp("nasty")

    def make(name, *args):
        return ffmpeg(str(d / name), *args)

    make("plain.mp4", *lavfi(), *X264, "-pix_fmt", "yuv420p")
    make("one_frame.mp4", *lavfi("testsrc2=size=320x240:rate=30"),
         "-frames:v", "1", *X264, "-pix_fmt", "yuv420p")
    # No frame at all: ffmpeg writes a container of zero duration that
    # holds no stream.
    make("zero_duration.mp4", *lavfi("testsrc2=size=320x240:rate=30"),
         "-frames:v", "0", *X264)
    make("tiny_2x2.mp4", *lavfi("testsrc2=size=2x2:rate=30:duration=1"),
         *X264, "-pix_fmt", "yuv444p")
    make("huge_4000x3000.mp4",
         *lavfi("testsrc2=size=4000x3000:rate=30:duration=0.2"), *X264,
         "-preset", "ultrafast", "-pix_fmt", "yuv420p")
    make("ten_bit.mp4", *lavfi(), *X264, "-pix_fmt", "yuv420p10le")
    make("yuv444.mp4", *lavfi(), *X264, "-pix_fmt", "yuv444p")
    # libx264 has no gray output; FFV1 stores true gray.
    make("gray.mkv", *lavfi(), "-c:v", "ffv1", "-pix_fmt", "gray")
    make("hevc.mp4", *lavfi(), "-c:v", "libx265", "-pix_fmt", "yuv420p",
         "-x265-params", "log-level=error")
    make("vp9.mkv", *lavfi(), "-c:v", "libvpx-vp9", "-deadline", "realtime",
         "-cpu-used", "8")
    make("mjpeg.avi", *lavfi(), "-c:v", "mjpeg", "-q:v", "3",
         "-pix_fmt", "yuvj420p")
    # FFmpeg 5.1 has no -display_rotation; the mov muxer turns the rotate
    # tag into the display matrix (ffprobe: side_data rotation=90).
    make("rotated.mp4", "-i", str(d / "yuv444.mp4"), "-c", "copy",
         "-metadata:s:v:0", "rotate=90")
    make("start_offset.mp4", *lavfi(), *X264, "-pix_fmt", "yuv420p",
         "-output_ts_offset", "5")
    make("long_audio.mp4", *lavfi(),
         *lavfi("sine=frequency=440:duration=3"), *X264,
         "-pix_fmt", "yuv420p", "-c:a", "aac")
    # The moov box goes at the end: cut, the file has no index at all.
    make("src.mp4", *lavfi("testsrc2=size=320x240:rate=30:duration=2"),
         *X264, "-pix_fmt", "yuv420p")
    data = (d / "src.mp4").read_bytes()
    assert data.find(b"moov") > len(data) // 2  # moov really is at the end
    (d / "truncated_moov_at_end.mp4").write_bytes(data[: len(data) * 2 // 3])
    os.remove(d / "src.mp4")
    return d


# uid -> windows with the image config (1 frame every 5 at 30 fps): 30
# frames give 0, 5, ..., 25 and the back-padded 29.
IMAGE_WINDOWS = {
    "plain": 7, "one_frame": 1, "tiny_2x2": 7, "huge_4000x3000": 2,
    "ten_bit": 7, "yuv444": 7, "gray": 7, "hevc": 7, "vp9": 7, "mjpeg": 7,
    "rotated": 7, "start_offset": 7,
    "long_audio": 7,  # the video's 1 s, not the audio's 3 s
}
FAILS = {
    "zero_duration": "no video stream",
    "truncated_moov_at_end": "incomplete MP4/MOV file: its index (moov "
                             "atom) is missing",
}
FILES = {"gray": "gray.mkv", "vp9": "vp9.mkv", "mjpeg": "mjpeg.avi"}


def path_of(d, uid):
    return d / FILES.get(uid, uid + ".mp4")


@pytest.fixture(scope="module")
def image_run(nasty, models, tmp_path_factory):
    out = tmp_path_factory.mktemp("nasty_out")
    p = run_cli(*extract_args("omnivore_image", nasty, out,
                              models / "tiny_image.pt"))
    return p, out


def test_every_file_has_an_outcome_and_the_run_exits_1(image_run):
    p, out = image_run
    assert p.returncode == 1, p.stderr
    m = re.search(r"videos: (\d+) done, (\d+) skipped, (\d+) failed", p.stdout)
    assert m, p.stdout
    assert tuple(int(g) for g in m.groups()) == (len(IMAGE_WINDOWS), 0,
                                                 len(FAILS))
    written = sorted(f for f in os.listdir(out) if f.endswith(".pt"))
    assert written == sorted(u + ".pt" for u in IMAGE_WINDOWS)
    assert not [f for f in os.listdir(out) if f.startswith(".")]


@pytest.mark.parametrize("uid", sorted(FAILS))
def test_bad_file_fails_with_its_name_and_problem(image_run, nasty, uid):
    p, _ = image_run
    lines = [l for l in p.stderr.splitlines() if l.startswith(f"failed {uid}:")]
    assert len(lines) == 1, p.stderr
    assert str(path_of(nasty, uid)) in lines[0], lines[0]
    assert FAILS[uid] in lines[0], lines[0]


@pytest.mark.parametrize("uid", sorted(IMAGE_WINDOWS))
def test_features_equal_the_reference(image_run, nasty, models, uid):
    _, out = image_run
    got = torch.load(out / f"{uid}.pt").numpy()
    assert got.shape == (IMAGE_WINDOWS[uid], 8)
    assert np.isfinite(got).all()
    want = ref.features(str(models / "tiny_image.pt"),
                        str(path_of(nasty, uid)), "image", 1, 5, 256, 224, 4,
                        30, mean=ref.IMAGENET_MEAN, std=ref.IMAGENET_STD)
    assert want.shape == got.shape
    diff = float(np.abs(got - want).max())
    assert diff <= 1e-4, f"{uid}: max abs diff {diff}"


def test_rotation_and_start_offset_change_nothing(image_run):
    _, out = image_run
    load = lambda uid: torch.load(out / f"{uid}.pt").numpy()  # noqa: E731
    # The same stream, with and without the display matrix: the matrix is
    # ignored, as PyAV (and so the reference) ignores it.
    assert np.array_equal(load("rotated"), load("yuv444"))
    # The same encode shifted by 5 s: times count from the stream start.
    assert np.array_equal(load("start_offset"), load("plain"))


def test_video_config_on_the_smallest_and_largest(nasty, models, tmp_path):
    """32-frame windows: one frame and six frames each make one window of
    repeated frames; 2x2 is upscaled to 256 and cropped. The reference is
    left out for 4000x3000: it normalises whole frames before resizing,
    4.6 GB of float32 for one window (the image config compares it)."""
    out = tmp_path / "video"
    uids = ["one_frame", "tiny_2x2", "huge_4000x3000"]
    run_cli(*extract_args("mvit_k400", nasty, out, models / "tiny_video.pt",
                          f"io.uid_list=[{','.join(uids)}]"), check=0)
    for uid in uids:
        got = torch.load(out / f"{uid}.pt").numpy()
        assert got.shape == (1, 8), uid
        assert np.isfinite(got).all(), uid
        if uid == "huge_4000x3000":
            continue
        want = ref.features(str(models / "tiny_video.pt"),
                            str(path_of(nasty, uid)), "video", 32, 16, 256,
                            224, 4, 30, mean=[0.45] * 3, std=[0.225] * 3)
        assert float(np.abs(got - want).max()) <= 1e-4, uid
