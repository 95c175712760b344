//! From scored series to alarms: classify every anomaly, suppress the ones
//! that are not ours to fix (recording why), and group the rest into
//! alarms with a lifecycle.
//!
//! Classification, in order:
//!
//! 1. **anticipated** — a calendar event in force explains it (its scope
//!    overlaps the series' element and, once the event's kind has a learned
//!    effect, the deviation is what that effect predicts: see
//!    [`crate::calendar`]);
//! 2. **external** — a traffic anomaly that every part of its region shares:
//!    at least `corroboration_share` of the region's parts (its elements
//!    with one more dimension fixed: each device, CDN, ISP… of the country)
//!    moved the same way by at least half as much (a power cut darkens
//!    every device on every CDN; a CDN failure does not). The event then
//!    holds its region for 30 minutes after its last corroborated anomaly,
//!    and explains the traffic anomalies of every element reaching into
//!    the region (cdn=A everywhere dips when FR goes dark);
//! 3. **low impact** — traffic within `min_traffic_change` of the forecast;
//! 4. otherwise **actionable**.
//!
//! An actionable anomaly opens an alarm only when the three scorer families
//! agree in direction — forecast, derivative (a sudden change, not a
//! drift) and correlation (a deviation the element's siblings do not
//! share, not a broad mild shift): magnitude alone is not enough. Once open, an alarm absorbs, within `merge_minutes`, every
//! actionable anomaly of the same metric on an element sharing leaves with
//! one of its elements (one incident seen at several cuboids) and of any
//! metric on one of its elements (one incident seen in several metrics),
//! and resolves after `resolve_minutes` without one.

use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::explain::QoeMetric;
use crate::monitor::{Catalogue, Element, SeriesScore};

/// Detection settings.
#[derive(Debug, Clone, Copy)]
pub struct DetectConfig {
    /// Smoothed forecast |z| at which a series is anomalous.
    pub z: f64,
    /// Derivative |z| for the families to agree.
    pub derivative_z: f64,
    /// Correlation |z| (the deviation the siblings do not share) for the
    /// families to agree.
    pub correlation_z: f64,
    /// Relative traffic change below which a traffic anomaly is low impact.
    pub min_traffic_change: f64,
    /// Share of a region's parts that must deviate together for an
    /// external event.
    pub corroboration_share: f64,
    /// Whether to apply the calendar, corroboration, low-impact and
    /// agreement rules (off = the forecasting-only baseline).
    pub special_events: bool,
    /// Minutes within which a related anomaly joins an open alarm.
    pub merge_minutes: u32,
    /// Quiet minutes after which an alarm resolves.
    pub resolve_minutes: u32,
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            z: 5.0,
            derivative_z: 4.0,
            correlation_z: 3.0,
            min_traffic_change: 0.2,
            corroboration_share: 0.8,
            special_events: true,
            merge_minutes: 10,
            resolve_minutes: 15,
        }
    }
}

/// Why an anomaly did or did not become part of an alarm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "class", rename_all = "snake_case")]
pub enum Classification {
    /// Ours to look at.
    Actionable,
    /// Explained by a calendar event.
    Anticipated {
        /// The event's id.
        event: String,
    },
    /// Shared by the whole region: outside our control.
    External {
        /// Share of the region's parts deviating the same way.
        agreeing: f64,
    },
    /// Too small to act on.
    LowImpact {
        /// Relative change of traffic.
        change: f64,
    },
}

/// A suppressed anomaly, kept so that suppression can be audited.
#[derive(Debug, Clone, Serialize)]
pub struct Suppressed {
    /// Interval.
    pub minute: u32,
    /// The series and its scores.
    pub score: SeriesScore,
    /// Why it was suppressed.
    pub class: Classification,
}

/// An alarm.
#[derive(Debug, Clone, Serialize)]
pub struct Alarm {
    /// Sequence number.
    pub id: usize,
    /// Interval it opened.
    pub opened: u32,
    /// Last interval with an anomaly.
    pub last: u32,
    /// Interval it resolved, once it has.
    pub resolved: Option<u32>,
    /// Elements involved (catalogue indices), first one first.
    pub elements: Vec<usize>,
    /// Metrics involved.
    pub metrics: Vec<QoeMetric>,
    /// Largest |z| seen.
    pub peak_z: f64,
    /// Attempts of the opening element at opening: the sessions at stake.
    pub attempts: u64,
    /// Severity: peak |z| (capped at 50) × log10 of the sessions at stake.
    pub severity: f64,
    /// Where the deviation comes from, once localized.
    pub explanation: Option<Explanation>,
}

