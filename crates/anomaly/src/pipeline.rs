//! The alarm pipeline: one interval of leaf aggregates in, alarm changes
//! out. It is what `alarms detect` and `serve` run, minute after minute:
//!
//! leaves → element aggregates → scores (forecast and derivative families)
//! → classification (anticipated, external, low impact, actionable) →
//! alarms with their lifecycle → localization ten minutes after opening →
//! a chart of the alarm's first series with its expected band.
//!
//! Causal: every figure of minute `m` is computed from minutes `≤ m`. The
//! first `warmup_minutes` only teach the forecasters (weekly factors need a
//! week of data). Memory is bounded: the leaves of the last
//! [`KEPT_MINUTES`] minutes, the detector state of each series, and the
//! alarms still open or being charted; suppressed anomalies leave with each
//! step's output.

use std::collections::HashMap;

use serde::Serialize;
use showrunner_telemetry::Aggregate;

use crate::alarms::{AlarmBook, Classification, DetectConfig, Explanation, Severity};
use crate::calendar::{Calendar, CalendarEvent, ScheduledEvent};
use crate::explain::QoeMetric;
use crate::history::{LeafHistory, EXPLAIN_AFTER, KEPT_MINUTES};
use crate::monitor::{Catalogue, Monitor, ScoreConfig};

/// Minutes charted before an alarm opened.
pub const CHART_BEFORE: u32 = 60;
/// Minutes charted after an alarm resolved.
pub const CHART_AFTER: u32 = 15;

// A localized alarm's chart is redrawn from the kept leaves.
const _: () = assert!(CHART_BEFORE + EXPLAIN_AFTER < KEPT_MINUTES);

/// What the pipeline monitors and how.
#[derive(Debug, Clone, Copy)]
pub struct PipelineConfig {
    /// Dimensions per monitored element (2 = the total, every value and
    /// every pair of values).
    pub max_layer: usize,
    /// Volume gate.
    pub score: ScoreConfig,
    /// Detection and classification thresholds.
    pub detect: DetectConfig,
    /// Minutes that only teach the forecasters.
    pub warmup_minutes: u32,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            max_layer: 2,
            score: ScoreConfig::default(),
            detect: DetectConfig::default(),
            warmup_minutes: 7 * 1440,
        }
    }
}

/// The `[alarms]` settings of `showrunner.toml`: what `serve` monitors.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlarmsConfig {
    /// Dimensions per monitored element (default 2: the total, every value
    /// and every pair of values).
    pub max_layer: usize,
    /// Days that only teach the forecasters (default 7: weekly factors
    /// need a week).
    pub warmup_days: u32,
    /// Least attempts per minute for an element's series to be scored
    /// (default 25), so tiny cohorts do not alarm.
    pub min_attempts: u64,
    /// Seconds of event time after a minute's end before it is closed and
    /// scored (default 120); later events for it are refused as late.
    pub lateness_s: u32,
    /// Calendar of anticipated events (TOML `[[event]]` tables; default
    /// none).
    pub calendar: Option<std::path::PathBuf>,
}

impl Default for AlarmsConfig {
    fn default() -> Self {
        AlarmsConfig { max_layer: 2, warmup_days: 7, min_attempts: 25, lateness_s: 120, calendar: None }
    }
}

impl AlarmsConfig {
    /// Checks that the settings can work.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=4).contains(&self.max_layer) {
            return Err(format!(
                "alarms.max_layer = {}: monitor between 1 and 4 dimensions per element",
                self.max_layer
            ));
        }
        if self.warmup_days > 60 {
            return Err(format!("alarms.warmup_days = {}: at most 60", self.warmup_days));
        }
        Ok(())
    }

    /// The pipeline settings.
    pub fn pipeline(&self) -> PipelineConfig {
        PipelineConfig {
            max_layer: self.max_layer,
            score: ScoreConfig { min_attempts: self.min_attempts },
            detect: DetectConfig::default(),
            warmup_minutes: self.warmup_days * 1440,
        }
    }
}

