#!/usr/bin/env bash
# Benchmarks on generated clips; prints figures only (no pass/fail).
#   bash bench/run.sh            everything below (about 6 minutes on 2 cores)
# Needs a build in build/ (scripts/test.sh or scripts/demo.sh makes it).
# Figures move with other load on the machine: run it on a quiet one.
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/bench/bench_extract
CLI=build/examples/ego4dfeat
PY=/usr/bin/python3
W=${BENCH_DIR:-/tmp/ego4dfeat-bench}
mkdir -p "$W"
[ -x "$B" ] && [ -x "$CLI" ] && [ -x build/bench/bench_transform ] || meson compile -C build

clip() { # clip NAME SIZE SECONDS
  [ -f "$W/$1.mp4" ] || ffmpeg -nostdin -v error -y -f lavfi \
    -i "testsrc2=size=$2:rate=30:duration=$3" -c:v libx264 -preset veryfast \
    -pix_fmt yuv420p "$W/$1.mp4"
}
clip c240 320x240 20
clip c360 640x360 20
clip c540 960x540 10
clip c1080 1920x1080 10
clip c1080long 1920x1080 120
[ -f "$W/r3d_18.pt" ] || $PY tests/fixtures/make_models.py "$W" \
  r3d_18 tiny_video >/dev/null
secs() { $PY -c "import sys; print('%.3f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$@"; }

echo "== start-up: the CLI with libtorch loaded, doing nothing"
t0=$(date +%s.%N); $CLI --help >/dev/null; t1=$(date +%s.%N)
echo "ego4dfeat --help: $(secs "$t0" "$t1") s"

echo "== the transform alone, one thread (ms per frame)"
for s in "320 240" "960 540" "1920 1080"; do
  build/bench/bench_transform $s 256 256
done

echo "== decode + RGB + transform + windows vs plain decoding (W 32, S 16, side 256, crop 256)"
for r in c240:320x240:600 c540:960x540:300 c1080:1920x1080:300; do
  IFS=: read -r name size frames <<<"$r"
  t0=$(date +%s.%N)
  ffmpeg -nostdin -v error -threads 0 -i "$W/$name.mp4" -f null -
  t1=$(date +%s.%N)
  plain=$($PY -c "print('%.0f' % ($frames / ($t1 - $t0)))")
  ours=$($B decode "$W/$name.mp4" configs slowfast_r101_8x8 \
    model_config.model_path="$W/tiny_video.pt" inference_config.device=cpu |
    sed -n 's/.* \([0-9.]*\) frames\/s.*/\1/p')
  $PY -c "print('%-9s %s: plain ffmpeg %s frames/s, ours %s frames/s (%.0f %%)' % ('$size', '', $plain, $ours, 100 * $ours / $plain))"
done

echo "== memory: 10 s vs 2-minute 1080p clip (peak RSS)"
$B decode "$W/c1080.mp4" configs slowfast_r101_8x8 \
  model_config.model_path="$W/tiny_video.pt" inference_config.device=cpu | tail -1
$B decode "$W/c1080long.mp4" configs slowfast_r101_8x8 \
  model_config.model_path="$W/tiny_video.pt" inference_config.device=cpu | tail -1

echo "== tiny model, 640x360, mvit_k400 transforms"
$B all "$W/c360.mp4" configs mvit_k400 model_config.model_path="$W/tiny_video.pt" inference_config.device=cpu

echo "== the same with one decode thread and one libtorch thread (overlap)"
EF_BENCH_THREADS=1 $B all "$W/c360.mp4" configs mvit_k400 \
  model_config.model_path="$W/tiny_video.pt" inference_config.device=cpu

R3D=(model_config.model_path="$W/r3d_18.pt" inference_config.device=cpu
  model_config.side_size=128 model_config.crop_size=112
  inference_config.frame_window=16 inference_config.stride=16)
echo "== r3d_18 (random weights), 640x360, 112 crop, 16-frame windows: CLI end to end vs Python forward passes alone"
mkdir -p "$W/v360" && ln -sf ../c360.mp4 "$W/v360/c360.mp4"
for opt in true false; do
  rm -rf "$W/f360_$opt"
  t0=$(date +%s.%N)
  line=$($CLI extract --config-name mvit_k400 io.video_dir_path="$W/v360" io.out_path="$W/f360_$opt" \
    "${R3D[@]}" model_config.optimize=$opt --quiet 2>&1 | grep -E "^time")
  t1=$(date +%s.%N)
  echo "$line" | sed "s/^/  optimize=$opt /"
  eval "cli_$opt=$(secs "$t0" "$t1")"
  eval "fwd_$opt=$(echo "$line" | sed -n 's/.*forward \([0-9.]*\) s.*/\1/p')"
done
windows=$($PY -c "import torch; print(torch.load('$W/f360_true/c360.pt').shape[0])")
pyout=$($PY bench/python_forward.py "$W/r3d_18.pt" "$windows" 16 112)
echo "$pyout" | grep -v '^seconds='
py=$(echo "$pyout" | sed -n 's/^seconds=//p')
pyout=$($PY bench/python_forward.py "$W/r3d_18.pt" "$windows" 16 112 0)
echo "$pyout" | grep -v '^seconds='
pydef=$(echo "$pyout" | sed -n 's/^seconds=//p')
pyout=$($PY bench/python_forward.py "$W/r3d_18.pt" "$windows" 16 112 "$(nproc)" optimised)
echo "$pyout" | grep -v '^seconds='
pyopt=$(echo "$pyout" | sed -n 's/^seconds=//p')
$PY - "$cli_true" "$cli_false" "$py" "$windows" "$W" "$pydef" "$fwd_true" "$pyopt" <<'PY'
import sys
import torch
cli, cli_plain, py, n = map(float, sys.argv[1:5])
pydef, fwd, pyopt = map(float, sys.argv[6:9])
a = torch.load(f"{sys.argv[5]}/f360_true/c360.pt")
b = torch.load(f"{sys.argv[5]}/f360_false/c360.pt")
print(f"features optimised vs not: max |diff| {float((a - b).abs().max()):.2g}")
print(f"CLI end to end (start-up, decode, {int(n)} windows, write): "
      f"{cli:.2f} s optimised, {cli_plain:.2f} s with model_config.optimize=false")
print(f"Python forward passes alone, unfrozen, all cores: {py:.2f} s -> the "
      f"CLI is {py / cli:.2f}x faster ({py / cli_plain:.2f}x without freezing)")
print(f"Python forward passes alone, unfrozen, torch's default threads: "
      f"{pydef:.2f} s -> the CLI is {pydef / cli:.2f}x faster")
print(f"the same frozen + optimised module: forward passes {fwd:.2f} s in the "
      f"CLI (decoding beside them), {pyopt:.2f} s alone in Python; freezing "
      f"gains {py / pyopt:.2f}x here, which bounds the CLI's end-to-end ratio")
PY
