"""The default optimisation (freeze, then optimize_for_inference) on real
architectures: every torchvision architecture tools/export_models.py
builds, with random weights, exported once, run through the CLI at its
config's input size and at one odd size, with the default optimisation and
with model_config.optimize=false. The features must agree at 1e-4 (of
their largest magnitude where that is over 1), every video must be done, and a fallback, where the library takes one, is named
in the log. The table of what ran (optimised, frozen only, as saved) goes
to the test log.

Kept small for CI (2 cores): one window per run, batch 1, and the odd size
as small as the architecture allows. MViT and ViT take one input size
only; at the odd size they must fail the same way with and without the
optimisation (the model's own error, never hidden or reworded)."""
import importlib.util
import os
import subprocess

import numpy as np
import pytest
import torch
from torch import nn

from conftest import SOURCE, run_cli

TOOL = os.path.join(SOURCE, "tools", "export_models.py")


def load_tool():
    spec = importlib.util.spec_from_file_location("export_models_matrix", TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


tool = load_tool()


def _classifier(i):
    def drop(m):
        m.classifier[i] = nn.Identity()
    return drop


# Image architectures of issue 16 that the tool does not list yet; the
# tool's own entry wins once it has one. AlexNet is here for its
# AdaptiveAvgPool2d((6, 6)): at the odd size its input is 3x3, which oneDNN
# refuses once optimised, so the matrix shows a fallback on a real network.
for _name, _arch in {
        "alexnet": tool.TvArch(tool.TV_IMAGE, "AlexNet_Weights",
                               _classifier(6), "image", 1, 5),
        "convnext_tiny": tool.TvArch(tool.TV_IMAGE, "ConvNeXt_Tiny_Weights",
                                     _classifier(2), "image", 1, 5),
        "efficientnet_b0": tool.TvArch(tool.TV_IMAGE,
                                       "EfficientNet_B0_Weights",
                                       _classifier(1), "image", 1, 5),
        "regnet_y_400mf": tool.TvArch(tool.TV_IMAGE, "RegNet_Y_400MF_Weights",
                                      tool._fc, "image", 1, 5)}.items():
    tool.TORCHVISION.setdefault(_name, _arch)

# The odd size per architecture: (frame_window, side_size, crop_size), the
# smallest the network takes that its downsampling does not divide evenly.
# None: the architecture takes only its config's input size.
ODD = {
    "s3d": (16, 232, 225),     # its last pooling is a fixed 2x7x7 window
    "alexnet": (1, 146, 127),  # 3x3 into its AdaptiveAvgPool2d((6, 6))
    "mvit_v1_b": None,         # fixed positional embeddings (16x224x224)
    "mvit_v2_s": None,         # fixed relative-position tables
    "vit_b_16": None,          # checks for 224x224
}
ODD_VIDEO = (8, 64, 57)
ODD_IMAGE = (1, 64, 57)
FIXED_SIZE_FAILURE = (5, 256, 225)  # what a fixed-input model refuses

ARCHS = sorted(tool.TORCHVISION)

# Where the optimised module must be refused and the frozen one run.
FALLBACK = {("alexnet", "odd"): ("frozen only", "not divisible")}

# Filled by the tests, printed at the end of the session (pytest -s).
TABLE = []


@pytest.fixture(scope="session", autouse=True)
def print_table():
    yield
    if TABLE:
        print("\narch              size                 ran          "
              "max |default - unoptimised|  max |unoptimised|")
        for row in TABLE:
            print("%-17s %-20s %-12s %-28s %s" % row)


@pytest.fixture(scope="session")
def exports(tmp_path_factory):
    """name -> (model file, config folder, Spec): each architecture built
    and scripted once per session, the way export_models.py does it."""
    folder = tmp_path_factory.mktemp("matrix_models")
    made = {}

    def get(name):
        if name not in made:
            model, spec, weights, _, source = tool.build_model(
                name, False, tool.Build("random"))
            # As the tool does for pytorchvideo's random weights: without
            # it some networks' features are ~1e-12 and any comparison
            # at 1e-4 would pass.
            tool.randomize_batch_norms(model)
            x = tool.example_input(spec)
            x = x[:1]  # scripting does not run it; a trace would, once
            script, how = tool.to_torchscript(model, x)
            pt = str(folder / (name + ".pt"))
            torch.jit.save(script, pt)
            meta = {"arch": spec.arch, "source": source, "weights": weights,
                    "head": False, "feature_shape": "[?]"}
            (folder / (name + ".yaml")).write_text(
                tool.config_yaml(name, pt, spec, meta))
            made[name] = (pt, folder, spec)
        return made[name]
    return get


@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    """frames -> a folder holding one 320x240 clip of that many frames."""
    root = tmp_path_factory.mktemp("matrix_clips")
    made = {}

    def get(frames):
        if frames not in made:
            d = root / f"f{frames}"
            d.mkdir()
            subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f",
                            "lavfi", "-i", "testsrc2=size=320x240:rate=30",
                            "-frames:v", str(frames), "-c:v", "libx264",
                            "-pix_fmt", "yuv420p", str(d / "clip.mp4")],
                           check=True)
            made[frames] = d
        return made[frames]
    return get


