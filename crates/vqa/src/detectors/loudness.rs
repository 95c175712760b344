//! `loudness`: EBU R128 loudness per input, and a defect when short-term
//! loudness stays outside the target window for too long.
//!
//! Measured with the `ebur128` crate (ITU-R BS.1770-4 K-weighting, gating,
//! 4× oversampled true peak, histogram mode so memory stays flat however
//! long the input). Every input gets a summary — integrated loudness, true
//! peak, maximum momentary and short-term loudness — reported even when
//! nothing is wrong. (Loudness range is left out: it re-sums a 3 s window
//! every second for a figure no detector uses.)
//!
//! The defect is about programme-level level errors (a feed 15 LU too hot,
//! a channel mixed 20 LU too low), not about dynamics, so the window is wide
//! and the duration long. Short-term values below −70 LUFS (silence) are
//! not judged: dropouts belong to `audio_silence`.

use ebur128::{EbuR128, Mode};
use serde::{Deserialize, Serialize};
use showrunner_core::{DefectEvent, DefectType, Evidence};
use showrunner_media::AudioChunk;

use crate::audio_blocks::AudioBlock;
use crate::detector::{event, evidence, Detector};
use crate::interval::IntervalTracker;

/// Thresholds of the loudness detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoudnessConfig {
    /// Upper edge of the short-term loudness window, LUFS. −10: 13 LU above
    /// the R128 target of −23, louder than any compliant programme's loudest
    /// passage stays for long.
    pub max_short_term_lufs: f64,
    /// Lower edge, LUFS. −40: 17 LU below target; quiet passages dip there
    /// for seconds, not for a quarter of a minute.
    pub min_short_term_lufs: f64,
    /// How long short-term loudness must stay outside the window, seconds. 15 s.
    pub min_duration_s: f64,
}

impl Default for LoudnessConfig {
    fn default() -> Self {
        LoudnessConfig { max_short_term_lufs: -10.0, min_short_term_lufs: -40.0, min_duration_s: 15.0 }
    }
}

/// Short-term loudness at or below this is silence, not a level problem.
const SILENCE_LUFS: f64 = -70.0;

/// The loudness meter and detector.
pub struct LoudnessDetector {
    config: LoudnessConfig,
    meter: Option<EbuR128>,
    tracker: IntervalTracker,
    audio_s: f64,
    next_momentary_s: f64,
    next_short_term_s: f64,
    max_momentary: f64,
    max_short_term: f64,
    extreme: f64,
}

impl LoudnessDetector {
    /// A detector with the given window.
    pub fn new(config: LoudnessConfig) -> Self {
        let tracker = IntervalTracker::new(config.min_duration_s, 1.5);
        LoudnessDetector {
            config,
            meter: None,
            tracker,
            audio_s: 0.0,
            next_momentary_s: 0.0,
            next_short_term_s: 0.0,
            max_momentary: f64::NEG_INFINITY,
            max_short_term: f64::NEG_INFINITY,
            extreme: 0.0,
        }
    }

    fn emit(&self, iv: (f64, f64), out: &mut Vec<DefectEvent>) {
        let target = -23.0;
        out.push(event(
            DefectType::Loudness,
            iv,
            0.9,
            evidence([("duration_s", iv.1 - iv.0), ("extreme_short_term_lufs", self.extreme), ("target_lufs", target)]),
        ));
    }

    fn meter_for(&mut self, chunk: &AudioChunk) -> Option<&mut EbuR128> {
        let channels = chunk.channels.len() as u32;
        let fits = self.meter.as_ref().is_some_and(|m| m.channels() == channels && m.rate() == chunk.sample_rate);
        if !fits {
            let mode = Mode::M | Mode::S | Mode::I | Mode::TRUE_PEAK | Mode::HISTOGRAM;
            self.meter = EbuR128::new(channels, chunk.sample_rate, mode).ok();
        }
        self.meter.as_mut()
    }
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

impl Detector for LoudnessDetector {
    fn kind(&self) -> DefectType {
        DefectType::Loudness
    }

