//! A seeded QoE telemetry simulator with labelled ground truth.
//!
//! The simulated service ([`world`]) has viewers in five countries and
//! time zones, three ISPs each, seven device/app-version clients, three
//! CDNs and live/on-demand delivery: 630 leaves. Every minute each leaf's
//! aggregate is drawn from its traffic share, the local time of day and
//! day of week, counting noise (Poisson attempts, binomial failures and
//! exits, per-play start-up times) and forecast-free jitter on rebuffering
//! and bitrate — then the [`scenario`]'s events in force scale it.
//!
//! A minute is generated from `(seed, minute)` alone, so any minute can be
//! produced again, in any order, without storing 28 days of leaves: the
//! simulation directory holds its spec, its ground truth and its calendar,
//! and the data is regenerated bit for bit on demand.

pub mod scenario;
pub mod world;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution, LogNormal, Poisson};
use serde::{Deserialize, Serialize};

use crate::aggregate::{startup_bucket_centre_ms, Aggregate, MINUTE_MS};
use crate::event::EventKind;
use scenario::{Effect, ScenarioEvent};
use world::{Leaf, CLIENTS, COUNTRIES};

/// What to simulate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimSpec {
    /// Days simulated.
    pub days: u32,
    /// Random seed.
    pub seed: u64,
    /// Start, milliseconds since the epoch (a Monday 00:00 UTC).
    pub start_ms: i64,
    /// Attempts per minute over all leaves at the evening peak.
    pub peak_attempts_per_minute: f64,
}

impl SimSpec {
    /// A spec starting on Monday 2026-11-02 00:00 UTC with 4,000 attempts
    /// per minute at peak.
    pub fn new(days: u32, seed: u64) -> Self {
        SimSpec { days, seed, start_ms: 1_793_577_600_000, peak_attempts_per_minute: 4000.0 }
    }
}

/// Base rates of a normal minute.
const START_FAILURE: f64 = 0.004;
const EXIT_BEFORE_START: f64 = 0.015;
const ERROR: f64 = 0.008;
const REBUFFERING: f64 = 0.004;
const STARTUP_MEDIAN_MS: f64 = 1100.0;
/// Average session length: viewers watching at once ≈ attempts × this.
const SESSION_MINUTES: f64 = 25.0;

/// A simulation: its spec, scenario and leaves.
#[derive(Debug, Clone)]
pub struct QoeSimulation {
    /// What was asked for.
    pub spec: SimSpec,
    /// The ground truth.
    pub events: Vec<ScenarioEvent>,
    /// Every leaf, in [`Leaf::all`] order.
    pub leaves: Vec<Leaf>,
}

impl QoeSimulation {
    /// Draws the scenario of `spec`.
    pub fn new(spec: SimSpec) -> Self {
        let events = scenario::draw(spec.days, spec.seed);
        QoeSimulation { spec, events, leaves: Leaf::all() }
    }

    /// Minutes simulated.
    pub fn minutes(&self) -> u32 {
        self.spec.days * 1440
    }

    /// Epoch milliseconds of minute `m`.
    pub fn time_ms(&self, m: u32) -> i64 {
        self.spec.start_ms + i64::from(m) * MINUTE_MS
    }

    /// The expected attempts per minute of `leaf` at minute `m` without
    /// any event.
    pub fn baseline_attempts(&self, leaf: &Leaf, m: u32) -> f64 {
        let offset = i64::from(COUNTRIES[leaf.country].utc_offset_h) * 60;
        let local = i64::from(m) + offset;
        let weekday = (local.div_euclid(1440) % 7) as u32;
        let minute_of_day = local.rem_euclid(1440) as f64;
        // diurnal() peaks near 1.0 in the evening.
        self.spec.peak_attempts_per_minute * leaf.share() * world::diurnal(minute_of_day, weekday)
    }

