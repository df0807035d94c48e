"""One-file HDF5 output (io.out_format=hdf5) and `ego4dfeat merge`: every
uid a float32 dataset /<uid> (fingerprint, provenance and config as its
attributes) and its window times /_window_times/<uid>, written atomically
and resumable, read back with h5py as Ego4D's own readers do."""
import hashlib
import os
import signal
import subprocess
import time

import h5py
import numpy as np
import torch

from conftest import (CLI, SOURCE, dead_pid, extract_args, host_token, make_clips,
                      run_cli)


TIMES = "_window_times"


def h5_uids(path):
    with h5py.File(path, "r") as f:
        return sorted(n for n in f if n != TIMES)


def test_merge_per_video_outputs(tmp_path, models):
    vids = tmp_path / "v"
    uids = make_clips(vids, 3)
    out = tmp_path / "pt"
    run_cli(*extract_args("mvit_k400", vids, out, models / "tiny_video.pt",
                          "--quiet"), check=0)
    h5 = tmp_path / "all.h5"
    p = run_cli("merge", "--out", str(h5), str(out), check=0)
    assert f"merged 3 outputs of {out} into {h5}" in p.stdout
    with h5py.File(h5, "r") as f:
        assert f.attrs["format"] == "ego4dfeat features 2"
        assert sorted(f) == sorted(uids + [TIMES])
        for u in uids:
            g = f[u]
            want = torch.load(out / f"{u}.pt").numpy()
            assert g.dtype == np.float32
            assert np.array_equal(g[()], want)
            t = np.load(out / f"{u}.times.npy")
            assert f[TIMES][u].dtype == np.float64
            assert np.array_equal(f[TIMES][u][:, 0], t[:, 0])
            assert np.array_equal(f[TIMES][u][:, 1], t[:, 1])
            fp = (out / f"{u}.fp").read_text().split("\n", 2)
            assert g.attrs["fingerprint"] == fp[1].split(": ")[1]
            assert g.attrs["provenance"] == fp[2]
            assert "frame_window: 32" in g.attrs["config"]

    # torch.save's own archives merge too; uids already in the file and
    # not in the folder are kept, the others replaced.
    other = tmp_path / "other"
    other.mkdir()
    x = torch.arange(12, dtype=torch.float32).reshape(2, 3, 2)
    torch.save(x, other / "c00.pt")
    np.save(other / "c00.times.npy", np.array([[0, 1], [0.5, 1.5]]))
    desc = "model_config.kind: hand-made\n"
    (other / "c00.fp").write_text(
        "ego4dfeat fingerprint 1\nfingerprint: "
        + hashlib.sha256(desc.encode()).hexdigest() + "\n" + desc)
    run_cli("merge", "--out", str(h5), str(other), check=0)
    with h5py.File(h5, "r") as f:
        assert sorted(n for n in f if n != TIMES) == uids
        assert np.array_equal(f["c00"][()], x.numpy())
        assert "config" not in f["c00"].attrs   # no config.yaml there
        assert f["c01"].shape[0] == 2

    # An output without window times (an older version's) is an error
    # naming it, and the file is left as it was.
    before = h5.read_bytes()
    os.remove(other / "c00.times.npy")
    p = run_cli("merge", "--out", str(h5), str(other), check=1)
    assert f"{other}/c00.pt has no complete window times" in p.stderr
    assert h5.read_bytes() == before
    assert [n for n in os.listdir(tmp_path) if n.startswith(".all")] == \
        [".all.h5.lock"]


def test_merge_says_transcripts_are_not_merged(tmp_path):
    """Transcripts (io.out_format=transcript) are text: merge says so for a
    folder of them, and leaves them out of a folder that also has features."""
    texts = tmp_path / "t"
    texts.mkdir()
    for uid in ("talk", "short"):
        (texts / f"{uid}.transcript.jsonl").write_text(
            '{"start": 0, "end": 5, "text": "hi", "score": -0.5}\n')
        np.save(texts / f"{uid}.times.npy", np.array([[0.0, 5.0]]))
    h5 = tmp_path / "t.h5"
    p = run_cli("merge", "--out", str(h5), str(texts), check=1)
    assert (f"{texts} holds 2 transcripts (<uid>.transcript.jsonl) and no "
            ".pt or .npy feature files: transcripts are text and are not "
            "merged into HDF5") in p.stderr, p.stderr
    assert not h5.exists()
    # Beside features, they are left out.
    x = np.ones((1, 3), np.float32)
    np.save(texts / "feat.npy", x)
    np.save(texts / "feat.times.npy", np.array([[0.0, 1.0]]))
    desc = "model_config.kind: hand-made\n"
    (texts / "feat.fp").write_text(
        "ego4dfeat fingerprint 1\nfingerprint: "
        + hashlib.sha256(desc.encode()).hexdigest() + "\n" + desc)
    p = run_cli("merge", "--out", str(h5), str(texts), check=0)
    assert f"merged 1 output of {texts}" in p.stdout
    assert h5_uids(h5) == ["feat"]


