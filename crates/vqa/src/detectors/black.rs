//! `black`: black or near-black picture.
//!
//! A picture is black when at least `picture_threshold` of its pixels are
//! within `pixel_threshold` of the nominal black level (the same two numbers
//! as FFmpeg's blackdetect, so results compare). A dark scene keeps enough
//! visible detail above that level to fail the picture test; a fade through
//! black is shorter than `min_duration_s` and is not reported.

use serde::{Deserialize, Serialize};
use showrunner_core::{DefectEvent, DefectType};

use crate::detector::{event, evidence, Detector};
use crate::features::{BlackCriteria, FrameFeatures};
use crate::interval::IntervalTracker;

/// Thresholds of the black detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BlackConfig {
    /// Shortest black segment reported, seconds. 0.5 s: editorial fades and
    /// cuts through black last a few frames to ~0.4 s; a longer black is seen
    /// as a dropout.
    pub min_duration_s: f64,
    /// A pixel is dark within this fraction of the nominal range above black.
    /// 0.10 (blackdetect's default): encoder noise on black stays well below.
    pub pixel_threshold: f64,
    /// Fraction of dark pixels that makes a picture black. 0.98: allows a
    /// channel logo or a few hot pixels over black.
    pub picture_threshold: f64,
    /// Non-black gaps up to this long do not split a black segment, seconds.
    pub merge_gap_s: f64,
}

impl Default for BlackConfig {
    fn default() -> Self {
        BlackConfig { min_duration_s: 0.5, pixel_threshold: 0.10, picture_threshold: 0.98, merge_gap_s: 0.1 }
    }
}

impl BlackConfig {
    /// The per-picture test, as used by the feature extractor.
    pub fn criteria(&self) -> BlackCriteria {
        BlackCriteria { pixel_threshold: self.pixel_threshold, picture_threshold: self.picture_threshold }
    }
}

/// The black detector.
pub struct BlackDetector {
    tracker: IntervalTracker,
    mean_sum: f64,
    dark_min: f64,
    frames: usize,
}

impl BlackDetector {
    /// A detector with the given thresholds.
    pub fn new(config: BlackConfig) -> Self {
        BlackDetector {
            tracker: IntervalTracker::new(config.min_duration_s, config.merge_gap_s),
            mean_sum: 0.0,
            dark_min: 1.0,
            frames: 0,
        }
    }

    fn emit(&self, iv: (f64, f64), out: &mut Vec<DefectEvent>) {
        let mean = self.mean_sum / self.frames.max(1) as f64;
        out.push(event(
            DefectType::Black,
            iv,
            0.6 + 0.4 * self.dark_min,
            evidence([("duration_s", iv.1 - iv.0), ("mean_luma", mean), ("min_dark_fraction", self.dark_min)]),
        ));
    }
}

impl Detector for BlackDetector {
    fn kind(&self) -> DefectType {
        DefectType::Black
    }

    fn on_frame(&mut self, f: &FrameFeatures, out: &mut Vec<DefectEvent>) {
        let step = self.tracker.update(f.pts_s, f.pts_s + f.duration_s, f.is_black);
        if let Some(iv) = step.closed {
            self.emit(iv, out);
        }
        if step.opened {
            (self.mean_sum, self.dark_min, self.frames) = (0.0, 1.0, 0);
        }
        if f.is_black {
            self.mean_sum += f.mean_luma;
            self.dark_min = self.dark_min.min(f.dark_fraction);
            self.frames += 1;
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
    use showrunner_media::FrameErrors;

    fn frame(i: usize, black: bool) -> FrameFeatures {
        FrameFeatures {
            pts_s: i as f64 * 0.04,
            duration_s: 0.04,
            mean_luma: if black { 17.0 } else { 90.0 },
            dark_fraction: if black { 0.999 } else { 0.1 },
            is_black: black,
            motion: None,
            blockiness: None,
            errors: FrameErrors::default(),
            key: false,
        }
    }

    fn run(pattern: &[(usize, bool)]) -> Vec<DefectEvent> {
        let mut d = BlackDetector::new(BlackConfig::default());
        let mut out = Vec::new();
        let mut i = 0;
        for &(n, black) in pattern {
            for _ in 0..n {
                d.on_frame(&frame(i, black), &mut out);
                i += 1;
            }
        }
        d.finish(&mut out);
        out
    }

    #[test]
    fn black_segment_times() {
        let events = run(&[(50, false), (25, true), (50, false)]);
        assert_eq!(events.len(), 1);
        assert!((events[0].start_s - 2.0).abs() < 0.05 && (events[0].end_s - 3.0).abs() < 0.05, "{events:?}");
        assert!(events[0].evidence["mean_luma"] < 20.0);
    }

    #[test]
    fn fade_through_black_is_not_a_defect() {
        assert!(run(&[(50, false), (8, true), (50, false)]).is_empty());
    }

    #[test]
    fn dark_scene_with_detail_is_not_black() {
        // A night scene: luma 16–90 with texture; a third of the pixels are
        // lit above the dark level.
        let (w, h) = (64usize, 48usize);
        let data: Vec<u8> = (0..w * h).map(|i| if (i * 7919) % 3 == 0 { 70 } else { 20 }).collect();
        let plane = showrunner_media::Plane::new(&data, w, w, h).unwrap();
        let (_, dark) = crate::features::sum_and_dark(&plane, 38);
        let fraction = dark as f64 / (w * h) as f64;
        assert!(fraction < BlackConfig::default().picture_threshold, "{fraction}");
    }
}
