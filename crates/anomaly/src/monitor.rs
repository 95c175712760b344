//! Monitored series: every element of the chosen cuboids (the total, each
//! dimension value, each pair of values…) × every QoE metric, aggregated
//! from the leaves each interval and scored by three families of scorers:
//!
//! - **forecast**: the [`Forecaster`]'s z-score, smoothed over the last
//!   three intervals (one noisy minute is not an anomaly), with the
//!   binomial standard deviation as a floor for per-attempt rates, whose
//!   noise at low volume the forecast cannot know;
//! - **derivative**: the jump of the mean of the last five values over the
//!   mean of the thirty before, in the same spreads — a sudden change of
//!   level, which a slow drift never makes;
//! - **correlation**: the part of the deviation that the element's
//!   siblings (the rest of each parent) do not share ([`crate::correlation`]).
//!
//! A series is scored only above a minimum volume (attempts per interval
//! of its element), so tiny cohorts do not alarm.

use std::collections::VecDeque;

use serde::Serialize;
use showrunner_telemetry::Aggregate;

use crate::explain::QoeMetric;
use crate::forecast::Forecaster;

/// One monitored element: `(dimension, value index)` pairs, sorted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Element(pub Vec<(usize, usize)>);

impl Element {
    /// Whether the two elements share leaves (no dimension fixed to two
    /// different values).
    pub fn overlaps(&self, other: &Element) -> bool {
        self.0.iter().all(|&(d, v)| other.0.iter().all(|&(od, ov)| od != d || ov == v))
    }
}

/// The leaves, their dimension values, and the elements monitored.
#[derive(Debug, Clone)]
pub struct Catalogue {
    /// Dimension names.
    pub dims: Vec<String>,
    /// Values of each dimension, by index.
    pub values: Vec<Vec<String>>,
    /// Each leaf's value index per dimension.
    pub leaves: Vec<Vec<usize>>,
    /// Monitored elements; the first is the total.
    pub elements: Vec<Element>,
    /// Leaves of each element.
    members: Vec<Vec<u32>>,
    /// Most dimensions fixed by an element.
    max_layer: usize,
    /// Each element's index.
    index: std::collections::HashMap<Element, usize>,
    /// Each element's parents (see [`Catalogue::parents`]).
    parents: Vec<Vec<u32>>,
}

