"""The default optimisation (torch.jit.freeze, then optimize_for_inference)
never changes what runs: where the optimised module fails or gives other
numbers than the module as saved, the library falls back, says so once,
and every video still gets the features of the module as saved.

The models are made here with Debian's torch: an image model whose
AdaptiveAvgPool2d output (5x5) does not divide its input (56x56 at the
omnivore_image geometry side 64, crop 56), which oneDNN refuses after
optimize_for_inference; and a model whose output is not a function of its
input (it adds torch.rand), so no prepared variant can match the module as
saved and the library must run that one."""
import subprocess

import pytest
import torch

from conftest import extract_args, make_clips, run_cli

GEOMETRY = ["model_config.side_size=64", "model_config.crop_size=56",
            "inference_config.stride=10", "inference_config.batch_size=2",
            "inference_config.num_workers=2"]

POOL_MODEL = """import torch
from torch import nn
class PoolNotDividing(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(3)
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d((5, 5))
        self.fc = nn.Linear(100, 8)
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.conv(x.squeeze(2)))
        return self.fc(torch.flatten(self.pool(y), 1))
torch.jit.script(PoolNotDividing().eval()).save('{path}')
"""

NOISY_MODEL = """import torch
from torch import nn
class Noisy(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean([1, 2, 3, 4]).unsqueeze(1) + torch.rand(x.size(0), 4)
torch.jit.script(Noisy().eval()).save('{path}')
"""


def make_model(folder, name, source):
    """Scripts and saves a model in a child /usr/bin/python3 (TorchScript
    needs the class in a file)."""
    path = folder / (name + ".pt")
    script = folder / (name + ".py")
    script.write_text(source.format(path=path))
    subprocess.run(["/usr/bin/python3", str(script)], check=True)
    return path


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    d = tmp_path_factory.mktemp("optimise")
    uids = make_clips(d / "videos", 3, seconds=1.0)
    return d, uids


def extract(setup, model, out, *extra):
    d, _ = setup
    return run_cli(*extract_args("omnivore_image", d / "videos", out, model,
                                 *GEOMETRY, *extra), check=0)


def test_refused_by_onednn_falls_back_to_frozen(setup, tmp_path):
    d, uids = setup
    model = make_model(tmp_path, "pool5", POOL_MODEL)
    # The premise: oneDNN refuses this model once optimised, at this size.
    m = torch.jit.load(str(model))
    opt = torch.jit.optimize_for_inference(torch.jit.freeze(m))
    with pytest.raises(RuntimeError, match="not divisible"):
        opt(torch.zeros(2, 3, 1, 56, 56))

    p = extract(setup, model, tmp_path / "default")
    assert f"{len(uids)} done, 0 skipped, 0 failed" in p.stdout, p.stdout
    # Said once for the run (3 videos, 6 batches of 2), naming what
    # runs and why.
    lines = [ln for ln in p.stderr.splitlines() if "optimis" in ln]
    assert len(lines) == 1, p.stderr
    assert "frozen" in lines[0] and "not divisible" in lines[0], lines[0]
    assert str(model) in lines[0]

    plain = tmp_path / "plain"
    q = extract(setup, model, plain, "model_config.optimize=false")
    assert "optimis" not in q.stderr, q.stderr
    for u in uids:
        got = torch.load(tmp_path / "default" / (u + ".pt"))
        want = torch.load(plain / (u + ".pt"))
        assert got.shape == want.shape and got.shape[1] == 8
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)


def test_no_variant_matches_runs_the_module_as_saved(setup, tmp_path):
    d, uids = setup
    model = make_model(tmp_path, "noisy", NOISY_MODEL)
    p = extract(setup, model, tmp_path / "noisy")
    assert f"{len(uids)} done, 0 skipped, 0 failed" in p.stdout, p.stdout
    lines = [ln for ln in p.stderr.splitlines() if "optimis" in ln]
    assert len(lines) == 1, p.stderr
    assert "as saved" in lines[0], lines[0]
    # The saved module's own numbers: the window mean plus noise in [0, 1).
    for u in uids:
        got = torch.load(tmp_path / "noisy" / (u + ".pt"))
        assert got.shape[1] == 4
        spread = got.max(1).values - got.min(1).values
        assert bool((spread > 0).all()) and bool((spread < 1).all())


def test_optimisation_that_matches_is_kept_silently(setup, tmp_path, models):
    d, uids = setup
    p = extract(setup, models / "tiny_image.pt", tmp_path / "tiny")
    assert f"{len(uids)} done, 0 skipped, 0 failed" in p.stdout, p.stdout
    assert "optimis" not in p.stderr, p.stderr
