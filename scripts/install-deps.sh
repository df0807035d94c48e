#!/usr/bin/env bash
# Installs, with Debian's apt, what libego4dfeat needs. Safe to rerun: apt
# skips what is already there.
#
#   install-deps.sh          everything: build, run and test (scripts/test.sh)
#   install-deps.sh --demo   what building and running it needs, and the
#                            Python torch that makes the demo's model
#                            (scripts/demo.sh); no test tools, no SLURM
set -euo pipefail

# Building and running: compilers, meson, the libraries it links, FFmpeg's
# command line (the demo's sample clip), and Debian's torch for Python
# (the demo's stand-in model and the export tool).
build_run=(
  build-essential meson ninja-build pkgconf
  libtorch-dev libopenblas0-pthread libyaml-dev libhdf5-dev
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev
  ffmpeg
  python3-torch python3-torchvision python3-numpy
)
# The test suite only: unit tests (check), format and fuzz checks (clang),
# the reference pipeline in Python, and a one-node SLURM cluster.
tests=(
  check clang-format clang libclang-rt-14-dev
  python3-torchaudio python3-av python3-yaml python3-pytest python3-h5py
  slurmctld slurmd slurm-client munge
)

case "${1:-}" in
  --demo) pkgs=("${build_run[@]}") ;;
  "") pkgs=("${build_run[@]}" "${tests[@]}") ;;
  *)
    echo "usage: install-deps.sh [--demo]" >&2
    exit 2
    ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
