//! Anticipated events: the calendar (a TOML or iCalendar file), and what
//! each kind of event is learned to do to the series of its scope.
//!
//! Until an event kind has been seen, an event explains every anomaly of
//! every series overlapping its scope while it is in force (from 15
//! minutes before to 30 after): nothing is known of its effect. Each
//! occurrence then teaches the kind's effect on each metric of the
//! scope's own series — observed over forecast across the event — and
//! from the next occurrence on, an anomaly of a series inside the scope is
//! explained only if it lies between the forecast and the forecast times
//! the learned effect, give or take the detection threshold's worth of
//! spreads and a quarter of the effect (occurrences differ). A rebuffering
//! incident during a match, or a traffic collapse far beyond a match's
//! usual dent, is then raised, not suppressed.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;
use showrunner_core::InputError;

use crate::explain::QoeMetric;
use crate::monitor::{Catalogue, SeriesScore};

/// A scheduled event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalendarEvent {
    /// Its id.
    pub id: String,
    /// What kind of event it is (`competitor_match`, `premiere`, …): the
    /// unit its effect is learned for. Defaults to the id.
    pub kind: String,
    /// Dimension values it concerns (empty: everywhere).
    pub scope: Vec<(String, String)>,
    /// Start, minutes from the start of the data.
    pub start_minute: u32,
    /// Duration.
    pub minutes: u32,
}

impl CalendarEvent {
    /// Whether the event is in force at `minute`: from 15 minutes before
    /// its start to 30 after its end (people gather early and leave late).
    pub fn in_force(&self, minute: u32) -> bool {
        (self.start_minute.saturating_sub(15)..self.start_minute + self.minutes + 30).contains(&minute)
    }
}

/// Share of the learned effect added to the tolerance, for the difference
/// between occurrences.
const EFFECT_SLACK: f64 = 0.25;

/// Weight of the newest occurrence in a kind's learned effect.
const LEARNING_RATE: f64 = 0.5;

/// The calendar as the alarm book consults it.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    events: Vec<CalendarEvent>,
    /// Per kind, observed / forecast of each metric (by [`QoeMetric::index`]).
    learned: HashMap<String, [Option<f64>; QoeMetric::ALL.len()]>,
    /// Per event (by id) in progress, Σ observed and Σ forecast per metric.
    running: HashMap<String, [(f64, f64); QoeMetric::ALL.len()]>,
}

impl Calendar {
    /// A calendar of these events, nothing learned yet.
    pub fn new(events: Vec<CalendarEvent>) -> Self {
        Calendar { events, ..Calendar::default() }
    }

    /// The events.
    pub fn events(&self) -> &[CalendarEvent] {
        &self.events
    }

    /// Replaces the events (the calendar was edited), keeping what was
    /// learned and what events still under way have accumulated.
    pub fn set_events(&mut self, events: Vec<CalendarEvent>) {
        self.running.retain(|id, _| events.iter().any(|e| &e.id == id));
        self.events = events;
    }

    /// The effect learned for `kind` on `metric`, if any occurrence has
    /// ended.
    pub fn learned(&self, kind: &str, metric: QoeMetric) -> Option<f64> {
        self.learned.get(kind).and_then(|e| e[metric.index()])
    }

