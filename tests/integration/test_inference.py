"""`ego4dfeat inference`, the sanity check of a classifier-head model, on
small generated datasets in the reference's layouts (Kinetics
<dir>/<set>/<class>/<video>, ImageNet <dir>/<set>/<wnid>/<image>) with a
model whose answers are known: its logits are the mean of each colour
channel of the normalised input, so a red video is "red"."""
import json
import os
import re
import subprocess

import numpy as np
import pytest

import reference_pipeline as ref
from conftest import SOURCE, ffmpeg, run_cli

CLASSES = ["red", "green", "blue"]
KINETICS = dict(mean=[0.45] * 3, std=[0.225] * 3)
IMAGENET = dict(mean=ref.IMAGENET_MEAN, std=ref.IMAGENET_STD)

MODEL_SOURCE = '''
import sys
import torch
from torch import nn


class MeanColour(nn.Module):
    """[B,3,...] -> [B,3]: the mean of each channel (red, green, blue)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(2).mean(2)


torch.jit.script(MeanColour()).save(sys.argv[1])
'''

# (folder, file, colour): azure (0, 128, 255) filed under green is the one
# the model gets wrong at top-1 (blue) but right at top-2.
K400 = [("red", "r1", "red"), ("red", "r2", "0xE01010"),
        ("green", "g1", "0x10E010"), ("green", "azure", "0x0080FF"),
        ("blue", "b1", "blue")]


@pytest.fixture(scope="module")
def colour_model(tmp_path_factory):
    d = tmp_path_factory.mktemp("colour")
    (d / "make.py").write_text(MODEL_SOURCE)
    subprocess.run(["/usr/bin/python3", str(d / "make.py"),
                    str(d / "colour.pt")], check=True)
    return d / "colour.pt"


@pytest.fixture(scope="module")
def k400(tmp_path_factory):
    root = tmp_path_factory.mktemp("k400")
    for folder, name, colour in K400:
        (root / "val" / folder).mkdir(parents=True, exist_ok=True)
        ffmpeg(str(root / "val" / folder / f"{name}.mp4"), "-f", "lavfi",
               "-i", f"color=c={colour}:s=96x64:r=30:d=1.2", "-c:v",
               "libx264", "-pix_fmt", "yuv420p")
    (root / "train" / "red").mkdir(parents=True)  # another set, not used
    return root


@pytest.fixture(scope="module")
def imagenet(tmp_path_factory):
    root = tmp_path_factory.mktemp("imagenet")
    for i, colour in enumerate(CLASSES):
        d = root / "val" / f"n0000000{i + 1}"
        d.mkdir(parents=True)
        for ext in ("jpg", "png"):
            ffmpeg(str(d / f"{colour}.{ext}"), "-f", "lavfi", "-i",
                   f"color=c={colour}:s=80x60", "-frames:v", "1")
    return root


def inference(config, model, dataset_type, dataset_dir, *extra, check=0):
    return run_cli("inference", "--config-dir",
                   os.path.join(SOURCE, "configs"), "--config-name", config,
                   f"model_config.model_path={model}",
                   "inference_config.device=cpu", "model_config.side_size=64",
                   "model_config.crop_size=56",
                   f"+dataset_type={dataset_type}",
                   f"+dataset_dir={dataset_dir}", *extra, check=check)


def parse(stdout):
    """[(path, expected, [(name, percent), ...])], summary lines."""
    examples, summary = [], {}
    for line in stdout.splitlines():
        m = re.match(r"example \d+/\d+: (.*)", line)
        if m:
            examples.append([m.group(1), None, []])
        elif line.startswith("  expected: "):
            examples[-1][1] = line[len("  expected: "):]
        elif line.startswith("  - "):
            name, _, pct = line[4:].rpartition(": ")
            examples[-1][2].append((name, float(pct.rstrip("%"))))
        else:
            m = re.match(r"top-1 accuracy: .* \((\d+)/(\d+)\); top-(\d+) "
                         r"accuracy: .* \((\d+)/(\d+)\)", line)
            if m:
                summary = dict(top1=int(m.group(1)), known=int(m.group(2)),
                               k=int(m.group(3)), topk=int(m.group(4)))
    return examples, summary


