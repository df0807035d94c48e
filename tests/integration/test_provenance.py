"""Provenance: every output carries its window times and the fingerprint of
what computed it, and a rerun with another configuration or model neither
skips nor overwrites outputs it did not compute (io.on_mismatch)."""
import os
import shutil

import numpy as np
import torch

from conftest import SOURCE, extract_args, make_clip, run_cli


def snapshot(folder):
    """name -> bytes of every file in folder."""
    return {n: (folder / n).read_bytes() for n in sorted(os.listdir(folder))}


def test_changed_stride_refuses_then_redo_or_skip(tmp_path, models):
    vids = tmp_path / "v"
    vids.mkdir()
    make_clip(str(vids / "a.mp4"), seconds=1.3)   # 39 frames
    make_clip(str(vids / "b.mp4"), seconds=2.0)   # 60 frames
    out = tmp_path / "out"
    model = models / "tiny_video.pt"
    args = extract_args("mvit_k400", vids, out, model, "--quiet")
    run_cli(*args, check=0)
    before = snapshot(out)
    assert (out / "a.fp").read_text().startswith("ego4dfeat fingerprint 1\n")

    # Another stride: refused before anything is written, naming the file
    # and what differs; no output, config.yaml included, changes.
    p = run_cli(*args, "inference_config.stride=8", check=2)
    assert "refusing to run: 2 complete outputs" in p.stderr, p.stderr
    assert f"{out}/a.pt was computed with another configuration" in p.stderr
    assert "inference_config.stride: 16 -> 8" in p.stderr, p.stderr
    assert "io.on_mismatch=redo" in p.stderr
    assert snapshot(out) == before

    # skip keeps them, saying so (not under --quiet, which prints errors and
    # the summary only).
    loud = extract_args("mvit_k400", vids, out, model)
    p = run_cli(*loud, "inference_config.stride=8", "io.on_mismatch=skip",
                check=0)
    assert "0 done, 2 skipped" in p.stdout
    assert "kept (io.on_mismatch=skip)" in p.stdout
    assert snapshot(out) == before

    # redo recomputes them; this run's config goes beside config.yaml, and
    # since no output of the first run is left, config.yaml is rewritten
    # to describe this one (it used to keep describing the first run).
    p = run_cli(*args, "inference_config.stride=8", "io.on_mismatch=redo",
                check=0)
    assert "2 done, 0 skipped" in p.stdout
    assert torch.load(out / "b.pt").shape[0] == 5   # (60-32)//8+1 + 1
    assert (out / "config.yaml").read_bytes() != before["config.yaml"]
    extra = [n for n in os.listdir(out) if n.startswith("config-")]
    assert len(extra) == 1 and "stride: 8" in (out / extra[0]).read_text()
    assert (out / "config.yaml").read_text() == (out / extra[0]).read_text()
    # Now the stride-8 outputs are the complete ones: a plain rerun of
    # stride 8 skips them, and stride 16 is refused.
    p = run_cli(*args, "inference_config.stride=8", check=0)
    assert "0 done, 2 skipped" in p.stdout
    run_cli(*args, check=2)


def test_changed_model_refuses(tmp_path, models):
    vids = tmp_path / "v"
    vids.mkdir()
    make_clip(str(vids / "a.mp4"), seconds=1.2)
    out = tmp_path / "out"
    model = tmp_path / "model.pt"   # the same path, other weights
    shutil.copy(models / "tiny_video.pt", model)
    args = extract_args("mvit_k400", vids, out, model, "--quiet")
    run_cli(*args, check=0)
    first = (out / "a.pt").read_bytes()
    shutil.copy(models / "tiny_tokens.pt", model)
    p = run_cli(*args, check=2)
    assert f"{out}/a.pt was computed" in p.stderr
    assert "model_config.model_sha256: " in p.stderr, p.stderr
    assert (out / "a.pt").read_bytes() == first
    # The settings that do not change features do not matter.
    shutil.copy(models / "tiny_video.pt", model)
    p = run_cli(*args, "inference_config.batch_size=3",
                "inference_config.num_workers=2", "model_config.optimize=false",
                "io.out_path=" + str(out) + "/", check=0)
    assert "0 done, 1 skipped" in p.stdout


