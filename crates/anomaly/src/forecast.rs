//! The forecast-based scorer for monitored QoE series: what should this
//! series read at this time of day and day of week, and how far off is it.
//!
//! The state of one series is small on purpose — about 2 KB, so a million
//! series fit in two gigabytes, well inside the 4 KB per series budget:
//!
//! - a **daily shape** for weekdays and one for weekends: the expected
//!   value per quarter hour of the day (96 bins each, linearly
//!   interpolated between bin centres);
//! - a **weekday factor** per day of the week (7), multiplying the shape;
//! - a **level**: a slowly moving multiplier for growth and decline;
//! - a **spread** per quarter hour: the typical absolute forecast error,
//!   with a visit count per quarter hour so early estimates are running
//!   means rather than slow exponential ones.
//!
//! Everything is learned online by exponential smoothing, causally. It is
//! robust to past anomalies: a value more than [`CLIP_Z`] spreads off the
//! forecast is learned by the shape as if it were only that far off, and
//! by the spread at a tenth of its rate, so an outage neither teaches the
//! model that outages are normal nor widens the band it is judged against.

use serde::Serialize;

/// The day class of a weekday (0 = Monday): 0 for Monday to Friday, 1 for
/// the weekend.
fn class_of(day: usize) -> usize {
    usize::from(day >= 5)
}

/// Quarter-hour bins of the daily shape.
pub const BINS: usize = 96;

/// Minutes in a bin.
const BIN_MINUTES: f64 = 1440.0 / BINS as f64;

/// Visits of a bin before its spread is used to clip outliers: a day of
/// one-minute data.
const VISITS_TO_SETTLE: u16 = 15;

/// Share of the spread's learning rate applied to outliers.
const OUTLIER_RATE: f32 = 0.1;

/// Errors beyond this many spreads are clipped before learning.
pub const CLIP_Z: f32 = 4.0;

/// Scale of a normal distribution's mean absolute deviation (σ = 1.2533 ·
/// E|x − μ|), to turn the learned spread into a standard deviation.
const MAD_TO_SD: f32 = 1.2533;

/// Learning rates, per update.
#[derive(Debug, Clone, Copy)]
struct Rates {
    /// Daily shape: each bin is seen once a day per minute in it, so this
    /// is per visit; 15 visits a day at 1-minute data.
    shape: f32,
    /// Weekday factors.
    weekday: f32,
    /// Overall level: slow (trends over weeks), so that the first weekend
    /// is learned by the weekend's factors and does not drag the level of
    /// every other day down with it.
    level: f32,
    /// Spread.
    spread: f32,
}

const RATES: Rates = Rates { shape: 0.02, weekday: 0.002, level: 0.00005, spread: 0.01 };

/// The forecast and how far the value is from it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ForecastScore {
    /// The forecast.
    pub expected: f64,
    /// Standard deviation of normal forecast errors at this time.
    pub sd: f64,
    /// (value − expected) / sd.
    pub z: f64,
}

/// The learned state of one series.
#[derive(Debug, Clone)]
pub struct Forecaster {
    /// Daily shape, spread and visit count of each day class (weekdays,
    /// weekends): a weekend is not a quieter weekday but a different day —
    /// busy afternoons, late mornings.
    shape: [[f32; BINS]; 2],
    spread: [[f32; BINS]; 2],
    /// Updates each bin has had (saturating).
    visits: [[u16; BINS]; 2],
    weekday: [f32; 7],
    level: f32,
    /// Values seen; the first day primes the shape instead of scoring.
    seen: u32,
    /// A floor on the spread: forecasts are never trusted to better than
    /// this (in the series' units), so a flat series does not alarm on
    /// rounding.
    floor: f32,
}

impl Forecaster {
    /// A fresh series; `floor` is the least standard deviation ever
    /// assumed, in the series' units.
    pub fn new(floor: f64) -> Self {
        Forecaster {
            shape: [[f32::NAN; BINS]; 2],
            spread: [[f32::NAN; BINS]; 2],
            visits: [[0; BINS]; 2],
            weekday: [1.0; 7],
            level: 1.0,
            seen: 0,
            floor: floor.max(0.0) as f32,
        }
    }

    /// Values needed before scores mean anything: one day at one-minute
    /// resolution, so that every bin has been seen.
    pub const WARMUP: u32 = 1440;

    /// Whether the series has seen enough to be scored.
    pub fn is_warm(&self) -> bool {
        self.seen >= Self::WARMUP
    }

    /// The forecast for `minute_of_week` (0 = Monday 00:00 UTC … 10079).
    pub fn expected(&self, minute_of_week: u32) -> f64 {
        let (day, minute_of_day) = (minute_of_week / 1440 % 7, minute_of_week % 1440);
        f64::from(
            self.interpolate(&self.shape[class_of(day as usize)], minute_of_day)
                * self.weekday[day as usize]
                * self.level,
        )
    }

