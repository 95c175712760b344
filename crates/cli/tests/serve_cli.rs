//! `showrunner serve` end to end: the real binary on a free port, a day and
//! a few hours of player events posted to `/v1/telemetry`, an alarm raised
//! by the live pipeline, localized, charted, acknowledged over the API,
//! and still there after a restart.

mod common;

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{incident_minute, start, INCIDENT_MINUTE, MINUTES, START_MS, TELEMETRY_CONFIG};

use common::TOKEN;

/// A minimal HTTP receiver for webhooks: records each request body and
/// answers 200.
fn webhook_receiver() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let bodies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = bodies.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // Headers, then as much body as Content-Length says.
            let body = loop {
                let n = stream.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    break None;
                }
                request.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&request).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text[..end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string())
                        })
                        .and_then(|v| v.parse::<usize>().ok())
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break Some(String::from_utf8_lossy(&request[end + 4..end + 4 + length]).to_string());
                    }
                }
            };
            if let Some(body) = body {
                seen.lock().unwrap().push(body);
            }
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (url, bodies)
}

fn gzip(text: &str) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap()
}

#[test]
fn posted_telemetry_raises_a_localized_alarm_that_is_acknowledged_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("showrunner.toml");
    // The events are from November 2026: accept them whatever today is.
    let (hook, hook_bodies) = webhook_receiver();
    let settings = format!(
        "{TELEMETRY_CONFIG}max_skew_s = 400000000\n\n[alarms]\nwarmup_days = 1\n\n[[notify.webhook]]\nurl = \"{hook}\"\nsecret = \"x\"\n"
    );
    std::fs::write(&config, settings).unwrap();
    let data = dir.path().join("data");
    let server = start(&config, &data);
    let http = reqwest::blocking::Client::new();

    // An hour of events per request, gzip-compressed.
    let mut accepted = 0;
    for hour in 0..(MINUTES + 59) / 60 {
        let lines: Vec<String> = (hour * 60..((hour + 1) * 60).min(MINUTES)).flat_map(incident_minute).collect();
        let res = http
            .post(format!("{}/v1/telemetry", server.base))
            .bearer_auth(TOKEN)
            .header("content-encoding", "gzip")
            .body(gzip(&lines.join("\n")))
            .send()
            .unwrap();
        assert_eq!(res.status(), 200);
        let report: serde_json::Value = res.json().unwrap();
        assert_eq!(report["rejected"], 0, "{report}");
        accepted += report["accepted"].as_u64().unwrap();
    }
    assert_eq!(accepted, (MINUTES * 4 * 30 * 2) as u64);

    // The pipeline scores on its own thread: wait until it has caught up
    // with the minutes the events closed.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let ready: serde_json::Value = http.get(format!("{}/readyz", server.base)).send().unwrap().json().unwrap();
        if ready["alarms"]["minutes_scored"].as_u64().unwrap() >= (MINUTES - 3) as u64 {
            assert_eq!(ready["alarms"]["failures"], 0, "{ready}");
            break;
        }
        assert!(Instant::now() < deadline, "pipeline stuck: {ready}");
        std::thread::sleep(Duration::from_millis(200));
    }

    let list: serde_json::Value = http.get(format!("{}/v1/alarms", server.base)).send().unwrap().json().unwrap();
    let alarms = list["alarms"].as_array().unwrap();
    assert_eq!(alarms.len(), 1, "{list:#}");
    let alarm = &alarms[0];
    let incident_ms = START_MS + INCIDENT_MINUTE * 60_000;
    let opened = alarm["opened_ms"].as_i64().unwrap();
    assert!((incident_ms..=incident_ms + 3 * 60_000).contains(&opened), "{alarm:#}");
    assert_eq!(alarm["explanation"]["elements"], serde_json::json!(["cdn=B&country=DE"]), "{alarm:#}");
    let id = alarm["id"].as_i64().unwrap();
    let svg = http.get(format!("{}/v1/alarms/{id}/chart.svg", server.base)).send().unwrap();
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert!(svg.text().unwrap().contains(r#"class="window""#));

    // The webhook heard it open and get localized.
    let deadline = Instant::now() + Duration::from_secs(30);
    let heard = loop {
        let events: Vec<serde_json::Value> =
            hook_bodies.lock().unwrap().iter().map(|b| serde_json::from_str(b).unwrap()).collect();
        if events.len() >= 2 || Instant::now() > deadline {
            break events;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let kinds: Vec<(&str, i64)> =
        heard.iter().map(|e| (e["event"].as_str().unwrap(), e["id"].as_i64().unwrap())).collect();
    assert_eq!(kinds, [("alarm.opened", id), ("alarm.localized", id)], "{heard:#?}");
    assert!(heard[1]["explanation"].as_str().unwrap().contains("in cdn=B&country=DE"), "{heard:#?}");

    let ack = |token: &str| {
        http.post(format!("{}/v1/alarms/{id}/ack", server.base))
            .bearer_auth(token)
            .json(&serde_json::json!({"by": "ana", "note": "CDN B paged"}))
            .send()
            .unwrap()
    };
    assert_eq!(ack("guess").status(), 401);
    let res = ack(TOKEN);
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<serde_json::Value>().unwrap()["state"], "acknowledged");

    // The telemetry store has the closed minutes of every finished
    // ten-minute part, queryable while serving; the rest is written at
    // shutdown.
    let sql = "SELECT count(DISTINCT minute) AS minutes, sum(attempts) AS attempts, count(DISTINCT hour) AS hours FROM leaves";
    let res = http.post(format!("{}/v1/query", server.base)).json(&serde_json::json!({"sql": sql})).send().unwrap();
    assert_eq!(res.status(), 401, "queries need the token");
    let res = http
        .post(format!("{}/v1/query", server.base))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"sql": sql}))
        .send()
        .unwrap();
    let answer: serde_json::Value = res.json().unwrap();
    let row = &answer["rows"][0];
    let minutes = row["minutes"].as_i64().unwrap();
    assert_eq!(minutes % 10, 0, "whole parts only: {answer}");
    assert!((MINUTES - 13..MINUTES).contains(&minutes), "{answer}");
    assert_eq!(row["attempts"].as_i64().unwrap(), minutes * 4 * 30, "{answer}");

    // A graceful stop writes the buffered minutes.
    let mut server = server;
    let stopped = Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status().unwrap();
    assert!(stopped.success());
    assert!(server.child.wait().unwrap().success());
    let out = common::showrunner(&["query", "--data-dir", data.to_str().unwrap(), "--json", sql]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let answer: serde_json::Value = serde_json::from_str(&common::stdout(&out)).unwrap();
    let minutes = answer["rows"][0]["minutes"].as_i64().unwrap();
    assert!((MINUTES - 3..MINUTES).contains(&minutes), "{answer}");
    assert_eq!(answer["rows"][0]["attempts"].as_i64().unwrap(), minutes * 4 * 30);
    drop(server);

    // A restart keeps the alarm and its acknowledgement.
    let server = start(&config, &data);
    let shown: serde_json::Value = http.get(format!("{}/v1/alarms/{id}", server.base)).send().unwrap().json().unwrap();
    // It was still open when its pipeline stopped: the new run resolves it,
    // saying so, and the acknowledgement stays.
    assert_eq!(shown["state"], "resolved", "{shown:#}");
    assert!(shown["summary"]
        .as_str()
        .unwrap()
        .ends_with("(closed at restart: its pipeline stopped while it was open)"));
    assert_eq!(shown["acknowledged"]["note"], "CDN B paged");

    // What the pipeline learned was saved at the stop and is taken back
    // when telemetry flows again: no second warm-up.
    assert!(data.join("alarm-state.bin").exists());
    let lines: Vec<String> = (MINUTES..MINUTES + 5).flat_map(incident_minute).collect();
    let res =
        http.post(format!("{}/v1/telemetry", server.base)).bearer_auth(TOKEN).body(lines.join("\n")).send().unwrap();
    assert_eq!(res.status(), 200);
    let deadline = Instant::now() + Duration::from_secs(30);
    let restored = loop {
        let ready: serde_json::Value = http.get(format!("{}/readyz", server.base)).send().unwrap().json().unwrap();
        let restored = ready["alarms"]["restored_series"].as_u64().unwrap();
        if restored > 0 || Instant::now() > deadline {
            assert_eq!(ready["alarms"]["failures"], 0, "{ready}");
            break restored;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    // The total, each CDN and country and each pair: 9 elements × 7 metrics,
    // of which the series that had learned enough to be saved.
    assert!(restored >= 9 * 4, "{restored}");
    assert!(shown["chart"]["points"].as_array().unwrap().len() > 60);
}
