//! The univariate streaming detector: one value in, one anomaly score out,
//! using only the past (no look-ahead), with bounded memory per series.
//!
//! Three surprise signals are computed per value, each from the rank of the
//! new observation among the same signal's recent history — free of units
//! and of the series' distribution (heavy tails, zeros, plateaus, spiky
//! counters all look alike to a rank):
//!
//! - **level**: the value itself, ranked two-sided — spikes, dips, shifts
//!   to a level not seen recently;
//! - **run**: the mean of the last `run` values, ranked two-sided — a
//!   moderate shift that no single value makes remarkable but that lasts;
//! - **season**: the absolute difference from the value one day earlier,
//!   ranked upper — a daily pattern that breaks (a missing peak, a flat
//!   middle), and a daily peak that is *not* news because yesterday had it.
//!   It counts only while the series has shown a daily cycle (see
//!   [`Dailiness`]): on a series without one, yesterday's value is no
//!   expectation, and a burst that comes a few minutes later than
//!   yesterday's would read as two broken patterns.
//!
//! The value's surprise is the largest of the three.
//!
//! A rank r of n becomes the surprise −ln((r + 1)/(n + 1)). A value beyond
//! everything in the history (a record) would tie with every other record
//! at ln(n + 1), so its surprise grows further with the distance past the
//! previous extreme in units of the history's interquartile range (at least
//! 2% of its range): a spike ten spreads above the old maximum is more
//! surprising than one just above it. How the value got there counts too:
//! one that leapt from far away to just past the extreme — past it by less
//! than a twentieth of its step — is a bare record, a spike that came out a
//! little taller than the usual ones.
//!
//! A two-sided signal can also land in unseen territory *inside* its range:
//! between a baseline and the spikes that usually leave it, or above a new
//! level but below an old transient. A value farther than 2% of the range
//! from every value of the history is such a *gap record*: it scores like
//! a record, graded by how far beyond that 2% its nearest neighbour lies.
//! The rank alone would call it ordinary, since plenty of values lie on
//! either side of it. It must have been reached from nearby, though: a
//! value that leaps into the gap from far away — a step more than five
//! times its distance to the nearest earlier value — is a spike of an
//! unusual height, and on a spiky series the heights of a few hundred
//! spikes leave gaps everywhere between them.
//!
//! Scoring follows what operators want from alarms: an incident should
//! raise one alarm at its start, not a volley. A value scores its full
//! strength only at an *onset* — when it is stronger than every value of the
//! last `refractory` ones; otherwise its strength is halved, so a sustained
//! or ramping anomaly keeps a high score only where it began.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::error::AnomalyError;

/// Detector parameters; one configuration for every series.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectorConfig {
    /// Values seen before any score is given.
    pub warmup: usize,
    /// Recent values each signal is ranked against.
    pub history: usize,
    /// Values averaged by the run signal.
    pub run: usize,
    /// Values a new onset must outscore.
    pub refractory: usize,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig { warmup: 50, history: 3000, run: 24, refractory: 100 }
    }
}

impl DetectorConfig {
    /// Checks that the parameters can work.
    pub fn validate(&self) -> Result<(), AnomalyError> {
        if self.history < 20 {
            return Err(AnomalyError::Config(format!("history = {}; it must be at least 20 values", self.history)));
        }
        if self.run < 2 || self.run > self.history {
            return Err(AnomalyError::Config(format!("run = {}; it must be between 2 and history", self.run)));
        }
        if self.refractory == 0 {
            return Err(AnomalyError::Config("refractory = 0; it must be at least 1 value".into()));
        }
        Ok(())
    }
}

/// How a signal's rank is read.
#[derive(Debug, Clone, Copy)]
enum Tail {
    /// Unusually high or low.
    Both,
    /// Unusually high (for magnitudes).
    Upper,
}

/// Fewest values of history before a signal gives a surprise.
const MIN_HISTORY: usize = 10;

/// Weight of the distance past the previous extreme, in interquartile
/// ranges, added to a record's surprise: three spreads past the maximum
/// count as much as a rank e³ ≈ 20 times rarer.
const RECORD_WEIGHT: f64 = 3.0;

/// Least unit of a record's distance, as a share of the history's range.
/// On a spiky or mostly flat series the interquartile range is tiny beside
/// the spikes, and a spike just above the usual ones would read as tens of
/// spreads past the old maximum; 2% of the range keeps such a record about
/// as surprising as a bare record.
const RECORD_SPREAD_FLOOR: f64 = 0.02;

