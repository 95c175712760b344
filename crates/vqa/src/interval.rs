//! Turning per-frame or per-block yes/no decisions into defect intervals,
//! with a minimum duration and merging of short gaps.
//!
//! Every detector decides, for each unit of media it sees (a frame, a 10 ms
//! audio block, an estimate window), whether the defect is present. A
//! viewer does not perceive those units: a freeze is one event even if a
//! single frame in the middle changed slightly, and a 40 ms black frame is a
//! cut, not a defect. [`IntervalTracker`] applies that judgement uniformly.

/// What one call to [`IntervalTracker::update`] changed.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Step {
    /// A new interval began with this unit: reset per-event accumulators.
    pub opened: bool,
    /// An interval ended and is long enough to report: `(start_s, end_s)`.
    pub closed: Option<(f64, f64)>,
}

/// Hysteresis over a stream of active/inactive units.
#[derive(Debug, Clone)]
pub struct IntervalTracker {
    min_duration_s: f64,
    merge_gap_s: f64,
    open: Option<(f64, f64)>,
}

impl IntervalTracker {
    /// Intervals shorter than `min_duration_s` are dropped; inactive gaps up
    /// to `merge_gap_s` long do not end an interval.
    pub fn new(min_duration_s: f64, merge_gap_s: f64) -> Self {
        IntervalTracker { min_duration_s: min_duration_s.max(0.0), merge_gap_s: merge_gap_s.max(0.0), open: None }
    }

    /// Feeds one unit covering `[start_s, end_s)`.
    pub fn update(&mut self, start_s: f64, end_s: f64, active: bool) -> Step {
        let mut step = Step::default();
        match (self.open, active) {
            (Some((first, last)), true) => {
                if start_s - last <= self.merge_gap_s + 1e-9 {
                    self.open = Some((first, end_s.max(last)));
                } else {
                    step.closed = self.close();
                    self.open = Some((start_s, end_s));
                    step.opened = true;
                }
            }
            (None, true) => {
                self.open = Some((start_s, end_s));
                step.opened = true;
            }
            (Some((_, last)), false) => {
                if end_s - last > self.merge_gap_s + 1e-9 {
                    step.closed = self.close();
                }
            }
            (None, false) => {}
        }
        step
    }

    /// Whether an interval is currently open.
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Start of the open interval, if any.
    pub fn open_since(&self) -> Option<f64> {
        self.open.map(|(s, _)| s)
    }

    /// Start of the open interval once it is long enough to be reported:
    /// a defect confirmed while it still lasts (live streams announce it
    /// then, not when it ends).
    pub fn confirmed_since(&self) -> Option<f64> {
        self.open.filter(|(start, end)| end - start + 1e-9 >= self.min_duration_s).map(|(start, _)| start)
    }

    /// Ends the input: closes any open interval that is long enough.
    pub fn finish(&mut self) -> Option<(f64, f64)> {
        self.close()
    }

    fn close(&mut self) -> Option<(f64, f64)> {
        let (start, end) = self.open.take()?;
        (end - start + 1e-9 >= self.min_duration_s).then_some((start, end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(tracker: &mut IntervalTracker, pattern: &str, unit: f64) -> Vec<(f64, f64)> {
        let mut out = Vec::new();
        for (i, c) in pattern.chars().enumerate() {
            let t = i as f64 * unit;
            if let Some(iv) = tracker.update(t, t + unit, c == '#').closed {
                out.push(iv);
            }
        }
        out.extend(tracker.finish());
        out
    }

    #[test]
    fn short_runs_are_dropped() {
        let mut t = IntervalTracker::new(0.5, 0.0);
        assert!(run(&mut t, "..####....", 0.1).is_empty());
        let got = run(&mut t, "..######..", 0.1);
        assert_eq!(got.len(), 1);
        assert!((got[0].0 - 0.2).abs() < 1e-9 && (got[0].1 - 0.8).abs() < 1e-9);
    }

    #[test]
    fn short_gaps_merge_long_gaps_split() {
        let mut t = IntervalTracker::new(0.0, 0.15);
        assert_eq!(run(&mut t, "###.###", 0.1).len(), 1);
        let mut t = IntervalTracker::new(0.0, 0.15);
        assert_eq!(run(&mut t, "###...###", 0.1).len(), 2);
    }

    #[test]
    fn open_interval_closes_at_finish() {
        let mut t = IntervalTracker::new(0.0, 0.0);
        let step = t.update(0.0, 1.0, true);
        assert!(step.opened && t.is_open());
        assert_eq!(t.open_since(), Some(0.0));
        assert_eq!(t.finish(), Some((0.0, 1.0)));
        assert!(!t.is_open());
    }
}
