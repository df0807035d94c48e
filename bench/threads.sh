#!/usr/bin/env bash
# The thread budget: decode threads and libtorch intra-op threads split
# over the cores, on the workload of issue 16 (r3d_18 with random weights,
# 320x240, 16-frame windows every 16, crop 112, batch 1). For each split it
# prints decode alone, forward passes alone and the whole extraction
# (bench_extract all). Prints figures only; run it on a quiet machine (the
# load average is printed with them).
#   bash bench/threads.sh
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/bench/bench_extract
PY=/usr/bin/python3
W=${BENCH_DIR:-$(mktemp -d)}
[ -x "$B" ] || meson compile -C build bench/bench_extract
[ -f "$W/c240.mp4" ] || ffmpeg -nostdin -v error -y -f lavfi \
  -i "testsrc2=size=320x240:rate=30:duration=10" -c:v libx264 \
  -preset veryfast -pix_fmt yuv420p "$W/c240.mp4"
[ -f "$W/r3d_18.pt" ] || $PY tests/fixtures/make_models.py "$W" r3d_18 >/dev/null
R3D=(model_config.model_path="$W/r3d_18.pt" inference_config.device=cpu
  model_config.side_size=128 model_config.crop_size=112
  inference_config.frame_window=16 inference_config.stride=16
  inference_config.batch_size=1)
cores=$(nproc)
echo "== thread budget on $cores cores (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
splits="0:0 1:$cores $cores:$cores"
[ "$cores" -gt 1 ] && splits="$splits 1:$((cores - 1))"
for split in $splits; do
  d=${split%:*} t=${split#*:}
  echo "-- decode threads $d, torch threads $t (0: the library's default)"
  EF_BENCH_DECODE_THREADS=$d EF_BENCH_TORCH_THREADS=$t \
    $B all "$W/c240.mp4" configs mvit_k400 "${R3D[@]}" | sed 's/^/   /'
done