/// An alarm's localization, worded for a human.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// Root-cause elements, `dim=value&…`, most significant first.
    pub elements: Vec<String>,
    /// Share of the deviation they explain together.
    pub explained: f64,
    /// Whether that share is enough to call it an explanation.
    pub well_explained: bool,
    /// One sentence: "rebuffering_ratio 0.0040 → 0.0240 in
    /// cdn=B&country=DE&isp=ISP-3, explaining 96% of the overall change
    /// 0.0040 → 0.0048".
    pub text: String,
}

/// The alarm book: open and resolved alarms, and every suppression.
#[derive(Debug, Clone, Default)]
pub struct AlarmBook {
    /// Every alarm, in opening order.
    pub alarms: Vec<Alarm>,
    /// Every suppressed anomaly.
    pub suppressed: Vec<Suppressed>,
    /// External events in force: the region (its country, or everywhere),
    /// the share of its parts that agreed, and the last minute it holds.
    external: Vec<(Element, f64, u32)>,
    /// Id of the next alarm (alarms may be dropped from the book once
    /// stored, so ids do not come from its length).
    next_id: usize,
}

/// Minutes an external event stays in force after its last corroborated
/// anomaly.
const EXTERNAL_HOLD_MINUTES: u32 = 30;

impl AlarmBook {
    /// Takes one interval's scores.
    pub fn step(
        &mut self,
        minute: u32,
        scores: &[SeriesScore],
        catalogue: &Catalogue,
        calendar: &Calendar,
        c: &DetectConfig,
    ) {
        for alarm in self.alarms.iter_mut().filter(|a| a.resolved.is_none()) {
            if minute > alarm.last + c.resolve_minutes {
                alarm.resolved = Some(alarm.last + 1);
            }
        }
        let anomalies: Vec<&SeriesScore> = scores.iter().filter(|s| s.forecast_z.abs() >= c.z).collect();
        let mut classes: Vec<Classification> = anomalies
            .iter()
            .map(|s| {
                if c.special_events {
                    classify(minute, s, scores, catalogue, calendar, c)
                } else {
                    Classification::Actionable
                }
            })
            .collect();
        // A corroborated external event holds its region for a while, and
        // explains the traffic anomalies of every element reaching into it
        // (a power cut in FR also dents cdn=A and isp=ISP-1 everywhere).
        for (s, class) in anomalies.iter().zip(&classes) {
            if let Classification::External { agreeing } = class {
                let region = region_of(&catalogue.elements[s.element], catalogue);
                match self.external.iter_mut().find(|(r, _, _)| *r == region) {
                    Some(held) => held.2 = minute + EXTERNAL_HOLD_MINUTES,
                    None => self.external.push((region, *agreeing, minute + EXTERNAL_HOLD_MINUTES)),
                }
            }
        }
        self.external.retain(|(_, _, until)| *until >= minute);
        for (s, class) in anomalies.iter().zip(classes.iter_mut()) {
            if *class == Classification::Actionable && c.special_events && s.metric == QoeMetric::Attempts {
                let element = &catalogue.elements[s.element];
                if let Some((_, agreeing, _)) = self.external.iter().find(|(r, _, _)| r.overlaps(element)) {
                    *class = Classification::External { agreeing: *agreeing };
                }
            }
        }
        for (s, class) in anomalies.into_iter().zip(classes) {
            if class != Classification::Actionable {
                self.suppressed.push(Suppressed { minute, score: *s, class });
                continue;
            }
            let element = &catalogue.elements[s.element];
            // Related: the same metric on an element sharing leaves, or
            // another metric of one of the alarm's own elements (a failure
            // to start is also an error).
            let open = self.alarms.iter_mut().find(|a| {
                a.resolved.is_none()
                    && minute <= a.last + c.merge_minutes
                    && ((a.metrics.contains(&s.metric)
                        && a.elements.iter().any(|&e| catalogue.elements[e].overlaps(element)))
                        || a.elements.contains(&s.element))
            });
            match open {
                Some(a) => {
                    a.last = minute;
                    a.peak_z = a.peak_z.max(s.forecast_z.abs());
                    if !a.elements.contains(&s.element) {
                        a.elements.push(s.element);
                    }
                    if !a.metrics.contains(&s.metric) {
                        a.metrics.push(s.metric);
                    }
                    a.severity = severity(a.peak_z, a.attempts);
                }
                None => {
                    let agrees = |z: f64, threshold: f64| z.abs() >= threshold && z.signum() == s.forecast_z.signum();
                    let agree = agrees(s.derivative_z, c.derivative_z) && agrees(s.correlation_z, c.correlation_z);
                    if c.special_events && !agree {
                        continue;
                    }
                    let peak_z = s.forecast_z.abs();
                    self.next_id += 1;
                    self.alarms.push(Alarm {
                        id: self.next_id - 1,
                        opened: minute,
                        last: minute,
                        resolved: None,
                        elements: vec![s.element],
                        metrics: vec![s.metric],
                        peak_z,
                        attempts: s.attempts,
                        severity: severity(peak_z, s.attempts),
                        explanation: None,
                    });
                }
            }
        }
    }
}

