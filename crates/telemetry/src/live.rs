//! Event-time windows for live ingest: validated events are added to their
//! one-minute interval as they arrive, in any order, and an interval is
//! *closed* — handed to the alarm pipeline, never to change again — once
//! events `lateness_ms` past its end have been seen. Events for a closed
//! interval are refused as late (counted, never silently dropped).
//!
//! Closing follows the events' own clock, not the wall clock, so a backlog
//! replayed at full speed is windowed exactly as it would have been live,
//! and a quiet minute between busy ones is closed as zeros: a minute
//! without plays is data.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use crate::aggregate::Aggregate;
use crate::event::Event;
use crate::record::parse_json;
use crate::validate::{time_ms, Reason, Rejection, Validator};

/// A closed interval: the aggregate of every leaf known when it closed, in
/// the order of [`LiveWindows::leaves`].
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedInterval {
    /// Interval start, ms since the epoch.
    pub start_ms: i64,
    /// One aggregate per leaf.
    pub leaves: Vec<Aggregate>,
}

/// An event for an interval that is already closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Late {
    /// The closed interval it belongs to.
    pub interval_ms: i64,
    /// Start of the oldest interval still open.
    pub open_from_ms: i64,
}

/// The open intervals and the leaves seen so far.
#[derive(Debug, Clone)]
pub struct LiveWindows {
    interval_ms: i64,
    lateness_ms: i64,
    open: BTreeMap<i64, FxHashMap<u32, Aggregate>>,
    leaf_index: FxHashMap<Box<[u32]>, u32>,
    leaves: Vec<Box<[u32]>>,
    /// Start of the next interval to close; every earlier one is closed.
    next_to_close: Option<i64>,
    /// Newest event time seen.
    newest_ms: i64,
}

impl LiveWindows {
    /// Windows of `interval_ms`, closed once events `lateness_ms` past
    /// their end have arrived.
    pub fn new(interval_ms: i64, lateness_ms: i64) -> Self {
        LiveWindows {
            interval_ms: interval_ms.max(1),
            lateness_ms: lateness_ms.max(0),
            open: BTreeMap::new(),
            leaf_index: FxHashMap::default(),
            leaves: Vec::new(),
            next_to_close: None,
            newest_ms: i64::MIN,
        }
    }

    fn interval_of(&self, time_ms: i64) -> i64 {
        time_ms.div_euclid(self.interval_ms) * self.interval_ms
    }

    /// Whether an event at `time_ms` would be refused as late (check before
    /// validating, so that a late record changes nothing).
    pub fn late(&self, time_ms: i64) -> Option<Late> {
        let interval = self.interval_of(time_ms);
        match self.next_to_close {
            Some(next) if interval < next => Some(Late { interval_ms: interval, open_from_ms: next }),
            _ => None,
        }
    }

    /// Adds a validated event to its interval.
    pub fn add(&mut self, event: &Event) -> Result<(), Late> {
        if let Some(late) = self.late(event.time_ms) {
            return Err(late);
        }
        let leaf = match self.leaf_index.get(event.leaf.as_slice()) {
            Some(&i) => i,
            None => {
                let i = self.leaves.len() as u32;
                self.leaves.push(event.leaf.clone().into_boxed_slice());
                self.leaf_index.insert(event.leaf.clone().into_boxed_slice(), i);
                i
            }
        };
        let interval = self.interval_of(event.time_ms);
        self.open.entry(interval).or_default().entry(leaf).or_default().add_event(&event.kind);
        self.newest_ms = self.newest_ms.max(event.time_ms);
        Ok(())
    }

