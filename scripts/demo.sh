#!/usr/bin/env bash
# The main job on a bundled sample, from a fresh Debian 12 machine:
# installs what is missing, builds, makes a sample clip and a demo model,
# extracts SlowFast-config features from the clip and shows what it wrote.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build and run dependencies only (scripts/test.sh installs the test tools).
bash scripts/install-deps.sh --demo
# Without the test suite, which needs check; a build/ that scripts/test.sh
# made keeps its tests.
[ -f build/build.ninja ] || meson setup build -Dtests=false >/dev/null
meson compile -C build >/dev/null

mkdir -p sample/videos sample/models
# 10 s of 640x360 video at 30 fps with a tone, like a short Ego4D clip.
[ -f sample/videos/sample.mp4 ] || ffmpeg -nostdin -v error -y \
  -f lavfi -i testsrc2=size=640x360:rate=30:duration=10 \
  -f lavfi -i sine=frequency=440:duration=10 \
  -c:v libx264 -pix_fmt yuv420p -c:a aac -shortest sample/videos/sample.mp4
# The real SlowFast weights need the internet (tools/export_models.py);
# a small TorchScript model with SlowFast's [slow, fast] input stands in.
[ -f sample/models/tiny_slowfast.pt ] ||
  /usr/bin/python3 tests/fixtures/make_models.py sample/models tiny_slowfast >/dev/null

build/examples/ego4dfeat extract --config-name slowfast_r101_8x8 \
  io.video_dir_path=sample/videos io.out_path=sample/features \
  model_config.model_path=sample/models/tiny_slowfast.pt \
  inference_config.device=cpu "$@"

/usr/bin/python3 - <<'PY'
import torch
t = torch.load("sample/features/sample.pt")
print(f"sample/features/sample.pt: {t.dtype} tensor {list(t.shape)} "
      f"(one row per 32-frame window every 16 frames)")
PY
