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
rm -rf "$out/data"
"$bin" telemetry replay --config "$out/qoe/showrunner.toml" "$out/qoe/events.jsonl" --data-dir "$out/data"
echo
echo "== SQL over the telemetry store (Parquet under $out/data/telemetry, DataFusion)"
"$bin" query --data-dir "$out/data" "SELECT device, sum(attempts) AS attempts, round(sum(rebuffer_s) / sum(play_s + rebuffer_s), 4) AS rebuffering_ratio, round(sum(startup_ms_sum) / sum(plays)) AS mean_startup_ms FROM leaves GROUP BY device ORDER BY attempts DESC"
echo
echo "== QoE alarms over the simulation (a week of learning, then two scored days), each localized"
"$bin" eval alarms --sim "$out/qoe" --max-layer 2
echo
echo "== The same pipeline into the alarm store: detect, list, show (chart as SVG)"
"$bin" alarms detect --sim "$out/qoe" --data-dir "$out/data"
echo
"$bin" alarms list --data-dir "$out/data"
echo
"$bin" alarms show 2 --data-dir "$out/data" --svg "$out/alarm-2.svg"
echo
echo "== Artwork: generated posters checked against their labels (PP-OCR and NudeNet in-process), with an HTML report"
"$bin" artwork synth --out "$out/posters" --seed 2 --count 24
"$bin" artwork eval --dataset "$out/posters" --data-dir "$out/data"
echo
echo "== showrunner serve: the same alarms over the HTTP API, and live streams"
SHOWRUNNER_TOKEN=demo-token SHOWRUNNER_LOG=warn "$bin" serve --listen 127.0.0.1:0 --data-dir "$out/data" >"$out/serve.log" &
server=$!
senders=()
trap 'kill $server "${senders[@]}" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  grep -q "serving on" "$out/serve.log" 2>/dev/null && break
  sleep 0.1
done
base=$(grep -o 'http://[0-9.:]*' "$out/serve.log" | head -1)
echo "$ curl '$base/v1/alarms?state=resolved&limit=1'   (a few of its fields)"
curl -sS "$base/v1/alarms?state=resolved&limit=1" | python3 -c '
import json, sys
for a in json.load(sys.stdin)["alarms"]:
    shown = {k: a[k] for k in ("id", "state", "level", "summary", "chart_url")}
    shown["explanation"] = a["explanation"]["text"]
    shown["related_series"] = len(a["elements"])
    print(json.dumps(shown, indent=2, ensure_ascii=False))
'
echo "$ curl -X POST $base/v1/alarms/2/ack   (no token)"
curl -sS -X POST "$base/v1/alarms/2/ack" -H 'content-type: application/json' -d '{"by":"demo"}'
echo
echo
echo "== Live streams: three looping MPEG-TS sources over UDP (ffmpeg -re), one with recurring defects"
ports=($(python3 -c 'import socket
for _ in range(3):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'))
names=("Demo Bunny" "Demo Bikes" "Demo Faulty")
clips=("$samples/bigbuckbunny.mp4" "$samples/bikes.mp4" "$out/demo-defects.ts")
for i in 0 1 2; do
  ffmpeg -hide_banner -loglevel error -re -stream_loop -1 -i "${clips[$i]}" -c copy -f mpegts \
    "udp://127.0.0.1:${ports[$i]}?pkt_size=1316" </dev/null &
  senders+=($!)
  echo "$ curl -X POST $base/v1/streams -H 'authorization: Bearer …' -d '{\"name\":\"${names[$i]}\",\"url\":\"udp://127.0.0.1:${ports[$i]}\"}'"
  curl -sS -o /dev/null -w '%{http_code}\n' -X POST "$base/v1/streams" -H 'authorization: Bearer demo-token' \
    -H 'content-type: application/json' -d "{\"name\":\"${names[$i]}\",\"url\":\"udp://127.0.0.1:${ports[$i]}\"}"
done
echo "(watching for 30 s…)"
sleep 30
echo "$ curl $base/v1/streams   (state and figures of each)"
curl -sS "$base/v1/streams" | python3 -c '
import json, sys
for s in json.load(sys.stdin)["streams"]:
    st = s["status"] or {}
    row = (s["id"], st.get("state", "-"), st.get("fps", 0), st.get("bitrate_kbps", 0), st.get("defects", {}))
    print("%-12s %-9s %5.1f fps %6.0f kbit/s  defects %s" % row)
'
echo "$ curl '$base/v1/defects?limit=5'   (newest first)"
curl -sS "$base/v1/defects?limit=5" | python3 -c '
import json, sys, datetime
for d in json.load(sys.stdin)["defects"]:
    start = datetime.datetime.fromtimestamp(d["start_ms"] / 1000, datetime.timezone.utc).strftime("%H:%M:%S")
    length = "under way" if d["end_ms"] is None else "%.1f s" % ((d["end_ms"] - d["start_ms"]) / 1000)
    media = "" if d["start_pts_s"] is None else " media %.2f s" % d["start_pts_s"]
    print("#%-3d %-12s %-16s %s%s  %s" % (d["id"], d["stream"], d["type"], start, media, length))
'
echo
echo "Stream wall: $base/   (each tile live; click a defect on a timeline for its picture)"
if [ -t 0 ]; then
  echo "serve keeps running with the demo streams; press Ctrl-C to stop."
  wait $server || true
fi
