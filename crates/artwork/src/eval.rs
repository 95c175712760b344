//! The evaluation loop: run every check on a labelled dataset and count,
//! per defect type, what it got right and wrong.
//!
//! A dataset is a directory of images with `labels.json`
//! (`{image: {defect_type: true|false}}`, true = the defect is present) and,
//! optionally, `manifest.json` (`{image: {kind, locale}}`; hero / en-US
//! when absent).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::synth::ImageInfo;
use crate::{Artwork, ArtworkError, Checker, Report, Target};

/// A dataset's ground truth.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Image file name → defect type → present.
    pub labels: BTreeMap<String, BTreeMap<String, bool>>,
    /// Image file name → kind and locale.
    pub manifest: BTreeMap<String, ImageInfo>,
}

impl Dataset {
    /// Reads `labels.json` (and `manifest.json` when there is one) in `dir`.
    pub fn load(dir: &Path) -> Result<Dataset, ArtworkError> {
        let read = |name: &str| -> Result<Option<String>, ArtworkError> {
            let path = dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(text) => Ok(Some(text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(ArtworkError::io(path, e)),
            }
        };
        let labels_path = dir.join("labels.json");
        let text = read("labels.json")?
            .ok_or_else(|| ArtworkError::invalid(labels_path.display(), "missing: a dataset needs labels.json"))?;
        let labels: BTreeMap<String, BTreeMap<String, bool>> = serde_json::from_str(&text).map_err(|e| {
            ArtworkError::invalid(
                labels_path.display(),
                format!("expected {{image: {{defect_type: true|false}}}}: {e}"),
            )
        })?;
        let manifest = match read("manifest.json")? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| ArtworkError::invalid(dir.join("manifest.json").display(), e.to_string()))?,
            None => BTreeMap::new(),
        };
        for image in labels.keys() {
            if image.contains('/') || image.contains('\\') || image.starts_with('.') {
                return Err(ArtworkError::invalid(
                    labels_path.display(),
                    format!("{image:?} is not a file name in the dataset"),
                ));
            }
        }
        Ok(Dataset { labels, manifest })
    }

    /// What `image` is checked against.
    pub fn target(&self, image: &str) -> Target {
        let info = self.manifest.get(image);
        Target {
            kind: info.map_or("hero", |i| i.kind.as_str()).to_owned(),
            locale: info.map_or("en-US", |i| i.locale.as_str()).to_owned(),
            rating: String::new(),
        }
    }
}

/// Confusion counts and scores of one defect type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DefectScore {
    /// Defect present and found.
    pub true_positives: usize,
    /// Defect absent but reported.
    pub false_positives: usize,
    /// Defect present but missed.
    pub false_negatives: usize,
    /// Defect absent and not reported.
    pub true_negatives: usize,
}

impl DefectScore {
    /// Counts one image.
    pub fn add(&mut self, label: bool, predicted: bool) {
        match (label, predicted) {
            (true, true) => self.true_positives += 1,
            (false, true) => self.false_positives += 1,
            (true, false) => self.false_negatives += 1,
            (false, false) => self.true_negatives += 1,
        }
    }

    /// TP / (TP + FP); 1 when nothing was reported.
    pub fn precision(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.false_positives)
    }

    /// TP / (TP + FN); 1 when nothing was there to find.
    pub fn recall(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.false_negatives)
    }

    /// F-beta: beta < 1 weighs precision more (F0.5), 1 is F1.
    pub fn f_beta(&self, beta: f64) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        let b2 = beta * beta;
        if p + r == 0.0 {
            0.0
        } else {
            (1.0 + b2) * p * r / (b2 * p + r)
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// One image's outcome: its labels and the checks' reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageOutcome {
    /// File name.
    pub image: String,
    /// Defect type → (label, predicted, score).
    pub results: BTreeMap<String, (bool, bool, f32)>,
    /// An error instead of results (the image could not be checked).
    pub error: Option<String>,
}

/// Scores per defect type from outcomes.
pub fn score(outcomes: &[ImageOutcome]) -> BTreeMap<String, DefectScore> {
    let mut scores: BTreeMap<String, DefectScore> = BTreeMap::new();
    for o in outcomes {
        for (defect, &(label, predicted, _)) in &o.results {
            scores.entry(defect.clone()).or_default().add(label, predicted);
        }
    }
    scores
}

/// Compares one report with its labels.
pub fn outcome(image: &str, labels: &BTreeMap<String, bool>, report: &Report) -> ImageOutcome {
    let results = labels
        .iter()
        .filter_map(|(defect, &label)| report.verdict(defect).map(|v| (defect.clone(), (label, !v.pass, v.score))))
        .collect();
    ImageOutcome { image: image.to_owned(), results, error: None }
}

/// Checks every labelled image of the dataset in `dir`; `progress` is called
/// after each image. Images that cannot be read are kept as outcomes with
/// their error (and count as neither right nor wrong).
pub fn evaluate(
    checker: &Checker,
    dir: &Path,
    dataset: &Dataset,
    mut progress: impl FnMut(usize, &ImageOutcome),
) -> Vec<(ImageOutcome, Option<Report>)> {
    let mut out = Vec::new();
    for (i, (image, labels)) in dataset.labels.iter().enumerate() {
        let checked = Artwork::open(&dir.join(image)).and_then(|a| checker.check(a, dataset.target(image)));
        let item = match checked {
            Ok(report) => (outcome(image, labels, &report), Some(report)),
            Err(e) => {
                (ImageOutcome { image: image.clone(), results: BTreeMap::new(), error: Some(e.to_string()) }, None)
            }
        };
        progress(i + 1, &item.0);
        out.push(item);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_recall_and_f_scores() {
        let mut s = DefectScore::default();
        for (label, predicted, n) in [(true, true, 8), (false, true, 2), (true, false, 4), (false, false, 6)] {
            for _ in 0..n {
                s.add(label, predicted);
            }
        }
        assert_eq!((s.precision(), s.recall()), (0.8, 8.0 / 12.0));
        assert!((s.f_beta(1.0) - 2.0 * 0.8 * (2.0 / 3.0) / (0.8 + 2.0 / 3.0)).abs() < 1e-12);
        assert!(s.f_beta(0.5) > s.f_beta(1.0), "precision is the stronger side here");
        assert_eq!(DefectScore::default().precision(), 1.0);
    }

    #[test]
    fn bad_label_files_are_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let message = Dataset::load(dir.path()).unwrap_err().to_string();
        assert!(message.contains("missing: a dataset needs labels.json"), "{message}");
        std::fs::write(dir.path().join("labels.json"), r#"{"a.png": {"safe_zone": "yes"}}"#).unwrap();
        let message = Dataset::load(dir.path()).unwrap_err().to_string();
        assert!(message.contains("expected {image: {defect_type: true|false}}"), "{message}");
        std::fs::write(dir.path().join("labels.json"), r#"{"../etc/passwd": {"safe_zone": true}}"#).unwrap();
        let message = Dataset::load(dir.path()).unwrap_err().to_string();
        assert!(message.contains("is not a file name in the dataset"), "{message}");
    }
}
