//! `showrunner telemetry replay` as a user runs it: JSON lines and CSV,
//! every record accounted for, bad records refused one by one with their
//! reason, and the per-minute metrics of what was accepted.

mod common;

use common::{showrunner, stderr, stdout};
use serde_json::{json, Value};

const T0: i64 = 1_795_000_020_000; // 2026-11-18 11:07:00 UTC

fn dims(cdn: &str) -> Value {
    json!({"device": "tv", "os": "tizen", "app_version": "5.2", "country": "DE", "isp": "ISP-3",
           "cdn": cdn, "delivery": "live", "title": "match-1"})
}

/// Two minutes of events: minute 1 has 4 attempts (one fails to start,
/// one gives up), 2 starts, 36 s played and 4 s stalled; minute 2 has one
/// attempt. Then one bad record of each kind.
fn lines() -> Vec<String> {
    let mut good = vec![];
    for s in 0..4 {
        good.push(json!({"type": "attempt", "time": T0 + s * 1000, "session": format!("s{s}"), "dims": dims("B")}));
    }
    good.push(json!({"type": "start", "time": T0 + 5000, "session": "s0", "dims": dims("B"), "startup_ms": 900}));
    good.push(json!({"type": "start", "time": T0 + 6000, "session": "s1", "dims": dims("A"), "startup_ms": 1300}));
    good.push(json!({"type": "heartbeat", "time": T0 + 20_000, "session": "s0", "dims": dims("B"),
                     "play_s": 18, "rebuffer_s": 2, "bitrate_kbps": 3000}));
    good.push(json!({"type": "heartbeat", "time": T0 + 21_000, "session": "s1", "dims": dims("A"),
                     "play_s": 18, "rebuffer_s": 2, "bitrate_kbps": 6000}));
    good.push(json!({"type": "error", "time": T0 + 8000, "session": "s2", "dims": dims("B"),
                     "code": "DRM", "fatal": true, "before_start": true}));
    good.push(json!({"type": "end", "time": T0 + 9000, "session": "s3", "dims": dims("B"), "before_start": true}));
    good.push(json!({"type": "attempt", "time": "2026-11-18T11:08:30Z", "session": "s9", "dims": dims("B")}));
    let mut out: Vec<String> = good.iter().map(Value::to_string).collect();
    out.push("{not json".into());
    out.push(json!({"type": "heartbeat", "time": T0, "session": "x", "dims": dims("B"), "play_s": "10", "rebuffer_s": 0, "bitrate_kbps": 1}).to_string());
    out.push(json!({"type": "heartbeat", "time": T0, "session": "x", "dims": dims("B"), "play_s": -3, "rebuffer_s": 0, "bitrate_kbps": 1}).to_string());
    out.push(json!({"type": "attempt", "time": T0 + 400 * 86_400_000, "session": "x", "dims": dims("B")}).to_string());
    out.push(json!({"type": "attempt", "time": T0, "session": "x"}).to_string());
    out.push(json!({"type": "seek", "time": T0, "session": "x", "dims": dims("B")}).to_string());
    out
}

fn check_report(v: &Value) {
    assert_eq!(v["records"], 17);
    assert_eq!(v["accepted"], 11);
    let rejected = &v["rejected"];
    for (reason, count) in [
        ("malformed", 1),
        ("wrong_type", 1),
        ("bad_value", 1),
        ("time_out_of_range", 1),
        ("missing_field", 1),
        ("unknown_type", 1),
    ] {
        assert_eq!(rejected[reason]["count"], count, "{reason}: {rejected}");
    }
    let intervals = v["intervals"].as_array().unwrap();
    assert_eq!(intervals.len(), 2);
    assert_eq!(intervals[0]["start_ms"], T0);
    let m = &intervals[0]["metrics"];
    assert_eq!((m["attempts"].as_u64(), m["plays"].as_u64()), (Some(4), Some(2)));
    assert!((m["rebuffering_ratio"].as_f64().unwrap() - 0.1).abs() < 1e-12, "{m}");
    assert!((m["start_failure_rate"].as_f64().unwrap() - 0.25).abs() < 1e-12, "{m}");
    assert!((m["exit_before_start_rate"].as_f64().unwrap() - 0.25).abs() < 1e-12, "{m}");
    assert!((m["bitrate_kbps"].as_f64().unwrap() - 4500.0).abs() < 1e-9, "{m}");
    assert_eq!(intervals[1]["metrics"]["attempts"], 1);
}

#[test]
fn json_lines_are_validated_one_by_one_and_aggregated_per_minute() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.jsonl");
    std::fs::write(&file, lines().join("\n")).unwrap();
    let out = showrunner(&["telemetry", "replay", "--json", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "some records were refused: {}", stderr(&out));
    check_report(&serde_json::from_str(&stdout(&out)).unwrap());
    let table = stdout(&showrunner(&["telemetry", "replay", file.to_str().unwrap()]));
    assert!(table.contains("17 records, 11 accepted, 6 rejected"), "{table}");
    assert!(table.contains("rejected wrong_type: 1 (first at line 13: `play_s` must be a number)"), "{table}");
    assert!(table.contains("2026-11-18 11:07") && table.contains("10.00%"), "{table}");
}

