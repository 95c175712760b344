//! `av_desync`: the audio/video offset, estimated continuously from content.
//!
//! Things that happen on screen and in the soundtrack at once — a cut with
//! a change of scene sound, a door slamming, a clapper, a flash with a beep —
//! appear as a sudden visual change and an audio onset at the same moment.
//! Over a sliding window, the detector correlates the *visual onset* series
//! (frame difference above its recent median) with the *audio onset* series
//! (rise of the 10 ms block energy over the preceding 50 ms) at every lag in
//! ±`max_lag_ms`, in 10 ms steps. The lag of the correlation peak is the
//! offset (positive = audio late); the peak's correlation coefficient is the
//! confidence. Windows with too few visual events or an ambiguous peak give
//! no estimate rather than a wrong one.
//!
//! A defect opens when confident estimates put the offset beyond the
//! thresholds — by default ITU-R BT.1359's acceptability limits, audio more
//! than 90 ms early or 185 ms late — for `min_duration_s` of media, and
//! closes after two confident estimates within the limits. Windows without
//! an estimate (a black segment, a stretch without events) neither open nor
//! close it: no evidence is not evidence of sync.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use showrunner_core::{DefectEvent, DefectType, Evidence};
use showrunner_media::AudioChunk;

use crate::audio_blocks::{AudioBlock, BLOCK_S};
use crate::detector::{event, evidence, Detector};
use crate::features::FrameFeatures;

/// Thresholds and window of the A/V sync estimator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DesyncConfig {
    /// Audio more than this early is a defect, ms (BT.1359: 90).
    pub early_ms: f64,
    /// Audio more than this late is a defect, ms (BT.1359: 185).
    pub late_ms: f64,
    /// Length of the correlation window, seconds. 10 s holds several
    /// audio-visual events in ordinary programmes.
    pub window_s: f64,
    /// Time between estimates, seconds.
    pub hop_s: f64,
    /// Largest offset searched, ms. 600 ms covers every offset a viewer
    /// tolerates long enough to complain about, and keeps aliasing with
    /// periodic content (a 1 s beat) out of the search.
    pub max_lag_ms: f64,
    /// Smallest peak correlation accepted as an estimate. 0.55: content
    /// whose sound and pictures do not share sharp events (ambient sound,
    /// unrelated music, J-cuts where the sound of the next scene leads the
    /// cut) peaked at 0.2–0.47 at some arbitrary lag on the tuning corpus;
    /// content with real shared events (cuts with sound changes, impacts, a
    /// sync test) peaks at 0.6–0.9 once the window holds a few of them.
    pub min_correlation: f64,
    /// Visual events (onsets) the window must hold for an estimate. 3: with
    /// one or two events any lag that happens to line them up with some
    /// sound looks convincing.
    pub min_visual_events: usize,
    /// Media time the offset must stay beyond a threshold before a defect
    /// opens, seconds.
    pub min_duration_s: f64,
}

impl Default for DesyncConfig {
    fn default() -> Self {
        DesyncConfig {
            early_ms: 90.0,
            late_ms: 185.0,
            window_s: 10.0,
            hop_s: 1.0,
            max_lag_ms: 600.0,
            min_correlation: 0.55,
            min_visual_events: 3,
            min_duration_s: 2.0,
        }
    }
}

/// One offset estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OffsetEstimate {
    /// Centre of the window the estimate describes, seconds.
    pub centre_s: f64,
    /// Offset, ms (positive = audio late).
    pub offset_ms: f64,
    /// Peak correlation coefficient, 0..1.
    pub correlation: f64,
}

/// Running statistics of a set of estimates in constant memory: the median
/// comes from a 5 ms histogram over the searched range.
#[derive(Debug, Clone)]
struct OffsetSummary {
    count: usize,
    correlation_sum: f64,
    min_ms: f64,
    max_ms: f64,
    first_centre_s: f64,
    last_centre_s: f64,
    max_lag_ms: f64,
    histogram: Vec<u32>,
}

/// Width of a histogram bin, ms (estimates sit on a 5 ms grid).
const BIN_MS: f64 = 5.0;

