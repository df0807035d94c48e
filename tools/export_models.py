#!/usr/bin/python3
"""export_models.py - write the TorchScript models libego4dfeat runs, with a
matching config.

Usage:
  export_models.py [--out DIR] [--with-head] [--weights auto|pretrained|random]
                   [--frame-window T] [--stride S] [--side-size N]
                   [--crop-size N] NAME [NAME ...]
  export_models.py --list

For each NAME it writes DIR/NAME.pt (DIR/NAME_head.pt with --with-head: the
classifier-head variant that `ego4dfeat inference` runs, with its class names
in DIR/NAME_head.labels.txt) and DIR/NAME[_head].yaml, a config for
`ego4dfeat extract --config-dir DIR --config-name NAME`. Every .pt carries
its description in the extra file ego4dfeat.json (arch, weights
"pretrained" or "random", feature_dim, input layout, transform).

The reference's models (need the internet, and pip packages):
  slowfast_r101_8x8  SlowFast R101 8x8, K400; head -> mean of the pooled
                     pathways, 2304-d             (pip install pytorchvideo)
  mvit_k400          MViT-B 32x3, K400; head removed, tokens [785, 768]
                                                  (pip install pytorchvideo)
  mvit_imagenet      MViT-B 16, ImageNet; head removed
                                                  (pip install pytorchvideo)
  omnivore_video     Omnivore Swin-L (IN-21k), input type video; heads
                     removed, 1536-d              (pip install timm einops)
  egoexo_omnivore    the same model as omnivore_video
  omnivore_image     Omnivore Swin-B, input type image; heads removed, 1024-d
                                                  (pip install timm einops)
Offline (torchvision, already installed): r3d_18, mc3_18, r2plus1d_18, s3d,
mvit_v1_b, mvit_v2_s (video); resnet18, resnet50, swin_t, vit_b_16 (image).
Their weights are pretrained when the checkpoint is in the torch hub cache
(or --weights pretrained may download it), else random: the tool says which,
and so does the file's metadata. Random weights give features of the right
shape that mean nothing.

Exit status: 0 on success, 2 on a usage error or a missing dependency
(the message names what to pip install), 1 on any other failure.
"""
import argparse
import dataclasses
import importlib
import importlib.util
import json
import os
import sys
from typing import Callable, List

import torch
from torch import nn

KINETICS_MEAN = [0.45, 0.45, 0.45]
KINETICS_STD = [0.225, 0.225, 0.225]
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


class MissingDependency(Exception):
    """A package or network access the export needs is missing."""


@dataclasses.dataclass
class Spec:
    """What one export produces and how the library must feed it."""
    kind: str                 # video, slowfast or image
    input_layout: str         # ncthw or nchw
    frame_window: int
    stride: int
    side_size: int
    crop_size: int
    mean: List[float]
    std: List[float]
    labels: str               # "kinetics400" or "imagenet"
    arch: str = ""            # the network's own name
    slowfast_alpha: int = 4
    extra: dict = dataclasses.field(default_factory=dict)  # model_config


# ---- Feature layers --------------------------------------------------------


class PooledPathwayMean(nn.Module):
    """SlowFast's head replaced, as the reference does: the spatio-temporal
    mean of the pooled, concatenated pathways, [B, C, t, h, w] -> [B, C]."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(2).mean(2)


class FixedInputType(nn.Module):
    """Omnivore takes (images, input_type); this fixes the input type so the
    model takes one tensor, as the reference's wrapper does."""

    def __init__(self, model: nn.Module, input_type: str):
        super().__init__()
        self.model = model
        self.input_type = input_type

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x, input_type=self.input_type)


class SqueezeTime(nn.Module):
    """A 2-D model fed [B, 3, 1, H, W] (the image kind's default layout, as
    configs/mvit_imagenet.yaml gives it): drops T, as the reference's
    transform does for MViT ImageNet."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x.squeeze(2))


class FirstInputList(nn.Module):
    """Traced models with a list input: forward(List[Tensor])."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: List[torch.Tensor]) -> torch.Tensor:
        return self.model(x)


# ---- The reference's models (torch hub) ------------------------------------


