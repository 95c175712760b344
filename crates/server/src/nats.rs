//! Telemetry from NATS: `serve` subscribes to a subject (in a queue group,
//! so that several copies share the messages rather than each taking
//! all) and ingests each message as it would a `POST /v1/telemetry` body —
//! a JSON array of events or JSON lines, gzip-compressed or not. A message
//! sent as a request gets the ingest report (or the batch's error) as its
//! reply, so a publisher learns which records were refused and why.

use std::io::Read;
use std::sync::Arc;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::qoe::QoeService;

/// The `[nats]` settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NatsConfig {
    /// Server to connect to, e.g. `nats://127.0.0.1:4222` (default: none,
    /// NATS unused).
    pub url: Option<String>,
    /// Subject carrying telemetry batches (default `showrunner.telemetry`).
    pub telemetry_subject: String,
    /// Queue group shared by the copies of `serve` (default `showrunner`).
    pub queue_group: String,
    /// Share the live streams with the other copies using this server
    /// (JetStream key-value buckets; see the cluster module) instead of
    /// `--shard` (default false).
    pub coordinate: bool,
    /// Seconds after which a silent copy's streams are taken over
    /// (default 15).
    pub lease_ttl_s: f64,
}

impl Default for NatsConfig {
    fn default() -> Self {
        NatsConfig {
            url: None,
            telemetry_subject: "showrunner.telemetry".into(),
            queue_group: "showrunner".into(),
            coordinate: false,
            lease_ttl_s: 15.0,
        }
    }
}

impl NatsConfig {
    /// Checks that the settings can work; the error names the key.
    pub fn validate(&self) -> Result<(), String> {
        if self.coordinate && self.url.is_none() {
            return Err("[nats] coordinate = true needs [nats] url".into());
        }
        if !(3.0..=300.0).contains(&self.lease_ttl_s) {
            return Err(format!("[nats] lease_ttl_s = {}: between 3 and 300", self.lease_ttl_s));
        }
        Ok(())
    }
}

/// Largest message accepted after decompression (matches NATS's own
/// default payload limit well above; a bigger batch is refused whole).
const MAX_BATCH_BYTES: u64 = 64 << 20;

/// Connects and starts ingesting; returns once subscribed. Errors name the
/// server and what failed.
pub async fn start(config: &NatsConfig, qoe: Arc<QoeService>) -> Result<(), String> {
    let Some(url) = &config.url else { return Ok(()) };
    let client = tokio::time::timeout(std::time::Duration::from_secs(10), async_nats::connect(url.as_str()))
        .await
        .map_err(|_| format!("cannot reach NATS at {url}: no answer within 10 s"))?
        .map_err(|e| format!("cannot reach NATS at {url}: {e}"))?;
    let mut subscription = client
        .queue_subscribe(config.telemetry_subject.clone(), config.queue_group.clone())
        .await
        .map_err(|e| format!("NATS {url}: cannot subscribe to {}: {e}", config.telemetry_subject))?;
    tracing::info!(subject = %config.telemetry_subject, "ingesting telemetry from NATS {url}");
    tokio::spawn(async move {
        while let Some(message) = subscription.next().await {
            let qoe = qoe.clone();
            let payload = message.payload.to_vec();
            let answer = tokio::task::spawn_blocking(move || decode(&payload).and_then(|text| qoe.ingest_batch(&text)))
                .await
                .unwrap_or_else(|e| Err(e.to_string()));
            let reply = match &answer {
                Ok(report) => {
                    if report.rejected > 0 {
                        tracing::warn!(
                            rejected = report.rejected,
                            records = report.records,
                            "NATS batch: records refused"
                        );
                    }
                    serde_json::to_vec(report).unwrap_or_default()
                }
                Err(e) => {
                    tracing::warn!("NATS batch refused: {e}");
                    serde_json::to_vec(&serde_json::json!({"error": {"code": "bad_request", "message": e}}))
                        .unwrap_or_default()
                }
            };
            if let Some(subject) = message.reply {
                if let Err(e) = client.publish(subject, reply.into()).await {
                    tracing::warn!("NATS: cannot reply: {e}");
                }
            }
        }
    });
    Ok(())
}

/// The text of a message: gunzipped when it starts with gzip's magic.
fn decode(payload: &[u8]) -> Result<String, String> {
    let bytes = if payload.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(payload)
            .take(MAX_BATCH_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("not valid gzip: {e}"))?;
        out
    } else {
        payload.to_vec()
    };
    if bytes.len() as u64 > MAX_BATCH_BYTES {
        return Err(format!("the batch is over {} MiB once decompressed", MAX_BATCH_BYTES >> 20));
    }
    String::from_utf8(bytes).map_err(|e| format!("the batch is not UTF-8: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn payloads_are_read_plain_or_gzipped_and_bad_ones_named() {
        assert_eq!(decode(b"[1]").unwrap(), "[1]");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"{\"a\":1}\n").unwrap();
        assert_eq!(decode(&gz.finish().unwrap()).unwrap(), "{\"a\":1}\n");
        assert!(decode(&[0x1f, 0x8b, 0, 1, 2]).unwrap_err().starts_with("not valid gzip"));
        assert!(decode(&[0xff, 0xfe]).unwrap_err().contains("not UTF-8"));
    }
}