impl OffsetSummary {
    fn new(first: &OffsetEstimate, max_lag_ms: f64) -> Self {
        let bins = (2.0 * max_lag_ms / BIN_MS).round() as usize + 1;
        let mut s = OffsetSummary {
            count: 0,
            correlation_sum: 0.0,
            min_ms: f64::INFINITY,
            max_ms: f64::NEG_INFINITY,
            first_centre_s: first.centre_s,
            last_centre_s: first.centre_s,
            max_lag_ms,
            histogram: vec![0; bins],
        };
        s.add(first);
        s
    }

    fn add(&mut self, e: &OffsetEstimate) {
        self.count += 1;
        self.correlation_sum += e.correlation;
        self.min_ms = self.min_ms.min(e.offset_ms);
        self.max_ms = self.max_ms.max(e.offset_ms);
        self.last_centre_s = e.centre_s;
        let bin = ((e.offset_ms + self.max_lag_ms) / BIN_MS).round().clamp(0.0, (self.histogram.len() - 1) as f64);
        self.histogram[bin as usize] += 1;
    }

    fn mean_correlation(&self) -> f64 {
        self.correlation_sum / self.count.max(1) as f64
    }

    fn median_ms(&self) -> f64 {
        let half = self.count.div_ceil(2) as u32;
        let mut seen = 0;
        for (i, n) in self.histogram.iter().enumerate() {
            seen += n;
            if seen >= half {
                return i as f64 * BIN_MS - self.max_lag_ms;
            }
        }
        0.0
    }
}

/// A visual onset counts as an event at this many levels above the median.
const VISUAL_EVENT_LEVELS: f64 = 8.0;

/// The A/V sync detector.
pub struct DesyncDetector {
    config: DesyncConfig,
    /// The open defect: its estimates so far, and the confident in-sync
    /// estimates seen since the last out-of-sync one.
    open: Option<(OffsetSummary, usize)>,
    /// (pts, visual onset strength)
    visual: VecDeque<(f64, f64)>,
    recent_mafd: VecDeque<(f64, f64)>,
    /// Audio onset strength per 10 ms block, starting at `audio_t0`.
    audio: VecDeque<f64>,
    audio_t0: Option<f64>,
    energy_history: VecDeque<f64>,
    next_estimate_s: f64,
    /// Every estimate of the input, for the summary.
    all: Option<OffsetSummary>,
}

impl DesyncDetector {
    /// A detector with the given thresholds.
    pub fn new(config: DesyncConfig) -> Self {
        let first = config.window_s;
        DesyncDetector {
            config,
            open: None,
            visual: VecDeque::new(),
            recent_mafd: VecDeque::new(),
            audio: VecDeque::new(),
            audio_t0: None,
            energy_history: VecDeque::new(),
            next_estimate_s: first,
            all: None,
        }
    }

    fn audio_end_s(&self) -> f64 {
        self.audio_t0.map_or(f64::NEG_INFINITY, |t0| t0 + self.audio.len() as f64 * BLOCK_S)
    }

    fn audio_at(&self, t: f64) -> Option<f64> {
        let t0 = self.audio_t0?;
        let idx = ((t - t0) / BLOCK_S).round();
        if idx < 2.0 {
            return None;
        }
        let idx = idx as usize;
        // ±20 ms: a visual event is only known to the frame (40 ms at 25 fps).
        let lo = idx.saturating_sub(2);
        let hi = (idx + 2).min(self.audio.len().checked_sub(1)?);
        (lo <= hi).then(|| (lo..=hi).map(|i| self.audio[i]).fold(0.0, f64::max))
    }