def test_output_without_fingerprint_or_times(tmp_path, models):
    vids = tmp_path / "v"
    vids.mkdir()
    make_clip(str(vids / "a.mp4"), seconds=1.2)
    out = tmp_path / "out"
    args = extract_args("mvit_k400", vids, out, models / "tiny_video.pt",
                        "--quiet")
    run_cli(*args, check=0)
    # Features and times without a fingerprint: an older version's output,
    # refused by default; skip keeps it.
    os.remove(out / "a.fp")
    p = run_cli(*args, check=2)
    assert "a.pt has no fingerprint" in p.stderr, p.stderr
    assert not (out / "a.fp").exists()
    p = run_cli(*args, "io.on_mismatch=skip", check=0)
    assert "0 done, 1 skipped" in p.stdout
    # As written before this version: no times either. Still refused,
    # not silently recomputed.
    times = (out / "a.times.npy").read_bytes()
    os.remove(out / "a.times.npy")
    p = run_cli(*args, check=2)
    assert "a.pt has no fingerprint" in p.stderr, p.stderr
    (out / "a.times.npy").write_bytes(times)
    # A damaged fingerprint file describes nothing.
    (out / "a.fp").write_text("ego4dfeat fingerprint 1\nfingerprint: "
                              + "0" * 64 + "\nmodel_config.kind: video\n")
    p = run_cli(*args, check=2)
    assert "damaged fingerprint file" in p.stderr, p.stderr
    p = run_cli(*args, "io.on_mismatch=redo", check=0)
    assert "1 done" in p.stdout
    # Features without their times are not complete: redone.
    os.remove(out / "a.times.npy")
    p = run_cli(*args, check=0)
    assert "1 done, 0 skipped" in p.stdout
    assert (out / "a.times.npy").exists()


def test_window_times_with_backpadded_last_window(tmp_path, models):
    vids = tmp_path / "v"
    vids.mkdir()
    make_clip(str(vids / "a.mp4"), seconds=1.3)   # 39 frames at 30 fps
    for fmt in ("pt", "npy"):
        out = tmp_path / fmt
        run_cli(*extract_args("mvit_k400", vids, out,
                              models / "tiny_video.pt", "--quiet",
                              f"io.out_format={fmt}"), check=0)
        t = np.load(out / "a.times.npy")
        assert t.dtype == np.float64 and t.shape == (2, 2)
        # [0, 32) and, shifted back to end on the last frame, [7, 39).
        np.testing.assert_allclose(t, [[0, 32 / 30], [7 / 30, 39 / 30]],
                                   rtol=0, atol=1e-12)


def test_schedule_resume_checks_fingerprints(tmp_path, models):
    vids = tmp_path / "v"
    vids.mkdir()
    make_clip(str(vids / "a.mp4"), seconds=1.2)
    make_clip(str(vids / "b.mp4"), seconds=1.2)
    out = tmp_path / "out"

    def schedule(*extra, check):
        return run_cli(
            "schedule", "--config-dir", os.path.join(SOURCE, "configs"),
            "--config-name", "mvit_k400", f"io.video_dir_path={vids}",
            f"io.out_path={out}",
            f"model_config.model_path={models / 'tiny_video.pt'}",
            "inference_config.device=cpu",
            f"schedule_config.log_folder={tmp_path}/logs/%j",
            "schedule_config.run_locally=1", "force_yes=true", *extra,
            check=check)

    schedule(check=0)
    before = snapshot(out)
    p = schedule(check=0)
    assert "nothing to run" in p.stdout, p.stdout
    p = schedule("inference_config.stride=8", check=1)
    assert "inference_config.stride: 16 -> 8" in p.stderr, p.stderr
    assert snapshot(out) == before
    p = schedule("inference_config.stride=8", "io.on_mismatch=skip", check=0)
    assert "nothing to run" in p.stdout, p.stdout
    # redo: the bins are not complete for this fingerprint, and their
    # tasks (run-bin, the same library path) recompute them.
    p = schedule("inference_config.stride=8", "io.on_mismatch=redo", check=0)
    assert "2 done" in p.stdout, p.stdout
    assert (out / "a.fp").read_text() != before["a.fp"].decode()
    assert "inference_config.stride: 8" in (out / "a.fp").read_text()