# The documented draw: SplitMix64 seeded with +seed, bounded by rejection;
# a class uniformly among those with files left, then one of its files.
M64 = (1 << 64) - 1


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return state, z ^ (z >> 31)


def uniform_below(state, n):
    limit = M64 - M64 % n
    while True:
        state, x = splitmix64(state)
        if x < limit:
            return state, x % n


def expected_picks(set_dir, seed, want):
    classes = [sorted(os.path.join(set_dir, c, f)
                      for f in os.listdir(os.path.join(set_dir, c))
                      if not f.startswith("."))
               for c in sorted(os.listdir(set_dir))]
    state, picks = seed & M64, []
    while len(picks) < want and any(classes):
        live = [c for c in classes if c]
        state, r = uniform_below(state, len(live))
        files = live[r]
        state, j = uniform_below(state, len(files))
        files[j], files[-1] = files[-1], files[j]
        picks.append(files.pop())
    return picks


def softmax_of_mean(logits):
    m = logits.astype(np.float64).mean(0)
    e = np.exp(m - m.max())
    return e / e.sum()


def test_k400_top_k_and_accuracy(tmp_path, colour_model, k400):
    model = tmp_path / "colour.pt"
    model.write_bytes(colour_model.read_bytes())
    (tmp_path / "colour.labels.txt").write_text("\n".join(CLASSES) + "\n")
    p = inference("mvit_k400", model, "k400", k400, "+set_to_use=val",
                  "+seed=1337", "+top_k=2", "+num_examples=5")
    examples, summary = parse(p.stdout)
    assert sorted(e[0] for e in examples) == sorted(
        str(k400 / "val" / f / f"{n}.mp4") for f, n, _ in K400)
    for path, expected, top in examples:
        assert expected == os.path.basename(os.path.dirname(path))
        # The model in Python on the reference's transform: mean logits
        # over the windows, softmax.
        logits = ref.features(str(model), path, "video", 32, 16, 64, 56, 4,
                              30, **KINETICS)
        prob = softmax_of_mean(logits)
        best = np.argsort(-prob)[:2]
        assert [n for n, _ in top] == [CLASSES[i] for i in best]
        np.testing.assert_allclose([pct for _, pct in top],
                                   100 * prob[best], atol=0.006)
        if path.endswith("azure.mp4"):
            assert [n for n, _ in top] == ["blue", "green"]
        else:
            assert top[0][0] == expected and top[0][1] > 75
    assert summary == dict(top1=4, known=5, k=2, topk=5)
    assert "top-1 accuracy: 80.00% (4/5); top-2 accuracy: 100.00% (5/5)" \
        in p.stdout
    assert "seed: 1337" in p.stdout


@pytest.mark.parametrize("seed", [1, 2, -5])
def test_the_seed_picks_the_same_examples(tmp_path, colour_model, k400,
                                          seed):
    labels = tmp_path / "labels.txt"
    labels.write_text("\n".join(CLASSES) + "\n")
    args = ("mvit_k400", colour_model, "k400", k400, f"+seed={seed}",
            "+num_examples=3", f"model_config.labels_path={labels}")
    first = [e[0] for e in parse(inference(*args).stdout)[0]]
    assert first == expected_picks(str(k400 / "val"), seed, 3)
    assert len(set(first)) == 3  # without replacement
    assert [e[0] for e in parse(inference(*args).stdout)[0]] == first


