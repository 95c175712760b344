//! The correlation scorer: how much of a series' deviation from its
//! forecast its surroundings do not share.
//!
//! For each parent of a series' element (the element with one dimension
//! released), the *siblings* are the parent's other leaves: the parent's
//! aggregate minus the element's, forecast as the parent's forecast minus
//! the element's. The siblings' shift from their forecast — a ratio for
//! traffic, a difference for rates and means — is what the element would
//! show if it only moved with its surroundings. The element's deviation
//! beyond that, as a share of its whole deviation, scales its forecast z:
//! that is the correlation z, on the forecast's scale.
//!
//! A power cut in FR dims FR×tv as much as the rest of FR (share ≈ 0); a
//! CDN failing in DE leaves the other CDNs of DE as they were (share ≈ 1).
//! Siblings on another CDN, device or ISP are the reference metrics of
//! another technology stack. The parent that explains the most decides, so
//! a deviation counts only when no surrounding shares it. The total has no
//! parent, and siblings below the volume gate are no evidence: such a
//! series keeps its forecast z.

use showrunner_telemetry::Aggregate;

use crate::explain::QoeMetric;
use crate::monitor::{Catalogue, SeriesScore};

/// Sets the `correlation_z` of every score of one interval. `scores` are
/// that interval's forecast scores, `elements` its element aggregates;
/// siblings with fewer than `min_attempts` attempts are ignored.
pub fn correlate(scores: &mut [SeriesScore], elements: &[Aggregate], catalogue: &Catalogue, min_attempts: u64) {
    let metrics = QoeMetric::ALL.len();
    let mut scored = vec![u32::MAX; elements.len() * metrics];
    for (i, s) in scores.iter().enumerate() {
        scored[s.element * metrics + s.metric.index()] = i as u32;
    }
    let shares: Vec<f64> = scores
        .iter()
        .map(|s| {
            catalogue
                .parents(s.element)
                .iter()
                .filter_map(|&p| {
                    let j = scored[p as usize * metrics + s.metric.index()];
                    let parent = scores.get(j as usize)?;
                    unexplained_share(s, &elements[s.element], parent, &elements[p as usize], min_attempts)
                })
                .fold(1.0, f64::min)
        })
        .collect();
    for (s, share) in scores.iter_mut().zip(shares) {
        s.correlation_z = s.forecast_z * share;
    }
}