    /// The forecast for `minute_of_week` and the standard deviation of
    /// normal values around it, without learning anything: the band an
    /// alarm chart draws.
    pub fn band(&self, minute_of_week: u32) -> (f64, f64) {
        let (day, minute_of_day) = ((minute_of_week / 1440 % 7) as usize, minute_of_week % 1440);
        let bin = (f64::from(minute_of_day) / BIN_MINUTES) as usize % BINS;
        (self.expected(minute_of_week), f64::from(self.sd(class_of(day), bin)))
    }

    /// The standard deviation of normal values in a bin: its spread (none
    /// yet counts as zero), never below the floor.
    fn sd(&self, class: usize, bin: usize) -> f32 {
        let spread = self.spread[class][bin];
        let spread = if spread.is_nan() { 0.0 } else { spread };
        (MAD_TO_SD * spread).max(self.floor).max(f32::MIN_POSITIVE)
    }

    /// Appends the learned state to `w` (see [`Forecaster::read`]).
    pub fn write(&self, w: &mut crate::bytes::Writer) {
        for class in 0..2 {
            self.shape[class].iter().chain(&self.spread[class]).for_each(|&v| w.f32(v));
            self.visits[class].iter().for_each(|&v| w.u16(v));
        }
        self.weekday.iter().for_each(|&v| w.f32(v));
        w.f32(self.level);
        w.u32(self.seen);
        w.f32(self.floor);
    }

    /// Reads a state written by [`Forecaster::write`].
    pub fn read(r: &mut crate::bytes::Reader) -> Option<Forecaster> {
        let mut f = Forecaster::new(0.0);
        for class in 0..2 {
            for v in f.shape[class].iter_mut().chain(f.spread[class].iter_mut()) {
                *v = r.f32()?;
            }
            for v in f.visits[class].iter_mut() {
                *v = r.u16()?;
            }
        }
        for v in f.weekday.iter_mut() {
            *v = r.f32()?;
        }
        f.level = r.f32()?;
        f.seen = r.u32()?;
        f.floor = r.f32()?;
        Some(f)
    }

    /// Scores `value` at `minute_of_week` against the forecast made before
    /// seeing it, then learns from it.
    pub fn update(&mut self, minute_of_week: u32, value: f64) -> ForecastScore {
        let (day, minute_of_day) = ((minute_of_week / 1440 % 7) as usize, minute_of_week % 1440);
        let bin = (f64::from(minute_of_day) / BIN_MINUTES) as usize % BINS;
        let x = value as f32;
        let seasonal = self.weekday[day] * self.level;
        let class = class_of(day);
        if self.shape[class][bin].is_nan() {
            // First visit of this bin: take the value as its shape.
            self.shape[class][bin] = x / seasonal.max(f32::EPSILON);
        }
        let expected = self.interpolate(&self.shape[class], minute_of_day) * seasonal;
        let sd = self.sd(class, bin);
        let z = (x - expected) / sd;
        self.learn(class, bin, day, x, expected, sd, z);
        self.seen = self.seen.saturating_add(1);
        ForecastScore { expected: f64::from(expected), sd: f64::from(sd), z: f64::from(z) }
    }

    #[allow(clippy::too_many_arguments)]
    fn learn(&mut self, class: usize, bin: usize, day: usize, x: f32, expected: f32, sd: f32, z: f32) {
        // Until the bin has a day of visits its spread is not trusted to
        // call anything an outlier; afterwards outliers are learned only up
        // to CLIP_Z. (Clipping against an unsettled spread can pin it near
        // zero for good: every error would be clipped to almost nothing.)
        let settled = self.visits[class][bin] >= VISITS_TO_SETTLE && self.spread[class][bin] > 0.0;
        let clipped = if settled { expected + z.clamp(-CLIP_Z, CLIP_Z) * sd } else { x };
        let error = (clipped - expected).abs();
        // Early on, a running mean (rate 1/visits of the bin) rather than
        // the slow exponential rate, so the first days are not scored
        // against a spread resting on its first few samples.
        self.visits[class][bin] = self.visits[class][bin].saturating_add(1);
        let visits = f32::from(self.visits[class][bin]);
        let (spread_rate, shape_rate) = (RATES.spread.max(1.0 / visits), RATES.shape.max(1.0 / visits));
        // An outlier says little about the normal spread: it is learned at a
        // tenth of the rate, so an hour-long incident widens the band by a
        // few percent while a spread that is simply too narrow still
        // recovers.
        let outlier = settled && z.abs() > CLIP_Z;
        let spread_rate = if outlier { spread_rate * OUTLIER_RATE } else { spread_rate };
        let spread = &mut self.spread[class][bin];
        *spread = if spread.is_nan() { error } else { *spread + spread_rate * (error - *spread) };
        let seasonal = self.weekday[day] * self.level;
        if seasonal > 0.0 {
            let target = clipped / seasonal;
            self.shape[class][bin] += shape_rate * (target - self.shape[class][bin]);
        }
        if expected > 0.0 && clipped >= 0.0 && self.is_warm() {
            let ratio = (clipped / expected).clamp(0.5, 2.0);
            self.weekday[day] *= 1.0 + RATES.weekday * (ratio - 1.0);
            self.level *= 1.0 + RATES.level * (ratio - 1.0);
            // Keep the weekday factors averaging 1 so that they and the
            // level do not drift against each other.
            let mean = self.weekday.iter().sum::<f32>() / 7.0;
            if mean > 0.0 {
                self.weekday.iter_mut().for_each(|w| *w /= mean);
                self.level *= mean;
            }
        }
    }

