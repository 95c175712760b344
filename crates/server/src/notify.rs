//! Notifications: every alarm event — opened, localized, resolved — goes to
//! the server-sent event stream (`GET /v1/events`) and to every configured
//! webhook, once per event.
//!
//! A webhook gets the event as a JSON body with
//! `X-Showrunner-Event` (its kind), `X-Showrunner-Delivery` (a key that is
//! the same on every retry, so the receiver can deduplicate) and, when the
//! hook has a secret, `X-Showrunner-Timestamp` and
//! `X-Showrunner-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`.
//! Failures (connection errors, timeouts, 429 and 5xx answers) are retried
//! with exponential backoff and jitter; other 4xx answers are not (the
//! receiver refused the request itself).

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tokio::sync::{broadcast, mpsc};

/// One alarm event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// `alarm.opened`, `alarm.localized` or `alarm.resolved`.
    pub event: String,
    /// The alarm's id in the store.
    pub id: i64,
    /// When it happened (event time), ms since the epoch.
    pub at_ms: i64,
    /// Severity level.
    pub level: String,
    /// What moved, where, by how much.
    pub summary: String,
    /// Its localization, once there is one.
    pub explanation: Option<String>,
    /// Where the API shows it.
    pub url: String,
}

impl Notification {
    /// The key a receiver can deduplicate on: the same on every retry.
    pub fn delivery_key(&self) -> String {
        format!("{}-{}", self.id, self.event)
    }
}

/// One `[[notify.webhook]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Where to POST (http or https).
    pub url: String,
    /// Secret for the HMAC-SHA256 signature (none: unsigned).
    #[serde(default)]
    pub secret: Option<String>,
    /// Seconds to wait for an answer (default 5).
    #[serde(default = "default_timeout_s")]
    pub timeout_s: f64,
    /// Attempts after the first (default 5).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Events to send (default: all three).
    #[serde(default = "all_events")]
    pub events: Vec<String>,
}

fn default_timeout_s() -> f64 {
    5.0
}

fn default_retries() -> u32 {
    5
}

/// The events a notification can be.
pub const EVENTS: [&str; 3] = ["alarm.opened", "alarm.localized", "alarm.resolved"];

fn all_events() -> Vec<String> {
    EVENTS.iter().map(|e| e.to_string()).collect()
}

/// The `[notify]` settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// Webhooks.
    pub webhook: Vec<WebhookConfig>,
}

impl NotifyConfig {
    /// Checks every hook: a usable URL, a sane timeout, known events.
    pub fn validate(&self) -> Result<(), String> {
        for (i, hook) in self.webhook.iter().enumerate() {
            let name = format!("notify.webhook[{i}]");
            let url = reqwest::Url::parse(&hook.url).map_err(|e| format!("{name}.url `{}`: {e}", hook.url))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(format!("{name}.url `{}`: must be http or https", hook.url));
            }
            if !(hook.timeout_s > 0.0 && hook.timeout_s <= 300.0) {
                return Err(format!("{name}.timeout_s = {}: between 0 and 300", hook.timeout_s));
            }
            if hook.retries > 20 {
                return Err(format!("{name}.retries = {}: at most 20", hook.retries));
            }
            if let Some(e) = hook.events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
                return Err(format!("{name}.events: `{e}` is not one of {}", EVENTS.join(", ")));
            }
        }
        Ok(())
    }
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
/// `stream` (the SSE subscribers) and to each webhook. Each hook has its
/// own queue and worker, so it receives events in order (opened before
/// resolved) and a hook that is down delays only itself.
pub fn start(config: &NotifyConfig, stream: broadcast::Sender<Notification>) -> Notifier {
    let (tx, mut rx) = mpsc::channel::<Notification>(QUEUE);
    let client = reqwest::Client::builder().user_agent(concat!("showrunner/", env!("CARGO_PKG_VERSION"))).build();
    let client = match client {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::error!("webhooks disabled: cannot build an HTTP client: {e}");
            None
        }
    };
    let hooks: Vec<(WebhookConfig, mpsc::Sender<Notification>)> = client
        .iter()
        .flat_map(|client| {
            config.webhook.iter().map(move |hook| {
                let (hook_tx, mut hook_rx) = mpsc::channel::<Notification>(QUEUE);
                let (client, worker_hook) = (client.clone(), hook.clone());
                tokio::spawn(async move {
                    while let Some(n) = hook_rx.recv().await {
                        deliver(&client, &worker_hook, &n).await;
                    }
                });
                (hook.clone(), hook_tx)
            })
        })
        .collect();
    tokio::spawn(async move {
        while let Some(n) = rx.recv().await {
            // No subscriber is not an error.
            let _ = stream.send(n.clone());
            for (hook, queue) in hooks.iter().filter(|(h, _)| h.events.contains(&n.event)) {
                if queue.send(n.clone()).await.is_err() {
                    tracing::error!("webhook {}: its worker stopped; {} not sent", hook.url, n.delivery_key());
                }
            }
        }
    });
    Notifier { tx }
}