/// One point of an alarm chart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct ChartPoint {
    /// Interval start, ms since the epoch.
    pub time_ms: i64,
    /// The observed value (`None` when its denominator was zero).
    pub observed: Option<f64>,
    /// The forecast (NaN, written `null`, where there is none).
    #[serde(deserialize_with = "null_as_nan")]
    pub expected: f64,
    /// Standard deviation of normal values: the band is `expected ± 3·sd`.
    #[serde(deserialize_with = "null_as_nan")]
    pub sd: f64,
}

/// Reads back a number that JSON wrote as `null` because it was NaN.
fn null_as_nan<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(<Option<f64> as serde::Deserialize>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// The series an alarm opened on, around the anomaly window.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Chart {
    /// Its element, `dim=value&…`.
    pub element: String,
    /// Its metric's name.
    pub metric: String,
    /// One point per interval, in time order.
    pub points: Vec<ChartPoint>,
}

/// An alarm as it leaves the pipeline: labels instead of catalogue
/// indices, times in ms since the epoch.
#[derive(Debug, Clone, Serialize)]
pub struct AlarmRecord {
    /// The pipeline's id for it (unique within one pipeline).
    pub key: usize,
    /// Interval it opened.
    pub opened_ms: i64,
    /// Last interval with an anomaly.
    pub last_ms: i64,
    /// Interval it resolved, once it has.
    pub resolved_ms: Option<i64>,
    /// Elements involved, the opening one first.
    pub elements: Vec<String>,
    /// Metrics involved, the opening one first.
    pub metrics: Vec<String>,
    /// Largest |z| seen.
    pub peak_z: f64,
    /// Sessions at stake (attempts of the opening element at opening).
    pub attempts: u64,
    /// Severity score.
    pub severity: f64,
    /// Its level.
    pub level: Severity,
    /// One line: what moved, where, by how much.
    pub summary: String,
    /// Where the deviation comes from, once localized.
    pub explanation: Option<Explanation>,
    /// The opening series around the window.
    pub chart: Chart,
}

/// What happened to an alarm in a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// It opened.
    Opened,
    /// It was localized.
    Explained,
    /// It resolved.
    Resolved,
    /// Anything else: new points, a related series joined.
    Updated,
}

/// A suppressed anomaly, labelled: as the pipeline emits it and the store
/// keeps it.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct SuppressedRecord {
    /// Interval, ms since the epoch.
    pub time_ms: i64,
    /// Element, `dim=value&…`.
    pub element: String,
    /// Metric name.
    pub metric: String,
    /// Observed value.
    pub observed: f64,
    /// Forecast.
    pub expected: f64,
    /// Smoothed forecast z.
    pub forecast_z: f64,
    /// Derivative z.
    pub derivative_z: f64,
    /// Correlation z (the deviation the siblings do not share).
    pub correlation_z: f64,
    /// Attempts of the element.
    pub attempts: u64,
    /// Why it was suppressed.
    pub class: Classification,
}

/// The output of one step.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Step {
    /// Alarms that changed, with how.
    pub alarms: Vec<(Change, AlarmRecord)>,
    /// Anomalies suppressed this interval.
    pub suppressed: Vec<SuppressedRecord>,
}

/// The chart being recorded for an alarm.
#[derive(Debug, Clone)]
struct Trace {
    alarm: usize,
    element: usize,
    metric: QoeMetric,
    summary: String,
    points: Vec<ChartPoint>,
}

/// Why a pipeline could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PipelineError {
    /// A leaf's values do not match the dimensions.
    #[error("leaf {leaf} has {got} values for {want} dimensions")]
    LeafWidth {
        /// Its index.
        leaf: usize,
        /// Values given.
        got: usize,
        /// Dimensions.
        want: usize,
    },
    /// Nothing to monitor.
    #[error("no leaves to monitor")]
    NoLeaves,
    /// A saved state that does not read.
    #[error("not a detector snapshot of this version, or a damaged one")]
    Snapshot,
    /// An interval did not have one aggregate per leaf.
    #[error("interval has {got} leaf aggregates, the pipeline monitors {want} leaves")]
    IntervalWidth {
        /// Aggregates given.
        got: usize,
        /// Leaves monitored.
        want: usize,
    },
}