    /// The aggregate of every leaf at minute `m`, in leaf order.
    pub fn minute(&self, m: u32) -> Vec<Aggregate> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.spec.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(m));
        let active: Vec<&ScenarioEvent> = self.events.iter().filter(|e| e.active(m)).collect();
        self.leaves.iter().map(|leaf| self.draw_leaf(leaf, m, &active, &mut rng)).collect()
    }

    fn draw_leaf(&self, leaf: &Leaf, m: u32, active: &[&ScenarioEvent], rng: &mut ChaCha8Rng) -> Aggregate {
        let (mut traffic, mut rebuffer, mut startup) = (1.0, 1.0, 1.0);
        let (mut fail, mut error) = (START_FAILURE, ERROR);
        for e in active.iter().filter(|e| leaf.within(&e.scope)) {
            for effect in &e.effects {
                match *effect {
                    Effect::Traffic(f) => traffic *= f,
                    Effect::Rebuffering(f) => rebuffer *= f,
                    Effect::StartupTime(f) => startup *= f,
                    Effect::StartFailures(p) => fail += p,
                    Effect::Errors(p) => error += p,
                }
            }
        }
        let expected = self.baseline_attempts(leaf, m);
        let mut agg = Aggregate::default();
        agg.attempts = poisson(rng, expected * traffic);
        agg.start_failures = binomial(rng, agg.attempts, fail.min(1.0));
        // Slow start-ups make more viewers give up.
        let exit = (EXIT_BEFORE_START * startup).min(0.5);
        agg.exits_before_start = binomial(rng, agg.attempts - agg.start_failures, exit);
        let plays = agg.attempts - agg.start_failures - agg.exits_before_start;
        agg.errors = agg.start_failures + binomial(rng, agg.attempts, error.min(1.0));
        let (_, _, _, bitrate) = CLIENTS[leaf.client];
        let median = STARTUP_MEDIAN_MS * startup * if leaf.client >= 4 { 1.3 } else { 1.0 };
        let lognormal = LogNormal::new(median.ln(), 0.45).expect("finite parameters");
        for _ in 0..plays {
            agg.add_event(&EventKind::Start { startup_ms: lognormal.sample(rng).min(600_000.0) });
        }
        // Viewers watching now: those who started over the last session
        // length, at the expected rate (smooth), with ±3% jitter.
        let watching = expected * traffic * SESSION_MINUTES * (1.0 + 0.03 * normal(rng));
        let watched_s = (watching * 60.0).max(0.0);
        let ratio = (REBUFFERING * rebuffer * (1.0 + 0.35 * normal(rng)).max(0.05)).min(0.9);
        agg.rebuffer_s = watched_s * ratio;
        agg.play_s = watched_s - agg.rebuffer_s;
        agg.bitrate_kbit = agg.play_s * bitrate * (1.0 + 0.02 * normal(rng));
        agg
    }
}

fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u64 {
    if lambda <= 0.0 {
        return 0;
    }
    Poisson::new(lambda).map_or(0, |p| p.sample(rng) as u64)
}

fn binomial(rng: &mut ChaCha8Rng, n: u64, p: f64) -> u64 {
    if n == 0 || p <= 0.0 {
        return 0;
    }
    Binomial::new(n, p.min(1.0)).map_or(0, |b| b.sample(rng))
}

/// A standard normal draw.
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    rand_distr::StandardNormal.sample(rng)
}

/// One simulated player event, serialised in the ingest schema
/// ([`crate::event`]).
#[derive(Debug, Clone, Serialize)]
pub struct PlayerEvent {
    /// Epoch milliseconds.
    pub time: i64,
    /// Session id.
    pub session: String,
    /// Dimension values by name.
    pub dims: std::collections::BTreeMap<&'static str, &'static str>,
    /// What happened, with its fields.
    #[serde(flatten)]
    pub kind: EventKind,
}

