"""tools/export_models.py: the offline torchvision path exports TorchScript
files whose features, run through the CLI with the config the tool writes,
have the documented dimension and equal the same model run in Python on
the reference's transform; the online path says what to pip install."""
import hashlib
import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
import types

import numpy as np
import pytest
import torch

import reference_pipeline as ref
from conftest import SOURCE, make_clip, run_cli
from export_standins import (StandInMViT, StandInOmnivore, StandInSlowFast,
                             StandInStems)

TOOL = os.path.join(SOURCE, "tools", "export_models.py")
VIDEO_NORM = dict(mean=[0.43216, 0.394666, 0.37645],
                  std=[0.22803, 0.22145, 0.216989])


def export(out, *args, check=0):
    p = subprocess.run(["/usr/bin/python3", TOOL, "--out", str(out), *args],
                       capture_output=True, text=True, timeout=600)
    if check is not None and p.returncode != check:
        raise AssertionError(f"exit {p.returncode}, expected {check}\n"
                             f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def metadata(path):
    extra = {"ego4dfeat.json": ""}
    torch.jit.load(str(path), _extra_files=extra)
    return json.loads(extra["ego4dfeat.json"])


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """r3d_18 (video) and resnet18 (2-D image) at small inputs, plus the
    classifier-head variant of resnet18."""
    out = tmp_path_factory.mktemp("exported")
    p1 = export(out, "r3d_18", "--frame-window", "8", "--side-size", "40",
                "--crop-size", "32")
    p2 = export(out, "resnet18", "--side-size", "72", "--crop-size", "64")
    p3 = export(out, "resnet18", "--with-head", "--side-size", "72",
                "--crop-size", "64")
    return out, p1.stdout + p2.stdout + p3.stdout


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    make_clip(str(d / "clip.mp4"), seconds=1.2)  # 36 frames
    return d


def extract(out_dir, config_dir, config, video_dir):
    run_cli("extract", "--config-dir", str(config_dir), "--config-name",
            config, f"io.video_dir_path={video_dir}", f"io.out_path={out_dir}",
            "inference_config.device=cpu", "--quiet", check=0)
    return torch.load(out_dir / "clip.pt").numpy()


def image_features(model, video, side, crop, mean, std):
    """The reference's frames and transform, one frame every 5, fed to a
    2-D model as [1, 3, crop, crop]."""
    frames = ref.sample_frames(video, 30)
    net = torch.jit.load(str(model)).eval()
    rows = []
    with torch.no_grad():
        for s in ref.window_starts(len(frames), 1, 5):
            x = ref.transform(frames[[s]], side, crop, mean, std)[:, 0]
            rows.append(net(x.unsqueeze(0))[0])
    return torch.stack(rows).numpy()


def test_the_tool_says_which_weights(exported):
    out, printed = exported
    for name in ("r3d_18", "resnet18", "resnet18_head"):
        meta = metadata(out / f"{name}.pt")
        assert meta["weights"] in ("random", "pretrained")
        word = "RANDOM" if meta["weights"] == "random" else "pretrained"
        line = next(x for x in printed.splitlines()
                    if x.startswith(f"wrote {out / name}.pt"))
        assert f"weights: {word}" in line
        assert f"# Weights: {meta['weights']}" in (
            out / f"{name}.yaml").read_text()


def test_video_model_features_equal_python(tmp_path, exported, clip_dir):
    out, _ = exported
    meta = metadata(out / "r3d_18.pt")
    assert meta["arch"] == "r3d_18" and meta["feature_dim"] == 512
    assert meta["input_layout"] == "ncthw" and meta["kind"] == "video"
    assert (meta["frame_window"], meta["stride"], meta["side_size"],
            meta["crop_size"]) == (8, 8, 40, 32)
    got = extract(tmp_path / "f", out, "r3d_18", clip_dir)
    # 36 frames, window 8, stride 8: 0, 8, 16, 24 and the back-padded 28.
    assert got.shape == (5, 512)
    want = ref.features(str(out / "r3d_18.pt"), str(clip_dir / "clip.mp4"),
                        "video", 8, 8, 40, 32, 4, 30, **VIDEO_NORM)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)


