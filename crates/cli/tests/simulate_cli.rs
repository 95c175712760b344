//! `showrunner simulate qoe` as a user runs it: the files it promises, a
//! calendar that parses and holds only anticipated events, and player
//! events that `telemetry replay` accepts in full with the settings the
//! simulation writes beside them.

mod common;

use common::{showrunner, stderr, stdout};

#[test]
fn a_simulation_replays_cleanly_and_its_truth_is_labelled() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sim");
    let run = showrunner(&["simulate", "qoe", "--days", "7", "--seed", "11", "--out", out.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(stdout(&run).contains("7 days from 2026-11-02T00:00:00Z, 630 leaves"), "{}", stdout(&run));

    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("truth.json")).unwrap()).unwrap();
    let events = truth["events"].as_array().unwrap();
    for class in ["anticipated", "low_impact", "high_impact_external", "incident"] {
        assert!(events.iter().any(|e| e["class"] == class), "no {class} event");
    }
    for e in events {
        assert!(e["start_minute"].as_u64().unwrap() + e["minutes"].as_u64().unwrap() <= 7 * 1440, "{e}");
    }

    let calendar: toml::Table = std::fs::read_to_string(out.join("calendar.toml")).unwrap().parse().unwrap();
    let scheduled = calendar["event"].as_array().unwrap();
    let anticipated = events.iter().filter(|e| e["class"] == "anticipated").count();
    assert_eq!(scheduled.len(), anticipated);
    assert!(scheduled.iter().all(|e| e["scope"].as_table().is_some_and(|s| s.contains_key("country"))));

    let config = out.join("showrunner.toml");
    let replay = showrunner(&[
        "telemetry",
        "replay",
        "--json",
        "--config",
        config.to_str().unwrap(),
        out.join("events.jsonl").to_str().unwrap(),
    ]);
    assert_eq!(replay.status.code(), Some(0), "every simulated event is valid: {}", stdout(&replay));
    let report: serde_json::Value = serde_json::from_str(&stdout(&replay)).unwrap();
    let m = &report["intervals"][0]["metrics"];
    // Minute 1200 is 20:00 UTC on a Monday, near the evening peak.
    assert!((3000..5000).contains(&m["attempts"].as_u64().unwrap()), "{m}");
    assert!(m["rebuffering_ratio"].as_f64().unwrap() < 0.02, "{m}");
}

#[test]
fn bad_arguments_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sim");
    let o = out.to_str().unwrap();
    let run = showrunner(&["simulate", "qoe", "--days", "0", "--out", o]);
    assert_eq!(run.status.code(), Some(2));
    assert!(stderr(&run).contains("--days 0"), "{}", stderr(&run));
    let run =
        showrunner(&["simulate", "qoe", "--days", "1", "--events-at", "1439", "--events-minutes", "5", "--out", o]);
    assert_eq!(run.status.code(), Some(2));
    assert!(stderr(&run).contains("runs past the 1440 simulated minutes"), "{}", stderr(&run));
}

#[test]
fn eval_alarms_scores_a_simulation_against_its_truth() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sim");
    let o = out.to_str().unwrap();
    let run = showrunner(&["simulate", "qoe", "--days", "9", "--seed", "4", "--events-minutes", "0", "--out", o]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let eval = showrunner(&["eval", "alarms", "--sim", o, "--max-layer", "2", "--json"]);
    assert_eq!(eval.status.code(), Some(0), "{}", stderr(&eval));
    let r: serde_json::Value = serde_json::from_str(&stdout(&eval)).unwrap();
    assert_eq!(r["days_scored"], 2);
    let methods = r["methods"].as_array().unwrap();
    assert_eq!(methods[0]["method"], "special_events");
    assert_eq!(methods[1]["method"], "forecast_only");
    for m in methods {
        // Every scored incident is listed, detected or not.
        assert_eq!(m["incidents"].as_array().unwrap().len() as u64, r["incidents"].as_u64().unwrap());
        assert!(m["alarms"].as_u64().unwrap() >= m["true_alarms"].as_u64().unwrap());
    }
    let table = stdout(&showrunner(&["eval", "alarms", "--sim", o, "--max-layer", "2"]));
    assert!(table.contains("special_events") && table.contains("localized exactly"), "{table}");

    let missing = dir.path().join("nothing");
    let bad = showrunner(&["eval", "alarms", "--sim", missing.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("spec.json"), "{}", stderr(&bad));
}

#[test]
fn bench_telemetry_reports_its_figures() {
    let out = showrunner(&["bench", "telemetry", "--events", "3000", "--series", "2000", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["replay"]["events"], 3000);
    assert!(v["replay"]["seconds"].as_f64().unwrap() > 0.0);
    assert_eq!(v["scoring"]["series"], 2000);
    assert!(v["scoring"]["state_bytes"].as_u64().unwrap() <= 4096);
    let bad = showrunner(&["bench", "telemetry", "--events", "0"]);
    assert_eq!(bad.status.code(), Some(2));
}