/// The running pipeline.
#[derive(Debug)]
pub struct AlarmPipeline {
    config: PipelineConfig,
    dims: Vec<String>,
    leaf_values: Vec<Vec<String>>,
    catalogue: Catalogue,
    monitor: Monitor,
    book: AlarmBook,
    history: LeafHistory,
    calendar: Calendar,
    traces: Vec<Trace>,
    start_ms: i64,
    next_minute: u32,
    /// Saved series states not yet matched to a monitored series (their
    /// element has not appeared yet), by (element label, metric index).
    restoring: HashMap<(String, u8), Vec<u8>>,
    /// Minutes learned by the runs this one continues.
    prior_minutes: u32,
}

impl AlarmPipeline {
    /// A pipeline over the given leaves (`leaf_values[i]` holds leaf i's
    /// value of each of `dims`), whose minute 0 starts at `start_ms`
    /// (a whole minute, UTC). Calendar events whose scope names a dimension
    /// or value not seen (yet) explain nothing until it is.
    pub fn new(
        dims: &[String],
        leaf_values: Vec<Vec<String>>,
        start_ms: i64,
        calendar: &[CalendarEvent],
        config: PipelineConfig,
    ) -> Result<Self, PipelineError> {
        if leaf_values.is_empty() {
            return Err(PipelineError::NoLeaves);
        }
        if let Some((leaf, v)) = leaf_values.iter().enumerate().find(|(_, v)| v.len() != dims.len()) {
            return Err(PipelineError::LeafWidth { leaf, got: v.len(), want: dims.len() });
        }
        let names: Vec<&str> = dims.iter().map(String::as_str).collect();
        let values: Vec<Vec<&str>> = leaf_values.iter().map(|l| l.iter().map(String::as_str).collect()).collect();
        let catalogue = Catalogue::new(&names, &values, config.max_layer);
        let monitor = Monitor::new(&catalogue, config.score);
        let calendar = Calendar::new(calendar.to_vec());
        Ok(AlarmPipeline {
            config,
            dims: dims.to_vec(),
            leaf_values,
            catalogue,
            monitor,
            book: AlarmBook::default(),
            history: LeafHistory::default(),
            calendar,
            traces: Vec::new(),
            start_ms: start_ms.div_euclid(60_000) * 60_000,
            next_minute: 0,
            restoring: HashMap::new(),
            prior_minutes: 0,
        })
    }

    /// Adds a leaf seen for the first time (live telemetry meets new
    /// combinations as it goes); its new series start learning now.
    /// Returns its index: the position of its aggregate in later steps.
    pub fn add_leaf(&mut self, values: Vec<String>) -> Result<usize, PipelineError> {
        if values.len() != self.dims.len() {
            let leaf = self.leaf_values.len();
            return Err(PipelineError::LeafWidth { leaf, got: values.len(), want: self.dims.len() });
        }
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        let elements_before = self.catalogue.elements.len();
        let index = self.catalogue.add_leaf(&refs);
        self.monitor.grow(&self.catalogue);
        self.restore_pending(elements_before);
        self.leaf_values.push(values);
        Ok(index)
    }

    /// What the pipeline has learned, encoded (see [`crate::snapshot`]):
    /// every warm series and the calendar's learned effects.
    pub fn snapshot(&self) -> Vec<u8> {
        let metrics = QoeMetric::ALL.len();
        let mut series: Vec<(String, u8, Vec<u8>)> = (0..self.monitor.len())
            .filter(|&i| self.monitor.is_warm(i))
            .map(|i| {
                let mut w = crate::bytes::Writer::default();
                self.monitor.write_series(i, &mut w);
                (self.catalogue.label(&self.catalogue.elements[i / metrics]), (i % metrics) as u8, w.bytes)
            })
            .collect();
        // States saved earlier whose element has not come back yet are kept.
        series.extend(self.restoring.iter().map(|((label, m), state)| (label.clone(), *m, state.clone())));
        crate::snapshot::encode(self.prior_minutes + self.next_minute, &self.calendar.effects(), &series)
    }

