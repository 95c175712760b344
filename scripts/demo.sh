#!/usr/bin/env bash
# The demo: make clips with known injected defects, then let showrunner find
# them, together with the real sample clips as they are.
set -euo pipefail
bin="$1"
out="$2"
samples=".cache/samples"

echo "== Making demo clips (FFmpeg CLI, injected defects at known times)"
"$bin" corpus demo --out "$out" --samples "$samples"
echo
echo "== showrunner analyze (in-process FFmpeg decode, all detectors)"
status=0
"$bin" analyze --no-progress "$out/demo-defects.ts" "$out/demo-lipsync.mp4" \
  "$samples/bigbuckbunny.mp4" "$samples/bikes.mp4" || status=$?
# analyze exits 1 when it finds defects, which is the point of the demo.
if [ "$status" -gt 1 ]; then
  exit "$status"
fi
echo
echo "== QoE telemetry: a labelled 9-day simulation, its player events replayed"
"$bin" simulate qoe --days 9 --seed 2026 --out "$out/qoe" --events-minutes 1
"$bin" telemetry replay --config "$out/qoe/showrunner.toml" "$out/qoe/events.jsonl"
echo
echo "== QoE alarms over the simulation (a week of learning, then two scored days), each localized"
"$bin" eval alarms --sim "$out/qoe" --max-layer 2
