//! The `[streams]` section of `showrunner.toml`.
//!
//! ```toml
//! [streams]
//! allow_files = false      # files and devices as inputs (default: network inputs only)
//! input_loss_s = 5         # seconds without media before input_loss opens
//! tile_every_s = 2         # seconds between stream-wall pictures
//! max_lag_s = 5            # seconds behind real time before a stream sheds load
//!
//! [[streams.stream]]       # streams registered at start (if not registered yet)
//! name = "News HD"
//! url = "udp://@239.1.1.1:5000"
//! detectors = ["video_freeze", "black", "audio_silence"]
//! tags = { region = "eu" }
//! ```

use serde::{Deserialize, Serialize};

use crate::spec::{InputPolicy, StreamRequest};
use crate::worker::PipelineSettings;

/// The `[streams]` settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StreamsConfig {
    /// Files and devices as inputs.
    pub allow_files: bool,
    /// Seconds without media before `input_loss` opens.
    pub input_loss_s: f64,
    /// Seconds between stream-wall pictures.
    pub tile_every_s: f64,
    /// Seconds behind real time before a stream sheds load.
    pub max_lag_s: f64,
    /// Streams registered at start.
    pub stream: Vec<StreamRequest>,
}

impl Default for StreamsConfig {
    fn default() -> Self {
        let p = PipelineSettings::default();
        StreamsConfig {
            allow_files: false,
            input_loss_s: p.input_loss_s,
            tile_every_s: p.tile_every_s,
            max_lag_s: p.max_lag_s,
            stream: Vec::new(),
        }
    }
}

impl StreamsConfig {
    /// Checks the times; the error names the key.
    pub fn validate(&self) -> Result<(), String> {
        for (key, value, low, high) in [
            ("input_loss_s", self.input_loss_s, 0.5, 600.0),
            ("tile_every_s", self.tile_every_s, 0.2, 600.0),
            ("max_lag_s", self.max_lag_s, 0.5, 600.0),
        ] {
            if !(low..=high).contains(&value) {
                return Err(format!("[streams] {key} = {value}: between {low} and {high}"));
            }
        }
        Ok(())
    }

    /// The pipelines' settings.
    pub fn pipeline(&self) -> PipelineSettings {
        PipelineSettings { input_loss_s: self.input_loss_s, tile_every_s: self.tile_every_s, max_lag_s: self.max_lag_s }
    }

    /// Which inputs are allowed.
    pub fn policy(&self) -> InputPolicy {
        InputPolicy { allow_files: self.allow_files }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_reads_from_toml_and_bad_times_are_named() {
        let c: StreamsConfig = toml::from_str(
            r#"
            input_loss_s = 3
            [[stream]]
            name = "News"
            url = "udp://@239.1.1.1:5000"
            detectors = ["video_freeze"]
            "#,
        )
        .unwrap();
        assert_eq!((c.input_loss_s, c.stream.len(), c.allow_files), (3.0, 1, false));
        assert!(c.validate().is_ok());
        let bad = StreamsConfig { input_loss_s: 0.1, ..StreamsConfig::default() };
        assert!(bad.validate().unwrap_err().starts_with("[streams] input_loss_s = 0.1"));
        assert!(toml::from_str::<StreamsConfig>("input_loss = 3").is_err(), "unknown keys are refused");
    }
}