def extract(config_dir, name, videos, out, geometry, *extra):
    t, side, crop = geometry
    return run_cli("extract", "--config-dir", str(config_dir),
                   "--config-name", name, f"io.video_dir_path={videos}",
                   f"io.out_path={out}", "inference_config.device=cpu",
                   f"inference_config.frame_window={t}",
                   f"inference_config.stride={t}",
                   f"model_config.side_size={side}",
                   f"model_config.crop_size={crop}",
                   "inference_config.batch_size=1",
                   "inference_config.num_workers=1", *extra)


def fallback_lines(stderr):
    return [ln for ln in stderr.splitlines()
            if "optimis" in ln or "frozen" in ln]


def what_ran(stderr):
    lines = fallback_lines(stderr)
    if not lines:
        return "optimised"
    return "as saved" if "running it as saved" in lines[0] else "frozen only"


def geometries(name, spec):
    config = (spec.frame_window, spec.side_size, spec.crop_size)
    odd = ODD.get(name, ODD_VIDEO if spec.kind == "video" else ODD_IMAGE)
    return config, odd


@pytest.mark.parametrize("name", ARCHS)
def test_optimised_equals_unoptimised(name, exports, clips, tmp_path):
    pt, config_dir, spec = exports(name)
    config, odd = geometries(name, spec)
    for label, geometry in (("config", config), ("odd", odd)):
        if geometry is None:
            continue
        videos = clips(geometry[0])
        fast = extract(config_dir, name, videos, tmp_path / f"{label}_opt",
                       geometry)
        plain = extract(config_dir, name, videos, tmp_path / f"{label}_plain",
                        geometry, "model_config.optimize=false")
        for p in (fast, plain):
            assert p.returncode == 0 and "1 done, 0 skipped, 0 failed" in \
                p.stdout, f"{name} at {geometry}:\n{p.stdout}\n{p.stderr}"
        assert not fallback_lines(plain.stderr), plain.stderr
        lines = fallback_lines(fast.stderr)
        # A fallback is said once, with the reason and what runs instead.
        assert len(lines) <= 1, fast.stderr
        if lines:
            assert "running it" in lines[0] and (
                "fails" in lines[0] or "differs" in lines[0]), lines[0]
        ran = what_ran(fast.stderr)
        want_ran, why = FALLBACK.get((name, label), ("optimised", ""))
        assert ran == want_ran and why in "".join(lines), fast.stderr
        got = torch.load(tmp_path / f"{label}_opt" / "clip.pt").numpy()
        want = torch.load(tmp_path / f"{label}_plain" / "clip.pt").numpy()
        assert got.shape == want.shape and got.shape[0] == 1
        diff = float(np.abs(got - want).max())
        scale = float(np.abs(want).max())
        TABLE.append((name, f"{label} {geometry[0]}x{geometry[2]}", ran,
                      f"{diff:.2e}", f"{scale:.3g}"))
        # Features of a real scale (else any comparison passes), equal at
        # 1e-4, absolute for features up to 1 and relative to the largest
        # above that: float32 keeps 24 bits, so features of ~3000 (resnet50
        # with random batch norms) differ by ~3e-4 from rounding alone.
        assert scale > 1e-3, f"{name}: features of ~{scale:.1e} test nothing"
        np.testing.assert_allclose(got, want, rtol=0,
                                   atol=1e-4 * max(1.0, scale),
                                   err_msg=f"{name} at {geometry}")


@pytest.mark.parametrize("name", [n for n in ARCHS if n in ODD
                                  and ODD[n] is None])
def test_fixed_size_models_fail_alike_either_way(name, exports, clips,
                                                 tmp_path):
    """At a size the architecture refuses, the optimisation neither hides
    the model's error nor words it differently."""
    pt, config_dir, spec = exports(name)
    geometry = (spec.frame_window,) + FIXED_SIZE_FAILURE[1:]
    videos = clips(geometry[0])
    runs = [extract(config_dir, name, videos, tmp_path / label, geometry,
                    *extra)
            for label, extra in (("opt", ()),
                                 ("plain", ("model_config.optimize=false",)))]
    errors = []
    for p in runs:
        assert "0 done, 0 skipped, 1 failed" in p.stdout, p.stdout + p.stderr
        assert not fallback_lines(p.stderr), p.stderr
        errors.append([ln for ln in p.stderr.splitlines()
                       if "failed on a" in ln])
    assert errors[0] and errors[0] == errors[1], errors
    TABLE.append((name, f"refused {geometry[0]}x{geometry[2]}", "neither",
                  "same error", "-"))
