"""Reruns pick up exactly what is missing: complete outputs are skipped,
truncated ones redone, and a killed run leaves no partial file."""
import os
import signal
import subprocess
import time

import numpy as np
import torch

from conftest import CLI, extract_args, make_clip, run_cli


def test_rerun_skips_complete_and_redoes_truncated(tmp_path, models):
    vids = tmp_path / "v"
    vids.mkdir()
    for i in range(3):
        make_clip(str(vids / f"v{i}.mp4"), seconds=1.2 + 0.3 * i)
    out = tmp_path / "out"
    args = extract_args("mvit_k400", vids, out, models / "tiny_video.pt")
    p = run_cli(*args, check=0)
    assert "3 done, 0 skipped" in p.stdout
    first = torch.load(out / "v1.pt")
    p = run_cli(*args, check=0)
    assert "0 done, 3 skipped" in p.stdout
    data = (out / "v1.pt").read_bytes()
    (out / "v1.pt").write_bytes(data[: len(data) - 40])
    p = run_cli(*args, check=0)
    assert "1 done, 2 skipped" in p.stdout
    assert torch.equal(torch.load(out / "v1.pt"), first)
    # filter_completed=false redoes everything.
    p = run_cli(*args, "io.filter_completed=false", check=0)
    assert "3 done, 0 skipped" in p.stdout


def test_killed_run_leaves_only_complete_files(tmp_path, models):
    vids = tmp_path / "v"
    vids.mkdir()
    n = 8
    for i in range(n):
        make_clip(str(vids / f"k{i}.mp4"), seconds=2.0)
    out = tmp_path / "out"
    args = extract_args("slowfast_r101_8x8", vids, out,
                        models / "tiny_slowfast.pt")
    proc = subprocess.Popen([CLI, *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        if out.exists() and any(f.endswith(".pt") for f in os.listdir(out)):
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = [f for f in os.listdir(out) if f.endswith(".pt")]
    for f in done:  # every file under a final name loads completely
        assert torch.load(out / f).shape[1] == 16
    p = run_cli(*args, check=0)
    finished = sum(1 for f in os.listdir(out) if f.endswith(".pt"))
    assert finished == n
    assert f"{len(done)} skipped" in p.stdout, p.stdout
    # The rerun swept what the killed run left (temporary files of a dead
    # pid of this host, claim files no one holds).
    leftovers = [f for f in os.listdir(out) if f.startswith(".")]
    assert leftovers == []
    ref = torch.load(out / "k0.pt").numpy()
    assert np.isfinite(ref).all()
