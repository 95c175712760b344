//! Loading instances and labelled datasets from the file formats of the
//! localization data sets (see the README of `data/localization`):
//! snapshot CSVs (`real`/`predict` per leaf), ratio pairs
//! (`<id>.a.csv`/`<id>.b.csv`) and raw per-minute time series with
//! `anomaly.yaml`.

mod csv_table;
pub mod labels;
pub mod snapshot;
pub mod timeseries;

use std::path::{Path, PathBuf};

use crate::cube::Cube;
use crate::error::LocalizeError;
pub use labels::Labelled;

/// Where one instance's data is and how to read it.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// One CSV of leaves with `real` and `predict`.
    Snapshot(PathBuf),
    /// A ratio measure: numerator and denominator files.
    Ratio {
        /// `<id>.a.csv`.
        numerator: PathBuf,
        /// `<id>.b.csv`.
        denominator: PathBuf,
    },
    /// A raw time series and the anomaly minute (`None`: its last minute).
    TimeSeries {
        /// The CSV file.
        path: PathBuf,
        /// Unix seconds of the anomaly minute.
        minute: Option<i64>,
    },
}

impl Source {
    /// Works out how to read `path`: a `.a.csv`/`.b.csv` name means a ratio
    /// pair, a header with `min`, `value`, `cnt` a time series (its minute
    /// from `minute`, else from an `anomaly.yaml` beside it naming the file,
    /// else the last minute), anything else a snapshot.
    pub fn detect(path: &Path, minute: Option<i64>) -> Result<Source, LocalizeError> {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        for (suffix, other) in [(".a.csv", ".b.csv"), (".b.csv", ".a.csv")] {
            if let Some(stem) = name.strip_suffix(suffix) {
                let pair = path.with_file_name(format!("{stem}{other}"));
                let (numerator, denominator) =
                    if suffix == ".a.csv" { (path.to_path_buf(), pair) } else { (pair, path.to_path_buf()) };
                return Ok(Source::Ratio { numerator, denominator });
            }
        }
        let header = csv_table::CsvTable::open(path)?.header;
        if !timeseries::is_timeseries(&header) {
            return Ok(Source::Snapshot(path.to_path_buf()));
        }
        let minute = match minute {
            Some(m) => Some(m),
            None => {
                let yaml = path.with_file_name("anomaly.yaml");
                let stem = name.strip_suffix(".csv").unwrap_or(name);
                if yaml.exists() {
                    labels::read_anomaly_yaml(&yaml)?.into_iter().find(|l| l.name == stem).and_then(|l| l.minute)
                } else {
                    None
                }
            }
        };
        Ok(Source::TimeSeries { path: path.to_path_buf(), minute })
    }

    /// Reads the instance.
    pub fn load(&self) -> Result<Cube, LocalizeError> {
        match self {
            Source::Snapshot(p) => snapshot::load_additive(p),
            Source::Ratio { numerator, denominator } => snapshot::load_ratio(numerator, denominator),
            Source::TimeSeries { path, minute } => timeseries::load_timeseries(path, *minute),
        }
    }

    /// The file to name in reports.
    pub fn path(&self) -> &Path {
        match self {
            Source::Snapshot(p) | Source::TimeSeries { path: p, .. } => p,
            Source::Ratio { numerator, .. } => numerator,
        }
    }
}

/// A labelled dataset: a directory of instances and their labels.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The directory's name.
    pub name: String,
    /// Each instance's source and labelled elements.
    pub instances: Vec<(Source, Vec<String>)>,
}

/// Reads a labelled dataset directory: `injection_info.csv` with
/// `<id>.csv` or `<id>.a.csv`/`<id>.b.csv` files, or `anomaly.yaml` with
/// time-series files. `Ok(None)` if the directory has neither label file.
pub fn read_dataset(dir: &Path) -> Result<Option<Dataset>, LocalizeError> {
    let name = dir.file_name().map_or_else(|| dir.display().to_string(), |n| n.to_string_lossy().into_owned());
    let info = dir.join("injection_info.csv");
    let yaml = dir.join("anomaly.yaml");
    let mut instances = Vec::new();
    if info.exists() {
        for l in labels::read_injection_info(&info)? {
            let single = dir.join(format!("{}.csv", l.name));
            let source = if single.exists() {
                Source::Snapshot(single)
            } else {
                Source::Ratio {
                    numerator: dir.join(format!("{}.a.csv", l.name)),
                    denominator: dir.join(format!("{}.b.csv", l.name)),
                }
            };
            instances.push((source, l.elements));
        }
    } else if yaml.exists() {
        for l in labels::read_anomaly_yaml(&yaml)? {
            let path = dir.join(format!("{}.csv", l.name));
            instances.push((Source::TimeSeries { path, minute: l.minute }, l.elements));
        }
    } else {
        return Ok(None);
    }
    Ok(Some(Dataset { name, instances }))
}
