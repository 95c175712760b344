//! Helpers for the detectors' unit tests: synthetic PCM and frames.

use showrunner_core::DefectEvent;
use showrunner_media::AudioChunk;

use crate::audio_blocks::AudioBlocker;
use crate::detector::Detector;

/// Sample rate of the synthetic test signals.
pub const RATE: u32 = 48_000;

/// Runs a mono 48 kHz signal through `detector` in 1024-sample chunks (an
/// AAC frame), with the default clip level, and returns its events.
pub fn run_audio(detector: &mut dyn Detector, samples: &[f32]) -> Vec<DefectEvent> {
    let mut blocker = AudioBlocker::new(crate::detectors::clipping::ClippingConfig::default().levels());
    let mut out = Vec::new();
    for (i, chunk) in samples.chunks(1024).enumerate() {
        let chunk = AudioChunk {
            pts_s: i as f64 * 1024.0 / f64::from(RATE),
            sample_rate: RATE,
            channels: vec![chunk.to_vec()],
        };
        let blocks = blocker.push(&chunk);
        detector.on_audio(&chunk, &blocks, &mut out);
    }
    detector.finish(&mut out);
    out
}

/// A 440 Hz sine of `seconds`, with amplitude `gain(t)`, hard-limited to ±1
/// like an integer PCM path.
pub fn tone(seconds: f64, gain: impl Fn(f64) -> f32) -> Vec<f32> {
    (0..(seconds * f64::from(RATE)) as usize)
        .map(|i| {
            let t = i as f64 / f64::from(RATE);
            (gain(t) * (2.0 * std::f64::consts::PI * 440.0 * t).sin() as f32).clamp(-1.0, 1.0)
        })
        .collect()
}
