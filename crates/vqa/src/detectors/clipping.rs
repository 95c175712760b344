//! `audio_clipping`: sustained clipping at full scale.
//!
//! Clipping flattens the waveform against the rails. In PCM the flat tops
//! sit exactly at full scale. After a lossy codec (AAC, MP3, AC-3) they come
//! back in one of two shapes: wideband material (music, noise, speech)
//! rings and overshoots full scale at every clipped edge; a clipped
//! low-frequency tone comes back as a flat plateau a few percent *below*
//! full scale (FFmpeg's AAC rebuilds it at 0.951). A 10 ms block is
//! clipped when it shows either:
//!
//! * at least `min_samples` samples at or above `clip_level_dbfs` (−0.1
//!   dBFS: the rails themselves, or overshoot past them), or
//! * a flat top: `flat_run` consecutive samples of one channel above
//!   `flat_level_dbfs` (−0.9 dBFS) changing by at most `flat_tolerance`.
//!
//! Loud, unclipped audio — mastered to the −1 dBTP ceiling EBU R128 asks
//! for, or peaking at −0.5 dBFS — shows neither: its peaks are rounded
//! (a 440 Hz sine at −0.5 dBFS stays flat for 1–2 samples at its crest) and
//! stay below the rails. Measured on a tuning corpus: no block of programme
//! limited at −1 dBFS showed either sign; 85–100% of the blocks of clipped
//! passages did. The flat-top test can mistake a pure tone below ~70 Hz
//! within 0.5 dB of full scale for clipping. Clipping that comes and goes
//! with the beat is one event: gaps up to `merge_gap_s` are bridged.

use serde::{Deserialize, Serialize};
use showrunner_core::{DefectEvent, DefectType};
use showrunner_media::AudioChunk;

use crate::audio_blocks::{AudioBlock, ClipLevels};
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
    /// Level above which flat tops are looked for, dBFS.
    pub flat_level_dbfs: f64,
    /// Consecutive flat samples that make a flat top. 16 (0.33 ms at
    /// 48 kHz): the crest of any sine above 70 Hz is rounder than that.
    pub flat_run: usize,
    /// Largest sample-to-sample change inside a flat top (linear; 0.0005 is
    /// −66 dBFS, below a decoded plateau's ripple floor).
    pub flat_tolerance: f64,
    /// Samples at the rails (all channels of a 10 ms block) that make the
    /// block clipped. 2: a single sample can be an inter-sample overshoot of
    /// a legitimate peak; clipped material puts many there.
    pub min_samples: usize,
    /// Unclipped gaps up to this long (between beats, a breath) do not split
    /// an event, seconds.
    pub merge_gap_s: f64,
}

impl Default for ClippingConfig {
    fn default() -> Self {
        ClippingConfig {
            min_duration_s: 0.5,
            clip_level_dbfs: -0.1,
            min_samples: 2,
            flat_level_dbfs: -0.9,
            flat_run: 16,
            flat_tolerance: 0.0005,
            merge_gap_s: 0.3,
        }
    }
}

impl ClippingConfig {
    /// The levels the shared audio blocks count clipping evidence by.
    pub fn levels(&self) -> ClipLevels {
        let linear = |dbfs: f64| 10f64.powf(dbfs / 20.0) as f32;
        ClipLevels {
            rail: linear(self.clip_level_dbfs),
            flat: linear(self.flat_level_dbfs),
            flat_tolerance: self.flat_tolerance as f32,
        }
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
            let clipped = b.clipped_samples >= self.config.min_samples || b.flat_run >= self.config.flat_run;
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

    fn confirmed_open(&self) -> Option<f64> {
        self.tracker.confirmed_since()
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
    fn codec_rebuilt_plateau_below_full_scale_is_clipping() {
        // A tone clipped, then rebuilt by a codec as flat tops at 0.951.
        let samples: Vec<f32> = tone(4.0, |t| if (1.0..3.0).contains(&t) { 30.0 } else { 0.2 })
            .into_iter()
            .map(|x| x.clamp(-0.951, 0.951))
            .collect();
        let events = run_audio(&mut ClippingDetector::new(ClippingConfig::default()), &samples);
        assert_eq!(events.len(), 1, "{events:?}");
        assert!((events[0].start_s - 1.0).abs() < 0.05 && (events[0].end_s - 3.0).abs() < 0.05, "{events:?}");
    }

    #[test]
    fn single_clipped_transient_is_not_sustained_clipping() {
        let samples = tone(4.0, |t| if (2.0..2.2).contains(&t) { 3.0 } else { 0.3 });
        assert!(run_audio(&mut ClippingDetector::new(ClippingConfig::default()), &samples).is_empty());
    }
}
