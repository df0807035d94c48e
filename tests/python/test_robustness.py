"""Issue 17, point 4: what used to crash the interpreter or silently do
something else through the binding. A handle closed from another thread
while a call uses it stays alive until the call returns; a handle of the
wrong type, a str where a list goes, a NUL in a string and an index
ctypes would wrap around are refused with TypeError, ValueError or
IndexError. What used to segfault runs in a subprocess, so a crash is a
failed test and not a dead test run."""
import os
import re
import subprocess
import sys
import textwrap

import pytest

from conftest import CONFIGS, SOURCE, make_clip


def run_python(code, timeout=600):
    """Runs code in a fresh interpreter with the package on its path; the
    test fails (with the output) unless it printed SURVIVED and exited 0,
    which a segfault cannot."""
    env = dict(os.environ, PYTHONPATH=os.path.join(SOURCE, "python"))
    p = subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                       capture_output=True, text=True, env=env,
                       timeout=timeout)
    assert p.returncode == 0 and "SURVIVED" in p.stdout, (
        f"exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p.stdout


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory):
    """6 s at 30 fps: 11 windows, one forward pass each (batch_size 1)."""
    d = tmp_path_factory.mktemp("long")
    return make_clip(str(d / "long.mp4"), seconds=6, size="160x120")


def setup_code(models, *extra):
    overrides = [f"model_config.model_path={models / 'tiny_video.pt'}",
                 "inference_config.device=cpu",
                 "inference_config.batch_size=1", *extra]
    return f"""
        import threading
        import ego4dfeat as ef
        cfg = ef.Config.load("mvit_k400", config_dir={CONFIGS!r},
                             overrides={overrides!r})
        model = ef.Model.load(cfg)
        """


# ---- Handles closed while in use -------------------------------------------


@pytest.mark.parametrize("closing", ["model", "cfg", "both"])
def test_closing_a_handle_from_another_thread_mid_call_waits_for_it(
        models, long_clip, closing):
    """The close returns at once; the free happens once, after the call
    returned; the call's results are whole."""
    run_python(setup_code(models) + f"""
        freed = []
        for h in (model, cfg):
            real = h._lib
            class Counting:
                def __getattr__(self, name, real=real):
                    f = getattr(real, name)
                    if name.endswith("_free"):
                        return lambda p: (freed.append(name), f(p))[1]
                    return f
            h._lib = Counting()
        targets = {{"model": [model], "cfg": [cfg],
                    "both": [model, cfg]}}[{closing!r}]
        seen = []

        def progress(p):
            if p.windows_done == 2 and not seen:
                t = threading.Thread(
                    target=lambda: [h.close() for h in targets])
                t.start()
                t.join()
                seen.append((all(h.closed for h in targets), list(freed)))

        (r,) = ef.extract_features(model, cfg, [{long_clip!r}],
                                   progress=progress)
        assert seen == [(True, [])], seen  # closed, nothing freed yet
        assert r.ok and r.features.shape == (11, 8), r
        want = sorted({{"model": "ef_model_free", "cfg": "ef_config_free"}}[
            n] for n in {{"model": ["model"], "cfg": ["cfg"],
                          "both": ["model", "cfg"]}}[{closing!r}])
        assert sorted(freed) == want, freed  # once each, after the call
        for h in targets:
            try:
                h.dump() if h is cfg else h.kind
                raise AssertionError("a closed handle answered")
            except ValueError as e:
                assert "is closed" in str(e)
        print("SURVIVED")
        """)


def test_closing_a_plan_while_its_config_is_read(models, tmp_path):
    """plan.config is borrowed from the plan: closing the plan while the
    borrowed config is in use defers the plan's free."""
    d = tmp_path / "v"
    d.mkdir()
    make_clip(str(d / "a.mp4"), seconds=1.0, size="160x120")
    run_python(setup_code(models, f"io.video_dir_path={d}",
                          f"io.out_path={tmp_path}/out",
                          f"schedule_config.log_folder={tmp_path}/logs/%j")
               + """
        import ctypes
        plan = ef.Plan.create(cfg)
        pc = plan.config
        with pc._use() as h:  # what a call on pc holds while it runs
            plan.close()
            assert plan.closed and plan._ptr is not None  # not freed yet
            s = ctypes.c_char_p()
            assert plan._lib.ef_config_get_string(
                h, b"io.out_path", ctypes.byref(s)) == 0
            assert s.value.endswith(b"out")
        assert plan._ptr is None  # freed as the last use ended
        try:
            pc.get("io.out_path")
            raise AssertionError("a closed plan's config answered")
        except ValueError:
            pass
        print("SURVIVED")
        """)


