"""The binding's planning part (ef.Plan, Bin, ScheduleStatus): a plan of six
clips has the figures the reference's formula gives and the bins the CLI
reports, survives save/load, runs a bin to files with its status file
written, reads status files the CLI wrote (and the other way round), and
raises ef.Error with the library's code and message."""
import gc
import math
import os
import re

import pytest

from conftest import CONFIGS, make_clip, run_cli

# Windows (mvit_k400: 32 frames, stride 16, 30 fps, batch_size 1): 1, 2,
# 3, 3, 2, 1. At 12 s a forward pass: 144 s of work in bins of 60 s; 3
# bins would do, but with 2 tasks at a time 4 bins of 36 s end at 72 s.
SECONDS = [1.0, 1.5, 2.0, 2.0, 1.5, 1.0]
UIDS = [f"s{i}" for i in range(6)]


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    for uid, s in zip(UIDS, SECONDS):
        make_clip(str(d / f"{uid}.mp4"), seconds=s, size="160x120")
    return d


def overrides(tmp, clips, models, *extra):
    return [f"io.video_dir_path={clips}", f"io.out_path={tmp}/out",
            f"model_config.model_path={models / 'tiny_video.pt'}",
            "inference_config.device=cpu",
            f"schedule_config.log_folder={tmp}/logs/%j",
            "schedule_config.timeout_min=1", "schedule_config.overhead=1.0",
            "schedule_config.time_per_forward_pass=12",
            "schedule_config.slurm_array_parallelism=2", *extra]


@pytest.fixture
def make_plan(ef, tmp_path, clips, models):
    """make_plan(*extra_overrides, **Plan.create options) -> an open Plan,
    closed after the test."""
    plans = []

    def make(*extra, **opts):
        with ef.Config.load("mvit_k400", config_dir=CONFIGS,
                            overrides=overrides(tmp_path, clips, models,
                                                *extra)) as cfg:
            plans.append(ef.Plan.create(cfg, **opts))
        return plans[-1]

    yield make
    for p in plans:
        p.close()


def cli_seconds(s):
    """A duration as `ego4dfeat schedule` prints it (schedule_summary.c)."""
    if s >= 3600:
        return f"{s / 3600:.2f} h"
    return f"{s / 60:.1f} min" if s >= 120 else f"{s:.1f} s"


def shape(plan):
    """Everything a plan says about its bins, as plain values."""
    return [(b.index, b.seconds, [(v.uid, v.seconds, v.frames)
                                  for v in b.videos]) for b in plan.bins]


# ---- Bins and figures -------------------------------------------------------


def test_bins_cover_every_video_once_with_the_reference_estimates(
        ef, make_plan, tmp_path):
    plan = make_plan()
    uids = [v.uid for b in plan.bins for v in b.videos]
    assert sorted(uids) == UIDS and len(uids) == len(set(uids))
    assert [len(b) for b in plan.bins] == [1, 1, 2, 2]
    assert len(plan) == 4
    frames = {v.uid: v.frames for b in plan.bins for v in b.videos}
    assert frames == {u: round(s * 30) for u, s in zip(UIDS, SECONDS)}
    for b in plan.bins:
        assert b.seconds == pytest.approx(sum(v.seconds for v in b.videos))
        assert b.seconds <= 60
        # Largest estimate first, each overhead * windows * 12 s.
        secs = [v.seconds for v in b.videos]
        assert secs == sorted(secs, reverse=True)
        assert all(s % 12 == 0 for s in secs)
    assert plan.dir == str(tmp_path / "logs" / os.path.basename(plan.dir))
    assert re.fullmatch(r"plan-[0-9a-f]{16}", os.path.basename(plan.dir))
    assert not os.path.exists(plan.dir)  # nothing written before save()
    # The library answers out-of-range queries like real ones ("not
    # started", 0 videos): the binding refuses them.
    with pytest.raises(IndexError):
        ef.Bin(plan, 4)
    with pytest.raises(IndexError):
        ef.Video(plan, 0, 1)