    /// Correlates the window ending at `end_s` and returns the estimate, if any.
    pub(crate) fn estimate(&self, end_s: f64) -> Option<OffsetEstimate> {
        let start_s = end_s - self.config.window_s;
        let frames: Vec<(f64, f64)> =
            self.visual.iter().copied().filter(|(t, _)| *t >= start_s && *t < end_s).collect();
        let events = frames.iter().filter(|(_, v)| *v >= VISUAL_EVENT_LEVELS).count();
        if frames.len() < 10 || events < self.config.min_visual_events {
            return None;
        }
        let max_lag = (self.config.max_lag_ms / 1000.0 / BLOCK_S).round() as i64;
        let xs: Vec<f64> = frames.iter().map(|(_, v)| *v).collect();
        let mut scores = Vec::with_capacity((2 * max_lag + 1) as usize);
        for lag in -max_lag..=max_lag {
            let shift = lag as f64 * BLOCK_S;
            let ys: Option<Vec<f64>> = frames.iter().map(|(t, _)| self.audio_at(t + shift)).collect();
            scores.push(ys.map_or(0.0, |ys| pearson(&xs, &ys)));
        }
        let (best, &peak) = scores.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1))?;
        if peak < self.config.min_correlation {
            return None;
        }
        // The peak must stand clear of every other lag more than 100 ms away.
        let clear = (100.0 / 1000.0 / BLOCK_S) as usize;
        let rival = scores
            .iter()
            .enumerate()
            .filter(|(i, _)| i.abs_diff(best) > clear)
            .map(|(_, s)| *s)
            .fold(f64::NEG_INFINITY, f64::max);
        if rival > peak * 0.8 {
            return None;
        }
        // Centre of the plateau of near-peak lags (the ±20 ms tolerance makes
        // a flat top), refined to better than one step.
        let near = |i: usize| scores[i] >= peak - 0.02;
        let (mut lo, mut hi) = (best, best);
        while lo > 0 && near(lo - 1) {
            lo -= 1;
        }
        while hi + 1 < scores.len() && near(hi + 1) {
            hi += 1;
        }
        let centre = (lo + hi) as f64 / 2.0;
        let offset_ms = (centre - max_lag as f64) * BLOCK_S * 1000.0;
        Some(OffsetEstimate { centre_s: end_s - self.config.window_s / 2.0, offset_ms, correlation: peak })
    }

    fn step(&mut self, out: &mut Vec<DefectEvent>) {
        let lag_s = self.config.max_lag_ms / 1000.0 + 0.05;
        let video_end = self.visual.back().map_or(f64::NEG_INFINITY, |(t, _)| *t);
        while self.next_estimate_s <= video_end && self.next_estimate_s + lag_s <= self.audio_end_s() {
            let end_s = self.next_estimate_s;
            self.next_estimate_s += self.config.hop_s;
            let Some(est) = self.estimate(end_s) else { continue };
            let max_lag = self.config.max_lag_ms;
            match self.all.as_mut() {
                Some(all) => all.add(&est),
                None => self.all = Some(OffsetSummary::new(&est, max_lag)),
            }
            let bad = est.offset_ms > self.config.late_ms || est.offset_ms < -self.config.early_ms;
            match (&mut self.open, bad) {
                (Some((run, good)), true) => {
                    run.add(&est);
                    *good = 0;
                }
                (None, true) => self.open = Some((OffsetSummary::new(&est, max_lag), 0)),
                (Some((_, good)), false) => {
                    *good += 1;
                    if *good >= 2 {
                        self.close(out);
                    }
                }
                (None, false) => {}
            }
        }
        self.trim();
    }

    /// Drops data no future estimate needs. When one stream runs far ahead
    /// of the other (or the other is absent), estimates that could no longer
    /// be made are skipped, so memory stays bounded on any input.
    fn trim(&mut self) {
        let lag_s = self.config.max_lag_ms / 1000.0;
        let video_end = self.visual.back().map_or(f64::NEG_INFINITY, |(t, _)| *t);
        let latest = video_end.max(self.audio_end_s());
        let horizon = latest - (self.config.window_s + lag_s + 2.0);
        if self.next_estimate_s < horizon + self.config.window_s {
            let skipped = ((horizon + self.config.window_s - self.next_estimate_s) / self.config.hop_s).ceil();
            self.next_estimate_s += skipped * self.config.hop_s;
        }
        let keep_from = self.next_estimate_s - self.config.window_s - 1.0;
        while self.visual.front().is_some_and(|(t, _)| *t < keep_from) {
            self.visual.pop_front();
        }
        let keep_audio_from = keep_from - lag_s - 1.0;
        while let Some(t0) = self.audio_t0.filter(|t0| *t0 < keep_audio_from && !self.audio.is_empty()) {
            self.audio.pop_front();
            self.audio_t0 = Some(t0 + BLOCK_S);
        }
    }

    /// Closes the open defect and reports it if it lasted `min_duration_s`.
    fn close(&mut self, out: &mut Vec<DefectEvent>) {
        let Some((run, _)) = self.open.take() else { return };
        let half = self.config.hop_s / 2.0;
        let iv = (run.first_centre_s - half, run.last_centre_s + half);
        if iv.1 - iv.0 + 1e-9 < self.config.min_duration_s {
            return;
        }
        let corr = run.mean_correlation();
        let mut ev = event(
            DefectType::AvDesync,
            iv,
            corr,
            evidence([
                ("estimates", run.count as f64),
                ("mean_correlation", corr),
                ("min_offset_ms", run.min_ms),
                ("max_offset_ms", run.max_ms),
            ]),
        );
        ev.offset_ms = Some(run.median_ms().round());
        out.push(ev);
    }
}