def _require(modules, pip_names):
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise MissingDependency(
            f"needs the Python package(s) {', '.join(missing)}: "
            f"pip install {' '.join(pip_names)} (and internet access for "
            "the weights)")


def _hub_load(repo, model, **kwargs):
    try:
        return torch.hub.load(repo, model, **kwargs)
    except (OSError, ImportError) as e:  # URLError is an OSError
        raise MissingDependency(
            f"could not load {model} from torch hub '{repo}' ({e}); "
            "this needs internet access (or a filled torch hub cache)") from e


def _no_activation(head):
    # Heads may end with a softmax; the sanity check wants logits.
    if getattr(head, "activation", None) is not None:
        head.activation = None


def hub_slowfast(with_head):
    _require(["pytorchvideo"], ["pytorchvideo"])
    model = _hub_load("facebookresearch/pytorchvideo", "slowfast_r101",
                      pretrained=True)
    if with_head:
        _no_activation(model.blocks[6])
    else:
        model.blocks[6] = PooledPathwayMean()
    return FirstInputList(model)


def hub_mvit(pretrained_dataset):
    def make(with_head):
        _require(["pytorchvideo"], ["pytorchvideo"])
        from pytorchvideo.models.hub import vision_transformers as vt
        build = (vt.mvit_base_32x3 if pretrained_dataset == "k400"
                 else vt.mvit_base_16)
        try:
            model = build(pretrained=True)
        except OSError as e:
            raise MissingDependency(f"could not download the MViT weights "
                                    f"({e}): this needs internet access")
        if with_head:
            _no_activation(model.head)
        else:
            model.head = nn.Identity()
        return model if pretrained_dataset == "k400" else SqueezeTime(model)
    return make


def hub_omnivore(hub_name, input_type):
    def make(with_head):
        _require(["timm", "einops"], ["timm", "einops"])
        model = _hub_load("facebookresearch/omnivore:main", hub_name)
        if not with_head:
            model.heads.image = nn.Identity()
            model.heads.video = nn.Identity()
            model.heads.rgbd = nn.Identity()
        return FixedInputType(model, input_type)
    return make


OMNIVORE_VIDEO = Spec("video", "ncthw", 32, 16, 256, 224, IMAGENET_MEAN,
                      IMAGENET_STD, "kinetics400",
                      arch="omnivore_swinL_imagenet21k",
                      extra={"model_name": "omnivore_swinL_imagenet21k",
                             "input_type": "video"})
HUB = {
    "slowfast_r101_8x8": (hub_slowfast, Spec(
        "slowfast", "ncthw", 32, 16, 256, 256, KINETICS_MEAN, KINETICS_STD,
        "kinetics400", arch="slowfast_r101",
        extra={"hub_path": "slowfast_r101"})),
    "mvit_k400": (hub_mvit("k400"), Spec(
        "video", "ncthw", 32, 16, 256, 224, KINETICS_MEAN, KINETICS_STD,
        "kinetics400", arch="mvit_base_32x3",
        extra={"pretrained_dataset": "k400"})),
    "mvit_imagenet": (hub_mvit("imagenet"), Spec(
        "image", "ncthw", 1, 5, 256, 224, IMAGENET_MEAN, IMAGENET_STD,
        "imagenet", arch="mvit_base_16",
        extra={"pretrained_dataset": "imagenet"})),
    "omnivore_video": (hub_omnivore("omnivore_swinL_imagenet21k", "video"),
                       OMNIVORE_VIDEO),
    "egoexo_omnivore": (hub_omnivore("omnivore_swinL_imagenet21k", "video"),
                        OMNIVORE_VIDEO),
    "omnivore_image": (hub_omnivore("omnivore_swinB", "image"), Spec(
        "image", "ncthw", 1, 5, 256, 224, IMAGENET_MEAN, IMAGENET_STD,
        "imagenet", arch="omnivore_swinB",
        extra={"model_name": "omnivore_swinB",
                           "input_type": "image"})),
}

# ---- torchvision architectures (offline) -----------------------------------


@dataclasses.dataclass
class TvArch:
    module: str          # torchvision.models or torchvision.models.video
    weights: str         # the weights enum's name
    drop_head: Callable[[nn.Module], None]
    kind: str
    frame_window: int
    stride: int


