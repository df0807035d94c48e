#!/usr/bin/python3
"""The reference audio arithmetic (docs/semantics.md, "Audio"),
written with torchaudio and PyAV, to check lib/media/mel.c and lib/media/audio_decode.c.

Run with Debian's /usr/bin/python3 (torch, torchaudio, av, numpy).
Raw files are native-endian, with no header.

  reference_audio.py mel IN.f32 RATE N_FFT WIN HOP N_MELS F_MIN F_MAX OUT.f32
      IN.f32: float32 samples; OUT.f32: float32 [N_MELS, frames], what
      torchaudio.transforms.MelSpectrogram (power 2, centred, reflect
      padding, periodic Hann window, HTK scale, no norm) gives.
      F_MAX <= 0 means RATE / 2.
  reference_audio.py fbank RATE N_FFT N_MELS F_MIN F_MAX OUT.f64
      OUT.f64: float64 [N_FFT // 2 + 1, N_MELS], the filterbank of
      torchaudio.functional.melscale_fbanks (computed in float32).
  reference_audio.py decode MEDIA RATE OUT.f32
      The best audio stream decoded with PyAV and resampled by libswresample
      (through PyAV's AudioResampler) to mono float32 at RATE.
  reference_audio.py batch JOBS.txt
      Runs each line of JOBS.txt (one of the commands above, without the
      script name, shell-quoted) in this one process: importing torch costs
      seconds, a job milliseconds.
"""
import shlex
import sys
import warnings

import av
import numpy as np
import torch
import torchaudio


# Setups with more mels than bins can fill are tested on purpose.
warnings.filterwarnings("ignore", message="At least one mel filterbank")


def mel(args):
    src, rate, n_fft, win, hop, n_mels, f_min, f_max, out = args
    rate = int(rate)
    f_max = float(f_max)
    x = torch.from_numpy(np.fromfile(src, dtype=np.float32))
    t = torchaudio.transforms.MelSpectrogram(
        sample_rate=rate,
        n_fft=int(n_fft),
        win_length=int(win),
        hop_length=int(hop),
        f_min=float(f_min),
        f_max=f_max if f_max > 0 else None,
        n_mels=int(n_mels),
        power=2.0,
        center=True,
        pad_mode="reflect",
        norm=None,
        mel_scale="htk",
    )
    with torch.no_grad():
        y = t(x)
    y.numpy().astype(np.float32).tofile(out)


def fbank(args):
    rate, n_fft, n_mels, f_min, f_max, out = args
    rate = int(rate)
    f_max = float(f_max)
    fb = torchaudio.functional.melscale_fbanks(
        n_freqs=int(n_fft) // 2 + 1,
        f_min=float(f_min),
        f_max=f_max if f_max > 0 else float(rate // 2),
        n_mels=int(n_mels),
        sample_rate=rate,
        norm=None,
        mel_scale="htk",
    )
    fb.numpy().astype(np.float64).tofile(out)


def decode(args):
    src, rate, out = args
    resampler = av.AudioResampler(format="flt", layout="mono", rate=int(rate))
    chunks = []
    with av.open(src) as c:
        st = c.streams.audio[0]
        for frame in c.decode(st):
            for r in resampler.resample(frame):
                chunks.append(r.to_ndarray().reshape(-1))
        for r in resampler.resample(None):
            chunks.append(r.to_ndarray().reshape(-1))
    y = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    y.astype(np.float32).tofile(out)


MODES = {"mel": (mel, 9), "fbank": (fbank, 6), "decode": (decode, 3)}


def run(argv):
    if not argv or argv[0] not in MODES:
        sys.exit(__doc__)
    fn, nargs = MODES[argv[0]]
    if len(argv) != nargs + 1:
        sys.exit(__doc__)
    fn(argv[1:])


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "batch":
        with open(sys.argv[2]) as f:
            for line in f:
                if line.strip():
                    run(shlex.split(line))
    else:
        run(sys.argv[1:])


if __name__ == "__main__":
    main()
