//! `video_freeze`: the picture stops changing mid-motion while time advances.
//!
//! A frame is *still* when it is practically identical to the previous one.
//! A run of still frames is a freeze only when the picture stopped
//! mid-motion: the content was moving just before, and the still picture
//! did not arrive with a scene cut. A slide, colour bars or a still shot
//! that begins with a cut is content; so is a still reached through a fade
//! (a fade changes brightness, not structure). Black pictures belong to the
//! `black` detector and never count as still, so a black segment is never
//! also reported as a freeze; frames the decoder flagged as damaged belong
//! to `block_corruption` the same way.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use showrunner_core::{DefectEvent, DefectType};

use crate::detector::{event, evidence, Detector};
use crate::features::FrameFeatures;
use crate::interval::IntervalTracker;

/// Thresholds of the freeze detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FreezeConfig {
    /// Shortest freeze reported, seconds. 1 s: shorter repeats happen on
    /// frame-rate conversion and splices and are not seen as a freeze.
    pub min_duration_s: f64,
    /// A frame is still when its mean absolute difference from the previous
    /// frame is at most this many luma levels. 0.5: a repeated picture
    /// decodes to 0–0.3 (encoder refinement of a static image); any real
    /// motion or live sensor noise is above 1.
    pub still_mafd: f64,
    /// …and no 16×16 block changed by more than this mean. 3 levels: a
    /// small moving object (a ticker, a face) on a still background keeps
    /// the picture alive even though the global difference is tiny.
    pub still_block_mafd: f64,
    /// A frame that differs from the previous one by at least this many
    /// levels on average… 20: cuts between unrelated shots measure 25–80;
    /// fast motion within a shot stays under 15.
    pub cut_mafd: f64,
    /// …over at least this fraction of its 16×16 blocks is a scene cut.
    /// 0.5: a cut replaces the whole picture; a flash, a graphic popping in
    /// or a large moving object changes only part of it.
    pub cut_area: f64,
    /// The content was "in motion" before a still run when the median
    /// structural change over the preceding second was at least this. 0.5:
    /// the same order as the still threshold, so anything not still counts.
    pub motion_mafd: f64,
    /// Look-back used to decide whether the content was moving, seconds.
    pub motion_window_s: f64,
    /// A key frame inside a still run may differ by up to this mean (and
    /// four times this in any block) without ending the run. 2 levels: an
    /// encoder re-coding a frozen picture as a new I-frame changes its
    /// quantisation noise by 1–1.5 levels, while real motion starting again
    /// changes whole blocks by tens of levels.
    pub refresh_mafd: f64,
}

impl Default for FreezeConfig {
    fn default() -> Self {
        FreezeConfig {
            min_duration_s: 1.0,
            still_mafd: 0.5,
            still_block_mafd: 3.0,
            cut_mafd: 20.0,
            cut_area: 0.5,
            motion_mafd: 0.5,
            motion_window_s: 1.0,
            refresh_mafd: 2.0,
        }
    }
}

/// The change a frame brought, as remembered for the look-back.
#[derive(Debug, Clone, Copy, Default)]
struct Change {
    t: f64,
    structural: f64,
    mafd: f64,
    changed_fraction: f64,
}

/// Why the current still run is (or is not) a freeze.
#[derive(Debug, Clone, Copy)]
struct StillRun {
    is_freeze: bool,
    entry_mafd: f64,
    prior_motion: f64,
    max_mafd: f64,
}

/// The freeze detector.
pub struct FreezeDetector {
    config: FreezeConfig,
    tracker: IntervalTracker,
    history: VecDeque<Change>,
    run: Option<StillRun>,
}

impl FreezeDetector {
    /// A detector with the given thresholds.
    pub fn new(config: FreezeConfig) -> Self {
        let tracker = IntervalTracker::new(config.min_duration_s, 0.0);
        FreezeDetector { config, tracker, history: VecDeque::new(), run: None }
    }

    fn emit(&self, iv: (f64, f64), run: StillRun, out: &mut Vec<DefectEvent>) {
        // Confident when the picture was clearly moving before and is
        // exactly still now.
        let motion = (run.prior_motion / (4.0 * self.config.motion_mafd)).min(1.0);
        let stillness = 1.0 - (run.max_mafd / self.config.still_mafd).min(1.0) * 0.5;
        let confidence = 0.5 + 0.5 * motion * stillness;
        out.push(event(
            DefectType::VideoFreeze,
            iv,
            confidence,
            evidence([
                ("duration_s", iv.1 - iv.0),
                ("max_mafd", run.max_mafd),
                ("prior_motion", run.prior_motion),
                ("entry_mafd", run.entry_mafd),
            ]),
        ));
    }