def test_figures_are_every_enum_value_and_consistent(ef, make_plan):
    plan = make_plan()
    f = plan.figures
    assert list(f) == list(ef._lib.PLAN_FIGURES) and len(f) == 14
    assert all(math.isfinite(v) for v in f.values())
    assert f == {"videos": 6, "bins": 4, "bins_lower_bound": 3,
                 "capacity": 60.0, "total": 144.0, "longest": 36.0,
                 "parallelism": 2, "makespan": 72.0,
                 "makespan_lower_bound": 72.0, "n_schedules": 2,
                 # n_schedules * 60 * (timeout_min + schedule_time_per_node)
                 "reference_seconds": 2 * 60 * (1 + 10.0),
                 "oversize": 0, "unknown_length": 0, "bins_fewest": 3}
    assert sum(b.seconds for b in plan.bins) == pytest.approx(f["total"])
    assert max(v.seconds for b in plan.bins
               for v in b.videos) == f["longest"]
    assert f["bins"] == len(plan.bins)
    assert isinstance(f["bins"], int) and isinstance(f["total"], float)


def test_options_reach_the_library(ef, make_plan):
    # One task at a time: no reason for more than the fewest bins.
    one = make_plan(parallelism=1)
    assert one.figures["bins"] == 3 and one.figures["makespan"] == 144.0
    # 25 s a pass: s2 and s3 (3 windows, 75 s) exceed a 60 s bin.
    big = make_plan("schedule_config.time_per_forward_pass=25")
    assert big.figures["oversize"] == 2
    assert [b.uids for b in big.bins][:2] == [["s2"], ["s3"]]
    with pytest.raises(ef.Error) as e:
        make_plan("schedule_config.time_per_forward_pass=25", strict=True)
    assert e.value.name == "EF_EINVAL"
    assert "video 's2' is estimated at 75.0 s" in e.value.message
    assert "timeout_min to at least 2" in e.value.message
    ghost = make_plan("io.uid_list=[s0,ghost]")
    assert ghost.figures["unknown_length"] == 1
    assert {v.uid: v.frames for v in ghost.bins[0].videos} == {"s0": 30,
                                                               "ghost": -1}


@pytest.mark.parametrize("extra,parallelism,bins", [
    ((), 0, 4),  # SLURM: slurm_array_parallelism (2)
    (("schedule_config.run_locally=true",), 1, 3),  # here: --parallel 1
])
def test_the_cli_reports_the_same_plan(ef, make_plan, tmp_path, clips,
                                       models, extra, parallelism, bins):
    plan = make_plan(*extra, parallelism=parallelism)
    p = run_cli("schedule", "--config-dir", CONFIGS, "--config-name",
                "mvit_k400", *overrides(tmp_path, clips, models, *extra),
                "--dry-run")
    f = plan.figures
    assert f["bins"] == bins
    assert (f"plan: 6 videos in {bins} bins of at most 60.0 s "
            f"(lower bound {f['bins_lower_bound']} bins)\n"
            f"      {plan.dir}\n") in p.stdout, p.stdout
    assert f"makespan {cli_seconds(f['makespan'])}," in p.stdout
    assert f"n_schedules {f['n_schedules']}," in p.stdout


# ---- Save and load ----------------------------------------------------------


def test_save_load_round_trip(ef, make_plan):
    plan = make_plan()
    plan.save()
    path = os.path.join(plan.dir, "plan.json")
    with open(path, "rb") as fh:
        saved = fh.read()
    for where in (plan.dir, path):
        with ef.Plan.load(where) as back:
            assert back.dir == plan.dir
            assert shape(back) == shape(plan)
            assert back.figures == plan.figures
            assert back.config.dump() == plan.config.dump()
            back.save()  # the same plan writes the same bytes
            with open(path, "rb") as fh:
                assert fh.read() == saved


