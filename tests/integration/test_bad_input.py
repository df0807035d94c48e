"""Bad input gets a clear error naming the file and the problem; the other
videos are still processed; nothing partial is left behind."""
import os
import shutil
import signal
import struct
import threading
import subprocess
import time

import pytest
import torch

from conftest import CLI, extract_args, ffmpeg, make_clip, run_cli


@pytest.fixture(scope="module")
def bad_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    make_clip(str(d / "good.mp4"), seconds=1.5)
    (d / "empty.mp4").write_bytes(b"")
    (d / "text.mp4").write_text("this is not a video\n" * 50)
    ffmpeg(str(d / "audio_only.mp4"), "-f", "lavfi", "-i",
           "sine=frequency=440:duration=1", "-c:a", "aac")
    # Truncated files: without the index (moov at the end) and with it
    # (faststart), the second decodes what is there.
    make_clip(str(d / "src.mp4"), seconds=3)
    data = (d / "src.mp4").read_bytes()
    (d / "truncated.mp4").write_bytes(data[: len(data) // 2])
    ffmpeg(str(d / "fast.mp4"), "-i", str(d / "src.mp4"), "-c", "copy",
           "-movflags", "+faststart")
    fast = (d / "fast.mp4").read_bytes()
    (d / "truncated_fast.mp4").write_bytes(fast[: len(fast) * 2 // 3])
    # Garbage in the middle of the stream: bad packets are skipped.
    mid = bytearray(fast)
    for i in range(len(mid) // 2, len(mid) // 2 + 2000):
        mid[i] = (i * 7) & 0xFF
    (d / "corrupt_middle.mp4").write_bytes(bytes(mid))
    os.remove(d / "src.mp4")
    os.remove(d / "fast.mp4")
    return d


UIDS = ["good", "empty", "text", "audio_only", "truncated",
        "truncated_fast", "corrupt_middle", "missing"]


def test_each_bad_file_fails_alone_with_its_name(tmp_path, bad_dir, models):
    out = tmp_path / "out"
    p = run_cli(*extract_args("mvit_k400", bad_dir, out,
                              models / "tiny_video.pt",
                              f"io.uid_list=[{','.join(UIDS)}]"))
    assert p.returncode == 1, p.stderr
    err = p.stderr
    for uid in ["empty", "text", "audio_only", "truncated", "missing"]:
        line = [l for l in err.splitlines() if l.startswith(f"failed {uid}:")]
        assert line, f"no failure line for {uid} in:\n{err}"
        assert f"{uid}.mp4" in line[0], line[0]
    assert "no video stream" in err
    assert "missing.mp4" in err
    # The good file and the partly readable ones are written.
    assert torch.load(out / "good.pt").shape[0] >= 1
    for uid in ["truncated_fast", "corrupt_middle"]:
        assert (out / f"{uid}.pt").exists(), err
        assert torch.load(out / f"{uid}.pt").shape[1] == 8
    written = sorted(os.listdir(out))
    for uid in ["empty", "text", "audio_only", "truncated", "missing"]:
        assert f"{uid}.pt" not in written
    assert all(not f.startswith(".") for f in written), written


def test_missing_model_names_the_file(tmp_path, bad_dir):
    p = run_cli(*extract_args("mvit_k400", bad_dir, tmp_path / "o",
                              tmp_path / "nope.pt", "io.uid_list=[good]"))
    assert p.returncode == 1
    assert "nope.pt" in p.stderr
    assert not (tmp_path / "o" / "good.pt").exists()


def test_model_output_not_a_tensor(tmp_path, bad_dir, models):
    p = run_cli(*extract_args("mvit_k400", bad_dir, tmp_path / "o",
                              models / "tuple_output.pt",
                              "io.uid_list=[good]"))
    assert p.returncode == 1
    assert "not a tensor" in p.stderr
    assert not (tmp_path / "o" / "good.pt").exists()


@pytest.mark.parametrize("override,words", [
    ("inference_config.batch_size=abc", ["inference_config.batch_size"]),
    ("io.uid_lst=[a]", ["io.uid_lst", "io.uid_list"]),
    ("inference_config.stride=0", ["inference_config.stride"]),
])
def test_bad_config_value_names_the_key(tmp_path, bad_dir, models, override,
                                        words):
    p = run_cli(*extract_args("mvit_k400", bad_dir, tmp_path / "o",
                              models / "tiny_video.pt", override))
    assert p.returncode == 2, p.stderr
    for w in words:
        assert w in p.stderr, p.stderr
    assert not (tmp_path / "o").exists() or not any(
        f.endswith(".pt") for f in os.listdir(tmp_path / "o"))


def test_unknown_config_name(tmp_path):
    p = run_cli("extract", "--config-name", "no_such_config")
    assert p.returncode == 2
    assert "no_such_config" in p.stderr


def test_help_for_every_subcommand():
    assert "usage" in run_cli("--help", check=0).stdout
    assert "--config-name" in run_cli("extract", "--help", check=0).stdout


# ---- Files that are not regular files -------------------------------------
# Reading a FIFO blocks until a writer comes; a device never ends. Such a
# file named like a video fails alone, naming it, and is never opened
# (the run would otherwise hang in open() before any video starts).


@pytest.fixture
def special_dir(tmp_path):
    d = tmp_path / "special"
    d.mkdir()
    make_clip(str(d / "good.mp4"), seconds=1.5)
    os.mkfifo(d / "fifo.mp4")
    os.symlink("fifo.mp4", d / "to_fifo.mp4")
    return d


def test_a_fifo_in_the_folder_fails_alone_without_blocking(tmp_path,
                                                           special_dir,
                                                           models):
    out = tmp_path / "out"
    # run_cli would wait 600 s; a blocked run is a failure here.
    p = subprocess.run([CLI, *extract_args("mvit_k400", special_dir, out,
                                           models / "tiny_video.pt")],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 1, p.stderr
    for uid in ["fifo", "to_fifo"]:
        line = [l for l in p.stderr.splitlines()
                if l.startswith(f"failed {uid}:")]
        assert line and f"{uid}.mp4" in line[0], p.stderr
        assert "a FIFO, not a regular file" in line[0], line[0]
    assert torch.load(out / "good.pt").shape[0] >= 1


def test_devices_and_fifos_given_as_paths_fail_alone(tmp_path, special_dir,
                                                     models):
    out = tmp_path / "out"
    paths = [str(special_dir / "fifo.mp4"), "/dev/zero",
             str(special_dir / "good.mp4")]
    p = subprocess.run([CLI, *extract_args("mvit_k400", special_dir, out,
                                           models / "tiny_video.pt"),
                        "--", *paths],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 1, p.stderr
    assert "fifo.mp4: a FIFO, not a regular file" in p.stderr, p.stderr
    assert "/dev/zero: a character device, not a regular file" in p.stderr
    assert (out / "good.pt").exists()


def test_first_sigterm_stops_discovery(tmp_path, special_dir, models):
    """20,000 files to probe take seconds. The first SIGTERM used to let
    discovery probe them all before the run stopped; the rest are now
    listed unprobed. Measured against the same discovery uncancelled (a
    missing model stops that run right after it), in this test."""
    many = tmp_path / "many"
    many.mkdir()
    for i in range(20000):
        os.symlink(special_dir / "good.mp4", many / f"c{i:05d}.mp4")
    t0 = time.monotonic()
    full = subprocess.run([CLI, *extract_args("mvit_k400", many,
                                              tmp_path / "o1",
                                              tmp_path / "missing.pt")],
                          capture_output=True, text=True, timeout=600)
    full_s = time.monotonic() - t0
    assert full.returncode != 0 and "missing.pt" in full.stderr
    assert full_s > 2.0, f"discovery took {full_s:.1f} s: too short to test"
    proc = subprocess.Popen([CLI, *extract_args("mvit_k400", many,
                                                tmp_path / "o2",
                                                models / "tiny_video.pt")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    time.sleep(min(1.0, full_s / 4))
    t1 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=600)
    finally:
        proc.kill()
    stop_s = time.monotonic() - t1
    print(f"discovery {full_s:.1f} s; stopped {stop_s:.1f} s after SIGTERM")
    assert proc.returncode == 143, err
    assert "stopped by a signal" in err, err
    assert stop_s < full_s / 2, (stop_s, full_s)


def test_a_duration_far_past_the_frames_is_said_at_once(tmp_path, models):
    """3 frames in a 2.9 KB mkv that declares 10^5 s: the last frame is
    repeated up to the declared duration, as the reference does, which
    takes hours. It used to do so without a word; a warning now names the
    file and the figures as soon as its frames end."""
    d = tmp_path / "v"
    d.mkdir()
    ffmpeg(str(d / "three.mkv"), "-f", "lavfi", "-i",
           "testsrc2=size=160x120:rate=30", "-frames:v", "3", "-c:v",
           "libx264", "-pix_fmt", "yuv420p")
    data = bytearray((d / "three.mkv").read_bytes())
    at = data.find(b"\x44\x89\x88")  # Segment Info Duration, 8-byte float
    assert at > 0
    data[at + 3:at + 11] = struct.pack(">d", 1e8)  # ms: 10^5 s
    (d / "long.mkv").write_bytes(bytes(data))
    os.remove(d / "three.mkv")
    proc = subprocess.Popen([CLI, *extract_args("mvit_k400", d,
                                                tmp_path / "out",
                                                models / "tiny_video.pt")],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr),
                              daemon=True)
    reader.start()
    warned = None
    try:
        deadline = time.time() + 120
        while time.time() < deadline and warned is None:
            warned = next((l for l in list(lines)
                           if "warning" in l and "long.mkv" in l), None)
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        finally:
            proc.kill()
        reader.join(timeout=10)
    assert warned, "no warning about the declared duration"
    assert "its 3 frames end at 0.1 s but the file declares 100000 s" \
        in warned, warned
    assert proc.returncode == 143


def test_a_fifo_as_the_model_fails_at_once(tmp_path, special_dir):
    fifo = tmp_path / "model.pt"
    os.mkfifo(fifo)
    p = subprocess.run([CLI, *extract_args("mvit_k400", special_dir,
                                           tmp_path / "out", fifo),
                        "--", str(special_dir / "good.mp4")],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode != 0, p.stderr
    assert str(fifo) in p.stderr and "not a regular file" in p.stderr, \
        p.stderr


def test_merge_refuses_a_fifo_named_like_features(tmp_path, special_dir,
                                                  models):
    out = tmp_path / "out"
    subprocess.run([CLI, *extract_args("mvit_k400", special_dir, out,
                                       models / "tiny_video.pt"),
                    "--", str(special_dir / "good.mp4")],
                   capture_output=True, text=True, timeout=300, check=True)
    os.mkfifo(out / "x.pt")
    shutil.copy(out / "good.times.npy", out / "x.times.npy")
    shutil.copy(out / "good.fp", out / "x.fp")
    p = subprocess.run([CLI, "merge", "--out", str(tmp_path / "all.h5"),
                        str(out)], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 1, p.stderr
    assert "x.pt" in p.stderr, p.stderr