impl QoeSimulation {
    /// The player events behind minute `m`'s aggregates: an attempt per
    /// attempt, a start per play (start-up times drawn inside their
    /// histogram bucket), a fatal error per start failure, a non-fatal one
    /// per other error, an early end per exit, and one heartbeat per minute
    /// per viewer watching (the leaf's watched seconds split evenly).
    /// Replaying them reproduces the minute's aggregates.
    pub fn player_events(&self, m: u32) -> Vec<PlayerEvent> {
        let t0 = self.time_ms(m);
        let mut out = Vec::new();
        for (l, (leaf, agg)) in self.leaves.iter().zip(self.minute(m)).enumerate() {
            let values = leaf.values();
            let dims: std::collections::BTreeMap<&'static str, &'static str> =
                world::DIMENSIONS.iter().copied().zip(values).collect();
            let mut emit = |k: u64, offset_ms: i64, kind: EventKind| {
                out.push(PlayerEvent {
                    time: t0 + offset_ms,
                    session: format!("m{m}-l{l}-{k}"),
                    dims: dims.clone(),
                    kind,
                });
            };
            for k in 0..agg.attempts {
                emit(k, 0, EventKind::Attempt);
            }
            let mut k = 0;
            for (bucket, &count) in agg.startup.iter().enumerate() {
                for _ in 0..count {
                    emit(k, 1000, EventKind::Start { startup_ms: startup_bucket_centre_ms(bucket) });
                    k += 1;
                }
            }
            for _ in 0..agg.start_failures {
                emit(
                    k,
                    2000,
                    EventKind::Error { code: "PLAYBACK_START_FAILED".into(), fatal: true, before_start: true },
                );
                k += 1;
            }
            for _ in 0..agg.errors - agg.start_failures {
                emit(k, 3000, EventKind::Error { code: "SEGMENT_RETRY".into(), fatal: false, before_start: false });
                k += 1;
            }
            for _ in 0..agg.exits_before_start {
                emit(k, 4000, EventKind::End { before_start: true });
                k += 1;
            }
            let watched = agg.play_s + agg.rebuffer_s;
            let viewers = (watched / 60.0).ceil().max(1.0) as u64;
            if watched > 0.0 {
                let bitrate = agg.bitrate_kbit / agg.play_s.max(f64::MIN_POSITIVE);
                for v in 0..viewers {
                    let play_s = agg.play_s / viewers as f64;
                    let rebuffer_s = agg.rebuffer_s / viewers as f64;
                    emit(k + v, 59_000, EventKind::Heartbeat { play_s, rebuffer_s, bitrate_kbps: bitrate });
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::scenario::EventClass;
    use super::*;

    fn sim() -> QoeSimulation {
        QoeSimulation::new(SimSpec::new(28, 7))
    }

    fn total(aggs: &[Aggregate]) -> Aggregate {
        let mut t = Aggregate::default();
        aggs.iter().for_each(|a| t.merge(a));
        t
    }

    #[test]
    fn traffic_follows_the_evening_peak_and_is_reproducible() {
        let s = sim();
        // 20:00 UTC = 21:00 in most countries, a Tuesday.
        let peak = total(&s.minute(1440 + 20 * 60)).attempts as f64;
        let night = total(&s.minute(1440 + 3 * 60)).attempts as f64;
        assert!((3400.0..4600.0).contains(&peak), "peak {peak}");
        assert!(night < 0.2 * peak, "night {night} vs peak {peak}");
        assert_eq!(s.minute(5000), s.minute(5000));
        assert_ne!(s.minute(5000), s.minute(5001));
    }

    #[test]
    fn the_scenario_has_every_class_and_incidents_hit_only_their_scope() {
        let s = sim();
        for class in [EventClass::Anticipated, EventClass::LowImpact, EventClass::HighImpactExternal] {
            assert!(s.events.iter().filter(|e| e.class == class).count() >= 4, "{class:?}");
        }
        let incidents: Vec<&ScenarioEvent> = s.events.iter().filter(|e| e.class == EventClass::Incident).collect();
        assert!(incidents.len() >= 15, "{} incidents in 28 days", incidents.len());
        let rebuffering = incidents.iter().find(|e| e.kind == "cdn_isp_rebuffering").expect("one rebuffering incident");
        let ratio_in = |m: u32, inside: bool| {
            let aggs = s.minute(m);
            let mut t = Aggregate::default();
            for (leaf, a) in s.leaves.iter().zip(&aggs) {
                if leaf.within(&rebuffering.scope) == inside {
                    t.merge(a);
                }
            }
            t.metrics().rebuffering_ratio
        };
        let during = rebuffering.start_minute + rebuffering.minutes / 2;
        let before = rebuffering.start_minute - 90;
        assert!(ratio_in(during, true) > 3.0 * ratio_in(before, true), "{}", rebuffering.scope_label());
        assert!(ratio_in(during, false) < 1.5 * ratio_in(before, false));
    }

    #[test]
    fn player_events_reproduce_the_minute() {
        let s = QoeSimulation::new(SimSpec::new(1, 3));
        let m = 20 * 60;
        let mut cube = crate::aggregate::Cube::new(MINUTE_MS);
        let mut validator = crate::validate::Validator::new(
            crate::schema::Schema {
                dimensions: world::DIMENSIONS
                    .iter()
                    .map(|d| crate::schema::Dimension { name: d.to_string(), cap: 100 })
                    .collect(),
            },
            3_600_000,
        )
        .unwrap();
        for e in s.player_events(m) {
            let line = serde_json::to_string(&e).unwrap();
            let record = crate::record::parse_json(&line).unwrap();
            cube.add(&validator.check(&record, s.time_ms(m)).unwrap());
        }
        let replayed = &cube.totals()[0].1;
        let truth = total(&s.minute(m));
        assert_eq!(
            (replayed.attempts, replayed.plays, replayed.start_failures, replayed.exits_before_start, replayed.errors),
            (truth.attempts, truth.plays, truth.start_failures, truth.exits_before_start, truth.errors)
        );
        assert_eq!(replayed.startup, truth.startup);
        assert!((replayed.rebuffer_s - truth.rebuffer_s).abs() < 1e-6 * truth.rebuffer_s);
        assert!(
            (replayed.metrics().bitrate_kbps - truth.metrics().bitrate_kbps).abs()
                < 1e-6 * truth.metrics().bitrate_kbps
        );
    }
}