    /// Every kind's learned effects, for saving.
    pub fn effects(&self) -> Vec<(String, [Option<f64>; QoeMetric::ALL.len()])> {
        let mut all: Vec<_> = self.learned.iter().map(|(k, v)| (k.clone(), *v)).collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// Takes effects learned earlier (a restart), replacing those of the
    /// same kinds.
    pub fn restore_effects(&mut self, effects: Vec<(String, [Option<f64>; QoeMetric::ALL.len()])>) {
        self.learned.extend(effects);
    }

    /// Learns from one interval's scores: the scope series of each event
    /// under way accumulate, and an event that has just ended updates its
    /// kind's effects. Call it every interval, the warm-up included.
    pub fn learn(&mut self, minute: u32, scores: &[SeriesScore], catalogue: &Catalogue) {
        for event in &self.events {
            let end = event.start_minute + event.minutes;
            if (event.start_minute..end).contains(&minute) {
                let Some(scope) = catalogue.element_of(&event.scope).and_then(|e| catalogue.index_of(&e)) else {
                    continue;
                };
                let sums = self.running.entry(event.id.clone()).or_insert([(0.0, 0.0); QoeMetric::ALL.len()]);
                for s in scores.iter().filter(|s| s.element == scope && s.expected.is_finite()) {
                    let (o, e) = &mut sums[s.metric.index()];
                    *o += s.observed;
                    *e += s.expected;
                }
            } else if minute == end {
                let Some(sums) = self.running.remove(&event.id) else { continue };
                let learned = self.learned.entry(event.kind.clone()).or_insert([None; QoeMetric::ALL.len()]);
                for (effect, (o, e)) in learned.iter_mut().zip(sums) {
                    if e > 0.0 && o >= 0.0 {
                        let ratio = o / e;
                        *effect = Some(effect.map_or(ratio, |old| old + LEARNING_RATE * (ratio - old)));
                    }
                }
            }
        }
    }

    /// The event that explains anomaly `s` at `minute`, if one does (see
    /// the module documentation); `z` is the detection threshold.
    pub fn explains(&self, minute: u32, s: &SeriesScore, catalogue: &Catalogue, z: f64) -> Option<&CalendarEvent> {
        let element = &catalogue.elements[s.element];
        self.events.iter().filter(|e| e.in_force(minute)).find(|event| {
            let Some(scope) = catalogue.element_of(&event.scope) else { return false };
            if !scope.overlaps(element) {
                return false;
            }
            let inside = scope.0.iter().all(|p| element.0.contains(p));
            match self.learned(&event.kind, s.metric) {
                Some(effect) if inside => {
                    let (with, without) = (s.expected * effect, s.expected);
                    let slack = z * s.sd * effect.max(1.0) + EFFECT_SLACK * (with - without).abs();
                    (with.min(without) - slack..=with.max(without) + slack).contains(&s.observed)
                }
                _ => true,
            }
        })
    }
}

/// A scheduled event with an absolute start, as files and the API state it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ScheduledEvent {
    /// Its id.
    pub id: String,
    /// Its kind (defaults to the id).
    pub kind: String,
    /// Dimension values it concerns (empty: everywhere).
    pub scope: Vec<(String, String)>,
    /// Start, ms since the epoch.
    pub start_ms: i64,
    /// Duration in minutes.
    pub minutes: u32,
}

impl ScheduledEvent {
    /// The event with its start counted in minutes from `start_ms` (events
    /// that started earlier start at minute 0, keeping their end).
    pub fn relative_to(&self, start_ms: i64) -> CalendarEvent {
        let offset = (self.start_ms - start_ms).div_euclid(60_000);
        let end = offset + i64::from(self.minutes);
        CalendarEvent {
            id: self.id.clone(),
            kind: self.kind.clone(),
            scope: self.scope.clone(),
            start_minute: offset.max(0) as u32,
            minutes: (end - offset.max(0)).max(0) as u32,
        }
    }

    /// Checks what a caller could get wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.id.trim().is_empty() || self.id.len() > 200 {
            return Err("`id` must be 1 to 200 characters".into());
        }
        if self.minutes == 0 || self.minutes > 366 * 1440 {
            return Err(format!("`minutes` = {}: between 1 and a year", self.minutes));
        }
        if let Some((d, v)) = self.scope.iter().find(|(d, v)| d.is_empty() || v.is_empty()) {
            return Err(format!("scope `{d}` = `{v}`: dimension and value must not be empty"));
        }
        Ok(())
    }
}

/// Reads a calendar file — iCalendar when it ends in `.ics`, TOML
/// otherwise — with starts counted from `start_ms`, the data's first minute.
pub fn read_calendar(path: &Path, start_ms: i64) -> Result<Vec<CalendarEvent>, InputError> {
    Ok(read_schedule(path)?.iter().map(|e| e.relative_to(start_ms)).collect())
}

