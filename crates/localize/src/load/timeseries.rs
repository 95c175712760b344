//! Raw per-minute telemetry (the RS layout): `min` (Unix seconds of the
//! minute), attribute columns, and two counts per leaf and minute, `value`
//! (bad events) and `cnt` (all events). The monitored measure is the success
//! ratio `(cnt − value) / cnt`.
//!
//! The instance is the snapshot at the anomaly minute. Each leaf's expected
//! ratio comes from the minutes before it (`HISTORY_MINUTES`), pooled
//! (Σ good / Σ all, not a mean of per-minute ratios, which a minute with 2
//! sessions would swing) and shrunk toward the overall rate of the history
//! with the weight of `PRIOR_EVENTS` events, so a leaf with little or no
//! history expects what everyone else had instead of 0.

use std::path::Path;

use rustc_hash::FxHashMap;

use super::csv_table::{number, CsvTable};
use crate::cube::{Cube, CubeBuilder};
use crate::error::LocalizeError;

/// Minutes of history before the anomaly that set expectations.
pub const HISTORY_MINUTES: i64 = 4;

/// Pseudo-events of the overall rate added to every leaf's history.
pub const PRIOR_EVENTS: f64 = 10.0;

/// One file's rows: minute, leaf key, bad and total counts.
struct Row {
    minute: i64,
    leaf: usize,
    value: f64,
    cnt: f64,
}

/// Whether a CSV header is the raw time-series layout.
pub fn is_timeseries(header: &[String]) -> bool {
    ["min", "value", "cnt"].iter().all(|c| header.iter().any(|h| h == c))
}

/// Loads the snapshot at `minute` (Unix seconds) from a raw time-series
/// file; `None` picks the file's last minute.
pub fn load_timeseries(path: &Path, minute: Option<i64>) -> Result<Cube, LocalizeError> {
    let table = CsvTable::open(path)?;
    let min_col = table.column("min")?;
    let value_col = table.column("value")?;
    let cnt_col = table.column("cnt")?;
    let attr_cols: Vec<usize> =
        (0..table.header.len()).filter(|i| ![min_col, value_col, cnt_col].contains(i)).collect();
    let attributes: Vec<String> = attr_cols.iter().map(|&i| table.header[i].clone()).collect();
    let mut leaves: FxHashMap<Vec<String>, usize> = FxHashMap::default();
    let mut keys: Vec<Vec<String>> = Vec::new();
    let mut rows: Vec<Row> = Vec::new();
    table.for_each(|rec| {
        let m = number(rec, min_col, "min")?;
        if m.fract() != 0.0 || !m.is_finite() {
            return Err(format!("`min` is {m}, expected whole Unix seconds"));
        }
        let value = number(rec, value_col, "value")?;
        let cnt = number(rec, cnt_col, "cnt")?;
        if !(value.is_finite() && cnt.is_finite()) || value < 0.0 || cnt < 0.0 {
            return Err(format!("counts must be finite and non-negative (value {value}, cnt {cnt})"));
        }
        if value > cnt {
            return Err(format!("`value` ({value}) exceeds `cnt` ({cnt})"));
        }
        let key: Vec<String> = attr_cols.iter().map(|&i| rec.get(i).unwrap_or("").trim().to_string()).collect();
        let next = keys.len();
        let leaf = *leaves.entry(key.clone()).or_insert_with(|| {
            keys.push(key);
            next
        });
        rows.push(Row { minute: m as i64, leaf, value, cnt });
        Ok(())
    })?;
    let at = match minute {
        Some(m) => m,
        None => rows.iter().map(|r| r.minute).max().expect("for_each rejects files without rows"),
    };
    let mut now = vec![(0.0, 0.0, false); keys.len()];
    let mut past = vec![(0.0, 0.0); keys.len()];
    let (mut past_good, mut past_all) = (0.0, 0.0);
    for r in &rows {
        if r.minute == at {
            let n = &mut now[r.leaf];
            n.0 += r.cnt - r.value;
            n.1 += r.cnt;
            n.2 = true;
        } else if r.minute < at && r.minute >= at - 60 * HISTORY_MINUTES {
            past[r.leaf].0 += r.cnt - r.value;
            past[r.leaf].1 += r.cnt;
            past_good += r.cnt - r.value;
            past_all += r.cnt;
        }
    }
    if !now.iter().any(|n| n.2) {
        return Err(LocalizeError::format(path, format!("no rows at minute {at}")));
    }
    let overall = if past_all > 0.0 { past_good / past_all } else { f64::NAN };
    let mut builder = CubeBuilder::new(attributes, true).map_err(|m| LocalizeError::format(path, m))?;
    for (leaf, key) in keys.iter().enumerate() {
        let (good, all, present) = now[leaf];
        if !present {
            continue;
        }
        let (pg, pa) = past[leaf];
        let expected = if overall.is_nan() { f64::NAN } else { (pg + PRIOR_EVENTS * overall) / (pa + PRIOR_EVENTS) };
        let values: Vec<&str> = key.iter().map(String::as_str).collect();
        builder.push_ratio(&values, good, all, expected).map_err(|m| LocalizeError::format(path, m))?;
    }
    builder.build().map_err(|m| LocalizeError::format(path, m))
}
