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
  chromium                         # the stream-wall test drives a real headless browser
  fonts-dejavu-core                # `artwork synth` renders poster titles with it
)
# Node.js and npm drive that browser (playwright-core); a machine that has
# them from elsewhere keeps its own.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# playwright-core for the stream-wall test, exactly as locked (it uses
# Debian's chromium; it downloads no browser).
wall="$(dirname "$0")/../crates/server/tests/wall"
if [ ! -d "$wall/node_modules/playwright-core" ]; then
  echo "installing playwright-core for the stream-wall test"
  npm ci --prefix "$wall" --no-audit --no-fund --loglevel=error
fi
