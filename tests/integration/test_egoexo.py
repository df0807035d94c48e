"""Ego-Exo4D takes: with io.dataset_version egoexo and io.egoexo_data_dir,
the videos of a run are the streams that <egoexo_data_dir>/takes.json
lists, chosen as the reference chooses them. A synthetic download with
tiny videos goes through extract (with io.uid_list, io.video_limit and
io.filter_completed), profile, schedule and run-bin, and through the
Python binding; a broken takes.json is refused naming the file and the
key."""
import json
import os
import re
import sys

import pytest
import torch

from conftest import SOURCE, make_clip, run_cli

sys.path.insert(0, os.path.join(SOURCE, "python"))

CONFIGS = os.path.join(SOURCE, "configs")

# take -> (timesync start, end, {camera: {stream: file or None}}); None:
# relative_path null. Files under takes/<take>/frame_aligned_videos/.
TAKES = {
    "t1": (100, 146, {  # 45 frames
        "aria01": {"rgb": "aria01_214-1.mp4", "slam-left": "aria01_1201-1.mp4",
                   "slam-right": "aria01_1201-2.mp4"},
        "cam01": {"0": "cam01.mp4"},
        "collage": {"0": "collage.mp4"},  # not eligible
        "best_exo": {"0": None},          # not eligible
    }),
    "t2": (0, 61, {  # 60 frames
        "gp01": {"0": "gp01.mp4"},
        "cam02": {"0": "cam02.mp4"},  # in takes.json, never downloaded
    }),
    "t3": (7, 53, {"cam01": {"0": "cam01.mp4"}}),  # 45 frames
}
MISSING = {"t2_cam02_0"}
EXTRACTED = {"t1_aria01_rgb", "t1_cam01_0", "t2_gp01_0", "t3_cam01_0"}
FRAMES = {"t1": 45, "t2": 60, "t3": 45}


def takes_doc():
    takes = []
    for uid, (start, end, cams) in TAKES.items():
        fav = {cam: {s: {"cam_id": cam, "is_collage": cam == "collage",
                         "relative_path": None if f is None else
                         f"frame_aligned_videos/{f}"}
                     for s, f in streams.items()}
               for cam, streams in cams.items()}
        takes.append({"take_uid": uid, "take_name": f"name_{uid}",
                      "root_dir": f"takes/{uid}",
                      "timesync_start_idx": start, "timesync_end_idx": end,
                      "frame_aligned_videos": fav})
    return takes


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("egoexo")
    with open(d / "takes.json", "w") as f:
        json.dump(takes_doc(), f, indent=2)
    sizes = {"aria01": "96x96", "cam01": "160x90", "gp01": "128x72"}
    for uid, (start, end, cams) in TAKES.items():
        folder = d / "takes" / uid / "frame_aligned_videos"
        folder.mkdir(parents=True)
        for cam, streams in cams.items():
            for s, f in streams.items():
                if f is None or f"{uid}_{cam}_{s}" in MISSING:
                    continue
                make_clip(str(folder / f), seconds=(end - start - 1) / 30,
                          size=sizes.get(cam, "64x48"))
    return d


def args(cmd, data, out, models, *extra):
    return [cmd, "--config-dir", CONFIGS, "--config-name", "egoexo_omnivore",
            f"io.egoexo_data_dir={data}", f"io.out_path={out}",
            f"model_config.model_path={models / 'tiny_video.pt'}",
            "inference_config.device=cpu", "inference_config.batch_size=1",
            "inference_config.num_workers=2", *extra]


def outputs(out):
    return {n[:-3] for n in os.listdir(out) if n.endswith(".pt")}


def test_extract_takes(tmp_path, data, models):
    out = tmp_path / "out"
    p = run_cli(*args("extract", data, out, models), "--threads", "1",
                check=0)
    assert outputs(out) == EXTRACTED
    assert "5 videos: 4 done, 1 skipped, 0 failed, 0 not run" in p.stdout, \
        p.stdout
    missing = data / "takes/t2/frame_aligned_videos/cam02.mp4"
    assert (f"skipped t2_cam02_0: {missing}: no such file (listed in "
            "takes.json, not downloaded)") in p.stdout
    # Each stream's features are those of its file, extracted by path.
    ref = tmp_path / "ref"
    rgb = data / "takes/t1/frame_aligned_videos/aria01_214-1.mp4"
    run_cli("extract", "--config-dir", CONFIGS, "--config-name",
            "egoexo_omnivore", f"io.out_path={ref}",
            f"model_config.model_path={models / 'tiny_video.pt'}",
            "inference_config.device=cpu", "inference_config.batch_size=1",
            "--threads", "1", "--", str(rgb), check=0)
    a = torch.load(out / "t1_aria01_rgb.pt")
    assert a.shape == (2, 8)  # 45 frames: windows at 0 and 16 (32 long)
    assert torch.equal(a, torch.load(ref / "aria01_214-1.pt"))
    # A rerun: the complete ones skipped (io.filter_completed), the
    # missing one still said.
    p = run_cli(*args("extract", data, out, models), check=0)
    assert "5 videos: 0 done, 5 skipped, 0 failed" in p.stdout, p.stdout
    assert "skipped t2_cam02_0:" in p.stdout


