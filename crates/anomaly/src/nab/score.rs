//! NAB's published scoring rules (Lavin & Ahmad 2015; `nab/sweeper.py` of
//! NAB v1.1), implemented here so that the benchmark needs no Python.
//!
//! - The first 15% of each file (at most 750 rows) is probationary and not
//!   scored.
//! - Inside a window, a detection at relative position p ∈ [−1, 0) (−1 at
//!   the window's first row) earns `σ(p) · tp / σ(−1)` with the scaled
//!   sigmoid σ(x) = 2/(1 + e^{5x}) − 1, so the earliest detection earns the
//!   full TP weight; only the window's best (earliest) detection counts. A
//!   window without any detection costs `fn`.
//! - Outside windows a detection costs `fp · σ(x)`: −fp before the first
//!   window, and after a window a penalty growing from 0 with the distance
//!   past it, in units of the window's width.
//! - Each profile gets one threshold (detection = score ≥ threshold), the
//!   one that maximises the profile's total over all files.
//! - The total is normalised so that never detecting scores 0 and detecting
//!   every window at its first row scores 100.

use serde::Serialize;

use super::data::Series;

/// A NAB application profile: the weights of the score's parts.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Profile {
    /// NAB's name for it.
    pub name: &'static str,
    /// Weight of a true positive.
    pub tp: f64,
    /// Weight of a false positive.
    pub fp: f64,
    /// Weight of a missed window.
    pub fn_: f64,
}

/// NAB's three profiles.
pub const PROFILES: [Profile; 3] = [
    Profile { name: "standard", tp: 1.0, fp: 0.11, fn_: 1.0 },
    Profile { name: "reward_low_FP_rate", tp: 1.0, fp: 0.22, fn_: 1.0 },
    Profile { name: "reward_low_FN_rate", tp: 1.0, fp: 0.11, fn_: 2.0 },
];

/// Rows at the start of a series of `len` rows that are not scored.
pub fn probation(len: usize) -> usize {
    ((0.15 * len as f64).floor() as usize).min(750)
}

/// NAB's scaled sigmoid: 1 far before a point, −1 far after it.
fn scaled_sigmoid(x: f64) -> f64 {
    if x > 3.0 {
        -1.0
    } else {
        2.0 / (1.0 + (5.0 * x).exp()) - 1.0
    }
}

/// One scored row: its anomaly score, the window it lies in (index over
/// all files) and its unweighted reward (> 0 in a window, ≤ 0 outside).
#[derive(Debug, Clone, Copy)]
struct Row {
    score: f64,
    window: Option<usize>,
    reward: f64,
}

/// The result of one profile.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileScore {
    /// The profile.
    pub profile: Profile,
    /// Normalised score: 0 = never detect, 100 = perfect.
    pub score: f64,
    /// The unnormalised total.
    pub raw: f64,
    /// The threshold that maximised it.
    pub threshold: f64,
    /// Windows detected.
    pub tp: usize,
    /// Detections outside every window.
    pub fp: usize,
    /// Windows missed.
    pub fn_: usize,
}

/// Scores per-row anomaly scores (`scores[i]` for `series[i]`, one per row)
/// under every profile.
pub fn score(series: &[Series], scores: &[Vec<f64>]) -> Vec<ProfileScore> {
    let mut rows: Vec<Row> = Vec::new();
    let mut windows = 0;
    for (s, sc) in series.iter().zip(scores) {
        rows.extend(rows_of(s, sc, windows));
        windows += s.windows.len();
    }
    rows.sort_by(|a, b| b.score.total_cmp(&a.score));
    PROFILES.iter().map(|p| sweep(&rows, windows, *p)).collect()
}

/// The scored rows of one series; `first_window` numbers its windows.
fn rows_of(series: &Series, scores: &[f64], first_window: usize) -> Vec<Row> {
    let n = series.values.len();
    let mut out = Vec::with_capacity(n);
    let mut previous: Option<(usize, usize)> = None;
    let mut next = 0;
    for (i, &score) in scores.iter().enumerate().take(n) {
        while next < series.windows.len() && series.windows[next].1 < i {
            previous = Some(series.windows[next]);
            next += 1;
        }
        let inside = series.windows.get(next).filter(|w| w.0 <= i);
        let (window, reward) = match (inside, previous) {
            (Some(&(start, end)), _) => {
                let width = (end - start + 1) as f64;
                let position = -((end - i + 1) as f64) / width;
                (Some(first_window + next), scaled_sigmoid(position) / scaled_sigmoid(-1.0))
            }
            (None, None) => (None, -1.0),
            (None, Some((start, end))) => {
                let width = (end - start + 1) as f64;
                (None, scaled_sigmoid((i - end) as f64 / (width - 1.0).max(1.0)))
            }
        };
        if i >= probation(n) {
            out.push(Row { score, window, reward });
        }
    }
    out
}