def _fc(m):
    m.fc = nn.Identity()


def _head(m):
    m.head = nn.Identity()


def _heads(m):
    m.heads = nn.Identity()


def _s3d(m):
    # forward ends with classifier (dropout, 1x1x1 conv) then the mean over
    # time and space: without the conv it is the mean of the 1024 channels.
    m.classifier[1] = nn.Identity()


TV_VIDEO = "torchvision.models.video"
TV_IMAGE = "torchvision.models"
TORCHVISION = {
    "r3d_18": TvArch(TV_VIDEO, "R3D_18_Weights", _fc, "video", 16, 8),
    "mc3_18": TvArch(TV_VIDEO, "MC3_18_Weights", _fc, "video", 16, 8),
    "r2plus1d_18": TvArch(TV_VIDEO, "R2Plus1D_18_Weights", _fc, "video", 16,
                          8),
    "s3d": TvArch(TV_VIDEO, "S3D_Weights", _s3d, "video", 32, 16),
    "mvit_v1_b": TvArch(TV_VIDEO, "MViT_V1_B_Weights", _head, "video", 16, 8),
    "mvit_v2_s": TvArch(TV_VIDEO, "MViT_V2_S_Weights", _head, "video", 16, 8),
    "resnet18": TvArch(TV_IMAGE, "ResNet18_Weights", _fc, "image", 1, 5),
    "resnet50": TvArch(TV_IMAGE, "ResNet50_Weights", _fc, "image", 1, 5),
    "swin_t": TvArch(TV_IMAGE, "Swin_T_Weights", _head, "image", 1, 5),
    "vit_b_16": TvArch(TV_IMAGE, "ViT_B_16_Weights", _heads, "image", 1, 5),
}


def _cached_checkpoint(weights):
    return os.path.join(torch.hub.get_dir(), "checkpoints",
                        os.path.basename(weights.url))


def torchvision_model(name, with_head, mode):
    """(module, Spec, weights description, note) for a torchvision arch."""
    arch = TORCHVISION[name]
    module = importlib.import_module(arch.module)
    weights = getattr(module, arch.weights).DEFAULT
    cached = _cached_checkpoint(weights)
    if mode == "auto":
        mode = "pretrained" if os.path.exists(cached) else "random"
    if mode == "pretrained":
        try:
            model = getattr(module, name)(weights=weights)
        except OSError as e:
            raise MissingDependency(
                f"could not download {weights} ({e}); put {cached} there or "
                "pass --weights random") from e
        note = f"pretrained ({weights})"
    else:
        torch.manual_seed(0)
        model = getattr(module, name)(weights=None)
        note = (f"RANDOM (no {cached}; --weights pretrained downloads "
                f"{weights})")
    if not with_head:
        arch.drop_head(model)
    tr = weights.transforms()
    side = min(tr.resize_size)  # the library scales the short side
    crop = tr.crop_size[0]
    video = arch.kind == "video"
    spec = Spec(arch.kind, "ncthw" if video else "nchw", arch.frame_window,
                arch.stride, side, crop, list(tr.mean), list(tr.std),
                "kinetics400" if video else "imagenet", arch=name)
    return model, spec, mode, note


# ---- Export ----------------------------------------------------------------


def example_input(spec):
    t, c = spec.frame_window, spec.crop_size
    if spec.input_layout == "nchw":
        return torch.randn(2, 3, c, c)
    x = torch.randn(2, 3, t, c, c)
    if spec.kind == "slowfast":
        idx = torch.linspace(0, t - 1, t // spec.slowfast_alpha).long()
        return [torch.index_select(x, 2, idx), x]
    return x


def to_torchscript(model, x):
    """Scripted when the model allows it (any input size), else traced."""
    model = model.eval()
    try:
        return torch.jit.script(model), "scripted"
    except Exception:  # noqa: BLE001 - any scripting failure: trace instead
        with torch.no_grad():
            return torch.jit.trace(model, (x,), check_trace=False), "traced"


def category_names(kind):
    from torchvision.models import _meta
    return list(_meta._KINETICS400_CATEGORIES if kind == "kinetics400"
                else _meta._IMAGENET_CATEGORIES)


def _yaml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_yaml_value(x) for x in v) + "]"
    if isinstance(v, float):
        return repr(v)
    special = ":#{}[],&*?|>'\"%@`"
    if isinstance(v, str) and (not v or v.strip() != v or
                               any(ch in v for ch in special)):
        return json.dumps(v)
    return str(v)


