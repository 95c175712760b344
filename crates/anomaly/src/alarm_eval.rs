//! `eval alarms`: the alarm pipeline on a QoE simulation, scored against
//! its ground truth, side by side with the forecasting-only baseline.
//!
//! The detector sees what production would: the telemetry, minute by
//! minute, and the calendar file — never the truth. The first
//! [`WARMUP_DAYS`] are for learning (weekly factors need a week); alarms
//! opened and incidents starting in them are not scored.
//!
//! An alarm *matches* an incident when their times overlap (the incident
//! from its start to 15 minutes after its end) and one of the alarm's
//! elements shares leaves with the incident's scope.

use std::collections::BTreeMap;

use serde::Serialize;
use showrunner_telemetry::simulate::scenario::EventClass;
use showrunner_telemetry::simulate::world::DIMENSIONS;
use showrunner_telemetry::simulate::QoeSimulation;

use crate::alarms::{AlarmBook, Classification, DetectConfig};
use crate::calendar::{Calendar, CalendarEvent};
use crate::explain::QoeMetric;
use crate::history::{LeafHistory, EXPLAIN_AFTER};
use crate::monitor::{Catalogue, Element, Monitor, ScoreConfig};

/// Dimensions per monitored element: the total, every value, every pair
/// and every triple of values (10,185 series on the simulator's 630
/// leaves).
pub const MAX_LAYER: usize = 4;

/// Days of learning before scoring.
pub const WARMUP_DAYS: u32 = 7;

/// Figures of one method.
#[derive(Debug, Clone, Serialize)]
pub struct MethodReport {
    /// `special_events` or `forecast_only`.
    pub method: &'static str,
    /// Alarms opened after the warm-up.
    pub alarms: usize,
    /// Of which matching an incident.
    pub true_alarms: usize,
    /// Incidents with at least one matching alarm.
    pub detected: usize,
    /// Incident recall.
    pub recall: f64,
    /// Alarm precision.
    pub precision: f64,
    /// False alarms per scored day.
    pub false_per_day: f64,
    /// Median minutes from incident start to its first alarm.
    pub ttd_median_min: f64,
    /// 95th percentile of the same.
    pub ttd_p95_min: f64,
    /// Missed incidents for which an anomaly was seen but suppressed.
    pub missed_by_suppression: usize,
    /// Detected incidents whose first alarm's localization is exactly the
    /// incident's scope (as its sole root cause).
    pub localized_exactly: usize,
    /// Suppressed anomalies by class.
    pub suppressed: BTreeMap<&'static str, usize>,
    /// Every scored incident and what became of it.
    pub incidents: Vec<IncidentOutcome>,
    /// The false alarms.
    pub false_alarms: Vec<FalseAlarm>,
}

/// One scored incident and its first alarm.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentOutcome {
    /// The incident's scope, `dim=value&…`.
    pub element: String,
    /// Its first minute.
    pub start_minute: u32,
    /// Minutes from its start to its first alarm; `None` when missed.
    pub alarm_after_min: Option<u32>,
    /// That alarm's localization, worded.
    pub explanation: Option<String>,
}

/// An alarm that matched no incident.
#[derive(Debug, Clone, Serialize)]
pub struct FalseAlarm {
    /// Minute it opened.
    pub opened: u32,
    /// Minutes it stayed open.
    pub minutes: u32,
    /// Its elements.
    pub elements: Vec<String>,
    /// Its metrics.
    pub metrics: Vec<&'static str>,
    /// Largest |z| seen.
    pub peak_z: f64,
}

/// The evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct AlarmEvalReport {
    /// Days scored (after the warm-up).
    pub days_scored: u32,
    /// Monitored series.
    pub series: usize,
    /// Incidents scored.
    pub incidents: usize,
    /// With special-event handling, then the forecasting-only baseline.
    pub methods: Vec<MethodReport>,
}

