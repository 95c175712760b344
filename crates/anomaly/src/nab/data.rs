//! Reading NAB data: series files (`timestamp,value`) under category
//! folders, and `combined_windows.json` with each file's anomaly windows.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::AnomalyError;

/// One benchmark series.
#[derive(Debug, Clone)]
pub struct Series {
    /// Path relative to the data directory, `category/file.csv`, as the
    /// labels name it.
    pub name: String,
    /// Row timestamps as written (`YYYY-MM-DD HH:MM:SS`).
    pub timestamps: Vec<String>,
    /// The same timestamps in seconds since 1970-01-01 (UTC assumed).
    pub times: Vec<f64>,
    /// Row values.
    pub values: Vec<f64>,
    /// Anomaly windows as inclusive row ranges, in time order.
    pub windows: Vec<(usize, usize)>,
}

/// Reads every `*.csv` under the category folders of `data_dir` (sorted by
/// name) with its windows from `labels`. A file without a labels entry is an
/// error: it could not be scored. Label entries for files that are not
/// present are ignored, so a subset of the data can be run.
pub fn read_benchmark(data_dir: &Path, labels: &Path) -> Result<Vec<Series>, AnomalyError> {
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for category in sorted_entries(data_dir)? {
        if !category.is_dir() {
            continue;
        }
        for file in sorted_entries(&category)? {
            if file.extension().is_some_and(|e| e == "csv") {
                let name = format!("{}/{}", file_name(&category), file_name(&file));
                files.push((name, file));
            }
        }
    }
    if files.is_empty() {
        return Err(AnomalyError::format(
            data_dir,
            "no category folders with .csv files (expected data/<category>/<file>.csv)",
        ));
    }
    let windows = read_labels(labels)?;
    files
        .into_iter()
        .map(|(name, path)| {
            let Some(labelled) = windows.get(&name) else {
                return Err(AnomalyError::format(labels, format!("no entry for `{name}`")));
            };
            let (timestamps, values) = read_series(&path)?;
            let windows = resolve_windows(&path, &timestamps, labelled)?;
            let times = timestamps.iter().map(|t| epoch_seconds(t)).collect();
            Ok(Series { name, timestamps, times, values, windows })
        })
        .collect()
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, AnomalyError> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| AnomalyError::io(dir, e))?
        .map(|e| e.map(|e| e.path()).map_err(|err| AnomalyError::io(dir, err)))
        .collect::<Result<_, _>>()?;
    out.sort();
    Ok(out)
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Reads one `timestamp,value` file; timestamps must not run backwards,
/// values must be finite.
pub fn read_series(path: &Path) -> Result<(Vec<String>, Vec<f64>), AnomalyError> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| AnomalyError::format(path, e.to_string()))?;
    let headers = reader.headers().map_err(|e| AnomalyError::format(path, e.to_string()))?.clone();
    if headers.len() != 2 || &headers[0] != "timestamp" || &headers[1] != "value" {
        return Err(AnomalyError::format(
            path,
            format!("header is `{}`, expected `timestamp,value`", headers.iter().collect::<Vec<_>>().join(",")),
        ));
    }
    let (mut timestamps, mut values) = (Vec::new(), Vec::new());
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| AnomalyError::format(path, format!("line {line}: {e}")))?;
        let stamp = normalise_timestamp(&record[0]).ok_or_else(|| {
            AnomalyError::format(path, format!("line {line}: `{}` is not YYYY-MM-DD HH:MM:SS", &record[0]))
        })?;
        let value: f64 = record[1].trim().parse().ok().filter(|v: &f64| v.is_finite()).ok_or_else(|| {
            AnomalyError::format(path, format!("line {line}: value `{}` is not a finite number", &record[1]))
        })?;
        // Repeats happen in NAB's own files (a daylight-saving hour); time
        // running backwards does not.
        if timestamps.last().is_some_and(|prev: &String| *prev > stamp) {
            return Err(AnomalyError::format(
                path,
                format!("line {line}: timestamp {stamp} is before the previous row"),
            ));
        }
        timestamps.push(stamp);
        values.push(value);
    }
    if values.is_empty() {
        return Err(AnomalyError::format(path, "no rows"));
    }
    Ok((timestamps, values))
}

/// `YYYY-MM-DD HH:MM:SS` with an optional fractional part (which the labels
/// write as `.000000`) dropped; `None` when the shape is wrong.
fn normalise_timestamp(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let base = raw.split('.').next()?;
    let shape_ok = base.len() == 19
        && base.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == ' ',
            13 | 16 => c == ':',
            _ => c.is_ascii_digit(),
        });
    shape_ok.then(|| base.to_string())
}