def test_uid_list_prefixes_and_limit(tmp_path, data, models):
    out = tmp_path / "a"
    p = run_cli(*args("extract", data, out, models, "io.uid_list=[t2,t3]"),
                check=0)
    assert outputs(out) == {"t2_gp01_0", "t3_cam01_0"}
    assert "3 videos: 2 done, 1 skipped" in p.stdout, p.stdout
    out = tmp_path / "b"
    run_cli(*args("extract", data, out, models,
                  "io.eligible_cam_prefixes=[GP, aria]"), check=0)
    assert outputs(out) == {"t1_aria01_rgb", "t2_gp01_0"}
    # io.video_limit picks among the files there; the same seed, the same
    # pick; the missing file is still said.
    picks = []
    for run in "cd":
        out = tmp_path / run
        p = run_cli(*args("extract", data, out, models, "io.video_limit=2",
                          "++io.seed=11"), check=0)
        assert "3 videos: 2 done, 1 skipped" in p.stdout, p.stdout
        picks.append(outputs(out))
    assert picks[0] == picks[1] and picks[0] <= EXTRACTED


def test_profile_takes(tmp_path, data, models):
    p = run_cli(*args("profile", data, tmp_path / "o", models), "--videos",
                "2", "--batch-sizes", "1", "--workers", "1", "--output",
                str(tmp_path / "prof.yaml"), check=0)
    row = p.stdout.splitlines()[1].split(",")
    assert row[1:3] == ["1", "1"] and float(row[5]) > 0, p.stdout


def schedule(tmp, data, models, *extra):
    return args("schedule", data, tmp / "out", models,
                f"schedule_config.log_folder={tmp}/logs/%j",
                "schedule_config.timeout_min=1",
                "schedule_config.overhead=1.0",
                "schedule_config.time_per_forward_pass=10",
                "schedule_config.run_locally=1", "force_yes=true", *extra)


def test_schedule_and_run_bin(tmp_path, data, models):
    # Estimates from takes.json: t1 and t3 45 frames (2 windows), t2 60
    # (3); the missing file has none (1 window).
    p = run_cli(*schedule(tmp_path, data, models), "--threads", "1",
                check=0)
    assert "summary: 4 done, 1 skipped, 0 failed, 0 not run" in p.stdout, \
        p.stdout
    plans = [d for d in os.listdir(tmp_path / "logs") if d.startswith("plan")]
    plan = tmp_path / "logs" / plans[0]
    with open(plan / "plan.json") as f:
        doc = json.load(f)
    frames = {v["uid"]: v["frames"] for b in doc["bins"] for v in b["videos"]}
    assert frames == {"t1_aria01_rgb": 45, "t1_cam01_0": 45, "t2_gp01_0": 60,
                      "t3_cam01_0": 45, "t2_cam02_0": -1}
    assert outputs(tmp_path / "out") == EXTRACTED
    outcome = {}
    for b in range(len(doc["bins"])):
        with open(plan / "status" / f"bin_{b:05d}.json") as f:
            outcome.update({v["uid"]: v["outcome"]
                            for v in json.load(f)["videos"]})
    assert outcome == {**{u: "done" for u in EXTRACTED}, "t2_cam02_0":
                       "skipped"}
    # run-bin alone: the bin's stream uids (its io.uid_list) find their
    # streams again; only the deleted output is computed anew.
    b, victim = next((b, v["uid"]) for b, bin_ in enumerate(doc["bins"])
                     for v in bin_["videos"] if v["uid"] in EXTRACTED)
    n = len(doc["bins"][b]["videos"])
    before = torch.load(tmp_path / "out" / f"{victim}.pt")
    os.remove(tmp_path / "out" / f"{victim}.pt")
    p = run_cli("run-bin", "--plan", str(plan), "--bin", str(b), "--runner",
                "test", "--threads", "1")
    assert f"bin {b} (test): 1 done, {n - 1} skipped, 0 failed" in p.stdout, \
        p.stdout
    assert torch.equal(torch.load(tmp_path / "out" / f"{victim}.pt"), before)