/// Reads a calendar file with absolute starts.
///
/// TOML: `[[event]]` tables with `id`, optional `kind`, `start` (RFC 3339),
/// `minutes` and a `scope` table of dimension values.
///
/// iCalendar: `VEVENT`s with `UID`, `DTSTART` (UTC, `…Z`, or a date),
/// `DTEND` or `DURATION`, `X-SHOWRUNNER-SCOPE` (`dim=value&…`, or `*` for
/// everywhere) and optionally `X-SHOWRUNNER-KIND` (else the first of
/// `CATEGORIES`, else the UID).
pub fn read_schedule(path: &Path) -> Result<Vec<ScheduledEvent>, InputError> {
    let text = std::fs::read_to_string(path).map_err(|e| InputError::io(path, e))?;
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("ics")) {
        ical::parse(&text)
    } else {
        toml_calendar(&text)
    }
    .map_err(|message| InputError::format(path, message))
}

fn toml_calendar(text: &str) -> Result<Vec<ScheduledEvent>, String> {
    let table: toml::Table = text.parse().map_err(|e| format!("{e}"))?;
    let Some(events) = table.get("event") else { return Ok(Vec::new()) };
    let events = events.as_array().ok_or("`event` must be an array of tables ([[event]])")?;
    events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let bad = |what: &str| format!("event {}: {what}", i + 1);
            let id = e.get("id").and_then(|v| v.as_str()).ok_or_else(|| bad("`id` must be text"))?.to_string();
            let kind = match e.get("kind") {
                None => id.clone(),
                Some(k) => k.as_str().ok_or_else(|| bad("`kind` must be text"))?.to_string(),
            };
            let start = e.get("start").and_then(|v| v.as_str()).ok_or_else(|| bad("`start` must be RFC 3339 text"))?;
            let start = chrono::DateTime::parse_from_rfc3339(start)
                .map_err(|err| bad(&format!("`start` = `{start}`: {err}")))?;
            let minutes = e
                .get("minutes")
                .and_then(|v| v.as_integer())
                .filter(|&m| m > 0 && m <= i64::from(u32::MAX))
                .ok_or_else(|| bad("`minutes` must be a positive integer"))?;
            let scope = e
                .get("scope")
                .and_then(|v| v.as_table())
                .ok_or_else(|| bad("`scope` must be a table of dimension values"))?
                .iter()
                .map(|(k, v)| {
                    v.as_str()
                        .map(|v| (k.clone(), v.to_string()))
                        .ok_or_else(|| bad(&format!("scope `{k}` must be text")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ScheduledEvent { id, kind, scope, start_ms: start.timestamp_millis(), minutes: minutes as u32 })
        })
        .collect()
}

/// The subset of iCalendar (RFC 5545) a calendar of scheduled events
/// needs.
mod ical {
    use super::ScheduledEvent;

    /// A property: name, parameters, value.
    type Property = (String, String, String);

    /// Parses every `VEVENT`.
    pub fn parse(text: &str) -> Result<Vec<ScheduledEvent>, String> {
        let mut events = Vec::new();
        let mut current: Option<(usize, Vec<Property>)> = None;
        for (number, line) in unfold(text) {
            let Some((head, value)) = line.split_once(':') else { continue };
            let (name, params) = head.split_once(';').unwrap_or((head, ""));
            let name = name.to_ascii_uppercase();
            match (name.as_str(), value.trim()) {
                ("BEGIN", "VEVENT") => current = Some((number, Vec::new())),
                ("END", "VEVENT") => {
                    let (start_line, properties) =
                        current.take().ok_or(format!("line {number}: END:VEVENT without BEGIN"))?;
                    events.push(event(&properties).map_err(|e| format!("event at line {start_line}: {e}"))?);
                }
                _ => {
                    if let Some((_, properties)) = current.as_mut() {
                        properties.push((name, params.to_ascii_uppercase(), value.trim().to_string()));
                    }
                }
            }
        }
        if let Some((line, _)) = current {
            return Err(format!("event at line {line}: no END:VEVENT"));
        }
        Ok(events)
    }

    /// Lines with folded continuations (a leading space or tab) joined,
    /// numbered from 1 by where they start.
    fn unfold(text: &str) -> Vec<(usize, String)> {
        let mut lines: Vec<(usize, String)> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            match (raw.strip_prefix([' ', '\t']), lines.last_mut()) {
                (Some(rest), Some((_, last))) => last.push_str(rest),
                _ => lines.push((i + 1, raw.trim_end_matches('\r').to_string())),
            }
        }
        lines
    }

    fn event(properties: &[Property]) -> Result<ScheduledEvent, String> {
        let get = |name: &str| properties.iter().find(|(n, _, _)| n == name).map(|(_, p, v)| (p.as_str(), v.as_str()));
        let id = get("UID").ok_or("no UID")?.1.to_string();
        let (params, start) = get("DTSTART").ok_or("no DTSTART")?;
        let start_ms = time(params, start).map_err(|e| format!("DTSTART `{start}`: {e}"))?;
        let minutes = match (get("DTEND"), get("DURATION")) {
            (Some((params, end)), _) => {
                (time(params, end).map_err(|e| format!("DTEND `{end}`: {e}"))? - start_ms) / 60_000
            }
            (None, Some((_, d))) => {
                duration_minutes(d).ok_or(format!("DURATION `{d}`: expected e.g. PT2H or PT90M"))?
            }
            (None, None) => return Err("no DTEND or DURATION".into()),
        };
        if minutes <= 0 || minutes > i64::from(u32::MAX) {
            return Err("it must last at least a minute".into());
        }
        let scope_text = get("X-SHOWRUNNER-SCOPE").ok_or("no X-SHOWRUNNER-SCOPE (dim=value&…, or * for everywhere)")?.1;
        let scope = if scope_text == "*" {
            Vec::new()
        } else {
            scope_text
                .split('&')
                .map(|pair| {
                    pair.split_once('=')
                        .filter(|(d, v)| !d.is_empty() && !v.is_empty())
                        .map(|(d, v)| (d.to_string(), v.to_string()))
                        .ok_or(format!("X-SHOWRUNNER-SCOPE `{scope_text}`: expected dim=value&…"))
                })
                .collect::<Result<_, _>>()?
        };
        let kind = get("X-SHOWRUNNER-KIND")
            .map(|(_, k)| k.to_string())
            .or_else(|| get("CATEGORIES").and_then(|(_, c)| c.split(',').next().map(|k| k.trim().to_string())))
            .unwrap_or_else(|| id.clone());
        Ok(ScheduledEvent { id, kind, scope, start_ms, minutes: minutes as u32 })
    }

    /// A UTC date-time (`20261110T200000Z`) or a date (`20261110`, taken
    /// as 00:00 UTC), in ms since the epoch.
    fn time(params: &str, value: &str) -> Result<i64, String> {
        if let Some(zone) = params.split(';').find_map(|p| p.strip_prefix("TZID=")) {
            if !matches!(zone, "UTC" | "ETC/UTC" | "Z") {
                return Err(format!("time zone {zone} is not supported; give UTC times (…Z)"));
            }
        }
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(value.trim_end_matches('Z'), "%Y%m%dT%H%M%S") {
            if !value.ends_with('Z') && !params.contains("TZID") {
                return Err("a floating local time; give UTC times (…Z)".into());
            }
            return Ok(t.and_utc().timestamp_millis());
        }
        chrono::NaiveDate::parse_from_str(value, "%Y%m%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().timestamp_millis())
            .ok_or_else(|| "expected YYYYMMDDTHHMMSSZ or YYYYMMDD".into())
    }

    /// `P1D`, `PT2H`, `PT1H30M`, `PT90M`… in minutes (weeks, days, hours,
    /// minutes; seconds rounded down).
    fn duration_minutes(text: &str) -> Option<i64> {
        let rest = text.strip_prefix('P')?;
        let (mut minutes, mut number, mut in_time) = (0i64, String::new(), false);
        for c in rest.chars() {
            match c {
                'T' => in_time = true,
                '0'..='9' => number.push(c),
                unit => {
                    let n: i64 = std::mem::take(&mut number).parse().ok()?;
                    minutes += match (unit, in_time) {
                        ('W', false) => n * 7 * 1440,
                        ('D', false) => n * 1440,
                        ('H', true) => n * 60,
                        ('M', true) => n,
                        ('S', true) => n / 60,
                        _ => return None,
                    };
                }
            }
        }
        number.is_empty().then_some(minutes)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn durations_read_as_minutes() {
            for (text, want) in [("PT2H", Some(120)), ("PT1H30M", Some(90)), ("P1D", Some(1440)), ("P1W", Some(10080))]
            {
                assert_eq!(duration_minutes(text), want, "{text}");
            }
            for bad in ["2H", "PT2", "PTXH", "P2H"] {
                assert_eq!(duration_minutes(bad), None, "{bad}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::Catalogue;

    const START_MS: i64 = 1_793_577_600_000; // 2026-11-02T00:00Z

    #[test]
    fn toml_and_icalendar_files_give_the_same_events() {
        let dir = tempfile::tempdir().unwrap();
        let toml_path = dir.path().join("calendar.toml");
        std::fs::write(
            &toml_path,
            "[[event]]\nid = \"m1\"\nkind = \"match\"\nstart = \"2026-11-02T02:00:00Z\"\nminutes = 90\nscope = { country = \"DE\", delivery = \"live\" }\n",
        )
        .unwrap();
        let ics_path = dir.path().join("calendar.ics");
        std::fs::write(
            &ics_path,
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:m1\r\nSUMMARY:Cup final on another\r\n  service\r\nDTSTART:20261102T020000Z\r\nDURATION:PT1H30M\r\nCATEGORIES:match,sport\r\nX-SHOWRUNNER-SCOPE:country=DE&delivery=live\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        )
        .unwrap();
        let from_toml = read_calendar(&toml_path, START_MS).unwrap();
        let from_ics = read_calendar(&ics_path, START_MS).unwrap();
        assert_eq!(from_toml, from_ics);
        assert_eq!(from_toml[0].start_minute, 120);
        assert_eq!(from_toml[0].kind, "match");
    }

    #[test]
    fn bad_calendars_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let toml_path = dir.path().join("calendar.toml");
        for (text, want) in [
            ("[[event]]\nid = \"m\"\nstart = \"tomorrow\"\nminutes = 5\nscope = {}\n", "`start` = `tomorrow`"),
            (
                "[[event]]\nid = \"m\"\nstart = \"2026-11-02T02:00:00Z\"\nminutes = 0\nscope = {}\n",
                "`minutes` must be a positive integer",
            ),
            (
                "[[event]]\nid = \"m\"\nstart = \"2026-11-02T02:00:00Z\"\nminutes = 5\nscope = { country = 3 }\n",
                "scope `country` must be text",
            ),
            ("event = 3\n", "array of tables"),
            ("[[event\n", "calendar.toml"),
        ] {
            std::fs::write(&toml_path, text).unwrap();
            let err = read_calendar(&toml_path, 0).unwrap_err().to_string();
            assert!(err.contains(want), "{text}: {err}");
        }
        let ics_path = dir.path().join("calendar.ics");
        let event = |body: &str| format!("BEGIN:VEVENT\nUID:x\n{body}\nEND:VEVENT\n");
        for (text, want) in [
            (event("DTSTART:20261102T020000Z\nDURATION:PT1H"), "no X-SHOWRUNNER-SCOPE"),
            (event("DTSTART:20261102T020000\nDURATION:PT1H\nX-SHOWRUNNER-SCOPE:*"), "floating local time"),
            (
                event("DTSTART;TZID=Europe/Berlin:20261102T020000\nDURATION:PT1H\nX-SHOWRUNNER-SCOPE:*"),
                "EUROPE/BERLIN is not supported",
            ),
            (event("DTSTART:20261102T020000Z\nDTEND:20261102T010000Z\nX-SHOWRUNNER-SCOPE:*"), "at least a minute"),
            (event("DTSTART:20261102T020000Z\nDURATION:2 hours\nX-SHOWRUNNER-SCOPE:*"), "DURATION `2 hours`"),
            (event("DTSTART:20261102T020000Z\nDURATION:PT1H\nX-SHOWRUNNER-SCOPE:country"), "expected dim=value"),
            ("BEGIN:VEVENT\nUID:x\n".to_string(), "no END:VEVENT"),
        ] {
            std::fs::write(&ics_path, &text).unwrap();
            let err = read_calendar(&ics_path, 0).unwrap_err().to_string();
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn absolute_events_count_from_the_data_start_and_keep_their_end() {
        let e = ScheduledEvent {
            id: "m".into(),
            kind: "match".into(),
            scope: vec![],
            start_ms: START_MS + 90 * 60_000,
            minutes: 60,
        };
        assert_eq!((e.relative_to(START_MS).start_minute, e.relative_to(START_MS).minutes), (90, 60));
        // Begun 30 minutes before the data: the last 30 minutes remain.
        let later = e.relative_to(START_MS + 120 * 60_000);
        assert_eq!((later.start_minute, later.minutes), (0, 30));
        assert_eq!(e.relative_to(START_MS + 500 * 60_000).minutes, 0, "over before the data");
        assert!(ScheduledEvent { minutes: 0, ..e.clone() }.validate().is_err());
        assert!(ScheduledEvent { scope: vec![("country".into(), String::new())], ..e }.validate().is_err());
    }

    fn catalogue() -> Catalogue {
        let leaves: Vec<Vec<&str>> =
            [["DE", "A"], ["DE", "B"], ["FR", "A"], ["FR", "B"]].iter().map(|l| l.to_vec()).collect();
        Catalogue::new(&["country", "cdn"], &leaves, 2)
    }

    fn score(c: &Catalogue, label: &str, metric: QoeMetric, observed: f64, expected: f64) -> SeriesScore {
        let element = c.index_of_label(label).unwrap();
        SeriesScore {
            element,
            metric,
            observed,
            expected,
            sd: 10.0,
            forecast_z: -9.0,
            derivative_z: -9.0,
            correlation_z: -9.0,
            attempts: 500,
        }
    }

    fn event(id: &str, start_minute: u32) -> CalendarEvent {
        CalendarEvent {
            id: id.into(),
            kind: "match".into(),
            scope: vec![("country".into(), "DE".into())],
            start_minute,
            minutes: 60,
        }
    }

    #[test]
    fn an_event_kind_learns_its_effect_and_then_explains_only_that() {
        let c = catalogue();
        let mut cal = Calendar::new(vec![event("first", 100), event("second", 1000)]);
        // Unknown kind: the first match explains anything in DE.
        let collapse = score(&c, "cdn=A&country=DE", QoeMetric::Attempts, 100.0, 1000.0);
        assert_eq!(cal.explains(120, &collapse, &c, 5.0).map(|e| e.id.as_str()), Some("first"));
        // It halves DE's traffic and leaves rebuffering alone.
        for m in 100..=160 {
            let scores = [
                score(&c, "country=DE", QoeMetric::Attempts, 1000.0, 2000.0),
                score(&c, "country=DE", QoeMetric::RebufferingRatio, 0.004, 0.004),
            ];
            cal.learn(m, &scores, &c);
        }
        assert!((cal.learned("match", QoeMetric::Attempts).unwrap() - 0.5).abs() < 1e-12);
        assert!((cal.learned("match", QoeMetric::RebufferingRatio).unwrap() - 1.0).abs() < 1e-12);
        // The second match: the learned dent is explained, a collapse well
        // beyond it and a rebuffering spike are not.
        let dent = score(&c, "cdn=A&country=DE", QoeMetric::Attempts, 520.0, 1000.0);
        assert_eq!(cal.explains(1020, &dent, &c, 5.0).map(|e| e.id.as_str()), Some("second"));
        assert!(cal.explains(1020, &collapse, &c, 5.0).is_none());
        let stall = score(&c, "cdn=A&country=DE", QoeMetric::RebufferingRatio, 0.04, 0.004);
        assert!(cal.explains(1020, &SeriesScore { sd: 0.0004, ..stall }, &c, 5.0).is_none());
        // Outside the scope, or its time, nothing is explained.
        let fr = score(&c, "country=FR", QoeMetric::Attempts, 520.0, 1000.0);
        assert!(cal.explains(1020, &fr, &c, 5.0).is_none());
        assert!(cal.explains(2000, &dent, &c, 5.0).is_none());
        // A series reaching beyond the scope (CDN A everywhere) is still
        // explained broadly: the event's share of it is not known.
        let cdn_a = score(&c, "cdn=A", QoeMetric::Attempts, 100.0, 1000.0);
        assert!(cal.explains(1020, &cdn_a, &c, 5.0).is_some());
    }
}
