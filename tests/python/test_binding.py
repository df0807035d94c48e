"""The Python binding (python/ego4dfeat): its results equal the CLI's output
files, errors carry the library's code and message, handles are freed
exactly once, progress and cancel work, and the library is found."""
import gc
import os
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch

from conftest import CONFIGS, SOURCE, ffmpeg, run_cli

sys.path.insert(0, os.path.join(SOURCE, "tests", "reference"))
import reference_pipeline as ref  # noqa: E402


def cli_features(tmp_path, config, model, video_dir, uids, *extra):
    out = tmp_path / "cli"
    run_cli("extract", "--config-dir", CONFIGS, "--config-name", config,
            f"io.video_dir_path={video_dir}", f"io.out_path={out}",
            f"model_config.model_path={model}", "inference_config.device=cpu",
            f"io.uid_list=[{','.join(uids)}]", "--quiet", *extra)
    return {u: torch.load(out / f"{u}.pt").numpy() for u in uids}


def assert_same(got, want):
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


# ---- Results ---------------------------------------------------------------


def test_the_library_found_is_the_built_one(ef):
    assert ef.library_version() == "0.1.0"
    if os.environ.get("EF_LIBRARY"):
        assert ef.library_path() == os.environ["EF_LIBRARY"]


@pytest.mark.parametrize("config,model", [
    ("mvit_k400", "tiny_video"),
    ("slowfast_r101_8x8", "tiny_slowfast"),
    ("mvit_k400", "tiny_tokens"),  # [windows, 5, 4] features
])
def test_extract_features_equals_the_cli_files(ef, tmp_path, models, videos,
                                               config, model):
    uids = ["a", "b", "c"]
    want = cli_features(tmp_path, config, models / f"{model}.pt", videos,
                        uids)
    with ef.Config.load(config, config_dir=CONFIGS, overrides=[
            f"model_config.model_path={models / model}.pt",
            "inference_config.device=cpu"]) as cfg, \
            ef.Model.load(cfg) as m:
        assert m.kind == ("slowfast" if "slowfast" in config else "video")
        results = ef.extract_features(m, cfg,
                                      [videos / f"{u}.mp4" for u in uids])
    assert [r.path for r in results] == [str(videos / f"{u}.mp4")
                                         for u in uids]
    for u, r in zip(uids, results):
        assert r.ok and r.status_name == "EF_OK" and r.error == ""
        assert_same(r.features, want[u])


def test_window_times(ef, video_config, videos):
    with ef.Model.load(video_config) as m:
        (r,) = ef.extract_features(m, video_config, [videos / "a.mp4"])
    # 45 frames, window 32, stride 16: [0, 32) and the back-padded [13, 45).
    np.testing.assert_allclose(r.window_starts, [0, 13 / 30])
    np.testing.assert_allclose(r.window_ends, [32 / 30, 45 / 30])
    assert r.window_starts.dtype == np.float64


