//! Per-interval aggregates of validated events for every leaf (full
//! combination of dimension values), and the QoE metrics computed from any
//! sum of them.
//!
//! Every field is a sum or a mergeable histogram, so the aggregate of any
//! cuboid element (e.g. `cdn=B & country=DE`) is the sum of its leaves' —
//! which is also what root-cause localization needs: ratios such as the
//! rebuffering ratio are computed from summed numerators and denominators,
//! never averaged.

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::event::{Event, EventKind};

/// Default aggregation interval: one minute.
pub const MINUTE_MS: i64 = 60_000;

/// Upper edges of the start-up time histogram buckets, in milliseconds:
/// 100 ms · 2^(k/2), about 100 ms to 72 s; the last bucket is open.
fn bucket_of(startup_ms: f64) -> usize {
    if startup_ms <= 100.0 {
        return 0;
    }
    ((2.0 * (startup_ms / 100.0).log2()).ceil() as usize).min(STARTUP_BUCKETS - 1)
}

/// The geometric centre of start-up bucket `k`, in milliseconds: where a
/// bucket's plays are placed when only the histogram is known (50 ms for
/// the first bucket, which starts at 0).
pub fn startup_bucket_centre_ms(k: usize) -> f64 {
    if k == 0 {
        50.0
    } else {
        100.0 * 2f64.powf((k as f64 - 0.5) / 2.0)
    }
}

/// Buckets of the start-up histogram.
pub const STARTUP_BUCKETS: usize = 20;

/// Sums over one leaf and interval (or over any set of them).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Aggregate {
    /// Play attempts.
    pub attempts: u64,
    /// Sessions that showed a first frame.
    pub plays: u64,
    /// Fatal errors before the first frame (video start failures).
    pub start_failures: u64,
    /// Sessions ended before the first frame without an error.
    pub exits_before_start: u64,
    /// Errors of any kind.
    pub errors: u64,
    /// Seconds played.
    pub play_s: f64,
    /// Seconds stalled.
    pub rebuffer_s: f64,
    /// Σ bitrate × seconds played (kbit).
    pub bitrate_kbit: f64,
    /// Start-up times by bucket (see [`STARTUP_BUCKETS`]).
    pub startup: [u32; STARTUP_BUCKETS],
}

impl Aggregate {
    /// Counts one event.
    pub fn add_event(&mut self, kind: &EventKind) {
        match kind {
            EventKind::Attempt => self.attempts += 1,
            EventKind::Start { startup_ms } => {
                self.plays += 1;
                self.startup[bucket_of(*startup_ms)] += 1;
            }
            EventKind::Heartbeat { play_s, rebuffer_s, bitrate_kbps } => {
                self.play_s += play_s;
                self.rebuffer_s += rebuffer_s;
                self.bitrate_kbit += bitrate_kbps * play_s;
            }
            EventKind::Error { fatal, before_start, .. } => {
                self.errors += 1;
                if *fatal && *before_start {
                    self.start_failures += 1;
                }
            }
            EventKind::End { before_start } => {
                if *before_start {
                    self.exits_before_start += 1;
                }
            }
        }
    }

    /// Adds another aggregate (a leaf into an element, a minute into an
    /// hour).
    pub fn merge(&mut self, o: &Aggregate) {
        self.attempts += o.attempts;
        self.plays += o.plays;
        self.start_failures += o.start_failures;
        self.exits_before_start += o.exits_before_start;
        self.errors += o.errors;
        self.play_s += o.play_s;
        self.rebuffer_s += o.rebuffer_s;
        self.bitrate_kbit += o.bitrate_kbit;
        for (a, b) in self.startup.iter_mut().zip(&o.startup) {
            *a += b;
        }
    }

    /// The QoE metrics of this aggregate.
    pub fn metrics(&self) -> Metrics {
        let per_attempt = |n: u64| if self.attempts > 0 { n as f64 / self.attempts as f64 } else { f64::NAN };
        let watched = self.play_s + self.rebuffer_s;
        Metrics {
            attempts: self.attempts,
            plays: self.plays,
            rebuffering_ratio: if watched > 0.0 { self.rebuffer_s / watched } else { f64::NAN },
            start_failure_rate: per_attempt(self.start_failures),
            exit_before_start_rate: per_attempt(self.exits_before_start),
            error_rate: per_attempt(self.errors),
            startup_p50_ms: self.startup_quantile(0.5),
            startup_p95_ms: self.startup_quantile(0.95),
            bitrate_kbps: if self.play_s > 0.0 { self.bitrate_kbit / self.play_s } else { f64::NAN },
        }
    }

