//! Per-leaf observed and expected amounts in additive units, the common
//! ground on which additive and ratio measures are searched.
//!
//! For a ratio measure (numerator a, denominator b) the deviation of a leaf
//! is counted in numerator units against the leaf's *own* traffic:
//! expected = predicted ratio × observed denominator. A leaf whose traffic
//! halves but whose error rate holds is then not deviating, and sums over any
//! element stay consistent with the element's aggregate ratio
//! Σa / Σb versus Σ(expected) / Σb — ratios are never summed.

use crate::cube::{Cube, Measure};

/// Observed, expected, scale and sampling unit per leaf.
pub(crate) struct LeafAmounts {
    pub observed: Vec<f64>,
    pub expected: Vec<f64>,
    /// Size of the leaf in the measure's units: the mean of observed and
    /// expected, so that neither a vanished nor a brand-new leaf has size 0.
    pub scale: Vec<f64>,
    /// Sampling-noise unit: variance of the leaf's amount under pure
    /// counting noise, up to a common factor.
    pub unit: Vec<f64>,
    /// Denominator per leaf for ratio measures (to report element ratios).
    pub denominator: Option<Vec<f64>>,
    /// Least count-noise coefficient: 1 when `unit` is a binomial variance.
    pub count_floor: f64,
}

/// Computes the per-leaf amounts of `cube`.
pub(crate) fn amounts(cube: &Cube) -> LeafAmounts {
    match cube.measure() {
        Measure::Additive { real, predict } => {
            let scale: Vec<f64> = real.iter().zip(predict).map(|(r, p)| ((r + p) / 2.0).max(0.0)).collect();
            LeafAmounts {
                observed: real.clone(),
                expected: predict.clone(),
                unit: scale.clone(),
                scale,
                denominator: None,
                count_floor: 0.0,
            }
        }
        Measure::Ratio { real_a, real_b, predict_ratio } => {
            let fallback = fallback_ratio(real_a, real_b, predict_ratio);
            let ratio: Vec<f64> = predict_ratio.iter().map(|&p| if p.is_nan() { fallback } else { p }).collect();
            let expected: Vec<f64> = ratio.iter().zip(real_b).map(|(p, b)| p * b).collect();
            // A proportion (numerator ≤ denominator everywhere) has binomial
            // noise b·p(1−p); p is pulled half a unit off 0 and 1 so a leaf
            // with a perfect history is not treated as noise-free.
            let proportion = real_a.iter().zip(real_b).all(|(a, b)| a <= b) && ratio.iter().all(|&p| p <= 1.0);
            let unit = ratio
                .iter()
                .zip(real_b)
                .map(|(&p, &b)| {
                    if proportion {
                        let q = (p * b + 0.5) / (b + 1.0);
                        b * q * (1.0 - q)
                    } else {
                        p * b
                    }
                })
                .collect();
            let scale = real_a.iter().zip(&expected).map(|(a, e)| (a + e) / 2.0).collect();
            LeafAmounts {
                observed: real_a.clone(),
                expected,
                scale,
                unit,
                denominator: Some(real_b.clone()),
                count_floor: if proportion { 1.0 } else { 0.0 },
            }
        }
    }
}

/// The expected ratio for leaves without one: the pooled predicted ratio of
/// the leaves that have one, else the observed overall ratio (no deviation).
fn fallback_ratio(real_a: &[f64], real_b: &[f64], predict_ratio: &[f64]) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for (p, b) in predict_ratio.iter().zip(real_b) {
        if !p.is_nan() {
            num += p * b;
            den += b;
        }
    }
    if den > 0.0 {
        return num / den;
    }
    let b: f64 = real_b.iter().sum();
    if b > 0.0 {
        real_a.iter().sum::<f64>() / b
    } else {
        0.0
    }
}