def test_image_model_features_equal_python(tmp_path, exported, clip_dir):
    out, _ = exported
    meta = metadata(out / "resnet18.pt")
    assert meta["feature_dim"] == 512 and meta["input_layout"] == "nchw"
    assert meta["mean"] == ref.IMAGENET_MEAN
    got = extract(tmp_path / "f", out, "resnet18", clip_dir)
    assert got.shape == (8, 512)  # frames 0, 5, ..., 35
    want = image_features(out / "resnet18.pt", str(clip_dir / "clip.mp4"),
                          72, 64, ref.IMAGENET_MEAN, ref.IMAGENET_STD)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)


def test_head_variant_runs_in_the_sanity_check(tmp_path, exported):
    out, _ = exported
    meta = metadata(out / "resnet18_head.pt")
    assert meta["head"] and meta["output"] == "logits"
    assert meta["feature_dim"] == 1000
    names = (out / "resnet18_head.labels.txt").read_text().splitlines()
    assert len(names) == 1000 and names[0] == "tench"
    cls = tmp_path / "ds" / "val" / "n01440764"
    cls.mkdir(parents=True)
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
                    "testsrc2=size=96x96", "-frames:v", "1",
                    str(cls / "a.png")], check=True)
    (tmp_path / "ds" / "labels.txt").write_text("n01440764,tench\n")
    p = run_cli("inference", "--config-dir", str(out), "--config-name",
                "resnet18_head", "inference_config.device=cpu",
                "+dataset_type=imagenet", f"+dataset_dir={tmp_path / 'ds'}",
                "+num_examples=1", "+top_k=3", "--quiet", check=0)
    assert "expected: tench" in p.stdout
    assert p.stdout.count("\n  - ") == 3
    assert "top-3 accuracy" in p.stdout


def test_real_models_say_what_is_missing(tmp_path):
    needs = {"slowfast_r101_8x8": ("pytorchvideo", "pip install pytorchvideo"),
             "mvit_k400": ("pytorchvideo", "pip install pytorchvideo"),
             "omnivore_video": ("timm", "pip install timm einops")}
    missing = {n: pip for n, (pkg, pip) in needs.items()
               if importlib.util.find_spec(pkg) is None}
    if not missing:
        pytest.skip("pytorchvideo and timm are installed here")
    p = export(tmp_path, *missing, check=2)
    for name, pip in missing.items():
        assert f"{name}: needs" in p.stderr and pip in p.stderr
    assert not list(tmp_path.iterdir())  # nothing half-written


def _module(name, **attrs):
    m = types.ModuleType(name)
    m.__spec__ = importlib.machinery.ModuleSpec(name, None)
    m.__dict__.update(attrs)
    return m


