//! The player event schema.
//!
//! A player sends one event per occurrence, each self-contained: the
//! session it belongs to, when it happened (UTC) and the session's
//! dimensions, so that aggregation needs no per-session state and events
//! may arrive in any order within an interval. As JSON (one object per
//! line in files, an array per `POST /v1/telemetry` batch):
//!
//! ```json
//! {"type": "attempt",   "time": "2026-11-23T10:00:00Z", "session": "s1", "dims": {...}}
//! {"type": "start",     "time": "...", "session": "s1", "dims": {...}, "startup_ms": 850}
//! {"type": "heartbeat", "time": "...", "session": "s1", "dims": {...}, "play_s": 10, "rebuffer_s": 0.4, "bitrate_kbps": 4500}
//! {"type": "error",     "time": "...", "session": "s1", "dims": {...}, "code": "MEDIA_ERR_DECODE", "fatal": true, "before_start": true}
//! {"type": "end",       "time": "...", "session": "s1", "dims": {...}, "before_start": false}
//! ```
//!
//! - `attempt`: the viewer pressed play.
//! - `start`: the first frame was shown, `startup_ms` after the attempt.
//! - `heartbeat`: since the previous heartbeat, `play_s` seconds played,
//!   `rebuffer_s` seconds stalled, at an average of `bitrate_kbps`.
//! - `error`: an error; `fatal` when it ended the session, `before_start`
//!   when no frame had been shown yet (a fatal error before start is a
//!   video start failure).
//! - `end`: the session ended; `before_start` without a fatal error is an
//!   exit before video start (the viewer gave up waiting).
//!
//! `time` is RFC 3339 (`2026-11-23T10:00:00Z`, any offset) or milliseconds
//! since the Unix epoch. `dims` holds the values of the configured
//! dimensions ([`crate::schema`]); every one is required.

use serde::Serialize;

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// Play was requested.
    Attempt,
    /// The first frame was shown.
    Start {
        /// Milliseconds from the attempt to the first frame.
        startup_ms: f64,
    },
    /// Playback progress since the previous heartbeat.
    Heartbeat {
        /// Seconds of video played.
        play_s: f64,
        /// Seconds spent stalled.
        rebuffer_s: f64,
        /// Average bitrate while playing.
        bitrate_kbps: f64,
    },
    /// An error.
    Error {
        /// The player's error code.
        code: String,
        /// Whether it ended the session.
        fatal: bool,
        /// Whether no frame had been shown yet.
        before_start: bool,
    },
    /// The session ended.
    End {
        /// Whether no frame had been shown.
        before_start: bool,
    },
}

/// One validated event, its dimension values already encoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Milliseconds since the Unix epoch (UTC).
    pub time_ms: i64,
    /// The session id.
    pub session: String,
    /// Dimension value codes, in the schema's dimension order.
    pub leaf: Vec<u32>,
    /// What happened.
    pub kind: EventKind,
}
