//! The NATS sink: each notification as a JSON message — an alarm's on
//! `<prefix>.alarms.<opened|localized|resolved>`, a live stream's defect on
//! `<prefix>.defects.<stream id>` (prefix `showrunner` by default) — with
//! the headers `Showrunner-Event` and `Nats-Msg-Id` (the delivery key, the
//! same on every retry).
//!
//! When the server has JetStream, the sink makes sure a stream captures
//! `<prefix>.alarms.>` and `<prefix>.defects.>` (creating `stream` unless
//! one of the operator's already does), publishes through it and
//! waits for the server's acknowledgement, retrying with backoff until it
//! comes; JetStream drops a retried message it already holds by its
//! `Nats-Msg-Id`, so a notification is stored once. Without JetStream it
//! publishes on core NATS: at most once, to whoever is subscribed; and it
//! asks again at the next delivery, so JetStream turned on later is used
//! from then on.

use async_nats::jetstream::{self, context::CreateStreamErrorKind, ErrorCode};
use serde::{Deserialize, Serialize};

use super::{all_events, check_events, Attempt, Notification, Sink};

/// One `[[notify.nats]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatsSinkConfig {
    /// Server, e.g. `nats://127.0.0.1:4222`.
    pub url: String,
    /// Subject prefix (default `showrunner`): alarms go to
    /// `<prefix>.alarms.<kind>`, defects to `<prefix>.defects.<stream>`.
    #[serde(default = "default_prefix")]
    pub prefix: String,
    /// JetStream stream created to keep the notifications when the server
    /// has JetStream and no stream captures the subjects yet (default
    /// `SHOWRUNNER_ALARMS`).
    #[serde(default = "default_stream")]
    pub stream: String,
    /// Attempts after the first (default 5).
    #[serde(default = "super::default_retries")]
    pub retries: u32,
    /// Events to send (default: all three).
    #[serde(default = "all_events")]
    pub events: Vec<String>,
}

fn default_prefix() -> String {
    "showrunner".into()
}

fn default_stream() -> String {
    "SHOWRUNNER_ALARMS".into()
}

impl NatsSinkConfig {
    /// Checks the sink: a NATS URL, a subject of plain tokens, a valid
    /// stream name, known events; the error starts with `name`.
    pub fn validate(&self, name: &str) -> Result<(), String> {
        let scheme_ok = ["nats://", "tls://"].iter().any(|s| self.url.starts_with(s))
            && reqwest::Url::parse(&self.url).is_ok_and(|u| u.host_str().is_some());
        if !scheme_ok {
            return Err(format!("{name}.url `{}`: must be nats://HOST:PORT or tls://HOST:PORT", self.url));
        }
        let token_ok = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c));
        if !self.prefix.split('.').all(token_ok) {
            return Err(format!(
                "{name}.prefix `{}`: tokens of letters, digits, `-` and `_` separated by dots (no wildcards)",
                self.prefix
            ));
        }
        if !token_ok(&self.stream) {
            return Err(format!("{name}.stream `{}`: letters, digits, `-` and `_` only", self.stream));
        }
        check_events(name, self.retries, &self.events)
    }

    /// The subject of a notification.
    pub fn subject_of(&self, n: &Notification) -> String {
        match &n.stream {
            Some(stream) => format!("{}.defects.{stream}", self.prefix),
            None => format!("{}.alarms.{}", self.prefix, n.event.rsplit('.').next().unwrap_or(&n.event)),
        }
    }
}

/// A NATS connection and, once the server has shown it has JetStream, the
/// JetStream context that keeps the notifications.
pub(super) struct NatsSink {
    config: NatsSinkConfig,
    client: Option<async_nats::Client>,
    jetstream: Option<Box<jetstream::Context>>,
}

impl NatsSink {
    /// The sink; it connects on its first delivery.
    pub(super) fn new(config: NatsSinkConfig) -> Self {
        NatsSink { config, client: None, jetstream: None }
    }

    /// The client, connecting first if needed (the connection then
    /// reconnects by itself).
    async fn client(&mut self) -> Result<async_nats::Client, Attempt> {
        if let Some(c) = &self.client {
            return Ok(c.clone());
        }
        let c = async_nats::ConnectOptions::new()
            .name("showrunner notifications")
            .connection_timeout(std::time::Duration::from_secs(5))
            .connect(self.config.url.as_str())
            .await
            .map_err(|e| Attempt::Retry(format!("cannot connect: {e}")))?;
        self.client = Some(c.clone());
        Ok(c)
    }

    /// The JetStream context if the server has JetStream, after making sure
    /// a stream keeps the notifications: `stream`, created if missing, or a
    /// stream of the operator's that already captures the subjects.
    ///
    /// A "yes" is kept for the life of the sink. A "no" is not: the server
    /// is asked again at the next delivery (a server without JetStream
    /// answers at once that nothing responds), so JetStream turned on later
    /// — the server restarted with it, the connection re-established by
    /// itself — starts keeping notifications without restarting showrunner.
    async fn jetstream(&mut self, client: async_nats::Client) -> Result<Option<&jetstream::Context>, Attempt> {
        if self.jetstream.is_none() {
            let js = jetstream::new(client);
            let config = jetstream::stream::Config {
                name: self.config.stream.clone(),
                subjects: vec![format!("{}.alarms.>", self.config.prefix), format!("{}.defects.>", self.config.prefix)],
                ..Default::default()
            };
            match js.get_or_create_stream(config).await {
                Ok(_) => self.jetstream = Some(Box::new(js)),
                Err(e) => match e.kind() {
                    CreateStreamErrorKind::JetStreamUnavailable => return Ok(None),
                    CreateStreamErrorKind::JetStream(err) if err.error_code() == ErrorCode::STREAM_SUBJECT_OVERLAP => {
                        self.jetstream = Some(Box::new(js))
                    }
                    _ => return Err(Attempt::Retry(format!("cannot create stream {}: {e}", self.config.stream))),
                },
            }
        }
        Ok(self.jetstream.as_deref())
    }
}

impl Sink for NatsSink {
    fn name(&self) -> String {
        format!("NATS {} {}", self.config.url, self.config.prefix)
    }

    fn events(&self) -> &[String] {
        &self.config.events
    }

    fn retries(&self) -> u32 {
        self.config.retries
    }

    async fn attempt(&mut self, n: &Notification, body: &str) -> Result<(), Attempt> {
        let client = self.client().await?;
        let subject = self.config.subject_of(n);
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", n.delivery_key().as_str());
        headers.insert("Showrunner-Event", n.event.as_str());
        let payload = body.to_owned();
        match self.jetstream(client.clone()).await? {
            Some(js) => {
                let ack = js
                    .publish_with_headers(subject, headers, payload.into())
                    .await
                    .map_err(|e| Attempt::Retry(format!("not published: {e}")))?;
                ack.await.map(drop).map_err(|e| Attempt::Retry(format!("not acknowledged: {e}")))
            }
            None => {
                client
                    .publish_with_headers(subject, headers, payload.into())
                    .await
                    .map_err(|e| Attempt::Retry(format!("not published: {e}")))?;
                client.flush().await.map_err(|e| Attempt::Retry(format!("not flushed: {e}")))
            }
        }
    }
}