def load_tool():
    spec = importlib.util.spec_from_file_location("export_models", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tool(monkeypatch):
    """export_models.py imported here, with torch hub, pytorchvideo, timm
    and einops replaced by stand-ins (seeded). tool.calls records each
    builder called and whether it was asked for pretrained weights."""
    torch.manual_seed(0)
    calls = []

    def builder(name, make):
        def build(pretrained, **kw):
            calls.append((name, pretrained))
            return make()
        return build

    hub = {"omnivore_swinL_imagenet21k": StandInOmnivore,
           "omnivore_swinB": StandInOmnivore}
    monkeypatch.setattr(torch.hub, "load",
                        lambda repo, model, pretrained=True, **kw:
                        builder(model, hub[model])(pretrained))
    vt = _module("pytorchvideo.models.hub.vision_transformers",
                 mvit_base_32x3=builder("mvit_base_32x3",
                                        lambda: StandInMViT(400, False)),
                 mvit_base_16=builder("mvit_base_16",
                                      lambda: StandInMViT(1000, True)))
    hub_pkg = _module("pytorchvideo.models.hub", vision_transformers=vt,
                      slowfast_r101=builder("slowfast_r101",
                                            StandInSlowFast))
    models_pkg = _module("pytorchvideo.models", hub=hub_pkg)
    for name, m in [("pytorchvideo", _module("pytorchvideo",
                                             models=models_pkg)),
                    ("pytorchvideo.models", models_pkg),
                    ("pytorchvideo.models.hub", hub_pkg),
                    ("pytorchvideo.models.hub.vision_transformers", vt),
                    ("timm", _module("timm")), ("einops", _module("einops"))]:
        monkeypatch.setitem(sys.modules, name, m)
    module = load_tool()
    module.calls = calls
    return module


def test_reference_models_get_the_reference_feature_layers(tmp_path, tool,
                                                           capsys):
    names = ["slowfast_r101_8x8", "mvit_k400", "mvit_imagenet",
             "omnivore_video", "omnivore_image"]
    assert tool.main(["--out", str(tmp_path), *names]) == 0
    assert tool.main(["--out", str(tmp_path), "--with-head", *names]) == 0
    printed = capsys.readouterr().out
    dims = {"slowfast_r101_8x8": [8], "mvit_k400": [5, 4],
            "mvit_imagenet": [5, 4], "omnivore_video": [6],
            "omnivore_image": [6]}
    classes = {"slowfast_r101_8x8": 400, "mvit_k400": 400,
               "mvit_imagenet": 1000, "omnivore_video": 400,
               "omnivore_image": 1000}
    # --weights auto asks the reference's models for their real weights.
    assert len(tool.calls) == 10 and all(p for _, p in tool.calls)
    for name in names:
        meta = metadata(tmp_path / f"{name}.pt")
        assert meta["feature_shape"] == dims[name], name
        assert meta["weights"] == "pretrained" and not meta["head"]
        head = metadata(tmp_path / f"{name}_head.pt")
        assert head["feature_dim"] == classes[name] and head["head"]
        labels = (tmp_path / f"{name}_head.labels.txt").read_text()
        assert len(labels.splitlines()) == classes[name]
        assert f"wrote {tmp_path / name}.pt" in printed
    # SlowFast: the features are the mean of the pooled pathways, and the
    # head variant gives logits, not the head's softmax.
    torch.manual_seed(1)
    x = torch.randn(2, 3, 32, 64, 64)
    pair = [x[:, :, ::4], x]
    feats = torch.jit.load(str(tmp_path / "slowfast_r101_8x8.pt"))(pair)
    logits = torch.jit.load(str(tmp_path / "slowfast_r101_8x8_head.pt"))(pair)
    assert feats.shape == (2, 8) and logits.shape == (2, 400)
    assert float(logits.softmax(1).sum(1).sub(1).abs().max()) < 1e-5
    assert float(logits.sum(1).sub(1).abs().max()) > 1e-3
    # MViT ImageNet takes the image kind's [B, 3, 1, H, W].
    m = torch.jit.load(str(tmp_path / "mvit_imagenet.pt"))
    assert m(torch.randn(2, 3, 1, 56, 56)).shape == (2, 5, 4)


def test_traced_slowfast_runs_in_the_library(tmp_path, tool, clip_dir):
    """The SlowFast export (a [slow, fast] list input, traced) through the
    CLI with the repository's config equals the reference in Python."""
    assert tool.main(["--out", str(tmp_path / "m"), "slowfast_r101_8x8"]) == 0
    model = tmp_path / "m" / "slowfast_r101_8x8.pt"
    out = tmp_path / "f"
    run_cli("extract", "--config-dir", os.path.join(SOURCE, "configs"),
            "--config-name", "slowfast_r101_8x8",
            f"io.video_dir_path={clip_dir}", f"io.out_path={out}",
            f"model_config.model_path={model}", "inference_config.device=cpu",
            "--quiet", check=0)
    got = torch.load(out / "clip.pt").numpy()
    want = ref.features(str(model), str(clip_dir / "clip.mp4"), "slowfast",
                        32, 16, 256, 256, 4, 30, mean=[0.45] * 3,
                        std=[0.225] * 3)
    assert got.shape == (2, 8)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)


