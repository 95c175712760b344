//! Defect events: what every detector reports and every sink consumes.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// The kinds of audio/video defect showrunner detects.
///
/// The string form (`video_freeze`, `black`, …) is the stable name used in
/// JSON output, labels files, configuration keys and the `--detectors` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefectType {
    /// The picture stops changing mid-motion while time advances.
    VideoFreeze,
    /// Black or near-black picture.
    Black,
    /// Visible macroblock errors from bitstream damage or packet loss.
    BlockCorruption,
    /// Audio drops out in a programme that had sound.
    AudioSilence,
    /// Sustained clipping at full scale.
    AudioClipping,
    /// Short-term loudness outside the target window for too long.
    Loudness,
    /// Audio and video out of sync, estimated from content.
    AvDesync,
}

impl DefectType {
    /// Every defect type, in the order tables print them.
    pub const ALL: [DefectType; 7] = [
        DefectType::VideoFreeze,
        DefectType::Black,
        DefectType::BlockCorruption,
        DefectType::AudioSilence,
        DefectType::AudioClipping,
        DefectType::Loudness,
        DefectType::AvDesync,
    ];

    /// The stable snake_case name of this type.
    pub fn as_str(self) -> &'static str {
        match self {
            DefectType::VideoFreeze => "video_freeze",
            DefectType::Black => "black",
            DefectType::BlockCorruption => "block_corruption",
            DefectType::AudioSilence => "audio_silence",
            DefectType::AudioClipping => "audio_clipping",
            DefectType::Loudness => "loudness",
            DefectType::AvDesync => "av_desync",
        }
    }

    /// Whether the detector for this type looks at video frames.
    pub fn needs_video(self) -> bool {
        matches!(self, DefectType::VideoFreeze | DefectType::Black | DefectType::BlockCorruption | DefectType::AvDesync)
    }

    /// Whether the detector for this type looks at audio samples.
    pub fn needs_audio(self) -> bool {
        matches!(
            self,
            DefectType::AudioSilence | DefectType::AudioClipping | DefectType::Loudness | DefectType::AvDesync
        )
    }
}

impl fmt::Display for DefectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for a defect type name that is not one of [`DefectType::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown defect type `{0}` (known: video_freeze, black, block_corruption, audio_silence, audio_clipping, loudness, av_desync)")]
pub struct UnknownDefectType(pub String);

impl FromStr for DefectType {
    type Err = UnknownDefectType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim();
        DefectType::ALL
            .into_iter()
            .find(|t| t.as_str() == name || (name == "freeze" && *t == DefectType::VideoFreeze))
            .ok_or_else(|| UnknownDefectType(s.to_string()))
    }
}

/// The measured values that made a detector report a defect, by name.
///
/// Kept as an ordered map of plain numbers so that JSON output is stable and
/// an engineer can read exactly what was measured (e.g. `mean_luma`,
/// `max_block_diff`, `peak_dbfs`).
pub type Evidence = BTreeMap<String, f64>;

/// One defect found in one input: a closed interval of media time.
///
/// Times are seconds of media time from the start of the input (the first
/// decoded timestamp is 0). `offset_ms` is set only for `av_desync`
/// (positive = audio late).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DefectEvent {
    /// What kind of defect this is.
    #[serde(rename = "type")]
    pub kind: DefectType,
    /// Media time where the defect began, in seconds.
    pub start_s: f64,
    /// Media time where the defect ended, in seconds.
    pub end_s: f64,
    /// How sure the detector is, 0..1.
    pub confidence: f64,
    /// The measured values behind the decision.
    pub evidence: Evidence,
    /// Audio/video offset in milliseconds (positive = audio late); `av_desync` only.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub offset_ms: Option<f64>,
}

impl DefectEvent {
    /// Length of the event in seconds.
    pub fn duration_s(&self) -> f64 {
        (self.end_s - self.start_s).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in DefectType::ALL {
            assert_eq!(t.as_str().parse::<DefectType>().unwrap(), t);
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{}\"", t.as_str()));
        }
        assert_eq!("freeze".parse::<DefectType>().unwrap(), DefectType::VideoFreeze);
    }

    #[test]
    fn unknown_name_is_rejected_with_its_name() {
        let err = "blurry".parse::<DefectType>().unwrap_err();
        assert!(err.to_string().contains("`blurry`"));
    }

    #[test]
    fn offset_only_serialised_when_present() {
        let ev = DefectEvent {
            kind: DefectType::Black,
            start_s: 1.0,
            end_s: 2.5,
            confidence: 0.9,
            evidence: Evidence::new(),
            offset_ms: None,
        };
        let json = serde_json::to_string(&ev).unwrap();
        assert!(json.contains("\"type\":\"black\""));
        assert!(!json.contains("offset_ms"));
        assert_eq!(ev.duration_s(), 1.5);
    }
}