/// Runs both methods over the whole simulation, monitoring elements of up
/// to `max_layer` dimensions; `progress(minute, total)`.
pub fn evaluate(
    sim: &QoeSimulation,
    calendar: &[CalendarEvent],
    max_layer: usize,
    mut progress: impl FnMut(u32, u32),
) -> AlarmEvalReport {
    let values: Vec<Vec<&str>> = sim.leaves.iter().map(|l| l.values().to_vec()).collect();
    let catalogue = Catalogue::new(&DIMENSIONS, &values, max_layer);
    let mut monitor = Monitor::new(&catalogue, ScoreConfig::default());
    let mut calendar = Calendar::new(calendar.to_vec());
    let configs = [DetectConfig::default(), DetectConfig { special_events: false, ..DetectConfig::default() }];
    let mut books = [AlarmBook::default(), AlarmBook::default()];
    let mut history = LeafHistory::default();
    let dims: Vec<String> = DIMENSIONS.iter().map(|d| d.to_string()).collect();
    let total = sim.minutes();
    for m in 0..total {
        if m % 1440 == 0 {
            progress(m, total);
        }
        let leaves = sim.minute(m);
        let elements = catalogue.aggregate(&leaves);
        history.push(m, leaves, QoeMetric::ALL.map(|metric| monitor.band(0, metric, m % 10_080).0));
        let scores = monitor.score(m % 10_080, &elements, &catalogue);
        calendar.learn(m, &scores, &catalogue);
        if m < WARMUP_DAYS * 1440 {
            continue;
        }
        for (book, config) in books.iter_mut().zip(&configs) {
            book.step(m, &scores, &catalogue, &calendar, config);
            for alarm in book.alarms.iter_mut().filter(|a| a.explanation.is_none() && m == a.opened + EXPLAIN_AFTER) {
                alarm.explanation = history.explain(&dims, &values, alarm.opened, m, alarm.metrics[0]);
            }
        }
    }
    progress(total, total);
    // Every incident can make an alarm true; only those starting after the
    // warm-up count for recall.
    let all_incidents: Vec<(u32, u32, Element)> = sim
        .events
        .iter()
        .filter(|e| e.class == EventClass::Incident)
        .filter_map(|e| catalogue.element_of(&e.scope).map(|el| (e.start_minute, e.start_minute + e.minutes, el)))
        .collect();
    let incidents: Vec<(u32, u32, Element)> =
        all_incidents.iter().filter(|i| i.0 >= WARMUP_DAYS * 1440).cloned().collect();
    let days_scored = sim.spec.days.saturating_sub(WARMUP_DAYS);
    let methods = books
        .iter()
        .zip(["special_events", "forecast_only"])
        .map(|(book, name)| score_method(name, book, &incidents, &all_incidents, &catalogue, days_scored))
        .collect();
    AlarmEvalReport { days_scored, series: monitor.len(), incidents: incidents.len(), methods }
}

