//! The search: greedy selection of the elements that best explain the
//! deviation, by a penalised likelihood gain.
//!
//! For an element e, assume its leaves all moved by one common factor (the
//! "ripple" of a root cause down to its leaves) and everything else stayed
//! as forecast. The weighted least-squares fit of that factor reduces the
//! squared, noise-standardised residual by
//!
//! `gain(e) = (Σ dev·s/v)² / Σ s²/v`
//!
//! (dev = observed − expected, s = leaf scale, v = leaf noise variance from
//! [`crate::noise`]). Under "e is normal" the gain is χ²(1); it is largest
//! for the exact root cause: a more general element mixes in normal leaves
//! that dilute the fit, a more specific one leaves part of the anomaly out.
//! Elements are compared across layers by `gain − penalty·ln(N_L)`, where
//! N_L is the number of elements of that layer with data — the cost of
//! naming one of N_L candidates, as in a Bonferroni correction or a
//! minimum-description-length code. The best element is taken when that
//! margin exceeds `min_margin`; its leaves are then set aside as explained
//! and the search repeats, which finds several root causes at different
//! layers. Only elements that deviate the same way as the total are
//! candidates: the anomalies of one incident push the metric one way.

use serde::Serialize;

use crate::cube::Cube;
use crate::element::Element;
use crate::error::LocalizeError;
use crate::lattice::{Agg, Lattice};
use crate::leaves::amounts;
use crate::noise::NoiseModel;
use crate::scan::{CuboidScan, NULL_TOP};

/// Search parameters; the defaults are the ones every figure in
/// `BENCHMARKS.md` was measured with.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    /// Cost of naming an element, per nat of the number of candidates in
    /// its layer. 2 makes the expected maximum gain of pure noise over N
    /// candidates (≈ 2 ln N) the bar to clear.
    pub penalty: f64,
    /// Margin above the penalty an element's gain must reach (χ² units);
    /// 9 ≈ a further factor e^4.5 ≈ 90 against chance.
    pub min_margin: f64,
    /// Most root-cause elements returned.
    pub max_root_causes: usize,
    /// Largest number of attributes in an element (0 = all).
    pub max_layer: usize,
    /// Share of the total deviation the root causes must explain for the
    /// result to count as a good explanation.
    pub min_explained: f64,
    /// How far above the strongest opposite-direction (pure noise) element
    /// of its layer a candidate must score, in units of that noise's tail
    /// scale. Guards against noise with heavier tails than the model's.
    pub null_margin: f64,
    /// Share of a parent's size that sibling root causes must hold together
    /// to be replaced by the parent (a majority, by default).
    pub sibling_share: f64,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            penalty: 2.0,
            min_margin: 9.0,
            max_root_causes: 20,
            max_layer: 0,
            min_explained: 0.5,
            null_margin: 3.0,
            sibling_share: 0.5,
        }
    }
}

/// One root-cause element with what it explains.
#[derive(Debug, Clone, Serialize)]
pub struct RootCause {
    /// Canonical label, `attr=value&…` with attributes sorted.
    pub element: String,
    /// Number of attributes fixed.
    pub layer: usize,
    /// Leaves under the element.
    pub leaves: usize,
    /// Observed aggregate of the element (sum, or ratio for ratio measures).
    pub observed: f64,
    /// Expected aggregate of the element.
    pub expected: f64,
    /// Share of the total deviation this element accounts for.
    pub explained: f64,
    /// Likelihood gain (χ² units) when it was selected.
    pub gain: f64,
    /// 1 − the Bonferroni-corrected chance that noise alone scores this high.
    pub confidence: f64,
    /// Internal form, for callers that test leaves.
    #[serde(skip)]
    pub pairs: Element,
}

/// The result of localizing one instance.
#[derive(Debug, Clone, Serialize)]
pub struct Localization {
    /// Root causes in the order found (most significant first).
    pub root_causes: Vec<RootCause>,
    /// Observed total (sum, or ratio for ratio measures).
    pub observed: f64,
    /// Expected total.
    pub expected: f64,
    /// Share of the total deviation the root causes explain together.
    pub explained: f64,
    /// Whether the root causes explain at least `min_explained` of it.
    pub well_explained: bool,
    /// The noise model estimated for this instance.
    pub noise: NoiseModel,
}