def _yaml(tree, indent=0):
    lines = []
    for k, v in tree.items():
        pad = "  " * indent
        if isinstance(v, dict):
            lines.append(f"{pad}{k}:")
            lines += _yaml(v, indent + 1)
        else:
            lines.append(f"{pad}{k}: {_yaml_value(v)}")
    return lines


def config_yaml(name, model_path, spec, meta):
    """A complete config in the reference's schema for this model."""
    video = spec.frame_window > 1
    tree = {
        "fps": 30,
        "force_yes": False,
        "io": {
            "filter_completed": True, "video_dir_path": "videos",
            "ego4d_download_dir": None, "dataset_version": "ego4d",
            "uid_list": None, "video_limit": -1,
            "out_path": f"features/{name}", "out_format": "pt",
            "debug_mode": False, "debug_path": f"debug/{name}",
            "exclude_no_audio": False,
        },
        "inference_config": {
            "device": "cuda", "batch_size": 1, "num_workers": 10,
            "prefetch_factor": 2, "fps": 30,
            "frame_window": spec.frame_window, "stride": spec.stride,
            "include_audio": False, "include_video": True,
            "norm_config": {"normalize_audio": False,
                            "resample_audio_rate": 16000,
                            "resampling_method": "sinc_interpolation"},
        },
        "schedule_config": {
            "run_locally": False, "log_folder": "slurm_log/%j",
            "timeout_min": 720, "constraint": "volta",
            "slurm_partition": "pixar", "slurm_array_parallelism": 256,
            "gpus_per_node": 1, "cpus_per_task": 10,
            "overhead": 1.1 if video else 2.0,
            "time_per_forward_pass": 2.4 if video else 0.8,
            "schedule_time_per_node": 10.0,
        },
        "model_config": dict(
            model_path=model_path, kind=spec.kind,
            input_layout=spec.input_layout,
            **({"slowfast_alpha": spec.slowfast_alpha}
               if spec.kind == "slowfast" else {}),
            **spec.extra,
            side_size=spec.side_size, crop_size=spec.crop_size,
            mean=[float(v) for v in spec.mean],
            std=[float(v) for v in spec.std]),
    }
    head = ("classifier logits" if meta["head"]
            else f"{meta['feature_shape']} features")
    comment = (f"# {name}: {meta['arch']} ({meta['source']}), {head} per "
               f"window of {spec.frame_window} frames every {spec.stride}.\n"
               f"# Weights: {meta['weights']}. Written by "
               "tools/export_models.py.\n")
    return comment + "\n".join(_yaml(tree)) + "\n"


def _atomic_write(path, write):
    tmp = path + ".tmp"
    write(tmp)
    os.replace(tmp, path)