# ---- Handles of the wrong type ---------------------------------------------


def test_swapped_or_foreign_handles_are_type_errors(models, tmp_path):
    run_python(setup_code(models) + f"""
        import numpy as np
        clip = {str(tmp_path / "none.mp4")!r}
        calls = {{
            "extract_features(cfg, model)":
                lambda: ef.extract_features(cfg, model, [clip]),
            "extract_features(model, model)":
                lambda: ef.extract_features(model, model, [clip]),
            "extract_features(None, cfg)":
                lambda: ef.extract_features(None, cfg, [clip]),
            "extract_frames(cfg, model)":
                lambda: ef.extract_frames(cfg, model,
                                          np.zeros((1, 8, 8, 3), np.uint8),
                                          30),
            "perform_feature_extraction(model)":
                lambda: ef.perform_feature_extraction(model),
            "Model.load(model)": lambda: ef.Model.load(model),
            "Model.load(path)": lambda: ef.Model.load("configs/x.yaml"),
            "Plan.create(model)": lambda: ef.Plan.create(model),
            "ScheduleStatus.begin(cfg)":
                lambda: ef.ScheduleStatus.begin(cfg, 0),
        }}
        for name, call in calls.items():
            try:
                call()
            except TypeError as e:
                assert "must be an ego4dfeat." in str(e), (name, e)
            else:
                raise AssertionError(name + " was not refused")
        print("SURVIVED")
        """)


# ---- A str where a list goes -----------------------------------------------


def test_a_str_is_one_path_or_one_override(ef, video_config, videos,
                                           tmp_path, models):
    with ef.Model.load(video_config) as m:
        results = ef.extract_features(m, video_config, str(videos / "c.mp4"))
        assert [r.path for r in results] == [str(videos / "c.mp4")]
        assert results[0].ok
        (r,) = ef.extract_features(m, video_config, videos / "c.mp4")
        assert r.ok  # a PathLike is one path too
    with ef.Config.load("mvit_k400", config_dir=CONFIGS,
                        overrides="inference_config.device=cpu") as cfg:
        assert cfg.get("inference_config.device") == "cpu"
    with ef.Config.parse("fps: 30\n", overrides="fps=25") as cfg:
        assert cfg.get("fps") == 25
    cfg = video_config.clone()
    cfg.override(f"io.out_path={tmp_path / 'out'}")
    stats = ef.perform_feature_extraction(cfg, str(videos / "c.mp4"))
    assert [v.uid for v in stats.videos] == ["c"]
    cfg.close()
    for bad in (3, [3], [b"x", None]):
        with pytest.raises(TypeError):
            with ef.Model.load(video_config) as m:
                ef.extract_features(m, video_config, bad)
        with pytest.raises(TypeError):
            ef.Config.load("mvit_k400", config_dir=CONFIGS, overrides=bad)


# ---- A NUL inside a string -------------------------------------------------


def test_a_nul_in_a_string_is_a_value_error(ef, video_config, videos,
                                            tmp_path):
    a = str(videos / "a.mp4")
    with ef.Model.load(video_config) as m:
        with pytest.raises(ValueError, match="NUL"):
            ef.extract_features(m, video_config, [a + "\0junk"])
        with pytest.raises(ValueError, match="NUL"):
            ef.extract_features(m, video_config, a + "\0junk")
    with pytest.raises(ValueError, match="NUL"):
        ef.perform_feature_extraction(video_config, [a + "\0"])
    with pytest.raises(ValueError, match="NUL"):
        ef.Config.load("mvit_k400\0x", config_dir=CONFIGS)
    with pytest.raises(ValueError, match="NUL"):
        ef.Config.load("mvit_k400", config_dir=CONFIGS + "\0x")
    with pytest.raises(ValueError, match="NUL"):
        video_config.override("io.out_path=/tmp/a\0b")
    with pytest.raises(ValueError, match="NUL"):
        video_config.set("io.out_path", "a\0b")
    with pytest.raises(ValueError, match="NUL"):
        video_config.get("io.out_path\0x")
    with pytest.raises(ValueError, match="NUL"):
        ef.Config.parse("fps: 30\0\nbatch: 2\n")
    with pytest.raises(ValueError, match="NUL"):
        ef.Plan.load(str(tmp_path) + "\0x")
    # Nothing was cut and applied.
    assert video_config.get("io.out_path") != "/tmp/a"


