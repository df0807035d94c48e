#!/usr/bin/env bash
# Benchmarks on generated clips; prints figures only (no pass/fail).
#   bash bench/run.sh            everything below
# Needs a build in build/ (scripts/test.sh or scripts/demo.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/bench/bench_extract
W=${BENCH_DIR:-/tmp/ego4dfeat-bench}
mkdir -p "$W"
[ -x "$B" ] || meson compile -C build bench/bench_extract

clip() { # clip NAME SIZE SECONDS
  [ -f "$W/$1.mp4" ] || ffmpeg -nostdin -v error -y -f lavfi \
    -i "testsrc2=size=$2:rate=30:duration=$3" -c:v libx264 -preset veryfast \
    -pix_fmt yuv420p "$W/$1.mp4"
}
clip c360 640x360 20
clip c1080 1920x1080 10
clip c1080long 1920x1080 120
[ -f "$W/r3d_18.pt" ] || /usr/bin/python3 tests/fixtures/make_models.py "$W" \
  r3d_18 tiny_video >/dev/null

echo "== 1080p decode + transform vs plain decoding (W 32, S 16, side 256)"
t0=$(date +%s.%N)
ffmpeg -nostdin -v error -threads 2 -i "$W/c1080.mp4" -f null -
t1=$(date +%s.%N)
/usr/bin/python3 -c "print('plain ffmpeg decode: %.1f frames/s' % (300 / ($t1 - $t0)))"
$B decode "$W/c1080.mp4" configs slowfast_r101_8x8 \
  model_config.model_path="$W/tiny_video.pt" inference_config.device=cpu

echo "== memory: 2-minute 1080p clip (compare peak RSS with the 10 s one)"
$B decode "$W/c1080long.mp4" configs slowfast_r101_8x8 \
  model_config.model_path="$W/tiny_video.pt" inference_config.device=cpu

echo "== tiny model, 640x360, mvit_k400 transforms"
$B all "$W/c360.mp4" configs mvit_k400 model_config.model_path="$W/tiny_video.pt" inference_config.device=cpu

echo "== the same with one decode thread and one libtorch thread (overlap)"
EF_BENCH_THREADS=1 $B all "$W/c360.mp4" configs mvit_k400 \
  model_config.model_path="$W/tiny_video.pt" inference_config.device=cpu

echo "== r3d_18-sized model (random weights), 640x360, 112 crop, 16-frame windows"
$B all "$W/c360.mp4" configs mvit_k400 model_config.model_path="$W/r3d_18.pt" inference_config.device=cpu \
  model_config.side_size=128 model_config.crop_size=112 \
  inference_config.frame_window=16 inference_config.stride=16