    /// Takes back what a pipeline saved with [`AlarmPipeline::snapshot`]:
    /// series found by element label and metric (those whose element has
    /// not appeared yet are restored when it does), learned event effects,
    /// and the warm-up already done, which is not done again. Returns the
    /// series restored now.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<usize, PipelineError> {
        let snapshot = crate::snapshot::decode(bytes).ok_or(PipelineError::Snapshot)?;
        self.config.warmup_minutes = self.config.warmup_minutes.saturating_sub(snapshot.minutes);
        self.prior_minutes = snapshot.minutes;
        self.calendar.restore_effects(snapshot.effects);
        self.restoring = snapshot.series;
        Ok(self.restore_pending(0))
    }

    /// Restores the saved states of elements from `first` on.
    fn restore_pending(&mut self, first: usize) -> usize {
        if self.restoring.is_empty() {
            return 0;
        }
        let mut restored = 0;
        for e in first..self.catalogue.elements.len() {
            let label = self.catalogue.label(&self.catalogue.elements[e]);
            for m in 0..QoeMetric::ALL.len() {
                if let Some(state) = self.restoring.remove(&(label.clone(), m as u8)) {
                    let index = e * QoeMetric::ALL.len() + m;
                    restored += usize::from(self.monitor.read_series(index, &mut crate::bytes::Reader::new(&state)));
                }
            }
        }
        restored
    }

    /// Replaces the calendar (it was edited), keeping the effects learned so
    /// far; starts are absolute.
    pub fn set_calendar(&mut self, events: &[ScheduledEvent]) {
        self.calendar.set_events(events.iter().map(|e| e.relative_to(self.start_ms)).collect());
    }

    /// Monitored series (elements × metrics).
    pub fn series(&self) -> usize {
        self.monitor.len()
    }

    /// Leaves monitored, in the order `step` expects their aggregates.
    pub fn leaves(&self) -> usize {
        self.leaf_values.len()
    }

    /// Minutes stepped so far.
    pub fn minutes(&self) -> u32 {
        self.next_minute
    }

    fn time_ms(&self, minute: u32) -> i64 {
        self.start_ms + i64::from(minute) * 60_000
    }

    /// Minute of the week (0 = Monday 00:00 UTC) of a pipeline minute; the
    /// epoch was a Thursday.
    fn minute_of_week(&self, minute: u32) -> u32 {
        ((self.start_ms / 60_000 + i64::from(minute) + 3 * 1440).rem_euclid(10_080)) as u32
    }

    /// Takes the next interval's aggregate of every leaf (zeros for leaves
    /// without events) and returns what changed.
    pub fn step(&mut self, leaves: Vec<Aggregate>) -> Result<Step, PipelineError> {
        if leaves.len() != self.leaf_values.len() {
            return Err(PipelineError::IntervalWidth { got: leaves.len(), want: self.leaf_values.len() });
        }
        let minute = self.next_minute;
        self.next_minute += 1;
        let mow = self.minute_of_week(minute);
        let elements = self.catalogue.aggregate(&leaves);
        // Chart points of this minute, against the forecast that scores it.
        for t in &mut self.traces {
            let (expected, sd) = self.monitor.band(t.element, t.metric, mow);
            let observed = t.metric.value(&elements[t.element]);
            t.points.push(ChartPoint { time_ms: self.start_ms + i64::from(minute) * 60_000, observed, expected, sd });
        }
        let forecast = QoeMetric::ALL.map(|metric| self.monitor.band(0, metric, mow).0);
        self.history.push(minute, leaves, forecast);
        let scores = self.monitor.score(mow, &elements, &self.catalogue);
        self.calendar.learn(minute, &scores, &self.catalogue);
        let mut step = Step::default();
        if minute < self.config.warmup_minutes {
            return Ok(step);
        }
        let before: Vec<(usize, bool)> = self.book.alarms.iter().map(|a| (a.id, a.resolved.is_some())).collect();
        self.book.step(minute, &scores, &self.catalogue, &self.calendar, &self.config.detect);
        let mut changes: Vec<(usize, Change)> = Vec::new();
        for alarm in &self.book.alarms {
            match before.iter().find(|(id, _)| *id == alarm.id) {
                None => {
                    let (element, metric) = (alarm.elements[0], alarm.metrics[0]);
                    let opening = scores.iter().find(|s| s.element == element && s.metric == metric);
                    let first = minute.saturating_sub(CHART_BEFORE);
                    let scored = opening.map(|s| (minute, (s.expected, s.sd)));
                    let points = self.chart_points(element, metric, first..minute + 1, scored);
                    let summary = opening.map_or_else(String::new, |s| {
                        describe(
                            metric,
                            s.observed,
                            s.expected,
                            &self.catalogue.label(&self.catalogue.elements[element]),
                        )
                    });
                    self.traces.push(Trace { alarm: alarm.id, element, metric, summary, points });
                    changes.push((alarm.id, Change::Opened));
                }
                Some((_, false)) if alarm.resolved.is_some() => changes.push((alarm.id, Change::Resolved)),
                Some(_) if alarm.resolved.is_none() => changes.push((alarm.id, Change::Updated)),
                Some(_) => {}
            }
        }
        // The leaves' values are gathered only in a minute that localizes
        // an alarm: with millions of leaves, not every minute.
        let due = self.book.alarms.iter().any(|a| a.explanation.is_none() && minute == a.opened + EXPLAIN_AFTER);
        let values: Vec<Vec<&str>> = if due {
            self.leaf_values.iter().map(|l| l.iter().map(String::as_str).collect()).collect()
        } else {
            Vec::new()
        };
        let mut explained: Vec<(usize, u32, QoeMetric, Option<usize>)> = Vec::new();
        for alarm in
            self.book.alarms.iter_mut().filter(|a| a.explanation.is_none() && minute == a.opened + EXPLAIN_AFTER)
        {
            alarm.explanation = self.history.explain(&self.dims, &values, alarm.opened, minute, alarm.metrics[0]);
            let root = alarm.explanation.as_ref().and_then(|e| e.elements.first());
            explained.push((
                alarm.id,
                alarm.opened,
                alarm.metrics[0],
                root.and_then(|r| self.catalogue.index_of_label(r)),
            ));
            match changes.iter_mut().find(|(id, _)| *id == alarm.id) {
                Some(c) if c.1 == Change::Updated => c.1 = Change::Explained,
                Some(_) => {}
                None => changes.push((alarm.id, Change::Explained)),
            }
        }
        // Once localized, an alarm charts the series where it happened
        // rather than the one that crossed the threshold first (often the
        // total).
        for (id, opened, metric, root) in explained {
            let Some(root) = root else { continue };
            let points = self.chart_points(root, metric, opened.saturating_sub(CHART_BEFORE)..minute + 1, None);
            let summary = points
                .iter()
                .find(|p| p.time_ms == self.time_ms(opened))
                .and_then(|p| p.observed.map(|o| (o, p.expected)))
                .map(|(o, e)| describe(metric, o, e, &self.catalogue.label(&self.catalogue.elements[root])));
            if let Some(t) = self.traces.iter_mut().find(|t| t.alarm == id && t.element != root) {
                t.element = root;
                t.points = points;
                if let Some(summary) = summary {
                    t.summary = summary;
                }
            }
        }
        // Resolved alarms are charted a little longer, then leave the book.
        let done: Vec<usize> = self
            .book
            .alarms
            .iter()
            .filter(|a| a.resolved.is_some_and(|r| minute >= r + CHART_AFTER))
            .map(|a| a.id)
            .collect();
        for &id in &done {
            if !changes.iter().any(|(c, _)| *c == id) {
                changes.push((id, Change::Updated));
            }
        }
        step.alarms = changes.iter().filter_map(|&(id, change)| self.record(id).map(|r| (change, r))).collect();
        self.book.alarms.retain(|a| !done.contains(&a.id));
        self.traces.retain(|t| !done.contains(&t.alarm));
        step.suppressed = std::mem::take(&mut self.book.suppressed)
            .into_iter()
            .map(|s| SuppressedRecord {
                time_ms: self.time_ms(s.minute),
                element: self.catalogue.label(&self.catalogue.elements[s.score.element]),
                metric: s.score.metric.name().to_string(),
                observed: s.score.observed,
                expected: s.score.expected,
                forecast_z: s.score.forecast_z,
                derivative_z: s.score.derivative_z,
                correlation_z: s.score.correlation_z,
                attempts: s.score.attempts,
                class: s.class,
            })
            .collect();
        Ok(step)
    }

    /// Chart points of `minutes` still kept, against the forecast as it
    /// stands — except `scored`, the band that scored one minute.
    fn chart_points(
        &self,
        element: usize,
        metric: QoeMetric,
        minutes: std::ops::Range<u32>,
        scored: Option<(u32, (f64, f64))>,
    ) -> Vec<ChartPoint> {
        minutes
            .filter_map(|m| {
                let leaves = self.history.leaves(m)?;
                let observed = metric.value(&self.catalogue.aggregate_one(element, leaves));
                let (expected, sd) = match scored {
                    Some((at, band)) if at == m => band,
                    _ => self.monitor.band(element, metric, self.minute_of_week(m)),
                };
                Some(ChartPoint { time_ms: self.time_ms(m), observed, expected, sd })
            })
            .collect()
    }

    fn record(&self, id: usize) -> Option<AlarmRecord> {
        let a = self.book.alarms.iter().find(|a| a.id == id)?;
        let trace = self.traces.iter().find(|t| t.alarm == id)?;
        let label = |e: usize| self.catalogue.label(&self.catalogue.elements[e]);
        Some(AlarmRecord {
            key: id,
            opened_ms: self.time_ms(a.opened),
            last_ms: self.time_ms(a.last),
            resolved_ms: a.resolved.map(|r| self.time_ms(r)),
            elements: a.elements.iter().map(|&e| label(e)).collect(),
            metrics: a.metrics.iter().map(|m| m.name().to_string()).collect(),
            peak_z: a.peak_z,
            attempts: a.attempts,
            severity: a.severity,
            level: Severity::of(a.severity),
            summary: trace.summary.clone(),
            explanation: a.explanation.clone(),
            chart: Chart {
                element: label(trace.element),
                metric: trace.metric.name().to_string(),
                points: trace.points.clone(),
            },
        })
    }
}