def test_random_weights_download_nothing(tmp_path, tool, capsys):
    """Offline compute nodes: --weights random builds every reference model
    without asking any builder for pretrained weights."""
    names = ["slowfast_r101_8x8", "mvit_k400", "mvit_imagenet",
             "omnivore_video", "omnivore_image"]
    assert tool.main(["--out", str(tmp_path), "--weights", "random",
                      *names]) == 0
    assert sorted(n for n, _ in tool.calls) == sorted(
        ["slowfast_r101", "mvit_base_32x3", "mvit_base_16",
         "omnivore_swinL_imagenet21k", "omnivore_swinB"])
    assert not any(p for _, p in tool.calls)
    printed = capsys.readouterr().out
    for name in names:
        assert metadata(tmp_path / f"{name}.pt")["weights"] == "random"
        assert "weights: RANDOM" in next(
            x for x in printed.splitlines()
            if x.startswith(f"wrote {tmp_path / name}.pt"))


def test_random_batch_norms_are_not_silent(tool):
    stems = StandInStems()
    assert float(stems.slow_bn.weight.abs().sum()) == 0  # zero-initialised
    tool.randomize_batch_norms(stems)
    bn = stems.slow_bn
    for t, lo, hi in [(bn.weight, 0.5, 1.5), (bn.bias, -0.1, 0.1),
                      (bn.running_mean, -0.1, 0.1),
                      (bn.running_var, 0.5, 1.5)]:
        assert lo <= float(t.min()) and float(t.max()) <= hi
        assert float(t.std()) > 0
    # Seeded: the same seed gives the same statistics.
    other = tool.randomize_batch_norms(StandInStems())
    assert torch.equal(other.slow_bn.running_var, bn.running_var)


def test_checkpoint_weights(tmp_path, tool, capsys):
    """--checkpoint FILE: a pytorchvideo .pyth ({"model_state": ...}) or
    Omnivore's {"trunk", "heads"} loaded into the architecture; the export
    equals that module, and says which file (and its sha256) it came
    from. A checkpoint of another network is refused, nothing written."""
    torch.manual_seed(7)
    src = tool.randomize_batch_norms(StandInSlowFast(), seed=3).eval()
    ck = tmp_path / "SLOWFAST_8x8_R101.pyth"
    torch.save({"model_state": src.state_dict(), "epoch": 196}, ck)
    out = tmp_path / "m"
    assert tool.main(["--out", str(out), "--checkpoint", str(ck),
                      "slowfast_r101_8x8"]) == 0
    assert tool.calls == [("slowfast_r101", False)]
    meta = metadata(out / "slowfast_r101_8x8.pt")
    assert meta["weights"] == "checkpoint"
    assert meta["checkpoint"] == ck.name
    assert meta["checkpoint_sha256"] == hashlib.sha256(
        ck.read_bytes()).hexdigest()
    assert f"weights: checkpoint {ck}" in capsys.readouterr().out
    src.blocks[6] = tool.PooledPathwayMean()
    torch.manual_seed(8)
    x = torch.randn(1, 3, 32, 24, 24)
    with torch.no_grad():
        got = torch.jit.load(str(out / "slowfast_r101_8x8.pt"))(
            [x[:, :, ::4].clone(), x.clone()])
        want = src([x[:, :, ::4].clone(), x.clone()])
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=0, atol=1e-6)

    om = StandInOmnivore()
    ck_om = tmp_path / "swinB.torch"
    torch.save({"trunk": om.trunk.state_dict(),
                "heads": om.heads.state_dict()}, ck_om)
    assert tool.main(["--out", str(out), "--checkpoint", str(ck_om),
                      "--with-head", "omnivore_image"]) == 0
    with torch.no_grad():
        y = torch.randn(2, 3, 1, 16, 16)
        got = torch.jit.load(str(out / "omnivore_image_head.pt"))(y)
        np.testing.assert_allclose(got.numpy(), om(y, "image").numpy(),
                                   rtol=0, atol=1e-6)

    bad = tmp_path / "mvit.pyth"
    torch.save({"model_state": StandInMViT(400, False).state_dict()}, bad)
    capsys.readouterr()
    assert tool.main(["--out", str(tmp_path / "bad"), "--checkpoint",
                      str(bad), "slowfast_r101_8x8"]) == 2
    err = capsys.readouterr().err
    assert "does not fit the architecture" in err and str(bad) in err
    assert not (tmp_path / "bad").exists() or not list(
        (tmp_path / "bad").iterdir())
    assert tool.main(["--out", str(out), "--checkpoint", str(ck),
                      "slowfast_r101_8x8", "mvit_k400"]) == 2
    assert tool.main(["--out", str(out), "--checkpoint",
                      str(tmp_path / "missing.pyth"),
                      "slowfast_r101_8x8"]) == 2