    /// A quantile of start-up time, interpolated geometrically inside its
    /// bucket (NaN without plays).
    fn startup_quantile(&self, q: f64) -> f64 {
        let total: u64 = self.startup.iter().map(|&c| u64::from(c)).sum();
        if total == 0 {
            return f64::NAN;
        }
        let target = q * total as f64;
        let mut seen = 0.0;
        for (k, &c) in self.startup.iter().enumerate() {
            let next = seen + f64::from(c);
            if c > 0 && next >= target {
                let upper = 100.0 * 2f64.powf(k as f64 / 2.0);
                let lower = if k == 0 { 10.0 } else { 100.0 * 2f64.powf((k as f64 - 1.0) / 2.0) };
                let within = ((target - seen) / f64::from(c)).clamp(0.0, 1.0);
                return lower * (upper / lower).powf(within);
            }
            seen = next;
        }
        f64::NAN
    }
}

/// QoE metrics of one series at one interval. Rates are NaN when their
/// denominator is zero (no attempts, nothing watched).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Metrics {
    /// Play attempts.
    pub attempts: u64,
    /// Sessions that started.
    pub plays: u64,
    /// Stalled share of watching time.
    pub rebuffering_ratio: f64,
    /// Video start failures per attempt.
    pub start_failure_rate: f64,
    /// Exits before video start per attempt.
    pub exit_before_start_rate: f64,
    /// Errors per attempt.
    pub error_rate: f64,
    /// Median start-up time.
    pub startup_p50_ms: f64,
    /// 95th-percentile start-up time.
    pub startup_p95_ms: f64,
    /// Play-time-weighted average bitrate.
    pub bitrate_kbps: f64,
}

/// Aggregates by interval and leaf.
#[derive(Debug, Clone)]
pub struct Cube {
    interval_ms: i64,
    /// Interval start → leaf → aggregate. Two levels so that a leaf can be
    /// looked up by a borrowed slice, without a key allocation per event.
    intervals: FxHashMap<i64, FxHashMap<Box<[u32]>, Aggregate>>,
}

impl Cube {
    /// An empty cube with intervals of `interval_ms`.
    pub fn new(interval_ms: i64) -> Self {
        Cube { interval_ms: interval_ms.max(1), intervals: FxHashMap::default() }
    }

    /// Adds a validated event to its interval and leaf.
    pub fn add(&mut self, event: &Event) {
        let interval = event.time_ms.div_euclid(self.interval_ms) * self.interval_ms;
        let leaves = self.intervals.entry(interval).or_default();
        match leaves.get_mut(event.leaf.as_slice()) {
            Some(agg) => agg.add_event(&event.kind),
            None => {
                let mut agg = Aggregate::default();
                agg.add_event(&event.kind);
                leaves.insert(event.leaf.clone().into_boxed_slice(), agg);
            }
        }
    }

    /// Totals over all leaves per interval, in time order.
    pub fn totals(&self) -> Vec<(i64, Aggregate)> {
        let mut out: Vec<(i64, Aggregate)> = self
            .intervals
            .iter()
            .map(|(t, leaves)| {
                let mut total = Aggregate::default();
                leaves.values().for_each(|a| total.merge(a));
                (*t, total)
            })
            .collect();
        out.sort_by_key(|(t, _)| *t);
        out
    }

    /// Every leaf with at least one event, sorted by its codes.
    pub fn leaves(&self) -> Vec<Box<[u32]>> {
        let mut leaves: Vec<Box<[u32]>> = self.intervals.values().flat_map(|l| l.keys().cloned()).collect();
        leaves.sort_unstable();
        leaves.dedup();
        leaves
    }

    /// Every interval from the first to the last in time order — those
    /// without events too, as zeros: a quiet minute is data — each with the
    /// aggregate of every leaf of `leaves`, in that order.
    pub fn dense<'a>(&'a self, leaves: &'a [Box<[u32]>]) -> impl Iterator<Item = (i64, Vec<Aggregate>)> + 'a {
        let first = self.intervals.keys().min().copied().unwrap_or(0);
        let count = self.intervals.keys().max().map_or(0, |last| (last - first) / self.interval_ms + 1);
        (0..count).map(move |k| {
            let t = first + k * self.interval_ms;
            let cells = self.intervals.get(&t);
            let row =
                leaves.iter().map(|l| cells.and_then(|c| c.get(l)).cloned().unwrap_or_default()).collect::<Vec<_>>();
            (t, row)
        })
    }

    /// The interval length, ms.
    pub fn interval_ms(&self) -> i64 {
        self.interval_ms
    }