/// "rebuffering_ratio 0.0240 against 0.0040 expected (+500%) on cdn=B&…".
fn describe(metric: QoeMetric, observed: f64, expected: f64, element: &str) -> String {
    let change =
        if expected.abs() > 0.0 { format!(" ({:+.0}%)", 100.0 * (observed / expected - 1.0)) } else { String::new() };
    format!("{} {observed:.4} against {expected:.4} expected{change} on {element}", metric.name())
}

#[cfg(test)]
mod tests {
    use super::*;
    use showrunner_telemetry::simulate::scenario::ScenarioEvent;
    use showrunner_telemetry::simulate::world::DIMENSIONS;
    use showrunner_telemetry::simulate::{QoeSimulation, SimSpec};

    /// Eight and a half days: a week of learning, then a power cut in FR
    /// and a 40-minute rebuffering incident on CDN-B × ISP-3 × DE.
    fn run() -> (QoeSimulation, Vec<Step>) {
        let mut sim = QoeSimulation::new(SimSpec::new(9, 11));
        let day = 1440;
        sim.events = vec![
            ScenarioEvent::power_cut("FR", 7 * day + 11 * 60, 60),
            ScenarioEvent::cdn_isp_rebuffering("B", "ISP-3", "DE", 8 * day + 2 * 60, 40),
        ];
        let dims: Vec<String> = DIMENSIONS.iter().map(|d| d.to_string()).collect();
        let leaves: Vec<Vec<String>> =
            sim.leaves.iter().map(|l| l.values().iter().map(|v| v.to_string()).collect()).collect();
        let mut p = AlarmPipeline::new(&dims, leaves, sim.time_ms(0), &[], PipelineConfig::default()).unwrap();
        let steps = (0..8 * day + 4 * 60).map(|m| p.step(sim.minute(m)).unwrap()).collect();
        (sim, steps)
    }

