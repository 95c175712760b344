//! NATS both ways against a real `nats-server` (Debian's package, on a
//! loopback port of its own choosing): telemetry in — a request gets the ingest
//! report as its reply — and alarm notifications out, kept once in
//! JetStream when the server has it, published on core NATS when not.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use showrunner_server::nats::NatsConfig;
use showrunner_server::notify::{start, NatsSinkConfig, Notification, Notifier, NotifyConfig};
use showrunner_server::{state, ServerConfig, Settings};
use showrunner_telemetry::{Dimension, TelemetryConfig};
use showrunner_testkit::NatsServer;

fn record(t: i64, cdn: &str) -> String {
    format!(r#"{{"time":{t},"session":"s1","dims":{{"cdn":"{cdn}"}},"type":"attempt"}}"#)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_published_as_a_request_is_ingested_and_answered() {
    use std::io::Write;
    let nats = NatsServer::core();
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig { data_dir: dir.path().to_path_buf(), ..ServerConfig::default() };
    let telemetry = TelemetryConfig {
        dimensions: vec![Dimension { name: "cdn".into(), cap: 2 }],
        max_skew_s: 400 * 86_400,
        ..TelemetryConfig::default()
    };
    let app = state(&Settings { server: config, telemetry, ..Settings::default() }, "t".into()).unwrap();
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
    let app = state(&Settings { server: config, ..Settings::default() }, "t".into()).unwrap();
    let url = format!("nats://127.0.0.1:{port}");
    let settings = NatsConfig { url: Some(url.clone()), ..NatsConfig::default() };
    let err = showrunner_server::nats::start(&settings, app.qoe.clone()).await.unwrap_err();
    assert!(err.starts_with(&format!("cannot reach NATS at {url}")), "{err}");
}

fn sink(url: &str) -> NotifyConfig {
    let nats = NatsSinkConfig {
        url: url.into(),
        prefix: "showrunner".into(),
        stream: "SHOWRUNNER_ALARMS".into(),
        retries: 3,
        events: vec!["alarm.opened".into(), "alarm.resolved".into()],
    };
    NotifyConfig { nats: vec![nats], ..NotifyConfig::default() }
}

fn notification(event: &str) -> Notification {
    Notification {
        event: event.into(),
        id: 12,
        at_ms: 1_794_341_700_000,
        level: "major".into(),
        summary: "error_rate 0.31 against 0.02 expected on cdn=B&country=DE".into(),
        explanation: None,
        url: "/v1/alarms/12".into(),
        ..Notification::default()
    }
}

/// Starts delivery to `config`'s sinks.
fn notifier(config: &NotifyConfig) -> Notifier {
    let (stream, _) = tokio::sync::broadcast::channel(16);
    start(config, stream)
}

/// Queues `events` in order from outside the runtime, as the pipeline does.
async fn send(notifier: &Notifier, events: &[&str]) {
    let notifier = notifier.clone();
    let batch: Vec<Notification> = events.iter().map(|e| notification(e)).collect();
    tokio::task::spawn_blocking(move || batch.into_iter().for_each(|n| notifier.send_blocking(n))).await.unwrap();
}

/// The notifications stream once it holds at least `messages`.
async fn stream_holding(url: &str, messages: u64) -> async_nats::jetstream::stream::Stream {
    let js = async_nats::jetstream::new(async_nats::connect(url).await.unwrap());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(mut s) = js.get_stream("SHOWRUNNER_ALARMS").await {
            if s.info().await.unwrap().state.messages >= messages {
                return s;
            }
        }
        assert!(Instant::now() < deadline, "the stream did not reach {messages} messages");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_are_kept_once_in_jetstream_in_order_on_their_subjects() {
    let store = tempfile::tempdir().unwrap();
    let nats = NatsServer::jetstream(store.path());
    // Opened twice (a retry after a lost acknowledgement looks the same),
    // localized (not asked for), then resolved.
    let events = ["alarm.opened", "alarm.opened", "alarm.localized", "alarm.resolved"];
    send(&notifier(&sink(&nats.url)), &events).await;

    let mut stream = stream_holding(&nats.url, 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(stream.info().await.unwrap().state.messages, 2, "the duplicate is dropped, localized not sent");
    let first = stream.get_raw_message(1).await.unwrap();
    assert_eq!(first.subject.as_str(), "showrunner.alarms.opened");
    assert_eq!(first.headers.get("Nats-Msg-Id").unwrap().as_str(), "12-alarm.opened");
    assert_eq!(serde_json::from_slice::<Notification>(&first.payload).unwrap(), notification("alarm.opened"));
    let second = stream.get_raw_message(2).await.unwrap();
    assert_eq!(second.subject.as_str(), "showrunner.alarms.resolved");
}

/// Sends `alarm.opened` through `notifier` and checks that a subscriber on
/// core NATS gets it whole.
async fn opened_arrives_on_core_nats(nats: &NatsServer, notifier: &Notifier) {
    let client = async_nats::connect(nats.url.as_str()).await.unwrap();
    let mut subscriber = client.subscribe("showrunner.alarms.>").await.unwrap();
    client.flush().await.unwrap();
    send(notifier, &["alarm.opened"]).await;
    let message = tokio::time::timeout(Duration::from_secs(10), subscriber.next()).await.unwrap().unwrap();
    assert_eq!(message.subject.as_str(), "showrunner.alarms.opened");
    assert_eq!(message.headers.unwrap().get("Showrunner-Event").unwrap().as_str(), "alarm.opened");
    assert_eq!(serde_json::from_slice::<Notification>(&message.payload).unwrap(), notification("alarm.opened"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_jetstream_notifications_go_out_on_core_nats() {
    let nats = NatsServer::core();
    opened_arrives_on_core_nats(&nats, &notifier(&sink(&nats.url))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_turned_on_later_keeps_the_next_notifications() {
    let nats = NatsServer::core();
    let notifier = notifier(&sink(&nats.url));
    opened_arrives_on_core_nats(&nats, &notifier).await;

    // The operator restarts the server with JetStream; the same notifier,
    // its connection re-established by itself, now keeps what follows.
    let store = tempfile::tempdir().unwrap();
    let nats = nats.restart_with_jetstream(store.path());
    send(&notifier, &["alarm.resolved"]).await;
    let stream = stream_holding(&nats.url, 1).await;
    let kept = stream.get_raw_message(1).await.unwrap();
    assert_eq!(kept.subject.as_str(), "showrunner.alarms.resolved");
    assert_eq!(kept.headers.get("Nats-Msg-Id").unwrap().as_str(), "12-alarm.resolved");
}

#[test]
fn bad_nats_sinks_are_named() {
    let mut config = sink("http://127.0.0.1:4222");
    assert!(config.validate().unwrap_err().starts_with("notify.nats[0].url `http://127.0.0.1:4222`: must be nats://"));
    config.nats[0].url = "nats://127.0.0.1:4222".into();
    assert!(config.validate().is_ok());
    config.nats[0].prefix = "showrunner.*".into();
    assert!(config.validate().unwrap_err().contains("no wildcards"));
    config.nats[0].prefix = "showrunner".into();
    config.nats[0].stream = "ALARMS.V1".into();
    assert!(config.validate().unwrap_err().contains("notify.nats[0].stream `ALARMS.V1`"));
    config.nats[0].stream = "ALARMS".into();
    config.nats[0].events = vec!["alarm.exploded".into()];
    assert!(config.validate().unwrap_err().contains("`alarm.exploded` is not one of"));
}
