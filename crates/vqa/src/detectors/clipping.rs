//! `audio_clipping`: sustained clipping at full scale.
//!
//! Clipping flattens the waveform against the rails. In PCM the flat tops
//! sit exactly at full scale; after a lossy codec (AAC, MP3, AC-3) they come
//! back as plateaus a few percent below full scale with ringing around them.
//! Either way a clipped 10 ms block holds many samples at or above
//! `clip_level_dbfs` (−0.4 dBFS): a block counts as clipped when at least
//! `min_samples` of its samples (over all channels) are there. Loud,
//! unclipped audio — mastered to the −1 dBTP ceiling EBU R128 asks for, or
//! peaking at −0.5 dBFS — reaches that level for isolated samples at most
//! (measured on a tuning corpus: 0 of 1,900 blocks of programme limited at
//! −1 dBFS had 4 such samples; 60–100% of the blocks of clipped passages
//! did). Clipping that comes and goes with the beat is one event: gaps up to
//! `merge_gap_s` are bridged.

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
    /// Samples at the rails (all channels of a 10 ms block) that make the
    /// block clipped. 4: one or two samples can be the crest of a
    /// legitimate peak; a clipped plateau is tens of samples wide.
    pub min_samples: usize,
    /// Unclipped gaps up to this long (between beats, a breath) do not split
    /// an event, seconds.
    pub merge_gap_s: f64,
}

impl Default for ClippingConfig {
    fn default() -> Self {
        ClippingConfig { min_duration_s: 0.5, clip_level_dbfs: -0.4, min_samples: 4, merge_gap_s: 0.3 }
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
    samples: usize,
    blocks: usize,
    clipped_blocks: usize,
    /// Unclipped blocks since the last clipped one: part of the event only
    /// if clipping resumes within the merge gap.
    gap_blocks: usize,
}

impl ClippingDetector {
    /// A detector with the given thresholds.
    pub fn new(config: ClippingConfig) -> Self {
        let tracker = IntervalTracker::new(config.min_duration_s, config.merge_gap_s);
        ClippingDetector { config, tracker, samples: 0, blocks: 0, clipped_blocks: 0, gap_blocks: 0 }
    }

    fn emit(&self, iv: (f64, f64), out: &mut Vec<DefectEvent>) {
        let density = self.clipped_blocks as f64 / self.blocks.max(1) as f64;
        let per_block = self.samples as f64 / self.clipped_blocks.max(1) as f64;
        out.push(event(
            DefectType::AudioClipping,
            iv,
            0.6 + 0.2 * density + 0.2 * (per_block / 20.0).min(1.0),
            evidence([
                ("duration_s", iv.1 - iv.0),
                ("clipped_block_ratio", density),
                ("samples_at_rails_per_clipped_block", per_block),
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
            let clipped = b.clipped_samples >= self.config.min_samples;
            let step = self.tracker.update(b.start_s, b.start_s + b.duration_s, clipped);
            if let Some(iv) = step.closed {
                self.emit(iv, out);
            }
            if step.opened {
                (self.samples, self.blocks, self.clipped_blocks, self.gap_blocks) = (0, 0, 0, 0);
            }
            if clipped {
                self.samples += b.clipped_samples;
                self.blocks += self.gap_blocks + 1;
                self.clipped_blocks += 1;
                self.gap_blocks = 0;
            } else if self.tracker.is_open() {
                self.gap_blocks += 1;
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
        assert!(e.evidence["clipped_block_ratio"] > 0.9);
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