def test_load_errors_carry_the_library_message(ef, tmp_path):
    with pytest.raises(ef.Error) as e:
        ef.Plan.load(tmp_path / "missing")
    assert e.value.code == -4 and e.value.name == "EF_ENOTFOUND"
    assert str(tmp_path / "missing") in e.value.message
    (tmp_path / "fake").mkdir()
    (tmp_path / "fake" / "plan.json").write_text('{"format": "other"}')
    with pytest.raises(ef.Error) as e:
        ef.Plan.load(tmp_path / "fake")
    assert e.value.name == "EF_EINVAL" and "plan.json" in e.value.message


def test_create_errors_carry_the_library_message(ef, make_plan, tmp_path):
    with pytest.raises(ef.Error) as e:
        make_plan("~schedule_config.timeout_min")
    assert e.value.name == "EF_ECONFIG"
    assert "schedule_config.timeout_min is not set" in e.value.message
    with pytest.raises(ef.Error) as e:
        make_plan(f"io.video_dir_path={tmp_path / 'none'}")
    assert e.value.name == "EF_ENOTFOUND"
    assert str(tmp_path / "none") in e.value.message


# ---- Configs: borrowed and owned --------------------------------------------


def test_the_plan_config_is_borrowed(ef, make_plan, tmp_path):
    plan = make_plan()
    view = plan.config
    assert view.get("io.out_path") == str(tmp_path / "out")  # absolute
    with pytest.raises(TypeError):
        view.override("io.out_path=x")
    view.close()  # forgets the pointer, frees nothing
    with pytest.raises(ValueError):
        view.get("io.out_path")
    del view
    gc.collect()
    # The plan's config is intact: read through a new view and cloned.
    assert plan.config.get("schedule_config.timeout_min") == 1
    with plan.config.clone() as mine:
        mine.override("io.out_path=/elsewhere")
        assert mine.get("io.out_path") == "/elsewhere"
    assert plan.config.get("io.out_path") == str(tmp_path / "out")


def test_a_config_view_keeps_its_plan_alive(ef, tmp_path, clips, models):
    with ef.Config.load("mvit_k400", config_dir=CONFIGS,
                        overrides=overrides(tmp_path, clips,
                                            models)) as cfg:
        view = ef.Plan.create(cfg).config  # the plan: no other reference
    gc.collect()
    assert view.get("schedule_config.time_per_forward_pass") == 12
    view._plan.close()  # then the view refuses instead of reading freed memory
    with pytest.raises(ValueError):
        view.dump()


def test_bin_config_is_owned_and_lists_the_bin(ef, make_plan):
    plan = make_plan()
    for b in plan.bins:
        with b.config() as cfg:
            assert cfg.get("io.uid_list") == b.uids
            cfg.override("io.uid_list=[x]")  # the caller's own copy
    # The plan's own config still has it null (a null key is `in` a
    # config since issue 18).
    assert plan.config.get("io.uid_list") is None
    plan.close()
    with pytest.raises(ValueError):
        plan.bins
    with pytest.raises(ValueError):
        b.seconds  # a Bin of a closed plan


# ---- Running bins and status files ------------------------------------------


