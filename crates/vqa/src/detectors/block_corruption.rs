//! `block_corruption`: visible macroblock errors from bitstream damage or
//! packet loss.
//!
//! The decoder is the authority on damage: when a slice cannot be parsed it
//! conceals the rest of it (copies or extrapolates neighbouring macroblocks)
//! and flags the frame, and the demuxer flags packets that lost continuity.
//! A frame is *damaged* when the decoder flagged it or when a video damage
//! signal (corrupt packet, decode error, missing frames) arrived since the
//! previous frame. Damage then persists in every picture predicted from a
//! damaged one, so the event lasts until the next clean key frame (or, in
//! streams without regular key frames, `propagation_s` after the last
//! damaged frame). Damaged frames close together form one event; because
//! damage only comes from the decoder, ordinary low-bitrate compression —
//! blocky as it may look — never opens an event.
//!
//! The picture itself supplies the evidence of how visible the damage is:
//! the fraction of macroblock-grid edges that are hard block edges
//! (`grid_edge_fraction`) against the clip's own clean baseline, and how
//! much concealment froze the picture (`min_mafd`). Both raise or lower the
//! event's confidence; neither opens an event on its own, since a picture
//! with hard edges on a 16-pixel grid (a chessboard, a spreadsheet) is not
//! damaged.

use serde::{Deserialize, Serialize};
use showrunner_core::{DefectEvent, DefectType};
use showrunner_media::{DecoderSignal, SignalKind, StreamKind};

use crate::detector::{event, evidence, Detector};
use crate::features::FrameFeatures;
use crate::interval::IntervalTracker;

/// Thresholds of the block-corruption detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BlockCorruptionConfig {
    /// Shortest event reported, seconds. 0: a single damaged frame is
    /// visible and worth reporting.
    pub min_duration_s: f64,
    /// Damage this close together forms one event, seconds. 1 s: network
    /// loss comes in bursts that damage a run of frames, with clean frames
    /// (even a clean key frame) in between, and a viewer sees one glitchy
    /// stretch, not several defects.
    pub merge_gap_s: f64,
    /// Longest time damage is assumed to persist after the last damaged
    /// frame when no key frame comes, seconds. 2 s: the GOP length of most
    /// broadcast and streaming encodes; intra-refresh streams heal within it.
    pub propagation_s: f64,
    /// Weight of the clean-picture baseline of `grid_edge_fraction`: an
    /// exponential average over roughly 1/α sampled clean frames (α = 0.1:
    /// the last ~10 samples, about 6 s at 25 fps with one frame in 16 sampled).
    pub baseline_alpha: f64,
}

