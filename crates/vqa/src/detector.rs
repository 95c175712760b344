//! The one trait every defect detector implements.

use showrunner_core::{DefectEvent, DefectType, Evidence};
use showrunner_media::{AudioChunk, DecoderSignal};

use crate::audio_blocks::AudioBlock;
use crate::features::FrameFeatures;

/// A defect detector: fed frames, audio and decoder signals in media order,
/// it pushes a [`DefectEvent`] into `out` when a defect closes.
///
/// Detectors are causal (they never look ahead), so the same code runs on
/// files and on live streams. The methods a detector does not need keep
/// their default no-op body.
pub trait Detector: Send {
    /// The defect type this detector reports.
    fn kind(&self) -> DefectType;

    /// One decoded picture's measurements.
    fn on_frame(&mut self, _frame: &FrameFeatures, _out: &mut Vec<DefectEvent>) {}

    /// One decoded audio chunk and the 10 ms blocks it completed.
    fn on_audio(&mut self, _chunk: &AudioChunk, _blocks: &[AudioBlock], _out: &mut Vec<DefectEvent>) {}

    /// A demuxer or decoder damage signal.
    fn on_signal(&mut self, _signal: &DecoderSignal, _out: &mut Vec<DefectEvent>) {}

    /// Start (media seconds) of a defect under way that is already long
    /// enough to report, so a live stream can announce it before it ends;
    /// `None` when there is none, or when the detector judges only at the
    /// end (desync).
    fn confirmed_open(&self) -> Option<f64> {
        None
    }

    /// The input ended: close whatever is open.
    fn finish(&mut self, out: &mut Vec<DefectEvent>);

    /// Whole-input measurements worth reporting even without a defect
    /// (loudness, estimated A/V offset).
    fn summary(&self) -> Option<Evidence> {
        None
    }
}

/// Builds an event; shared by all detectors so the field conventions
/// (confidence clamped to 0..1, rounded evidence) live in one place.
pub fn event(kind: DefectType, (start_s, end_s): (f64, f64), confidence: f64, evidence: Evidence) -> DefectEvent {
    let evidence = evidence.into_iter().map(|(k, v)| (k, (v * 1000.0).round() / 1000.0)).collect();
    DefectEvent {
        kind,
        start_s: (start_s * 1000.0).round() / 1000.0,
        end_s: (end_s * 1000.0).round() / 1000.0,
        confidence: (confidence.clamp(0.0, 1.0) * 1000.0).round() / 1000.0,
        evidence,
        offset_ms: None,
    }
}

/// Builds an [`Evidence`] map from name/value pairs.
pub fn evidence<const N: usize>(pairs: [(&str, f64); N]) -> Evidence {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}