fn severity(peak_z: f64, attempts: u64) -> f64 {
    peak_z.min(50.0) * (attempts.max(1) as f64).log10()
}

/// An alarm's severity level, from its severity score (peak |z|, capped at
/// 50, × log10 of the sessions at stake).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Below 30: a clear deviation on a small cohort (|z| 10 on under a
    /// thousand sessions a minute).
    Minor,
    /// From 30: a clear deviation on a thousand sessions, or a strong one
    /// on a hundred.
    Major,
    /// From 60: a strong deviation (|z| ≥ 20) on thousands of sessions.
    Critical,
}

impl Severity {
    /// The level of a severity score.
    pub fn of(score: f64) -> Severity {
        if score >= 60.0 {
            Severity::Critical
        } else if score >= 30.0 {
            Severity::Major
        } else {
            Severity::Minor
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Minor => "minor",
            Severity::Major => "major",
            Severity::Critical => "critical",
        }
    }
}

fn classify(
    minute: u32,
    s: &SeriesScore,
    scores: &[SeriesScore],
    catalogue: &Catalogue,
    calendar: &Calendar,
    c: &DetectConfig,
) -> Classification {
    if let Some(event) = calendar.explains(minute, s, catalogue, c.z) {
        return Classification::Anticipated { event: event.id.clone() };
    }
    if s.metric != QoeMetric::Attempts {
        return Classification::Actionable;
    }
    let agreeing = corroboration(s, scores, catalogue);
    if agreeing >= c.corroboration_share {
        return Classification::External { agreeing };
    }
    let change = if s.expected > 0.0 { s.observed / s.expected - 1.0 } else { f64::INFINITY };
    if change.abs() < c.min_traffic_change {
        return Classification::LowImpact { change };
    }
    Classification::Actionable
}

/// Share of the region's parts whose traffic deviates the same way: the
/// region is the element's country if it fixes one (else everywhere), the
/// parts are its elements with one more dimension fixed — each device,
/// each CDN, each ISP… of that country.
/// The region of an element: its country, or everywhere when it fixes
/// none.
fn region_of(element: &Element, catalogue: &Catalogue) -> Element {
    let country = catalogue.dims.iter().position(|d| d == "country");
    Element(element.0.iter().copied().filter(|&(d, _)| Some(d) == country).collect())
}

