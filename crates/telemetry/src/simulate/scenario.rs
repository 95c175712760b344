//! The ground truth of a simulation: what happened, where, when, and
//! whether anyone knew in advance.
//!
//! Four classes, as an on-call engineer meets them:
//!
//! - **anticipated** — on the calendar: a big match on another service
//!   lowers our traffic in a country; our own premiere raises live
//!   traffic. Each kind recurs weekly, so its effect can be learned.
//! - **low impact** — unannounced and mild: a sunny afternoon, a broad dip.
//!   Not worth an alarm.
//! - **high impact, external** — unannounced and drastic, but not ours: a
//!   regional power cut, breaking news. Every device, ISP and CDN in the
//!   region moves together.
//! - **incident** — ours to fix, confined to a dimension combination: one
//!   CDN failing for one ISP in one country, one app version failing to
//!   start video. These must raise an alarm, quickly.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::world::{CDNS, COUNTRIES, ISPS};

/// Which of the four classes an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventClass {
    /// Scheduled and on the calendar.
    Anticipated,
    /// Unannounced, mild.
    LowImpact,
    /// Unannounced, drastic, outside our control.
    HighImpactExternal,
    /// A genuine incident of the service.
    Incident,
}

/// What an event does to the leaves in its scope.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "metric", content = "factor", rename_all = "snake_case")]
pub enum Effect {
    /// Attempts multiplied.
    Traffic(f64),
    /// Rebuffering ratio multiplied.
    Rebuffering(f64),
    /// Start-failure probability added.
    StartFailures(f64),
    /// Start-up time multiplied.
    StartupTime(f64),
    /// Error probability per attempt added.
    Errors(f64),
}

/// One event of the scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioEvent {
    /// Stable id, `class-n`.
    pub id: String,
    /// Its class.
    pub class: EventClass,
    /// What kind of thing happened (`power_cut`, `cdn_isp_rebuffering`, …).
    pub kind: &'static str,
    /// The dimension values it is confined to (empty = everywhere).
    pub scope: Vec<(String, String)>,
    /// First affected minute from the simulation start.
    pub start_minute: u32,
    /// Minutes it lasts.
    pub minutes: u32,
    /// What it does.
    pub effects: Vec<Effect>,
}

impl ScenarioEvent {
    /// One hand-placed event with one effect (`scope` as dimension, value
    /// pairs), for tests and demonstrations that need an event exactly there.
    pub fn placed(
        class: EventClass,
        kind: &'static str,
        scope: &[(&str, &str)],
        start_minute: u32,
        minutes: u32,
        effect: Effect,
    ) -> Self {
        ScenarioEvent {
            id: kind.to_string(),
            class,
            kind,
            scope: scope.iter().map(|(d, v)| (d.to_string(), v.to_string())).collect(),
            start_minute,
            minutes,
            effects: vec![effect],
        }
    }

    /// A regional power cut: traffic in `country` falls to 35%.
    pub fn power_cut(country: &str, start_minute: u32, minutes: u32) -> Self {
        let scope = [("country", country)];
        Self::placed(EventClass::HighImpactExternal, "power_cut", &scope, start_minute, minutes, Effect::Traffic(0.35))
    }

    /// A CDN failing for one ISP in one country: six times the rebuffering.
    pub fn cdn_isp_rebuffering(cdn: &str, isp: &str, country: &str, start_minute: u32, minutes: u32) -> Self {
        let scope = [("cdn", cdn), ("isp", isp), ("country", country)];
        Self::placed(
            EventClass::Incident,
            "cdn_isp_rebuffering",
            &scope,
            start_minute,
            minutes,
            Effect::Rebuffering(6.0),
        )
    }

    /// Whether it affects minute `m`.
    pub fn active(&self, m: u32) -> bool {
        (self.start_minute..self.start_minute + self.minutes).contains(&m)
    }

    /// The scope as `dim=value&…` with dimensions sorted, the form the
    /// localization reports.
    pub fn scope_label(&self) -> String {
        let mut pairs: Vec<String> = self.scope.iter().map(|(d, v)| format!("{d}={v}")).collect();
        pairs.sort();
        pairs.join("&")
    }
}

fn scope(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(d, v)| (d.to_string(), v.to_string())).collect()
}

/// Minutes in a day.
const DAY: u32 = 1440;

/// The minute from the start at which it is `hour:00` local time in
/// `country` on `day` (the simulation starts at 00:00 UTC on a Monday).
fn local(day: u32, hour: u32, country: usize) -> u32 {
    let utc = (day * DAY + hour * 60) as i64 - i64::from(COUNTRIES[country].utc_offset_h) * 60;
    utc.max(0) as u32
}

/// Appends an event with the next id of its class.
fn add(
    events: &mut Vec<ScenarioEvent>,
    class: EventClass,
    kind: &'static str,
    scope: Vec<(String, String)>,
    start_minute: u32,
    minutes: u32,
    effects: Vec<Effect>,
) {
    let n = events.iter().filter(|e| e.class == class).count();
    let prefix = match class {
        EventClass::Anticipated => "anticipated",
        EventClass::LowImpact => "low",
        EventClass::HighImpactExternal => "external",
        EventClass::Incident => "incident",
    };
    events.push(ScenarioEvent { id: format!("{prefix}-{n}"), class, kind, scope, start_minute, minutes, effects });
}