def export(name, args):
    """Exports one model; returns the lines to print."""
    with_head = args.with_head
    if name in HUB:
        make, spec = HUB[name]
        spec = dataclasses.replace(spec)
        model = make(with_head)
        weights, note, source = "pretrained", "pretrained (torch hub)", "hub"
    else:
        model, spec, weights, note = torchvision_model(name, with_head,
                                                       args.weights)
        source = "torchvision"
    for key in ("frame_window", "stride", "side_size", "crop_size"):
        if getattr(args, key) is not None:
            setattr(spec, key, getattr(args, key))
    if spec.kind == "image" and spec.frame_window != 1:
        raise ValueError("image models take --frame-window 1")

    x = example_input(spec)
    script, how = to_torchscript(model, x)
    with torch.no_grad():
        want = model.eval()(x)
        got = script(x)
    if not isinstance(got, torch.Tensor) or got.dim() < 2:
        raise RuntimeError(f"{name}: the model returns {type(got).__name__}, "
                           "not one [B, ...] tensor")
    err = float((got - want).abs().max())
    if err > 1e-4:
        raise RuntimeError(f"{name}: TorchScript output differs by {err}")

    stem = name + ("_head" if with_head else "")
    os.makedirs(args.out, exist_ok=True)
    pt = os.path.abspath(os.path.join(args.out, stem + ".pt"))
    meta = {
        "name": name, "arch": spec.arch,
        "source": f"{source} (torch {torch.__version__})",
        "weights": weights, "head": with_head, "torchscript": how,
        "output": "logits" if with_head else "features",
        "feature_shape": list(got.shape[1:]),
        "feature_dim": int(got[0].numel()),
        "kind": spec.kind, "input_layout": spec.input_layout,
        "frame_window": spec.frame_window, "stride": spec.stride,
        "side_size": spec.side_size, "crop_size": spec.crop_size,
        "mean": [float(v) for v in spec.mean],
        "std": [float(v) for v in spec.std],
    }
    lines = []
    if with_head:
        names = category_names(spec.labels)
        if len(names) == meta["feature_dim"]:
            labels = os.path.join(args.out, stem + ".labels.txt")
            _atomic_write(labels, lambda p: open(p, "w").write(
                "\n".join(names) + "\n"))
            meta["labels"] = os.path.basename(labels)
            lines.append(f"wrote {labels}: {len(names)} {spec.labels} "
                         "class names")
        else:
            lines.append(f"warning: {meta['feature_dim']} logits but "
                         f"{len(names)} {spec.labels} names: no labels file")
    _atomic_write(pt, lambda p: torch.jit.save(
        script, p, _extra_files={"ego4dfeat.json": json.dumps(meta)}))
    yaml_path = os.path.join(args.out, stem + ".yaml")
    _atomic_write(yaml_path, lambda p: open(p, "w").write(
        config_yaml(stem, pt, spec, meta)))
    lines.insert(0, f"wrote {pt}: {name}, {meta['output']} "
                    f"{meta['feature_shape']} per window, {how}, "
                    f"weights: {note}")
    lines.append(f"wrote {yaml_path}: ego4dfeat "
                 f"{'inference' if with_head else 'extract'} --config-dir "
                 f"{args.out} --config-name {stem}")
    return lines


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Export TorchScript models (and configs) for "
                    "libego4dfeat.",
        epilog="Real models: " + ", ".join(HUB) + ". Offline torchvision "
               "architectures: " + ", ".join(TORCHVISION) + ".")
    p.add_argument("names", nargs="*", metavar="NAME")
    p.add_argument("--out", default="models",
                   help="output folder (default: models)")
    p.add_argument("--with-head", action="store_true",
                   help="keep the classifier (logits, for ego4dfeat "
                        "inference) and write NAME_head.labels.txt")
    p.add_argument("--weights", choices=["auto", "pretrained", "random"],
                   default="auto",
                   help="torchvision archs: auto = pretrained if cached, "
                        "else random (default)")
    p.add_argument("--frame-window", type=int)
    p.add_argument("--stride", type=int)
    p.add_argument("--side-size", type=int)
    p.add_argument("--crop-size", type=int)
    p.add_argument("--list", action="store_true", help="list the names")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    if args.list:
        for n, (_, spec) in HUB.items():
            print(f"{n:18} {spec.kind:8} torch hub (internet)")
        for n, arch in TORCHVISION.items():
            print(f"{n:18} {arch.kind:8} torchvision (offline)")
        return 0
    if not args.names:
        print("export_models.py: give one or more names (--list shows them)",
              file=sys.stderr)
        return 2
    unknown = [n for n in args.names if n not in HUB and n not in TORCHVISION]
    if unknown:
        print(f"export_models.py: unknown model(s) {', '.join(unknown)}; "
              f"known: {', '.join(list(HUB) + list(TORCHVISION))}",
              file=sys.stderr)
        return 2
    status = 0
    for name in args.names:
        try:
            for line in export(name, args):
                print(line)
        except MissingDependency as e:
            print(f"export_models.py: {name}: {e}", file=sys.stderr)
            status = 2
        except Exception as e:  # noqa: BLE001 - report, go on with others
            print(f"export_models.py: {name}: failed: {e}", file=sys.stderr)
            status = status or 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
