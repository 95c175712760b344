#!/usr/bin/env bash
# Extracts what the artwork checks need from pinned PyPI wheels into .cache/:
#   .cache/models/  PP-OCRv4 text detection + recognition (rapidocr-onnxruntime 1.4.4)
#                   and NudeNet 320n (nudenet 3.4.2), run in-process with tract;
#   .cache/photos/  real photographs (scikit-image 0.24.0 sample data) that
#                   `showrunner artwork synth` composes posters from.
# Nothing is downloaded at run time. Idempotent.
set -euo pipefail

models=".cache/models"
photos=".cache/photos"
wheels=".cache/pip"
mkdir -p "$models" "$photos" "$wheels"

fetch() { # package==version glob
  if ! ls "$wheels"/$2 >/dev/null 2>&1; then
    python3 -m pip download --quiet --no-deps --only-binary=:all: --disable-pip-version-check -d "$wheels" "$1"
  fi
  ls "$wheels"/$2 | head -n 1
}

if [ ! -s "$models/ch_PP-OCRv4_rec_infer.onnx" ] || [ ! -s "$models/ch_PP-OCRv4_det_infer.onnx" ]; then
  wheel=$(fetch rapidocr-onnxruntime==1.4.4 'rapidocr_onnxruntime-1.4.4-*.whl')
  unzip -q -o -j "$wheel" 'rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx' \
    'rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx' -d "$models"
fi
if [ ! -s "$models/320n.onnx" ]; then
  wheel=$(fetch nudenet==3.4.2 'nudenet-3.4.2-*.whl')
  unzip -q -o -j "$wheel" 'nudenet/320n.onnx' -d "$models"
fi
if [ ! -s "$photos/astronaut.png" ]; then
  wheel=$(fetch scikit-image==0.24.0 'scikit_image-0.24.0-*.whl')
  for f in astronaut.png chelsea.png coffee.png rocket.jpg motorcycle_left.png hubble_deep_field.jpg \
    retina.jpg grass.png gravel.png brick.png ihc.png logo.png; do
    unzip -q -o -j "$wheel" "skimage/data/$f" -d "$photos"
  done
fi
