"""`ego4dfeat merge` of released features: plain torch.save(tensor) files
without .times.npy / .fp, merged with --no-times or with window times
computed from a config (--config-name), both recorded as provenance
"unknown"; the default still refuses them, naming both options."""
import os

import h5py
import numpy as np
import torch

from conftest import CLI, SOURCE, extract_args, make_clips, run_cli

TIMES = "_window_times"
CONFIGS = os.path.join(SOURCE, "configs")


def released(tmp_path, models, seconds=2.5, n=2):
    """Clips, their extracted outputs, and a folder holding only the
    features as a release has them (torch.save of the tensor)."""
    vids = tmp_path / "v"
    uids = make_clips(vids, n, seconds=seconds)
    out = tmp_path / "pt"
    run_cli(*extract_args("mvit_k400", vids, out, models / "tiny_video.pt",
                          "--quiet"), check=0)
    rel = tmp_path / "released"
    rel.mkdir()
    for u in uids:
        torch.save(torch.load(out / f"{u}.pt").clone(), rel / f"{u}.pt")
    return vids, uids, out, rel


def test_default_refuses_naming_the_options(tmp_path, models):
    _, uids, _, rel = released(tmp_path, models, n=1)
    h5 = tmp_path / "a.h5"
    p = run_cli("merge", "--out", str(h5), str(rel), check=1)
    assert f"{rel}/{uids[0]}.pt has no complete window times" in p.stderr
    assert "--config-name NAME" in p.stderr and "--no-times" in p.stderr
    assert not h5.exists()


def test_no_times(tmp_path, models):
    _, uids, out, rel = released(tmp_path, models)
    h5 = tmp_path / "a.h5"
    p = run_cli("merge", "--no-times", "--out", str(h5), str(rel), check=0)
    assert f"merged 2 outputs of {rel} into {h5}" in p.stdout
    with h5py.File(h5, "r") as f:
        assert sorted(n for n in f if n != TIMES) == uids
        assert TIMES not in f or not any(u in f[TIMES] for u in uids)
        for u in uids:
            want = torch.load(out / f"{u}.pt").numpy()
            assert f[u].dtype == np.float32
            assert np.array_equal(f[u][()], want)
            assert f[u].attrs["provenance"] == "unknown"
            assert f[u].attrs["fingerprint"] == "unknown"
            assert f[u].attrs["window_times"] == "none"
            assert "config" not in f[u].attrs


def test_config_name_gives_the_extracted_times(tmp_path, models):
    vids, uids, out, rel = released(tmp_path, models)
    # A file that has its times and fingerprint is merged as before.
    for ext in (".times.npy", ".fp"):
        os.link(out / f"{uids[0]}{ext}", rel / f"{uids[0]}{ext}")
    h5 = tmp_path / "a.h5"
    run_cli("merge", "--out", str(h5), "--config-dir", CONFIGS,
            "--config-name", "mvit_k400", f"io.video_dir_path={vids}",
            str(rel), check=0)
    fp = (out / f"{uids[0]}.fp").read_text().split("\n", 2)
    with h5py.File(h5, "r") as f:
        for u in uids:
            want = torch.load(out / f"{u}.pt").numpy()
            assert np.array_equal(f[u][()], want)
            t = np.load(out / f"{u}.times.npy")
            assert t.shape[0] == want.shape[0] > 2
            assert f[TIMES][u].dtype == np.float64
            assert np.array_equal(f[TIMES][u][()], t)
        assert f[uids[0]].attrs["provenance"] == fp[2]
        assert "window_times" not in f[uids[0]].attrs
        g = f[uids[1]]
        assert g.attrs["provenance"] == "unknown"
        assert g.attrs["fingerprint"] == "unknown"
        assert "75 sampled frames" in g.attrs["window_times"]
        assert "frame_window 32, stride 16" in g.attrs["window_times"]


def test_config_name_from_manifest_frames(tmp_path, models):
    """The frame count of manifest.csv, as the scheduler reads it, without
    a video file; a count that gives other windows than the tensor's rows
    is refused naming both numbers, and nothing is written."""
    vids, uids, out, rel = released(tmp_path, models, n=1)
    u = uids[0]
    mdir = tmp_path / "m"
    mdir.mkdir()
    rows = np.load(out / f"{u}.times.npy").shape[0]
    manifest = mdir / "manifest.csv"
    manifest.write_text("video_uid,canonical_num_frames\n" f"{u},75\n")
    h5 = tmp_path / "a.h5"
    args = ["merge", "--out", str(h5), "--config-dir", CONFIGS,
            "--config-name", "mvit_k400", f"io.video_dir_path={mdir}",
            str(rel)]
    run_cli(*args, check=0)
    with h5py.File(h5, "r") as f:
        assert np.array_equal(f[TIMES][u][()],
                              np.load(out / f"{u}.times.npy"))
    before = h5.read_bytes()
    manifest.write_text("video_uid,canonical_num_frames\n" f"{u},200\n")
    p = run_cli(*args, check=1)
    # 200 frames, windows of 32 every 16: 12 windows, not the file's rows.
    assert f"{rel}/{u}.pt has {rows} rows but" in p.stderr
    assert "gives 12 windows" in p.stderr
    assert "200 sampled frames" in p.stderr
    assert h5.read_bytes() == before


def test_config_name_without_a_frame_count(tmp_path, models):
    _, uids, _, rel = released(tmp_path, models, n=1)
    empty = tmp_path / "empty"
    empty.mkdir()
    h5 = tmp_path / "a.h5"
    p = run_cli("merge", "--out", str(h5), "--config-dir", CONFIGS,
                "--config-name", "mvit_k400", f"io.video_dir_path={empty}",
                str(rel), check=1)
    assert f"{rel}/{uids[0]}.pt: no frame count for video \"{uids[0]}\"" \
        in p.stderr
    assert not h5.exists()


def test_bad_option_combinations(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    p = run_cli("merge", "--out", str(tmp_path / "a.h5"), "--no-times",
                "--config-name", "mvit_k400", str(d), check=2)
    assert "--no-times and --config-name exclude each other" in p.stderr
    p = run_cli("merge", "--out", str(tmp_path / "a.h5"),
                "io.video_dir_path=x", str(d), check=2)
    assert "config overrides without --config-name" in p.stderr


def test_config_name_video_shorter_than_a_window(tmp_path, models):
    """18 frames, windows of 32: one window that ends at the last frame,
    as extraction stamps it."""
    vids, uids, out, rel = released(tmp_path, models, seconds=0.6, n=1)
    u = uids[0]
    h5 = tmp_path / "a.h5"
    run_cli("merge", "--out", str(h5), "--config-dir", CONFIGS,
            "--config-name", "mvit_k400", f"io.video_dir_path={vids}",
            str(rel), check=0)
    t = np.load(out / f"{u}.times.npy")
    assert t.shape == (1, 2) and t[0, 1] < 32 / 30
    with h5py.File(h5, "r") as f:
        assert np.array_equal(f[TIMES][u][()], t)