    fn prior_motion(&self, before_s: f64) -> f64 {
        let mut recent: Vec<f64> = self
            .history
            .iter()
            .filter(|c| c.t < before_s && c.t >= before_s - self.config.motion_window_s)
            .map(|c| c.structural)
            .collect();
        if recent.is_empty() {
            return 0.0;
        }
        recent.sort_by(f64::total_cmp);
        recent[recent.len() / 2]
    }
}

impl Detector for FreezeDetector {
    fn kind(&self) -> DefectType {
        DefectType::VideoFreeze
    }

    fn on_frame(&mut self, f: &FrameFeatures, out: &mut Vec<DefectEvent>) {
        let Some(m) = f.motion else {
            self.history.push_back(Change { t: f.pts_s, ..Change::default() });
            return;
        };
        let unchanged = m.mafd <= self.config.still_mafd && m.max_block_mafd <= self.config.still_block_mafd;
        let refresh = self.run.is_some()
            && f.key
            && m.mafd <= self.config.refresh_mafd
            && m.max_block_mafd <= 4.0 * self.config.refresh_mafd;
        let still = !f.is_black && !f.errors.any() && (unchanged || refresh);
        if still && self.run.is_none() {
            // The still picture is the previous frame; it arrived with the
            // change recorded for that frame.
            let entry = self.history.back().copied().unwrap_or(Change { t: f.pts_s, ..Change::default() });
            let prior_motion = self.prior_motion(entry.t);
            let cut = entry.mafd >= self.config.cut_mafd && entry.changed_fraction >= self.config.cut_area;
            self.run = Some(StillRun {
                is_freeze: !cut && prior_motion >= self.config.motion_mafd,
                entry_mafd: entry.mafd,
                prior_motion,
                max_mafd: m.mafd,
            });
        }
        // A freeze closes only on the first frame that is not still, which
        // is also the frame that ends the run.
        let ended = if still { None } else { self.run.take() };
        if let Some(run) = self.run.as_mut() {
            run.max_mafd = run.max_mafd.max(m.mafd);
        }
        let active = self.run.is_some_and(|r| r.is_freeze);
        let step = self.tracker.update(f.pts_s, f.pts_s + f.duration_s, active);
        if let (Some(iv), Some(run)) = (step.closed, ended) {
            self.emit(iv, run, out);
        }
        self.history.push_back(Change {
            t: f.pts_s,
            structural: m.structural(),
            mafd: m.mafd,
            changed_fraction: m.changed_fraction,
        });
        while self.history.front().is_some_and(|c| c.t < f.pts_s - self.config.motion_window_s - 1.0) {
            self.history.pop_front();
        }
    }

    fn confirmed_open(&self) -> Option<f64> {
        self.tracker.confirmed_since()
    }

