//! `labels.json` and `corpus.json`: what was injected where.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use showrunner_core::DefectType;

use super::CorpusError;

/// The defect types a corpus injects and labels (loudness is measured, not
/// injected).
pub const LABELLED: [DefectType; 6] = [
    DefectType::VideoFreeze,
    DefectType::Black,
    DefectType::BlockCorruption,
    DefectType::AudioSilence,
    DefectType::AudioClipping,
    DefectType::AvDesync,
];

/// One injected defect: `{type, start_s, end_s, params}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Label {
    /// The defect type injected.
    #[serde(rename = "type")]
    pub kind: DefectType,
    /// Media time the defect starts, seconds.
    pub start_s: f64,
    /// Media time the defect ends, seconds.
    pub end_s: f64,
    /// Injection parameters (`offset_ms` for desync, `gain_db` for clipping, …).
    #[serde(default)]
    pub params: BTreeMap<String, serde_json::Value>,
}

impl Label {
    /// The desync offset of this label in ms, if it is a desync label.
    pub fn offset_ms(&self) -> Option<f64> {
        self.params.get("offset_ms").and_then(serde_json::Value::as_f64)
    }
}

/// All labels of a corpus, keyed by clip file name.
pub type Labels = BTreeMap<String, Vec<Label>>;

/// What a clip is for in the evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// No defect and nothing tricky: every event on it is a false alarm.
    Clean,
    /// No defect, but content that fools naive detectors.
    HardNegative,
    /// One or more injected defects.
    Defects,
}

/// Description of one clip beyond its labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClipInfo {
    /// Role in the evaluation.
    pub role: Role,
    /// Source content (`bigbuckbunny`, `testsrc2`, `sync_pattern`, …).
    pub source: String,
    /// Clip length, seconds.
    pub duration_s: f64,
    /// The hard negatives placed in the clip, described for a human.
    #[serde(default)]
    pub hard_negatives: Vec<String>,
}

/// `corpus.json`: how the corpus was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The seed given to `corpus make`.
    pub seed: u64,
    /// showrunner version that made it.
    pub generator: String,
    /// Per clip, by file name.
    pub clips: BTreeMap<String, ClipInfo>,
}

/// Reads and parses a JSON file, naming it in any error.
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, CorpusError> {
    let text = std::fs::read_to_string(path).map_err(|e| CorpusError::Io(path.display().to_string(), e))?;
    serde_json::from_str(&text).map_err(|e| CorpusError::Invalid(path.display().to_string(), e.to_string()))
}

/// Writes `value` as pretty JSON.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), CorpusError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CorpusError::Invalid(path.display().to_string(), e.to_string()))?;
    std::fs::write(path, text + "\n").map_err(|e| CorpusError::Io(path.display().to_string(), e))
}