#[test]
fn csv_gives_the_same_result_as_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let columns = [
        "type",
        "time",
        "session",
        "device",
        "os",
        "app_version",
        "country",
        "isp",
        "cdn",
        "delivery",
        "title",
        "startup_ms",
        "play_s",
        "rebuffer_s",
        "bitrate_kbps",
        "code",
        "fatal",
        "before_start",
    ];
    let mut csv = columns.join(",") + "\n";
    for line in lines() {
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            csv.push_str("broken,row\n");
            continue;
        };
        let cell = |c: &str| {
            let x = v.get(c).or_else(|| v.get("dims").and_then(|d| d.get(c)));
            match x {
                None => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            }
        };
        csv.push_str(&columns.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        csv.push('\n');
    }
    let file = dir.path().join("events.csv");
    std::fs::write(&file, csv).unwrap();
    let out = showrunner(&["telemetry", "replay", "--json", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    // The CSV form cannot express `play_s` as text vs number; a quoted
    // "10" reads as the number 10, so that record is accepted there.
    assert_eq!(v["records"], 17, "{v}");
    assert_eq!(v["rejected"]["missing_field"]["count"], 1, "{v}");
    assert_eq!(v["rejected"]["unknown_type"]["count"], 1, "{v}");
    assert_eq!(v["rejected"]["bad_value"]["count"], 1, "{v}");
}

#[test]
fn unusable_files_and_settings_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.jsonl");
    let out = showrunner(&["telemetry", "replay", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nope.jsonl: No such file"), "{}", stderr(&out));
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "\n\n").unwrap();
    let out = showrunner(&["telemetry", "replay", empty.to_str().unwrap()]);
    assert!(stderr(&out).contains("empty.jsonl: no records"), "{}", stderr(&out));
    let csv = dir.path().join("odd.csv");
    std::fs::write(&csv, "type,time,session,colour\n").unwrap();
    let out = showrunner(&["telemetry", "replay", csv.to_str().unwrap()]);
    assert!(stderr(&out).contains("unknown column `colour`"), "{}", stderr(&out));
    let out = showrunner(&["telemetry", "replay", "--speed", "fast", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("expected `max` or a positive factor"), "{}", stderr(&out));
    let out = showrunner(&["telemetry", "replay", "--set", "telemetry.interval_s=0", empty.to_str().unwrap()]);
    assert!(stderr(&out).contains("interval_s"), "{}", stderr(&out));
    let fake = dir.path().join("events.parquet");
    std::fs::write(&fake, "type,time\n").unwrap();
    let out = showrunner(&["telemetry", "replay", fake.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("events.parquet: not a Parquet file"), "{}", stderr(&out));
}

#[test]
fn replayed_telemetry_is_stored_as_parquet_and_answers_sql() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.jsonl");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&events).unwrap());
    // 90 minutes: 30 attempts a minute on each of four leaves; from minute
    // 80 every attempt on B × DE fails.
    for m in common::INCIDENT_MINUTE - 80..common::INCIDENT_MINUTE + 10 {
        for line in common::incident_minute(m) {
            writeln!(w, "{line}").unwrap();
        }
    }
    drop(w);
    let config = dir.path().join("showrunner.toml");
    std::fs::write(&config, format!("{}max_skew_s = 400000000\n", common::TELEMETRY_CONFIG)).unwrap();
    let data = dir.path().join("data");
    let (events, config, data) = (events.to_str().unwrap(), config.to_str().unwrap(), data.to_str().unwrap());
    let out = showrunner(&["telemetry", "replay", events, "--config", config, "--data-dir", data]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("360 leaf-minute rows written"), "{}", stderr(&out));
    let sql = "SELECT cdn, country, sum(attempts) AS attempts, sum(start_failures) AS failures \
               FROM leaves GROUP BY cdn, country ORDER BY cdn, country";
    let out = showrunner(&["query", "--data-dir", data, "--json", sql]);
    assert!(out.status.success(), "{}", stderr(&out));
    let answer: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let rows: Vec<(String, String, u64, u64)> = answer["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let text = |k: &str| r[k].as_str().unwrap().to_string();
            (text("cdn"), text("country"), r["attempts"].as_u64().unwrap(), r["failures"].as_u64().unwrap())
        })
        .collect();
    let want = |cdn: &str, country: &str, failures| (cdn.to_string(), country.to_string(), 2700, failures);
    assert_eq!(rows, [want("A", "DE", 0), want("A", "FR", 0), want("B", "DE", 300), want("B", "FR", 0)]);
    // The table form, and a write refused.
    let out = showrunner(&["query", "--data-dir", data, "SELECT count(*) AS n FROM leaves"]);
    assert!(stdout(&out).contains("| 360 |"), "{}", stdout(&out));
    let out = showrunner(&["query", "--data-dir", data, "DROP TABLE leaves"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("query:"), "{}", stderr(&out));
    // Replay reads Parquet too; the store's files hold aggregates, not
    // events, and are refused by their first column.
    let hour = std::fs::read_dir(std::path::Path::new(data).join("telemetry")).unwrap().next().unwrap().unwrap().path();
    let part = std::fs::read_dir(hour).unwrap().next().unwrap().unwrap().path();
    let out = showrunner(&["telemetry", "replay", part.to_str().unwrap(), "--config", config]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown column `minute`"), "{}", stderr(&out));
}