    fn on_audio(&mut self, chunk: &AudioChunk, _blocks: &[AudioBlock], out: &mut Vec<DefectEvent>) {
        let planes: Vec<&[f32]> = chunk.channels.iter().map(Vec::as_slice).collect();
        let Some(meter) = self.meter_for(chunk) else { return };
        if meter.add_frames_planar_f32(&planes).is_err() {
            return;
        }
        // Reading a window's loudness sums the whole window, so momentary
        // loudness (0.4 s) is read at R128's 10 Hz and short-term loudness
        // (3 s) once a second, which is plenty for a defect that must last
        // `min_duration_s` — not on every decoded chunk.
        let audio_s = self.audio_s + chunk.duration_s();
        let momentary_due = audio_s >= self.next_momentary_s;
        let short_term_due = audio_s >= self.next_short_term_s;
        self.audio_s = audio_s;
        let Some(meter) = self.meter.as_mut() else { return };
        if momentary_due {
            self.next_momentary_s = audio_s + 0.1;
            if let Some(m) = meter.loudness_momentary().ok().and_then(finite) {
                self.max_momentary = self.max_momentary.max(m);
            }
        }
        if !short_term_due {
            return;
        }
        self.next_short_term_s = audio_s + 1.0;
        let short_term = meter.loudness_shortterm().ok().and_then(finite);
        // Short-term loudness needs its full 3 s window before it means anything.
        let Some(st) = short_term.filter(|_| self.audio_s >= 3.0) else { return };
        self.max_short_term = self.max_short_term.max(st);
        let outside =
            st > SILENCE_LUFS && (st > self.config.max_short_term_lufs || st < self.config.min_short_term_lufs);
        let end_s = chunk.pts_s + chunk.duration_s();
        let step = self.tracker.update(end_s - 1.0, end_s, outside);
        if let Some(iv) = step.closed {
            self.emit(iv, out);
        }
        if step.opened {
            self.extreme = st;
        }
        if outside && (st - -23.0f64).abs() > (self.extreme - -23.0f64).abs() {
            self.extreme = st;
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

    fn summary(&self) -> Option<Evidence> {
        let meter = self.meter.as_ref()?;
        let mut e = Evidence::new();
        if let Some(i) = meter.loudness_global().ok().and_then(finite) {
            e.insert("integrated_lufs".into(), i);
        }
        let peak = (0..meter.channels()).filter_map(|c| meter.true_peak(c).ok()).fold(0.0f64, f64::max);
        if peak > 0.0 {
            e.insert("true_peak_dbtp".into(), 20.0 * peak.log10());
        }
        if let Some(m) = finite(self.max_momentary) {
            e.insert("max_momentary_lufs".into(), m);
        }
        if let Some(s) = finite(self.max_short_term) {
            e.insert("max_short_term_lufs".into(), s);
        }
        let rounded = e.into_iter().map(|(k, v)| (k, (v * 10.0).round() / 10.0)).collect();
        Some(rounded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_audio, tone};

    #[test]
    fn summary_reports_r128_figures() {
        // A 1 kHz-ish full-scale sine reads about −3 LUFS; a 0.1 sine about −23.
        let mut d = LoudnessDetector::new(LoudnessConfig::default());
        let events = run_audio(&mut d, &tone(10.0, |_| 0.1));
        assert!(events.is_empty());
        let s = d.summary().unwrap();
        let integrated = s["integrated_lufs"];
        assert!((-25.0..=-21.0).contains(&integrated), "{s:?}");
        assert!((s["true_peak_dbtp"] - -20.0).abs() < 0.5, "{s:?}");
    }

    #[test]
    fn long_hot_passage_is_a_defect_short_one_is_not() {
        let cfg = LoudnessConfig { min_duration_s: 5.0, ..LoudnessConfig::default() };
        // 0.9 amplitude tone ≈ −4 LUFS, far above −10.
        let events = run_audio(
            &mut LoudnessDetector::new(cfg.clone()),
            &tone(20.0, |t| if (5.0..15.0).contains(&t) { 0.9 } else { 0.1 }),
        );
        assert_eq!(events.len(), 1, "{events:?}");
        let e = &events[0];
        // The 3 s short-term window lags the change by up to ~2 s at each end.
        assert!(e.start_s > 5.0 && e.start_s < 7.0 && e.end_s > 15.0 && e.end_s < 18.0, "{e:?}");
        assert!(e.evidence["extreme_short_term_lufs"] > -8.0);
        let short = run_audio(
            &mut LoudnessDetector::new(cfg),
            &tone(20.0, |t| if (5.0..7.0).contains(&t) { 0.9 } else { 0.1 }),
        );
        assert!(short.is_empty(), "{short:?}");
    }

    #[test]
    fn silence_is_not_a_loudness_defect() {
        let cfg = LoudnessConfig { min_duration_s: 5.0, ..LoudnessConfig::default() };
        let events = run_audio(&mut LoudnessDetector::new(cfg), &tone(20.0, |t| if t > 4.0 { 0.0 } else { 0.1 }));
        assert!(events.is_empty(), "{events:?}");
    }
}
