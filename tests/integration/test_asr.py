"""Speech transcripts (the asr kind, configs/audio_asr.yaml): a random-weight
wav2vec 2.0 exported by tools/export_models.py, run through the CLI, against
the same TorchScript module plus greedy CTC decoding in Python; silent and
short clips, a video without audio, resume and provenance, refused setups."""
import json
import os
import subprocess

import av
import numpy as np
import pytest
import torch

import reference_pipeline as ref
from conftest import SOURCE, ffmpeg, make_clip, run_cli

EXPORT = os.path.join(SOURCE, "tools", "export_models.py")
RATE, WINDOW = 16000, 5 * 16000  # 150 frames at 30 fps = 5 s of samples
# Labels with the random model's frequent classes (15, 11, 12) as the word
# separator and as characters that JSON must escape or that are UTF-8.
LABELS = ["<blank>", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j",
          "\u00e9", '"', "k", "l", "|", "m", "n", "o", "p", "q", "r", "s",
          "t", "u", "v", "w", "x", "\\"]


@pytest.fixture(scope="module")
def asr_models(tmp_path_factory):
    d = tmp_path_factory.mktemp("asr_models")
    labels = d / "labels.txt"
    labels.write_text("\n".join(LABELS) + "\n", encoding="utf-8")
    subprocess.run(["/usr/bin/python3", EXPORT, "--out", str(d), "--weights",
                    "random", "--labels", str(labels), "wav2vec2_tiny_asr"],
                   check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return d


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    d = tmp_path_factory.mktemp("asr_media")
    # 12 s: windows at 0, 5 and (moved back to end with the file) 7 s.
    ffmpeg(str(d / "talk.mp4"), "-f", "lavfi", "-i",
           "testsrc2=size=160x120:rate=30:duration=12", "-f", "lavfi", "-i",
           "aevalsrc=0.4*sin(2*PI*(200+300*t)*t)+0.3*random(0)*"
           "gt(sin(2*PI*1.3*t)\\,0):s=16000:d=12",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
           "-ar", "16000", "-ac", "1", "-shortest")
    # Shorter than one window: one window of the whole clip.
    ffmpeg(str(d / "short.mp4"), "-f", "lavfi", "-i",
           "testsrc2=size=160x120:rate=30:duration=2", "-f", "lavfi", "-i",
           "aevalsrc=0.5*random(0):s=16000:d=2", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", "-c:a", "aac", "-ar", "16000", "-ac", "1",
           "-shortest")
    ffmpeg(str(d / "silent.mp4"), "-f", "lavfi", "-i",
           "testsrc2=size=160x120:rate=30:duration=6", "-f", "lavfi", "-i",
           "anullsrc=r=16000:cl=mono", "-t", "6", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", "-c:a", "aac")
    make_clip(str(d / "mute.mp4"), seconds=1.0, size="160x120")  # no audio
    return d


def run_python(tmp_path, name, code):
    """Runs code in Debian's python3 from a file (TorchScript needs the
    source of what it scripts)."""
    script = tmp_path / name
    script.write_text(code)
    subprocess.run(["/usr/bin/python3", str(script)], check=True,
                   stderr=subprocess.DEVNULL)


def asr_args(media, out, model, *extra):
    return ["extract", "--config-dir", os.path.join(SOURCE, "configs"),
            "--config-name", "audio_asr", f"io.video_dir_path={media}",
            f"io.out_path={out}", f"model_config.model_path={model}",
            "inference_config.device=cpu", "inference_config.num_workers=1",
            "--threads", "1", *extra]


def decoded_audio(path):
    """The audio as PyAV decodes it: float samples, mono, 16 kHz source."""
    with av.open(str(path)) as c:
        chunks = [f.to_ndarray() for f in c.decode(audio=0)]
    return np.concatenate(chunks, axis=1).mean(axis=0).astype(np.float32)


def greedy_ctc(emissions, labels, blank, separator):
    """The text and score ctc.h defines, written independently."""
    best = emissions.argmax(-1).tolist()
    tokens, prev = [], None
    for i in best:
        if i != prev and i != blank:
            tokens.append(labels[i])
        prev = i
    words, word = [], ""
    for t in tokens:
        if t == separator:
            if word:
                words.append(word)
            word = ""
        else:
            word += t
    if word:
        words.append(word)
    score = torch.log_softmax(emissions, -1).max(-1).values.mean()
    return " ".join(words), float(score)


def python_transcript(model_path, video):
    """[(start, end, text, score)] of the module and Python decoding."""
    extra = {"ctc_labels.json": ""}
    m = torch.jit.load(str(model_path), _extra_files=extra)
    spec = json.loads(extra["ctc_labels.json"])
    wave = decoded_audio(video)
    n = len(wave)
    w = min(WINDOW, n)
    rows = []
    for s in ref.window_starts(n, w, WINDOW):
        x = torch.from_numpy(wave[s:s + w].copy())[None]
        with torch.no_grad():
            em = m(x)[0]
        text, score = greedy_ctc(em, spec["labels"], spec["blank"],
                                 spec["word_separator"])
        rows.append((s / RATE, (s + w) / RATE, text, score))
    return rows


def read_transcript(path):
    with open(path, encoding="utf-8") as f:
        raw = f.read()
    assert raw.endswith("\n")
    return [json.loads(line) for line in raw.splitlines()]


def assert_same(got, want):
    assert len(got) == len(want), (got, want)
    for g, (start, end, text, score) in zip(got, want):
        assert set(g) == {"start", "end", "text", "score"}
        assert g["start"] == pytest.approx(start, abs=1e-9)
        assert g["end"] == pytest.approx(end, abs=1e-9)
        # The reference writes None for an empty transcript.
        assert (g["text"] or "") == text, (g["text"], text)
        assert g["text"] is None or g["text"] != ""
        assert abs(g["score"] - score) <= 1e-4, (g["score"], score)


def test_transcripts_match_python_decoding(tmp_path, media, asr_models):
    model = asr_models / "wav2vec2_tiny_asr.pt"
    out = tmp_path / "out"
    p = run_cli(*asr_args(media, out, model, "io.uid_list=[talk,short]"),
                check=0)
    assert "wrote " + str(out / "talk.transcript.jsonl") + " (3 windows)" \
        in p.stdout
    talk = read_transcript(out / "talk.transcript.jsonl")
    want = python_transcript(model, media / "talk.mp4")
    assert_same(talk, want)
    # The 12 s clip's windows: 0-5, 5-10 and the last moved back to end
    # with the file (AAC's priming makes it a little over 12 s).
    assert [r["start"] for r in talk[:2]] == [0, 5]
    assert talk[2]["end"] - talk[2]["start"] == pytest.approx(5.0)
    # The random model says something, with spaces and escaped labels.
    text = " ".join(r["text"] or "" for r in talk)
    assert " " in text and len(text) > 20, text
    raw = (out / "talk.transcript.jsonl").read_text(encoding="utf-8")
    if '"' in text:
        assert '\\"' in raw
    # The times file and fingerprint beside it, as for features.
    times = np.load(out / "talk.times.npy")
    np.testing.assert_allclose(times, [[r["start"], r["end"]] for r in talk])
    assert (out / "talk.fp").read_text().startswith("ego4dfeat fingerprint")
    # A clip shorter than one window: one window of the whole clip.
    short = read_transcript(out / "short.transcript.jsonl")
    assert_same(short, python_transcript(model, media / "short.mp4"))
    assert len(short) == 1 and short[0]["start"] == 0
    assert 1.9 < short[0]["end"] < 2.2
    assert not [n for n in os.listdir(out) if n.startswith(".")]


def test_silent_clip(tmp_path, media, asr_models):
    model = asr_models / "wav2vec2_tiny_asr.pt"
    out = tmp_path / "out"
    run_cli(*asr_args(media, out, model, "io.uid_list=[silent]"), check=0)
    got = read_transcript(out / "silent.transcript.jsonl")
    assert_same(got, python_transcript(model, media / "silent.mp4"))
    assert len(got) == 2
    assert all(np.isfinite(r["score"]) and r["score"] <= 0 for r in got)


def test_video_without_audio(tmp_path, media, asr_models):
    model = asr_models / "wav2vec2_tiny_asr.pt"
    out = tmp_path / "out"
    p = run_cli(*asr_args(media, out, model, "io.uid_list=[mute,short]"),
                check=0)
    assert "1 done, 1 skipped, 0 failed" in p.stdout
    assert "no audio stream" in p.stdout + p.stderr
    assert not (out / "mute.transcript.jsonl").exists()
    p = run_cli(*asr_args(media, out, model, "io.uid_list=[mute]",
                          "io.exclude_no_audio=false"), check=1)
    assert "mute.mp4: no audio stream" in p.stderr
    assert not (out / "mute.transcript.jsonl").exists()


def test_resume_and_provenance(tmp_path, media, asr_models):
    model = asr_models / "wav2vec2_tiny_asr.pt"
    out = tmp_path / "out"
    args = asr_args(media, out, model, "io.uid_list=[talk,short]")
    run_cli(*args, check=0)
    talk = out / "talk.transcript.jsonl"
    short = out / "short.transcript.jsonl"
    before = talk.stat().st_mtime_ns, talk.read_bytes()
    # A rerun computes nothing.
    p = run_cli(*args, check=0)
    assert "0 done, 2 skipped" in p.stdout and "0 windows" in p.stdout
    # A transcript cut short (a copy that broke) is redone; the other kept.
    data = short.read_bytes()
    short.write_bytes(data[:len(data) // 2])
    p = run_cli(*args, check=0)
    assert "1 done, 1 skipped" in p.stdout
    assert short.read_bytes() == data
    assert (talk.stat().st_mtime_ns, talk.read_bytes()) == before
    # Another model (other weights, same labels) is refused until redo.
    other = tmp_path / "other"
    ckpt = tmp_path / "ckpt.pt"
    torch.manual_seed(7)
    subprocess.run(["/usr/bin/python3", "-c", f"""
import sys, torch
sys.path.insert(0, {os.path.join(SOURCE, 'tools')!r})
import export_models as em
torch.manual_seed(7)
m = em._asr_tiny({len(LABELS)})
torch.save(m.state_dict(), {str(ckpt)!r})
"""], check=True, stderr=subprocess.DEVNULL)
    labels = asr_models / "labels.txt"
    subprocess.run(["/usr/bin/python3", EXPORT, "--out", str(other),
                    "--checkpoint", str(ckpt), "--labels", str(labels),
                    "wav2vec2_tiny_asr"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    other_model = other / "wav2vec2_tiny_asr.pt"
    margs = asr_args(media, out, other_model, "io.uid_list=[talk,short]")
    p = run_cli(*margs, check=2)
    assert "refusing to run" in p.stderr
    assert talk.read_bytes() == before[1]
    run_cli(*margs, "io.on_mismatch=redo", check=0)
    assert_same(read_transcript(talk),
                python_transcript(other_model, media / "talk.mp4"))


def test_checkpoint_with_fairseq_rows(tmp_path):
    """--checkpoint takes a torchaudio-format state dict whose output layer
    still has fairseq's three unused dictionary rows, and drops them."""
    ckpt = tmp_path / "fairseq_style.pt"
    subprocess.run(["/usr/bin/python3", "-c", f"""
import sys, torch
sys.path.insert(0, {os.path.join(SOURCE, 'tools')!r})
import export_models as em
torch.manual_seed(3)
m = em._asr_tiny(32)
torch.save({{"state_dict": m.state_dict()}}, {str(ckpt)!r})
"""], check=True, stderr=subprocess.DEVNULL)
    out = tmp_path / "m"
    p = subprocess.run(["/usr/bin/python3", EXPORT, "--out", str(out),
                        "--checkpoint", str(ckpt), "wav2vec2_tiny_asr"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    extra = {"ctc_labels.json": "", "ego4dfeat.json": ""}
    m = torch.jit.load(str(out / "wav2vec2_tiny_asr.pt"), _extra_files=extra)
    spec = json.loads(extra["ctc_labels.json"])
    assert spec["labels"][:3] == ["-", "|", "E"] and len(spec["labels"]) == 29
    assert spec["blank"] == 0 and spec["word_separator"] == "|"
    meta = json.loads(extra["ego4dfeat.json"])
    assert meta["weights"] == "checkpoint" and meta["kind"] == "asr"
    state = torch.load(str(ckpt))["state_dict"]
    keep = [0] + list(range(4, 32))
    x = torch.randn(1, 16000)
    with torch.no_grad():
        got = m(x)[0]
        feats = m.model.feature_extractor(x, None)[0]
        hidden = m.model.encoder(feats, None)[0]
        want = hidden @ state["aux.weight"][keep].T + state["aux.bias"][keep]
    assert got.shape == (49, 29)
    torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)
    # A state dict that does not fit: refused, naming the file.
    bad = tmp_path / "bad.pt"
    torch.save({"aux.weight": torch.zeros(7, 48)}, str(bad))
    p = subprocess.run(["/usr/bin/python3", EXPORT, "--out", str(out),
                        "--checkpoint", str(bad), "wav2vec2_tiny_asr"],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "bad.pt" in p.stderr, p.stderr


def test_refused_setups(tmp_path, media, asr_models):
    out = tmp_path / "out"
    # A waveform model without a label list fails before any video.
    plain = tmp_path / "plain.pt"
    run_python(tmp_path, "make_plain.py", f"""
import torch
class M(torch.nn.Module):
    def forward(self, x):
        return x[:, :29 * 10].reshape(x.shape[0], 10, 29)
torch.jit.script(M()).save({str(plain)!r})
""")
    p = run_cli(*asr_args(media, out, plain, "io.uid_list=[short]"))
    assert p.returncode != 0
    assert "has no label list" in p.stderr and "plain.pt" in p.stderr
    assert not (out / "short.transcript.jsonl").exists()
    # Transcripts need the asr kind.
    p = run_cli(*asr_args(media, out, plain, "model_config.kind=audio"),
                check=2)
    assert "io.out_format transcript needs model_config.kind asr" in p.stderr
    # Emissions that are not [batch, frames, vocab] fail that video.
    flat = tmp_path / "flat.pt"
    run_python(tmp_path, "make_flat.py", f"""
import torch, json
class M(torch.nn.Module):
    def forward(self, x):
        return x[:, :29]
labels = json.dumps({{"labels": ["-"] + [chr(97 + i) for i in range(28)]}})
torch.jit.save(torch.jit.script(M()), {str(flat)!r},
               _extra_files={{"ctc_labels.json": labels}})
""")
    p = run_cli(*asr_args(media, out, flat, "io.uid_list=[short]"), check=1)
    assert "emissions [batch, frames, vocab]" in p.stderr
    assert not (out / "short.transcript.jsonl").exists()


def test_nan_emissions_fail_that_video(tmp_path, media, asr_models):
    """A broken model (NaN emissions) fails each video, naming it and the
    frame, and leaves its old transcript as it was; no file is written."""
    model = asr_models / "wav2vec2_tiny_asr.pt"
    out = tmp_path / "out"
    run_cli(*asr_args(media, out, model, "io.uid_list=[short]"), check=0)
    short = out / "short.transcript.jsonl"
    before = short.read_bytes()
    nan = tmp_path / "nan.pt"
    run_python(tmp_path, "make_nan.py", f"""
import torch, json
class M(torch.nn.Module):
    def forward(self, x):
        e = torch.zeros(x.shape[0], 10, 29)
        e[:, 3, 5] = float("nan")
        return e
labels = json.dumps({{"labels": ["-"] + [chr(97 + i) for i in range(28)]}})
torch.jit.save(torch.jit.script(M()), {str(nan)!r},
               _extra_files={{"ctc_labels.json": labels}})
""")
    nout = tmp_path / "nan_out"
    p = run_cli(*asr_args(media, nout, nan, "io.uid_list=[short,silent]"),
                check=1)
    assert "0 done, 0 skipped, 2 failed" in p.stdout, p.stdout
    assert "failed short: short: the model's emissions at frame 3 are not " \
        "finite" in p.stderr, p.stderr
    assert not [n for n in os.listdir(nout) if n.endswith(".jsonl")]
    # Over an existing transcript (redo): the old one is kept whole.
    p = run_cli(*asr_args(media, out, nan, "io.uid_list=[short]",
                          "io.on_mismatch=redo"), check=1)
    assert short.read_bytes() == before
