//! The `[vqa]` section of `showrunner.toml`: every detector's thresholds.
//!
//! ```toml
//! [vqa.video_freeze]
//! min_duration_s = 2.0
//! [vqa.av_desync]
//! late_ms = 120
//! ```
//! Every key is optional; see each detector's config type for the defaults
//! and the reasoning behind them.

use serde::{Deserialize, Serialize};
use showrunner_core::DefectType;

use crate::detector::Detector;
use crate::detectors::black::{BlackConfig, BlackDetector};
use crate::detectors::block_corruption::{BlockCorruptionConfig, BlockCorruptionDetector};
use crate::detectors::clipping::{ClippingConfig, ClippingDetector};
use crate::detectors::desync::{DesyncConfig, DesyncDetector};
use crate::detectors::freeze::{FreezeConfig, FreezeDetector};
use crate::detectors::loudness::{LoudnessConfig, LoudnessDetector};
use crate::detectors::silence::{SilenceConfig, SilenceDetector};

/// Thresholds for all detectors, keyed by defect type name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VqaConfig {
    /// See [`FreezeConfig`].
    pub video_freeze: FreezeConfig,
    /// See [`BlackConfig`].
    pub black: BlackConfig,
    /// See [`BlockCorruptionConfig`].
    pub block_corruption: BlockCorruptionConfig,
    /// See [`SilenceConfig`].
    pub audio_silence: SilenceConfig,
    /// See [`ClippingConfig`].
    pub audio_clipping: ClippingConfig,
    /// See [`LoudnessConfig`].
    pub loudness: LoudnessConfig,
    /// See [`DesyncConfig`].
    pub av_desync: DesyncConfig,
}

impl VqaConfig {
    /// Builds the detector for `kind` with this configuration.
    pub fn detector(&self, kind: DefectType) -> Box<dyn Detector> {
        match kind {
            DefectType::VideoFreeze => Box::new(FreezeDetector::new(self.video_freeze.clone())),
            DefectType::Black => Box::new(BlackDetector::new(self.black.clone())),
            DefectType::BlockCorruption => Box::new(BlockCorruptionDetector::new(self.block_corruption.clone())),
            DefectType::AudioSilence => Box::new(SilenceDetector::new(self.audio_silence.clone())),
            DefectType::AudioClipping => Box::new(ClippingDetector::new(self.audio_clipping.clone())),
            DefectType::Loudness => Box::new(LoudnessDetector::new(self.loudness.clone())),
            DefectType::AvDesync => Box::new(DesyncDetector::new(self.av_desync.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_builds_its_own_detector() {
        let config = VqaConfig::default();
        for kind in DefectType::ALL {
            assert_eq!(config.detector(kind).kind(), kind);
        }
    }

    #[test]
    fn partial_toml_keeps_other_defaults() {
        let config: VqaConfig = toml::from_str("[video_freeze]\nmin_duration_s = 2.5\n").unwrap();
        assert_eq!(config.video_freeze.min_duration_s, 2.5);
        assert_eq!(config.video_freeze.still_mafd, FreezeConfig::default().still_mafd);
        assert_eq!(config.black, BlackConfig::default());
    }

    #[test]
    fn typo_is_rejected() {
        assert!(toml::from_str::<VqaConfig>("[video_freeze]\nmin_duration = 2.5\n").is_err());
        assert!(toml::from_str::<VqaConfig>("[freezes]\n").is_err());
    }
}
