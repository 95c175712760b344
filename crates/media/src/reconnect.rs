//! A live input that keeps coming back: [`LiveSource`] opens a URL, yields
//! its decoded items, and when the input fails, stalls or ends, opens it
//! again after an exponential backoff with jitter — forever, until it is
//! cancelled.
//!
//! The backoff starts at half a second and doubles to at most 30 s, each
//! wait drawn within ±25% so that many streams cut by one network fault do
//! not all reconnect in the same instant; it starts again from half a
//! second once an input delivers media. While it waits, the source yields
//! [`LiveEvent::Waiting`] a few times a second, so whoever drives it can
//! keep time (raise an input-loss defect) without a thread of its own.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::input::{MediaInfo, MediaInput, MediaItem, OpenOptions};

/// What a live source produced.
#[derive(Debug)]
pub enum LiveEvent {
    /// The input opened (again).
    Connected(MediaInfo),
    /// A decoded item.
    Item(MediaItem),
    /// The input failed, stalled or ended; it is opened again in `retry_in`.
    Lost {
        /// What happened, for logs and status.
        reason: String,
        /// When the next attempt is.
        retry_in: Duration,
    },
    /// Waiting for the next attempt.
    Waiting,
}

/// Backoff bounds.
const FIRST_WAIT: Duration = Duration::from_millis(500);
const LONGEST_WAIT: Duration = Duration::from_secs(30);
/// How often [`LiveEvent::Waiting`] comes while waiting.
const TICK: Duration = Duration::from_millis(200);

/// A reconnecting live input.
pub struct LiveSource {
    url: String,
    options: OpenOptions,
    input: Option<MediaInput>,
    /// The wait before the next attempt after a failure.
    next_wait: Duration,
    /// When to try again, while disconnected.
    retry_at: Option<Instant>,
    /// Whether the current input delivered media yet.
    delivered: bool,
    /// Draws jitter.
    seed: u64,
    /// Bytes read by the inputs dropped so far.
    bytes_before: u64,
}

impl LiveSource {
    /// A source for `url`; `options.network_timeout_s` is how long a silent
    /// input may stall before it counts as lost, `options.cancel` stops it.
    pub fn new(url: &str, options: OpenOptions) -> Self {
        let seed = url.bytes().fold(0x9E37_79B9_7F4A_7C15u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3));
        LiveSource {
            url: url.to_string(),
            options,
            input: None,
            next_wait: FIRST_WAIT,
            retry_at: None,
            delivered: false,
            seed,
            bytes_before: 0,
        }
    }

    /// The URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Bytes of packets read over all connections (the input bitrate's
    /// numerator).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_before + self.input.as_ref().map_or(0, MediaInput::bytes_read)
    }

    /// Blocks until the next event; `None` once cancelled.
    pub fn next_event(&mut self) -> Option<LiveEvent> {
        if self.cancelled() {
            self.input = None;
            return None;
        }
        if let Some(input) = self.input.as_mut() {
            return Some(match input.next_item() {
                Ok(Some(item)) => {
                    if !self.delivered {
                        self.delivered = true;
                        self.next_wait = FIRST_WAIT;
                    }
                    LiveEvent::Item(item)
                }
                Ok(None) => self.lost("the input ended".to_string()),
                Err(_) if self.cancelled() => return None,
                Err(e) => self.lost(e.to_string()),
            });
        }
        if let Some(at) = self.retry_at {
            let now = Instant::now();
            if now < at {
                std::thread::sleep((at - now).min(TICK));
                return Some(LiveEvent::Waiting);
            }
        }
        Some(match MediaInput::open(&self.url, &self.options) {
            Ok(input) => {
                let info = input.info().clone();
                self.input = Some(input);
                self.retry_at = None;
                self.delivered = false;
                LiveEvent::Connected(info)
            }
            Err(_) if self.cancelled() => return None,
            Err(e) => self.lost(e.to_string()),
        })
    }

    fn cancelled(&self) -> bool {
        self.options.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed))
    }

    /// Drops the input and schedules the next attempt.
    fn lost(&mut self, reason: String) -> LiveEvent {
        self.bytes_before += self.input.take().map_or(0, |i| i.bytes_read());
        self.delivered = false;
        self.seed = self.seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let jitter = 0.75 + 0.5 * ((self.seed >> 33) as f64 / (1u64 << 31) as f64);
        let retry_in = self.next_wait.mul_f64(jitter);
        self.retry_at = Some(Instant::now() + retry_in);
        self.next_wait = (self.next_wait * 2).min(LONGEST_WAIT);
        LiveEvent::Lost { reason, retry_in }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_back_off_exponentially_with_jitter_up_to_the_ceiling() {
        let mut source = LiveSource::new("udp://127.0.0.1:9", OpenOptions::default());
        let waits: Vec<Duration> = (0..10)
            .map(|_| match source.lost("refused".into()) {
                LiveEvent::Lost { retry_in, .. } => retry_in,
                other => panic!("{other:?}"),
            })
            .collect();
        let nominal = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0, 30.0];
        for (wait, n) in waits.iter().zip(nominal) {
            let s = wait.as_secs_f64();
            assert!((0.75 * n..=1.25 * n).contains(&s), "{s} for {n}");
        }
        assert!(waits[6..].windows(2).any(|w| w[0] != w[1]), "jittered: {waits:?}");
    }

    #[test]
    fn a_cancelled_source_ends() {
        let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let mut source =
            LiveSource::new("udp://127.0.0.1:9", OpenOptions { cancel: Some(cancel), ..OpenOptions::default() });
        assert!(source.next_event().is_none());
    }
}
