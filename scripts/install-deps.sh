#!/usr/bin/env bash
# Installs, with Debian's apt, everything libego4dfeat needs to build, run
# and test. Safe to rerun: apt skips what is already there.
set -euo pipefail

pkgs=(
  build-essential meson ninja-build pkgconf check clang-format
  clang libclang-rt-14-dev
  libtorch-dev libopenblas0-pthread libyaml-dev libhdf5-dev
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev
  ffmpeg
  python3-torch python3-torchvision python3-torchaudio python3-av
  python3-numpy python3-yaml python3-pytest python3-h5py
  slurmctld slurmd slurm-client munge
)

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
