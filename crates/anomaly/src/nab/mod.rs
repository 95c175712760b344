//! The Numenta Anomaly Benchmark adapter: runs the streaming detector over
//! NAB's series, writes NAB-format results and scores them with NAB's
//! rules ([`score`]).

pub mod data;
pub mod score;

use std::io::Write;
use std::path::Path;

use crate::detector::{DetectorConfig, StreamingDetector};
use crate::error::AnomalyError;
use data::Series;
use score::ProfileScore;

/// Name under which results are written, as NAB names detectors.
pub const DETECTOR_NAME: &str = "showrunner";

/// Scores and counts of one benchmark run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NabReport {
    /// Series scored.
    pub files: usize,
    /// Labelled windows over all files.
    pub windows: usize,
    /// One result per NAB profile.
    pub profiles: Vec<ProfileScore>,
}

/// Runs the detector (a fresh one per series) over every series, in order,
/// one value at a time.
pub fn detect(
    series: &[Series],
    config: &DetectorConfig,
    mut progress: impl FnMut(usize, &str),
) -> Result<Vec<Vec<f64>>, AnomalyError> {
    series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            progress(i, &s.name);
            let mut detector = StreamingDetector::new(config.clone())?;
            Ok(s.times.iter().zip(&s.values).map(|(&t, &v)| detector.update(t, v)).collect())
        })
        .collect()
}

/// Writes NAB results: `out/<detector>/<category>/<detector>_<file>.csv`
/// with `timestamp,value,anomaly_score,label` (label 1 inside a window).
pub fn write_results(out: &Path, series: &[Series], scores: &[Vec<f64>]) -> Result<(), AnomalyError> {
    for (s, sc) in series.iter().zip(scores) {
        let (category, file) = s.name.split_once('/').unwrap_or(("", s.name.as_str()));
        let dir = out.join(DETECTOR_NAME).join(category);
        std::fs::create_dir_all(&dir).map_err(|e| AnomalyError::io(&dir, e))?;
        let path = dir.join(format!("{DETECTOR_NAME}_{file}"));
        let mut text = String::with_capacity(s.values.len() * 48);
        text.push_str("timestamp,value,anomaly_score,label\n");
        let mut window = s.windows.iter().peekable();
        for (i, ((t, v), a)) in s.timestamps.iter().zip(&s.values).zip(sc).enumerate() {
            while window.peek().is_some_and(|w| w.1 < i) {
                window.next();
            }
            let label = u8::from(window.peek().is_some_and(|w| w.0 <= i));
            text.push_str(&format!("{t},{v},{a},{label}\n"));
        }
        std::fs::File::create(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(|e| AnomalyError::io(&path, e))?;
    }
    Ok(())
}

/// Scores a run under every NAB profile.
pub fn report(series: &[Series], scores: &[Vec<f64>]) -> NabReport {
    NabReport {
        files: series.len(),
        windows: series.iter().map(|s| s.windows.len()).sum(),
        profiles: score::score(series, scores),
    }
}
