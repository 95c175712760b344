//! `audio_silence`: the audio drops out in a programme that had sound.
//!
//! A 10 ms block is silent when its RMS level is below `threshold_dbfs`
//! (digital silence reads −150). Silence only counts once the programme has
//! had sound (a block at or above `sound_dbfs`), so a file that starts with a
//! few seconds of room tone before the programme is not a dropout. Quiet
//! passages — dialogue at −40 dBFS, a fade-out — stay above the threshold.
//!
//! A lossy codec smears the edges of a dropout by up to one codec frame
//! (21 ms for AAC at 48 kHz): the blocks at each edge are neither programme
//! nor silence. Up to [`EDGE_BLOCKS`] such blocks (below `sound_dbfs`)
//! directly before and after a silent run belong to the dropout, so its
//! times and duration are those of the original hole.

use serde::{Deserialize, Serialize};
use showrunner_core::{DefectEvent, DefectType};
use showrunner_media::AudioChunk;

use crate::audio_blocks::AudioBlock;
use crate::detector::{event, evidence, Detector};
use crate::interval::IntervalTracker;

/// Quiet blocks at each edge of a silent run counted as part of it (30 ms).
pub const EDGE_BLOCKS: usize = 3;

/// Thresholds of the silence detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SilenceConfig {
    /// Shortest dropout reported, seconds. 0.5 s: pauses in speech are
    /// shorter than that at any level above the threshold, and a half-second
    /// hole is clearly heard as a fault.
    pub min_duration_s: f64,
    /// A block is silent below this RMS level, dBFS. −60: quieter than any
    /// programme material (room tone in a studio is around −50) yet far
    /// above the noise floor of decoded digital silence.
    pub threshold_dbfs: f64,
    /// The programme "has sound" once a block reaches this level, dBFS.
    pub sound_dbfs: f64,
    /// Non-silent gaps up to this long do not split a dropout, seconds (a click).
    pub merge_gap_s: f64,
}

impl Default for SilenceConfig {
    fn default() -> Self {
        SilenceConfig { min_duration_s: 0.5, threshold_dbfs: -60.0, sound_dbfs: -45.0, merge_gap_s: 0.05 }
    }
}

/// The silence detector.
pub struct SilenceDetector {
    config: SilenceConfig,
    tracker: IntervalTracker,
    had_sound: bool,
    loudest_dbfs: f64,
    /// Consecutive quiet (not silent) blocks just seen, up to EDGE_BLOCKS.
    quiet_run: usize,
}

impl SilenceDetector {
    /// A detector with the given thresholds.
    pub fn new(config: SilenceConfig) -> Self {
        let tracker = IntervalTracker::new(config.min_duration_s, config.merge_gap_s);
        SilenceDetector { config, tracker, had_sound: false, loudest_dbfs: -150.0, quiet_run: 0 }
    }

    fn emit(&self, iv: (f64, f64), out: &mut Vec<DefectEvent>) {
        // Digital silence is certain; a level just under the threshold less so.
        let margin = (self.config.threshold_dbfs - self.loudest_dbfs) / 20.0;
        out.push(event(
            DefectType::AudioSilence,
            iv,
            0.6 + 0.4 * margin.clamp(0.0, 1.0),
            evidence([("duration_s", iv.1 - iv.0), ("max_rms_dbfs", self.loudest_dbfs.max(-150.0))]),
        ));
    }
}

impl Detector for SilenceDetector {
    fn kind(&self) -> DefectType {
        DefectType::AudioSilence
    }

    fn on_audio(&mut self, _chunk: &AudioChunk, blocks: &[AudioBlock], out: &mut Vec<DefectEvent>) {
        for b in blocks {
            let level = b.rms_dbfs();
            let silent = self.had_sound && level < self.config.threshold_dbfs;
            let quiet = !silent && level < self.config.sound_dbfs;
            // The codec-smeared tail of a dropout, right after a silent block.
            let tail = quiet && self.tracker.is_open() && self.quiet_run < EDGE_BLOCKS;
            // A new dropout starts where the smeared lead-in began.
            let start_s = if silent && !self.tracker.is_open() {
                b.start_s - self.quiet_run as f64 * b.duration_s
            } else {
                b.start_s
            };
            self.quiet_run = if quiet { (self.quiet_run + 1).min(EDGE_BLOCKS) } else { 0 };
            let step = self.tracker.update(start_s, b.start_s + b.duration_s, silent || tail);
            if let Some(iv) = step.closed {
                self.emit(iv, out);
            }
            if step.opened {
                self.loudest_dbfs = -150.0;
            }
            if silent {
                self.loudest_dbfs = self.loudest_dbfs.max(level);
            }
            self.had_sound |= level >= self.config.sound_dbfs;
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
    fn dropout_is_found_with_its_times() {
        let samples = tone(6.0, |t| if (2.0..3.5).contains(&t) { 0.0 } else { 0.3 });
        let events = run_audio(&mut SilenceDetector::new(SilenceConfig::default()), &samples);
        assert_eq!(events.len(), 1, "{events:?}");
        assert!((events[0].start_s - 2.0).abs() < 0.02 && (events[0].end_s - 3.5).abs() < 0.02, "{events:?}");
        assert!(events[0].confidence > 0.9);
    }

    #[test]
    fn quiet_passage_is_not_silence() {
        // −46 dBFS RMS tone for 3 s: quiet, but programme.
        let samples = tone(6.0, |t| if (2.0..5.0).contains(&t) { 0.007 } else { 0.3 });
        assert!(run_audio(&mut SilenceDetector::new(SilenceConfig::default()), &samples).is_empty());
    }

    #[test]
    fn leading_silence_before_programme_is_not_a_dropout() {
        let samples = tone(5.0, |t| if t < 2.0 { 0.0 } else { 0.3 });
        assert!(run_audio(&mut SilenceDetector::new(SilenceConfig::default()), &samples).is_empty());
    }

    #[test]
    fn short_gap_is_not_reported() {
        let samples = tone(4.0, |t| if (2.0..2.3).contains(&t) { 0.0 } else { 0.3 });
        assert!(run_audio(&mut SilenceDetector::new(SilenceConfig::default()), &samples).is_empty());
    }
}