impl Default for BlockCorruptionConfig {
    fn default() -> Self {
        BlockCorruptionConfig { min_duration_s: 0.0, merge_gap_s: 1.0, propagation_s: 2.0, baseline_alpha: 0.1 }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Acc {
    damaged_frames: usize,
    signals: usize,
    max_blockiness: f64,
    min_mafd: f64,
    baseline: f64,
}

/// The block-corruption detector.
pub struct BlockCorruptionDetector {
    config: BlockCorruptionConfig,
    tracker: IntervalTracker,
    pending_signals: usize,
    /// Media time of the last damaged frame while the damage persists.
    tainted_since_damage: Option<f64>,
    baseline: Option<f64>,
    acc: Acc,
}

impl BlockCorruptionDetector {
    /// A detector with the given thresholds.
    pub fn new(config: BlockCorruptionConfig) -> Self {
        let tracker = IntervalTracker::new(config.min_duration_s, config.merge_gap_s);
        BlockCorruptionDetector {
            config,
            tracker,
            pending_signals: 0,
            tainted_since_damage: None,
            baseline: None,
            acc: Acc::default(),
        }
    }

    fn emit(&self, iv: (f64, f64), out: &mut Vec<DefectEvent>) {
        let a = self.acc;
        // Visible evidence: block edges above the clean baseline, or a
        // concealed (frozen-looking) picture.
        let edges = ((a.max_blockiness - a.baseline) / 0.05).clamp(0.0, 1.0);
        let concealment = (1.0 - a.min_mafd / 1.0).clamp(0.0, 1.0);
        let frames = (a.damaged_frames as f64 / 3.0).min(1.0);
        let confidence = 0.6 + 0.2 * frames + 0.2 * edges.max(concealment);
        out.push(event(
            DefectType::BlockCorruption,
            iv,
            confidence,
            evidence([
                ("damaged_frames", a.damaged_frames as f64),
                ("damage_signals", a.signals as f64),
                ("grid_edge_fraction", a.max_blockiness),
                ("grid_edge_baseline", a.baseline),
                ("min_mafd", a.min_mafd),
            ]),
        ));
    }
}

impl Detector for BlockCorruptionDetector {
    fn kind(&self) -> DefectType {
        DefectType::BlockCorruption
    }

    fn on_signal(&mut self, signal: &DecoderSignal, _out: &mut Vec<DefectEvent>) {
        if signal.stream == StreamKind::Video
            && matches!(signal.kind, SignalKind::CorruptPacket | SignalKind::DecodeError | SignalKind::DroppedFrames)
        {
            self.pending_signals += 1;
        }
    }

    fn on_frame(&mut self, f: &FrameFeatures, out: &mut Vec<DefectEvent>) {
        let damaged = f.errors.any() || self.pending_signals > 0;
        if damaged {
            self.tainted_since_damage = Some(f.pts_s);
        } else if let Some(last) = self.tainted_since_damage {
            if f.key || f.pts_s - last > self.config.propagation_s {
                self.tainted_since_damage = None;
            }
        }
        let step = self.tracker.update(f.pts_s, f.pts_s + f.duration_s, self.tainted_since_damage.is_some());
        if let Some(iv) = step.closed {
            self.emit(iv, out);
        }
        if step.opened {
            self.acc = Acc { min_mafd: f64::INFINITY, baseline: self.baseline.unwrap_or(0.0), ..Acc::default() };
        }
        if damaged {
            self.acc.damaged_frames += 1;
            self.acc.signals += self.pending_signals;
            self.acc.max_blockiness = self.acc.max_blockiness.max(f.blockiness.unwrap_or(0.0));
            if let Some(m) = f.motion {
                self.acc.min_mafd = self.acc.min_mafd.min(m.mafd);
            }
        } else if let (false, Some(value)) = (self.tracker.is_open(), f.blockiness) {
            let a = self.config.baseline_alpha;
            self.baseline = Some(self.baseline.map_or(value, |b| b + a * (value - b)));
        }
        self.pending_signals = 0;
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
    use crate::features::Motion;
    use showrunner_media::FrameErrors;

    fn frame(i: usize, concealed: bool, blockiness: f64) -> FrameFeatures {
        FrameFeatures {
            pts_s: i as f64 * 0.04,
            duration_s: 0.04,
            mean_luma: 100.0,
            dark_fraction: 0.0,
            is_black: false,
            motion: Some(Motion {
                mafd: if concealed { 0.3 } else { 3.0 },
                max_block_mafd: 20.0,
                mean_delta: 0.0,
                changed_fraction: 0.0,
            }),
            blockiness: Some(blockiness),
            errors: FrameErrors { concealed, ..FrameErrors::default() },
            key: i.is_multiple_of(25),
        }
    }

    #[test]
    fn damaged_frames_form_one_event_with_times() {
        let mut d = BlockCorruptionDetector::new(BlockCorruptionConfig::default());
        let mut out = Vec::new();
        for i in 0..250 {
            // Damage from 4.0 s to 5.0 s with a few clean frames inside.
            let damaged = (100..125).contains(&i) && i % 4 != 0;
            d.on_frame(&frame(i, damaged, if damaged { 0.12 } else { 0.02 }), &mut out);
        }
        d.finish(&mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        let e = &out[0];
        assert!((e.start_s - 4.04).abs() < 0.05 && (e.end_s - 5.0).abs() < 0.05, "{e:?}");
        assert!((e.evidence["grid_edge_baseline"] - 0.02).abs() < 0.005);
        assert!(e.confidence > 0.9);
    }

    #[test]
    fn damage_persists_until_the_next_clean_key_frame() {
        let mut d = BlockCorruptionDetector::new(BlockCorruptionConfig::default());
        let mut out = Vec::new();
        for i in 0..250 {
            // Two damaged frames at 2.0 s; key frames every second (25 frames).
            d.on_frame(&frame(i, i == 50 || i == 51, 0.02), &mut out);
        }
        d.finish(&mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert!((out[0].start_s - 2.0).abs() < 0.01 && (out[0].end_s - 3.0).abs() < 0.01, "{out:?}");
        assert_eq!(out[0].evidence["damaged_frames"], 2.0);
    }

    #[test]
    fn blocky_but_undamaged_picture_is_not_corruption() {
        // Heavy low-bitrate blocking: many grid edges, no decoder errors.
        let mut d = BlockCorruptionDetector::new(BlockCorruptionConfig::default());
        let mut out = Vec::new();
        for i in 0..250 {
            d.on_frame(&frame(i, false, 0.4), &mut out);
        }
        d.finish(&mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn demuxer_signal_marks_the_next_frame() {
        let mut d = BlockCorruptionDetector::new(BlockCorruptionConfig::default());
        let mut out = Vec::new();
        for i in 0..50 {
            if i == 20 {
                let sig = DecoderSignal {
                    kind: SignalKind::CorruptPacket,
                    stream: StreamKind::Video,
                    pts_s: 0.8,
                    amount: 1.0,
                    detail: String::new(),
                };
                d.on_signal(&sig, &mut out);
            }
            d.on_frame(&frame(i, false, 0.02), &mut out);
        }
        d.finish(&mut out);
        assert_eq!(out.len(), 1);
        assert!((out[0].start_s - 0.8).abs() < 0.01);
        assert_eq!(out[0].evidence["damage_signals"], 1.0);
    }

    #[test]
    fn audio_signals_are_ignored() {
        let mut d = BlockCorruptionDetector::new(BlockCorruptionConfig::default());
        let mut out = Vec::new();
        let sig = DecoderSignal {
            kind: SignalKind::DecodeError,
            stream: StreamKind::Audio,
            pts_s: 0.0,
            amount: 1.0,
            detail: String::new(),
        };
        d.on_signal(&sig, &mut out);
        d.on_frame(&frame(0, false, 0.0), &mut out);
        d.finish(&mut out);
        assert!(out.is_empty());
    }
}