impl Catalogue {
    /// Monitors the total and every element of up to `max_layer`
    /// dimensions that has leaves.
    pub fn new(dims: &[&str], leaf_values: &[Vec<&str>], max_layer: usize) -> Self {
        let d = dims.len();
        let mut values: Vec<Vec<String>> = vec![Vec::new(); d];
        let leaves: Vec<Vec<usize>> = leaf_values
            .iter()
            .map(|lv| {
                lv.iter()
                    .enumerate()
                    .map(|(j, v)| {
                        values[j].iter().position(|x| x == v).unwrap_or_else(|| {
                            values[j].push(v.to_string());
                            values[j].len() - 1
                        })
                    })
                    .collect()
            })
            .collect();
        let mut elements = vec![Element(Vec::new())];
        let mut members = vec![(0..leaves.len() as u32).collect::<Vec<u32>>()];
        for mask in 1u32..(1 << d) {
            if mask.count_ones() as usize > max_layer {
                continue;
            }
            let attrs: Vec<usize> = (0..d).filter(|j| mask & (1 << j) != 0).collect();
            let mut by_key: Vec<(Vec<usize>, Vec<u32>)> = Vec::new();
            for (i, leaf) in leaves.iter().enumerate() {
                let key: Vec<usize> = attrs.iter().map(|&j| leaf[j]).collect();
                match by_key.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, m)) => m.push(i as u32),
                    None => by_key.push((key, vec![i as u32])),
                }
            }
            for (key, m) in by_key {
                elements.push(Element(attrs.iter().copied().zip(key).collect()));
                members.push(m);
            }
        }
        let index = elements.iter().cloned().enumerate().map(|(i, e)| (e, i)).collect();
        let mut catalogue = Catalogue {
            dims: dims.iter().map(|s| s.to_string()).collect(),
            values,
            leaves,
            elements,
            members,
            max_layer,
            index,
            parents: Vec::new(),
        };
        catalogue.parents = catalogue.elements.iter().map(|e| catalogue.parents_of(e)).collect();
        catalogue
    }

    /// Adds a leaf seen for the first time (`values` in dimension order)
    /// and returns its index; the elements it is the first leaf of are
    /// appended to `elements`, so existing indices stay valid.
    pub fn add_leaf(&mut self, values: &[&str]) -> usize {
        let leaf: Vec<usize> = values
            .iter()
            .enumerate()
            .map(|(j, v)| {
                self.values[j].iter().position(|x| x == v).unwrap_or_else(|| {
                    self.values[j].push(v.to_string());
                    self.values[j].len() - 1
                })
            })
            .collect();
        let id = self.leaves.len() as u32;
        for mask in 0u32..(1 << self.dims.len()) {
            if mask.count_ones() as usize > self.max_layer {
                continue;
            }
            let element =
                Element((0..self.dims.len()).filter(|j| mask & (1 << j) != 0).map(|j| (j, leaf[j])).collect());
            match self.index.get(&element) {
                Some(&e) => self.members[e].push(id),
                None => {
                    self.index.insert(element.clone(), self.elements.len());
                    self.parents.push(self.parents_of(&element));
                    self.elements.push(element);
                    self.members.push(vec![id]);
                }
            }
        }
        self.leaves.push(leaf);
        id as usize
    }

    /// `dim=value&…` with dimensions sorted by name (`total` for the total).
    pub fn label(&self, e: &Element) -> String {
        if e.0.is_empty() {
            return "total".into();
        }
        let mut pairs: Vec<String> =
            e.0.iter().map(|&(d, v)| format!("{}={}", self.dims[d], self.values[d][v])).collect();
        pairs.sort();
        pairs.join("&")
    }

    /// The element of a `(dimension name, value)` scope, if every name and
    /// value is known.
    pub fn element_of(&self, scope: &[(String, String)]) -> Option<Element> {
        let mut pairs = Vec::new();
        for (name, value) in scope {
            let d = self.dims.iter().position(|x| x == name)?;
            pairs.push((d, self.values[d].iter().position(|x| x == value)?));
        }
        pairs.sort();
        Some(Element(pairs))
    }

    /// The aggregate of element `element` (a catalogue index) over one
    /// interval's leaf aggregates.
    pub fn aggregate_one(&self, element: usize, leaves: &[Aggregate]) -> Aggregate {
        let mut a = Aggregate::default();
        self.members[element].iter().for_each(|&i| a.merge(&leaves[i as usize]));
        a
    }

    /// The catalogue index of `element`, if it is monitored.
    pub fn index_of(&self, element: &Element) -> Option<usize> {
        self.index.get(element).copied()
    }

    /// The catalogue indices of element `element`'s parents: the element
    /// with one of its dimensions released (the total for a one-dimension
    /// element; none for the total).
    pub fn parents(&self, element: usize) -> &[u32] {
        &self.parents[element]
    }

    /// The monitored parents of `element`. Parents fix fewer dimensions, so
    /// they are always added to the catalogue before their children.
    fn parents_of(&self, element: &Element) -> Vec<u32> {
        (0..element.0.len())
            .filter_map(|skip| {
                let pairs = element.0.iter().enumerate().filter(|&(i, _)| i != skip).map(|(_, &p)| p);
                self.index_of(&Element(pairs.collect())).map(|i| i as u32)
            })
            .collect()
    }

    /// The catalogue index of the element labelled `dim=value&…` (as
    /// [`Catalogue::label`] writes it), if it is monitored.
    pub fn index_of_label(&self, label: &str) -> Option<usize> {
        let scope: Vec<(String, String)> = if label == "total" {
            Vec::new()
        } else {
            label
                .split('&')
                .map(|pair| pair.split_once('=').map(|(d, v)| (d.to_string(), v.to_string())))
                .collect::<Option<_>>()?
        };
        self.index.get(&self.element_of(&scope)?).copied()
    }

    /// Each element's aggregate of one interval's leaf aggregates.
    pub fn aggregate(&self, leaves: &[Aggregate]) -> Vec<Aggregate> {
        (0..self.members.len()).map(|e| self.aggregate_one(e, leaves)).collect()
    }
}

