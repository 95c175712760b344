//! The webhook sink: each notification as a JSON body POSTed to a URL.
//!
//! Headers: `X-Showrunner-Event` (its kind), `X-Showrunner-Delivery` (a key
//! that is the same on every retry, so the receiver can deduplicate) and,
//! when the hook has a secret, `X-Showrunner-Timestamp` and
//! `X-Showrunner-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`.
//! Failures (connection errors, timeouts, 429 and 5xx answers) are retried
//! with exponential backoff and jitter; other 4xx answers are not (the
//! receiver refused the request itself).

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::{all_events, check_events, Attempt, Notification, Sink};

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
    #[serde(default = "super::default_retries")]
    pub retries: u32,
    /// Events to send (default: all three).
    #[serde(default = "all_events")]
    pub events: Vec<String>,
}

fn default_timeout_s() -> f64 {
    5.0
}

impl WebhookConfig {
    /// Checks the hook: a usable URL, a sane timeout, known events; the
    /// error starts with `name`.
    pub fn validate(&self, name: &str) -> Result<(), String> {
        let url = reqwest::Url::parse(&self.url).map_err(|e| format!("{name}.url `{}`: {e}", self.url))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{name}.url `{}`: must be http or https", self.url));
        }
        if !(self.timeout_s > 0.0 && self.timeout_s <= 300.0) {
            return Err(format!("{name}.timeout_s = {}: between 0 and 300", self.timeout_s));
        }
        check_events(name, self.retries, &self.events)
    }
}

/// A webhook with its HTTP client.
pub(super) struct Webhook {
    pub(super) client: reqwest::Client,
    pub(super) config: WebhookConfig,
}

impl Sink for Webhook {
    fn name(&self) -> String {
        format!("webhook {}", self.config.url)
    }

    fn events(&self) -> &[String] {
        &self.config.events
    }

    fn retries(&self) -> u32 {
        self.config.retries
    }

    async fn attempt(&mut self, n: &Notification, body: &str) -> Result<(), Attempt> {
        let hook = &self.config;
        let mut request = self
            .client
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
        let check = |h: WebhookConfig| h.validate("notify.webhook[0]");
        assert!(check(hook("https://hooks.example.net/showrunner")).is_ok());
        assert!(check(hook("not a url")).unwrap_err().starts_with("notify.webhook[0].url `not a url`"));
        assert!(check(hook("ftp://x/")).unwrap_err().contains("must be http or https"));
        let mut h = hook("http://x/");
        h.events = vec!["alarm.exploded".into()];
        assert!(check(h).unwrap_err().contains("`alarm.exploded` is not one of"));
        let mut h = hook("http://x/");
        h.timeout_s = 0.0;
        assert!(check(h).unwrap_err().contains("timeout_s"));
        let mut h = hook("http://x/");
        h.retries = 21;
        assert!(check(h).unwrap_err().contains("retries = 21"));
    }
}
