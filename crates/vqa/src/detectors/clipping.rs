//! `audio_clipping`: sustained clipping at full scale.
//!
//! Clipping flattens the waveform against the rails: a large share of
//! samples sits at full scale. After a lossy codec the flat tops ring by a
//! few percent, so "at the rails" means at or above `clip_level_dbfs`
//! (−0.3 dBFS ≈ 0.966), and a 10 ms block is clipped when at least
//! `min_fraction` of its samples are there. Loud, well-mastered audio peaks
//! at −1 dBFS (0.89) or below and touches the rails, if ever, for isolated
//! samples: it never fills 1% of a block.

use serde::{Deserialize, Serialize};
use showrunner_core::{DefectEvent, DefectType};
use showrunner_media::AudioChunk;

use crate::audio_blocks::AudioBlock;
use crate::detector::{event, evidence, Detector};
use crate::interval::IntervalTracker;

/// Thresholds of the clipping detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClippingConfig {
    /// Shortest clipping reported, seconds. 0.5 s: a single clipped
    /// transient is a mastering blemish; sustained clipping is a fault
    /// (wrong gain staging on the feed).
    pub min_duration_s: f64,
    /// Sample level counted as "at the rails", dBFS.
    pub clip_level_dbfs: f64,
    /// Fraction of a block's samples at the rails that makes it clipped.
    pub min_fraction: f64,
    /// Unclipped gaps up to this long (between beats, a breath) do not split
    /// an event, seconds.
    pub merge_gap_s: f64,
}

impl Default for ClippingConfig {
    fn default() -> Self {
        ClippingConfig { min_duration_s: 0.5, clip_level_dbfs: -0.3, min_fraction: 0.01, merge_gap_s: 0.2 }
    }
}

impl ClippingConfig {
    /// The clip level as a linear sample value.
    pub fn clip_level(&self) -> f32 {
        10f64.powf(self.clip_level_dbfs / 20.0) as f32
    }
}

/// The clipping detector.
pub struct ClippingDetector {
    config: ClippingConfig,
    tracker: IntervalTracker,
    fraction_sum: f64,
    blocks: usize,
    clipped_blocks: usize,
}

impl ClippingDetector {
    /// A detector with the given thresholds.
    pub fn new(config: ClippingConfig) -> Self {
        let tracker = IntervalTracker::new(config.min_duration_s, config.merge_gap_s);
        ClippingDetector { config, tracker, fraction_sum: 0.0, blocks: 0, clipped_blocks: 0 }
    }

    fn emit(&self, iv: (f64, f64), out: &mut Vec<DefectEvent>) {
        let mean_fraction = self.fraction_sum / self.blocks.max(1) as f64;
        let density = self.clipped_blocks as f64 / self.blocks.max(1) as f64;
        out.push(event(
            DefectType::AudioClipping,
            iv,
            0.5 + 0.5 * (mean_fraction / (10.0 * self.config.min_fraction)).min(1.0) * density,
            evidence([
                ("duration_s", iv.1 - iv.0),
                ("mean_clipped_fraction", mean_fraction),
                ("clipped_block_ratio", density),
            ]),
        ));
    }
}

impl Detector for ClippingDetector {
    fn kind(&self) -> DefectType {
        DefectType::AudioClipping
    }

    fn on_audio(&mut self, _chunk: &AudioChunk, blocks: &[AudioBlock], out: &mut Vec<DefectEvent>) {
        for b in blocks {
            let clipped = b.clipped_fraction >= self.config.min_fraction;
            let step = self.tracker.update(b.start_s, b.start_s + b.duration_s, clipped);
            if let Some(iv) = step.closed {
                self.emit(iv, out);
            }
            if step.opened {
                (self.fraction_sum, self.blocks, self.clipped_blocks) = (0.0, 0, 0);
            }
            if self.tracker.is_open() {
                self.fraction_sum += b.clipped_fraction;
                self.blocks += 1;
                self.clipped_blocks += usize::from(clipped);
            }
        }
    }

    fn finish(&mut self, out: &mut Vec<DefectEvent>) {
        if let Some(iv) = self.tracker.finish() {
            self.emit(iv, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_audio, tone};

    #[test]
    fn overdriven_passage_is_found_with_its_times() {
        // A tone driven 20 dB into the rails from 1.0 to 3.0 s.
        let samples = tone(5.0, |t| if (1.0..3.0).contains(&t) { 3.0 } else { 0.3 });
        let events = run_audio(&mut ClippingDetector::new(ClippingConfig::default()), &samples);
        assert_eq!(events.len(), 1, "{events:?}");
        let e = &events[0];
        assert!((e.start_s - 1.0).abs() < 0.02 && (e.end_s - 3.0).abs() < 0.02, "{e:?}");
        assert!(e.evidence["mean_clipped_fraction"] > 0.5);
        assert!(e.confidence > 0.9);
    }

    #[test]
    fn loud_audio_just_under_full_scale_is_not_clipping() {
        // Peaks at −0.5 dBFS (0.944) for the whole clip.
        let samples = tone(5.0, |_| 0.944);
        assert!(run_audio(&mut ClippingDetector::new(ClippingConfig::default()), &samples).is_empty());
    }

    #[test]
    fn single_clipped_transient_is_not_sustained_clipping() {
        let samples = tone(4.0, |t| if (2.0..2.2).contains(&t) { 3.0 } else { 0.3 });
        assert!(run_audio(&mut ClippingDetector::new(ClippingConfig::default()), &samples).is_empty());
    }
}
