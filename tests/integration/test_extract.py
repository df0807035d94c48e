"""The CLI's features equal the reference pipeline's (reference_pipeline.py,
torch + av) for the same TorchScript model, to 1e-4."""
import os

import numpy as np
import pytest
import torch

import reference_pipeline as ref
from conftest import extract_args, make_clip, run_cli


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    d = tmp_path_factory.mktemp("videos")
    make_clip(str(d / "clip30.mp4"), rate=30, seconds=2.5)    # 75 frames
    make_clip(str(d / "clip25.mp4"), rate=25, seconds=2.0)    # resampled
    make_clip(str(d / "short.mp4"), rate=30, seconds=0.4)     # 12 < 32
    make_clip(str(d / "tall.mp4"), rate=30, seconds=1.2, size="180x320")
    return d


def load_pt(path):
    t = torch.load(path)
    assert isinstance(t, torch.Tensor) and t.dtype == torch.float32
    return t.numpy()


def assert_close(got, want, tol=1e-4):
    assert got.shape == want.shape, (got.shape, want.shape)
    diff = float(np.abs(got - want).max())
    assert diff <= tol, f"max abs diff {diff}"


KINETICS = dict(mean=[0.45] * 3, std=[0.225] * 3)
IMAGENET = dict(mean=ref.IMAGENET_MEAN, std=ref.IMAGENET_STD)


def run_and_compare(tmp_path, videos, config, model, kind, uids, window,
                    stride, side, crop, norm, extra=()):
    out = tmp_path / "out"
    run_cli(*extract_args(config, videos, out, model,
                          f"io.uid_list=[{','.join(uids)}]", *extra),
            check=0)
    assert (out / "config.yaml").exists()
    for uid in uids:
        got = load_pt(out / f"{uid}.pt")
        want = ref.features(str(model), str(videos / f"{uid}.mp4"), kind,
                            window, stride, side, crop, 4, 30, **norm)
        assert_close(got, want)
    return out


def test_slowfast_config_matches_reference(tmp_path, videos, models):
    out = run_and_compare(tmp_path, videos, "slowfast_r101_8x8",
                          models / "tiny_slowfast.pt", "slowfast",
                          ["clip30"], 32, 16, 256, 256, KINETICS)
    # 75 frames, W 32, S 16: windows at 0, 16, 32 and the back-padded 43.
    assert load_pt(out / "clip30.pt").shape == (4, 16)


def test_video_config_resamples_25fps_and_short_videos(tmp_path, videos,
                                                       models):
    out = run_and_compare(tmp_path, videos, "mvit_k400",
                          models / "tiny_video.pt", "video",
                          ["clip25", "short", "tall"], 32, 16, 256, 224,
                          KINETICS)
    # 2 s at 25 fps sampled at 30 fps is 60 frames: 3 windows.
    assert load_pt(out / "clip25.pt").shape == (3, 8)
    assert load_pt(out / "short.pt").shape == (1, 8)


def test_image_config_one_frame_every_stride(tmp_path, videos, models):
    # Only one frame in five is converted and transformed; a 25 fps clip
    # (resampled: repeated source frames) and a short one check that the
    # skipped frames and the back-padded last frame are the right ones.
    out = run_and_compare(tmp_path, videos, "omnivore_image",
                          models / "tiny_image.pt", "image",
                          ["clip30", "clip25", "short"], 1, 5, 256, 224,
                          IMAGENET)
    # 75 frames: 0, 5, ..., 70 and the back-padded last frame 74.
    assert load_pt(out / "clip30.pt").shape == (16, 8)
    # 60 frames: 0, 5, ..., 55 and 59; 12 frames: 0, 5, 10 and 11.
    assert load_pt(out / "clip25.pt").shape == (13, 8)
    assert load_pt(out / "short.pt").shape == (4, 8)


def test_batches_spanning_videos_give_the_same_features(tmp_path, videos,
                                                         models):
    model = models / "tiny_slowfast.pt"
    uids = "io.uid_list=[clip30,short,clip25]"
    a, b = tmp_path / "b1", tmp_path / "b3"
    run_cli(*extract_args("slowfast_r101_8x8", videos, a, model, uids),
            check=0)
    run_cli(*extract_args("slowfast_r101_8x8", videos, b, model, uids,
                          "inference_config.batch_size=3",
                          "inference_config.num_workers=2"), check=0)
    for uid in ["clip30", "short", "clip25"]:
        assert_close(load_pt(b / f"{uid}.pt"), load_pt(a / f"{uid}.pt"),
                     tol=1e-5)


def test_npy_output_and_multi_dim_features(tmp_path, videos, models):
    out = tmp_path / "npy"
    run_cli(*extract_args("mvit_k400", videos, out, models / "tiny_tokens.pt",
                          "io.uid_list=[clip30]", "io.out_format=npy"),
            check=0)
    got = np.load(out / "clip30.npy")
    assert got.dtype == np.float32
    want = ref.features(str(models / "tiny_tokens.pt"),
                        str(videos / "clip30.mp4"), "video", 32, 16, 256,
                        224, 4, 30, **KINETICS)
    assert_close(got, want)
    assert got.shape == (4, 5, 4)
    assert not (out / "clip30.pt").exists()


def test_summary_and_config_yaml(tmp_path, videos, models):
    out = tmp_path / "sum"
    p = run_cli(*extract_args("mvit_k400", videos, out,
                              models / "tiny_video.pt",
                              "io.uid_list=[clip30,short]"), check=0)
    assert "2 done, 0 skipped, 0 failed" in p.stdout
    assert f"wrote {out}/clip30.pt" in p.stdout
    text = (out / "config.yaml").read_text()
    assert "frame_window: 32" in text and str(out) in text
    # No temporary files are left behind.
    # Each output is its features, window times and fingerprint.
    assert sorted(os.listdir(out)) == [
        "clip30.fp", "clip30.pt", "clip30.times.npy", "config.yaml",
        "short.fp", "short.pt", "short.times.npy"]


def test_stereo_videos_keep_the_left_half(tmp_path, models):
    vids, meta = tmp_path / "v", tmp_path / "meta"
    vids.mkdir()
    meta.mkdir()
    make_clip(str(vids / "stereo.mp4"), seconds=1.2, size="640x240")
    (meta / "ego4d.json").write_text(
        '{"videos": [{"video_uid": "stereo", "is_stereo": true}, '
        '{"video_uid": "other", "is_stereo": false}]}')
    out = tmp_path / "out"
    run_cli(*extract_args("mvit_k400", vids, out, models / "tiny_video.pt",
                          f"io.ego4d_download_dir={meta}"), check=0)
    got = load_pt(out / "stereo.pt")
    model, video = str(models / "tiny_video.pt"), str(vids / "stereo.mp4")
    want = ref.features(model, video, "video", 32, 16, 256, 224, 4, 30,
                        stereo=True, **KINETICS)
    assert_close(got, want)
    full = ref.features(model, video, "video", 32, 16, 256, 224, 4, 30,
                        **KINETICS)
    assert float(np.abs(full - want).max()) > 1e-3  # the crop matters
