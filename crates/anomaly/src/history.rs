//! The leaf aggregates of the last few hours, kept so that an alarm can be
//! localized: which dimension combination its deviation comes from.
//!
//! The observed side is each leaf over the alarm's window. The expected
//! side is the forecast, spread over the leaves: each leaf keeps its share
//! of the reference hours before the alarm opened, and the total follows
//! what the forecaster expected of the window (so a window at the evening
//! peak is not compared with the quieter afternoon as is).

use std::collections::VecDeque;

use showrunner_localize::SearchConfig;
use showrunner_telemetry::Aggregate;

use crate::alarms::Explanation;
use crate::explain::{explain, QoeMetric};

/// Minutes after opening at which an alarm is localized: long enough for
/// the deviation to stand out of one minute's noise.
pub const EXPLAIN_AFTER: u32 = 10;

/// Minutes before the opening whose leaf proportions are taken as normal.
pub const REFERENCE_MINUTES: u32 = 120;

/// Minutes of history kept: the reference hours and the window.
pub const KEPT_MINUTES: u32 = REFERENCE_MINUTES + EXPLAIN_AFTER + 1;

/// One interval: its leaves and the total's forecast of every metric.
#[derive(Debug)]
struct Interval {
    minute: u32,
    leaves: Vec<Aggregate>,
    forecast: [f64; QoeMetric::ALL.len()],
}

/// The last [`KEPT_MINUTES`] intervals.
#[derive(Debug, Default)]
pub struct LeafHistory {
    intervals: VecDeque<Interval>,
}

impl LeafHistory {
    /// Keeps one interval's leaf aggregates and the forecast of the total
    /// for each metric of [`QoeMetric::ALL`] (NaN where there is none yet).
    pub fn push(&mut self, minute: u32, leaves: Vec<Aggregate>, forecast: [f64; QoeMetric::ALL.len()]) {
        self.intervals.push_back(Interval { minute, leaves, forecast });
        while self.intervals.len() > KEPT_MINUTES as usize {
            self.intervals.pop_front();
        }
    }

    /// The leaf aggregates of `minute`, if still kept.
    pub fn leaves(&self, minute: u32) -> Option<&[Aggregate]> {
        self.intervals.iter().find(|i| i.minute == minute).map(|i| i.leaves.as_slice())
    }

    /// Per-leaf sums over `range`.
    fn sum(&self, range: std::ops::Range<u32>) -> Vec<Aggregate> {
        let n = self.intervals.back().map_or(0, |i| i.leaves.len());
        let mut out = vec![Aggregate::default(); n];
        for i in self.intervals.iter().filter(|i| range.contains(&i.minute)) {
            out.iter_mut().zip(&i.leaves).for_each(|(acc, a)| acc.merge(a));
        }
        out
    }