def test_python_binding(tmp_path, data, models):
    import ego4dfeat as ef
    over = [f"io.egoexo_data_dir={data}", f"io.out_path={tmp_path}/out",
            f"model_config.model_path={models / 'tiny_video.pt'}",
            "inference_config.device=cpu", "io.uid_list=[t1]",
            f"schedule_config.log_folder={tmp_path}/logs/%j"]
    with ef.Config.load("egoexo_omnivore", config_dir=CONFIGS,
                        overrides=over) as cfg:
        st = ef.perform_feature_extraction(cfg)
        got = {v.uid: (v.outcome, v.windows) for v in st.videos}
        assert got == {"t1_aria01_rgb": ("done", 2),
                       "t1_cam01_0": ("done", 2)}
        # io.filter_completed: a rerun skips both.
        st = ef.perform_feature_extraction(cfg)
        assert {v.outcome for v in st.videos} == {"skipped"}
        with ef.Plan.create(cfg) as plan:
            uids = sorted(u for b in plan.bins for u in b.uids)
            assert uids == ["t1_aria01_rgb", "t1_cam01_0"]
            frames = [v.frames for b in plan.bins for v in b.videos]
            assert frames == [45, 45]
            os.remove(tmp_path / "out" / "t1_cam01_0.pt")
            st = plan.run_bin(0, runner="binding")
            got = {v.uid: v.outcome for v in st.videos}
            assert got == {"t1_aria01_rgb": "skipped", "t1_cam01_0": "done"}
        cfg.override("io.uid_list=[t2]")
        st = ef.perform_feature_extraction(cfg)
        got = {v.uid: v.outcome for v in st.videos}
        assert got == {"t2_gp01_0": "done", "t2_cam02_0": "skipped"}
        skip = next(v for v in st.videos if v.uid == "t2_cam02_0")
        assert "cam02.mp4: no such file" in skip.error
        # io.video_limit: 2 of the 4 files there, the missing one said.
        cfg.override("io.uid_list=null")
        cfg.override("io.video_limit=2")
        cfg.override(f"io.out_path={tmp_path}/limit")
        st = ef.perform_feature_extraction(cfg)
        assert sorted(v.outcome for v in st.videos) == \
            ["done", "done", "skipped"]
        assert len(outputs(tmp_path / "limit")) == 2
        # A broken takes.json: ef.Error naming the file and the key.
        bad = tmp_path / "bad"
        bad.mkdir()
        doc = takes_doc()
        del doc[1]["timesync_end_idx"]
        (bad / "takes.json").write_text(json.dumps(doc))
        cfg.override(f"io.egoexo_data_dir={bad}")
        with pytest.raises(ef.Error) as e:
            ef.perform_feature_extraction(cfg)
        assert str(bad / "takes.json") in str(e.value)
        assert "'timesync_end_idx' is missing" in str(e.value)


@pytest.mark.parametrize("case", ["malformed", "no_key", "wrong_type",
                                  "not_regular", "loop", "huge_string"])
def test_broken_takes_json(tmp_path, models, case):
    d = tmp_path / "d"
    d.mkdir()
    path = d / "takes.json"
    doc = takes_doc()
    want = {"malformed": "invalid JSON at line",
            "no_key": "take 2 ('t3', line 1): key 'root_dir' is missing",
            "wrong_type": "'frame_aligned_videos' is an array, not an object",
            "not_regular": "not a regular file", "loop": "cannot open",
            "huge_string": "a string longer than 1 MiB"}[case]
    if case == "malformed":
        path.write_text(json.dumps(doc)[:-3])
    elif case == "no_key":
        del doc[2]["root_dir"]
        path.write_text(json.dumps(doc))
    elif case == "wrong_type":
        doc[0]["frame_aligned_videos"] = []
        path.write_text(json.dumps(doc))
    elif case == "not_regular":
        os.mkfifo(path)
    elif case == "loop":
        os.symlink("takes.json", path)
    else:
        doc[0]["take_name"] = "x" * (2 << 20)
        path.write_text(json.dumps(doc))
    p = run_cli(*args("extract", d, tmp_path / "out", models))
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    assert str(path) in p.stderr and want in p.stderr, p.stderr
    assert not (tmp_path / "out").exists() or \
        outputs(tmp_path / "out") == set()