/// Scoring settings.
#[derive(Debug, Clone, Copy)]
pub struct ScoreConfig {
    /// Least attempts per interval for an element's series to be scored.
    pub min_attempts: u64,
}

impl Default for ScoreConfig {
    fn default() -> Self {
        ScoreConfig { min_attempts: 25 }
    }
}

/// The scores of one series at one interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SeriesScore {
    /// Index into the catalogue's elements.
    pub element: usize,
    /// The metric.
    pub metric: QoeMetric,
    /// Observed value.
    pub observed: f64,
    /// Forecast.
    pub expected: f64,
    /// Standard deviation of normal values around the forecast (the
    /// expected band is `expected ± 3·sd`).
    pub sd: f64,
    /// Forecast z-score, smoothed over three intervals.
    pub forecast_z: f64,
    /// Level-jump score.
    pub derivative_z: f64,
    /// The forecast z scaled by the share of the deviation the element's
    /// siblings do not share (see [`crate::correlation`]).
    pub correlation_z: f64,
    /// Attempts of the element this interval (the sessions at stake).
    pub attempts: u64,
}

/// Values kept for the derivative scorer.
const RECENT: usize = 35;

/// The state of one series.
#[derive(Debug, Clone)]
struct SeriesState {
    forecaster: Forecaster,
    recent: VecDeque<f32>,
    /// The last three intervals' z-scores, or for per-attempt rates their
    /// observed and expected event counts.
    last: [(f32, f32); 3],
}

impl SeriesState {
    fn fresh() -> Self {
        SeriesState { forecaster: Forecaster::new(0.0), recent: VecDeque::with_capacity(RECENT), last: [(0.0, 0.0); 3] }
    }

    fn write(&self, w: &mut crate::bytes::Writer) {
        self.forecaster.write(w);
        w.u8(self.recent.len() as u8);
        self.recent.iter().for_each(|&v| w.f32(v));
        for (a, b) in self.last {
            w.f32(a);
            w.f32(b);
        }
    }

    fn read(r: &mut crate::bytes::Reader) -> Option<SeriesState> {
        let forecaster = Forecaster::read(r)?;
        let n = usize::from(r.u8()?);
        if n > RECENT {
            return None;
        }
        let recent = (0..n).map(|_| r.f32()).collect::<Option<VecDeque<f32>>>()?;
        let mut last = [(0.0, 0.0); 3];
        for l in &mut last {
            *l = (r.f32()?, r.f32()?);
        }
        Some(SeriesState { forecaster, recent, last })
    }
}

/// Every monitored series of a catalogue.
#[derive(Debug, Clone)]
pub struct Monitor {
    config: ScoreConfig,
    series: Vec<SeriesState>,
}

/// Forecasts are never trusted to better than this share of the forecast.
const RELATIVE_FLOOR: f64 = 0.02;

impl Monitor {
    /// Fresh state for every element × metric.
    pub fn new(catalogue: &Catalogue, config: ScoreConfig) -> Self {
        let n = catalogue.elements.len() * QoeMetric::ALL.len();
        Monitor { config, series: vec![SeriesState::fresh(); n] }
    }

    /// Fresh state for the series of elements added to the catalogue since.
    pub fn grow(&mut self, catalogue: &Catalogue) {
        let n = catalogue.elements.len() * QoeMetric::ALL.len();
        if n > self.series.len() {
            self.series.resize(n, SeriesState::fresh());
        }
    }

