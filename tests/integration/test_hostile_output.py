"""What the output folder and the uids can throw at a run: a full disk, a
read-only folder, a missing one, a file in its place, uids that are paths
or worse, and symlinks. Nothing is ever written outside io.out_path, every
error names the path, and a rerun finishes exactly what is missing."""
import hashlib
import os
import shutil
import subprocess
import sys

import pytest
import torch

from conftest import (bitwise_args, final_outputs, hidden_leftovers,
                      make_clips, run_cli)

N = 12


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    make_clips(str(d), N)
    return d


@pytest.fixture(scope="module")
def reference(clips, models, tmp_path_factory):
    out = tmp_path_factory.mktemp("reference")
    run_cli(*bitwise_args(clips, models, out), check=0)
    return {n: torch.load(out / n) for n in final_outputs(out)}


@pytest.fixture
def mount(tmp_path):
    """mount(path, options): a tmpfs there, unmounted after the test."""
    done = []

    def do(path, options):
        path.mkdir(parents=True, exist_ok=True)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs",
                            str(path)], capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root or "
                        f"CAP_SYS_ADMIN): {r.stderr.strip()}")
        done.append(path)
        return path

    yield do
    for path in reversed(done):
        subprocess.run(["umount", str(path)], check=True)


def check_outputs(out, ref):
    for name in final_outputs(out):
        assert torch.equal(torch.load(out / name), ref[name]), name


def test_disk_full_then_rerun(clips, models, reference, tmp_path, mount):
    # Each 718-byte output takes a 4 KiB tmpfs page (and config.yaml one),
    # so 32 KiB holds about half of the 12 files whatever the timing.
    out = mount(tmp_path / "small", "size=32k")
    args = bitwise_args(clips, models, out)
    p = run_cli(*args, check=1)
    failed = sorted(line.split()[1].rstrip(":")
                    for line in p.stderr.splitlines()
                    if line.startswith("failed "))
    assert failed, p.stdout + p.stderr
    for uid in failed:
        # Any of the output's three files (fingerprint, times, features)
        # may be the one that no longer fits.
        assert any(f"failed {uid}: cannot write {out}/{uid}{ext} (write): "
                   f"No space left on device" in p.stderr
                   for ext in (".pt", ".times.npy", ".fp")), p.stderr
    done = final_outputs(out)
    assert len(done) + len(failed) == N
    check_outputs(out, reference)
    assert hidden_leftovers(out) == []
    print(f"\ndisk full: {len(done)} written, {len(failed)} failed with "
          f"ENOSPC", file=sys.stderr)
    # Space freed: the rerun does exactly the failed videos.
    subprocess.run(["mount", "-o", "remount,size=4m", str(out)], check=True)
    p = run_cli(*args, check=0)
    assert f"{len(failed)} done, {len(done)} skipped, 0 failed" in p.stdout
    assert sorted(line.split()[1].rsplit("/", 1)[1][:-3]
                  for line in p.stdout.splitlines()
                  if line.startswith("wrote ")) == failed
    now = final_outputs(out)
    assert all(now[n] == v for n, v in done.items())  # same inode, mtime
    assert len(now) == N
    check_outputs(out, reference)
    assert hidden_leftovers(out) == []


def test_read_only_out_path(clips, models, tmp_path, mount):
    ro = mount(tmp_path / "ro", "ro,size=1m")
    p = run_cli(*bitwise_args(clips, models, ro), check=1)
    assert f"cannot write {ro}/config.yaml" in p.stderr, p.stderr
    assert "Read-only file system" in p.stderr
    p = run_cli(*bitwise_args(clips, models, ro / "sub"), check=1)
    assert f"cannot create folder {ro}/sub: Read-only file system" \
        in p.stderr, p.stderr
    assert os.listdir(ro) == []


def test_missing_out_path_is_created(clips, models, reference, tmp_path):
    out = tmp_path / "a" / "b" / "c"
    run_cli(*bitwise_args(clips, models, out, "io.uid_list=[c00,c01]"), check=0)
    assert sorted(final_outputs(out)) == ["c00.pt", "c01.pt"]
    check_outputs(out, reference)


def test_out_path_is_a_file(clips, models, tmp_path):
    out = tmp_path / "features"
    out.write_text("precious")
    p = run_cli(*bitwise_args(clips, models, out), check=1)
    assert f"cannot create folder {out}: {out} exists and is not a folder" \
        in p.stderr, p.stderr
    assert out.read_text() == "precious"


