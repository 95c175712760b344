//! The evaluation loop: run every check on a labelled dataset and count,
//! per defect type, what it got right and wrong.
//!
//! A dataset is a directory of images with `labels.json`
//! (`{image: {defect_type: true|false}}`, true = the defect is present) and,
//! optionally, `manifest.json` (`{image: {kind, locale}}`; hero / en-US
//! when absent).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::synth::ImageInfo;
use crate::{Artwork, ArtworkError, Checker, Report, Scene, Target};

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
/// The `llm` check's verdict on a defect (`llm.safe_zone`) is scored
/// against the same label, as a row of its own.
pub fn outcome(image: &str, labels: &BTreeMap<String, bool>, report: &Report) -> ImageOutcome {
    let results = labels
        .iter()
        .flat_map(|(defect, &label)| {
            [defect.clone(), crate::llm::verdict_name(defect)]
                .into_iter()
                .filter_map(move |name| report.verdict(&name).map(|v| (name.clone(), (label, !v.pass, v.score))))
        })
        .collect();
    ImageOutcome { image: image.to_owned(), results, error: None }
}

/// Runs the models on every labelled image of the dataset in `dir`, in
/// file-name order, handing each image's scene (or why it could not be
/// read) to `each` with its position (from 1) and when its decoding started.
pub fn for_each_scene(
    checker: &Checker,
    dir: &Path,
    dataset: &Dataset,
    mut each: impl FnMut(usize, &str, Result<Scene, ArtworkError>, Instant),
) {
    for (i, image) in dataset.labels.keys().enumerate() {
        let started = Instant::now();
        let scene = Artwork::open(&dir.join(image)).and_then(|a| checker.scene(a, dataset.target(image)));
        each(i + 1, image, scene, started);
    }
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
    for_each_scene(checker, dir, dataset, |i, image, scene, started| {
        let item = match scene {
            Ok(scene) => {
                let report = crate::report(&scene, &checker.config, started);
                (outcome(image, &dataset.labels[image], &report), Some(report))
            }
            Err(e) => (failed(image, &e), None),
        };
        progress(i, &item.0);
        out.push(item);
    });
    out
}

/// The outcome of an image that could not be checked.
fn failed(image: &str, error: &ArtworkError) -> ImageOutcome {
    ImageOutcome { image: image.to_owned(), results: BTreeMap::new(), error: Some(error.to_string()) }
}

/// A dataset file, or the default when it does not exist yet.
pub(crate) fn read_json<T: Default + serde::de::DeserializeOwned>(path: &Path) -> Result<T, ArtworkError> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| ArtworkError::invalid(path.display(), e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(ArtworkError::io(path, e)),
    }
}

/// Writes through a temporary file and a rename, so a crash leaves the old
/// file or the new one, never half of one.
pub(crate) fn write_json(path: &Path, value: &impl Serialize) -> Result<(), ArtworkError> {
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_string_pretty(value).expect("labels serialise");
    std::fs::write(&tmp, text).map_err(|e| ArtworkError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| ArtworkError::io(path, e))
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