    #[test]
    fn an_incident_opens_is_localized_charted_and_resolves_and_a_power_cut_is_suppressed() {
        let (sim, steps) = run();
        let incident_ms = sim.time_ms(8 * 1440 + 2 * 60);
        let changes: Vec<&(Change, AlarmRecord)> = steps.iter().flat_map(|s| &s.alarms).collect();
        let opened: Vec<&AlarmRecord> = changes.iter().filter(|(c, _)| *c == Change::Opened).map(|(_, r)| r).collect();
        assert_eq!(opened.len(), 1, "{opened:#?}");
        let alarm = opened[0];
        assert!((incident_ms..=incident_ms + 3 * 60_000).contains(&alarm.opened_ms), "{alarm:?}");
        assert_eq!(alarm.metrics[0], "rebuffering_ratio");
        assert!(alarm.summary.starts_with("rebuffering_ratio "), "{}", alarm.summary);
        let explained = changes.iter().find(|(c, _)| *c == Change::Explained).map(|(_, r)| r).unwrap();
        assert_eq!(
            explained.opened_ms + i64::from(EXPLAIN_AFTER) * 60_000,
            explained.chart.points.last().unwrap().time_ms
        );
        let explanation = explained.explanation.as_ref().unwrap();
        assert_eq!(explanation.elements, ["cdn=B&country=DE&isp=ISP-3"], "{explanation:?}");
        // It resolves after the incident's 40 minutes, and its final chart
        // runs from an hour before to a quarter hour after.
        let last = changes.iter().rfind(|(_, r)| r.key == alarm.key).map(|(_, r)| r).unwrap();
        let resolved = last.resolved_ms.unwrap();
        assert!((incident_ms + 40 * 60_000..=incident_ms + 60 * 60_000).contains(&resolved), "{resolved}");
        let points = &last.chart.points;
        assert_eq!(points[0].time_ms, alarm.opened_ms - i64::from(CHART_BEFORE) * 60_000);
        assert_eq!(points.last().unwrap().time_ms, resolved + i64::from(CHART_AFTER) * 60_000);
        assert!(points.windows(2).all(|w| w[1].time_ms - w[0].time_ms == 60_000));
        // Inside the band before, far above it during the incident.
        let outside = |p: &ChartPoint| p.observed.is_some_and(|o| o > p.expected + 3.0 * p.sd);
        let before: Vec<&ChartPoint> = points.iter().filter(|p| p.time_ms < incident_ms).collect();
        let during: Vec<&ChartPoint> = points
            .iter()
            .filter(|p| (incident_ms + 5 * 60_000..incident_ms + 35 * 60_000).contains(&p.time_ms))
            .collect();
        assert!(before.iter().filter(|p| outside(p)).count() <= 2, "{before:?}");
        assert!(during.iter().all(|p| outside(p)), "{during:?}");
        // The power cut was seen and suppressed as external, with evidence.
        let cut_ms = sim.time_ms(7 * 1440 + 11 * 60);
        let external: Vec<&SuppressedRecord> = steps
            .iter()
            .flat_map(|s| &s.suppressed)
            .filter(|s| matches!(s.class, Classification::External { .. }))
            .collect();
        assert!(external.iter().any(|s| s.element == "country=FR" && s.observed < 0.5 * s.expected), "{external:?}");
        assert!(external.iter().all(|s| (cut_ms..cut_ms + 100 * 60_000).contains(&s.time_ms)), "{external:?}");
    }