def tree(root):
    """{relative path: (kind, content hash or link target)} of a folder."""
    got = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            full = os.path.join(d, n)
            rel = os.path.relpath(full, root)
            if os.path.islink(full):
                got[rel] = ("link", os.readlink(full))
            elif os.path.isdir(full):
                got[rel] = ("dir", None)
            else:
                with open(full, "rb") as f:
                    got[rel] = ("file", hashlib.sha256(f.read()).hexdigest())
    return got


def test_hostile_uids_and_symlinks(clips, models, reference, tmp_path):
    # Everything the run may not touch lives in the sentinel tree, which
    # also holds files named as the hostile uids would write them.
    sentinel = tmp_path / "sentinel"
    (sentinel / "deep").mkdir(parents=True)
    (sentinel / "x.pt").write_text("x")
    (sentinel / "deep" / "y.mp4").write_text("y")
    shutil.copy(clips / "c02.mp4", sentinel / "real.mp4")
    vids = tmp_path / "videos"
    vids.mkdir()
    for u in ["c00", "c01"]:
        shutil.copy(clips / f"{u}.mp4", vids / f"{u}.mp4")
    shutil.copy(clips / "c03.mp4", vids / "é-视频.mp4")
    shutil.copy(clips / "c01.mp4", vids / "-dash.mp4")
    os.symlink(sentinel / "real.mp4", vids / "outside.mp4")  # points out
    os.symlink("c00.mp4", vids / "inner.mp4")
    out = tmp_path / "out"
    out.mkdir()
    # Planted in the output folder: a final name that is a symlink out of
    # it (replaced, never written through) and a claim name that is one
    # (refused: the claim is opened with O_NOFOLLOW).
    os.symlink(sentinel / "x.pt", out / "inner.pt")
    os.symlink(sentinel / "planted", out / ".c01.pt.claim")
    before = tree(sentinel)
    bad = {"../sentinel/x": "may not contain '/'",
           "sub/c00": "may not contain '/'",
           "": "may not be empty",
           ".": 'may not be "." or ".."',
           "..": 'may not be "." or ".."',
           "a\nb": "may not contain control characters"}
    good = ["c00", "outside", "inner", "é-视频", "-dash"]
    # An absolute path is taken only as a whole path to an existing file.
    missing = str(sentinel / "x")
    uids = ",".join(f'"{u}"' for u in good + ["c01"] + list(bad) + [missing])
    p = run_cli(*bitwise_args(vids, models, out, f"io.uid_list=[{uids}]"),
                check=1)
    assert f"{len(good)} done, 0 skipped, {len(bad) + 2} failed" in p.stdout
    for uid, why in bad.items():
        shown = uid.replace("\n", "\\x0a")
        assert f'invalid uid "{shown}": a uid {why}' in p.stderr, p.stderr
    assert f"'{missing}': an absolute path must name an existing file" \
        in p.stderr, p.stderr
    # The summary shows the uid escaped too: one line per video.
    assert 'failed a\\x0ab: invalid uid "a\\x0ab"' in p.stderr, p.stderr
    assert f"cannot create claim file {out}/.c01.pt.claim" in p.stderr
    assert tree(sentinel) == before
    assert sorted(os.listdir(tmp_path)) == ["out", "sentinel", "videos"]
    assert sorted(n for n in os.listdir(out) if not n.startswith(".")) == \
        sorted([f"{u}{ext}" for u in good
                for ext in (".pt", ".times.npy", ".fp")] + ["config.yaml"])
    assert not os.path.islink(out / "inner.pt")
    assert os.path.islink(out / ".c01.pt.claim")  # left as it was
    same = {"c00": "c00", "outside": "c02", "inner": "c00", "é-视频": "c03",
            "-dash": "c01"}
    for uid, src in same.items():
        assert torch.equal(torch.load(out / f"{uid}.pt"),
                           reference[f"{src}.pt"]), uid


def test_dot_uid_reaches_the_hdf5_file(clips, models, tmp_path):
    """A uid starting with a dot was reported written but never reached
    features.h5 (the part scan skipped dotfiles), nor a merged file."""
    import h5py
    import numpy as np
    vt = tmp_path / "vt"
    vt.mkdir()
    shutil.copy(clips / "c00.mp4", vt / ".x.mp4")
    shutil.copy(clips / "c01.mp4", vt / "a.mp4")
    out = tmp_path / "h"
    p = run_cli(*bitwise_args(clips, models, out, "io.out_format=hdf5"),
                "--", str(vt / ".x.mp4"), str(vt / "a.mp4"), check=0)
    assert f"wrote {out}/features.h5:/.x" in p.stdout
    with h5py.File(out / "features.h5", "r") as f:
        assert sorted(n for n in f if n != "_window_times") == [".x", "a"]
        assert sorted(f["_window_times"]) == [".x", "a"]
    assert not (out / "features.h5.parts").exists()
    # merge takes .x.pt too.
    pt = tmp_path / "pt"
    run_cli(*bitwise_args(clips, models, pt), "--", str(vt / ".x.mp4"),
            check=0)
    merged = tmp_path / "m.h5"
    p = run_cli("merge", "--out", str(merged), str(pt), check=0)
    with h5py.File(merged, "r") as f:
        assert np.array_equal(f[".x"][0:], torch.load(pt / ".x.pt").numpy())