/// Most a record's step from the signal's previous value may be, in
/// multiples of its distance past the previous extreme, for that distance
/// to grade it. A spike from the baseline that tops the usual spikes by a
/// few percent of its height is one of them that came out a little taller:
/// a bare record. A level moving past the extreme, or a spike well beyond
/// the usual ones, passes it by far more. Measured on NAB, 15 to 20 work
/// best, 12 loses a window, and anything from 25 to 100 is still better
/// than no limit.
const RECORD_APPROACH: f64 = 20.0;

/// Most a gap record's step from the signal's previous value may be, in
/// multiples of its distance to the nearest history value. The series
/// moving into new territory comes close to it first or steps a short way;
/// a spike from the baseline lands there from afar, and between the heights
/// of a spiky series' spikes every spike finds a gap. Measured on NAB, 3 to
/// 10 work alike.
const GAP_APPROACH: f64 = 5.0;

/// Most surprise a record can add, so one absurd value cannot dwarf the
/// score scale of everything else.
const RECORD_CAP: f64 = 50.0;

/// Divides the surprise into `[0, 1]`.
const SURPRISE_SCALE: f64 = 60.0;

/// Least [`Dailiness`] at which the season signal counts.
const DAILY_MIN: f64 = 0.5;

/// One surprise signal: its recent history.
#[derive(Debug, Clone)]
struct Signal {
    tail: Tail,
    recent: VecDeque<f64>,
}

impl Signal {
    fn new(tail: Tail) -> Self {
        Signal { tail, recent: VecDeque::new() }
    }

    /// Adds an observation; returns its surprise (0 while there is too
    /// little history).
    fn push(&mut self, x: f64, history: usize) -> f64 {
        let surprise = if self.recent.len() < MIN_HISTORY { 0.0 } else { rank_surprise(&self.recent, x, self.tail) };
        if self.recent.len() == history {
            self.recent.pop_front();
        }
        self.recent.push_back(x);
        surprise
    }
}

/// How much a series repeats itself daily: 1 − mean|x − x one day
/// before| / mean|x − x half a day before|, over everything seen. About 1
/// for a series with a daily cycle (yesterday is close, the other half of
/// the day is not), about 0 for one without (both lags are as far).
#[derive(Debug, Clone, Default)]
struct Dailiness {
    day_sum: f64,
    day_count: f64,
    half_sum: f64,
    half_count: f64,
}

impl Dailiness {
    /// Adds the distance from the value one day before.
    fn add_day(&mut self, distance: f64) {
        self.day_sum += distance;
        self.day_count += 1.0;
    }

    /// Adds the distance from the value half a day before.
    fn add_half_day(&mut self, distance: f64) {
        self.half_sum += distance;
        self.half_count += 1.0;
    }

    /// The measure, in `[0, 1]`; 0 until both lags have been seen.
    fn value(&self) -> f64 {
        if self.day_count == 0.0 || self.half_sum <= 0.0 {
            return 0.0;
        }
        let day = self.day_sum / self.day_count;
        let half = self.half_sum / self.half_count;
        (1.0 - day / half).clamp(0.0, 1.0)
    }
}

/// −ln of the tail rank of `x` among `history`, graded in unseen
/// territory (see the module documentation).
fn rank_surprise(history: &VecDeque<f64>, x: f64, tail: Tail) -> f64 {
    let n = history.len();
    let near = Neighbours::of(history, x);
    let count = match tail {
        Tail::Both => near.above.min(near.below),
        Tail::Upper => near.above,
    };
    let floor = RECORD_SPREAD_FLOOR * (near.high - near.low);
    let step = history.back().map_or(0.0, |&previous| (x - previous).abs());
    let unseen = if count == 0 {
        let past = if near.above == 0 { x - near.high } else { near.low - x };
        Some(if step > RECORD_APPROACH * past { 0.0 } else { past })
    } else if matches!(tail, Tail::Both) {
        Some(near.nearest - floor).filter(|&gap| gap > 0.0 && step <= GAP_APPROACH * near.nearest)
    } else {
        None
    };
    match unseen {
        None => -((count + 1) as f64 / (n + 1) as f64).ln(),
        Some(distance) => {
            let mut sorted: Vec<f64> = history.iter().copied().collect();
            sorted.sort_by(f64::total_cmp);
            let spread = (sorted[3 * n / 4] - sorted[n / 4])
                .max(floor)
                .max(1e-9 * near.high.abs().max(near.low.abs()))
                .max(1e-12);
            ((n + 1) as f64).ln() + (RECORD_WEIGHT * distance / spread).min(RECORD_CAP)
        }
    }
}