    /// Closes, in time order, every interval that ended at least
    /// `lateness_ms` before the newest event — the quiet ones between too.
    pub fn close_ready(&mut self) -> Vec<ClosedInterval> {
        let mut closed = Vec::new();
        let Some(first_open) = self.open.keys().next().copied() else { return closed };
        let mut next = self.next_to_close.unwrap_or(first_open);
        while next + self.interval_ms + self.lateness_ms <= self.newest_ms {
            let cells = self.open.remove(&next).unwrap_or_default();
            let mut leaves = vec![Aggregate::default(); self.leaves.len()];
            for (leaf, agg) in cells {
                leaves[leaf as usize] = agg;
            }
            closed.push(ClosedInterval { start_ms: next, leaves });
            next += self.interval_ms;
        }
        // Nothing is late before the first interval has closed.
        if !closed.is_empty() {
            self.next_to_close = Some(next);
        }
        closed
    }

    /// Every leaf seen, by its dimension value codes, in arrival order.
    pub fn leaves(&self) -> &[Box<[u32]>] {
        &self.leaves
    }

    /// Intervals still open.
    pub fn open_intervals(&self) -> usize {
        self.open.len()
    }
}

/// Live ingest: JSON records validated one by one into event-time windows.
/// A record refused — malformed, invalid, or late — changes nothing.
#[derive(Debug)]
pub struct LiveIngest {
    validator: Validator,
    windows: LiveWindows,
    /// Leaves already handed out by [`LiveIngest::close_ready`].
    leaves_reported: usize,
}

/// What [`LiveIngest::close_ready`] hands on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Closed {
    /// Leaves seen for the first time since the last call, as dimension
    /// values; they come after every leaf handed out before.
    pub new_leaves: Vec<Vec<String>>,
    /// Closed intervals, in time order.
    pub intervals: Vec<ClosedInterval>,
}

impl LiveIngest {
    /// Ingest validating with `validator` into windows of `interval_ms`
    /// closed `lateness_ms` after their end.
    pub fn new(validator: Validator, interval_ms: i64, lateness_ms: i64) -> Self {
        LiveIngest { validator, windows: LiveWindows::new(interval_ms, lateness_ms), leaves_reported: 0 }
    }

    /// The dimension names, in the order of leaf values.
    pub fn dimensions(&self) -> Vec<String> {
        self.validator.schema().dimensions.iter().map(|d| d.name.clone()).collect()
    }

    /// Takes one JSON record, checked against the clock `now_ms`.
    pub fn offer(&mut self, json: &str, now_ms: i64) -> Result<(), Rejection> {
        let record = parse_json(json)?;
        // A time far from the clock is reported as such by the validator;
        // lateness is a matter for the times it would accept.
        let time =
            record.time.as_ref().and_then(|t| time_ms(t).ok()).filter(|&t| self.validator.in_clock_range(t, now_ms));
        if let Some(late) = time.and_then(|t| self.windows.late(t)) {
            return Err(Rejection {
                reason: Reason::Late,
                detail: format!(
                    "`time` falls in the interval starting {} ms, already closed (intervals from {} ms are open)",
                    late.interval_ms, late.open_from_ms
                ),
            });
        }
        let event = self.validator.check(&record, now_ms)?;
        self.windows
            .add(&event)
            .map_err(|_| Rejection { reason: Reason::Late, detail: "its interval is already closed".into() })
    }

