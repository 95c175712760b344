//! Telemetry over a real `nats-server` (Debian's package, started on a
//! free loopback port): a request gets the ingest report as its reply.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use showrunner_anomaly::pipeline::AlarmsConfig;
use showrunner_server::nats::NatsConfig;
use showrunner_server::notify::NotifyConfig;
use showrunner_server::{state, ServerConfig};
use showrunner_telemetry::{Dimension, TelemetryConfig};

/// A `nats-server`, stopped when dropped.
struct NatsServer {
    child: Child,
    url: String,
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn nats_server() -> NatsServer {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let binary = ["nats-server", "/usr/sbin/nats-server", "/usr/bin/nats-server"]
        .into_iter()
        .find(|b| Command::new(b).arg("--version").output().is_ok())
        .expect("nats-server is installed (make deps)");
    let child = Command::new(binary)
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nats-server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    NatsServer { child, url: format!("nats://127.0.0.1:{port}") }
}

fn record(t: i64, cdn: &str) -> String {
    format!(r#"{{"time":{t},"session":"s1","dims":{{"cdn":"{cdn}"}},"type":"attempt"}}"#)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_published_as_a_request_is_ingested_and_answered() {
    use std::io::Write;
    let nats = nats_server();
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig { data_dir: dir.path().to_path_buf(), ..ServerConfig::default() };
    let telemetry = TelemetryConfig {
        dimensions: vec![Dimension { name: "cdn".into(), cap: 2 }],
        max_skew_s: 400 * 86_400,
        ..TelemetryConfig::default()
    };
    let app = state(&config, "t".into(), &telemetry, &AlarmsConfig::default(), &NotifyConfig::default()).unwrap();
    let settings = NatsConfig { url: Some(nats.url.clone()), ..NatsConfig::default() };
    showrunner_server::nats::start(&settings, app.qoe.clone()).await.unwrap();

    let client = async_nats::connect(nats.url.as_str()).await.unwrap();
    let t = 1_793_577_600_000;
    let batch = [record(t, "A"), record(t, "B"), record(t, "C"), "{oops".to_string()].join("\n");
    let reply = client.request("showrunner.telemetry", batch.into()).await.unwrap();
    let report: serde_json::Value = serde_json::from_slice(&reply.payload).unwrap();
    assert_eq!((report["accepted"].as_u64(), report["rejected"].as_u64()), (Some(2), Some(2)), "{report}");
    assert_eq!(report["rejected_by_reason"]["over_cap"], 1);
    assert_eq!(report["rejected_by_reason"]["malformed"], 1);

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(format!("[{}]", record(t + 1, "A")).as_bytes()).unwrap();
    let reply = client.request("showrunner.telemetry", gz.finish().unwrap().into()).await.unwrap();
    let report: serde_json::Value = serde_json::from_slice(&reply.payload).unwrap();
    assert_eq!(report["accepted"], 1, "{report}");

    let reply = client.request("showrunner.telemetry", "[1, ".into()).await.unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&reply.payload).unwrap();
    assert_eq!(answer["error"]["code"], "bad_request", "{answer}");
    assert_eq!(app.qoe.stats.accepted.load(std::sync::atomic::Ordering::Relaxed), 3);
}

#[tokio::test]
async fn an_unreachable_server_is_named() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig { data_dir: dir.path().to_path_buf(), ..ServerConfig::default() };
    let app =
        state(&config, "t".into(), &TelemetryConfig::default(), &AlarmsConfig::default(), &NotifyConfig::default())
            .unwrap();
    let url = format!("nats://127.0.0.1:{port}");
    let settings = NatsConfig { url: Some(url.clone()), ..NatsConfig::default() };
    let err = showrunner_server::nats::start(&settings, app.qoe.clone()).await.unwrap_err();
    assert!(err.starts_with(&format!("cannot reach NATS at {url}")), "{err}");
}