/// Where a new value falls among the history: how many values lie on
/// either side of it, the history's range, and its nearest neighbour.
#[derive(Debug, Clone, Copy)]
struct Neighbours {
    /// History values at or above it.
    above: usize,
    /// History values at or below it.
    below: usize,
    /// The history's smallest value.
    low: f64,
    /// The history's largest value.
    high: f64,
    /// Distance to the closest history value.
    nearest: f64,
}

impl Neighbours {
    /// Reads `x` against `history`.
    fn of(history: &VecDeque<f64>, x: f64) -> Self {
        let mut near =
            Neighbours { above: 0, below: 0, low: f64::INFINITY, high: f64::NEG_INFINITY, nearest: f64::INFINITY };
        let (front, back) = history.as_slices();
        for part in [front, back] {
            near.above += part.iter().filter(|&&h| h >= x).count();
            near.below += part.iter().filter(|&&h| h <= x).count();
            // Comparisons rather than `f64::min`, whose NaN rules cost twice
            // the time here, where the detector spends most of it.
            for &h in part {
                let distance = (h - x).abs();
                near.low = if h < near.low { h } else { near.low };
                near.high = if h > near.high { h } else { near.high };
                near.nearest = if distance < near.nearest { distance } else { near.nearest };
            }
        }
        near
    }
}

/// Seconds in a day: the season compared against.
const DAY_S: f64 = 86_400.0;

/// The state of one series.
#[derive(Debug, Clone)]
pub struct StreamingDetector {
    config: DetectorConfig,
    seen: usize,
    /// (time, value) of the last day and a bit, for the seasonal lag.
    day: VecDeque<(f64, f64)>,
    level: Signal,
    /// The last `run` values.
    last: VecDeque<f64>,
    run: Signal,
    season: Signal,
    dailiness: Dailiness,
    /// Strengths of the last `refractory` values.
    strengths: VecDeque<f64>,
}

impl StreamingDetector {
    /// A detector for one series.
    pub fn new(config: DetectorConfig) -> Result<Self, AnomalyError> {
        config.validate()?;
        Ok(StreamingDetector {
            config,
            seen: 0,
            day: VecDeque::new(),
            level: Signal::new(Tail::Both),
            last: VecDeque::new(),
            run: Signal::new(Tail::Both),
            season: Signal::new(Tail::Upper),
            dailiness: Dailiness::default(),
            strengths: VecDeque::new(),
        })
    }

    /// Takes the next value, observed at `time_s` (seconds, any epoch, not
    /// decreasing), and returns its anomaly score in `[0, 1]`.
    pub fn update(&mut self, time_s: f64, x: f64) -> f64 {
        let history = self.config.history;
        let mut surprise = self.level.push(x, history);
        self.last.push_back(x);
        if self.last.len() > self.config.run {
            self.last.pop_front();
        }
        if self.last.len() == self.config.run {
            let mean = self.last.iter().sum::<f64>() / self.config.run as f64;
            surprise = surprise.max(self.run.push(mean, history));
        }
        if let Some(lagged) = self.value_before(time_s, DAY_S / 2.0) {
            self.dailiness.add_half_day((x - lagged).abs());
        }
        if let Some(lagged) = self.value_before(time_s, DAY_S) {
            let distance = (x - lagged).abs();
            self.dailiness.add_day(distance);
            let season = self.season.push(distance, history);
            if self.dailiness.value() >= DAILY_MIN {
                surprise = surprise.max(season);
            }
        }
        self.day.push_back((time_s, x));
        while self.day.front().is_some_and(|&(t, _)| t < time_s - 1.1 * DAY_S) {
            self.day.pop_front();
        }
        self.seen += 1;
        if self.seen <= self.config.warmup {
            return 0.0;
        }
        let strength = (surprise / SURPRISE_SCALE).clamp(0.0, 1.0);
        let onset = self.strengths.iter().all(|&s| strength > s);
        if self.strengths.len() == self.config.refractory {
            self.strengths.pop_front();
        }
        self.strengths.push_back(strength);
        if onset {
            strength
        } else {
            strength / 2.0
        }
    }