/// Draws the scenario of a `days`-day simulation from `seed`.
pub fn draw(days: u32, seed: u64) -> Vec<ScenarioEvent> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5CE7_A210);
    let mut events: Vec<ScenarioEvent> = Vec::new();
    for week in 0..days.div_ceil(7) {
        let day0 = week * 7;
        // Anticipated: a Saturday-evening match elsewhere in DE or GB, and a
        // Friday premiere of our own, live, in FR or DE.
        let c = if rng.gen_bool(0.5) { 0 } else { 1 };
        add(
            &mut events,
            EventClass::Anticipated,
            "competitor_match",
            scope(&[("country", COUNTRIES[c].code)]),
            local(day0 + 5, 20, c),
            120,
            vec![Effect::Traffic(0.7)],
        );
        let c = if rng.gen_bool(0.5) { 2 } else { 0 };
        add(
            &mut events,
            EventClass::Anticipated,
            "premiere",
            scope(&[("country", COUNTRIES[c].code), ("delivery", "live")]),
            local(day0 + 4, 21, c),
            150,
            vec![Effect::Traffic(1.7)],
        );
        // Low impact: a sunny Sunday afternoon somewhere, a mid-week dip.
        let c = rng.gen_range(0..COUNTRIES.len());
        add(
            &mut events,
            EventClass::LowImpact,
            "sunny_afternoon",
            scope(&[("country", COUNTRIES[c].code)]),
            local(day0 + 6, 13, c),
            300,
            vec![Effect::Traffic(0.88)],
        );
        let d = day0 + rng.gen_range(1..4);
        add(
            &mut events,
            EventClass::LowImpact,
            "broad_dip",
            vec![],
            d * DAY + rng.gen_range(600..1000),
            120,
            vec![Effect::Traffic(0.93)],
        );
        // High impact, external: a power cut or breaking news in a country.
        let c = rng.gen_range(0..COUNTRIES.len());
        let d = day0 + rng.gen_range(0..7);
        let start = local(d, rng.gen_range(9..22), c);
        if rng.gen_bool(0.5) {
            add(
                &mut events,
                EventClass::HighImpactExternal,
                "power_cut",
                scope(&[("country", COUNTRIES[c].code)]),
                start,
                rng.gen_range(45..91),
                vec![Effect::Traffic(0.35)],
            );
        } else {
            add(
                &mut events,
                EventClass::HighImpactExternal,
                "breaking_news",
                scope(&[("country", COUNTRIES[c].code)]),
                start,
                rng.gen_range(60..121),
                vec![Effect::Traffic(1.8)],
            );
        }
    }
    // Incidents: about one a day, at random times, never overlapping.
    let mut day = 0;
    while day < days {
        let start = day * DAY + rng.gen_range(0..DAY);
        let (kind, sc, effects, minutes): (&'static str, Vec<(String, String)>, Vec<Effect>, u32) = match rng
            .gen_range(0..4)
        {
            0 => {
                let (c, i, d) =
                    (rng.gen_range(0..COUNTRIES.len()), rng.gen_range(0..ISPS.len()), rng.gen_range(0..CDNS.len()));
                let s = scope(&[("cdn", CDNS[d].0), ("country", COUNTRIES[c].code), ("isp", ISPS[i].0)]);
                ("cdn_isp_rebuffering", s, vec![Effect::Rebuffering(rng.gen_range(5.0..10.0))], rng.gen_range(20..61))
            }
            1 => {
                let (device, app) = [("android", "5.2"), ("ios", "5.2"), ("tv", "4.1")][rng.gen_range(0..3)];
                let s = scope(&[("app_version", app), ("device", device)]);
                ("app_start_failures", s, vec![Effect::StartFailures(rng.gen_range(0.10..0.25))], rng.gen_range(20..46))
            }
            2 => {
                let (c, d) = (rng.gen_range(0..COUNTRIES.len()), rng.gen_range(0..CDNS.len()));
                let s = scope(&[("cdn", CDNS[d].0), ("country", COUNTRIES[c].code)]);
                ("cdn_slow_startup", s, vec![Effect::StartupTime(rng.gen_range(2.0..3.5))], rng.gen_range(20..61))
            }
            _ => {
                let (c, i) = (rng.gen_range(0..COUNTRIES.len()), rng.gen_range(0..ISPS.len()));
                let s = scope(&[("country", COUNTRIES[c].code), ("isp", ISPS[i].0)]);
                ("isp_errors", s, vec![Effect::Errors(rng.gen_range(0.08..0.2))], rng.gen_range(15..41))
            }
        };
        let overlaps = events.iter().any(|e| {
            e.class == EventClass::Incident
                && start < e.start_minute + e.minutes + 60
                && e.start_minute < start + minutes + 60
        });
        if !overlaps && start + minutes < days * DAY {
            add(&mut events, EventClass::Incident, kind, sc, start, minutes, effects);
        }
        day += 1;
    }
    events.retain(|e| e.start_minute + e.minutes <= days * DAY);
    events.sort_by_key(|e| e.start_minute);
    events
}