def test_hdf5_output_resumes_and_survives_kill(tmp_path, models):
    vids = tmp_path / "v"
    uids = make_clips(vids, 6, seconds=2.0)
    out = tmp_path / "h"
    model = models / "tiny_video.pt"
    # Not --quiet: the test reads the per-video "wrote" lines.
    args = extract_args("mvit_k400", vids, out, model, "io.out_format=hdf5")
    p = run_cli(*args, "io.uid_list=[c00,c01]", check=0)
    assert f"wrote {out}/features.h5:/c00" in p.stdout
    h5 = out / "features.h5"
    assert h5_uids(h5) == ["c00", "c01"]
    first = h5.read_bytes()

    # A part left by a crashed run (complete .npy, times, fingerprint) is
    # merged, not recomputed; a dead run's temporary copy of the file is
    # swept.
    run_cli(*extract_args("mvit_k400", vids, out / "features.h5.parts",
                          model, "io.out_format=npy", "io.uid_list=[c02]",
                          "--quiet"), check=0)
    stale = out / f".features.h5.tmp.{host_token()}.{dead_pid()}.{'0' * 16}"
    stale.write_bytes(b"half a file")

    # kill -9 mid-run: features.h5 is the old file, whole.
    proc = subprocess.Popen([CLI, *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    parts = out / "features.h5.parts"
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if any(n.endswith(".times.npy") and not n.startswith("c02")
               for n in os.listdir(parts)):
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert h5.read_bytes() == first
    assert h5_uids(h5) == ["c00", "c01"]

    # The rerun computes exactly what is in neither the file nor a part.
    p = run_cli(*args, check=0)
    done = {line.split(":/")[1].split()[0] for line in p.stdout.splitlines()
            if line.startswith("wrote ")}
    assert "c00" not in done and "c01" not in done and "c02" not in done
    assert h5_uids(h5) == uids
    assert not stale.exists()
    # Merged parts are removed (config.yaml is the crashed npy run's).
    assert os.listdir(parts) == ["config.yaml"]
    p = run_cli(*args, check=0)
    assert "0 done, 6 skipped" in p.stdout
    # The same features as the per-video format.
    npy = tmp_path / "npy"
    run_cli(*extract_args("mvit_k400", vids, npy, model, "io.out_format=npy",
                          "io.uid_list=[c00,c05]", "--quiet"), check=0)
    with h5py.File(h5, "r") as f:
        for u in ("c00", "c05"):
            np.testing.assert_allclose(f[u][()],
                                       np.load(npy / f"{u}.npy"),
                                       rtol=0, atol=1e-6)
            assert f[TIMES][u][-1, 1] == 2.0
    # Another stride is refused, naming the group; nothing changes.
    before = h5.read_bytes()
    p = run_cli(*args, "inference_config.stride=8", check=2)
    assert f"{out}/features.h5:/c00 was computed with another" in p.stderr
    assert "inference_config.stride: 16 -> 8" in p.stderr
    assert h5.read_bytes() == before


def test_schedule_hdf5_resumes_from_the_file(tmp_path, models):
    vids = tmp_path / "v"
    make_clips(vids, 2)
    out = tmp_path / "out"

    def schedule(*extra):
        return run_cli(
            "schedule", "--config-dir", os.path.join(SOURCE, "configs"),
            "--config-name", "mvit_k400", f"io.video_dir_path={vids}",
            f"io.out_path={out}", "io.out_format=hdf5",
            f"model_config.model_path={models / 'tiny_video.pt'}",
            "inference_config.device=cpu",
            f"schedule_config.log_folder={tmp_path}/logs/%j",
            "schedule_config.run_locally=1", "force_yes=true", *extra,
            check=0)

    p = schedule()
    assert "2 done" in p.stdout, p.stdout
    assert h5_uids(out / "features.h5") == ["c00", "c01"]
    # Complete bins are read from features.h5: nothing is submitted.
    p = schedule()
    assert "nothing to run" in p.stdout, p.stdout
