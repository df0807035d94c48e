"""Soak: 300 tiny videos, one in ten bad (truncated, garbage, empty). The
counts the CLI reports (done / skipped / failed) must equal the truth,
file by file, and the CLI's peak memory must not grow with the number of
videos: the peak over 300 videos stays within RSS_SLACK_MIB of the peak
over 30 (a leak of 40 KiB per good video would exceed it: 270 of them
more in the second run).

Peak memory is the child's own ru_maxrss, from os.wait4() on its pid (so
no other process of the test counts). Memory, not time, is asserted.
"""
import os
import random
import re
import shutil
import subprocess

import pytest

from conftest import CLI, extract_args, ffmpeg

RSS_SLACK_MIB = 10
BAD_KINDS = ["truncated", "garbage", "empty"]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """One 64x48, 0.5 s clip (15 frames), copied for every good video."""
    d = tmp_path_factory.mktemp("soak_src")
    return ffmpeg(str(d / "clip.mp4"), "-f", "lavfi", "-i",
                  "testsrc2=size=64x48:rate=30:duration=0.5", "-c:v",
                  "libx264", "-pix_fmt", "yuv420p", "-g", "5")


def make_folder(d, clip, n):
    """n videos, every tenth bad (cycling through BAD_KINDS); returns the
    set of bad uids."""
    d.mkdir()
    data = open(clip, "rb").read()
    bad = set()
    for i in range(n):
        uid = f"v{i:04d}"
        path = d / f"{uid}.mp4"
        if i % 10 != 7:
            shutil.copyfile(clip, path)
            continue
        bad.add(uid)
        kind = BAD_KINDS[(i // 10) % len(BAD_KINDS)]
        if kind == "truncated":  # moov is at the end: cut, no index
            path.write_bytes(data[: len(data) // 2])
        elif kind == "garbage":
            path.write_bytes(random.Random(i).randbytes(4096))
        else:
            path.write_bytes(b"")
    return bad


def run_cli_measured(args, tmp):
    """Runs the CLI; returns (exit code, stdout, stderr, peak RSS in MiB).
    Output goes to files so that the child can be reaped with os.wait4,
    which returns that child's own rusage."""
    so_path, se_path = tmp / "cli.out", tmp / "cli.err"
    with open(os.devnull, "rb") as null, open(so_path, "w") as so, \
            open(se_path, "w") as se:
        p = subprocess.Popen([CLI, *args], stdin=null, stdout=so, stderr=se)
        _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by p
    return (p.returncode, so_path.read_text(), se_path.read_text(),
            ru.ru_maxrss / 1024.0)  # KiB on Linux


def counts(stdout):
    m = re.search(r"videos: (\d+) done, (\d+) skipped, (\d+) failed, "
                  r"(\d+) not run", stdout)
    assert m, stdout
    return tuple(int(g) for g in m.groups())


def failed_uids(stderr):
    return {m.group(1) for m in re.finditer(r"^failed (\S+): ", stderr,
                                            re.M)}


def extract(models, videos, out, *extra):
    # Small input (48 px) and two decode workers keep 330 videos cheap.
    return extract_args("omnivore_image", videos, out,
                        models / "tiny_image.pt", "model_config.side_size=48",
                        "model_config.crop_size=48",
                        "inference_config.num_workers=2", *extra)


def test_counts_are_true_and_memory_stays_flat(tmp_path, clip, models):
    peaks = {}
    for n in (30, 300):
        videos, out = tmp_path / f"videos{n}", tmp_path / f"out{n}"
        bad = make_folder(videos, clip, n)
        rc, so, se, peak = run_cli_measured(extract(models, videos, out),
                                            tmp_path)
        peaks[n] = peak
        assert rc == 1, se
        assert counts(so) == (n - len(bad), 0, len(bad), 0), so
        assert failed_uids(se) == bad
        for uid in bad:  # each failure names its file
            line = next(l for l in se.splitlines()
                        if l.startswith(f"failed {uid}: "))
            assert str(videos / f"{uid}.mp4") in line, line
        written = {f[:-3] for f in os.listdir(out) if f.endswith(".pt")}
        assert written == {f"v{i:04d}" for i in range(n)} - bad
    print(f"peak RSS: {peaks[30]:.1f} MiB at 30 videos, "
          f"{peaks[300]:.1f} MiB at 300")
    assert peaks[300] <= peaks[30] + RSS_SLACK_MIB, peaks

    # Again over the 300 with io.filter_completed: the good ones are
    # skipped as complete, the bad ones fail again, nothing is redone.
    rc, so, se, _ = run_cli_measured(extract(models, tmp_path / "videos300",
                                             tmp_path / "out300",
                                             "io.filter_completed=true"),
                                     tmp_path)
    assert rc == 1, se
    assert counts(so) == (0, 270, 30, 0), so