/// Finds the root-cause elements of `cube`.
pub fn localize(cube: &Cube, config: &SearchConfig) -> Result<Localization, LocalizeError> {
    if config.penalty < 0.0 || !config.penalty.is_finite() || !config.min_margin.is_finite() {
        return Err(LocalizeError::Instance("penalty and min_margin must be finite, penalty ≥ 0".into()));
    }
    let amounts = amounts(cube);
    let n = cube.len();
    let residual: Vec<f64> = (0..n).map(|i| amounts.observed[i] - amounts.expected[i]).collect();
    let total_dev: f64 = residual.iter().sum();
    let direction = if total_dev < 0.0 { -1.0 } else { 1.0 };
    let noise = NoiseModel::fit(&residual, &amounts.scale, &amounts.unit, direction, amounts.count_floor);
    let floor = (crate::noise::MIN_RELATIVE_SD).powi(2);
    let mut active: Vec<Agg> = (0..n)
        .map(|i| {
            let s = amounts.scale[i];
            if s <= 0.0 {
                return Agg::default();
            }
            let v = noise.variance(s, amounts.unit[i]).max(floor * s * s);
            Agg { fit: residual[i] * s / v, info: s * s / v, leaves: 1 }
        })
        .collect();
    let mut lattice = Lattice::build(cube, &active).map_err(LocalizeError::Instance)?;
    let mut scans: Vec<CuboidScan> = lattice.cuboids().map(|(_, sums)| CuboidScan::full(sums, direction)).collect();
    let max_layer = if config.max_layer == 0 { cube.attributes().len() } else { config.max_layer };
    let mut found: Vec<(Element, f64, f64)> = Vec::new();
    if total_dev != 0.0 {
        while found.len() < config.max_root_causes {
            let Some((element, gain, confidence)) = best_element(&lattice, &scans, max_layer, config) else {
                break;
            };
            let mut explained: Vec<(usize, Agg)> = Vec::new();
            for (i, stat) in active.iter_mut().enumerate() {
                if stat.leaves > 0 && element.contains(cube.leaf(i)) {
                    explained.push((i, std::mem::take(stat)));
                }
            }
            lattice.subtract(&explained, |c, sums, changed, emptied| scans[c].patch(sums, changed, emptied, direction));
            // The rest of an element already named is anomalous too: the
            // broader element is the cause, not its first-found part.
            found.retain(|(e, _, _)| !element.covers(e));
            found.push((element, gain, confidence));
        }
        found = generalise_siblings(cube, &amounts.scale, found, config.sibling_share);
    }
    Ok(summarise(cube, &amounts, found, total_dev, noise, config))
}

/// Replaces sibling root causes (elements that differ only in one
/// attribute's value) by their common parent when together they hold at
/// least `share` of the parent's size: "every major CDN under bitrate=2000
/// failed" is said more simply, and more truly, as "bitrate=2000 failed".
/// Repeats until nothing changes, since a parent may in turn complete its
/// own siblings.
fn generalise_siblings(
    cube: &Cube,
    scale: &[f64],
    mut found: Vec<(Element, f64, f64)>,
    share: f64,
) -> Vec<(Element, f64, f64)> {
    let size = |e: &Element| (0..cube.len()).filter(|&i| e.contains(cube.leaf(i))).map(|i| scale[i]).sum::<f64>();
    loop {
        let mut merged = None;
        'search: for (i, (e, _, _)) in found.iter().enumerate() {
            if e.layer() < 2 {
                continue;
            }
            for &(attr, _) in &e.pairs {
                let parent = e.without(attr);
                let siblings: Vec<usize> = found
                    .iter()
                    .enumerate()
                    .filter(|(_, (o, _, _))| o.layer() == e.layer() && parent.covers(o))
                    .map(|(j, _)| j)
                    .collect();
                if siblings.len() < 2 {
                    continue;
                }
                let covered: f64 = siblings.iter().map(|&j| size(&found[j].0)).sum();
                if covered >= share * size(&parent) {
                    merged = Some((parent, siblings, i));
                    break 'search;
                }
            }
        }
        let Some((parent, siblings, first)) = merged else { return found };
        let gain = siblings.iter().map(|&j| found[j].1).sum();
        let confidence = siblings.iter().map(|&j| found[j].2).fold(0.0, f64::max);
        let mut kept: Vec<(Element, f64, f64)> = Vec::new();
        for (j, item) in found.into_iter().enumerate() {
            if j == first {
                kept.push((parent.clone(), gain, confidence));
            } else if !siblings.contains(&j) && !parent.covers(&item.0) {
                kept.push(item);
            }
        }
        found = kept;
    }
}

/// The gains of the strongest elements deviating *against* the anomaly in
/// one layer: pure noise, since every anomaly of an instance pushes the same
/// way. Their maximum and tail spread are the empirical null for the
/// elements deviating with it.
#[derive(Debug, Clone, Default)]
struct LayerNull {
    /// The largest opposite-side gains, descending, at most `NULL_TOP`.
    top: Vec<f64>,
}

impl LayerNull {
    fn offer(&mut self, gain: f64) {
        let at = self.top.partition_point(|&g| g >= gain);
        if at < NULL_TOP {
            self.top.insert(at, gain);
            self.top.truncate(NULL_TOP);
        }
    }