    /// How much the reference must be scaled to match the forecast of the
    /// window: the forecast total of attempts over the reference's, or the
    /// forecast ratio over the reference's pooled ratio. Without a usable
    /// forecast, attempts scale by the windows' lengths and ratios stay.
    fn scale(&self, window: std::ops::Range<u32>, reference: &[Aggregate], metric: QoeMetric) -> f64 {
        let forecasts: Vec<f64> =
            self.intervals.iter().filter(|i| window.contains(&i.minute)).map(|i| i.forecast[metric.index()]).collect();
        let usable = !forecasts.is_empty() && forecasts.iter().all(|f| f.is_finite() && *f > 0.0);
        let mut total = Aggregate::default();
        reference.iter().for_each(|a| total.merge(a));
        let reference_value = metric.value(&total).filter(|v| *v > 0.0);
        let scale = match (metric, usable, reference_value) {
            (QoeMetric::Attempts, true, Some(r)) => forecasts.iter().sum::<f64>() / r,
            (QoeMetric::Attempts, _, _) => f64::from(window.end - window.start) / f64::from(REFERENCE_MINUTES),
            (_, true, Some(r)) => forecasts.iter().sum::<f64>() / forecasts.len() as f64 / r,
            _ => 1.0,
        };
        if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        }
    }

    /// Localizes `metric` over `[opened, now]` against the forecast spread
    /// over the leaves by their shares of the reference hours before
    /// `opened`; `values[i]` holds leaf i's value of each of `dims`.
    pub fn explain(
        &self,
        dims: &[String],
        values: &[Vec<&str>],
        opened: u32,
        now: u32,
        metric: QoeMetric,
    ) -> Option<Explanation> {
        let observed = self.sum(opened..now + 1);
        let reference = self.sum(opened.saturating_sub(REFERENCE_MINUTES)..opened);
        let scale = self.scale(opened..now + 1, &reference, metric);
        let l = explain(dims, values, &observed, &reference, metric, scale, &SearchConfig::default()).ok()?;
        let elements: Vec<String> = l.root_causes.iter().map(|r| r.element.clone()).collect();
        let text = match l.root_causes.first() {
            None => format!(
                "{} {:.4} → {:.4} overall, not explained by any dimension combination",
                metric.name(),
                l.expected,
                l.observed
            ),
            Some(top) => format!(
                "{} {:.4} → {:.4} in {}, explaining {:.0}% of the overall change {:.4} → {:.4}{}",
                metric.name(),
                top.expected,
                top.observed,
                top.element,
                100.0 * l.explained,
                l.expected,
                l.observed,
                if elements.len() > 1 { format!(" (with {})", elements[1..].join(", ")) } else { String::new() }
            ),
        };
        Some(Explanation { elements, explained: l.explained, well_explained: l.well_explained, text })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(attempts: u64, failures: u64) -> Aggregate {
        Aggregate { attempts, start_failures: failures, ..Aggregate::default() }
    }

    /// Two leaves, DE and FR, a steady two hours, then a window in which
    /// `window(minute)` gives the leaves.
    fn history(forecast_attempts: f64, window: impl Fn(u32) -> Vec<Aggregate>) -> LeafHistory {
        let mut h = LeafHistory::default();
        let mut forecast = [f64::NAN; QoeMetric::ALL.len()];
        for m in 0..REFERENCE_MINUTES {
            forecast[QoeMetric::Attempts.index()] = 200.0;
            forecast[QoeMetric::StartFailureRate.index()] = 0.01;
            h.push(m, vec![leaf(100, 1), leaf(100, 1)], forecast);
        }
        for m in REFERENCE_MINUTES..KEPT_MINUTES {
            forecast[QoeMetric::Attempts.index()] = forecast_attempts;
            h.push(m, window(m), forecast);
        }
        h
    }

    fn dims() -> (Vec<String>, Vec<Vec<&'static str>>) {
        (vec!["country".to_string()], vec![vec!["DE"], vec!["FR"]])
    }

    #[test]
    fn traffic_is_compared_with_the_forecast_not_with_the_hours_before() {
        // The evening rise was forecast: both leaves double, nothing to explain.
        let h = history(400.0, |_| vec![leaf(200, 2), leaf(200, 2)]);
        let (d, v) = dims();
        let e = h.explain(&d, &v, REFERENCE_MINUTES, KEPT_MINUTES - 1, QoeMetric::Attempts).unwrap();
        assert!(e.elements.is_empty(), "{e:?}");
        // The same rise, unforecast, in DE alone: DE explains it.
        let h = history(200.0, |_| vec![leaf(200, 2), leaf(100, 1)]);
        let e = h.explain(&d, &v, REFERENCE_MINUTES, KEPT_MINUTES - 1, QoeMetric::Attempts).unwrap();
        assert_eq!(e.elements, ["country=DE"], "{e:?}");
        assert!(e.text.contains("attempts") && e.text.contains("in country=DE, explaining"), "{}", e.text);
    }

    #[test]
    fn a_ratio_is_localized_where_it_moved() {
        let h = history(200.0, |_| vec![leaf(100, 20), leaf(100, 1)]);
        let (d, v) = dims();
        let e = h.explain(&d, &v, REFERENCE_MINUTES, KEPT_MINUTES - 1, QoeMetric::StartFailureRate).unwrap();
        assert_eq!(e.elements, ["country=DE"], "{e:?}");
        assert!(e.well_explained && e.explained > 0.9, "{e:?}");
    }

    #[test]
    fn only_the_last_hours_are_kept() {
        let mut h = history(200.0, |_| vec![leaf(1, 0), leaf(1, 0)]);
        assert_eq!(h.leaves(0).map(|l| l[0].attempts), Some(100));
        h.push(KEPT_MINUTES, vec![leaf(1, 0), leaf(1, 0)], [f64::NAN; QoeMetric::ALL.len()]);
        assert!(h.leaves(0).is_none());
        assert_eq!(h.leaves(KEPT_MINUTES - 1).map(|l| l[0].attempts), Some(1));
    }
}