    /// The value observed closest to `lag` seconds before `time_s`, if one
    /// lies within 5% of a day of it.
    fn value_before(&self, time_s: f64, lag: f64) -> Option<f64> {
        let target = time_s - lag;
        let at = self.day.partition_point(|&(t, _)| t < target);
        [at.checked_sub(1), Some(at)]
            .into_iter()
            .flatten()
            .filter_map(|i| self.day.get(i))
            .min_by(|a, b| (a.0 - target).abs().total_cmp(&(b.0 - target).abs()))
            .filter(|(t, _)| (t - target).abs() <= 0.05 * DAY_S)
            .map(|&(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(values: impl Iterator<Item = f64>) -> Vec<f64> {
        let mut d = StreamingDetector::new(DetectorConfig::default()).unwrap();
        values.enumerate().map(|(i, v)| d.update(i as f64 * 300.0, v)).collect()
    }

    /// The score of a record just past the extreme of `history` values.
    fn bare_record(history: usize) -> f64 {
        ((history + 1) as f64).ln() / SURPRISE_SCALE
    }

    /// A deterministic noisy daily series (5-minute samples).
    fn daily(i: usize) -> f64 {
        let phase = (i % 288) as f64 / 288.0 * std::f64::consts::TAU;
        50.0 + 20.0 * phase.sin() + ((i * 7919) % 13) as f64 * 0.3
    }

    #[test]
    fn a_spike_scores_highest_exactly_where_it_happens() {
        let scores = run((0..3000).map(|i| if i == 2500 { daily(i) + 60.0 } else { daily(i) }));
        let top = (0..scores.len()).max_by(|&a, &b| scores[a].total_cmp(&scores[b])).unwrap();
        assert_eq!(top, 2500);
        let elsewhere = scores[600..].iter().enumerate().filter(|(i, _)| i + 600 != 2500).map(|(_, s)| *s);
        assert!(scores[2500] > 2.0 * elsewhere.fold(0.0, f64::max), "{}", scores[2500]);
    }

    #[test]
    fn a_spike_just_above_the_usual_spikes_is_only_a_bare_record() {
        // Noise in [0, 1) with a spike to 100 every 50 values; at 2500 a
        // spike to 101. Its distance past the old maximum is two
        // interquartile ranges, but 1% of the range.
        let scores = run((0..2600usize).map(|i| match i {
            2500 => 101.0,
            _ if i.is_multiple_of(50) => 100.0,
            _ => noise(i),
        }));
        let bare = bare_record(2500);
        assert!(scores[2500] >= bare && scores[2500] < 1.25 * bare, "{} against a bare record's {bare}", scores[2500]);
    }

    #[test]
    fn a_spike_that_barely_tops_the_usual_ones_is_a_bare_record_but_a_climb_past_them_is_not() {
        // Noise in [0, 1) with a spike to 100 every 50 values. At 2500 a
        // spike to 103 from the baseline: 3% of the range past the old
        // maximum, a thirtieth of its step. At 2700 the series climbs from
        // 102 to 106: as far past the new maximum, in one short step.
        let scores = run((0..2800usize).map(|i| match i {
            2500 => 103.0,
            2699 => 102.0,
            2700 => 106.0,
            _ if i.is_multiple_of(50) => 100.0,
            _ => noise(i),
        }));
        let bare = bare_record(2500);
        assert!(scores[2500] < 1.02 * bare, "the leap: {} against a bare record's {bare}", scores[2500]);
        assert!(scores[2700] > 1.4 * bare, "the climb: {} against {bare}", scores[2700]);
    }

    #[test]
    fn a_missing_daily_peak_is_found_by_the_season() {
        // Day 9's peak (a quarter of the day around its maximum) stays flat.
        let flat = |i: usize| (9 * 288 + 36..9 * 288 + 108).contains(&i);
        let scores = run((0..3000).map(|i| if flat(i) { 50.0 } else { daily(i) }));
        let inside = scores[9 * 288 + 36..9 * 288 + 108].iter().copied().fold(0.0, f64::max);
        let before = scores[600..9 * 288].iter().copied().fold(0.0, f64::max);
        assert!(inside > 1.5 * before, "inside {inside}, before {before}");
    }

    #[test]
    fn a_value_where_none_has_been_is_a_gap_record() {
        // A baseline in [0, 1) with a spike to 100 every 50 values. At 2500
        // a value of 50: every spike lies above it, so its rank says it is
        // as rare as a spike (0.03), but no value has ever been near it. At
        // 2600 a value of 2 lies above the baseline but within 2% of the
        // range of it: no gap.
        let scores = run((0..2700usize).map(|i| match i {
            2500 => 50.0,
            2600 => 2.0,
            _ if i.is_multiple_of(50) => 100.0,
            _ => noise(i),
        }));
        let bare = bare_record(2500);
        assert!(scores[2500] > 3.0 * bare, "the gap value: {} against a bare record's {bare}", scores[2500]);
        assert!(scores[2600] < 0.5 * bare, "a value near the baseline: {}", scores[2600]);
    }

    #[test]
    fn a_spike_into_a_gap_between_spike_heights_is_no_gap_record() {
        // A baseline in [0, 1) with a spike every 50 values, its height
        // one of 10, 20, …, 100. At 2500 a spike to 95 from the baseline:
        // it leapt into the gap between the heights. At 2700 the same 95
        // reached from 88: the series got there step by step.
        let scores = run((0..2800usize).map(|i| match i {
            2500 | 2700 => 95.0,
            2699 => 88.0,
            _ if i.is_multiple_of(50) => (10 + 10 * (i / 50 % 10)) as f64,
            _ => noise(i),
        }));
        let bare = bare_record(2500);
        assert!(scores[2500] < bare, "the spike from the baseline: {} against a bare record's {bare}", scores[2500]);
        assert!(scores[2700] > 1.4 * bare, "the value reached by steps: {} against {bare}", scores[2700]);
    }

    #[test]
    fn a_moderate_lasting_shift_is_found_by_the_run() {
        // Noise in [0, 12) with a burst to 30 every 50 values; from 2500
        // on, +4 — no single value leaves the usual range, but their mean
        // does.
        let noise =
            |i: usize| ((i * 7919 + i * i * 31) % 97) as f64 / 8.0 + if i.is_multiple_of(50) { 30.0 } else { 0.0 };
        let scores = run((0..3000).map(|i| noise(i) + if i >= 2500 { 4.0 } else { 0.0 }));
        let after = scores[2500..2600].iter().copied().fold(0.0, f64::max);
        let before = scores[600..2500].iter().copied().fold(0.0, f64::max);
        assert!(after > 1.1 * before, "after {after}, before {before}");
    }

    #[test]
    fn a_sustained_shift_scores_once_at_its_start() {
        let scores = run((0..2000).map(|i| if i >= 1500 { daily(i) + 100.0 } else { daily(i) }));
        let start = scores[1500];
        assert!(scores[1501..1600].iter().all(|&s| s < start), "the onset is the peak");
    }

    /// Deterministic noise in [0, 1) without any cycle.
    fn noise(i: usize) -> f64 {
        ((i * 7919 + i * i * 31) % 997) as f64 / 997.0
    }

    #[test]
    fn dailiness_tells_a_daily_series_from_one_without_a_cycle() {
        let measure = |value: &dyn Fn(usize) -> f64| {
            let mut d = StreamingDetector::new(DetectorConfig::default()).unwrap();
            for i in 0..3000 {
                d.update(i as f64 * 300.0, value(i));
            }
            d.dailiness.value()
        };
        let (daily, flat) = (measure(&daily), measure(&noise));
        assert!(daily > 0.8, "daily series: {daily}");
        assert!(flat < 0.2, "noise: {flat}");
    }

    #[test]
    fn yesterday_is_no_expectation_for_a_series_without_a_daily_cycle() {
        // A burst at 600 on noise; a day later (288 rows of 5 minutes) the
        // series is as usual, which is no news though it is far from
        // yesterday's value.
        let scores = run((0..1200).map(|i| if i == 600 { 10.0 } else { noise(i) }));
        assert!(scores[600] > 0.3, "the burst itself: {}", scores[600]);
        let a_day_later = scores[880..900].iter().copied().fold(0.0, f64::max);
        assert!(a_day_later < 0.1, "a day after the burst: {a_day_later}");
    }

    #[test]
    fn unworkable_settings_are_refused() {
        let err = StreamingDetector::new(DetectorConfig { history: 5, ..Default::default() }).unwrap_err();
        assert!(err.to_string().contains("history = 5"), "{err}");
        let err = StreamingDetector::new(DetectorConfig { run: 1, ..Default::default() }).unwrap_err();
        assert!(err.to_string().contains("run = 1"), "{err}");
        let err = StreamingDetector::new(DetectorConfig { refractory: 0, ..Default::default() }).unwrap_err();
        assert!(err.to_string().contains("refractory = 0"), "{err}");
    }
}