def test_run_bin_writes_outputs_and_its_status(ef, make_plan, tmp_path,
                                               clips, models):
    plan = make_plan()
    plan.save()
    b0, b1 = plan.bins[0], plan.bins[1]
    assert not b0.complete
    events = []
    stats = plan.run_bin(b0, runner="py test", progress=events.append,
                         torch_threads=1)
    assert stats.ok and stats.counts["done"] == len(b0) == 1
    assert [v.uid for v in stats.videos] == b0.uids
    out = tmp_path / "out"
    for uid in b0.uids:
        for ext in (".pt", ".times.npy", ".fp"):
            assert (out / f"{uid}{ext}").exists(), uid + ext
    assert sum(e.finished for e in events) == 1
    assert b0.complete and not b1.complete
    # Status is what the files said at the last read.
    assert b0.state == "not_started"
    plan.read_status()
    assert (b0.state, b0.runner, b0.error) == ("finished", "py test", "")
    assert [(v.outcome, v.error) for v in b0.videos] == [("done", "")]
    assert b1.state == "not_started" and b1.runner == ""
    assert {v.outcome for v in b1.videos} == {"not_run"}

    # The CLI runs bin 1 of the saved plan; Python reads its status.
    run_cli("run-bin", "--plan", plan.dir, "--bin", "1", "--runner", "cli",
            "--threads", "1", "--quiet")
    plan.read_status()
    assert (b1.state, b1.runner) == ("finished", "cli") and b1.complete
    # And the CLI reads what Python's run wrote.
    p = run_cli("schedule", "--config-dir", CONFIGS, "--config-name",
                "mvit_k400", *overrides(tmp_path, clips, models), "--status",
                check=1)
    assert "bin 0 (py test): 1 done, 0 skipped, 0 failed, 0 not run" \
        in p.stdout, p.stdout
    assert "summary: 2 done, 0 skipped, 0 failed, 4 not run" in p.stdout

    # A rerun skips the complete output, and says so in the status file.
    again = plan.run_bin(0, torch_threads=1)
    assert again.counts["skipped"] == 1
    plan.read_status()
    assert b0.runner == f"local {os.getpid()}"
    assert [v.outcome for v in b0.videos] == ["skipped"]


def test_run_bin_errors(ef, make_plan):
    plan = make_plan()
    with pytest.raises(ef.Error) as e:
        plan.run_bin(4)
    assert e.value.name == "EF_EINVAL"
    assert e.value.message == "the plan has no bin 4 (it has 4)"
    assert e.value.stats is None
    flag = ef.CancelFlag()
    flag.set()
    with pytest.raises(ef.Error) as e:
        plan.run_bin(2, runner="cancelled", cancel=flag, torch_threads=1)
    assert e.value.name == "EF_ECANCELLED"
    assert e.value.stats is not None
    assert e.value.stats.counts["done"] == 0
    plan.read_status()
    assert plan.bins[2].state == "cancelled"
    assert not plan.bins[2].complete


def test_schedule_status_by_hand(ef, make_plan):
    plan = make_plan()
    b = plan.bins[2]
    first, second = b.uids
    with ef.ScheduleStatus.begin(plan, b, runner="by hand") as st:
        plan.read_status()
        assert b.state == "running" and b.runner == "by hand"
        st.set(first, "failed", "boom")
        with pytest.raises(ef.Error) as e:
            st.set("ghost", "done")
        assert e.value.name == "EF_ENOTFOUND" and "ghost" in e.value.message
        with pytest.raises(ValueError):
            st.set(first, "exploded")
        st.finish("failed", "model did not load")
    plan.read_status()
    assert (b.state, b.error) == ("failed", "model did not load")
    assert [(v.uid, v.outcome, v.error) for v in b.videos] == [
        (first, "failed", "boom"), (second, "not_run", "")]
    assert os.path.exists(os.path.join(plan.dir, "status",
                                       "bin_00002.json"))


def test_the_binding_names_match_the_library(ef):
    """The binding's names of figures, bin states and outcomes are the
    library's, in the header's order (a new enum value fails here)."""
    from ego4dfeat import _lib
    lib = _lib.lib()
    for names, fn in ((_lib.PLAN_FIGURES, lib.ef_plan_figure_name),
                      (_lib.BIN_STATES, lib.ef_bin_state_name),
                      (_lib.OUTCOMES, lib.ef_video_outcome_name)):
        got = []
        while fn(len(got)) is not None:
            got.append(fn(len(got)).decode())
        assert tuple(got) == names
        assert fn(-1) is None
