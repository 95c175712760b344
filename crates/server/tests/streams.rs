//! Live streams through the API, with real parts: the `ffmpeg` CLI pushes
//! MPEG-TS over UDP on loopback in real time with a freeze injected, and a
//! real HTTP webhook receiver in the test takes the notifications. Then
//! the source stops and returns, `serve` restarts on the same data
//! directory, and the API is misused in the ways the issue lists.

use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use showrunner_server::notify::{Notification, NotifyConfig, WebhookConfig};
use showrunner_server::{router, state, ServerConfig, Settings};
use tower::ServiceExt;

const TOKEN: &str = "s3cret";

type Received = Arc<Mutex<Vec<(i64, Notification)>>>;

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

/// A webhook receiver noting when each notification arrived.
async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push((now_ms(), serde_json::from_str(&body).unwrap()));
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

fn settings(dir: &std::path::Path, hook: &str) -> Settings {
    let webhook = WebhookConfig {
        url: hook.into(),
        secret: None,
        timeout_s: 2.0,
        retries: 2,
        events: vec!["defect.opened".into(), "defect.closed".into()],
    };
    Settings {
        server: ServerConfig { data_dir: dir.to_path_buf(), max_body_bytes: 64 << 10, ..ServerConfig::default() },
        notify: NotifyConfig { webhook: vec![webhook], ..NotifyConfig::default() },
        ..Settings::default()
    }
}

/// `seconds` of a moving pattern at 25 fps to `port`, in real time; frames
/// `first..=last` repeat the one before.
fn sender(port: u16, seconds: u32, freeze: Option<(u32, u32)>) -> Child {
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-hide_banner", "-loglevel", "error", "-re"]).args([
        "-f",
        "lavfi",
        "-i",
        &format!("testsrc2=size=320x240:rate=25:duration={seconds}"),
    ]);
    if let Some((first, last)) = freeze {
        let graph = format!("[0:v]split[a][b];[a][b]freezeframes=first={first}:last={last}:replace={}[v]", first - 1);
        cmd.args(["-filter_complex", &graph, "-map", "[v]"]);
    }
    cmd.args(["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25"])
        .args(["-f", "mpegts", &format!("udp://127.0.0.1:{port}?pkt_size=1316")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ffmpeg runs")
}

async fn call(app: &axum::Router, req: Request<Body>) -> (StatusCode, serde_json::Value) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

fn request(method: &str, uri: &str, token: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri).header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    b.body(body.into()).unwrap()
}

