#!/usr/bin/env bash
# The GPU checks, as one prepared script for a machine with an NVIDIA GPU,
# its driver, and a pip-installed CUDA torch (nothing is downloaded: such
# machines often reach nothing outside). It builds libego4dfeat against the
# libtorch inside that torch (-Dtorch_dir), then checks and prints:
#   1. the shim on CUDA: a model lands on cuda:0, forward works, pinned
#      copies in and out (tests/unit/test_model.c, CUDA branch);
#   2. NVDEC: a decoder asked for CUDA gives byte-identical RGB frames to
#      the CPU decoder, 8-bit and 10-bit H.264 (tests/unit/test_decode_hw.c);
#   3. features on cuda (float32, then float16 autocast) against the CPU
#      for a random-weight r3d_18, max differences;
#   4. figures: forward video-s/s on cuda vs cpu, decode frames/s with
#      NVDEC vs the CPU decoder, 1080p.
# Usage: bash scripts/device-check.sh [PYTHON]   (default: python3 on PATH)
# Exit status: 0 all checks passed, 1 a check failed, 2 a missing
# prerequisite (named).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${1:-python3}
W=${DEVICE_CHECK_DIR:-/tmp/ef-device-check}
B=build-cuda
mkdir -p "$W"
fail=0
need() { command -v "$1" >/dev/null || { echo "device-check: needs $1" >&2; exit 2; }; }
for t in meson ninja pkg-config ffmpeg cc c++; do need "$t"; done
for p in libavformat libavcodec libswscale libswresample yaml-0.1 check; do
  pkg-config --exists "$p" || { echo "device-check: needs the $p development files" >&2; exit 2; }
done

echo "== GPU"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "(no nvidia-smi)"
TORCH=$("$PY" -c 'import torch, os; print(os.path.dirname(torch.__file__))') ||
  { echo "device-check: $PY cannot import torch (pip install torch with CUDA)" >&2; exit 2; }
"$PY" -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda, "available:", torch.cuda.is_available())'
"$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' ||
  { echo "device-check: torch sees no CUDA device" >&2; exit 2; }

echo "== build against $TORCH"
t0=$(date +%s)
if [ -f "$B/build.ninja" ]; then meson setup --reconfigure "$B" -Dtorch_dir="$TORCH" >/dev/null
else meson setup "$B" -Dtorch_dir="$TORCH" -Dbuildtype=release >/dev/null; fi || { echo "device-check: meson setup failed" >&2; exit 1; }
meson compile -C "$B" >/dev/null || { echo "device-check: build failed" >&2; exit 1; }
echo "built in $(( $(date +%s) - t0 )) s"
CLI=$B/examples/ego4dfeat

echo "== 1-2. shim on CUDA, NVDEC frames equal the CPU's"
EF_PYTHON="$PY" meson test -C "$B" model decode_hw --print-errorlogs --no-rebuild || fail=1

echo "== 3. features on cuda vs cpu (r3d_18, random weights, 640x360 clip)"
[ -f "$W/c360.mp4" ] || ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=640x360:rate=30:duration=8 \
  -c:v libx264 -pix_fmt yuv420p "$W/c360.mp4"
[ -f "$W/c1080.mp4" ] || ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=1920x1080:rate=30:duration=10 \
  -c:v libx264 -pix_fmt yuv420p "$W/c1080.mp4"
mkdir -p "$W/v" && ln -sf ../c360.mp4 "$W/v/c360.mp4"
[ -f "$W/r3d_18.pt" ] || "$PY" tests/fixtures/make_models.py "$W" r3d_18 >/dev/null
run() { # run OUT [overrides...]
  local out=$1; shift
  rm -rf "$W/$out"
  "$CLI" extract --config-name mvit_k400 io.video_dir_path="$W/v" io.out_path="$W/$out" \
    model_config.model_path="$W/r3d_18.pt" model_config.side_size=128 model_config.crop_size=112 \
    inference_config.frame_window=16 inference_config.stride=16 --quiet "$@" 2>&1 | grep -E "^videos|^time|warning|note" | sed "s/^/  $out: /"
}
run cpu inference_config.device=cpu
run cuda inference_config.device=cuda
run cuda16 inference_config.device=cuda model_config.dtype=float16
run cuda_noopt inference_config.device=cuda model_config.optimize=false
"$PY" - "$W" <<'PY' || fail=1
import sys, torch
w = sys.argv[1]
cpu = torch.load(f"{w}/cpu/c360.pt")
worst = 0.0
for name, tol in [("cuda", 1e-2), ("cuda_noopt", 1e-2), ("cuda16", 5e-2)]:
    x = torch.load(f"{w}/{name}/c360.pt")
    d = float((x - cpu).abs().max()); rel = d / float(cpu.abs().max())
    ok = x.shape == cpu.shape and rel <= tol
    print(f"  {name} vs cpu: shape {list(x.shape)}, max |diff| {d:.3g} "
          f"({rel:.3g} of the largest value; limit {tol}) {'ok' if ok else 'FAIL'}")
    worst = max(worst, 0 if ok else 1)
sys.exit(int(worst))
PY

echo "== 4. decode frames/s, 1080p, NVDEC vs CPU (W 32, S 16, side 256)"
for hw in none cuda; do
  printf '  hwaccel=%s: ' "$hw"
  "$B/bench/bench_extract" decode "$W/c1080.mp4" configs slowfast_r101_8x8 \
    model_config.model_path="$W/r3d_18.pt" inference_config.device=cuda inference_config.hwaccel=$hw 2>&1 | tail -1
done
echo "== 4. forward, r3d_18 16x112x112 windows"
"$B/bench/bench_extract" all "$W/c360.mp4" configs mvit_k400 model_config.model_path="$W/r3d_18.pt" \
  inference_config.device=cuda model_config.side_size=128 model_config.crop_size=112 \
  inference_config.frame_window=16 inference_config.stride=16 2>&1 | tail -4

[ $fail -eq 0 ] && echo "device-check: all checks passed" || echo "device-check: FAILED"
exit $fail
