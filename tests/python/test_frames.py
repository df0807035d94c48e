"""ef.extract_frames (ef_extract_frames): the features of frames in memory
equal, to 1e-6, those of a file holding the same frames losslessly
(libx264rgb -qp 0, rgb24), read with ef.extract_features; first checked:
the file decodes to exactly the array's bytes. Also a resampled rate
(25 -> 30 fps), an NTSC rate (30000/1001), the one-frame windows of the
image configs, SlowFast, strided arrays, and the refusals."""
import subprocess

import av
import numpy as np
import pytest

from conftest import CONFIGS


def frames_of(T, H, W, seed):
    """Frames a codec cannot smooth over: noise on a moving gradient."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:H, 0:W]
    f = np.empty((T, H, W, 3), np.uint8)
    for t in range(T):
        f[t, ..., 0] = (x * 2 + t * 5) % 256
        f[t, ..., 1] = (y * 3 + t * 7) % 256
        f[t, ..., 2] = rng.integers(0, 256, (H, W))
    return f


def write_lossless(path, frames, rate):
    """frames as an H.264 RGB file at rate ("30", "30000/1001")."""
    T, H, W, _ = frames.shape
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-v", "error", "-f",
                    "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}",
                    "-r", rate, "-i", "-", "-c:v", "libx264rgb", "-qp", "0",
                    "-pix_fmt", "rgb24", str(path)],
                   input=frames.tobytes(), check=True)
    return path


def decoded(path):
    with av.open(str(path)) as c:
        return np.stack([f.to_ndarray(format="rgb24")
                         for f in c.decode(video=0)])


def same(ef, model, cfg, frames, rate, fps, tmp_path):
    """extract_frames(frames, fps) against extract_features(the file)."""
    path = write_lossless(tmp_path / "f.mp4", frames, rate)
    back = decoded(path)
    assert back.shape == frames.shape and np.array_equal(back, frames), \
        "the file does not hold the array's frames"
    (want,) = ef.extract_features(model, cfg, [path])
    assert want.ok, want.error
    got = ef.extract_frames(model, cfg, frames, fps)
    assert got.ok and got.path == "<frames>"
    assert got.features.shape == want.features.shape
    np.testing.assert_allclose(got.features, want.features, rtol=0,
                               atol=1e-6)
    np.testing.assert_array_equal(got.window_starts, want.window_starts)
    np.testing.assert_array_equal(got.window_ends, want.window_ends)
    return got


@pytest.fixture
def setup(ef, models):
    """(config name, model file) -> (Config, Model), closed after."""
    opened = []

    def make(name, model, *extra):
        cfg = ef.Config.load(name, config_dir=CONFIGS, overrides=[
            f"model_config.model_path={models / model}",
            "inference_config.device=cpu", *extra])
        opened.append(cfg)
        opened.append(ef.Model.load(cfg))
        return cfg, opened[-1]

    yield make
    for h in reversed(opened):
        h.close()


@pytest.mark.parametrize("T,rate,fps", [
    (45, "30", 30),                        # every frame, 2 windows
    (40, "25", 25.0),                      # resampled: frames repeat
    (70, "30000/1001", 30000 / 1001),      # NTSC: 30000/1001 exactly
    (20, "30", 30),                        # shorter than one window
])
def test_video_frames_equal_the_same_frames_in_a_file(ef, setup, tmp_path,
                                                      T, rate, fps):
    cfg, model = setup("mvit_k400", "tiny_video.pt")
    got = same(ef, model, cfg, frames_of(T, 72, 96, T), rate, fps, tmp_path)
    assert len(got.features) >= 1


def test_slowfast_and_image_configs(ef, setup, tmp_path):
    cfg, model = setup("slowfast_r101_8x8", "tiny_slowfast.pt")
    same(ef, model, cfg, frames_of(50, 64, 80, 1), "30", 30, tmp_path)
    # One-frame windows every few frames: the sparse path.
    cfg, model = setup("omnivore_image", "tiny_image.pt")
    got = same(ef, model, cfg, frames_of(33, 64, 80, 2), "25", 25,
               tmp_path)
    assert len(got.features) > 2


def test_strided_and_padded_arrays(ef, setup):
    cfg, model = setup("mvit_k400", "tiny_video.pt")
    frames = frames_of(40, 60, 90, 3)
    want = ef.extract_frames(model, cfg, frames, 30)
    # Rows padded (a crop of a wider buffer: read in place, row stride
    # above 3 * width) and a reversed-channel view (copied).
    wide = np.zeros((40, 60, 100, 3), np.uint8)
    wide[:, :, :90] = frames
    padded = wide[:, :, :90]
    assert padded.strides[1] == 300 and not padded.flags.c_contiguous
    np.testing.assert_array_equal(
        ef.extract_frames(model, cfg, padded, 30).features, want.features)
    bgr = np.ascontiguousarray(frames[..., ::-1])[..., ::-1]
    np.testing.assert_array_equal(
        ef.extract_frames(model, cfg, bgr, 30).features, want.features)
    # Another frame is another result: the frames are really read.
    other = frames.copy()
    other[:, 20:40, 30:60] = 0
    assert not np.allclose(ef.extract_frames(model, cfg, other, 30).features,
                           want.features)


def test_progress_and_cancel(ef, setup):
    cfg, model = setup("mvit_k400", "tiny_video.pt")
    events = []
    ef.extract_frames(model, cfg, frames_of(45, 40, 50, 4), 30,
                      progress=events.append)
    assert events[-1].finished and events[-1].uid == "<frames>"
    assert events[-1].windows_done == 2
    with pytest.raises(ef.CancelledError):
        ef.extract_frames(model, cfg, frames_of(45, 40, 50, 4), 30,
                          progress=lambda p: True)


def test_refusals(ef, setup, models):
    cfg, model = setup("mvit_k400", "tiny_video.pt")
    good = frames_of(4, 16, 16, 5)
    for bad, err in ((good.astype(np.float32), TypeError),
                     (good[..., :2], TypeError), (good[0], TypeError),
                     (good.tolist(), TypeError),
                     (good[:0], ValueError), (good[:, :0], ValueError)):
        with pytest.raises(err):
            ef.extract_frames(model, cfg, bad, 30)
    for fps, err in ((0, ValueError), (-30, ValueError),
                     (float("nan"), ValueError), (float("inf"), ValueError),
                     ("30", TypeError), (None, TypeError)):
        with pytest.raises(err):
            ef.extract_frames(model, cfg, good, fps)
    with pytest.raises(TypeError):
        ef.extract_frames(cfg, model, good, 30)
    # Frames have no audio.
    with ef.Config.load("audio_mel_spectrogram", config_dir=CONFIGS,
                        overrides=["inference_config.device=cpu"]) as acfg, \
            ef.Model.load(acfg) as amodel:
        with pytest.raises(ef.ConfigError, match="no audio"):
            ef.extract_frames(amodel, acfg, good, 30)