/// The share of `child`'s deviation from its forecast that its siblings
/// within `parent` do not show, in `[-1, 1]` (negative when the siblings
/// moved further the same way); `None` when the siblings are too few.
fn unexplained_share(
    child: &SeriesScore,
    child_agg: &Aggregate,
    parent: &SeriesScore,
    parent_agg: &Aggregate,
    min_attempts: u64,
) -> Option<f64> {
    if parent_agg.attempts.saturating_sub(child_agg.attempts) < min_attempts {
        return None;
    }
    let metric = child.metric;
    let moved_with_siblings = match (metric.parts(parent_agg), metric.parts(child_agg)) {
        (Some((parent_n, parent_d)), Some((child_n, child_d))) => {
            let d = parent_d - child_d;
            if d <= 0.0 {
                return None;
            }
            let observed = (parent_n - child_n) / d;
            let expected = (parent.expected * parent_d - child.expected * child_d) / d;
            child.expected + (observed - expected)
        }
        _ => {
            let expected = parent.expected - child.expected;
            if expected <= 0.0 {
                return None;
            }
            child.expected * (parent.observed - child.observed) / expected
        }
    };
    let deviation = child.observed - child.expected;
    if deviation == 0.0 {
        return Some(1.0);
    }
    Some(((child.observed - moved_with_siblings) / deviation).clamp(-1.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Countries DE and FR × CDNs A and B, monitored up to two dimensions.
    fn catalogue() -> Catalogue {
        let leaves = [["DE", "A"], ["DE", "B"], ["FR", "A"], ["FR", "B"]];
        Catalogue::new(&["country", "cdn"], &leaves.map(|l| l.to_vec()), 2)
    }

    fn leaf(attempts: u64, errors: u64) -> Aggregate {
        Aggregate { attempts, errors, ..Aggregate::default() }
    }

    /// Scores every element's `metric` against `expected` leaves (the
    /// forecast is the expected leaves' value), with a forecast z of 10
    /// wherever the value moved.
    fn scores(c: &Catalogue, metric: QoeMetric, observed: &[Aggregate], expected: &[Aggregate]) -> Vec<SeriesScore> {
        let (obs, exp) = (c.aggregate(observed), c.aggregate(expected));
        let mut scores: Vec<SeriesScore> = (0..c.elements.len())
            .map(|e| {
                let (o, x) = (metric.value(&obs[e]).unwrap(), metric.value(&exp[e]).unwrap());
                SeriesScore {
                    element: e,
                    metric,
                    observed: o,
                    expected: x,
                    sd: 1.0,
                    forecast_z: if o == x { 0.0 } else { 10.0 * (o - x).signum() },
                    derivative_z: 0.0,
                    correlation_z: 0.0,
                    attempts: obs[e].attempts,
                }
            })
            .collect();
        correlate(&mut scores, &obs, c, 25);
        scores
    }

    fn z_of(c: &Catalogue, scores: &[SeriesScore], label: &str) -> f64 {
        scores[c.index_of_label(label).unwrap()].correlation_z
    }

    #[test]
    fn a_failure_on_one_cdn_of_one_country_is_not_shared_by_its_siblings() {
        let c = catalogue();
        let normal = [leaf(400, 4), leaf(400, 4), leaf(400, 4), leaf(400, 4)];
        let mut failing = normal.clone();
        failing[1] = leaf(400, 100);
        let s = scores(&c, QoeMetric::ErrorRate, &failing, &normal);
        assert!((z_of(&c, &s, "cdn=B&country=DE") - 10.0).abs() < 1e-9);
        assert!((z_of(&c, &s, "country=DE") - 10.0).abs() < 1e-9, "FR is as it was");
        assert!((z_of(&c, &s, "total") - 10.0).abs() < 1e-9, "the total keeps its forecast z");
    }

    #[test]
    fn a_country_wide_drop_explains_each_of_its_parts() {
        let c = catalogue();
        let normal = [leaf(400, 0), leaf(600, 0), leaf(400, 0), leaf(600, 0)];
        let mut dark = normal.clone();
        dark[0] = leaf(100, 0);
        dark[1] = leaf(150, 0);
        let s = scores(&c, QoeMetric::Attempts, &dark, &normal);
        assert!(z_of(&c, &s, "cdn=A&country=DE").abs() < 1e-9, "DE×B fell by the same three quarters");
        assert!(z_of(&c, &s, "cdn=B&country=DE").abs() < 1e-9);
        assert!((z_of(&c, &s, "country=DE") + 10.0).abs() < 1e-9, "FR did not fall");
    }

    #[test]
    fn siblings_that_moved_further_the_same_way_turn_the_sign() {
        let c = catalogue();
        let normal = [leaf(400, 4), leaf(400, 4), leaf(400, 4), leaf(400, 4)];
        let mut broad = normal.clone();
        broad[0] = leaf(400, 20);
        broad[1] = leaf(400, 60);
        let s = scores(&c, QoeMetric::ErrorRate, &broad, &normal);
        assert_eq!(z_of(&c, &s, "cdn=A&country=DE"), -10.0, "DE×B rose further than DE×A");
    }

    #[test]
    fn siblings_below_the_volume_gate_are_no_evidence() {
        let c = catalogue();
        let normal = [leaf(400, 4), leaf(400, 4), leaf(5, 0), leaf(5, 0)];
        let risen = [leaf(400, 40), leaf(400, 40), leaf(5, 1), leaf(5, 1)];
        let s = scores(&c, QoeMetric::ErrorRate, &risen, &normal);
        assert_eq!(z_of(&c, &s, "country=DE"), 10.0, "FR's ten attempts do not explain DE");
        assert_eq!(z_of(&c, &s, "cdn=A&country=DE"), 0.0, "DE×B rose the same");
    }
}