    /// Number of (interval, leaf) cells.
    pub fn len(&self) -> usize {
        self.intervals.values().map(|l| l.len()).sum()
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.intervals.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(time_ms: i64, leaf: Vec<u32>, kind: EventKind) -> Event {
        Event { time_ms, session: "s".into(), leaf, kind }
    }

    #[test]
    fn metrics_come_from_summed_parts() {
        let mut cube = Cube::new(MINUTE_MS);
        let minute = 1_795_000_020_000; // a whole minute since the epoch
        let t = minute + 20_000;
        for leaf in [vec![0, 0], vec![1, 0]] {
            for _ in 0..4 {
                cube.add(&event(t, leaf.clone(), EventKind::Attempt));
            }
        }
        cube.add(&event(t, vec![0, 0], EventKind::Start { startup_ms: 800.0 }));
        cube.add(&event(t, vec![1, 0], EventKind::Start { startup_ms: 3000.0 }));
        cube.add(&event(t, vec![0, 0], EventKind::Heartbeat { play_s: 9.0, rebuffer_s: 1.0, bitrate_kbps: 3000.0 }));
        cube.add(&event(t, vec![1, 0], EventKind::Heartbeat { play_s: 27.0, rebuffer_s: 3.0, bitrate_kbps: 5000.0 }));
        cube.add(&event(t, vec![1, 0], EventKind::Error { code: "E".into(), fatal: true, before_start: true }));
        cube.add(&event(t, vec![1, 0], EventKind::End { before_start: true }));
        // The next minute is a separate cell.
        cube.add(&event(t + MINUTE_MS, vec![0, 0], EventKind::Attempt));
        assert_eq!(cube.len(), 3);
        let totals = cube.totals();
        assert_eq!(totals.len(), 2);
        assert_eq!(totals[0].0, minute);
        let m = totals[0].1.metrics();
        assert_eq!((m.attempts, m.plays), (8, 2));
        assert!((m.rebuffering_ratio - 4.0 / 40.0).abs() < 1e-12);
        assert!((m.start_failure_rate - 1.0 / 8.0).abs() < 1e-12);
        assert!((m.exit_before_start_rate - 1.0 / 8.0).abs() < 1e-12);
        assert!((m.bitrate_kbps - (9.0 * 3000.0 + 27.0 * 5000.0) / 36.0).abs() < 1e-9);
        // Start-up quantiles land in the right histogram buckets.
        assert!((565.0..=800.0 * 1.42).contains(&m.startup_p50_ms), "{}", m.startup_p50_ms);
        assert!((2263.0..=3200.0).contains(&m.startup_p95_ms), "{}", m.startup_p95_ms);
        assert!(totals[1].1.metrics().rebuffering_ratio.is_nan());
    }

    #[test]
    fn dense_intervals_fill_quiet_minutes_with_zeros() {
        let mut cube = Cube::new(MINUTE_MS);
        let t = 1_795_000_020_000;
        cube.add(&event(t, vec![1, 0], EventKind::Attempt));
        cube.add(&event(t + 3 * MINUTE_MS, vec![0, 2], EventKind::Attempt));
        cube.add(&event(t + 3 * MINUTE_MS + 5, vec![0, 2], EventKind::Attempt));
        let leaves = cube.leaves();
        assert_eq!(leaves, [vec![0, 2].into_boxed_slice(), vec![1, 0].into_boxed_slice()]);
        let rows: Vec<(i64, Vec<u64>)> =
            cube.dense(&leaves).map(|(t, r)| (t, r.iter().map(|a| a.attempts).collect())).collect();
        assert_eq!(
            rows,
            [
                (t, vec![0, 1]),
                (t + MINUTE_MS, vec![0, 0]),
                (t + 2 * MINUTE_MS, vec![0, 0]),
                (t + 3 * MINUTE_MS, vec![2, 0])
            ]
        );
    }

    #[test]
    fn startup_quantiles_are_within_a_bucket_of_the_truth() {
        let mut agg = Aggregate::default();
        for i in 1..=1000 {
            agg.add_event(&EventKind::Start { startup_ms: i as f64 * 10.0 });
        }
        let m = agg.metrics();
        // True p50 = 5 s, p95 = 9.5 s; buckets are √2 wide.
        assert!((5000.0 / 1.42..=5000.0 * 1.42).contains(&m.startup_p50_ms), "{}", m.startup_p50_ms);
        assert!((9500.0 / 1.42..=9500.0 * 1.42).contains(&m.startup_p95_ms), "{}", m.startup_p95_ms);
    }
}
