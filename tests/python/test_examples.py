"""The example programs (examples/minimal.c, extract_one.cpp,
extract_one.py) print the same shape, window and first values as the
features the CLI writes for the same video and config."""
import os
import subprocess

import numpy as np
import pytest
import torch

from conftest import CONFIGS, SOURCE, run_cli

EXAMPLES = {
    "minimal.c": os.environ.get("EF_EXAMPLE_MINIMAL"),
    "extract_one.cpp": os.environ.get("EF_EXAMPLE_EXTRACT_ONE"),
    "extract_one.py": os.path.join(SOURCE, "examples", "extract_one.py"),
}


def parse(stdout):
    """{'shape': [...], 'window': (start, end), 'first': [...]}"""
    out = {}
    for line in stdout.splitlines():
        key, _, rest = line.partition(":")
        if key == "shape":
            out["shape"] = [int(v) for v in rest.split()]
        elif key == "window 0":
            start, end = rest.replace("s to", "").replace("s", "").split()
            out["window"] = (float(start), float(end))
        elif key == "first":
            out["first"] = [float(v) for v in rest.split()]
    return out


@pytest.mark.parametrize("name", list(EXAMPLES))
@pytest.mark.parametrize("config,model", [("mvit_k400", "tiny_video"),
                                          ("slowfast_r101_8x8",
                                           "tiny_slowfast")])
def test_example_matches_the_cli(name, config, model, models, videos,
                                 tmp_path):
    exe = EXAMPLES[name]
    if not exe:
        pytest.skip(f"{name} is not built here (run through meson test)")
    overrides = [f"model_config.model_path={models / model}.pt",
                 "inference_config.device=cpu"]
    out = tmp_path / "cli"
    run_cli("extract", "--config-dir", CONFIGS, "--config-name", config,
            f"io.video_dir_path={videos}", f"io.out_path={out}",
            "io.uid_list=[a]", "--quiet", *overrides)
    want = torch.load(out / "a.pt").numpy()
    cmd = ([] if not exe.endswith(".py") else ["/usr/bin/python3"]) + [exe]
    env = dict(os.environ, PYTHONPATH=os.path.join(SOURCE, "python"))
    p = subprocess.run(cmd + [os.path.join(CONFIGS, config + ".yaml"),
                              str(videos / "a.mp4"), *overrides],
                       capture_output=True, text=True, timeout=300, env=env)
    assert p.returncode == 0, p.stderr
    got = parse(p.stdout)
    assert got["shape"] == list(want.shape)
    assert got["window"] == pytest.approx((0.0, 32 / 30), abs=1e-6)
    first = want.reshape(len(want), -1)[0, :8]
    np.testing.assert_allclose(got["first"], first, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_example_reports_errors(name, tmp_path):
    exe = EXAMPLES[name]
    if not exe:
        pytest.skip(f"{name} is not built here (run through meson test)")
    cmd = ([] if not exe.endswith(".py") else ["/usr/bin/python3"]) + [exe]
    env = dict(os.environ, PYTHONPATH=os.path.join(SOURCE, "python"))
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert p.returncode == 2 and "usage" in p.stderr.lower()
    p = subprocess.run(cmd + [os.path.join(CONFIGS, "mvit_k400.yaml"),
                              str(tmp_path / "v.mp4"), "io.uid_lst=[a]"],
                       capture_output=True, text=True, env=env)
    assert p.returncode == 1
    assert "unknown key 'io.uid_lst'" in p.stderr