STANDINS = os.path.dirname(os.path.abspath(__file__))
PYTORCHVIDEO_HUB = f"""# A stand-in checkout of pytorchvideo's hub builders, for --source.
import sys
sys.path.insert(0, {STANDINS!r})
from export_standins import StandInSlowFast, StandInMViT


def _offline(pretrained):
    if pretrained:
        raise OSError("no network in this test")


def slowfast_r101(pretrained=False, **kwargs):
    _offline(pretrained)
    return StandInSlowFast()


def mvit_base_32x3(pretrained=False, **kwargs):
    _offline(pretrained)
    return StandInMViT(400, False)
"""
OMNIVORE_HUBCONF = f"""# A stand-in checkout of omnivore's torch hub entries, for --source.
import sys
sys.path.insert(0, {STANDINS!r})
from export_standins import StandInOmnivore

dependencies = ["torch"]


def omnivore_swinB(pretrained=True, **kwargs):
    if pretrained:
        raise OSError("no network in this test")
    return StandInOmnivore()
"""


def test_local_checkouts(tmp_path, clip_dir):
    """--source DIR: the model code comes from a checkout on disk (no pip
    package, no torch hub download), in a fresh interpreter."""
    pv = tmp_path / "pytorchvideo-src"
    (pv / "pytorchvideo" / "models" / "hub").mkdir(parents=True)
    for d in ("pytorchvideo", "pytorchvideo/models"):
        (pv / d / "__init__.py").write_text("")
    (pv / "pytorchvideo/models/hub/__init__.py").write_text(PYTORCHVIDEO_HUB)
    om = tmp_path / "omnivore-src"
    om.mkdir()
    (om / "hubconf.py").write_text(OMNIVORE_HUBCONF)
    out = tmp_path / "m"
    p = export(out, "--source", str(pv), "--weights", "random",
               "slowfast_r101_8x8", "mvit_k400")
    assert "weights: RANDOM" in p.stdout
    p = export(out, "--source", str(om), "--weights", "random",
               "omnivore_image")
    for name in ("slowfast_r101_8x8", "mvit_k400", "omnivore_image"):
        meta = metadata(out / f"{name}.pt")
        assert meta["weights"] == "random"
        assert meta["source"].startswith("local checkout"), meta["source"]
    # Without --weights random the stand-in would download: a clear exit 2.
    p = export(tmp_path / "n", "--source", str(pv), "slowfast_r101_8x8",
               check=2)
    assert "--checkpoint FILE or --weights random" in p.stderr
    p = export(tmp_path / "n", "--source", str(tmp_path / "nowhere"),
               "--weights", "random", "omnivore_image", check=2)
    assert "no hubconf.py" in p.stderr


def test_real_architectures_equal_python(tmp_path, clip_dir):
    """The real SlowFast R101 8x8 and MViT-B 32x3 (random weights, batch
    norms randomised), exported and run through the CLI with the
    repository's configs, equal the same nn.Module run in Python on the
    reference's transform. Needs pytorchvideo, which Debian does not
    package: skipped where it cannot be imported."""
    if importlib.util.find_spec("pytorchvideo") is None:
        pytest.skip("pytorchvideo is not installed (not a Debian package; "
                    "pip install pytorchvideo runs this test)")
    tool = load_tool()
    for name, kind, side, crop, dim in [
            ("slowfast_r101_8x8", "slowfast", 256, 256, (2304,)),
            ("mvit_k400", "video", 256, 224, (785, 768))]:
        export(tmp_path / "m", "--weights", "random", name)
        model_file = tmp_path / "m" / f"{name}.pt"
        module = tool.build_model(name, False, tool.Build("random"))[0]
        out = tmp_path / f"f_{name}"
        run_cli("extract", "--config-dir", os.path.join(SOURCE, "configs"),
                "--config-name", name, f"io.video_dir_path={clip_dir}",
                f"io.out_path={out}", f"model_config.model_path={model_file}",
                "inference_config.device=cpu", "--quiet", check=0)
        got = torch.load(out / "clip.pt").numpy()
        assert got.shape == (2, *dim), name
        want = ref.features(module, str(clip_dir / "clip.mp4"), kind, 32, 16,
                            side, crop, 4, 30, mean=[0.45] * 3,
                            std=[0.225] * 3)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)


