//! What a stream is doing now, as the API and `/metrics` show it.

use std::collections::BTreeMap;

use serde::Serialize;

/// A stream's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamState {
    /// Not connected yet.
    #[default]
    Starting,
    /// Media arrives and is analysed in real time.
    Live,
    /// The input was lost; reconnecting (no input loss declared yet).
    Reconnecting,
    /// No media for the input-loss time: an `input_loss` defect is open.
    Down,
    /// Media arrives but analysis cannot keep up; it sheds load (see
    /// `reason`).
    Degraded,
}

impl StreamState {
    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            StreamState::Starting => "starting",
            StreamState::Live => "live",
            StreamState::Reconnecting => "reconnecting",
            StreamState::Down => "down",
            StreamState::Degraded => "degraded",
        }
    }
}

/// A defect under way.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenDefect {
    /// Its id in the history.
    pub id: i64,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Wall-clock start, ms since the epoch.
    pub start_ms: i64,
}

/// A stream's live figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StreamStatus {
    /// State.
    pub state: StreamState,
    /// Why (the last input error, or what degraded it).
    pub reason: Option<String>,
    /// Input bitrate over the last seconds, kbit/s.
    pub bitrate_kbps: f64,
    /// Decoded pictures per second over the last seconds.
    pub fps: f64,
    /// How far analysis is behind real time, seconds (wall time elapsed
    /// since connecting minus media time elapsed).
    pub lag_s: f64,
    /// Wall-clock time of the last decoded picture, ms since the epoch.
    pub last_frame_ms: Option<i64>,
    /// Decoder damage signals and damaged pictures.
    pub decode_errors: u64,
    /// Times the input was opened again after a loss.
    pub reconnects: u64,
    /// Defects so far by type (since this process started monitoring).
    pub defects: BTreeMap<String, u64>,
    /// Defects under way.
    pub open_defects: Vec<OpenDefect>,
}