    #[test]
    fn a_restarted_pipeline_takes_back_what_it_learned() {
        let sim = QoeSimulation::new(SimSpec::new(2, 3));
        let dims: Vec<String> = DIMENSIONS.iter().map(|d| d.to_string()).collect();
        let values: Vec<Vec<String>> =
            sim.leaves.iter().map(|l| l.values().iter().map(|v| v.to_string()).collect()).collect();
        let config = PipelineConfig { warmup_minutes: 1440, ..PipelineConfig::default() };
        let mut first = AlarmPipeline::new(&dims, values.clone(), sim.time_ms(0), &[], config).unwrap();
        for m in 0..1500 {
            first.step(sim.minute(m)).unwrap();
        }
        let saved = first.snapshot();
        // The restart meets its leaves in another order, half of them later.
        let order: Vec<usize> = (0..values.len()).rev().collect();
        let (now, later) = order.split_at(values.len() / 2);
        let config = PipelineConfig { warmup_minutes: 7 * 1440, ..config };
        let mut second =
            AlarmPipeline::new(&dims, now.iter().map(|&i| values[i].clone()).collect(), sim.time_ms(1500), &[], config)
                .unwrap();
        let restored_now = second.restore(&saved).unwrap();
        for &i in later {
            second.add_leaf(values[i].clone()).unwrap();
        }
        assert!(restored_now > 0 && second.restoring.is_empty(), "{restored_now}");
        assert_eq!(second.config.warmup_minutes, 7 * 1440 - 1500, "the warm-up goes on where it stopped");
        for label in ["total", "cdn=B", "country=DE&isp=ISP-3", "app_version=5.2&device=android"] {
            let (a, b) =
                (first.catalogue.index_of_label(label).unwrap(), second.catalogue.index_of_label(label).unwrap());
            for metric in [QoeMetric::Attempts, QoeMetric::RebufferingRatio] {
                let (x, y) = (first.monitor.band(a, metric, 2000), second.monitor.band(b, metric, 2000));
                assert_eq!(x, y, "{label} {metric:?}");
            }
        }
        second.step(vec![Aggregate::default(); values.len()]).unwrap();
        assert_eq!(crate::snapshot::decode(&second.snapshot()).unwrap().minutes, 1501);
        assert_eq!(second.restore(&saved[..saved.len() - 2]), Err(PipelineError::Snapshot));
    }

