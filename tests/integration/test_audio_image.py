"""Audio (mel spectrograms, waveform models), image and CLIP-style setups,
and debug mode: the CLI's output against references computed in Python with
Debian's torch, torchaudio and av."""
import os
import subprocess

import av
import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchaudio

import reference_pipeline as ref
from conftest import SOURCE, extract_args, ffmpeg, make_clip, run_cli

IMAGENET = dict(mean=ref.IMAGENET_MEAN, std=ref.IMAGENET_STD)


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    d = tmp_path_factory.mktemp("media")
    # Video + 16 kHz mono AAC: a chirp and noise.
    ffmpeg(str(d / "talk.mp4"), "-f", "lavfi", "-i",
           "testsrc2=size=320x240:rate=30:duration=3", "-f", "lavfi", "-i",
           "aevalsrc=0.4*sin(2*PI*(200+300*t)*t)+0.05*random(0):s=16000:d=3",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
           "-ar", "16000", "-ac", "1", "-shortest")
    # 44.1 kHz stereo audio: resampled and downmixed by the library.
    ffmpeg(str(d / "stereo44.mp4"), "-f", "lavfi", "-i",
           "testsrc2=size=320x240:rate=30:duration=2", "-f", "lavfi", "-i",
           "sine=frequency=1000:sample_rate=44100:duration=2", "-ac", "2",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
           "-shortest")
    make_clip(str(d / "mute.mp4"), seconds=1.0)  # no audio stream
    ffmpeg(str(d / "silent.mp4"), "-f", "lavfi", "-i",
           "testsrc2=size=320x240:rate=30:duration=1", "-f", "lavfi", "-i",
           "anullsrc=r=16000:cl=mono", "-t", "1", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", "-c:a", "aac")
    ffmpeg(str(d / "audio_only.mp4"), "-f", "lavfi", "-i",
           "sine=frequency=300:sample_rate=16000:duration=1", "-c:a", "aac")
    # Corrupt audio: garbage over the middle of the file.
    data = bytearray((d / "talk.mp4").read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 3000):
        data[i] = (i * 13) & 0xFF
    (d / "badaudio.mp4").write_bytes(bytes(data))
    return d


def decoded_audio(path):
    """The audio as PyAV decodes it: float samples, mono, 16 kHz source."""
    with av.open(str(path)) as c:
        chunks = [f.to_ndarray() for f in c.decode(audio=0)]
    return np.concatenate(chunks, axis=1).mean(axis=0).astype(np.float32)


def mel_reference(wave):
    wave = wave / np.abs(wave).max()  # normalize_audio
    mel = torchaudio.transforms.MelSpectrogram(
        sample_rate=16000, n_fft=1024, win_length=1024, hop_length=160,
        n_mels=128, power=2.0, center=True, pad_mode="reflect", norm=None,
        mel_scale="htk")
    return mel(torch.from_numpy(wave)).numpy()


def test_mel_spectrogram_matches_torchaudio(tmp_path, media):
    out = tmp_path / "mel"
    run_cli(*extract_args("audio_mel_spectrogram", media, out, "unused",
                          "io.uid_list=[talk]"), check=0)
    got = torch.load(out / "talk.pt").numpy()
    want = mel_reference(decoded_audio(media / "talk.mp4"))
    assert got.shape == (1,) + want.shape, (got.shape, want.shape)
    assert want.shape[0] == 128
    np.testing.assert_allclose(got[0], want, rtol=1e-4,
                               atol=1e-4 * float(want.max()))


def test_audio_is_resampled_and_downmixed(tmp_path, media):
    out = tmp_path / "mel44"
    run_cli(*extract_args("audio_mel_spectrogram", media, out, "unused",
                          "io.uid_list=[stereo44]"), check=0)
    got = torch.load(out / "stereo44.pt").numpy()[0]
    # 2 s at 16 kHz, hop 160: 1 + 32000 // 160 = 201 frames, plus up to
    # 3 for the AAC encoder's end padding, which FFmpeg 5.1 (like PyAV)
    # does not trim.
    assert 201 <= got.shape[1] <= 204, got.shape
    # The 1 kHz tone lands in the mel bin whose centre is nearest 1 kHz.
    fb = torchaudio.functional.melscale_fbanks(513, 0.0, 8000.0, 128, 16000,
                                               None, "htk")
    bin_1k = int(fb[1000 * 1024 // 16000].argmax())
    mid = got[:, got.shape[1] // 2]
    assert abs(int(mid.argmax()) - bin_1k) <= 1


def test_audio_model_windows(tmp_path, media):
    model = tmp_path / "wave.pt"
    script = tmp_path / "make_wave_model.py"  # TorchScript needs a file
    script.write_text(f"""import torch
class M(torch.nn.Module):
    def forward(self, x):
        return torch.stack([x.mean(1), x.abs().max(1)[0], x[:, ::7].std(1)], 1)
torch.jit.script(M()).save('{model}')
""")
    subprocess.run(["/usr/bin/python3", str(script)], check=True)
    out = tmp_path / "wave"
    run_cli(*extract_args("audio_mel_spectrogram", media, out, model,
                          "io.uid_list=[talk]", "model_config.kind=audio",
                          "inference_config.frame_window=30",
                          "inference_config.stride=15"), check=0)
    got = torch.load(out / "talk.pt").numpy()
    wave = decoded_audio(media / "talk.mp4")
    wave = wave / np.abs(wave).max()
    n, W, S = len(wave), 16000, 8000
    starts = ref.window_starts(n, W, S)
    m = torch.jit.load(str(model))
    want = m(torch.stack([torch.from_numpy(wave[s:s + W]) for s in starts]))
    assert got.shape == (len(starts), 3)
    np.testing.assert_allclose(got, want.numpy(), atol=1e-5)


def test_no_audio_stream_is_skipped_or_failed(tmp_path, media):
    out = tmp_path / "noaudio"
    p = run_cli(*extract_args("audio_mel_spectrogram", media, out, "unused",
                              "io.uid_list=[mute,talk]"), check=0)
    assert "1 done, 1 skipped, 0 failed" in p.stdout
    assert "mute" in p.stdout + p.stderr and "no audio stream" in (
        p.stdout + p.stderr)
    p = run_cli(*extract_args("audio_mel_spectrogram", media, out, "unused",
                              "io.uid_list=[mute]",
                              "io.exclude_no_audio=false"))
    assert p.returncode == 1
    assert "mute.mp4: no audio stream" in p.stderr


def test_silent_audio_gives_zeros(tmp_path, media):
    out = tmp_path / "silent"
    run_cli(*extract_args("audio_mel_spectrogram", media, out, "unused",
                          "io.uid_list=[silent]"), check=0)
    got = torch.load(out / "silent.pt")
    assert torch.isfinite(got).all() and float(got.abs().max()) == 0.0


def test_corrupt_audio_and_audio_only_file(tmp_path, media, models):
    out = tmp_path / "bad"
    p = run_cli(*extract_args("audio_mel_spectrogram", media, out, "unused",
                              "io.uid_list=[badaudio]"))
    assert p.returncode in (0, 1)
    if p.returncode == 0:  # decoded what it could
        assert torch.isfinite(torch.load(out / "badaudio.pt")).all()
    else:
        assert "badaudio.mp4" in p.stderr
    leftovers = [f for f in os.listdir(out) if f.startswith(".")]
    assert leftovers == []
    p = run_cli(*extract_args("mvit_k400", media, tmp_path / "v",
                              models / "tiny_video.pt",
                              "io.uid_list=[audio_only]"))
    assert p.returncode == 1
    assert "audio_only.mp4" in p.stderr and "no video stream" in p.stderr


def test_clip_setup_bicubic_l2_normalised(tmp_path, media, models):
    out = tmp_path / "clip"
    p = run_cli(*extract_args("egoexo_maws_clip", media, out,
                              models / "tiny_image2d.pt", "io.uid_list=[talk]"),
                check=0)
    assert "float16 ignored on CPU" in p.stderr
    got = torch.load(out / "talk.pt").numpy()
    frames = ref.sample_frames(str(media / "talk.mp4"), 30)
    assert got.shape == (len(frames), 8)  # one window per frame
    m = torch.jit.load(str(models / "tiny_image2d.pt"))
    x = torch.stack([ref.transform(frames[i:i + 1], 224, 224, mode="bicubic",
                                   **IMAGENET)[:, 0] for i in (0, 40, 89)])
    want = F.normalize(m(x), dim=-1).detach().numpy()
    np.testing.assert_allclose(got[[0, 40, 89]], want, atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_image_2d_layout(tmp_path, media, models):
    out = tmp_path / "img2d"
    run_cli(*extract_args("mvit_imagenet", media, out,
                          models / "tiny_image2d.pt", "io.uid_list=[talk]",
                          "model_config.input_layout=nchw"), check=0)
    got = torch.load(out / "talk.pt").numpy()
    frames = ref.sample_frames(str(media / "talk.mp4"), 30)
    starts = ref.window_starts(len(frames), 1, 5)
    m = torch.jit.load(str(models / "tiny_image2d.pt"))
    x = torch.stack([ref.transform(frames[s:s + 1], 256, 224, **IMAGENET)[:, 0]
                     for s in starts])
    np.testing.assert_allclose(got, m(x).detach().numpy(), atol=1e-4)


def test_debug_mode_writes_pngs_not_features(tmp_path, media, models):
    out, dbg = tmp_path / "out", tmp_path / "dbg"
    run_cli(*extract_args("slowfast_r101_8x8", media, out,
                          models / "tiny_slowfast.pt", "io.uid_list=[talk]",
                          "io.debug_mode=1", f"io.debug_path={dbg}"), check=0)
    pngs = sorted(os.listdir(dbg / "talk"))
    # 90 frames, W 32, S 16: windows at 0, 16, 32, 48 and 58, named by
    # index and time range.
    assert pngs == [f"w{i:06d}_t{s / 30:07.2f}-{(s + 32) / 30:07.2f}.png"
                    for i, s in enumerate([0, 16, 32, 48, 58])]
    with av.open(str(dbg / "talk" / pngs[0])) as c:
        img = next(c.decode(video=0)).to_ndarray(format="rgb24")
    # 32 frames of 256x256 in a 6-column grid with 2-pixel gaps.
    assert img.shape[1] == 6 * 256 + 5 * 2
    assert not (out / "talk.pt").exists()
    run_cli(*extract_args("audio_mel_spectrogram", media, out, "unused",
                          "io.uid_list=[talk]", "io.debug_mode=1",
                          f"io.debug_path={dbg}"), check=0)
    # The whole file is one audio window, about 3 s (AAC pads a little).
    audio = [n for n in os.listdir(dbg / "talk")
             if n.startswith("w000000_t0000.00-0003.0")]
    assert len(audio) == 1, os.listdir(dbg / "talk")
