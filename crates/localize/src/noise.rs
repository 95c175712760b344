//! The forecast-noise model: how far a normal leaf's observed value strays
//! from its expected value, as a function of its size.
//!
//! Two sources are mixed: a *relative* error (a forecast that is off by a
//! few percent whatever the size, the dominant error of large leaves) and a
//! *count* error (sampling noise of small cohorts — a leaf with 3 sessions
//! can swing from 0% to 67% errors by chance). The variance of a leaf is
//! `relative · scale² + count · unit`, where `scale` is the leaf's size in
//! the measure's units and `unit` its sampling-noise unit (see
//! [`crate::leaves`]). Both coefficients are estimated per instance from the
//! leaves that deviate *against* the anomaly's direction: every anomaly of
//! an instance pushes the same way, so those leaves carry only noise, and
//! the estimate is not inflated by the anomaly it is meant to judge.

use serde::Serialize;

/// Forecasts are never trusted to better than 1% per leaf: without a floor
/// a noise-free history would make any deviation infinitely significant.
pub const MIN_RELATIVE_SD: f64 = 0.01;

/// Fewest opposite-direction leaves per size bin when fitting the model.
const LEAVES_PER_BIN: usize = 25;

/// Most size bins.
const MAX_BINS: usize = 8;

/// Median of |N(0,1)|, to turn a median absolute residual into a standard
/// deviation.
const HALF_NORMAL_MEDIAN: f64 = 0.674_489_75;

/// Per-leaf variance = `relative · scale² + count · unit`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NoiseModel {
    /// Variance of the relative forecast error (0.01 = 10% standard deviation).
    pub relative: f64,
    /// Variance per sampling-noise unit.
    pub count: f64,
}

impl NoiseModel {
    /// The variance of a leaf of this scale and sampling unit.
    pub fn variance(&self, scale: f64, unit: f64) -> f64 {
        self.relative * scale * scale + self.count * unit
    }

    /// Estimates the model from leaf residuals (`observed − expected`), their
    /// scales and sampling units, using only leaves whose residual points
    /// against `direction` (+1 or −1). `count_floor` is the least count
    /// coefficient physics allows: 1 when `unit` is a binomial variance
    /// (independent sessions cannot be less noisy than that; the opposite
    /// side of skewed small counts would suggest they are), else 0.
    pub fn fit(residual: &[f64], scale: &[f64], unit: &[f64], direction: f64, count_floor: f64) -> NoiseModel {
        let m = Self::fit_unfloored(residual, scale, unit, direction);
        NoiseModel { relative: m.relative, count: m.count.max(count_floor) }
    }

    fn fit_unfloored(residual: &[f64], scale: &[f64], unit: &[f64], direction: f64) -> NoiseModel {
        let floor = MIN_RELATIVE_SD * MIN_RELATIVE_SD;
        let mut opposite: Vec<(f64, f64, f64)> = (0..residual.len())
            .filter(|&i| scale[i] > 0.0 && residual[i] * direction <= 0.0)
            .map(|i| (scale[i], unit[i], residual[i].abs()))
            .collect();
        if opposite.is_empty() {
            return NoiseModel { relative: floor, count: 0.0 };
        }
        opposite.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        let bins = (opposite.len() / LEAVES_PER_BIN).clamp(1, MAX_BINS);
        if bins == 1 {
            let mut rel: Vec<f64> = opposite.iter().map(|&(s, _, r)| r / s).collect();
            let sd = median(&mut rel) / HALF_NORMAL_MEDIAN;
            return NoiseModel { relative: (sd * sd).max(floor), count: 0.0 };
        }
        // Per bin: the median leaf's scale² and unit against the robust
        // variance. Medians throughout: a mean of scale² would be carried by
        // the bin's few largest leaves while the median residual describes
        // its typical one, and the model would come out too quiet.
        let rows: Vec<(f64, f64, f64)> = (0..bins)
            .filter_map(|b| {
                let part = &opposite[b * opposite.len() / bins..(b + 1) * opposite.len() / bins];
                let mut abs: Vec<f64> = part.iter().map(|p| p.2).collect();
                let sd = median(&mut abs) / HALF_NORMAL_MEDIAN;
                let s = part[part.len() / 2].0;
                let mut units: Vec<f64> = part.iter().map(|p| p.1).collect();
                let u = median(&mut units);
                (sd > 0.0).then_some((s * s / (sd * sd), u / (sd * sd), 1.0))
            })
            .collect();
        let model = fit_two(&rows).unwrap_or(NoiseModel { relative: 0.0, count: 0.0 });
        NoiseModel { relative: model.relative.max(floor), count: model.count }
    }
}

/// Least squares of `relative·x + count·y ≈ 1` over the rows (each row already
/// divided by its bin's variance, so errors are relative), both coefficients
/// non-negative.
fn fit_two(rows: &[(f64, f64, f64)]) -> Option<NoiseModel> {
    if rows.is_empty() {
        return None;
    }
    let (mut xx, mut xy, mut yy, mut x1, mut y1) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(x, y, t) in rows {
        xx += x * x;
        xy += x * y;
        yy += y * y;
        x1 += x * t;
        y1 += y * t;
    }
    let det = xx * yy - xy * xy;
    if det.abs() > 1e-12 * xx * yy {
        let relative = (x1 * yy - y1 * xy) / det;
        let count = (y1 * xx - x1 * xy) / det;
        if relative >= 0.0 && count >= 0.0 {
            return Some(NoiseModel { relative, count });
        }
    }
    let sse = |a: f64, b: f64| rows.iter().map(|&(x, y, t)| (t - a * x - b * y).powi(2)).sum::<f64>();
    let only_relative = if xx > 0.0 { x1 / xx } else { 0.0 };
    let only_count = if yy > 0.0 { y1 / yy } else { 0.0 };
    Some(if sse(only_relative, 0.0) <= sse(0.0, only_count) {
        NoiseModel { relative: only_relative, count: 0.0 }
    } else {
        NoiseModel { relative: 0.0, count: only_count }
    })
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mid = v.len() / 2;
    let (_, m, _) = v.select_nth_unstable_by(mid, |a, b| a.total_cmp(b));
    *m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_noise_is_recovered_from_the_opposite_side() {
        // Residuals of ±10% on leaves of many sizes: the fit finds ~1% variance
        // and no count part, whatever happens on the anomaly's side.
        let scale: Vec<f64> = (1..=400).map(|i| i as f64).collect();
        let residual: Vec<f64> =
            scale.iter().enumerate().map(|(i, s)| if i % 2 == 0 { -0.1 * s } else { 5.0 * s }).collect();
        let m = NoiseModel::fit(&residual, &scale, &scale, 1.0, 0.0);
        assert!((m.relative.sqrt() - 0.1 / HALF_NORMAL_MEDIAN).abs() < 0.02, "{m:?}");
        assert!(m.count < 1e-3 * m.relative * 400.0, "{m:?}");
    }

    #[test]
    fn count_noise_is_recovered_when_small_leaves_are_noisier() {
        // |residual| = sqrt(unit): pure sampling noise.
        let unit: Vec<f64> = (1..=400).map(|i| (i * i) as f64).collect();
        let residual: Vec<f64> = unit.iter().map(|u| -u.sqrt()).collect();
        let m = NoiseModel::fit(&residual, &unit, &unit, 1.0, 0.0);
        assert!(m.count > 0.0 && m.relative <= MIN_RELATIVE_SD.powi(2) * 1.01, "{m:?}");
    }
}