def test_a_failed_video_does_not_stop_the_others(ef, video_config, videos,
                                                 tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_text("not a video")
    with ef.Model.load(video_config) as m:
        ok, missing, broken = ef.extract_features(
            m, video_config, [videos / "a.mp4", tmp_path / "missing.mp4",
                              bad])
    assert ok.ok and ok.features.shape == (2, 8) and ok.outcome == "done"
    for r in (missing, broken):
        assert r.outcome == "failed"
        assert not r.ok and r.status < 0 and r.status_name.startswith("EF_E")
        assert r.features is None and r.window_starts is None
    assert "missing.mp4" in missing.error
    assert "bad.mp4" in broken.error


def test_outcomes_tell_skipped_from_failed(ef, videos, tmp_path):
    """A video without audio under io.exclude_no_audio is skipped, not
    failed; ef_results_status alone cannot say which."""
    bad = tmp_path / "bad.mp4"
    bad.write_text("not a video")
    with ef.Config.load("audio_mel_spectrogram", config_dir=CONFIGS,
                        overrides=["inference_config.device=cpu",
                                   "io.exclude_no_audio=true"]) as cfg, \
            ef.Model.load(cfg) as m:
        silent, broken = ef.extract_features(m, cfg, [videos / "a.mp4", bad])
    assert silent.outcome == "skipped" and not silent.ok
    assert silent.features is None
    assert broken.outcome == "failed" and "bad.mp4" in broken.error


def test_a_model_and_a_config_of_two_setups_are_refused(ef, video_config,
                                                        models, videos):
    """Features of a model loaded for one setup, run with another setup's
    config, would be neither's: refused, naming the key."""
    with ef.Model.load(video_config) as m, video_config.clone() as other:
        other.override(f"model_config.model_path={models / 'tiny_image.pt'}")
        with pytest.raises(ef.Error) as e:
            ef.extract_features(m, other, [videos / "a.mp4"])
        assert e.value.name == "EF_ECONFIG"
        assert "model_config.model_path" in str(e.value)
        other.override("model_config.model_path="
                       f"{models / 'tiny_video.pt'}")
        other.override("model_config.kind=slowfast")
        with pytest.raises(ef.Error) as e:
            ef.extract_features(m, other, [videos / "a.mp4"])
        assert "model_config.kind video" in str(e.value)
        # The same setup (another batch size changes no features) runs.
        other.override("model_config.kind=video")
        other.override("inference_config.batch_size=2")
        (r,) = ef.extract_features(m, other, [videos / "a.mp4"])
        assert r.ok


def test_a_model_returning_a_tuple_fails_its_videos(ef, models, videos):
    with ef.Config.load("mvit_k400", config_dir=CONFIGS, overrides=[
            f"model_config.model_path={models / 'tuple_output.pt'}",
            "inference_config.device=cpu"]) as cfg, ef.Model.load(cfg) as m:
        (r,) = ef.extract_features(m, cfg, [videos / "a.mp4"])
    assert r.status_name == "EF_EMODEL" and "not a tensor" in r.error


def test_images_are_one_frame_videos(ef, models, tmp_path):
    """FFmpeg opens a JPEG or PNG as a video of one frame lasting 1/25 s,
    so at 30 fps it is sampled twice: two identical windows. (For the PNG,
    whose demuxer gives no duration, reference_pipeline.py ends the video
    1/30 s after the last frame instead of where that frame ends, and
    samples it once: only its first row is compared.)"""
    paths = []
    for ext in ("jpg", "png"):
        p = str(tmp_path / f"img.{ext}")
        ffmpeg(p, "-f", "lavfi", "-i", "testsrc2=size=300x200:rate=1",
               "-frames:v", "1")
        paths.append(p)
    model = str(models / "tiny_image.pt")
    with ef.Config.load("omnivore_image", config_dir=CONFIGS, overrides=[
            f"model_config.model_path={model}",
            "inference_config.device=cpu"]) as cfg, ef.Model.load(cfg) as m:
        results = ef.extract_features(m, cfg, paths)
    for p, r in zip(paths, results):
        assert r.ok, r.error
        assert r.features.shape == (2, 8)
        assert_same(r.features[1], r.features[0])
        want = ref.features(model, p, "image", 1, 5, 256, 224, 4, 30)
        if p.endswith(".jpg"):
            assert want.shape == (2, 8)
        np.testing.assert_allclose(r.features[:len(want)], want, rtol=0,
                                   atol=1e-4)


# ---- Whole runs ------------------------------------------------------------


def test_perform_feature_extraction_writes_what_the_cli_writes(
        ef, tmp_path, models, videos):
    model = models / "tiny_slowfast.pt"
    want = cli_features(tmp_path, "slowfast_r101_8x8", model, videos,
                        ["a", "b", "c"])
    out = tmp_path / "py"
    overrides = [f"io.video_dir_path={videos}", f"io.out_path={out}",
                 f"model_config.model_path={model}",
                 "inference_config.device=cpu"]
    events = []
    with ef.Config.load("slowfast_r101_8x8", config_dir=CONFIGS,
                        overrides=overrides) as cfg:
        stats = ef.perform_feature_extraction(cfg, progress=events.append)
        assert stats.ok and stats.status == 0
        assert stats.counts == {"done": 3, "skipped": 0, "failed": 0,
                                "not_run": 0}
        assert sorted(v.uid for v in stats.videos) == ["a", "b", "c"]
        assert stats.total_windows == sum(len(w) for w in want.values())
        assert set(stats.seconds) == {"model_load", "decode_wait", "transfer",
                                      "forward", "save", "decode", "overall"}
        assert stats.seconds["overall"] >= stats.seconds["forward"] > 0
        for v in stats.videos:
            assert v.outcome == "done" and v.error == ""
            assert v.windows == len(want[v.uid]) and v.seconds > 0
            assert_same(torch.load(out / f"{v.uid}.pt").numpy(), want[v.uid])
        assert (out / "config.yaml").exists()
        assert sum(e.finished for e in events) == 3
        # Complete outputs are skipped the second time.
        again = ef.perform_feature_extraction(cfg)
        assert again.counts["skipped"] == 3


def test_a_run_with_a_failed_video_reports_it(ef, tmp_path, models, videos):
    d = tmp_path / "v"
    d.mkdir()
    shutil.copy(videos / "c.mp4", d / "good.mp4")
    (d / "bad.mp4").write_text("not a video")
    with ef.Config.load("mvit_k400", config_dir=CONFIGS, overrides=[
            f"io.video_dir_path={d}", f"io.out_path={tmp_path / 'out'}",
            f"model_config.model_path={models / 'tiny_video.pt'}",
            "inference_config.device=cpu"]) as cfg:
        stats = ef.perform_feature_extraction(cfg)
    assert not stats.ok and ef.status_name(stats.status) == "EF_EPARTIAL"
    outcome = {v.uid: v for v in stats.videos}
    assert outcome["good"].outcome == "done"
    assert outcome["bad"].outcome == "failed" and outcome["bad"].error


def test_explicit_video_list(ef, tmp_path, models, videos):
    with ef.Config.load("mvit_k400", config_dir=CONFIGS, overrides=[
            f"io.out_path={tmp_path / 'out'}",
            f"model_config.model_path={models / 'tiny_video.pt'}",
            "inference_config.device=cpu"]) as cfg:
        stats = ef.perform_feature_extraction(cfg, [videos / "c.mp4"],
                                              torch_threads=1)
    assert [v.uid for v in stats.videos] == ["c"]
    assert (tmp_path / "out" / "c.pt").exists()


# ---- Errors ----------------------------------------------------------------


def test_a_bad_key_raises_the_library_message(ef):
    with pytest.raises(ef.Error) as e:
        ef.Config.load("mvit_k400", config_dir=CONFIGS,
                       overrides=["io.uid_lst=[a]"])
    assert e.value.name == "EF_ECONFIG" and e.value.code == -7
    assert "unknown key 'io.uid_lst'" in e.value.message
    assert "did you mean 'io.uid_list'" in str(e.value)


def test_a_missing_config_or_model_raises(ef, video_config):
    with pytest.raises(ef.Error) as e:
        ef.Config.load("no_such_config", config_dir=CONFIGS)
    assert e.value.name == "EF_ENOTFOUND" and "no_such_config" in str(e.value)
    video_config.override("model_config.model_path=/nonexistent/m.pt")
    with pytest.raises(ef.Error) as e:
        ef.Model.load(video_config)
    assert e.value.name == "EF_ENOTFOUND"
    assert "/nonexistent/m.pt" in e.value.message


def test_bad_values_are_rejected_and_leave_the_config_unchanged(
        ef, video_config):
    with pytest.raises(ef.Error) as e:
        video_config.override("inference_config.batch_size=zero")
    assert e.value.name == "EF_ECONFIG"
    assert video_config.get("inference_config.batch_size") == 1


# ---- Config ----------------------------------------------------------------


def test_config_reads_overrides_and_dumps(ef, video_config):
    cfg = video_config
    assert cfg.get("inference_config.frame_window") == 32
    assert cfg.get_int("inference_config.stride") == 16
    assert cfg.get("model_config.mean") == [0.45, 0.45, 0.45]
    assert cfg.get("io.filter_completed") is True
    assert cfg.get("inference_config.device") == "cpu"
    assert cfg.get_float("schedule_config.overhead") == 2.0
    assert cfg["io.out_format"] == "pt"
    # A null is a value the config has (issue 18); only an absent key is
    # absent.
    assert cfg.get("io.uid_list") is None and "io.uid_list" in cfg
    with pytest.raises(KeyError):
        cfg.get("io.no_such_key")
    assert cfg.get("io.no_such_key", 7) == 7
    assert "io.out_path" in cfg and "io.nope" not in cfg
    cfg.override("io.uid_list=[x,y]").override("+top_k=3")
    cfg.set("inference_config.batch_size", "4")
    assert cfg.get("io.uid_list") == ["x", "y"]
    assert cfg.get("top_k") == 3
    text = cfg.dump()
    assert "batch_size: 4" in text and "top_k: 3" in text
    with ef.Config.parse(text) as again:
        assert again.get("io.uid_list") == ["x", "y"]
    with cfg.clone() as copy:
        copy.override("inference_config.batch_size=2")
        assert cfg.get("inference_config.batch_size") == 4
    with ef.Config.load(os.path.join(CONFIGS, "slowfast_r101_8x8.yaml")) as c:
        assert c.get("model_config.slowfast_alpha") == 4


# ---- Handles ---------------------------------------------------------------


class CountingLib:
    """Forwards to the real library, counting ef_*_free calls."""

    def __init__(self, lib):
        self.lib, self.freed = lib, []

    def __getattr__(self, name):
        f = getattr(self.lib, name)
        if not name.endswith("_free"):
            return f
        return lambda p: (self.freed.append(name), f(p))[1]


def test_handles_are_freed_once(ef, models):
    overrides = [f"model_config.model_path={models / 'tiny_video.pt'}",
                 "inference_config.device=cpu"]
    cfg = ef.Config.load("mvit_k400", config_dir=CONFIGS, overrides=overrides)
    counting = cfg._lib = CountingLib(cfg._lib)
    model = ef.Model.load(cfg)
    model._lib = counting
    with model:
        pass
    assert model.closed and counting.freed == ["ef_model_free"]
    cfg.close()
    cfg.close()
    del cfg, model
    gc.collect()
    assert counting.freed == ["ef_model_free", "ef_config_free"]
    # The garbage collector frees what was never closed.
    cfg = ef.Config.load("mvit_k400", config_dir=CONFIGS)
    cfg._lib = counting
    del cfg
    gc.collect()
    assert counting.freed[-1] == "ef_config_free" and len(counting.freed) == 3


def test_use_after_close_raises(ef, video_config, videos):
    model = ef.Model.load(video_config)
    model.close()
    with pytest.raises(ValueError, match="Model is closed"):
        model.kind
    with pytest.raises(ValueError, match="Model is closed"):
        ef.extract_features(model, video_config, [videos / "a.mp4"])
    video_config.close()
    for use in (lambda: video_config.get("fps"), video_config.dump,
                lambda: video_config.override("fps=25"),
                lambda: ef.Model.load(video_config)):
        with pytest.raises(ValueError, match="Config is closed"):
            use()
    with pytest.raises(ValueError):
        with video_config:
            pass


# ---- Progress and cancel ---------------------------------------------------


def test_progress_is_reported(ef, video_config, videos):
    events = []
    with ef.Model.load(video_config) as m:
        ef.extract_features(m, video_config,
                            [videos / "a.mp4", videos / "b.mp4"],
                            progress=events.append)
    done = [e for e in events if e.finished]
    # The uid is the file name without its extension, as in a run (issue
    # 18); the path is beside it.
    assert sorted(e.uid for e in done) == ["a", "b"]
    assert sorted(e.path for e in done) == sorted(
        [str(videos / "a.mp4"), str(videos / "b.mp4")])
    assert all(e.video_count == 2 and not e.failed for e in events)
    a = [e.windows_done for e in events if e.uid == "a"]
    assert a == sorted(a) and a[-1] == 2


def test_progress_says_why_a_video_failed(ef, video_config, videos,
                                         tmp_path):
    """The failure's status and message reach the callback as the video
    ends, equal to what the results say afterwards."""
    bad = tmp_path / "bad.mp4"
    bad.write_text("not a video")
    events = []
    with ef.Model.load(video_config) as m:
        broken, ok = ef.extract_features(m, video_config,
                                         [bad, videos / "a.mp4"],
                                         progress=events.append)
    end = {e.path: e for e in events if e.finished}
    assert end[str(bad)].failed and end[str(bad)].status == broken.status < 0
    assert end[str(bad)].error == broken.error and "bad.mp4" in broken.error
    good = end[str(videos / "a.mp4")]
    assert good.status == 0 and not good.failed
    assert good.error == ""


def test_a_progress_callback_can_cancel(ef, video_config, videos):
    with ef.Model.load(video_config) as m:
        with pytest.raises(ef.Error) as e:
            ef.extract_features(m, video_config, [videos / "a.mp4"],
                                progress=lambda p: True)
        assert e.value.name == "EF_ECANCELLED"
        # The model is still usable.
        (r,) = ef.extract_features(m, video_config, [videos / "c.mp4"])
        assert r.ok


def test_an_exception_in_the_callback_propagates(ef, video_config, videos):
    def boom(p):
        raise ZeroDivisionError("from the callback")

    with ef.Model.load(video_config) as m:
        with pytest.raises(ZeroDivisionError, match="from the callback"):
            ef.extract_features(m, video_config, [videos / "a.mp4"],
                                progress=boom)


def test_cancel_flag_and_event(ef, video_config, videos):
    flag = ef.CancelFlag()
    flag.set()
    event = threading.Event()
    event.set()
    with ef.Model.load(video_config) as m:
        for cancel in (flag, event):
            with pytest.raises(ef.Error) as e:
                ef.extract_features(m, video_config, [videos / "a.mp4"],
                                    cancel=cancel)
            assert e.value.name == "EF_ECANCELLED"
        flag.clear()
        (r,) = ef.extract_features(m, video_config, [videos / "a.mp4"],
                                   cancel=flag)
        assert r.ok


# ---- Finding the library ---------------------------------------------------


def _import_elsewhere(tmp_path, env_changes):
    """Imports a copy of the package outside the source tree (so the
    build-tree fallback does not apply) with a changed environment; no
    pkg-config file is found unless tmp_path/pc holds one."""
    shutil.copytree(os.path.join(SOURCE, "python", "ego4dfeat"),
                    tmp_path / "pkg" / "ego4dfeat")
    pc = str(tmp_path / "pc")
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "pkg"),
               PKG_CONFIG_PATH=pc, PKG_CONFIG_LIBDIR=pc)
    for k, v in env_changes.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return subprocess.run(
        [sys.executable, "-c", "import ego4dfeat as e; "
         "print(e.library_path(), e.library_version())"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)


@pytest.mark.skipif(not os.environ.get("EF_LIBRARY"),
                    reason="needs EF_LIBRARY (set by meson test)")
def test_library_lookup(tmp_path):
    libdir = os.path.dirname(os.environ["EF_LIBRARY"])
    build_root = os.path.dirname(libdir)
    so = os.path.join(libdir, "libego4dfeat.so.0")
    # Nothing anywhere: the error lists what was tried.
    p = _import_elsewhere(tmp_path / "1", {"EF_LIBRARY": "/nonexistent/l.so",
                                           "EF_BUILD_ROOT": None,
                                           "LD_LIBRARY_PATH": None})
    assert p.returncode != 0
    assert "libego4dfeat not found" in p.stderr
    assert "$EF_LIBRARY: /nonexistent/l.so (absent)" in p.stderr
    assert "system loader (LD_LIBRARY_PATH, ld.so cache): libego4dfeat.so.0 " \
        "(not found)" in p.stderr
    # A copy outside a checkout (as pip installs it) names no build tree
    # beside itself.
    assert "build tree" not in p.stderr and "pkg/build" not in p.stderr
    # The system loader's search: LD_LIBRARY_PATH.
    p = _import_elsewhere(tmp_path / "4", {"EF_LIBRARY": None,
                                           "EF_BUILD_ROOT": None,
                                           "LD_LIBRARY_PATH": libdir})
    assert p.returncode == 0, p.stderr
    assert os.path.samefile(p.stdout.split()[0], so)
    assert p.stdout.split()[1] == "0.1.0"
    # A build tree.
    p = _import_elsewhere(tmp_path / "2", {"EF_LIBRARY": None,
                                           "EF_BUILD_ROOT": build_root,
                                           "LD_LIBRARY_PATH": None})
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == [so, "0.1.0"]
    # An installed library, found through pkg-config's libdir.
    (tmp_path / "3" / "pc").mkdir(parents=True)
    (tmp_path / "3" / "pc" / "ego4dfeat.pc").write_text(
        f"libdir={libdir}\nName: ego4dfeat\nDescription: test\n"
        "Version: 0.1.0\nLibs: -L${libdir} -lego4dfeat\n")
    p = _import_elsewhere(tmp_path / "3", {"EF_LIBRARY": None,
                                           "EF_BUILD_ROOT": None,
                                           "LD_LIBRARY_PATH": None})
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == [so, "0.1.0"]
