//! Scoring localization against labelled datasets: exact element match,
//! counts summed over a dataset's instances (micro precision, recall, F1),
//! and time per instance.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use crate::error::LocalizeError;
use crate::load::{read_dataset, Dataset};
use crate::search::{localize, SearchConfig};

/// True positives, false positives and false negatives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Counts {
    /// Labelled elements predicted exactly.
    pub tp: usize,
    /// Predicted elements that are not labelled.
    pub fp: usize,
    /// Labelled elements not predicted.
    pub fn_: usize,
}

impl Counts {
    /// Scores one instance: predictions and labels as canonical strings;
    /// duplicate predictions count once.
    pub fn score(predicted: &[String], labelled: &[String]) -> Counts {
        let p: BTreeSet<&String> = predicted.iter().collect();
        let l: BTreeSet<&String> = labelled.iter().collect();
        let tp = p.intersection(&l).count();
        Counts { tp, fp: p.len() - tp, fn_: l.len() - tp }
    }

    /// Adds another instance's counts.
    pub fn add(&mut self, o: Counts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
    }

    /// TP / (TP + FP), 0 when nothing was predicted.
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    /// TP / (TP + FN).
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// 2·TP / (2·TP + FP + FN).
    pub fn f1(&self) -> f64 {
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// One instance's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceResult {
    /// Dataset name.
    pub dataset: String,
    /// File, relative to the data directory.
    pub file: String,
    /// Predicted elements.
    pub root_causes: Vec<String>,
    /// Labelled elements.
    pub labels: Vec<String>,
    /// Its counts.
    pub counts: Counts,
    /// Milliseconds to read the file(s) and build the instance.
    pub load_ms: f64,
    /// Milliseconds to localize, from the loaded instance to the result.
    pub localize_ms: f64,
}

/// A dataset's summary.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetSummary {
    /// Dataset name.
    pub dataset: String,
    /// Number of instances.
    pub instances: usize,
    /// Counts summed over instances.
    pub counts: Counts,
    /// Mean localization milliseconds per instance.
    pub mean_ms: f64,
    /// 95th percentile of localization milliseconds.
    pub p95_ms: f64,
    /// Mean load milliseconds per instance.
    pub mean_load_ms: f64,
}

/// Everything an evaluation run measured.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Per-instance outcomes.
    pub instances: Vec<InstanceResult>,
    /// Per-dataset summaries, in directory order.
    pub datasets: Vec<DatasetSummary>,
}

/// The labelled datasets under `data`: `data` itself if it is one, else its
/// subdirectories that are, sorted by name.
pub fn datasets(data: &Path) -> Result<Vec<Dataset>, LocalizeError> {
    if let Some(d) = read_dataset(data)? {
        return Ok(vec![d]);
    }
    let entries = std::fs::read_dir(data).map_err(|e| LocalizeError::io(data, e))?;
    let mut dirs: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    let mut out = Vec::new();
    for dir in dirs {
        if let Some(d) = read_dataset(&dir)? {
            out.push(d);
        }
    }
    if out.is_empty() {
        return Err(LocalizeError::format(
            data,
            "no labelled dataset here (a directory with injection_info.csv or anomaly.yaml)",
        ));
    }
    Ok(out)
}

/// Localizes every instance of every dataset under `data` and scores it;
/// `progress(done, total, file)` is called before each instance.
pub fn evaluate(
    data: &Path,
    config: &SearchConfig,
    mut progress: impl FnMut(usize, usize, &str),
) -> Result<EvalReport, LocalizeError> {
    let sets = datasets(data)?;
    let total: usize = sets.iter().map(|d| d.instances.len()).sum();
    let mut instances = Vec::with_capacity(total);
    let mut summaries = Vec::new();
    for set in &sets {
        let mut counts = Counts::default();
        let mut times = Vec::new();
        let mut loads = Vec::new();
        for (source, labels) in &set.instances {
            let file = format!(
                "{}/{}",
                set.name,
                source.path().file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            );
            progress(instances.len(), total, &file);
            let t0 = Instant::now();
            let cube = source.load()?;
            let t1 = Instant::now();
            let result = localize(&cube, config)?;
            let t2 = Instant::now();
            let predicted: Vec<String> = result.root_causes.iter().map(|r| r.element.clone()).collect();
            let c = Counts::score(&predicted, labels);
            counts.add(c);
            let localize_ms = (t2 - t1).as_secs_f64() * 1e3;
            let load_ms = (t1 - t0).as_secs_f64() * 1e3;
            times.push(localize_ms);
            loads.push(load_ms);
            instances.push(InstanceResult {
                dataset: set.name.clone(),
                file,
                root_causes: predicted,
                labels: labels.clone(),
                counts: c,
                load_ms,
                localize_ms,
            });
        }
        let n = times.len().max(1) as f64;
        summaries.push(DatasetSummary {
            dataset: set.name.clone(),
            instances: set.instances.len(),
            counts,
            mean_ms: times.iter().sum::<f64>() / n,
            p95_ms: percentile(&mut times, 0.95),
            mean_load_ms: loads.iter().sum::<f64>() / n,
        });
    }
    Ok(EvalReport { instances, datasets: summaries })
}

/// Nearest-rank percentile.
fn percentile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoring_is_exact_match_with_duplicates_counted_once() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let c = Counts::score(&s(&["a=1", "a=1", "b=2&c=3"]), &s(&["a=1", "b=2"]));
        assert_eq!(c, Counts { tp: 1, fp: 1, fn_: 1 });
        assert!((c.f1() - 0.5).abs() < 1e-12);
        assert_eq!(Counts::score(&[], &s(&["a=1"])), Counts { tp: 0, fp: 0, fn_: 1 });
    }
}