def test_imagenet_images_with_wnid_labels(tmp_path, colour_model, imagenet):
    labels = tmp_path / "classes.json"
    labels.write_text(json.dumps({str(i): [f"n0000000{i + 1}", c]
                                  for i, c in enumerate(CLASSES)}))
    p = inference("omnivore_image", colour_model, "imagenet", imagenet,
                  f"model_config.labels_path={labels}", "+seed=3",
                  "+top_k=3", "+num_examples=6")
    examples, summary = parse(p.stdout)
    assert len(examples) == 6
    assert {os.path.splitext(e[0])[1] for e in examples} == {".jpg", ".png"}
    for path, expected, top in examples:
        colour = os.path.splitext(os.path.basename(path))[0]
        assert expected == colour and top[0][0] == colour
        assert len(top) == 3
        logits = ref.features(str(colour_model), path, "image", 1, 5, 64, 56,
                              4, 30, **IMAGENET)
        np.testing.assert_allclose(top[0][1], 100 * softmax_of_mean(logits)
                                   [CLASSES.index(colour)], atol=0.006)
    assert summary == dict(top1=6, known=6, k=3, topk=6)


def test_imagenet_folder_names_from_the_dataset_labels(tmp_path,
                                                       colour_model,
                                                       imagenet):
    """Names only in the model's labels (Kinetics-style JSON {name: index},
    quotes inside names dropped); the dataset's labels.txt maps the wnid
    folders to names, as the reference's ImageNet check reads it."""
    ds = tmp_path / "ds"
    ds.mkdir()
    (ds / "val").symlink_to(imagenet / "val")
    (ds / "labels.txt").write_text("".join(
        f"n0000000{i + 1},{c}\n" for i, c in enumerate(CLASSES)))
    labels = tmp_path / "classes.json"
    labels.write_text(json.dumps({f'"{c}"': i
                                  for i, c in enumerate(CLASSES)}))
    p = inference("omnivore_image", colour_model, "imagenet", ds,
                  f"model_config.labels_path={labels}", "+seed=4",
                  "+num_examples=3")
    examples, summary = parse(p.stdout)
    assert all(top[0][0] == expected for _, expected, top in examples)
    assert summary == dict(top1=3, known=3, k=2, topk=3)


TOP_QUARTER_SOURCE = '''
import sys
import torch
from torch import nn


class TopQuarterColour(nn.Module):
    """[B,3,...,H,W] -> [B,3]: 4 x the mean of each channel over the top
    quarter of the rows, so the logits depend on where the crop starts."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        top = x[..., : x.shape[-2] // 4, :]
        return 4.0 * top.flatten(2).mean(2)


torch.jit.script(TopQuarterColour()).save(sys.argv[1])
'''


def test_imagenet_preprocessing_is_the_config_transform(tmp_path):
    """ImageNet images go through the config's transform (normalise, torch
    bilinear short-side scale to side_size, centre crop), not the
    reference's PIL Resize(crop) + CenterCrop(crop): docs/semantics.md says
    so and bench/imagenet_preprocess.py measures the difference. A 120x80
    PNG whose red rises down the rows tells them apart: the config keeps
    rows 5..75 of 80, PIL all of them, so the top quarter's red differs."""
    from PIL import Image
    import torch
    import torchvision.transforms as T

    (tmp_path / "make.py").write_text(TOP_QUARTER_SOURCE)
    model = tmp_path / "top.pt"
    subprocess.run(["/usr/bin/python3", str(tmp_path / "make.py"),
                    str(model)], check=True)
    yy, xx = np.mgrid[0:80, 0:120]
    # Green 32 puts the green logit between red's two readings; blue 0
    # keeps blue last.
    rgb = np.stack([yy * 255 // 79 + 0 * xx, np.full_like(yy, 32),
                    np.zeros_like(yy)], -1).astype(np.uint8)
    d = tmp_path / "ds" / "val" / "n00000001"
    d.mkdir(parents=True)
    Image.fromarray(rgb).save(d / "grad.png")
    labels = tmp_path / "classes.json"
    labels.write_text(json.dumps({str(i): [f"n0000000{i + 1}", c]
                                  for i, c in enumerate(CLASSES)}))
    p = inference("omnivore_image", model, "imagenet", tmp_path / "ds",
                  f"model_config.labels_path={labels}", "+top_k=3",
                  "+num_examples=1")
    examples, _ = parse(p.stdout)
    printed = np.array([dict(examples[0][2])[c] for c in CLASSES])

    config = softmax_of_mean(ref.features(str(model), str(d / "grad.png"),
                                          "image", 1, 5, 64, 56, 4, 30,
                                          **IMAGENET))
    pil = T.Compose([T.Resize(56), T.CenterCrop(56), T.ToTensor(),
                     T.Normalize(mean=IMAGENET["mean"],
                                 std=IMAGENET["std"])])
    with torch.no_grad():
        logits = torch.jit.load(str(model))(
            pil(Image.open(d / "grad.png").convert("RGB"))[None, :, None])
    reference = torch.softmax(logits[0].double(), 0).numpy()
    np.testing.assert_allclose(printed, 100 * config, atol=0.006)
    assert np.abs(100 * reference - printed).max() > 5.0