    /// Closes the intervals that are ready, with the leaves they introduce.
    pub fn close_ready(&mut self) -> Closed {
        let intervals = self.windows.close_ready();
        let leaves = self.windows.leaves();
        let new_leaves = leaves[self.leaves_reported..].iter().map(|codes| self.validator.decode(codes)).collect();
        self.leaves_reported = leaves.len();
        Closed { new_leaves, intervals }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;

    const T: i64 = 1_795_000_020_000;
    const MIN: i64 = 60_000;

    fn attempt(time_ms: i64, leaf: Vec<u32>) -> Event {
        Event { time_ms, session: "s".into(), leaf, kind: EventKind::Attempt }
    }

    #[test]
    fn intervals_close_on_the_event_clock_with_quiet_minutes_as_zeros() {
        let mut w = LiveWindows::new(MIN, 30_000);
        w.add(&attempt(T + 10_000, vec![0])).unwrap();
        assert!(w.close_ready().is_empty());
        // Until something has closed, an earlier minute is not late.
        w.add(&attempt(T - 5_000, vec![0])).unwrap();
        w.add(&attempt(T + 20_000, vec![1])).unwrap();
        // 30 s past the end of the minute before T, not yet of T's.
        w.add(&attempt(T + MIN + 29_000, vec![0])).unwrap();
        let closed = w.close_ready();
        assert_eq!(closed.iter().map(|c| c.start_ms).collect::<Vec<_>>(), [T - MIN]);
        assert_eq!(closed[0].leaves.iter().map(|a| a.attempts).collect::<Vec<_>>(), [1, 0]);
        w.add(&attempt(T + MIN + 30_000, vec![0])).unwrap();
        let closed = w.close_ready();
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].start_ms, T);
        assert_eq!(closed[0].leaves.iter().map(|a| a.attempts).collect::<Vec<_>>(), [1, 1]);
        // Out of order within the open minute is fine; the closed one is late.
        w.add(&attempt(T + MIN + 1_000, vec![1])).unwrap();
        assert_eq!(w.add(&attempt(T + 59_000, vec![1])), Err(Late { interval_ms: T, open_from_ms: T + MIN }));
        // Three quiet minutes later everything up to then closes, in order.
        w.add(&attempt(T + 5 * MIN + 40_000, vec![2])).unwrap();
        let closed = w.close_ready();
        let summary: Vec<(i64, Vec<u64>)> =
            closed.iter().map(|c| ((c.start_ms - T) / MIN, c.leaves.iter().map(|a| a.attempts).collect())).collect();
        assert_eq!(
            summary,
            [(1, vec![2, 1, 0]), (2, vec![0, 0, 0]), (3, vec![0, 0, 0]), (4, vec![0, 0, 0])],
            "a leaf seen later is zero in earlier minutes"
        );
        assert_eq!(w.open_intervals(), 1);
        assert_eq!(w.leaves().len(), 3);
    }

    #[test]
    fn live_ingest_refuses_late_and_bad_records_without_side_effects() {
        let schema = crate::Schema { dimensions: vec![crate::Dimension { name: "cdn".into(), cap: 2 }] };
        let mut ingest = LiveIngest::new(Validator::new(schema, 3_600_000).unwrap(), MIN, 0);
        let rec =
            |t: i64, cdn: &str| format!(r#"{{"time":{t},"session":"s","dims":{{"cdn":"{cdn}"}},"type":"attempt"}}"#);
        ingest.offer(&rec(T, "A"), T).unwrap();
        ingest.offer(&rec(T + MIN, "B"), T).unwrap();
        let closed = ingest.close_ready();
        assert_eq!(closed.new_leaves, [vec!["A".to_string()], vec!["B".to_string()]]);
        assert_eq!(closed.intervals.len(), 1);
        // Late: refused, and its new CDN value is not learned.
        let late = ingest.offer(&rec(T + 1000, "C"), T).unwrap_err();
        assert_eq!(late.reason, Reason::Late);
        assert!(late.detail.contains("already closed"), "{}", late.detail);
        // Far from the clock is said as such, not as late.
        let far = ingest.offer(&rec(T - 86_400_000, "A"), T).unwrap_err();
        assert_eq!(far.reason, Reason::TimeOutOfRange);
        ingest.offer(&rec(T + MIN + 5, "C"), T).unwrap_err(); // over the cap of 2: C was never added
        assert_eq!(ingest.offer("{", T).unwrap_err().reason, Reason::Malformed);
        ingest.offer(&rec(T + 2 * MIN, "A"), T).unwrap();
        let closed = ingest.close_ready();
        assert!(closed.new_leaves.is_empty());
        assert_eq!(closed.intervals[0].leaves.iter().map(|a| a.attempts).collect::<Vec<_>>(), [0, 1]);
    }
}