fn score_method(
    method: &'static str,
    book: &AlarmBook,
    incidents: &[(u32, u32, Element)],
    all_incidents: &[(u32, u32, Element)],
    catalogue: &Catalogue,
    days: u32,
) -> MethodReport {
    // An alarm detects an incident when it opens during it (or within 15
    // minutes of its end) on an element sharing leaves with its scope.
    let matches = |opened: u32, elements: &[usize], inc: &(u32, u32, Element)| {
        opened + 2 >= inc.0 && opened <= inc.1 + 15 && elements.iter().any(|&e| catalogue.elements[e].overlaps(&inc.2))
    };
    let is_true = |a: &&crate::alarms::Alarm| all_incidents.iter().any(|i| matches(a.opened, &a.elements, i));
    let true_alarms = book.alarms.iter().filter(is_true).count();
    let false_alarms = book
        .alarms
        .iter()
        .filter(|a| !is_true(a))
        .map(|a| FalseAlarm {
            opened: a.opened,
            minutes: a.resolved.unwrap_or(a.last) - a.opened,
            elements: a.elements.iter().map(|&e| catalogue.label(&catalogue.elements[e])).collect(),
            metrics: a.metrics.iter().map(|m| m.name()).collect(),
            peak_z: a.peak_z,
        })
        .collect();
    let mut ttd: Vec<f64> = Vec::new();
    let mut missed_by_suppression = 0;
    let mut localized_exactly = 0;
    let mut outcomes = Vec::new();
    for inc in incidents {
        let first = book.alarms.iter().filter(|a| matches(a.opened, &a.elements, inc)).min_by_key(|a| a.opened);
        match first {
            Some(alarm) => {
                ttd.push(f64::from(alarm.opened.saturating_sub(inc.0)));
                let scope = catalogue.label(&inc.2);
                if alarm.explanation.as_ref().is_some_and(|e| e.elements == [scope.clone()]) {
                    localized_exactly += 1;
                }
                outcomes.push(IncidentOutcome {
                    element: scope,
                    start_minute: inc.0,
                    alarm_after_min: Some(alarm.opened.saturating_sub(inc.0)),
                    explanation: alarm.explanation.as_ref().map(|e| e.text.clone()),
                });
            }
            None => {
                if book.suppressed.iter().any(|s| matches(s.minute, &[s.score.element], inc)) {
                    missed_by_suppression += 1;
                }
                outcomes.push(IncidentOutcome {
                    element: catalogue.label(&inc.2),
                    start_minute: inc.0,
                    alarm_after_min: None,
                    explanation: None,
                });
            }
        }
    }
    ttd.sort_by(f64::total_cmp);
    let quantile = |q: f64| if ttd.is_empty() { f64::NAN } else { ttd[((ttd.len() - 1) as f64 * q).round() as usize] };
    let mut suppressed: BTreeMap<&'static str, usize> = BTreeMap::new();
    for s in &book.suppressed {
        let name = match s.class {
            Classification::Actionable => "actionable",
            Classification::Anticipated { .. } => "anticipated",
            Classification::External { .. } => "external",
            Classification::LowImpact { .. } => "low_impact",
        };
        *suppressed.entry(name).or_default() += 1;
    }
    let alarms = book.alarms.len();
    MethodReport {
        method,
        alarms,
        true_alarms,
        detected: ttd.len(),
        recall: if incidents.is_empty() { f64::NAN } else { ttd.len() as f64 / incidents.len() as f64 },
        precision: if alarms == 0 { f64::NAN } else { true_alarms as f64 / alarms as f64 },
        false_per_day: (alarms - true_alarms) as f64 / f64::from(days.max(1)),
        ttd_median_min: quantile(0.5),
        ttd_p95_min: quantile(0.95),
        missed_by_suppression,
        localized_exactly,
        suppressed,
        incidents: outcomes,
        false_alarms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use showrunner_telemetry::simulate::scenario::{Effect, ScenarioEvent};
    use showrunner_telemetry::simulate::SimSpec;

    /// Nine days: a week of learning, then a scheduled match in GB (on the
    /// calendar), a power cut in FR, and a rebuffering incident on CDN-B ×
    /// ISP-3 × DE.
    /// A match in GB on day 6 teaches the calendar what matches do; during
    /// the next one, on day 8, CDN-B fails for ISP-3 in GB. Before event
    /// effects were learned, the calendar explained every anomaly in GB
    /// while a match was on, and this incident was suppressed.
    #[test]
    fn an_incident_during_a_known_kind_of_event_is_raised_not_suppressed() {
        let mut sim = QoeSimulation::new(SimSpec::new(9, 8));
        let day = 1440;
        let matched = |start| {
            ScenarioEvent::placed(
                EventClass::Anticipated,
                "competitor_match",
                &[("country", "GB")],
                start,
                120,
                Effect::Traffic(0.7),
            )
        };
        sim.events = vec![
            matched(6 * day + 20 * 60),
            matched(8 * day + 20 * 60),
            ScenarioEvent::cdn_isp_rebuffering("B", "ISP-3", "GB", 8 * day + 20 * 60 + 30, 40),
        ];
        let calendar: Vec<CalendarEvent> = [6, 8]
            .iter()
            .map(|d| CalendarEvent {
                id: format!("match-day-{d}"),
                kind: "competitor_match".into(),
                scope: vec![("country".into(), "GB".into())],
                start_minute: d * day + 20 * 60,
                minutes: 120,
            })
            .collect();
        let report = evaluate(&sim, &calendar, 2, |_, _| {});
        let full = &report.methods[0];
        assert_eq!((report.incidents, full.detected), (1, 1), "{:?}", full.incidents);
        assert_eq!(full.alarms, 1, "the match itself raises nothing: {:?}", full.false_alarms);
        assert!(full.incidents[0].alarm_after_min.is_some_and(|a| a <= 3), "{:?}", full.incidents);
        assert!(full.suppressed.get("anticipated").is_some_and(|&n| n > 0), "{:?}", full.suppressed);
    }

    #[test]
    fn a_cdn_isp_country_incident_raises_one_alarm_localized_to_exactly_that_element() {
        let mut sim = QoeSimulation::new(SimSpec::new(9, 5));
        let day = 1440;
        sim.events = vec![
            ScenarioEvent::placed(
                EventClass::Anticipated,
                "competitor_match",
                &[("country", "GB")],
                7 * day + 20 * 60,
                120,
                Effect::Traffic(0.7),
            ),
            ScenarioEvent::power_cut("FR", 8 * day + 11 * 60, 60),
            ScenarioEvent::cdn_isp_rebuffering("B", "ISP-3", "DE", 8 * day + 20 * 60, 40),
        ];
        let calendar = vec![CalendarEvent {
            id: "competitor_match".into(),
            kind: "competitor_match".into(),
            scope: vec![("country".into(), "GB".into())],
            start_minute: 7 * day + 20 * 60,
            minutes: 120,
        }];
        let report = evaluate(&sim, &calendar, 2, |_, _| {});
        let full = &report.methods[0];
        assert_eq!(report.incidents, 1);
        assert_eq!((full.detected, full.alarms), (1, 1), "{:?}", full.false_alarms);
        let outcome = &full.incidents[0];
        let (after, text) = (&outcome.alarm_after_min, &outcome.explanation);
        assert_eq!(outcome.element, "cdn=B&country=DE&isp=ISP-3");
        assert!(after.is_some_and(|a| a <= 3), "{after:?}");
        assert_eq!(full.localized_exactly, 1, "{text:?}");
        assert!(text.as_deref().is_some_and(|t| t.contains(" in cdn=B&country=DE&isp=ISP-3, explaining")), "{text:?}");
        // The match and the power cut were seen, and suppressed with their reasons.
        assert!(full.suppressed.get("anticipated").is_some_and(|&n| n > 0), "{:?}", full.suppressed);
        assert!(full.suppressed.get("external").is_some_and(|&n| n > 0), "{:?}", full.suppressed);
        // The forecasting-only baseline raises false alarms on them.
        let baseline = &report.methods[1];
        assert!(baseline.alarms > baseline.true_alarms, "{baseline:?}");
    }
}
