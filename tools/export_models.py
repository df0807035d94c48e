#!/usr/bin/python3
"""export_models.py - write the TorchScript models libego4dfeat runs, with a
matching config.

Usage:
  export_models.py [--out DIR] [--with-head] [--weights auto|pretrained|random]
                   [--checkpoint FILE] [--source DIR]
                   [--frame-window T] [--stride S] [--side-size N]
                   [--crop-size N] NAME [NAME ...]
  export_models.py --list

For each NAME it writes DIR/NAME.pt (DIR/NAME_head.pt with --with-head: the
classifier-head variant that `ego4dfeat inference` runs, with its class names
in DIR/NAME_head.labels.txt) and DIR/NAME[_head].yaml, a config for
`ego4dfeat extract --config-dir DIR --config-name NAME`. Every .pt carries
its description in the extra file ego4dfeat.json (arch, weights
"pretrained" or "random", feature_dim, input layout, transform).

The reference's models (pip packages, and the internet for the weights
unless --weights random or --checkpoint FILE):
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

Weights: --weights pretrained downloads them (or finds them in the torch hub
cache); --weights random builds the architecture with seeded random weights
and randomised batch-norm statistics (so no residual branch is silent), for
tests and benchmarks on machines without the internet; --checkpoint FILE
loads a downloaded state dict (a pytorchvideo .pyth with "model_state", a
plain state dict, or Omnivore's {"trunk", "heads"}) into the architecture.
--source DIR takes the model code from a local checkout instead of pip or
torch hub: DIR holds the pytorchvideo/ package, or Omnivore's hubconf.py.
Compute nodes without the internet need no more than these.

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
import hashlib
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


# Import names whose pip package is called otherwise.
PIP_NAMES = {"cv2": "opencv-python", "PIL": "pillow",
             "sklearn": "scikit-learn", "yaml": "pyyaml"}


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
            f"pip install {' '.join(pip_names)}, or --source DIR with a "
            "local checkout")


@dataclasses.dataclass
class Build:
    """How the architecture is built: which weights, from which code."""
    weights: str          # auto, pretrained, random or checkpoint
    checkpoint: str = ""  # a state-dict file, for weights == checkpoint
    source: str = ""      # a local checkout of the model code, or ""


def _use_source(build):
    """Makes a local checkout importable ahead of any installed copy."""
    if build.source:
        path = os.path.abspath(build.source)
        if not os.path.isdir(path):
            raise ValueError(f"--source {build.source}: not a folder")
        if path not in sys.path:
            sys.path.insert(0, path)
        importlib.invalidate_caches()


def _state_dict(checkpoint, key=None):
    """The tensors of a checkpoint file: pytorchvideo's .pyth keep them
    under "model_state", other trainers under "state_dict" or "model"."""
    try:
        ck = torch.load(checkpoint, map_location="cpu")
    except (OSError, RuntimeError, EOFError) as e:
        raise ValueError(f"--checkpoint {checkpoint}: cannot read it ({e})")
    if key is not None:
        if not isinstance(ck, dict) or key not in ck:
            raise ValueError(f"--checkpoint {checkpoint}: no '{key}' entry")
        return ck[key]
    if isinstance(ck, dict):
        for k in ("model_state", "state_dict", "model"):
            if isinstance(ck.get(k), dict):
                return ck[k]
        return ck
    raise ValueError(f"--checkpoint {checkpoint}: not a state dict")


def _load_weights(model, state, checkpoint):
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(
            f"--checkpoint {checkpoint} does not fit the architecture: "
            f"{len(missing)} missing key(s) {missing[:3]}, "
            f"{len(unexpected)} unexpected {unexpected[:3]}")


def randomize_batch_norms(model, seed=0):
    """Random weights alone leave pytorchvideo's residual branches silent
    (each block's last batch norm starts at weight 0) and every running
    statistic at mean 0 / variance 1; randomising them makes the exported
    network compute something that tests can tell apart."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                n = m.num_features
                if m.affine:
                    m.weight.copy_(torch.rand(n, generator=g) + 0.5)
                    m.bias.copy_((torch.rand(n, generator=g) - 0.5) * 0.2)
                if m.track_running_stats:
                    m.running_mean.copy_((torch.rand(n, generator=g) - 0.5)
                                         * 0.2)
                    m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
    return model


def _no_activation(head):
    # Heads may end with a softmax; the sanity check wants logits.
    if getattr(head, "activation", None) is not None:
        head.activation = None


def _check_pytorchvideo_source(source):
    """--source must hold the pytorchvideo/ package; DIR/pytorchvideo (the
    package itself, a likely mistake) is answered with its parent."""
    path = os.path.abspath(source)
    if not os.path.isdir(path) or os.path.isdir(os.path.join(path,
                                                              "pytorchvideo")):
        return  # _use_source says "not a folder"; or it is right
    shown = source.rstrip("/")
    parent = os.path.dirname(shown) or "."
    hint = (f"; {shown} looks like the package itself: pass --source "
            f"{parent}" if os.path.basename(path) == "pytorchvideo"
            else "; DIR is the checkout that holds pytorchvideo/")
    raise ValueError(f"--source {source}: {shown}/pytorchvideo/ does not "
                     f"exist{hint}")


def _pytorchvideo(builder, build):
    """Builds a pytorchvideo hub model from the importable package (no
    torch hub download of the repository) with the weights asked for."""
    if build.source:
        _check_pytorchvideo_source(build.source)
    _use_source(build)
    _require(["pytorchvideo"], ["pytorchvideo"])
    hub = importlib.import_module("pytorchvideo.models.hub")
    make = getattr(hub, builder, None)
    if make is None:
        make = getattr(importlib.import_module(
            "pytorchvideo.models.hub.vision_transformers"), builder)
    if build.weights != "pretrained":
        torch.manual_seed(0)
    try:
        model = make(pretrained=build.weights == "pretrained")
    except OSError as e:  # URLError is an OSError
        raise MissingDependency(
            f"could not download the {builder} weights ({e}): this needs "
            "internet access; offline, pass --checkpoint FILE or --weights "
            "random") from e
    if build.weights == "checkpoint":
        _load_weights(model, _state_dict(build.checkpoint), build.checkpoint)
    elif build.weights == "random":
        randomize_batch_norms(model)
    return model


def hub_slowfast(with_head, build):
    model = _pytorchvideo("slowfast_r101", build)
    if with_head:
        _no_activation(model.blocks[6])
    else:
        model.blocks[6] = PooledPathwayMean()
    return FirstInputList(model)


def hub_mvit(pretrained_dataset):
    def make(with_head, build):
        model = _pytorchvideo("mvit_base_32x3" if pretrained_dataset == "k400"
                              else "mvit_base_16", build)
        if with_head:
            _no_activation(model.head)
        else:
            model.head = nn.Identity()
        return model if pretrained_dataset == "k400" else SqueezeTime(model)
    return make


def _omnivore_repo(hub_name, build):
    """Omnivore from its torch hub entry: a local checkout (--source, holds
    hubconf.py) or GitHub through torch hub's cache."""
    pretrained = build.weights == "pretrained"
    if build.source:
        if not os.path.isfile(os.path.join(build.source, "hubconf.py")):
            raise ValueError(f"--source {build.source}: no hubconf.py (a "
                             "checkout of the omnivore repository)")
        return torch.hub.load(os.path.abspath(build.source), hub_name,
                              source="local", pretrained=pretrained)
    _require(["timm", "einops"], ["timm", "einops"])
    try:
        return torch.hub.load("facebookresearch/omnivore:main", hub_name,
                              pretrained=pretrained, trust_repo=True,
                              skip_validation=True)
    except (OSError, ImportError) as e:  # URLError is an OSError
        raise MissingDependency(
            f"could not load {hub_name} from torch hub ({e}); this needs "
            "internet access or a filled torch hub cache; offline, pass "
            "--source DIR with a checkout of the omnivore repository") from e


def hub_omnivore(hub_name, input_type):
    def make(with_head, build):
        if build.weights != "pretrained":
            torch.manual_seed(0)
        model = _omnivore_repo(hub_name, build)
        if build.weights == "checkpoint":
            _load_weights(model.trunk, _state_dict(build.checkpoint, "trunk"),
                          build.checkpoint)
            if with_head:
                _load_weights(model.heads,
                              _state_dict(build.checkpoint, "heads"),
                              build.checkpoint)
        elif build.weights == "random":
            randomize_batch_norms(model)
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


def torchvision_model(name, with_head, build):
    """(module, Spec, weights word, note) for a torchvision arch."""
    arch = TORCHVISION[name]
    module = importlib.import_module(arch.module)
    weights = getattr(module, arch.weights).DEFAULT
    cached = _cached_checkpoint(weights)
    mode = build.weights
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
    elif mode == "checkpoint":
        model = getattr(module, name)(weights=None)
        _load_weights(model, _state_dict(build.checkpoint), build.checkpoint)
        note = f"checkpoint {build.checkpoint}"
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


# ---- CTC speech models (torchaudio, offline; the asr kind) -----------------
# Self-contained: export_asr() writes NAME.pt with its label list as the
# extra file ctc_labels.json (lib/model/ctc.h) and NAME.yaml, a config with
# configs/audio_asr.yaml's windows.

# torchaudio's English character set (the LibriSpeech fine-tuned bundles):
# the CTC blank "-", the word separator "|", then letters and "'".
ASR_EN_LABELS = ["-", "|", "E", "T", "A", "O", "N", "I", "H", "S", "R", "D",
                 "L", "U", "M", "W", "C", "F", "G", "Y", "P", "B", "V", "K",
                 "'", "X", "J", "Q", "Z"]


class CTCEmissions(nn.Module):
    """torchaudio's Wav2Vec2Model returns (emissions, lengths); the library
    takes one [B, frames, vocab] tensor from a [B, samples] waveform. The
    wrapper runs the model's three stages itself, as its forward does for
    lengths None: scripted, Wav2Vec2Model.forward's Optional lengths make
    torch 1.13's profiling executor fail an internal assert on the second
    call under no_grad or inference_mode (jit_type_base.h:547)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        if model.aux is None:
            raise ValueError("the model has no CTC output layer (aux)")
        self.model = model

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        x, _ = self.model.feature_extractor(waveforms, None)
        x = self.model.encoder(x, None)
        return self.model.aux(x)


def _asr_tiny(num_out):
    """wav2vec 2.0 with its layout (7 convolutions, 320x downsampling, 20 ms
    frames) but small widths: for tests and benchmarks, not for speech."""
    from torchaudio.models import wav2vec2_model
    return wav2vec2_model(
        extractor_mode="group_norm",
        extractor_conv_layer_config=[(32, 10, 5)] + [(32, 3, 2)] * 4 +
        [(32, 2, 2)] * 2,
        extractor_conv_bias=False, encoder_embed_dim=48,
        encoder_projection_dropout=0.0, encoder_pos_conv_kernel=16,
        encoder_pos_conv_groups=4, encoder_num_layers=2, encoder_num_heads=4,
        encoder_attention_dropout=0.0, encoder_ff_interm_features=96,
        encoder_ff_interm_dropout=0.0, encoder_dropout=0.0,
        encoder_layer_norm_first=False, encoder_layer_drop=0.0,
        aux_num_out=num_out)


def _asr_torchaudio(builder):
    def make(num_out):
        models = importlib.import_module("torchaudio.models")
        return getattr(models, builder)(aux_num_out=num_out)
    return make


# name -> (builder(num_out), torchaudio bundle with pretrained weights or "",
#          the architecture's name)
ASR = {
    "wav2vec2_base_asr": (_asr_torchaudio("wav2vec2_base"),
                          "WAV2VEC2_ASR_BASE_960H", "wav2vec2_base"),
    "hubert_base_asr": (_asr_torchaudio("hubert_base"), "", "hubert_base"),
    "wav2vec2_tiny_asr": (_asr_tiny, "", "wav2vec2 (tiny widths)"),
}
# fairseq's dictionary rows 1-3 (<pad>, </s>, <unk>) that its CTC
# checkpoints carry in the output layer and never emit; torchaudio's
# bundles drop them the same way.
ASR_FAIRSEQ_EXTRA_ROWS = (1, 2, 3)


def asr_labels(path):
    """The label list: one label per line of path (the first is the CTC
    blank; "|", if present, the word separator), or the English set."""
    if not path:
        labels = list(ASR_EN_LABELS)
    else:
        try:
            with open(path, encoding="utf-8") as f:
                labels = [line.rstrip("\n") for line in f if line != "\n"]
        except (OSError, UnicodeDecodeError) as e:
            raise ValueError(f"--labels {path}: cannot read it ({e})")
        if len(labels) < 2 or any(not l for l in labels):
            raise ValueError(f"--labels {path}: needs at least 2 non-empty "
                             "labels, one per line, the blank first")
        if len(set(labels)) != len(labels):
            raise ValueError(f"--labels {path}: a label appears twice")
    return {"labels": labels, "blank": 0,
            "word_separator": "|" if "|" in labels else None}


def _asr_checkpoint(model, path, n_labels):
    state = _state_dict(path)
    w = state.get("aux.weight")
    if w is not None and w.shape[0] == n_labels + len(ASR_FAIRSEQ_EXTRA_ROWS):
        keep = [i for i in range(w.shape[0])
                if i not in ASR_FAIRSEQ_EXTRA_ROWS]
        for k in ("aux.weight", "aux.bias"):
            if k in state:
                state[k] = state[k][keep]
    elif w is not None and w.shape[0] != n_labels:
        raise ValueError(f"--checkpoint {path}: its output layer has "
                         f"{w.shape[0]} classes but the label list "
                         f"{n_labels}; pass --labels FILE")
    _load_weights(model, state, path)


def build_asr(name, build, labels):
    """(CTCEmissions module in eval mode, weights word, note) for NAME."""
    make, bundle, _ = ASR[name]
    n = len(labels["labels"])
    mode = build.weights
    if mode == "auto":
        mode = "random"
    if mode == "pretrained":
        if not bundle:
            raise ValueError("torchaudio has no pretrained ASR weights for "
                             "it; pass --checkpoint FILE or --weights random")
        if labels["labels"] != ASR_EN_LABELS:
            raise ValueError("the pretrained weights go with the English "
                             "labels; leave --labels out")
        pipelines = importlib.import_module("torchaudio.pipelines")
        try:
            model = getattr(pipelines, bundle).get_model()
        except OSError as e:  # URLError is an OSError
            raise MissingDependency(
                f"could not download the {bundle} weights ({e}); offline, "
                "pass --checkpoint FILE or --weights random") from e
        note = f"pretrained (torchaudio {bundle})"
    else:
        torch.manual_seed(0)
        model = make(n)
        if mode == "checkpoint":
            _asr_checkpoint(model, build.checkpoint, n)
            note = f"checkpoint {build.checkpoint}"
        else:
            note = "RANDOM (--weights random)"
    return CTCEmissions(model).eval(), mode, note


def io_section(name, out_format, exclude_no_audio):
    """The io: section every exported config shares, in the reference's
    schema: videos from ./videos, features/<name>, debug/<name>."""
    return {
        "filter_completed": True, "video_dir_path": "videos",
        "ego4d_download_dir": None, "dataset_version": "ego4d",
        "uid_list": None, "video_limit": -1,
        "out_path": f"features/{name}", "out_format": out_format,
        "debug_mode": False, "debug_path": f"debug/{name}",
        "exclude_no_audio": exclude_no_audio,
    }


def asr_config_yaml(name, model_path, meta):
    tree = {
        "fps": 30, "force_yes": False,
        "model_module_str": "ego4d.features.models.speechbrain_asr",
        "io": io_section(name, "transcript", exclude_no_audio=True),
        "inference_config": {
            "device": "cuda", "batch_size": 1, "num_workers": 10,
            "prefetch_factor": 2, "fps": 30, "frame_window": 150,
            "stride": 150, "include_audio": True, "include_video": False,
            "norm_config": {"normalize_audio": False,
                            "resample_audio_rate": 16000,
                            "resampling_method": "sinc_interpolation"},
        },
        "schedule_config": {
            "run_locally": False, "log_folder": "slurm_log/%j",
            "timeout_min": 720, "constraint": "volta",
            "slurm_partition": "pixar", "slurm_array_parallelism": 10,
            "gpus_per_node": 1, "cpus_per_task": 10, "overhead": 1.0,
            "time_per_forward_pass": 0.1, "schedule_time_per_node": 10.0,
        },
        "model_config": {"model_path": model_path, "kind": "asr"},
    }
    comment = (f"# {name}: {meta['arch']} CTC speech model, "
               f"{meta['vocab']} labels, one transcript line per 5 s "
               f"window.\n# Weights: {meta['weights']}. Written by "
               "tools/export_models.py.\n")
    return comment + "\n".join(_yaml(tree)) + "\n"


def export_asr(name, args):
    """Exports one CTC speech model; returns the lines to print."""
    labels = asr_labels(getattr(args, "labels", None))
    model, weights, note = build_asr(name, build_for(args), labels)
    script = torch.jit.script(model)
    x = torch.randn(2, 16000)
    with torch.no_grad():
        want = model(x)
        got = script(x)
    if got.dim() != 3 or got.shape[0] != 2 or \
            got.shape[2] != len(labels["labels"]):
        raise RuntimeError(f"emissions {list(got.shape)}, not "
                           f"[2, frames, {len(labels['labels'])}]")
    err = float((got - want).abs().max())
    if err > 1e-4:
        raise RuntimeError(f"TorchScript output differs by {err}")
    os.makedirs(args.out, exist_ok=True)
    pt = os.path.abspath(os.path.join(args.out, name + ".pt"))
    meta = {
        "name": name, "arch": ASR[name][2],
        "source": f"torchaudio (torch {torch.__version__})",
        "weights": weights, "head": False, "torchscript": "scripted",
        **({"checkpoint": os.path.basename(build_for(args).checkpoint),
            "checkpoint_sha256": _sha256(build_for(args).checkpoint)}
           if weights == "checkpoint" else {}),
        "output": "ctc emissions", "kind": "asr",
        "vocab": len(labels["labels"]), "sample_rate": 16000,
        "frames_per_second": 50,
    }
    _atomic_write(pt, lambda p: torch.jit.save(script, p, _extra_files={
        "ego4dfeat.json": json.dumps(meta),
        "ctc_labels.json": json.dumps(labels)}))
    yaml_path = os.path.join(args.out, name + ".yaml")
    _atomic_write(yaml_path, lambda p: open(p, "w").write(
        asr_config_yaml(name, pt, meta)))
    return [f"wrote {pt}: {name}, CTC emissions [frames, "
            f"{meta['vocab']}] per window, {len(labels['labels'])} labels in "
            f"ctc_labels.json, weights: {note}",
            f"wrote {yaml_path}: ego4dfeat extract --config-dir {args.out} "
            f"--config-name {name}"]


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
        "io": io_section(name, "pt", exclude_no_audio=False),
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


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build_for(args):
    """The weights the command line asks for, as a Build."""
    if args.checkpoint:
        if not os.path.isfile(args.checkpoint):
            raise ValueError(f"--checkpoint {args.checkpoint}: no such file")
        return Build("checkpoint", args.checkpoint, args.source or "")
    return Build(args.weights, source=args.source or "")


def build_model(name, with_head, build):
    """(nn.Module in eval mode, Spec, weights word, note, source) for one
    NAME: the module the export traces or scripts, and that tests run in
    Python to compare with the library."""
    if name in HUB:
        make, spec = HUB[name]
        spec = dataclasses.replace(spec)
        if build.weights == "auto":  # no offline default for these
            build = dataclasses.replace(build, weights="pretrained")
        model = make(with_head, build)
        source = "local checkout" if build.source else "hub"
        weights = build.weights
        note = {"pretrained": "pretrained (downloaded or torch hub cache)",
                "random": "RANDOM (--weights random; batch norms "
                          "randomised)",
                "checkpoint": f"checkpoint {build.checkpoint}"}[weights]
    else:
        model, spec, weights, note = torchvision_model(name, with_head, build)
        source = "torchvision"
    return model.eval(), spec, weights, note, source


def fresh(x):
    """A copy of the example input for one call. Models may write into
    their input: pytorchvideo's fusion (MultiPathWayWithFuse, inplace)
    replaces the slow tensor in the list it is given, so reusing one list
    feeds the next call the fused tensor."""
    return [t.clone() for t in x] if isinstance(x, list) else x.clone()


def export(name, args):
    """Exports one model; returns the lines to print."""
    with_head = args.with_head
    build = build_for(args)
    model, spec, weights, note, source = build_model(name, with_head, build)
    for key in ("frame_window", "stride", "side_size", "crop_size"):
        if getattr(args, key) is not None:
            setattr(spec, key, getattr(args, key))
    if spec.kind == "image" and spec.frame_window != 1:
        raise ValueError("image models take --frame-window 1")

    x = example_input(spec)
    script, how = to_torchscript(model, fresh(x))
    with torch.no_grad():
        want = model(fresh(x))
        got = script(fresh(x))
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
        **({"checkpoint": os.path.basename(build.checkpoint),
            "checkpoint_sha256": _sha256(build.checkpoint)}
           if weights == "checkpoint" else {}),
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
    if with_head:
        lines += inference_command(args.out, stem, spec, yaml_path)
    else:
        lines.append(f"wrote {yaml_path}: ego4dfeat extract --config-dir "
                     f"{args.out} --config-name {stem}")
    return lines


def inference_command(out, stem, spec, yaml_path):
    """The lines naming the head config and the `ego4dfeat inference`
    command that runs it here: on the CPU unless this machine has CUDA
    (the config says cuda, as the reference's do), with the dataset
    arguments the sanity check needs."""
    dataset = "k400" if spec.labels == "kinetics400" else "imagenet"
    device = "cuda" if torch.cuda.is_available() else "cpu"
    layout = ("val/<class>/<video>" if dataset == "k400"
              else "val/<wnid>/<image>")
    return [f"wrote {yaml_path}: for ego4dfeat inference, e.g.",
            f"  ego4dfeat inference --config-dir {out} --config-name {stem} "
            f"inference_config.device={device} +dataset_type={dataset} "
            f"+dataset_dir=DIR",
            f"  (DIR holds {layout}; +num_examples=N +top_k=K +seed=S "
            "choose the examples)"]


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
                   help="auto (default): the reference's models pretrained, "
                        "torchvision archs pretrained if cached else random; "
                        "random: seeded random weights, no download")
    p.add_argument("--checkpoint", metavar="FILE",
                   help="load the weights from this state-dict file "
                        "(one NAME only)")
    p.add_argument("--source", metavar="DIR",
                   help="take the model code from a local checkout of "
                        "pytorchvideo (DIR/pytorchvideo) or omnivore "
                        "(DIR/hubconf.py) instead of pip / torch hub")
    p.add_argument("--frame-window", type=int)
    p.add_argument("--stride", type=int)
    p.add_argument("--side-size", type=int)
    p.add_argument("--crop-size", type=int)
    p.add_argument("--labels", metavar="FILE",
                   help="CTC speech models: the label list, one per line, "
                        "the blank first (default: torchaudio's English "
                        "characters)")
    p.add_argument("--list", action="store_true", help="list the names")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    if args.list:
        for n, (_, spec) in HUB.items():
            print(f"{n:18} {spec.kind:8} torch hub (internet)")
        for n, arch in TORCHVISION.items():
            print(f"{n:18} {arch.kind:8} torchvision (offline)")
        for n in ASR:
            print(f"{n:18} {'asr':8} torchaudio (offline)")
        return 0
    if not args.names:
        print("export_models.py: give one or more names (--list shows them)",
              file=sys.stderr)
        return 2
    unknown = [n for n in args.names
               if n not in HUB and n not in TORCHVISION and n not in ASR]
    if unknown:
        print(f"export_models.py: unknown model(s) {', '.join(unknown)}; "
              f"known: {', '.join(list(HUB) + list(TORCHVISION) + list(ASR))}",
              file=sys.stderr)
        return 2
    if args.checkpoint and (len(args.names) != 1 or args.weights == "random"):
        print("export_models.py: --checkpoint takes exactly one NAME and "
              "no --weights random", file=sys.stderr)
        return 2
    status = 0
    for name in args.names:
        try:
            for line in (export_asr if name in ASR else export)(name, args):
                print(line)
        except ModuleNotFoundError as e:
            # A package the model code imports in turn (pytorchvideo needs
            # fvcore, Omnivore timm): what to install, not a traceback.
            missing = (e.name or str(e)).split(".")[0]
            print(f"export_models.py: {name}: needs the Python package "
                  f"{missing}: pip install {PIP_NAMES.get(missing, missing)}",
                  file=sys.stderr)
            status = 2
        except MissingDependency as e:
            print(f"export_models.py: {name}: {e}", file=sys.stderr)
            status = 2
        except ValueError as e:  # a bad --checkpoint, --source or size
            print(f"export_models.py: {name}: {e}", file=sys.stderr)
            status = 2
        except Exception as e:  # noqa: BLE001 - report, go on with others
            print(f"export_models.py: {name}: failed: {e}", file=sys.stderr)
            status = status or 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
