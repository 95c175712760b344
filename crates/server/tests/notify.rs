//! Notification delivery against a real local HTTP receiver: signed,
//! retried after a failure with the same delivery key, and streamed to
//! server-sent event subscribers.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use showrunner_server::notify::{signature, start, Notification, NotifyConfig, WebhookConfig};

type Seen = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// A receiver that answers 500 to the first request and 200 afterwards.
async fn receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let state = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: String| {
            let seen = state.clone();
            async move {
                let mut seen = seen.lock().unwrap();
                seen.push((headers, body));
                if seen.len() == 1 {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

fn opened() -> Notification {
    Notification {
        event: "alarm.opened".into(),
        id: 7,
        at_ms: 1_794_341_700_000,
        level: "critical".into(),
        summary: "mean_startup_ms 4672 against 1439 expected (+225%) on cdn=A&country=GB".into(),
        explanation: None,
        url: "/v1/alarms/7".into(),
        ..Notification::default()
    }
}

#[tokio::test]
async fn a_failed_delivery_is_retried_signed_with_the_same_key() {
    let (url, seen) = receiver().await;
    let hook = WebhookConfig {
        url,
        secret: Some("s3cret".into()),
        timeout_s: 2.0,
        retries: 3,
        events: vec!["alarm.opened".into()],
    };
    let (events, mut subscriber) = tokio::sync::broadcast::channel(16);
    let notifier = start(&NotifyConfig { webhook: vec![hook], ..NotifyConfig::default() }, events);
    let n = opened();
    let sender = notifier.clone();
    let sent = n.clone();
    tokio::task::spawn_blocking(move || sender.send_blocking(sent)).await.unwrap();
    // Subscribers get it at once.
    assert_eq!(subscriber.recv().await.unwrap(), n);
    // The hook: a 500, then the retry (after 0.5 s ± 25%).
    for _ in 0..100 {
        if seen.lock().unwrap().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2, "one failure, one success, no more");
    for (headers, body) in seen.iter() {
        assert_eq!(headers["x-showrunner-event"], "alarm.opened");
        assert_eq!(headers["x-showrunner-delivery"], "7-alarm.opened");
        let timestamp = headers["x-showrunner-timestamp"].to_str().unwrap();
        assert_eq!(headers["x-showrunner-signature"], signature("s3cret", timestamp, body).as_str());
        assert_eq!(serde_json::from_str::<Notification>(body).unwrap(), n);
    }
}

#[tokio::test]
async fn hooks_get_only_the_events_they_asked_for() {
    let (url, seen) = receiver().await;
    let hook = WebhookConfig { url, secret: None, timeout_s: 2.0, retries: 0, events: vec!["alarm.resolved".into()] };
    let (events, mut subscriber) = tokio::sync::broadcast::channel(16);
    let notifier = start(&NotifyConfig { webhook: vec![hook], ..NotifyConfig::default() }, events);
    let sender = notifier.clone();
    tokio::task::spawn_blocking(move || sender.send_blocking(opened())).await.unwrap();
    subscriber.recv().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(seen.lock().unwrap().is_empty());
}