    /// The shape at a minute of the day, linear between bin centres (bins
    /// not seen yet borrow their neighbour's value).
    fn interpolate(&self, table: &[f32; BINS], minute_of_day: u32) -> f32 {
        let position = f64::from(minute_of_day) / BIN_MINUTES - 0.5;
        let left = position.floor().rem_euclid(BINS as f64) as usize;
        let right = (left + 1) % BINS;
        let w = (position - position.floor()) as f32;
        match (table[left].is_nan(), table[right].is_nan()) {
            (false, false) => table[left] * (1.0 - w) + table[right] * w,
            (false, true) => table[left],
            (true, false) => table[right],
            (true, true) => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Attempts per minute: a daily cycle between 200 and 1000, 30% less on
    /// weekends, with ±3% deterministic noise.
    fn attempts(minute: u32) -> f64 {
        let day = minute / 1440 % 7;
        let phase = f64::from(minute % 1440) / 1440.0 * std::f64::consts::TAU;
        let weekend = if day >= 5 { 0.7 } else { 1.0 };
        let noise = 1.0 + 0.03 * (((minute * 7919) % 201) as f64 / 100.0 - 1.0);
        (600.0 - 400.0 * phase.cos()) * weekend * noise
    }

    #[test]
    fn learns_the_daily_and_weekly_cycle() {
        let mut f = Forecaster::new(1.0);
        for m in 0..3 * 10_080 {
            f.update(m % 10_080, attempts(m));
        }
        for m in [3 * 10_080 + 300, 3 * 10_080 + 5 * 1440 + 700, 3 * 10_080 + 6 * 1440 + 1200] {
            let truth = attempts(m) / (1.0 + 0.03 * ((((m * 7919) % 201) as f64 / 100.0) - 1.0));
            let got = f.expected(m % 10_080);
            assert!((got - truth).abs() / truth < 0.05, "minute {m}: expected {got:.0}, truth {truth:.0}");
        }
    }

    #[test]
    fn the_band_is_the_forecast_that_scores_the_next_value() {
        let mut f = Forecaster::new(1.0);
        for m in 0..2 * 10_080 {
            f.update(m % 10_080, attempts(m));
        }
        let m = 2 * 10_080 + 600;
        let (expected, sd) = f.band(m % 10_080);
        let score = f.update(m % 10_080, attempts(m));
        assert!((expected - score.expected).abs() < 1e-9 && (sd - score.sd).abs() < 1e-9, "{expected} {sd} {score:?}");
        assert!(sd > 1.0 && sd < 0.1 * expected, "{sd}");
    }

    #[test]
    fn an_outage_scores_far_off_and_is_not_learned() {
        let mut f = Forecaster::new(1.0);
        for m in 0..2 * 10_080 {
            f.update(m % 10_080, attempts(m));
        }
        let start = 2 * 10_080 + 600;
        let mut worst: f64 = 0.0;
        for m in start..start + 120 {
            worst = worst.min(f.update(m % 10_080, attempts(m) * 0.3).z);
        }
        assert!(worst < -10.0, "a 70% drop is far below the forecast: z = {worst}");
        // Right after, the forecast still expects normal traffic, and normal
        // traffic scores as normal.
        let after = f.update((start + 120) % 10_080, attempts(start + 120));
        assert!(after.z.abs() < 3.0, "{after:?}");
        let next_day = f.update((start + 1440) % 10_080, attempts(start + 1440));
        assert!(next_day.z.abs() < 3.0, "{next_day:?}");
    }

    #[test]
    fn normal_values_rarely_exceed_four_sd() {
        let mut f = Forecaster::new(1.0);
        let mut beyond = 0;
        let mut scored = 0;
        for m in 0..4 * 10_080 {
            let s = f.update(m % 10_080, attempts(m));
            if f.seen > 10_080 {
                scored += 1;
                beyond += usize::from(s.z.abs() > 4.0);
            }
        }
        assert!(beyond * 1000 < scored, "{beyond} of {scored} beyond 4 sd");
    }

    #[test]
    fn the_state_is_small() {
        assert!(std::mem::size_of::<Forecaster>() <= 2048, "{} bytes", std::mem::size_of::<Forecaster>());
    }
}
