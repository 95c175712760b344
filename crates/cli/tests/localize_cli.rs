//! `showrunner localize` and `showrunner eval localize` as a user runs
//! them, on small committed-shape fixtures written by the tests, and a
//! clear error for every kind of bad input.

mod common;

use std::path::Path;

use common::{showrunner, stderr, stdout};

/// A snapshot over cdn × isp × country where cdn=B & isp=ISP-3 lost 60%,
/// with ±3% deterministic forecast noise elsewhere.
fn snapshot(dir: &Path, name: &str) -> std::path::PathBuf {
    let mut csv = String::from("country,cdn,isp,real,predict\n");
    let mut k = 0u32;
    for country in ["DE", "FR", "IT", "ES"] {
        for cdn in ["A", "B", "C", "D"] {
            for isp in ["ISP-1", "ISP-2", "ISP-3", "ISP-4", "ISP-5"] {
                k += 1;
                let predict = 100.0 + (k * 37 % 50) as f64;
                let noise = ((k * 7919 % 13) as f64 - 6.0) / 200.0;
                let real = if cdn == "B" && isp == "ISP-3" { predict * 0.4 } else { predict * (1.0 + noise) };
                csv.push_str(&format!("{country},{cdn},{isp},{real},{predict}\n"));
            }
        }
    }
    let path = dir.join(name);
    std::fs::write(&path, csv).unwrap();
    path
}

#[test]
fn prints_the_root_cause_as_json_with_sorted_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let file = snapshot(dir.path(), "x.csv");
    let out = showrunner(&["localize", "--json", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["root_causes"], serde_json::json!(["cdn=B&isp=ISP-3"]));
    assert!(v["explained"].as_f64().unwrap() > 0.9, "{v}");
    let table = stdout(&showrunner(&["localize", file.to_str().unwrap()]));
    assert!(table.contains("cdn=B&isp=ISP-3") && table.contains("explain"), "{table}");
}

#[test]
fn eval_scores_a_dataset_and_writes_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("T");
    std::fs::create_dir(&set).unwrap();
    snapshot(&set, "1.csv");
    snapshot(&set, "2.csv");
    // The second label is deliberately wrong: one TP, one FP, one FN.
    std::fs::write(set.join("injection_info.csv"), "timestamp,set\n1,isp=ISP-3&cdn=B\n2,cdn=B\n").unwrap();
    let pred = dir.path().join("pred.jsonl");
    let out =
        showrunner(&["eval", "localize", "--data", set.to_str().unwrap(), "--predictions", pred.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let row = text.lines().find(|l| l.starts_with("T ")).unwrap_or_else(|| panic!("{text}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cells[1..8], &["2", "1", "1", "1", "0.50", "0.50", "0.50"], "{row}");
    let lines = std::fs::read_to_string(pred).unwrap();
    assert!(lines.lines().next().unwrap().contains(r#""root_causes":["cdn=B&isp=ISP-3"]"#), "{lines}");
}

#[test]
fn time_series_files_use_the_anomaly_minute_and_history() {
    // bitrate=2000 goes from 2% to 40% failures at minute 300.
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("min,bitrate,cdn,value,cnt\n");
    for minute in [60, 120, 180, 240, 300] {
        for bitrate in ["500", "1200", "2000"] {
            for cdn in ["1", "3", "5"] {
                let fail = if minute == 300 && bitrate == "2000" { 0.40 } else { 0.02 };
                csv.push_str(&format!("{minute},{bitrate},{cdn},{},1000\n", (fail * 1000.0) as u32));
            }
        }
    }
    let file = dir.path().join("case.csv");
    std::fs::write(&file, csv).unwrap();
    std::fs::write(dir.path().join("anomaly.yaml"), "- data: case\n  timestamp: 300\n  cause: {'bitrate':2000}\n")
        .unwrap();
    let out = showrunner(&["localize", "--json", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["root_causes"], serde_json::json!(["bitrate=2000"]));
    // At an earlier minute nothing deviates.
    let calm = showrunner(&["localize", "--json", "--at", "240", file.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(stdout(&calm).trim()).unwrap();
    assert_eq!(v["root_causes"], serde_json::json!([]), "{v}");
}

#[test]
fn bad_inputs_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, &str)] = &[
        ("missing.csv", "", "No such file"),
        ("empty.csv", "", "empty file"),
        ("nocol.csv", "a,b,real\nx,y,1\n", "no `predict` column"),
        ("text.csv", "a,real,predict\nx,1,abc\n", "line 2: `predict` is `abc`, not a number"),
        ("nan.csv", "a,real,predict\nx,NaN,1\n", "line 2: `real` is NaN"),
        ("header.csv", "a,real,predict\n", "no data rows"),
        ("ragged.csv", "a,real,predict\nx,1\n", "found record with 2 fields"),
        ("neg.csv", "min,a,value,cnt\n60,x,-1,5\n", "non-negative"),
        ("over.csv", "min,a,value,cnt\n60,x,9,5\n", "exceeds `cnt`"),
    ];
    for (name, content, expected) in cases {
        let path = dir.path().join(name);
        if *name != "missing.csv" {
            std::fs::write(&path, content).unwrap();
        }
        let out = showrunner(&["localize", path.to_str().unwrap()]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(expected) && err.contains(name), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
    let out = showrunner(&["eval", "localize", "--data", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no labelled dataset"), "{}", stderr(&out));
}
