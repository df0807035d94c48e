#!/usr/bin/python3
"""How much ImageNet inference's preprocessing changes a classifier's top-1.

`ego4dfeat inference +dataset_type=imagenet` feeds each image through the
config's transform (docs/semantics.md, "Video transform": normalise,
torch bilinear short-side scale to side_size without antialiasing, centre
crop to crop_size; 256 -> 224 in configs/omnivore_image.yaml). The
reference's ImageNet check instead runs torchvision's Resize(224) (PIL
bilinear, antialiased when downscaling), CenterCrop(224), ToTensor and
Normalize on the PIL image. This script generates an image set, runs a
torchvision classifier on both inputs and prints the top-1 agreement and
the differences of the input tensors and logits. It prints figures; it
asserts nothing.

Usage: /usr/bin/python3 bench/imagenet_preprocess.py [N_IMAGES] [SEED]
"""
import math
import os
import sys
import time

import numpy as np
import torch
import torchvision
import torchvision.transforms as T
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "reference"))
import reference_pipeline as ref  # noqa: E402

SIDE, CROP = 256, 224
SIZES = [(500, 375), (375, 500), (640, 480), (1024, 683), (300, 300),
         (800, 240), (240, 800), (257, 256), (333, 1000), (1600, 1200),
         (230, 224), (480, 640)]


def make_image(rng, w, h):
    """uint8 [h, w, 3] with structure at several scales: a random colour
    gradient, random filled discs and rectangles, stripes and noise."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.zeros((h, w, 3), np.float32)
    c0, c1 = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    ang = rng.uniform(0, 2 * math.pi)
    t = (np.cos(ang) * xx / w + np.sin(ang) * yy / h + 1) / 2
    img += c0 * (1 - t[..., None]) + c1 * t[..., None]
    for _ in range(rng.integers(2, 8)):
        colour = rng.uniform(0, 255, 3)
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        r = rng.uniform(0.03, 0.3) * min(w, h)
        if rng.random() < 0.5:
            mask = (xx - cx) ** 2 + (yy - cy) ** 2 < r * r
        else:
            mask = (abs(xx - cx) < r) & (abs(yy - cy) < r * rng.uniform(.3, 2))
        img[mask] = colour
    period = rng.uniform(2, 40)
    stripes = (np.sin(2 * math.pi * (xx + yy * rng.uniform(-1, 1)) / period)
               > 0)
    img += stripes[..., None] * rng.uniform(-60, 60, 3)
    img += rng.normal(0, rng.uniform(0, 30), img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def config_input(rgb):
    """The inference command's model input: the config's transform
    (tests/integration/test_inference.py checks the CLI against it)."""
    return ref.transform(rgb[None], SIDE, CROP, ref.IMAGENET_MEAN,
                         ref.IMAGENET_STD)[:, 0]


REFERENCE = T.Compose([T.Resize(CROP), T.CenterCrop(CROP), T.ToTensor(),
                       T.Normalize(mean=ref.IMAGENET_MEAN,
                                   std=ref.IMAGENET_STD)])


def reference_input(rgb):
    return REFERENCE(Image.fromarray(rgb).convert("RGB"))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    rng = np.random.default_rng(seed)
    t0 = time.time()
    ours, theirs = [], []
    for i in range(n):
        w, h = SIZES[i % len(SIZES)]
        rgb = make_image(rng, w, h)
        ours.append(config_input(rgb))
        theirs.append(reference_input(rgb))
    ours, theirs = torch.stack(ours), torch.stack(theirs)
    d = (ours - theirs).abs()
    print(f"images: {n} generated, {len(SIZES)} sizes from "
          f"{min(min(s) for s in SIZES)} to {max(max(s) for s in SIZES)} px "
          f"(seed {seed}, {time.time() - t0:.1f} s)")
    print(f"input tensor |config - reference|: max {d.max():.4f}, "
          f"mean {d.mean():.4f} (normalised units; 1/255/0.229 = "
          f"{1 / 255 / 0.229:.4f})")
    # The two differences separately: the field of view (the config keeps
    # the centre 224/256 of the short side, the reference all of it) and
    # the filter (torch bilinear without antialiasing vs PIL's
    # antialiased triangle filter, rounded to 8 bits before ToTensor).
    rng = np.random.default_rng(seed)
    same_view = torch.stack([
        ref.transform(make_image(rng, *SIZES[i % len(SIZES)])[None], CROP,
                      CROP, ref.IMAGENET_MEAN, ref.IMAGENET_STD)[:, 0]
        for i in range(n)])
    dv = (same_view - theirs).abs()
    print(f"filter alone (torch bilinear to {CROP}, crop {CROP}) vs "
          f"reference: max {dv.max():.4f}, mean {dv.mean():.4f}")
    # Random weights (no pretrained weights are installed). Kaiming-
    # initialised networks with batch norm in eval mode give almost the
    # same argmax for every image, so each model is also read through a
    # fixed affine head that standardises each class's logit with its mean
    # and std over the reference inputs of the set ("standardised"): its
    # top-1 spreads over many classes and depends on the image.
    for name in ("resnet18", "alexnet", "squeezenet1_1"):
        torch.manual_seed(seed)
        model = getattr(torchvision.models, name)(weights=None).eval()
        with torch.no_grad():
            lo = torch.cat([model(ours[i:i + 25]) for i in range(0, n, 25)])
            lt = torch.cat([model(theirs[i:i + 25])
                            for i in range(0, n, 25)])
            lv = torch.cat([model(same_view[i:i + 25])
                            for i in range(0, n, 25)])
        report(name, seed, n, lo, lt)
        # Classes whose logit never moves over the set (dead ReLU paths)
        # are left out of the standardised head rather than divided by ~0.
        mu, sd = lt.mean(0), lt.std(0)
        live = sd > 1e-6
        head = f" standardised ({int(live.sum())} live classes)"
        report(name + head, seed, n, ((lo - mu) / sd)[:, live],
               ((lt - mu) / sd)[:, live])
        report(name + head + ", filter alone", seed, n,
               ((lv - mu) / sd)[:, live], ((lt - mu) / sd)[:, live])


def report(name, seed, n, lo, lt):
    """Prints the top-1 agreement of config (lo) and reference (lt)
    logits [n, classes]."""
    top_o, top_t = lo.argmax(1), lt.argmax(1)
    top5_t = lt.topk(5, 1).indices
    in5 = (top5_t == top_o[:, None]).any(1).float().mean()
    dl = (lo - lt).abs()
    spread = lt.std(1).mean()
    print(f"{name} (random weights, torch.manual_seed({seed})): "
          f"distinct top-1 classes {len(set(top_t.tolist()))} "
          f"(reference input) / {len(set(top_o.tolist()))} (config); "
          f"top-1 agreement {(top_o == top_t).float().mean():.3f} "
          f"({int((top_o == top_t).sum())}/{n}); config top-1 in "
          f"reference top-5 {in5:.3f}; logits |diff| max {dl.max():.4f}"
          f" mean {dl.mean():.4f} (logit std per image {spread:.4f})")


if __name__ == "__main__":
    main()
