//! `showrunner alarms detect|list|show|ack` end to end: telemetry in, an
//! alarm in the SQLite store, localized, charted and acknowledged.

mod common;

use std::io::Write;
use std::path::Path;

use common::{incident_minute, showrunner, stderr, stdout, INCIDENT_MINUTE, MINUTES, START_MS, TELEMETRY_CONFIG};

/// Writes the telemetry of [`common::incident_minute`] to a file.
fn write_telemetry(path: &Path) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for m in 0..MINUTES {
        for line in incident_minute(m) {
            writeln!(w, "{line}").unwrap();
        }
    }
}

fn setup(dir: &Path) -> (String, String, String) {
    let telemetry = dir.join("events.jsonl");
    write_telemetry(&telemetry);
    let config = dir.join("showrunner.toml");
    std::fs::write(&config, TELEMETRY_CONFIG).unwrap();
    let s = |p: &Path| p.to_str().unwrap().to_string();
    (s(&telemetry), s(&config), s(&dir.join("data")))
}

#[test]
fn a_start_failure_incident_in_a_telemetry_file_becomes_a_stored_localized_charted_alarm() {
    let dir = tempfile::tempdir().unwrap();
    let (telemetry, config, data) = setup(dir.path());
    let args = ["alarms", "detect", "--telemetry", &telemetry, "--config", &config, "--data-dir", &data];
    let out = showrunner(&[&args[..], &["--warmup-days", "1"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("OPENED    #1 "), "{text}");
    assert!(text.contains("LOCALIZED #1: start_failure_rate"), "{text}");

    let out = showrunner(&["alarms", "list", "--data-dir", &data, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let alarms = list.as_array().unwrap();
    assert_eq!(alarms.len(), 1, "{list:#}");
    let a = &alarms[0];
    let incident_ms = START_MS + INCIDENT_MINUTE * 60_000;
    let opened = a["opened_ms"].as_i64().unwrap();
    assert!((incident_ms..=incident_ms + 3 * 60_000).contains(&opened), "opened {opened}, incident {incident_ms}");
    assert_eq!(a["metrics"][0], "start_failure_rate");
    assert_eq!(a["state"], "open", "the failures last to the end of the file");
    assert_eq!(a["explanation"]["elements"], serde_json::json!(["cdn=B&country=DE"]), "{a:#}");
    assert!(a.get("chart").is_none(), "listings leave the chart points out");

    // `show` draws the chart: the band, the series and the window.
    let svg = dir.path().join("alarm.svg");
    let out = showrunner(&["alarms", "show", "1", "--data-dir", &data, "--svg", svg.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("localized: start_failure_rate") && text.contains("in cdn=B&country=DE"), "{text}");
    let drawing = std::fs::read_to_string(&svg).unwrap();
    for class in ["window", "band", "expected", "observed"] {
        assert!(drawing.contains(&format!(r#"class="{class}""#)), "no {class} in the SVG");
    }
    let out = showrunner(&["alarms", "show", "1", "--data-dir", &data, "--json"]);
    let shown: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let points = shown["chart"]["points"].as_array().unwrap();
    let at = |t: i64| points.iter().find(|p| p["time_ms"] == t).unwrap();
    assert_eq!(at(incident_ms - 60_000)["observed"], 0.0, "no failures before");
    assert_eq!(at(incident_ms + 5 * 60_000)["observed"], 1.0, "every attempt failed during");

    // Acknowledge it; the state survives in the store.
    let out = showrunner(&["alarms", "ack", "1", "--by", "ana", "--note", "CDN B paged", "--data-dir", &data]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = showrunner(&["alarms", "list", "--data-dir", &data, "--state", "acknowledged"]);
    assert!(stdout(&out).lines().nth(1).is_some_and(|l| l.contains("acknowledged")), "{}", stdout(&out));
    let out = showrunner(&["alarms", "list", "--data-dir", &data, "--state", "open"]);
    assert_eq!(stdout(&out).trim(), "no alarms");
}

#[test]
fn bad_requests_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nothing-here");
    let data = data.to_str().unwrap();
    let out = showrunner(&["alarms", "list", "--data-dir", data]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no alarm store in"), "{}", stderr(&out));

    let (telemetry, config, data) = setup(dir.path());
    let out = showrunner(&["alarms", "detect", "--telemetry", &telemetry, "--config", &config, "--data-dir", &data]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("all within the 10080-minute warm-up"), "{}", stderr(&out));
    let out = showrunner(&["alarms", "show", "7", "--data-dir", &data]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no alarm 7"), "{}", stderr(&out));
    let out = showrunner(&["alarms", "list", "--data-dir", &data, "--since", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--since `yesterday`"), "{}", stderr(&out));
    let calendar = dir.path().join("calendar.toml");
    std::fs::write(&calendar, "[[event]]\nid = 3\n").unwrap();
    let out = showrunner(&[
        "alarms",
        "detect",
        "--telemetry",
        &telemetry,
        "--config",
        &config,
        "--data-dir",
        &data,
        "--calendar",
        calendar.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("event 1: `id` must be text"), "{}", stderr(&out));
}