/// Why one attempt failed, and whether to try again.
enum Attempt {
    Retry(String),
    GiveUp(String),
}

/// Sends one notification to one hook, retrying as documented.
async fn deliver(client: &reqwest::Client, hook: &WebhookConfig, n: &Notification) {
    let body = match serde_json::to_string(&n) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!("notification {}: cannot encode: {e}", n.delivery_key());
            return;
        }
    };
    let mut delay = Duration::from_millis(500);
    for attempt in 0..=hook.retries {
        match post(client, hook, n, &body).await {
            Ok(()) => return,
            Err(Attempt::GiveUp(why)) => {
                tracing::error!("webhook {}: {} refused: {why}", hook.url, n.delivery_key());
                return;
            }
            Err(Attempt::Retry(why)) if attempt < hook.retries => {
                tracing::warn!("webhook {}: {} attempt {}: {why}; retrying", hook.url, n.delivery_key(), attempt + 1);
                tokio::time::sleep(jitter(delay)).await;
                delay = (delay * 2).min(Duration::from_secs(60));
            }
            Err(Attempt::Retry(why)) => {
                tracing::error!(
                    "webhook {}: {} failed after {} attempts: {why}",
                    hook.url,
                    n.delivery_key(),
                    attempt + 1
                );
            }
        }
    }
}

async fn post(client: &reqwest::Client, hook: &WebhookConfig, n: &Notification, body: &str) -> Result<(), Attempt> {
    let mut request = client
        .post(&hook.url)
        .timeout(Duration::from_secs_f64(hook.timeout_s))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-Showrunner-Event", &n.event)
        .header("X-Showrunner-Delivery", n.delivery_key());
    if let Some(secret) = &hook.secret {
        let timestamp = chrono::Utc::now().timestamp().to_string();
        request = request
            .header("X-Showrunner-Timestamp", &timestamp)
            .header("X-Showrunner-Signature", signature(secret, &timestamp, body));
    }
    let response = request.body(body.to_string()).send().await.map_err(|e| Attempt::Retry(e.to_string()))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        Err(Attempt::Retry(format!("answered {status}")))
    } else {
        Err(Attempt::GiveUp(format!("answered {status}")))
    }
}

/// `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub fn signature(secret: &str, timestamp: &str, body: &str) -> String {
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
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
    fn the_signature_is_hmac_sha256_of_timestamp_and_body() {
        // Python: hmac.new(b"s3cret", b'1795456167.{"event":"alarm.opened"}', hashlib.sha256).hexdigest()
        let got = signature("s3cret", "1795456167", r#"{"event":"alarm.opened"}"#);
        assert_eq!(got, "sha256=437d42674246b3a0bcc914cdbaf84577060f463b46b487949ebaf359fe705a73");
    }

    #[test]
    fn bad_hooks_are_named() {
        let hook = |url: &str| WebhookConfig {
            url: url.into(),
            secret: None,
            timeout_s: 5.0,
            retries: 3,
            events: all_events(),
        };
        let check = |h: WebhookConfig| NotifyConfig { webhook: vec![h] }.validate();
        assert!(check(hook("https://hooks.example.net/showrunner")).is_ok());
        assert!(check(hook("not a url")).unwrap_err().starts_with("notify.webhook[0].url `not a url`"));
        assert!(check(hook("ftp://x/")).unwrap_err().contains("must be http or https"));
        let mut h = hook("http://x/");
        h.events = vec!["alarm.exploded".into()];
        assert!(check(h).unwrap_err().contains("`alarm.exploded` is not one of"));
        let mut h = hook("http://x/");
        h.timeout_s = 0.0;
        assert!(check(h).unwrap_err().contains("timeout_s"));
    }

    #[test]
    fn jitter_stays_within_a_quarter() {
        for _ in 0..100 {
            let j = jitter(Duration::from_millis(1000));
            assert!((750..=1250).contains(&j.as_millis()), "{j:?}");
        }
    }
}