    #[test]
    fn bad_shapes_are_refused() {
        let dims = vec!["cdn".to_string(), "country".to_string()];
        let err = AlarmPipeline::new(&dims, vec![vec!["A".into()]], 0, &[], PipelineConfig::default()).unwrap_err();
        assert_eq!(err.to_string(), "leaf 0 has 1 values for 2 dimensions");
        assert_eq!(
            AlarmPipeline::new(&dims, vec![], 0, &[], PipelineConfig::default()).unwrap_err(),
            PipelineError::NoLeaves
        );
        let mut p =
            AlarmPipeline::new(&dims, vec![vec!["A".into(), "DE".into()]], 0, &[], PipelineConfig::default()).unwrap();
        let err = p.step(vec![Aggregate::default(); 2]).unwrap_err();
        assert_eq!(err.to_string(), "interval has 2 leaf aggregates, the pipeline monitors 1 leaves");
        assert_eq!(p.add_leaf(vec!["B".into()]).unwrap_err().to_string(), "leaf 1 has 1 values for 2 dimensions");
        assert_eq!(p.add_leaf(vec!["B".into(), "DE".into()]), Ok(1));
        assert_eq!(p.series(), 6 * QoeMetric::ALL.len(), "total, cdn=A, cdn=B, DE, and two pairs");
        assert!(p.step(vec![Aggregate::default(); 2]).is_ok());
    }
}
