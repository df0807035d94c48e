#!/usr/bin/python3
"""The reference pipeline's arithmetic, written with torch/av as the Ego4D
Python code does it (docs/semantics.md), to check libego4dfeat against.

Run with Debian's /usr/bin/python3 (torch, torchvision, av, numpy).

Command line uses (for the C unit tests):
  reference_pipeline.py transform IN.raw H W SIDE CROP MEAN0,1,2 STD0,1,2 OUT.raw [MODE]
      IN.raw: H*W*3 uint8 RGB; OUT.raw: float32 [3, CROP, CROP]
  reference_pipeline.py slow_indices T ALPHA
  reference_pipeline.py frames VIDEO FPS OUT.npy
      the sampled RGB frames [N, H, W, 3] uint8
  reference_pipeline.py features MODEL VIDEO KIND W S SIDE CROP ALPHA FPS OUT.npy
"""
import fractions
import math
import sys

import av
import numpy as np
import torch
import torch.nn.functional as F

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def window_count(frames, window, stride):
    n = frames - window
    if n < 0:
        return 1
    return n // stride + 1 + (1 if n % stride != 0 else 0)


def window_starts(frames, window, stride):
    starts = []
    for i in range(window_count(frames, window, stride)):
        s = i * stride
        if s + window > frames:
            s = frames - window
        starts.append(max(s, 0))
    return starts


def sample_frames(path, fps):
    """Frame k is the last frame whose time from the stream start is
    <= k / fps, for k / fps < the stream's duration (exact rationals)."""
    fps = fractions.Fraction(fps).limit_denominator(1001)
    with av.open(path) as c:
        st = c.streams.video[0]
        tb = st.time_base
        start = st.start_time
        decoded = []
        for fr in c.decode(st):
            pts = fr.pts if fr.pts is not None else fr.dts
            decoded.append((pts, fr.to_ndarray(format="rgb24")))
        if start is None:
            start = decoded[0][0]
        if st.duration is not None:
            duration = st.duration * tb
        elif c.duration is not None:
            duration = fractions.Fraction(c.duration, av.time_base)
        else:
            duration = (decoded[-1][0] - start) * tb + 1 / fps
    times = [(p - start) * tb for p, _ in decoded]
    out, j, k = [], 0, 0
    while fractions.Fraction(k) / fps < duration:
        t = fractions.Fraction(k) / fps
        while j + 1 < len(decoded) and times[j + 1] <= t:
            j += 1
        out.append(decoded[j][1])
        k += 1
    return np.stack(out)


def transform(frames, side, crop, mean, std, mode="bilinear"):
    """frames: uint8 [T, H, W, 3] -> float32 [3, T, crop, crop], the
    reference's order: /255, normalise, short-side scale, centre crop."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).permute(3, 0, 1, 2)
    x = x.float() / 255.0
    m = torch.tensor(mean, dtype=torch.float32)[:, None, None, None]
    s = torch.tensor(std, dtype=torch.float32)[:, None, None, None]
    x = (x - m) / s
    c, t, h, w = x.shape
    if w < h:
        nh, nw = int(math.floor((float(h) / w) * side)), side
    else:
        nh, nw = side, int(math.floor((float(w) / h) * side))
    x = F.interpolate(x, size=(nh, nw), mode=mode, align_corners=False)
    top = int(round((nh - crop) / 2.0))
    left = int(round((nw - crop) / 2.0))
    return x[:, :, top:top + crop, left:left + crop].contiguous()


def slow_indices(t, alpha):
    return torch.linspace(0, t - 1, t // alpha).long()


def pack(kind, x, alpha):
    """x: [B, 3, T, H, W] -> the model's inputs."""
    if kind == "slowfast":
        slow = torch.index_select(x, 2, slow_indices(x.shape[2], alpha))
        return ([slow, x],)
    return (x,)


def features(model_path, video, kind, window, stride, side, crop, alpha, fps,
             mean=IMAGENET_MEAN, std=IMAGENET_STD, stereo=False):
    frames = sample_frames(video, fps)
    if stereo:  # keep the left half of each frame
        frames = frames[:, :, : frames.shape[2] // 2]
    # A path, or the nn.Module itself (the export tests run the Python
    # module the TorchScript file was made from).
    model = (model_path.eval() if isinstance(model_path, torch.nn.Module)
             else torch.jit.load(model_path).eval())
    rows = []
    with torch.no_grad():
        for s in window_starts(len(frames), window, stride):
            idx = [min(s + t, len(frames) - 1) for t in range(window)]
            x = transform(frames[idx], side, crop, mean, std).unsqueeze(0)
            rows.append(model(*pack(kind, x, alpha))[0])
    return torch.stack(rows).numpy()


def main(argv):
    cmd = argv[1]
    if cmd == "transform":
        _, _, inp, h, w, side, crop, mean, std, out, *mode = argv
        h, w, side, crop = int(h), int(w), int(side), int(crop)
        img = np.fromfile(inp, dtype=np.uint8).reshape(1, h, w, 3)
        img = np.concatenate([img, img])  # T = 2, as in a video window
        mean = [float(v) for v in mean.split(",")]
        std = [float(v) for v in std.split(",")]
        y = transform(img, side, crop, mean, std, *mode)[:, 0]
        y.numpy().astype(np.float32).tofile(out)
    elif cmd == "slow_indices":
        print(" ".join(str(int(v)) for v in slow_indices(int(argv[2]),
                                                          int(argv[3]))))
    elif cmd == "slow_indices_table":
        # The cases test_model_kinds.c asks for, in its order.
        for t in [8, 16, 32, 33, 64, 66, 100, 128, 250]:
            for alpha in [2, 4, 8]:
                idx = " ".join(str(int(v)) for v in slow_indices(t, alpha))
                print(f"{t} {alpha}: {idx}")
    elif cmd == "frames":
        np.save(argv[4], sample_frames(argv[2], fractions.Fraction(argv[3])))
    elif cmd == "features":
        (_, _, model, video, kind, w, s, side, crop, alpha, fps, out) = argv
        f = features(model, video, kind, int(w), int(s), int(side), int(crop),
                     int(alpha), fractions.Fraction(fps))
        np.save(out, f)
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
