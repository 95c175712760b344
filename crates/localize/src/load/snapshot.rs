//! Snapshot files: one row per leaf with its attributes, `real` and
//! `predict` (the Squeeze / RiskLoc layout), and ratio measures given as a
//! `<id>.a.csv` (numerator) / `<id>.b.csv` (denominator) pair.

use std::path::Path;

use rustc_hash::FxHashMap;

use super::csv_table::{number, CsvTable};
use crate::cube::{Cube, CubeBuilder};
use crate::error::LocalizeError;

/// A snapshot file's attribute columns, rows and amounts.
struct Rows {
    attributes: Vec<String>,
    values: Vec<String>,
    real: Vec<f64>,
    predict: Vec<f64>,
}

fn read_rows(path: &Path) -> Result<Rows, LocalizeError> {
    let table = CsvTable::open(path)?;
    let real_col = table.column("real")?;
    let predict_col = table.column("predict")?;
    let attr_cols: Vec<usize> = (0..table.header.len()).filter(|&i| i != real_col && i != predict_col).collect();
    let attributes: Vec<String> = attr_cols.iter().map(|&i| table.header[i].clone()).collect();
    if attributes.is_empty() {
        return Err(LocalizeError::format(path, "no attribute columns besides `real` and `predict`"));
    }
    let mut rows = Rows { attributes, values: Vec::new(), real: Vec::new(), predict: Vec::new() };
    table.for_each(|rec| {
        let real = number(rec, real_col, "real")?;
        let predict = number(rec, predict_col, "predict")?;
        for (name, v) in [("real", real), ("predict", predict)] {
            if !v.is_finite() {
                return Err(format!("`{name}` is {v}, expected a finite number"));
            }
        }
        for &i in &attr_cols {
            rows.values.push(rec.get(i).unwrap_or("").trim().to_string());
        }
        rows.real.push(real);
        rows.predict.push(predict);
        Ok(())
    })?;
    Ok(rows)
}

/// Loads a snapshot of an additive measure.
pub fn load_additive(path: &Path) -> Result<Cube, LocalizeError> {
    let rows = read_rows(path)?;
    let d = rows.attributes.len();
    let mut builder = CubeBuilder::new(rows.attributes, false).map_err(|m| LocalizeError::format(path, m))?;
    for (i, values) in rows.values.chunks(d).enumerate() {
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        builder
            .push_additive(&values, rows.real[i], rows.predict[i])
            .map_err(|m| LocalizeError::format(path, format!("row {}: {m}", i + 1)))?;
    }
    builder.build().map_err(|m| LocalizeError::format(path, m))
}

/// Loads a ratio measure from its numerator and denominator files, joined on
/// the attributes. A leaf present in only one file has 0 in the other; the
/// expected ratio of a leaf is `predict_a / predict_b` (unknown when the
/// expected denominator is 0).
pub fn load_ratio(numerator: &Path, denominator: &Path) -> Result<Cube, LocalizeError> {
    let a = read_rows(numerator)?;
    let b = read_rows(denominator)?;
    let mut sorted_a = a.attributes.clone();
    let mut sorted_b = b.attributes.clone();
    sorted_a.sort();
    sorted_b.sort();
    if sorted_a != sorted_b {
        return Err(LocalizeError::format(
            denominator,
            format!(
                "attribute columns ({}) differ from the numerator file's ({})",
                b.attributes.join(", "),
                a.attributes.join(", ")
            ),
        ));
    }
    let d = a.attributes.len();
    // Column order of b mapped onto a's.
    let order: Vec<usize> =
        a.attributes.iter().map(|n| b.attributes.iter().position(|m| m == n).expect("same set")).collect();
    let mut leaves: FxHashMap<Vec<String>, [f64; 4]> = FxHashMap::default();
    let mut keys: Vec<Vec<String>> = Vec::new();
    let mut add = |key: Vec<String>, slot: usize, real: f64, predict: f64| {
        let entry = leaves.entry(key.clone()).or_insert_with(|| {
            keys.push(key);
            [0.0; 4]
        });
        entry[slot] += real;
        entry[slot + 1] += predict;
    };
    for (i, values) in a.values.chunks(d).enumerate() {
        add(values.to_vec(), 0, a.real[i], a.predict[i]);
    }
    for (i, values) in b.values.chunks(d).enumerate() {
        add(order.iter().map(|&j| values[j].clone()).collect(), 2, b.real[i], b.predict[i]);
    }
    let mut builder = CubeBuilder::new(a.attributes, true).map_err(|m| LocalizeError::format(numerator, m))?;
    for key in &keys {
        let [ra, pa, rb, pb] = leaves[key];
        let predict_ratio = if pb > 0.0 { pa / pb } else { f64::NAN };
        let values: Vec<&str> = key.iter().map(String::as_str).collect();
        builder
            .push_ratio(&values, ra, rb, predict_ratio)
            .map_err(|m| LocalizeError::format(numerator, format!("leaf {}: {m}", key.join(","))))?;
    }
    builder.build().map_err(|m| LocalizeError::format(numerator, m))
}
