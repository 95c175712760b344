//! `showrunner eval nab` as a user runs it, on a small NAB-shaped data set
//! written by the test: results in NAB's layout, the three profiles, and a
//! clear error for malformed inputs.

mod common;

use std::path::Path;

use common::{showrunner, stderr, stdout};

/// `YYYY-MM-DD HH:MM:SS` of 5-minute step `i` from 2015-01-01.
fn stamp(i: usize) -> String {
    let minutes = i * 5;
    let (day, rest) = (minutes / 1440, minutes % 1440);
    format!("2015-01-{:02} {:02}:{:02}:00", day + 1, rest / 60, rest % 60)
}

/// A NAB-shaped tree under `root`: `data/demo/spike.csv` (a daily series
/// with one spike at row 2000, labelled with a window around it) and
/// `data/demo/quiet.csv` (the same series without it, no window).
fn nab_tree(root: &Path) {
    let series = |spike: bool| {
        let mut csv = String::from("timestamp,value\n");
        for i in 0..2500 {
            let phase = (i % 288) as f64 / 288.0 * std::f64::consts::TAU;
            let mut v = 50.0 + 20.0 * phase.sin() + ((i * 7919) % 13) as f64 * 0.3;
            if spike && i == 2000 {
                v += 80.0;
            }
            csv.push_str(&format!("{},{v:.2}\n", stamp(i)));
        }
        csv
    };
    let data = root.join("data/demo");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("spike.csv"), series(true)).unwrap();
    std::fs::write(data.join("quiet.csv"), series(false)).unwrap();
    std::fs::create_dir_all(root.join("labels")).unwrap();
    let labels = serde_json::json!({
        "demo/spike.csv": [[format!("{}.000000", stamp(1900)), format!("{}.000000", stamp(2100))]],
        "demo/quiet.csv": [],
    });
    std::fs::write(root.join("labels/combined_windows.json"), labels.to_string()).unwrap();
}

#[test]
fn scores_every_profile_and_writes_nab_results() {
    let dir = tempfile::tempdir().unwrap();
    nab_tree(dir.path());
    let out_dir = dir.path().join("results");
    let out = showrunner(&[
        "eval",
        "nab",
        "--data",
        dir.path().to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["files"], 2);
    assert_eq!(report["windows"], 1);
    let profiles = report["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 3);
    // The spike sits at the window's centre: detected with no false
    // positive it earns σ(−0.5)/σ(−1) ≈ 0.86 of a TP, which NAB normalises
    // between never detecting (−fn) and a perfect detection (+tp).
    let sigmoid = |x: f64| 2.0 / (1.0 + (5.0 * x).exp()) - 1.0;
    let reward = sigmoid(-101.0 / 201.0) / sigmoid(-1.0);
    for p in profiles {
        assert_eq!((p["tp"].as_u64(), p["fp"].as_u64()), (Some(1), Some(0)), "{p}");
        let fn_weight = p["profile"]["fn_"].as_f64().unwrap();
        let expected = 100.0 * (reward + fn_weight) / (1.0 + fn_weight);
        assert!((p["score"].as_f64().unwrap() - expected).abs() < 1e-6, "{p} vs {expected}");
    }
    let results = out_dir.join("showrunner/demo/showrunner_spike.csv");
    let text = std::fs::read_to_string(&results).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("timestamp,value,anomaly_score,label"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 2500);
    assert_eq!(rows[2000][3], "1");
    assert_eq!(rows[100][3], "0");
    let top =
        (0..rows.len()).max_by(|&a, &b| rows[a][2].parse::<f64>().unwrap().total_cmp(&rows[b][2].parse().unwrap()));
    assert_eq!(top, Some(2000));
}

#[test]
fn malformed_inputs_are_named() {
    let dir = tempfile::tempdir().unwrap();
    nab_tree(dir.path());
    let root = dir.path().to_str().unwrap().to_string();
    let out_dir = dir.path().join("results");
    let run = |extra: &[&str]| {
        let mut args = vec!["eval", "nab", "--data", root.as_str(), "--out", out_dir.to_str().unwrap()];
        args.extend_from_slice(extra);
        showrunner(&args)
    };
    let check = |out: std::process::Output, want: &str| {
        assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
        assert!(stderr(&out).contains(want), "wanted `{want}` in: {}", stderr(&out));
    };

    let labels = dir.path().join("labels/combined_windows.json");
    std::fs::write(&labels, "{\"demo/spike.csv\": [[\"2015-01-07 22:20:00\"]]}").unwrap();
    check(run(&[]), "a window is not a [start, end] pair");
    std::fs::write(&labels, "not json").unwrap();
    check(run(&[]), "combined_windows.json");
    std::fs::write(&labels, "{\"demo/spike.csv\": []}").unwrap();
    check(run(&[]), "no entry for `demo/quiet.csv`");
    std::fs::write(
        &labels,
        "{\"demo/spike.csv\": [[\"2016-01-01 00:00:00\", \"2016-01-02 00:00:00\"]], \"demo/quiet.csv\": []}",
    )
    .unwrap();
    check(run(&[]), "2016-01-01 00:00:00 is not a row of this file");

    nab_tree(dir.path());
    std::fs::write(dir.path().join("data/demo/quiet.csv"), "timestamp,value\n2015-01-01 00:00:00,x\n").unwrap();
    check(run(&[]), "quiet.csv: line 2: value `x` is not a finite number");
    check(run(&["--set", "anomaly.history=3"]), "history = 3");
    check(run(&["--set", "anomaly.histroy=3"]), "histroy");
    let empty = tempfile::tempdir().unwrap();
    let out =
        showrunner(&["eval", "nab", "--data", empty.path().to_str().unwrap(), "--out", out_dir.to_str().unwrap()]);
    check(out, "no category folders");
}