    fn finish(&mut self, out: &mut Vec<DefectEvent>) {
        if let (Some(iv), Some(run)) = (self.tracker.finish(), self.run.take()) {
            self.emit(iv, run, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::Motion;
    use showrunner_media::FrameErrors;

    const FPS: f64 = 25.0;

    fn frame(i: usize, mafd: f64, mean_delta: f64, black: bool) -> FrameFeatures {
        FrameFeatures {
            pts_s: i as f64 / FPS,
            duration_s: 1.0 / FPS,
            mean_luma: if black { 16.0 } else { 120.0 },
            dark_fraction: if black { 1.0 } else { 0.0 },
            is_black: black,
            motion: (i > 0).then_some(Motion {
                mafd,
                max_block_mafd: mafd * 3.0,
                mean_delta,
                changed_fraction: if mafd >= 20.0 { 0.9 } else { 0.1 },
            }),
            blockiness: None,
            errors: FrameErrors::default(),
            key: false,
        }
    }

    fn run(frames: &[FrameFeatures]) -> Vec<DefectEvent> {
        let mut d = FreezeDetector::new(FreezeConfig::default());
        let mut out = Vec::new();
        for f in frames {
            d.on_frame(f, &mut out);
        }
        d.finish(&mut out);
        out
    }

    /// `spec` is a list of (frames, mafd, mean_delta, black) segments.
    fn clip(spec: &[(usize, f64, f64, bool)]) -> Vec<FrameFeatures> {
        let mut frames = Vec::new();
        for &(n, mafd, delta, black) in spec {
            for _ in 0..n {
                frames.push(frame(frames.len(), mafd, delta, black));
            }
        }
        frames
    }

    #[test]
    fn freeze_mid_motion_is_reported_with_its_times() {
        // 3 s of motion, 2 s frozen, 2 s of motion.
        let events = run(&clip(&[(75, 4.0, 0.1, false), (50, 0.0, 0.0, false), (50, 4.0, 0.1, false)]));
        assert_eq!(events.len(), 1, "{events:?}");
        let e = &events[0];
        assert_eq!(e.kind, DefectType::VideoFreeze);
        assert!((e.start_s - 3.0).abs() <= 0.05, "{e:?}");
        assert!((e.end_s - 5.0).abs() <= 0.05, "{e:?}");
        assert!(e.confidence > 0.8);
    }

    #[test]
    fn short_repeat_is_not_a_freeze() {
        assert!(run(&clip(&[(75, 4.0, 0.1, false), (20, 0.0, 0.0, false), (50, 4.0, 0.1, false)])).is_empty());
    }

    #[test]
    fn still_after_a_cut_is_content() {
        // Motion, a cut (one large difference), then a still slide for 4 s.
        let events =
            run(&clip(&[(75, 4.0, 0.1, false), (1, 45.0, 20.0, false), (100, 0.0, 0.0, false), (25, 4.0, 0.1, false)]));
        assert!(events.is_empty(), "{events:?}");
    }

    #[test]
    fn freeze_on_a_flash_frame_is_still_a_freeze() {
        // A graphic flashes over a quarter of the picture and the feed
        // freezes on that very frame.
        let mut frames =
            clip(&[(75, 4.0, 0.1, false), (1, 30.0, 27.0, false), (50, 0.0, 0.0, false), (25, 4.0, 0.1, false)]);
        if let Some(m) = frames[75].motion.as_mut() {
            m.changed_fraction = 0.25;
        }
        let events = run(&frames);
        assert_eq!(events.len(), 1, "{events:?}");
    }

    #[test]
    fn still_from_the_start_is_content() {
        assert!(run(&clip(&[(100, 0.0, 0.0, false), (25, 3.0, 0.0, false)])).is_empty());
    }

    #[test]
    fn still_reached_through_a_fade_is_content() {
        // A fade-in changes brightness (mafd ≈ |mean_delta|), then a still title.
        let events = run(&clip(&[(25, 2.0, 1.95, false), (75, 0.0, 0.0, false), (25, 3.0, 0.0, false)]));
        assert!(events.is_empty(), "{events:?}");
    }

    #[test]
    fn black_is_not_a_freeze() {
        assert!(run(&clip(&[(75, 4.0, 0.1, false), (75, 0.0, 0.0, true), (25, 4.0, 0.1, false)])).is_empty());
    }

    #[test]
    fn static_but_noisy_scene_is_not_still() {
        // Sensor noise keeps every frame ~2 levels from the last.
        assert!(run(&clip(&[(50, 4.0, 0.1, false), (100, 2.0, 0.0, false)])).is_empty());
    }

    #[test]
    fn key_frame_refresh_does_not_split_a_freeze() {
        let mut frames = clip(&[(75, 4.0, 0.1, false), (50, 0.0, 0.0, false), (50, 4.0, 0.1, false)]);
        // The encoder re-codes the frozen picture as an I-frame at 4.0 s.
        frames[100].key = true;
        frames[100].motion = Some(Motion { mafd: 1.5, max_block_mafd: 3.8, mean_delta: 0.0, changed_fraction: 0.0 });
        let events = run(&frames);
        assert_eq!(events.len(), 1, "{events:?}");
        assert!((events[0].end_s - 5.0).abs() < 0.05, "{events:?}");
    }

    #[test]
    fn freeze_running_to_the_end_is_closed() {
        let events = run(&clip(&[(50, 4.0, 0.1, false), (50, 0.0, 0.0, false)]));
        assert_eq!(events.len(), 1);
        assert!((events[0].end_s - 4.0).abs() < 0.05);
    }
}
