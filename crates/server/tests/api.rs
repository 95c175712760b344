//! The API in process: authentication, input limits, errors, and a batch
//! of telemetry refused record by record.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use showrunner_anomaly::pipeline::AlarmsConfig;
use showrunner_server::{router, state, ServerConfig, Settings};
use showrunner_telemetry::{Dimension, TelemetryConfig};
use tower::ServiceExt;

const TOKEN: &str = "s3cret";

fn app(dir: &std::path::Path, max_body_bytes: usize) -> axum::Router {
    let config = ServerConfig { data_dir: dir.to_path_buf(), max_body_bytes, ..ServerConfig::default() };
    let telemetry = TelemetryConfig {
        dimensions: vec![Dimension { name: "cdn".into(), cap: 2 }],
        max_skew_s: 400 * 86_400,
        ..TelemetryConfig::default()
    };
    let state = state(&Settings { server: config, telemetry, ..Settings::default() }, TOKEN.into()).unwrap();
    router(state, max_body_bytes)
}

async fn call(app: &axum::Router, req: Request<Body>) -> (StatusCode, serde_json::Value) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

fn post(uri: &str, token: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut b = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    b.body(body.into()).unwrap()
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn record(t: i64, cdn: &str) -> String {
    format!(r#"{{"time":{t},"session":"s1","dims":{{"cdn":"{cdn}"}},"type":"attempt"}}"#)
}

#[tokio::test]
async fn state_changing_endpoints_need_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path(), 1 << 20);
    let body = format!("[{}]", record(1_793_577_600_000, "A"));
    for token in [None, Some("wrong"), Some("s3cre")] {
        let (status, json) = call(&app, post("/v1/telemetry", token, body.clone())).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(json["error"]["code"], "unauthorized");
        let (status, _) = call(&app, post("/v1/alarms/1/ack", token, r#"{"by":"ana"}"#)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, json) = call(&app, post("/v1/telemetry", Some(TOKEN), body)).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["accepted"], 1);
    // Reading needs no token.
    let (status, json) = call(&app, get("/v1/alarms")).await;
    assert_eq!((status, json["alarms"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)));
}

#[tokio::test]
async fn a_batch_is_accepted_or_refused_record_by_record() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path(), 1 << 20);
    let t = 1_793_577_600_000;
    let lines = [
        record(t, "A"),
        "{not json".to_string(),
        r#"{"time":1793577600000,"session":"s","dims":{"cdn":"A"},"type":"start","startup_ms":"fast"}"#.to_string(),
        record(t, "B"),
        record(t, "C"), // over the cap of two CDNs
        r#"{"time":1793577600000,"session":"s","dims":{"cdn":"A","planet":"mars"},"type":"attempt"}"#.to_string(),
    ];
    let (status, json) = call(&app, post("/v1/telemetry", Some(TOKEN), lines.join("\n"))).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let counts = (json["records"].as_u64(), json["accepted"].as_u64(), json["rejected"].as_u64());
    assert_eq!(counts, (Some(6), Some(2), Some(4)));
    let errors: Vec<(u64, String)> = json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["index"].as_u64().unwrap(), e["reason"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        errors,
        [(1, "malformed".into()), (2, "wrong_type".into()), (4, "over_cap".into()), (5, "unknown_dimension".into())]
    );
    // Later events close the first minute; its stragglers are late now.
    let (_, json) = call(&app, post("/v1/telemetry", Some(TOKEN), record(t + 200_000, "A"))).await;
    assert_eq!(json["accepted"], 1);
    let (_, json) = call(&app, post("/v1/telemetry", Some(TOKEN), record(t + 1_000, "A"))).await;
    assert_eq!(json["rejected_by_reason"]["late"], 1, "{json}");
}

#[tokio::test]
async fn gzip_bodies_are_read_and_oversized_or_broken_ones_refused_whole() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path(), 4096);
    let t = 1_793_577_600_000;
    let batch = format!("[{}]", (0..20).map(|i| record(t + i, "A")).collect::<Vec<_>>().join(","));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(batch.as_bytes()).unwrap();
    let mut req = post("/v1/telemetry", Some(TOKEN), gz.finish().unwrap());
    req.headers_mut().insert(header::CONTENT_ENCODING, "gzip".parse().unwrap());
    let (status, json) = call(&app, req).await;
    assert_eq!((status, json["accepted"].as_u64()), (StatusCode::OK, Some(20)), "{json}");
    // Over 4 KiB once decompressed, although far smaller compressed.
    let big = format!("[{}]", (0..200).map(|i| record(t + i, "A")).collect::<Vec<_>>().join(","));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(big.as_bytes()).unwrap();
    let compressed = gz.finish().unwrap();
    assert!(compressed.len() < 4096);
    let mut req = post("/v1/telemetry", Some(TOKEN), compressed);
    req.headers_mut().insert(header::CONTENT_ENCODING, "gzip".parse().unwrap());
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let (status, json) = call(&app, post("/v1/telemetry", Some(TOKEN), "[{\"time\": 1}, ")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(json["error"]["message"].as_str().unwrap().contains("not one"), "{json}");
    let (status, _) = call(&app, post("/v1/telemetry", Some(TOKEN), "  \n")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bad_queries_and_unknown_alarms_get_json_errors() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path(), 1 << 20);
    for (uri, status, needle) in [
        ("/v1/alarms?state=sleeping", StatusCode::BAD_REQUEST, "state `sleeping`"),
        ("/v1/alarms?since=yesterday", StatusCode::BAD_REQUEST, "`since` = `yesterday`"),
        ("/v1/alarms?limit=0", StatusCode::BAD_REQUEST, "`limit` = 0"),
        ("/v1/alarms?colour=red", StatusCode::BAD_REQUEST, "colour"),
        ("/v1/alarms/abc", StatusCode::BAD_REQUEST, "alarm id"),
        ("/v1/alarms/42", StatusCode::NOT_FOUND, "no alarm 42"),
        ("/v1/alarms/42/chart.svg", StatusCode::NOT_FOUND, "no alarm 42"),
        ("/v1/nothing", StatusCode::NOT_FOUND, "no such endpoint"),
    ] {
        let (got, json) = call(&app, get(uri)).await;
        assert_eq!(got, status, "{uri}: {json}");
        assert!(json["error"]["message"].as_str().unwrap().contains(needle), "{uri}: {json}");
    }
    let (status, json) = call(&app, post("/v1/alarms/42/ack", Some(TOKEN), r#"{"by":"ana"}"#)).await;
    assert_eq!((status, json["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let (status, json) = call(&app, post("/v1/alarms/42/ack", Some(TOKEN), r#"{"who":"ana"}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{json}");
    let (status, json) = call(&app, get("/readyz")).await;
    assert_eq!((status, json["ready"].as_bool()), (StatusCode::OK, Some(true)));
}

#[tokio::test]
async fn calendar_events_are_added_listed_and_removed_and_file_events_kept_apart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("calendar.toml");
    std::fs::write(
        &file,
        "[[event]]\nid = \"final\"\nkind = \"match\"\nstart = \"2026-11-28T20:00:00Z\"\nminutes = 120\nscope = { country = \"GB\" }\n",
    )
    .unwrap();
    let config = ServerConfig { data_dir: dir.path().to_path_buf(), ..ServerConfig::default() };
    let alarms = AlarmsConfig { calendar: Some(file), ..AlarmsConfig::default() };
    let make = || {
        let settings = Settings { server: config.clone(), alarms: alarms.clone(), ..Settings::default() };
        let s = state(&settings, TOKEN.into()).unwrap();
        router(s, 1 << 20)
    };
    let app = make();
    let premiere = r#"{"id":"premiere-7","kind":"premiere","start":"2026-11-27T21:00:00+01:00","minutes":150,"scope":{"country":"FR","delivery":"live"}}"#;
    let (status, _) = call(&app, post("/v1/calendar", None, premiere)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, json) = call(&app, post("/v1/calendar", Some(TOKEN), premiere)).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    assert_eq!(json["start"], "2026-11-27T20:00:00+00:00");
    for (body, needle) in [
        (r#"{"id":"x","start":"soon","minutes":5}"#, "`start` = `soon`"),
        (r#"{"id":"x","start":"2026-11-27T20:00:00Z","minutes":0}"#, "`minutes` = 0"),
        (r#"{"id":"","start":"2026-11-27T20:00:00Z","minutes":5}"#, "`id`"),
        (r#"{"id":"x","start":"2026-11-27T20:00:00Z","minutes":5,"colour":"red"}"#, "colour"),
    ] {
        let (status, json) = call(&app, post("/v1/calendar", Some(TOKEN), body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {json}");
        assert!(json["error"]["message"].as_str().unwrap().contains(needle), "{body}: {json}");
    }
    let clash = r#"{"id":"final","start":"2026-11-27T20:00:00Z","minutes":5}"#;
    let (status, _) = call(&app, post("/v1/calendar", Some(TOKEN), clash)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // A restart keeps the API's events beside the file's.
    drop(app);
    let app = make();
    let (_, json) = call(&app, get("/v1/calendar")).await;
    let listed: Vec<(String, String)> = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["id"].as_str().unwrap().to_string(), e["source"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(listed, [("final".to_string(), "file".to_string()), ("premiere-7".to_string(), "api".to_string())]);
    let delete = |id: &str, token: Option<&str>| {
        let mut b = Request::delete(format!("/v1/calendar/{id}"));
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        b.body(Body::empty()).unwrap()
    };
    let res = app.clone().oneshot(delete("premiere-7", None)).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = app.clone().oneshot(delete("premiere-7", Some(TOKEN))).await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (status, _) = call(&app, delete("premiere-7", Some(TOKEN))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&app, delete("final", Some(TOKEN))).await;
    assert_eq!(status, StatusCode::CONFLICT);
}
