"""`ego4dfeat profile` times whole extractions per batch size and worker
count, prints the reference's CSV, and writes a YAML whose measured
time_per_forward_pass and overhead `ego4dfeat schedule` then estimates
with."""
import math
import os
import re

import pytest
import yaml

from conftest import SOURCE, make_clip, run_cli

HEADER = ("prefetch_factor,batch_size,num_workers,total,mean,forward_pass,"
          "to_load,transfer_to_device,decode,video_s_per_s")


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    for i, s in enumerate([2.0, 1.5, 1.2, 2.5]):
        make_clip(str(d / f"p{i}.mp4"), seconds=s, size="160x120")
    return d


def common(clips, out, models):
    return ["--config-dir", os.path.join(SOURCE, "configs"), "--config-name",
            "mvit_k400", f"io.video_dir_path={clips}", f"io.out_path={out}",
            f"model_config.model_path={models / 'tiny_video.pt'}",
            "inference_config.device=cpu"]


def test_profile_csv_yaml_and_schedule_estimate(tmp_path, models, clips):
    out = tmp_path / "out"
    prof = tmp_path / "prof.yaml"
    p = run_cli("profile", *common(clips, out, models), "--batch-sizes", "1,3",
                "--workers", "1", "--videos", "2", "--seed", "5",
                "--output", str(prof), check=0)
    lines = p.stdout.splitlines()
    assert lines[0] == HEADER, p.stdout
    rows = [l.split(",") for l in lines[1:3]]
    assert [r[1:3] for r in rows] == [["1", "1"], ["3", "1"]]
    for r in rows:
        assert r[0] == "2"  # mvit_k400's prefetch_factor
        total, mean, fwd = float(r[3]), float(r[4]), float(r[5])
        assert total > 0 and 0 < fwd <= mean and float(r[9]) > 0
    # The user's output folder is not touched: runs go to a temp folder.
    assert not out.exists()
    doc = yaml.safe_load(prof.read_text())
    tpf = doc["schedule_config"]["time_per_forward_pass"]
    overhead = doc["schedule_config"]["overhead"]
    batch = doc["inference_config"]["batch_size"]
    assert tpf > 0 and overhead >= 1.0 and batch in (1, 3)
    assert "# 2,1,1," in prof.read_text()  # the CSV rows are kept

    # schedule takes it (+profile=FILE or --profile FILE): the estimate is
    # overhead * ceil(windows / batch) * tpf summed over the clips
    # (60, 45, 36, 75 frames: 3, 2, 2 and 4 windows).
    want = sum(overhead * math.ceil(w / batch) * tpf for w in (3, 2, 2, 4))
    for how in (["+profile=" + str(prof)], ["--profile", str(prof)]):
        p = run_cli("schedule", *common(clips, out, models), *how,
                    f"schedule_config.log_folder={tmp_path}/logs/%j",
                    "--dry-run", check=0)
        assert f"profile {prof}: time_per_forward_pass" in p.stdout
        m = re.search(r"estimate: ([0-9.]+) (s|min|h) of work", p.stdout)
        scale = {"s": 1, "min": 60, "h": 3600}[m.group(2)]
        got = float(m.group(1)) * scale
        assert abs(got - want) <= max(0.06, 0.01 * want), (got, want, p.stdout)
    # A value on the command line wins over the profile's.
    p = run_cli("schedule", *common(clips, out, models), "--profile",
                str(prof), "schedule_config.time_per_forward_pass=100",
                "schedule_config.overhead=1",
                f"schedule_config.log_folder={tmp_path}/logs/%j", "--dry-run",
                check=0)
    n_passes = sum(math.ceil(w / batch) for w in (3, 2, 2, 4))
    assert f"estimate: {n_passes * 100 / 60:.1f} min of work" in p.stdout, \
        p.stdout


def test_profile_errors(tmp_path, models, clips):
    p = run_cli("profile", *common(clips, tmp_path, models), "--batch-sizes",
                "0,x", check=2)
    assert "--batch-sizes" in p.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("inference_config:\n  batch_size: 2\n")
    p = run_cli("schedule", *common(clips, tmp_path, models), "--profile",
                str(bad), "--dry-run", check=2)
    assert "time_per_forward_pass" in p.stderr