/// Seconds since 1970-01-01 of a normalised `YYYY-MM-DD HH:MM:SS` (the
/// days-from-civil algorithm of H. Hinnant).
fn epoch_seconds(stamp: &str) -> f64 {
    let field = |range: std::ops::Range<usize>| stamp[range].parse::<i64>().unwrap_or(0);
    let (y, m, d) = (field(0..4), field(5..7), field(8..10));
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (days * 86_400 + field(11..13) * 3600 + field(14..16) * 60 + field(17..19)) as f64
}

/// Reads `combined_windows.json`: file → list of `[start, end]` timestamps.
pub fn read_labels(path: &Path) -> Result<BTreeMap<String, Vec<(String, String)>>, AnomalyError> {
    let text = std::fs::read_to_string(path).map_err(|e| AnomalyError::io(path, e))?;
    let raw: BTreeMap<String, Vec<Vec<String>>> = serde_json::from_str(&text).map_err(|e| {
        AnomalyError::format(path, format!("{e} (expected {{\"category/file.csv\": [[\"start\", \"end\"], ...]}})"))
    })?;
    raw.into_iter()
        .map(|(file, windows)| {
            let windows = windows
                .into_iter()
                .map(|w| match w.as_slice() {
                    [start, end] => {
                        let parse = |s: &String| {
                            normalise_timestamp(s).ok_or_else(|| {
                                AnomalyError::format(path, format!("`{file}`: `{s}` is not a timestamp"))
                            })
                        };
                        Ok((parse(start)?, parse(end)?))
                    }
                    _ => Err(AnomalyError::format(path, format!("`{file}`: a window is not a [start, end] pair"))),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok((file, windows))
        })
        .collect()
}

/// Turns labelled windows into row ranges; both ends must be rows of the
/// file and windows must not overlap.
fn resolve_windows(
    path: &Path,
    stamps: &[String],
    windows: &[(String, String)],
) -> Result<Vec<(usize, usize)>, AnomalyError> {
    // The first row with that timestamp, as NAB resolves repeats.
    let row = |s: &String| {
        let at = stamps.partition_point(|t| t < s);
        (stamps.get(at) == Some(s))
            .then_some(at)
            .ok_or_else(|| AnomalyError::format(path, format!("labelled window edge {s} is not a row of this file")))
    };
    let mut out: Vec<(usize, usize)> =
        windows.iter().map(|(a, b)| Ok((row(a)?, row(b)?))).collect::<Result<_, AnomalyError>>()?;
    out.sort();
    for (i, &(start, end)) in out.iter().enumerate() {
        if end < start || (i > 0 && start <= out[i - 1].1) {
            return Err(AnomalyError::format(
                path,
                format!("labelled windows overlap or run backwards near {}", stamps[start]),
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_keep_their_shape_and_lose_the_fraction() {
        assert_eq!(normalise_timestamp("2015-09-16 12:37:00.000000").as_deref(), Some("2015-09-16 12:37:00"));
        assert_eq!(normalise_timestamp("2015-09-16 12:37:00").as_deref(), Some("2015-09-16 12:37:00"));
        assert_eq!(normalise_timestamp("2015-09-16T12:37:00"), None);
        assert_eq!(normalise_timestamp("16/09/2015"), None);
    }

    #[test]
    fn epoch_seconds_match_known_dates() {
        assert_eq!(epoch_seconds("1970-01-01 00:00:00"), 0.0);
        assert_eq!(epoch_seconds("2015-09-16 12:37:00"), 1_442_407_020.0);
        assert_eq!(epoch_seconds("2000-03-01 00:00:00"), 951_868_800.0);
    }

    #[test]
    fn bad_series_files_are_named_with_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("ts,value\n2015-01-01 00:00:00,1\n", "expected `timestamp,value`"),
            ("timestamp,value\n2015-01-01 00:00:00,abc\n", "line 2: value `abc`"),
            ("timestamp,value\n2015-01-01 00:00:00,NaN\n", "line 2: value `NaN`"),
            (
                "timestamp,value\n2015-01-01 00:05:00,1\n2015-01-01 00:00:00,2\n",
                "line 3: timestamp 2015-01-01 00:00:00 is before",
            ),
            ("timestamp,value\n", "no rows"),
            ("timestamp,value\nyesterday,1\n", "line 2: `yesterday`"),
        ];
        for (i, (text, want)) in cases.iter().enumerate() {
            let path = dir.path().join(format!("{i}.csv"));
            std::fs::write(&path, text).unwrap();
            let err = read_series(&path).unwrap_err().to_string();
            assert!(err.contains(want), "case {i}: {err}");
        }
    }
}