/// Pearson correlation of two equally long series; 0 when either is flat.
fn pearson(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        let (dx, dy) = (x - mx, y - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx <= 1e-12 || syy <= 1e-12 {
        0.0
    } else {
        sxy / (sxx * syy).sqrt()
    }
}

impl Detector for DesyncDetector {
    fn kind(&self) -> DefectType {
        DefectType::AvDesync
    }

    fn on_frame(&mut self, f: &FrameFeatures, out: &mut Vec<DefectEvent>) {
        let mafd = f.motion.map_or(0.0, |m| m.mafd);
        let mut recent: Vec<f64> = self.recent_mafd.iter().map(|(_, v)| *v).collect();
        // Novelty: change beyond both the recent median and the last two
        // frames, so that a flash (on, then off two frames later) or a
        // dissolve counts once, at its start.
        let last_two = recent.iter().rev().take(2).copied().fold(0.0, f64::max);
        recent.sort_by(f64::total_cmp);
        let median = recent.get(recent.len() / 2).copied().unwrap_or(mafd);
        self.visual.push_back((f.pts_s, (mafd - median.max(last_two)).max(0.0)));
        self.recent_mafd.push_back((f.pts_s, mafd));
        while self.recent_mafd.front().is_some_and(|(t, _)| *t < f.pts_s - 0.5) {
            self.recent_mafd.pop_front();
        }
        self.step(out);
    }

    fn on_audio(&mut self, _chunk: &AudioChunk, blocks: &[AudioBlock], out: &mut Vec<DefectEvent>) {
        for b in blocks {
            let t0 = *self.audio_t0.get_or_insert(b.start_s);
            // Keep the onset series on its 10 ms grid across small timestamp
            // jitter; a real gap is filled with "no onset".
            let expected = t0 + self.audio.len() as f64 * BLOCK_S;
            let missing = ((b.start_s - expected) / BLOCK_S).round();
            for _ in 0..(missing.clamp(0.0, 1000.0) as usize) {
                self.audio.push_back(0.0);
            }
            let db = b.rms_dbfs().max(-90.0);
            let reference = if self.energy_history.is_empty() {
                db
            } else {
                self.energy_history.iter().sum::<f64>() / self.energy_history.len() as f64
            };
            self.audio.push_back((db - reference).max(0.0));
            self.energy_history.push_back(db);
            if self.energy_history.len() > 5 {
                self.energy_history.pop_front();
            }
        }
        self.step(out);
    }

    fn finish(&mut self, out: &mut Vec<DefectEvent>) {
        self.close(out);
    }

    fn summary(&self) -> Option<Evidence> {
        let all = self.all.as_ref()?;
        Some(evidence([
            ("median_offset_ms", all.median_ms()),
            ("estimates", all.count as f64),
            ("mean_correlation", (all.mean_correlation() * 1000.0).round() / 1000.0),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::Motion;
    use showrunner_media::FrameErrors;

    /// A synthetic "flash and beep" programme: flashes at pseudo-random
    /// times, each with a beep `offset_ms` later, over `seconds`.
    fn run(seconds: f64, offset_ms: f64, seed: u64) -> (Vec<DefectEvent>, DesyncDetector) {
        let mut d = DesyncDetector::new(DesyncConfig::default());
        let mut out = Vec::new();
        let fps = 25.0;
        let mut state = seed;
        let mut flashes = Vec::new();
        let mut t = 0.5;
        while t < seconds {
            flashes.push((t * fps).round() / fps);
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            t += 0.6 + (state >> 33) as f64 / (1u64 << 31) as f64 * 1.4;
        }
        let beeps: Vec<f64> = flashes.iter().map(|f| f + offset_ms / 1000.0).collect();
        let rate = 48_000u32;
        let chunk_len = 1024usize;
        let total = (seconds * f64::from(rate)) as usize;
        let mut blocker =
            crate::audio_blocks::AudioBlocker::new(crate::detectors::clipping::ClippingConfig::default().levels());
        let mut frame_i = 0usize;
        let mut sample = 0usize;
        while sample < total {
            let pts = sample as f64 / f64::from(rate);
            let data: Vec<f32> = (sample..(sample + chunk_len).min(total))
                .map(|i| {
                    let ts = i as f64 / f64::from(rate);
                    let on = beeps.iter().any(|b| ts >= *b && ts < b + 0.1);
                    let noise = ((i as u64).wrapping_mul(2654435761) % 1000) as f32 / 1000.0 - 0.5;
                    if on {
                        0.5 * (ts * 2.0 * std::f64::consts::PI * 1000.0).sin() as f32
                    } else {
                        0.002 * noise
                    }
                })
                .collect();
            let chunk = AudioChunk { pts_s: pts, sample_rate: rate, channels: vec![data] };
            let blocks = blocker.push(&chunk);
            d.on_audio(&chunk, &blocks, &mut out);
            sample += chunk_len;
            while (frame_i as f64) / fps <= pts {
                let ft = frame_i as f64 / fps;
                let flash = flashes.iter().any(|f| (f - ft).abs() < 1e-6);
                let after = flashes.iter().any(|f| (f + 1.0 / fps - ft).abs() < 1e-6);
                let mafd = if flash || after { 60.0 } else { 1.0 };
                let ff = FrameFeatures {
                    pts_s: ft,
                    duration_s: 1.0 / fps,
                    mean_luma: 100.0,
                    dark_fraction: 0.0,
                    is_black: false,
                    motion: (frame_i > 0).then_some(Motion {
                        mafd,
                        max_block_mafd: mafd,
                        mean_delta: 0.0,
                        changed_fraction: 0.0,
                    }),
                    blockiness: None,
                    errors: FrameErrors::default(),
                    key: false,
                };
                d.on_frame(&ff, &mut out);
                frame_i += 1;
            }
        }
        d.finish(&mut out);
        (out, d)
    }

    #[test]
    fn in_sync_programme_has_no_defect_and_zero_offset() {
        let (events, d) = run(40.0, 0.0, 7);
        assert!(events.is_empty(), "{events:?}");
        let s = d.summary().unwrap();
        assert!(s["median_offset_ms"].abs() <= 20.0, "{s:?}");
        assert!(s["estimates"] >= 20.0, "{s:?}");
    }

    #[test]
    fn late_audio_is_measured_and_reported() {
        let (events, _) = run(40.0, 240.0, 3);
        assert_eq!(events.len(), 1, "{events:?}");
        let off = events[0].offset_ms.unwrap();
        assert!((off - 240.0).abs() <= 20.0, "{events:?}");
    }

    #[test]
    fn early_audio_is_measured_and_reported() {
        let (events, _) = run(40.0, -150.0, 11);
        assert_eq!(events.len(), 1, "{events:?}");
        assert!((events[0].offset_ms.unwrap() + 150.0).abs() <= 20.0, "{events:?}");
    }

    #[test]
    fn offset_inside_tolerance_is_not_a_defect() {
        // 120 ms late is within BT.1359's 185 ms acceptability.
        let (events, d) = run(40.0, 120.0, 5);
        assert!(events.is_empty(), "{events:?}");
        assert!((d.summary().unwrap()["median_offset_ms"] - 120.0).abs() <= 20.0);
    }

    #[test]
    fn memory_stays_bounded_without_audio() {
        let mut d = DesyncDetector::new(DesyncConfig::default());
        let mut out = Vec::new();
        for i in 0..25 * 600 {
            let f = FrameFeatures {
                pts_s: f64::from(i) / 25.0,
                duration_s: 0.04,
                mean_luma: 100.0,
                dark_fraction: 0.0,
                is_black: false,
                motion: Some(Motion {
                    mafd: f64::from(i % 13),
                    max_block_mafd: 20.0,
                    mean_delta: 0.0,
                    changed_fraction: 0.0,
                }),
                blockiness: None,
                errors: FrameErrors::default(),
                key: false,
            };
            d.on_frame(&f, &mut out);
        }
        assert!(d.visual.len() < 25 * 25, "{} frames kept", d.visual.len());
        assert!(out.is_empty() && d.summary().is_none());
    }

    #[test]
    fn pearson_basics() {
        assert!((pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]) - 1.0).abs() < 1e-12);
        assert_eq!(pearson(&[1.0, 1.0], &[1.0, 2.0]), 0.0);
    }
}