def test_usage(tmp_path):
    p = export(tmp_path, "--list")
    for name in ("slowfast_r101_8x8", "omnivore_image", "r3d_18", "s3d",
                 "mvit_v2_s", "resnet50"):
        assert name in p.stdout
    p = export(tmp_path, "no_such_model", check=2)
    assert "unknown model" in p.stderr


def test_head_export_prints_a_command_that_runs_here(tmp_path, clip_dir):
    """--with-head r3d_18 prints the `ego4dfeat inference` command with the
    dataset arguments and a device this machine has; with DIR filled in, it
    runs as printed."""
    out = tmp_path / "m"
    p = export(out, "--with-head", "r3d_18", "--frame-window", "8",
               "--side-size", "40", "--crop-size", "32")
    cmd = [x.strip() for x in p.stdout.splitlines()
           if x.strip().startswith("ego4dfeat inference ")]
    assert len(cmd) == 1, p.stdout
    words = cmd[0].split()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    assert f"inference_config.device={device}" in words, cmd
    assert "+dataset_type=k400" in words and "+dataset_dir=DIR" in words
    assert "(DIR holds val/<class>/<video>;" in p.stdout
    cls = tmp_path / "ds" / "val" / "abseiling"
    cls.mkdir(parents=True)
    (cls / "a.mp4").write_bytes((clip_dir / "clip.mp4").read_bytes())
    args = [w.replace("DIR", str(tmp_path / "ds"))
            if w.startswith("+dataset_dir=") else w for w in words[1:]]
    r = run_cli(*args, "+num_examples=1", check=0)
    assert "expected: abseiling" in r.stdout, r.stdout + r.stderr
    assert "top-1 accuracy" in r.stdout


def test_a_missing_package_the_model_code_imports_exits_2(tmp_path):
    """pytorchvideo imports fvcore: without it the tool exits 2 naming the
    package to install, with no traceback."""
    pv = tmp_path / "src"
    (pv / "pytorchvideo" / "models" / "hub").mkdir(parents=True)
    for d in ("pytorchvideo", "pytorchvideo/models"):
        (pv / d / "__init__.py").write_text("")
    (pv / "pytorchvideo/models/hub/__init__.py").write_text(
        "import fvcore  # as pytorchvideo's own modules do\n")
    runner = ("import runpy, sys\n"
              "sys.modules['fvcore'] = None  # not installed, whatever is\n"
              f"sys.argv = ['export_models.py'] + sys.argv[1:]\n"
              f"runpy.run_path({TOOL!r}, run_name='__main__')\n")
    p = subprocess.run(["/usr/bin/python3", "-c", runner, "--out",
                        str(tmp_path / "m"), "--source", str(pv),
                        "--weights", "random", "slowfast_r101_8x8"],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 2, p.stderr
    assert "slowfast_r101_8x8: needs the Python package fvcore: pip install " \
        "fvcore" in p.stderr, p.stderr
    assert "Traceback" not in p.stderr


def test_source_given_the_package_folder_suggests_its_parent(tmp_path):
    pv = tmp_path / "checkout"
    (pv / "pytorchvideo" / "models").mkdir(parents=True)
    (pv / "pytorchvideo" / "__init__.py").write_text("")
    wrong = pv / "pytorchvideo"
    p = export(tmp_path / "m", "--source", str(wrong), "--weights", "random",
               "mvit_k400", check=2)
    assert f"{wrong}/pytorchvideo/ does not exist" in p.stderr, p.stderr
    assert f"pass --source {pv}" in p.stderr, p.stderr
    assert "pip install" not in p.stderr
    # Any other folder without the package: what DIR must hold.
    p = export(tmp_path / "m", "--source", str(tmp_path), "--weights",
               "random", "mvit_k400", check=2)
    assert f"{tmp_path}/pytorchvideo/ does not exist" in p.stderr, p.stderr
    assert "the checkout that holds pytorchvideo/" in p.stderr