# ---- Indexes ctypes would wrap ---------------------------------------------


@pytest.fixture
def plan(ef, tmp_path, models):
    d = tmp_path / "v"
    d.mkdir()
    make_clip(str(d / "a.mp4"), seconds=1.0, size="160x120")
    make_clip(str(d / "b.mp4"), seconds=1.0, size="160x120")
    with ef.Config.load("mvit_k400", config_dir=CONFIGS, overrides=[
            f"io.video_dir_path={d}", f"io.out_path={tmp_path}/out",
            f"model_config.model_path={models / 'tiny_video.pt'}",
            "inference_config.device=cpu",
            f"schedule_config.log_folder={tmp_path}/logs/%j",
            "schedule_config.timeout_min=1",
            "schedule_config.time_per_forward_pass=20"]) as cfg, \
            ef.Plan.create(cfg) as p:
        assert len(p) == 2
        assert re.fullmatch(r"<ego4dfeat\.Plan '.*/plan-[0-9a-f]{16}' "
                            r"videos=2 bins=2 makespan=\d+(\.\d+)?s>",
                            repr(p)), repr(p)
        yield p
    assert repr(p) == "<ego4dfeat.Plan closed>"


def test_bin_indexes_are_range_checked(ef, plan, tmp_path):
    for bad in (2 ** 64 + 1, 2 ** 64, 2, -1, -(2 ** 64) + 1):
        with pytest.raises(IndexError,
                           match=f"the plan has no bin {bad} \\(it has 2\\)"):
            plan.run_bin(bad)
        with pytest.raises(IndexError):
            ef.Bin(plan, bad)
        with pytest.raises(IndexError):
            ef.ScheduleStatus.begin(plan, bad)
    for bad in (1.0, "1", None, True):
        with pytest.raises(TypeError):
            plan.run_bin(bad)
    with pytest.raises(IndexError):
        ef.Video(plan, 0, 1)
    with pytest.raises(IndexError):
        ef.Video(plan, 0, 2 ** 64)
    # Nothing ran: no status file was written for bin 1 (which 2**64 + 1
    # used to run) or bin 2**64 - 1.
    plan.read_status()
    assert [b.state for b in plan.bins] == ["not_started"] * 2
    assert not os.path.exists(plan.dir)
    # A good index still runs.
    stats = plan.run_bin(1, runner="test")
    assert stats.ok and plan.read_status().bins[1].state == "finished"


def test_int_parameters_are_range_checked(ef, video_config, videos, plan):
    with ef.Model.load(video_config) as m:
        for kw in ({"decode_threads": 2 ** 32}, {"torch_threads": -1},
                   {"decode_threads": -(2 ** 40)}):
            with pytest.raises(ValueError):
                ef.extract_features(m, video_config, [videos / "a.mp4"],
                                    **kw)
        with pytest.raises(TypeError):
            ef.extract_features(m, video_config, [videos / "a.mp4"],
                                decode_threads=1.5)
    with pytest.raises(ValueError):
        ef.Plan.create(video_config, parallelism=2 ** 31)


# ---- One extraction at a time per model ------------------------------------


def test_two_threads_on_one_model_take_turns(ef, models, long_clip):
    """The library allows one extraction at a time per model: a second
    thread waits for the first instead of running beside it."""
    with ef.Config.load("mvit_k400", config_dir=CONFIGS, overrides=[
            f"model_config.model_path={models / 'tiny_video.pt'}",
            "inference_config.device=cpu",
            "inference_config.batch_size=1"]) as cfg, \
            ef.Model.load(cfg) as m:
        import threading
        events, results = [], []

        def go(name):
            results.append(ef.extract_features(
                m, cfg, [long_clip],
                progress=lambda p: events.append(name))[0])

        threads = [threading.Thread(target=go, args=(n,)) for n in "ab"]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(results) == 2 and all(r.ok for r in results)
        first = events[0]
        n = events.count(first)
        assert n > 5 and events[:n] == [first] * n, events  # not interleaved
        # Extracting again from inside a progress callback is refused.
        with pytest.raises(RuntimeError, match="already extracting"):
            ef.extract_features(m, cfg, [long_clip], progress=lambda p:
                                ef.extract_features(m, cfg, [long_clip]))
        (r,) = ef.extract_features(m, cfg, [long_clip])
        assert r.ok
