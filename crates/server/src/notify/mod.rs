//! Notifications: every alarm event — opened, localized, resolved — and
//! every defect event of a live stream — opened (once confirmed), closed —
//! goes to the server-sent event stream (`GET /v1/events`) and to every
//! configured sink, once per event: webhooks ([`webhook`]) and NATS
//! subjects ([`nats`]).
//!
//! Each sink has its own queue and worker, so it receives events in order
//! (opened before resolved) and a sink that is down delays only itself.
//! A failed attempt is retried with exponential backoff (0.5 s doubling up
//! to a minute, ±25% jitter so that many sinks failing together do not
//! retry together) as many times as the sink's `retries` says; every
//! attempt carries the same delivery key, so the receiver can deduplicate.

pub mod nats;
pub mod webhook;

use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};

pub use nats::NatsSinkConfig;
pub use webhook::{signature, WebhookConfig};

/// One alarm or defect event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// `alarm.opened`, `alarm.localized`, `alarm.resolved`,
    /// `defect.opened` or `defect.closed`.
    pub event: String,
    /// The alarm's or defect's id in its store.
    pub id: i64,
    /// When it happened, ms since the epoch: an alarm's event time; a
    /// defect's wall-clock start (opened) or end (closed).
    pub at_ms: i64,
    /// Severity level: an alarm's; `critical` for a lost input, `major`
    /// for other defects.
    pub level: String,
    /// What happened, where, by how much.
    pub summary: String,
    /// An alarm's localization, once there is one.
    pub explanation: Option<String>,
    /// Where the API shows it.
    pub url: String,
    /// A defect's stream id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<String>,
    /// A defect's type (`video_freeze`, `input_loss`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defect_type: Option<String>,
    /// A defect's media time at its start (opened) or end (closed), s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pts_s: Option<f64>,
    /// When a defect was confirmed, ms since the epoch (the delay of a
    /// notification is measured from here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_ms: Option<i64>,
}

impl Notification {
    /// The key a receiver can deduplicate on: the same on every retry.
    pub fn delivery_key(&self) -> String {
        format!("{}-{}", self.id, self.event)
    }

    /// The notification of a live stream's defect opening or closing.
    pub fn of_defect(n: &showrunner_live::DefectNotice) -> Notification {
        let d = &n.defect;
        let (event, at_ms, pts_s) = if n.opened {
            ("defect.opened", d.start_ms, d.start_pts_s)
        } else {
            ("defect.closed", d.end_ms.unwrap_or(d.start_ms), d.end_pts_s)
        };
        let start = chrono::DateTime::from_timestamp_millis(d.start_ms)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            .unwrap_or_default();
        let summary = if n.opened {
            let media = d.start_pts_s.map(|p| format!(" (media {p:.2} s)")).unwrap_or_default();
            format!("{} on {} since {start}{media}", d.kind, n.stream_name)
        } else {
            let lasted = d.end_ms.map_or(0.0, |e| (e - d.start_ms) as f64 / 1000.0);
            format!("{} on {} ended after {lasted:.1} s", d.kind, n.stream_name)
        };
        Notification {
            event: event.into(),
            id: d.id,
            at_ms,
            level: if d.kind == showrunner_live::INPUT_LOSS { "critical" } else { "major" }.into(),
            summary,
            explanation: None,
            url: format!("/v1/defects/{}", d.id),
            stream: Some(d.stream.clone()),
            defect_type: Some(d.kind.clone()),
            pts_s,
            confirmed_ms: Some(d.confirmed_ms),
        }
    }
}

/// Attempts after the first when a sink does not say (5).
fn default_retries() -> u32 {
    5
}

/// The events a notification can be.
pub const EVENTS: [&str; 5] = ["alarm.opened", "alarm.localized", "alarm.resolved", "defect.opened", "defect.closed"];

fn all_events() -> Vec<String> {
    EVENTS.iter().map(|e| e.to_string()).collect()
}

/// The `[notify]` settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// Webhooks (`[[notify.webhook]]`).
    pub webhook: Vec<WebhookConfig>,
    /// NATS subjects (`[[notify.nats]]`).
    pub nats: Vec<NatsSinkConfig>,
}

impl NotifyConfig {
    /// Checks every sink; the error names the sink and the setting.
    pub fn validate(&self) -> Result<(), String> {
        for (i, hook) in self.webhook.iter().enumerate() {
            hook.validate(&format!("notify.webhook[{i}]"))?;
        }
        for (i, sink) in self.nats.iter().enumerate() {
            sink.validate(&format!("notify.nats[{i}]"))?;
        }
        Ok(())
    }
}

/// Checks the settings every sink has: retries and the events it takes.
fn check_events(name: &str, retries: u32, events: &[String]) -> Result<(), String> {
    if retries > 20 {
        return Err(format!("{name}.retries = {retries}: at most 20"));
    }
    if let Some(e) = events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
        return Err(format!("{name}.events: `{e}` is not one of {}", EVENTS.join(", ")));
    }
    Ok(())
}