/// Lowers the threshold through every distinct score and keeps the best
/// total.
fn sweep(rows: &[Row], windows: usize, p: Profile) -> ProfileScore {
    let null = -p.fn_ * windows as f64;
    let perfect = p.tp * windows as f64;
    let mut best_reward: Vec<Option<f64>> = vec![None; windows];
    let (mut total, mut detected, mut false_positives) = (null, 0usize, 0usize);
    let mut best = (total, f64::INFINITY, 0usize, 0usize);
    let mut i = 0;
    while i < rows.len() {
        let threshold = rows[i].score;
        while i < rows.len() && rows[i].score == threshold {
            let row = rows[i];
            match row.window {
                Some(w) => {
                    let reward = row.reward * p.tp;
                    match best_reward[w] {
                        None => {
                            total += reward + p.fn_;
                            detected += 1;
                            best_reward[w] = Some(reward);
                        }
                        Some(old) if reward > old => {
                            total += reward - old;
                            best_reward[w] = Some(reward);
                        }
                        Some(_) => {}
                    }
                }
                None => {
                    total += row.reward * p.fp;
                    false_positives += 1;
                }
            }
            i += 1;
        }
        if total > best.0 {
            best = (total, threshold, detected, false_positives);
        }
    }
    let (raw, threshold, tp, fp) = best;
    let score = if perfect > null { 100.0 * (raw - null) / (perfect - null) } else { 0.0 };
    ProfileScore { profile: p, score, raw, threshold, tp, fp, fn_: windows - tp }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(n: usize, windows: Vec<(usize, usize)>) -> Series {
        Series {
            name: "t/x.csv".into(),
            timestamps: (0..n).map(|i| format!("{i}")).collect(),
            times: (0..n).map(|i| i as f64 * 300.0).collect(),
            values: vec![0.0; n],
            windows,
        }
    }

    #[test]
    fn detecting_every_window_at_its_start_scores_100_and_nothing_scores_0() {
        let s = series(1000, vec![(400, 499), (700, 799)]);
        let mut perfect = vec![0.0; 1000];
        perfect[400] = 1.0;
        perfect[700] = 1.0;
        for r in score(std::slice::from_ref(&s), &[perfect]) {
            assert!((r.score - 100.0).abs() < 1e-9, "{r:?}");
            assert_eq!((r.tp, r.fp, r.fn_), (2, 0, 0));
        }
        for r in score(std::slice::from_ref(&s), &[vec![0.0; 1000]]) {
            // A constant score can only detect every row: both windows at
            // their start, but hundreds of false positives. Never detecting
            // is better, and scores 0.
            assert_eq!((r.score, r.tp, r.fp), (0.0, 0, 0), "{r:?}");
        }
    }

    #[test]
    fn a_late_detection_earns_less_and_a_false_positive_costs_its_weight() {
        let s = series(1000, vec![(400, 499)]);
        // Detection at the window's middle: σ(−0.5)/σ(−1) of the TP weight.
        let mut mid = vec![0.0; 1000];
        mid[450] = 1.0;
        let r = &score(std::slice::from_ref(&s), &[mid.clone()])[0];
        let expected = scaled_sigmoid(-0.5) / scaled_sigmoid(-1.0);
        assert!((r.raw - expected).abs() < 1e-9, "{r:?}");
        // One extra detection before the window costs 0.11 (standard).
        mid[300] = 1.0;
        let r = &score(std::slice::from_ref(&s), &[mid])[0];
        assert!((r.raw - (expected - 0.11)).abs() < 1e-9, "{r:?}");
        assert_eq!((r.tp, r.fp, r.fn_), (1, 1, 0));
    }

    #[test]
    fn probationary_rows_are_not_scored() {
        assert_eq!(probation(1000), 150);
        assert_eq!(probation(10_000), 750);
        let s = series(1000, vec![(400, 499)]);
        let mut early = vec![0.0; 1000];
        early[100] = 1.0;
        early[400] = 1.0;
        let r = &score(std::slice::from_ref(&s), &[early])[0];
        assert_eq!((r.tp, r.fp), (1, 0));
    }

    #[test]
    fn the_threshold_is_shared_and_chosen_to_maximise_the_total() {
        // File A: anomaly scored 0.9 in its window; file B: a false alarm
        // scored 0.95. One threshold for both: 0.9 detects both (1 − 0.11),
        // which beats detecting nothing.
        let a = series(1000, vec![(400, 499)]);
        let b = series(1000, vec![]);
        let mut sa = vec![0.0; 1000];
        sa[400] = 0.9;
        let mut sb = vec![0.0; 1000];
        sb[600] = 0.95;
        let r = &score(&[a, b], &[sa, sb])[0];
        assert_eq!(r.threshold, 0.9);
        assert!((r.raw - (1.0 - 0.11)).abs() < 1e-9, "{r:?}");
    }
}