def test_hdf5_lock_and_parts_symlinks_are_refused(clips, models, tmp_path):
    """A planted .features.h5.lock symlink created its target outside
    out_path; a features.h5.parts symlink had parts written into, and
    deleted from, the folder it points to. Both are refused, naming them,
    and nothing outside out_path is created, changed or deleted."""
    outside = tmp_path / "outside"
    outside.mkdir()
    keep = outside / "c00.npy"
    keep.write_bytes(b"someone else's file")
    out = tmp_path / "h"
    out.mkdir()
    os.symlink(outside / "made.lock", out / ".features.h5.lock")
    args = bitwise_args(clips, models, out, "io.out_format=hdf5",
                        "io.uid_list=[c00]")
    p = run_cli(*args, check=1)
    assert f"cannot lock {out}/features.h5 for writing" in p.stderr
    assert "symbolic link" in p.stderr
    assert sorted(os.listdir(outside)) == ["c00.npy"]
    assert not (out / "features.h5").exists()
    os.remove(out / ".features.h5.lock")
    # Its part was kept: the rerun merges it without computing.
    p = run_cli(*args, check=0)
    assert "0 done, 1 skipped" in p.stdout, p.stdout
    assert (out / "features.h5").exists()

    out2 = tmp_path / "h2"
    out2.mkdir()
    os.symlink(outside, out2 / "features.h5.parts")
    p = run_cli(*bitwise_args(clips, models, out2, "io.out_format=hdf5",
                              "io.uid_list=[c00]"), check=1)
    assert f"{out2}/features.h5.parts is a symbolic link" in p.stderr
    assert sorted(os.listdir(outside)) == ["c00.npy"]
    assert keep.read_bytes() == b"someone else's file"


def fake_outputs(folder, uids, rows=300, dims=1000):
    """Complete per-video outputs (.pt, .times.npy, .fp) of rows x dims
    float32 features, about rows * dims * 4 bytes each."""
    import numpy as np
    folder.mkdir(parents=True, exist_ok=True)
    desc = "model_config.kind: hand-made\n"
    for u in uids:
        torch.save(torch.rand(rows, dims), folder / f"{u}.pt")
        t = np.arange(rows, dtype=np.float64)
        np.save(folder / f"{u}.times.npy", np.stack([t, t + 1], axis=1))
        (folder / f"{u}.fp").write_text(
            "ego4dfeat fingerprint 1\nfingerprint: "
            + hashlib.sha256(desc.encode()).hexdigest() + "\n" + desc)


def test_merge_full_disk_and_dead_temporaries(tmp_path, mount):
    """merge on a disk without room for the new file fails naming the
    file, the space needed and free, exit 1, without a crash; the file is
    left as it was. A dead merge's temporary is swept; --out DIR says it
    is a directory."""
    disk = mount(tmp_path / "disk", "size=3m")
    h5 = disk / "all.h5"
    fake_outputs(tmp_path / "a", ["a0"])            # 1.2 MB
    run_cli("merge", "--out", str(h5), str(tmp_path / "a"), check=0)
    before = h5.read_bytes()
    fake_outputs(tmp_path / "b", ["b0"])
    p = run_cli("merge", "--out", str(h5), str(tmp_path / "b"), check=1)
    assert f"cannot write {h5}: not enough free space" in p.stderr, p.stderr
    assert "MB are free" in p.stderr
    assert h5.read_bytes() == before
    assert sorted(os.listdir(disk)) == [".all.h5.lock", "all.h5"]

    # A kill -9 mid-merge leaves a temporary of a dead pid: swept.
    from conftest import dead_pid, host_token
    stale = tmp_path / f".m.h5.tmp.{host_token()}.{dead_pid()}.{'0' * 16}"
    stale.write_bytes(b"half a file")
    run_cli("merge", "--out", str(tmp_path / "m.h5"), str(tmp_path / "a"),
            check=0)
    assert not stale.exists()

    p = run_cli("merge", "--out", str(tmp_path), str(tmp_path / "a"))
    assert p.returncode == 1
    assert f"{tmp_path} is a directory" in p.stderr