/// A destination of notifications.
pub trait Sink: Send + 'static {
    /// What the logs call it.
    fn name(&self) -> String;
    /// The events it takes.
    fn events(&self) -> &[String];
    /// Attempts after the first.
    fn retries(&self) -> u32;
    /// One attempt to deliver `n`, encoded as `body` (JSON).
    fn attempt(&mut self, n: &Notification, body: &str) -> impl Future<Output = Result<(), Attempt>> + Send;
}

/// Why one attempt failed, and whether to try again.
pub enum Attempt {
    /// A failure that may pass (connection, timeout, overload).
    Retry(String),
    /// A refusal that will not (the receiver rejected the request itself).
    GiveUp(String),
}

/// Notifications waiting for delivery at most (the pipeline waits beyond).
const QUEUE: usize = 1024;

/// The sending side, held by whatever raises alarms.
#[derive(Debug, Clone)]
pub struct Notifier {
    tx: mpsc::Sender<Notification>,
}

impl Notifier {
    /// Queues a notification from a thread outside the async runtime
    /// (waits while the queue is full).
    pub fn send_blocking(&self, n: Notification) {
        if self.tx.blocking_send(n).is_err() {
            tracing::warn!("notification dropped: the server is shutting down");
        }
    }
}

/// Starts delivery on the current runtime: every notification goes to
/// `stream` (the SSE subscribers) and to each configured sink.
pub fn start(config: &NotifyConfig, stream: broadcast::Sender<Notification>) -> Notifier {
    let (tx, mut rx) = mpsc::channel::<Notification>(QUEUE);
    let mut queues: Vec<(String, Vec<String>, mpsc::Sender<Notification>)> = Vec::new();
    if !config.webhook.is_empty() {
        let client = reqwest::Client::builder().user_agent(concat!("showrunner/", env!("CARGO_PKG_VERSION"))).build();
        match client {
            Ok(client) => queues.extend(
                config
                    .webhook
                    .iter()
                    .map(|hook| spawn_worker(webhook::Webhook { client: client.clone(), config: hook.clone() })),
            ),
            Err(e) => tracing::error!("webhooks disabled: cannot build an HTTP client: {e}"),
        }
    }
    queues.extend(config.nats.iter().map(|sink| spawn_worker(nats::NatsSink::new(sink.clone()))));
    tokio::spawn(async move {
        while let Some(n) = rx.recv().await {
            // No subscriber is not an error.
            let _ = stream.send(n.clone());
            for (name, _, queue) in queues.iter().filter(|(_, events, _)| events.contains(&n.event)) {
                if queue.send(n.clone()).await.is_err() {
                    tracing::error!("{name}: its worker stopped; {} not sent", n.delivery_key());
                }
            }
        }
    });
    Notifier { tx }
}

/// Starts `sink`'s worker; returns its name, events and queue.
fn spawn_worker(mut sink: impl Sink) -> (String, Vec<String>, mpsc::Sender<Notification>) {
    let (tx, mut rx) = mpsc::channel::<Notification>(QUEUE);
    let described = (sink.name(), sink.events().to_vec());
    tokio::spawn(async move {
        while let Some(n) = rx.recv().await {
            deliver(&mut sink, &n).await;
        }
    });
    (described.0, described.1, tx)
}

/// Delivers one notification to one sink, retrying as documented.
async fn deliver(sink: &mut impl Sink, n: &Notification) {
    let body = match serde_json::to_string(&n) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!("notification {}: cannot encode: {e}", n.delivery_key());
            return;
        }
    };
    let (name, retries) = (sink.name(), sink.retries());
    let mut delay = Duration::from_millis(500);
    for attempt in 0..=retries {
        match sink.attempt(n, &body).await {
            Ok(()) => return,
            Err(Attempt::GiveUp(why)) => {
                tracing::error!("{name}: {} refused: {why}", n.delivery_key());
                return;
            }
            Err(Attempt::Retry(why)) if attempt < retries => {
                tracing::warn!("{name}: {} attempt {}: {why}; retrying", n.delivery_key(), attempt + 1);
                tokio::time::sleep(jitter(delay)).await;
                delay = (delay * 2).min(Duration::from_secs(60));
            }
            Err(Attempt::Retry(why)) => {
                tracing::error!("{name}: {} failed after {} attempts: {why}", n.delivery_key(), attempt + 1);
            }
        }
    }
}

/// `d` ± 25%, so that many hooks failing together do not retry together.
fn jitter(d: Duration) -> Duration {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |t| t.subsec_nanos());
    let factor = 0.75 + 0.5 * f64::from(nanos % 1000) / 1000.0;
    d.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_a_quarter() {
        for _ in 0..100 {
            let j = jitter(Duration::from_millis(1000));
            assert!((750..=1250).contains(&j.as_millis()), "{j:?}");
        }
    }
}