fn corroboration(s: &SeriesScore, scores: &[SeriesScore], catalogue: &Catalogue) -> f64 {
    let region = region_of(&catalogue.elements[s.element], catalogue).0;
    let parts: Vec<&SeriesScore> = scores
        .iter()
        .filter(|o| o.metric == QoeMetric::Attempts)
        .filter(|o| {
            let e = &catalogue.elements[o.element].0;
            e.len() == region.len() + 1 && region.iter().all(|p| e.contains(p))
        })
        .collect();
    if parts.len() < 3 {
        return 0.0;
    }
    // A part agrees when its traffic moved the same way by at least half as
    // much, relatively: a regional event scales every part alike, while a
    // failing CDN leaves the others where they were. Relative changes, not
    // z-scores, so that small parts (noisier, slower to reach a high z)
    // count as much as large ones.
    let change = |o: &SeriesScore| if o.expected > 0.0 { o.observed / o.expected - 1.0 } else { 0.0 };
    let own = change(s);
    let same = parts.iter().filter(|o| change(o) * own > 0.0 && change(o).abs() >= 0.5 * own.abs()).count();
    same as f64 / parts.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two countries × two CDNs × two devices.
    fn catalogue() -> Catalogue {
        let mut leaves = Vec::new();
        for country in ["DE", "FR"] {
            for cdn in ["A", "B"] {
                for device in ["tv", "web"] {
                    leaves.push(vec![country, cdn, device]);
                }
            }
        }
        Catalogue::new(&["country", "cdn", "device"], &leaves, 2)
    }

    fn element(c: &Catalogue, pairs: &[(&str, &str)]) -> usize {
        let scope: Vec<(String, String)> = pairs.iter().map(|(d, v)| (d.to_string(), v.to_string())).collect();
        let e = c.element_of(&scope).unwrap();
        c.elements.iter().position(|x| *x == e).unwrap()
    }

    fn score(
        element: usize,
        metric: QoeMetric,
        z: f64,
        derivative_z: f64,
        observed: f64,
        expected: f64,
    ) -> SeriesScore {
        SeriesScore {
            element,
            metric,
            observed,
            expected,
            sd: 1.0,
            forecast_z: z,
            derivative_z,
            correlation_z: z,
            attempts: 500,
        }
    }

    #[test]
    fn a_calendar_event_explains_anomalies_in_its_scope() {
        let c = catalogue();
        let calendar = Calendar::new(vec![crate::calendar::CalendarEvent {
            id: "match".into(),
            kind: "match".into(),
            scope: vec![("country".into(), "DE".into())],
            start_minute: 100,
            minutes: 120,
        }]);
        let de_tv = element(&c, &[("country", "DE"), ("device", "tv")]);
        let s = score(de_tv, QoeMetric::Attempts, -9.0, -9.0, 600.0, 1000.0);
        let cfg = DetectConfig::default();
        assert_eq!(classify(150, &s, &[s], &c, &calendar, &cfg), Classification::Anticipated { event: "match".into() });
        // Outside the event's time, or in another country, it is not.
        assert_eq!(classify(400, &s, &[s], &c, &calendar, &cfg), Classification::Actionable);
        let fr = score(element(&c, &[("country", "FR")]), QoeMetric::Attempts, -9.0, -9.0, 600.0, 1000.0);
        assert_eq!(classify(150, &fr, &[fr], &c, &calendar, &cfg), Classification::Actionable);
    }

    /// Traffic of DE and of each of its CDNs and devices down by 70%: a
    /// power cut. The country's own score comes last.
    fn germany_goes_dark(c: &Catalogue) -> Vec<SeriesScore> {
        let parts = [("cdn", "A"), ("cdn", "B"), ("device", "tv"), ("device", "web")];
        let mut scores: Vec<SeriesScore> = parts
            .iter()
            .map(|&p| score(element(c, &[("country", "DE"), p]), QoeMetric::Attempts, -12.0, -12.0, 300.0, 1000.0))
            .collect();
        scores.push(score(element(c, &[("country", "DE")]), QoeMetric::Attempts, -15.0, -15.0, 300.0, 1000.0));
        scores
    }

    #[test]
    fn a_drop_shared_by_every_device_and_cdn_of_a_country_is_external() {
        let c = catalogue();
        let cfg = DetectConfig::default();
        let scores = germany_goes_dark(&c);
        let de = *scores.last().unwrap();
        assert!(
            matches!(classify(10, &de, &scores, &c, &Calendar::default(), &cfg), Classification::External { agreeing } if agreeing == 1.0)
        );
        // One CDN failing alone is not external.
        let cdn_b =
            score(element(&c, &[("country", "DE"), ("cdn", "B")]), QoeMetric::Attempts, -12.0, -12.0, 300.0, 1000.0);
        assert_eq!(classify(10, &cdn_b, &[cdn_b], &c, &Calendar::default(), &cfg), Classification::Actionable);
    }

    #[test]
    fn an_external_event_holds_its_region_for_overlapping_traffic_only() {
        let c = catalogue();
        let cfg = DetectConfig::default();
        let mut book = AlarmBook::default();
        book.step(10, &germany_goes_dark(&c), &c, &Calendar::default(), &cfg);
        assert!(book.alarms.is_empty(), "{:?}", book.alarms);
        // Later, cdn=A dips everywhere (DE is part of it): explained by the
        // event in force. Its rebuffering is not traffic: still actionable.
        let cdn_a = element(&c, &[("cdn", "A")]);
        book.step(20, &[score(cdn_a, QoeMetric::Attempts, -7.0, -7.0, 700.0, 1000.0)], &c, &Calendar::default(), &cfg);
        assert!(book.alarms.is_empty(), "{:?}", book.alarms);
        assert!(matches!(book.suppressed.last().map(|s| &s.class), Some(Classification::External { .. })));
        book.step(
            21,
            &[score(cdn_a, QoeMetric::RebufferingRatio, 9.0, 9.0, 0.02, 0.004)],
            &c,
            &Calendar::default(),
            &cfg,
        );
        assert_eq!(book.alarms.len(), 1);
        // Once the event has not been seen for the hold time, it lapses.
        book.step(
            10 + EXTERNAL_HOLD_MINUTES + 20,
            &[score(cdn_a, QoeMetric::Attempts, -7.0, -7.0, 700.0, 1000.0)],
            &c,
            &Calendar::default(),
            &cfg,
        );
        assert_eq!(book.alarms.len(), 2);
    }

    #[test]
    fn a_mild_traffic_change_is_low_impact() {
        let c = catalogue();
        let s = score(element(&c, &[("cdn", "A")]), QoeMetric::Attempts, -6.0, -6.0, 900.0, 1000.0);
        assert!(matches!(
            classify(10, &s, &[s], &c, &Calendar::default(), &DetectConfig::default()),
            Classification::LowImpact { .. }
        ));
    }

    #[test]
    fn alarms_need_agreement_to_open_merge_related_series_and_resolve_when_quiet() {
        let c = catalogue();
        let cfg = DetectConfig::default();
        let de_b = element(&c, &[("country", "DE"), ("cdn", "B")]);
        let de = element(&c, &[("country", "DE")]);
        let fr = element(&c, &[("country", "FR")]);
        let mut book = AlarmBook::default();
        // Magnitude without a level jump: no alarm with special-event rules…
        let slow = score(de_b, QoeMetric::RebufferingRatio, 7.0, 1.0, 0.02, 0.004);
        book.step(10, &[slow], &c, &Calendar::default(), &cfg);
        assert!(book.alarms.is_empty());
        // …but the forecasting-only baseline opens one.
        let mut baseline = AlarmBook::default();
        baseline.step(10, &[slow], &c, &Calendar::default(), &DetectConfig { special_events: false, ..cfg });
        assert_eq!(baseline.alarms.len(), 1);
        // A jump that DE×B's siblings share (all of DE or all of cdn=B
        // moved with it): not this element's incident.
        let shared =
            SeriesScore { correlation_z: 1.0, ..score(de_b, QoeMetric::RebufferingRatio, 20.0, 15.0, 0.02, 0.004) };
        book.step(10, &[shared], &c, &Calendar::default(), &cfg);
        assert!(book.alarms.is_empty());
        // A jump opens one; the parent element's anomaly joins it; another
        // country's opens its own.
        book.step(
            11,
            &[score(de_b, QoeMetric::RebufferingRatio, 20.0, 15.0, 0.02, 0.004)],
            &c,
            &Calendar::default(),
            &cfg,
        );
        book.step(
            13,
            &[score(de, QoeMetric::RebufferingRatio, 8.0, 6.0, 0.008, 0.004)],
            &c,
            &Calendar::default(),
            &cfg,
        );
        book.step(
            14,
            &[score(fr, QoeMetric::RebufferingRatio, 8.0, 6.0, 0.008, 0.004)],
            &c,
            &Calendar::default(),
            &cfg,
        );
        assert_eq!(book.alarms.len(), 2);
        assert_eq!(book.alarms[0].elements, vec![de_b, de]);
        // Quiet for longer than resolve_minutes: resolved the minute after
        // its last anomaly.
        book.step(13 + cfg.resolve_minutes + 1, &[], &c, &Calendar::default(), &cfg);
        assert_eq!(book.alarms[0].resolved, Some(14));
        assert_eq!(book.alarms[1].resolved, None);
    }
}