def test_more_examples_than_the_dataset_has(tmp_path, colour_model, k400):
    labels = tmp_path / "l.txt"
    labels.write_text("\n".join(CLASSES) + "\n")
    p = inference("mvit_k400", colour_model, "k400", k400,
                  f"model_config.labels_path={labels}", "+num_examples=50",
                  "--quiet")
    assert "only 5 examples" in p.stdout
    assert len(parse(p.stdout)[0]) == 5
    assert "seed: " in p.stdout  # from the clock, printed to repeat it


def test_errors(tmp_path, colour_model, k400, models):
    labels = tmp_path / "l.txt"
    labels.write_text("\n".join(CLASSES) + "\n")
    lab = f"model_config.labels_path={labels}"
    # No labels anywhere.
    p = inference("mvit_k400", colour_model, "k400", k400, check=2)
    assert "no class names" in p.stderr and "labels.txt" in p.stderr
    # A model whose outputs are not the labels' classes.
    p = inference("mvit_k400", models / "tiny_video.pt", "k400", k400, lab,
                  "+num_examples=1", check=2)
    assert "8 values per window but there are 3 class names" in p.stderr
    p = inference("mvit_k400", colour_model, "cifar", k400, lab, check=2)
    assert "k400 or imagenet" in p.stderr
    # Labels files that are not JSON, or not names, say which and where.
    broken = tmp_path / "broken.json"
    for text, why in (('{"red": 0,\n "green": 1', "invalid JSON at line"),
                      ('["red", 3, "blue"]', "item 1 is not a name"),
                      ('[red, green, blue]', "item 0 is not a name"),
                      ('{"red": "0"}', "entry 'red' has no class index"),
                      ('{["red"]: 0}', "a key that is not a string")):
        broken.write_text(text)
        p = inference("mvit_k400", colour_model, "k400", k400,
                      f"model_config.labels_path={broken}", check=2)
        assert str(broken) in p.stderr and why in p.stderr, p.stderr
    p = inference("mvit_k400", colour_model, "k400", tmp_path / "none", lab,
                  check=2)
    assert "cannot open folder" in p.stderr
    p = inference("mvit_k400", colour_model, "k400", k400, lab,
                  "+set_to_use=train", check=2)
    assert "no examples" in p.stderr
    p = inference("mvit_k400", colour_model, "k400", k400, lab, "+top_k=0",
                  check=2)
    assert "top_k" in p.stderr
    # A broken example fails alone; the others are scored.
    bad = tmp_path / "bad"
    (bad / "val" / "red").mkdir(parents=True)
    (bad / "val" / "red" / "x.mp4").write_text("not a video")
    os.symlink(k400 / "val" / "blue", bad / "val" / "blue")
    p = inference("mvit_k400", colour_model, "k400", bad, lab,
                  "+num_examples=2", check=1)
    assert "failed: " in p.stdout and "1 example(s) failed" in p.stdout
    assert "(1/1)" in p.stdout
