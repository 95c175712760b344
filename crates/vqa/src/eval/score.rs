//! Event-level scoring: predictions against labels, per defect type.
//!
//! A prediction matches a label of the same type when their intervals
//! overlap once each is widened by the slack (0.5 s); each label matches at
//! most one prediction and each prediction at most one label. Unmatched
//! predictions are false positives, unmatched labels false negatives.

use std::collections::BTreeMap;

use showrunner_core::{DefectEvent, DefectType};

use crate::corpus::labels::Label;

/// Tolerance on interval overlap, seconds.
pub const SLACK_S: f64 = 0.5;

/// Counts and rates for one defect type.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    /// Labels matched by a prediction.
    pub tp: usize,
    /// Predictions that matched no label.
    pub fp: usize,
    /// Labels no prediction matched.
    pub fn_: usize,
}

impl Counts {
    /// tp / (tp + fp); 1 when nothing was predicted.
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }

    /// tp / (tp + fn); 1 when there was nothing to find.
    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }

    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    /// Adds another count.
    pub fn add(&mut self, other: Counts) {
        self.tp += other.tp;
        self.fp += other.fp;
        self.fn_ += other.fn_;
    }
}

/// One matched desync label with the offset the detector reported.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OffsetMatch {
    /// The injected offset, ms.
    pub truth_ms: f64,
    /// The reported offset, ms.
    pub estimate_ms: f64,
}

/// The outcome of scoring one clip.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClipScore {
    /// Per type.
    pub counts: BTreeMap<DefectType, Counts>,
    /// Desync labels and whether each was found (with its estimate).
    pub desync: Vec<(f64, Option<f64>)>,
}

/// Whether two intervals overlap with [`SLACK_S`] slack.
pub fn overlaps(a: (f64, f64), b: (f64, f64)) -> bool {
    a.0 <= b.1 + SLACK_S && b.0 <= a.1 + SLACK_S
}

/// Scores one clip's predictions against its labels for the given types.
pub fn score_clip(labels: &[Label], predictions: &[DefectEvent], types: &[DefectType]) -> ClipScore {
    let mut score = ClipScore::default();
    for &kind in types {
        let truth: Vec<&Label> = labels.iter().filter(|l| l.kind == kind).collect();
        let preds: Vec<&DefectEvent> = predictions.iter().filter(|p| p.kind == kind).collect();
        let mut used = vec![false; preds.len()];
        let mut counts = Counts::default();
        for label in &truth {
            // Prefer the unused prediction with the largest overlap.
            let best = preds
                .iter()
                .enumerate()
                .filter(|(i, p)| !used[*i] && overlaps((label.start_s, label.end_s), (p.start_s, p.end_s)))
                .max_by(|a, b| overlap_len(label, a.1).total_cmp(&overlap_len(label, b.1)))
                .map(|(i, _)| i);
            match best {
                Some(i) => {
                    used[i] = true;
                    counts.tp += 1;
                    if kind == DefectType::AvDesync {
                        score.desync.push((label.offset_ms().unwrap_or(0.0), preds[i].offset_ms));
                    }
                }
                None => {
                    counts.fn_ += 1;
                    if kind == DefectType::AvDesync {
                        score.desync.push((label.offset_ms().unwrap_or(0.0), None));
                    }
                }
            }
        }
        counts.fp = used.iter().filter(|u| !**u).count();
        score.counts.insert(kind, counts);
    }
    score
}

fn overlap_len(label: &Label, p: &DefectEvent) -> f64 {
    (label.end_s.min(p.end_s) - label.start_s.max(p.start_s)).max(-SLACK_S)
}

#[cfg(test)]
mod tests {
    use super::*;
    use showrunner_core::Evidence;

    fn label(kind: DefectType, s: f64, e: f64) -> Label {
        Label { kind, start_s: s, end_s: e, params: Default::default() }
    }

    fn pred(kind: DefectType, s: f64, e: f64) -> DefectEvent {
        DefectEvent { kind, start_s: s, end_s: e, confidence: 1.0, evidence: Evidence::new(), offset_ms: None }
    }

    #[test]
    fn overlap_with_slack_matches_once() {
        let labels = [label(DefectType::Black, 5.0, 6.0)];
        // Touches within 0.5 s: match; a second prediction on the same label is a FP.
        let preds = [pred(DefectType::Black, 6.4, 7.0), pred(DefectType::Black, 5.2, 5.8)];
        let s = score_clip(&labels, &preds, &[DefectType::Black]);
        assert_eq!(s.counts[&DefectType::Black], Counts { tp: 1, fp: 1, fn_: 0 });
    }

    #[test]
    fn wrong_type_or_far_away_does_not_match() {
        let labels = [label(DefectType::Black, 5.0, 6.0)];
        let preds = [pred(DefectType::VideoFreeze, 5.0, 6.0), pred(DefectType::Black, 6.6, 7.0)];
        let s = score_clip(&labels, &preds, &[DefectType::Black, DefectType::VideoFreeze]);
        assert_eq!(s.counts[&DefectType::Black], Counts { tp: 0, fp: 1, fn_: 1 });
        assert_eq!(s.counts[&DefectType::VideoFreeze], Counts { tp: 0, fp: 1, fn_: 0 });
    }

    #[test]
    fn rates() {
        let c = Counts { tp: 8, fp: 2, fn_: 2 };
        assert!(
            (c.precision() - 0.8).abs() < 1e-12 && (c.recall() - 0.8).abs() < 1e-12 && (c.f1() - 0.8).abs() < 1e-12
        );
        assert_eq!(Counts::default().f1(), 1.0);
    }
}