async fn wait_for(received: &Received, limit: Duration, f: impl Fn(&Notification) -> bool) -> (i64, Notification) {
    let deadline = Instant::now() + limit;
    loop {
        let seen: Vec<(i64, Notification)> = received.lock().unwrap().clone();
        if let Some(found) = seen.iter().find(|(_, n)| f(n)) {
            return found.clone();
        }
        assert!(Instant::now() < deadline, "not received within {limit:?}: {seen:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_freeze_on_a_live_udp_stream_reaches_the_webhook_and_everything_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (hook, received) = receiver().await;
    let port = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = router(state(&settings(dir.path(), &hook), TOKEN.into()).unwrap(), 64 << 10);

    let body = format!(
        r#"{{"name":"Channel 7","url":"udp://127.0.0.1:{port}","detectors":["video_freeze","black"],"tags":{{"region":"eu"}}}}"#
    );
    let (status, json) = call(&app, request("POST", "/v1/streams", Some(TOKEN), body)).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    assert_eq!((json["id"].as_str(), json["monitored_here"].as_bool()), (Some("channel-7"), Some(true)));

    // 8 s with frames 75–124 (3.0–5.0 s) frozen.
    let mut source = sender(port, 8, Some((75, 124)));
    let (arrived, opened) = wait_for(&received, Duration::from_secs(20), |n| n.event == "defect.opened").await;
    assert_eq!((opened.defect_type.as_deref(), opened.stream.as_deref()), (Some("video_freeze"), Some("channel-7")));
    let pts = opened.pts_s.unwrap();
    assert!((2.8..=3.2).contains(&pts), "the freeze starts at 3.0 s of media: {pts}");
    let delay = arrived - opened.confirmed_ms.unwrap();
    assert!((0..=2000).contains(&delay), "webhook {delay} ms after confirmation");
    assert!(opened.summary.starts_with("video_freeze on Channel 7 since "), "{}", opened.summary);
    let (_, closed) = wait_for(&received, Duration::from_secs(10), |n| n.event == "defect.closed").await;
    assert_eq!(closed.id, opened.id);
    assert!((4.8..=5.3).contains(&closed.pts_s.unwrap()), "ends at 5.0 s: {:?}", closed.pts_s);

    // The stream's figures, its picture, the defect's thumbnail.
    let (status, json) = call(&app, request("GET", "/v1/streams/channel-7", None, Body::empty())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["status"]["state"], "live", "{json}");
    assert!(json["status"]["fps"].as_f64().unwrap() > 20.0, "{json}");
    assert_eq!(json["status"]["defects"]["video_freeze"], 1);
    for uri in [format!("/v1/defects/{}/thumbnail", opened.id), "/v1/streams/channel-7/thumbnail".to_string()] {
        let res = app.clone().oneshot(request("GET", &uri, None, Body::empty())).await.unwrap();
        assert_eq!(res.headers()[header::CONTENT_TYPE], "image/jpeg", "{uri}");
        let jpeg = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "{uri}");
    }
    let res = app.clone().oneshot(request("GET", "/metrics", None, Body::empty())).await.unwrap();
    let metrics = String::from_utf8(axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap().to_vec()).unwrap();
    assert!(
        metrics.contains("showrunner_stream_defects_total{stream=\"channel-7\",type=\"video_freeze\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("process_resident_memory_bytes"), "{metrics}");

    // Cut: input_loss within 6 s; back: closed.
    source.wait().unwrap();
    let cut = now_ms();
    let (arrived, lost) =
        wait_for(&received, Duration::from_secs(10), |n| n.defect_type.as_deref() == Some("input_loss")).await;
    assert_eq!((lost.event.as_str(), lost.level.as_str()), ("defect.opened", "critical"));
    assert!(arrived - cut <= 6000, "input_loss {} ms after the source stopped", arrived - cut);
    let mut back = sender(port, 3, None);
    wait_for(&received, Duration::from_secs(15), |n| n.event == "defect.closed" && n.id == lost.id).await;
    back.wait().unwrap();

    // Restart on the same data directory: the stream and its history stay.
    drop(app);
    let app = router(state(&settings(dir.path(), &hook), TOKEN.into()).unwrap(), 64 << 10);
    let (_, json) = call(&app, request("GET", "/v1/streams", None, Body::empty())).await;
    assert_eq!(json["streams"][0]["id"], "channel-7", "{json}");
    assert_eq!(json["streams"][0]["tags"]["region"], "eu");
    let (_, json) = call(&app, request("GET", "/v1/defects?stream=channel-7", None, Body::empty())).await;
    let kinds: Vec<&str> = json["defects"].as_array().unwrap().iter().map(|d| d["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["input_loss", "video_freeze"], "{json}");
    let (_, json) =
        call(&app, request("GET", "/v1/defects?type=video_freeze&since=2000-01-01T00:00:00Z", None, Body::empty()))
            .await;
    assert_eq!(json["defects"][0]["end_pts_s"].as_f64().map(|e| (4.8..=5.3).contains(&e)), Some(true), "{json}");
}

#[tokio::test]
async fn misuse_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let app = router(state(&settings(dir.path(), "http://127.0.0.1:9/hook"), TOKEN.into()).unwrap(), 64 << 10);
    let good = r#"{"name":"News","url":"udp://127.0.0.1:5999"}"#;
    for token in [None, Some("wrong")] {
        let (status, json) = call(&app, request("POST", "/v1/streams", token, good)).await;
        assert_eq!((status, json["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
        let (status, _) = call(&app, request("DELETE", "/v1/streams/news", token, Body::empty())).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = call(&app, request("PATCH", "/v1/streams/news", token, "{}")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    for (body, needle) in [
        (r#"{"name":"A","url":"/etc/passwd"}"#, "files and devices are not allowed"),
        (r#"{"name":"A","url":"file:///etc/passwd"}"#, "files and devices are not allowed"),
        (r#"{"name":"A","url":"gopher://x/"}"#, "scheme `gopher` is not allowed"),
        (r#"{"name":"A","url":"udp://"}"#, "no address"),
        (r#"{"name":"A","url":"udp://x:1","detectors":["sparkles"]}"#, "unknown variant `sparkles`"),
        (r#"{"name":"A","url":"udp://x:1","thresholds":{"video_freeze":{"min":1}}}"#, "thresholds"),
        (r#"{"name":"A"}"#, "missing field `url`"),
        (r#"{"name":"A","url":"udp://x:1","colour":"red"}"#, "unknown field `colour`"),
        ("{oops", "body"),
    ] {
        let (status, json) = call(&app, request("POST", "/v1/streams", Some(TOKEN), body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {json}");
        let message = json["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{body}: {message}");
    }
    let huge = format!(r#"{{"name":"A","url":"udp://x:1","tags":{{"t":"{}"}}}}"#, "x".repeat(100 << 10));
    let (status, json) = call(&app, request("POST", "/v1/streams", Some(TOKEN), huge)).await;
    assert_eq!((status, json["error"]["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large")));

    let (status, _) = call(&app, request("POST", "/v1/streams", Some(TOKEN), good)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, json) = call(&app, request("POST", "/v1/streams", Some(TOKEN), good)).await;
    assert_eq!((status, json["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")));
    let (status, json) =
        call(&app, request("PATCH", "/v1/streams/news", Some(TOKEN), r#"{"url":"/dev/video0"}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{json}");
    let (status, json) = call(&app, request("PATCH", "/v1/streams/news", Some(TOKEN), r#"{"name":"News 2"}"#)).await;
    assert_eq!((status, json["name"].as_str(), json["id"].as_str()), (StatusCode::OK, Some("News 2"), Some("news")));

    for (method, uri) in [
        ("GET", "/v1/streams/nope"),
        ("GET", "/v1/streams/nope/thumbnail"),
        ("GET", "/v1/defects/12345"),
        ("GET", "/v1/defects/12345/thumbnail"),
    ] {
        let (status, json) = call(&app, request(method, uri, None, Body::empty())).await;
        assert_eq!((status, json["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{uri}");
    }
    for (method, uri, body) in [("PATCH", "/v1/streams/nope", "{}"), ("DELETE", "/v1/streams/nope", "")] {
        let (status, _) = call(&app, request(method, uri, Some(TOKEN), body)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {uri}");
    }
    let (status, _) = call(&app, request("GET", "/v1/defects?since=yesterday", None, Body::empty())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = call(&app, request("DELETE", "/v1/streams/news", Some(TOKEN), Body::empty())).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, json) = call(&app, request("GET", "/v1/streams", None, Body::empty())).await;
    assert_eq!(json["streams"], serde_json::json!([]));
}