    /// The bar from the empirical null: its maximum plus `margin` times the
    /// tail scale (mean excess of the top gains over the smallest kept one,
    /// never below 2, the exponential tail scale of χ²(1)).
    fn bar(&self, margin: f64) -> f64 {
        let Some(&max) = self.top.first() else { return 0.0 };
        let last = *self.top.last().unwrap_or(&max);
        let k = self.top.len();
        let scale = if k > 1 { self.top.iter().map(|g| g - last).sum::<f64>() / (k - 1) as f64 } else { 0.0 };
        max + margin * scale.max(2.0)
    }
}

/// Best same-side candidate of a layer.
#[derive(Debug, Clone, Copy, Default)]
struct LayerBest {
    candidates: u64,
    gain: f64,
    cuboid: usize,
    slot: u32,
}

/// The element that clears its layer's bar by the widest margin, if any.
fn best_element(
    lattice: &Lattice,
    scans: &[CuboidScan],
    max_layer: usize,
    config: &SearchConfig,
) -> Option<(Element, f64, f64)> {
    let mut best = vec![LayerBest::default(); max_layer + 1];
    let mut nulls = vec![LayerNull::default(); max_layer + 1];
    for (cuboid, ((mask, _), scan)) in lattice.cuboids().zip(scans).enumerate() {
        let layer = mask.count_ones() as usize;
        if layer > max_layer {
            continue;
        }
        let slot = &mut best[layer];
        slot.candidates += scan.candidates;
        if let Some(top) = scan.with.ranked.first().filter(|r| r.gain > slot.gain) {
            (slot.gain, slot.cuboid, slot.slot) = (top.gain, cuboid, top.slot);
        }
        for r in scan.against.ranked.iter().take(NULL_TOP) {
            nulls[layer].offer(r.gain);
        }
    }
    let bar = |layer: usize, b: &LayerBest| {
        let chi2 = config.penalty * (b.candidates as f64).ln() + config.min_margin;
        chi2.max(nulls[layer].bar(config.null_margin))
    };
    let (layer, chosen) = best
        .iter()
        .enumerate()
        .filter(|(_, b)| b.candidates > 0 && b.gain > 0.0)
        .max_by(|(la, a), (lb, b)| (a.gain - bar(*la, a)).total_cmp(&(b.gain - bar(*lb, b))))?;
    (chosen.gain > bar(layer, chosen)).then(|| {
        let element = lattice.element(chosen.cuboid, chosen.slot as usize);
        (element, chosen.gain, confidence(chosen.gain, chosen.candidates))
    })
}

/// 1 − N·P(χ²₁ > gain), clamped to [0, 1].
fn confidence(gain: f64, candidates: u64) -> f64 {
    let p = erfc((gain / 2.0).sqrt()) * candidates as f64;
    (1.0 - p).clamp(0.0, 1.0)
}

/// Complementary error function (Numerical Recipes' Chebyshev fit, relative
/// error < 1.2e-7), enough for a confidence figure.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

fn summarise(
    cube: &Cube,
    amounts: &crate::leaves::LeafAmounts,
    found: Vec<(Element, f64, f64)>,
    total_dev: f64,
    noise: NoiseModel,
    config: &SearchConfig,
) -> Localization {
    let aggregate = |select: &dyn Fn(usize) -> bool| {
        let (mut obs, mut exp, mut den, mut leaves) = (0.0, 0.0, 0.0, 0usize);
        for i in (0..cube.len()).filter(|&i| select(i)) {
            obs += amounts.observed[i];
            exp += amounts.expected[i];
            den += amounts.denominator.as_ref().map_or(0.0, |d| d[i]);
            leaves += 1;
        }
        match amounts.denominator {
            Some(_) if den > 0.0 => (obs / den, exp / den, obs - exp, leaves),
            Some(_) => (0.0, 0.0, obs - exp, leaves),
            None => (obs, exp, obs - exp, leaves),
        }
    };
    let root_causes: Vec<RootCause> = found
        .into_iter()
        .map(|(element, gain, confidence)| {
            let (observed, expected, dev, leaves) = aggregate(&|i| element.contains(cube.leaf(i)));
            RootCause {
                element: element.label(cube),
                layer: element.layer(),
                leaves,
                observed,
                expected,
                explained: if total_dev != 0.0 { dev / total_dev } else { 0.0 },
                gain,
                confidence,
                pairs: element,
            }
        })
        .collect();
    let (observed, expected, _, _) = aggregate(&|_| true);
    let explained = if total_dev != 0.0 {
        let (_, _, dev, _) = aggregate(&|i| root_causes.iter().any(|r| r.pairs.contains(cube.leaf(i))));
        dev / total_dev
    } else {
        0.0
    };
    Localization {
        well_explained: !root_causes.is_empty() && explained >= config.min_explained,
        root_causes,
        observed,
        expected,
        explained,
        noise,
    }
}