    /// Appends the state of series `index` (element × metrics + metric)
    /// to `w`.
    pub fn write_series(&self, index: usize, w: &mut crate::bytes::Writer) {
        self.series[index].write(w);
    }

    /// Replaces the state of series `index` with one read from `r`;
    /// `false` (and nothing changed) when it does not read.
    pub fn read_series(&mut self, index: usize, r: &mut crate::bytes::Reader) -> bool {
        match (SeriesState::read(r), self.series.get_mut(index)) {
            (Some(state), Some(slot)) => {
                *slot = state;
                true
            }
            _ => false,
        }
    }

    /// Whether series `index` has learned enough to be scored.
    pub fn is_warm(&self, index: usize) -> bool {
        self.series.get(index).is_some_and(|s| s.forecaster.is_warm())
    }

    /// Number of series.
    pub fn len(&self) -> usize {
        self.series.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// The forecast of `metric` on catalogue element `element` at
    /// `minute_of_week` and its standard deviation (floored as in
    /// [`Monitor::score`]), without learning: the expected band of a chart.
    pub fn band(&self, element: usize, metric: QoeMetric, minute_of_week: u32) -> (f64, f64) {
        let (expected, sd) =
            self.series[element * QoeMetric::ALL.len() + metric.index()].forecaster.band(minute_of_week);
        (expected, floored_sd(metric, expected, sd))
    }

    /// Scores one interval (`minute_of_week` from Monday 00:00 UTC) of
    /// element aggregates; returns the scores of the series that passed the
    /// volume gate and are warm.
    ///
    /// The forecast z is smoothed over three intervals. For per-attempt
    /// rates it is computed on the event counts of those intervals against
    /// the counts the forecast rate predicts, on Anscombe's square-root
    /// scale, because at a few dozen attempts a minute a rate's noise is
    /// that of a small count, far from Gaussian. Every other metric's
    /// standard deviation is floored at 2% of its forecast, and traffic's
    /// at the Poisson √expected. `elements` are indexed as `catalogue`'s
    /// elements, whose parents the correlation scorer compares with.
    pub fn score(&mut self, minute_of_week: u32, elements: &[Aggregate], catalogue: &Catalogue) -> Vec<SeriesScore> {
        let mut out = Vec::new();
        for (e, agg) in elements.iter().enumerate() {
            for (k, &metric) in QoeMetric::ALL.iter().enumerate() {
                let Some(x) = metric.value(agg) else { continue };
                let state = &mut self.series[e * QoeMetric::ALL.len() + k];
                let warm = state.forecaster.is_warm();
                let f = state.forecaster.update(minute_of_week, x);
                let sd = floored_sd(metric, f.expected, f.sd);
                let forecast_z = if metric.per_attempt() {
                    let n = agg.attempts as f64;
                    state.last = [state.last[1], state.last[2], ((x * n) as f32, (f.expected.max(0.0) * n) as f32)];
                    let (k, lambda) =
                        state.last.iter().fold((0.0, 0.0), |(a, b), &(o, e)| (a + f64::from(o), b + f64::from(e)));
                    2.0 * ((k + 0.375).sqrt() - (lambda + 0.375).sqrt())
                } else {
                    let z = ((x - f.expected) / sd) as f32;
                    state.last = [state.last[1], state.last[2], (z, 0.0)];
                    f64::from(state.last.iter().map(|l| l.0).sum::<f32>() / 3.0)
                };
                let derivative = derivative_z(&state.recent, x, sd);
                if state.recent.len() == RECENT {
                    state.recent.pop_front();
                }
                state.recent.push_back(x as f32);
                if !warm || agg.attempts < self.config.min_attempts {
                    continue;
                }
                out.push(SeriesScore {
                    element: e,
                    metric,
                    observed: x,
                    expected: f.expected,
                    sd,
                    forecast_z,
                    derivative_z: derivative,
                    correlation_z: forecast_z,
                    attempts: agg.attempts,
                });
            }
        }
        crate::correlation::correlate(&mut out, elements, catalogue, self.config.min_attempts);
        out
    }
}

/// The forecaster's standard deviation, never below 2% of the forecast,
/// and for traffic never below the Poisson √expected.
fn floored_sd(metric: QoeMetric, expected: f64, sd: f64) -> f64 {
    let sd = sd.max(RELATIVE_FLOOR * expected.abs()).max(1e-9);
    if metric == QoeMetric::Attempts {
        sd.max(expected.max(1.0).sqrt())
    } else {
        sd
    }
}

/// Mean of the last five values (with `x`) against the mean of the thirty
/// before, in standard deviations of a five-value mean.
fn derivative_z(recent: &VecDeque<f32>, x: f64, sd: f64) -> f64 {
    if recent.len() < RECENT {
        return 0.0;
    }
    let n = recent.len();
    let last: f64 = recent.iter().skip(n - 4).map(|&v| f64::from(v)).sum::<f64>() + x;
    let before: f64 = recent.iter().take(n - 4).map(|&v| f64::from(v)).sum::<f64>() / (n - 4) as f64;
    (last / 5.0 - before) / (sd / 5f64.sqrt()).max(1e-12)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEAVES: [[&str; 3]; 4] = [["DE", "A", "tv"], ["DE", "B", "web"], ["FR", "A", "web"], ["FR", "B", "tv"]];

    #[test]
    fn leaves_added_one_by_one_give_the_catalogue_built_at_once() {
        let all: Vec<Vec<&str>> = LEAVES.iter().map(|l| l.to_vec()).collect();
        let at_once = Catalogue::new(&["country", "cdn", "device"], &all, 2);
        let mut grown = Catalogue::new(&["country", "cdn", "device"], &all[..1], 2);
        let before = grown.elements.clone();
        for leaf in &all[1..] {
            grown.add_leaf(leaf);
        }
        assert_eq!(grown.elements[..before.len()], before[..], "existing indices stay");
        assert_eq!(grown.elements.len(), at_once.elements.len());
        let leaves: Vec<Aggregate> = (1..=4).map(|n| Aggregate { attempts: n, ..Aggregate::default() }).collect();
        for (i, e) in grown.elements.iter().enumerate() {
            let label = grown.label(e);
            let j = at_once.index_of_label(&label).unwrap();
            assert_eq!(grown.aggregate_one(i, &leaves).attempts, at_once.aggregate_one(j, &leaves).attempts, "{label}");
        }
        assert_eq!(grown.aggregate_one(grown.index_of_label("cdn=A").unwrap(), &leaves).attempts, 1 + 3);
        assert_eq!(grown.index_of_label("total"), Some(0));
        assert_eq!(grown.index_of_label("cdn=Z"), None);
        assert_eq!(grown.index_of_label("cdn=A&country=DE&device=tv"), None, "three dimensions are not monitored");
    }

    #[test]
    fn a_grown_monitor_scores_the_new_series() {
        let mut c = Catalogue::new(&["cdn"], &[vec!["A"]], 1);
        let mut m = Monitor::new(&c, ScoreConfig { min_attempts: 1 });
        c.add_leaf(&["B"]);
        m.grow(&c);
        assert_eq!(m.len(), 3 * QoeMetric::ALL.len());
        let agg = Aggregate { attempts: 50, ..Aggregate::default() };
        let elements = c.aggregate(&[agg.clone(), agg]);
        let mut scored = Vec::new();
        for minute in 0..1500 {
            scored = m.score(minute, &elements, &c);
        }
        let b = c.index_of_label("cdn=B").unwrap();
        assert!(scored.iter().any(|s| s.element == b && s.metric == QoeMetric::Attempts && s.observed == 50.0));
    }
}
