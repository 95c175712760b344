//! Replaying a telemetry file — JSON lines or CSV — through validation into
//! the cube, at full speed or paced by the events' own timestamps.
//!
//! Every record is accounted for: accepted, or rejected with its reason,
//! its line and what was wrong. The ingest clock starts at the median time
//! of the file's first timestamps (so one garbage timestamp at the top
//! cannot shift it) and follows the newest accepted event, as a live
//! ingest's wall clock would.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::aggregate::Cube;
use crate::validate::{Reason, Validator};
use showrunner_core::InputError;

/// How fast to replay.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// As fast as the machine goes.
    Max,
    /// This many times real time (1 = as recorded).
    Factor(f64),
}

impl std::str::FromStr for Speed {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "max" {
            return Ok(Speed::Max);
        }
        match s.trim_end_matches('x').parse::<f64>() {
            Ok(f) if f.is_finite() && f > 0.0 => Ok(Speed::Factor(f)),
            _ => Err(format!("speed `{s}`: expected `max` or a positive factor such as 60 or 60x")),
        }
    }
}

/// Rejections of one reason.
#[derive(Debug, Clone, Serialize)]
pub struct Rejected {
    /// How many records.
    pub count: u64,
    /// Line of the first such record.
    pub first_line: u64,
    /// What was wrong with it.
    pub first_detail: String,
}

/// The outcome of a replay.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    /// Records read.
    pub records: u64,
    /// Records accepted into the cube.
    pub accepted: u64,
    /// Rejections by reason.
    pub rejected: BTreeMap<&'static str, Rejected>,
    /// The aggregates.
    #[serde(skip)]
    pub cube: Cube,
}

/// Records read to set the starting clock.
const CLOCK_SAMPLE: usize = 101;

/// Replays `path` (`.csv` as CSV, anything else as JSON lines), one record
/// at a time: memory holds the cube, never the file.
pub fn replay(
    path: &Path,
    validator: &mut Validator,
    interval_ms: i64,
    speed: Speed,
) -> Result<ReplayReport, InputError> {
    let mut records: Box<dyn Iterator<Item = Result<Record, InputError>>> =
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
            Box::new(csv_records(path, validator)?)
        } else {
            Box::new(json_line_records(path)?)
        };
    let head: Vec<Record> = records.by_ref().take(CLOCK_SAMPLE).collect::<Result<_, _>>()?;
    let mut clock = start_clock(&head);
    let mut report = ReplayReport { records: 0, accepted: 0, rejected: BTreeMap::new(), cube: Cube::new(interval_ms) };
    let started = Instant::now();
    let first_time = clock;
    for item in head.into_iter().map(Ok).chain(records) {
        let (line, record) = item?;
        report.records += 1;
        let outcome = match record {
            Ok(value) => validator.check(&value, clock),
            Err(detail) => Err(crate::validate::Rejection { reason: Reason::Malformed, detail }),
        };
        match outcome {
            Ok(event) => {
                if let Speed::Factor(f) = speed {
                    let due = Duration::from_secs_f64(((event.time_ms - first_time).max(0) as f64 / 1000.0) / f);
                    if let Some(wait) = due.checked_sub(started.elapsed()) {
                        std::thread::sleep(wait);
                    }
                }
                clock = clock.max(event.time_ms);
                report.cube.add(&event);
                report.accepted += 1;
            }
            Err(r) => {
                let entry = report.rejected.entry(r.reason.name()).or_insert(Rejected {
                    count: 0,
                    first_line: line,
                    first_detail: r.detail,
                });
                entry.count += 1;
            }
        }
    }
    if report.records == 0 {
        return Err(InputError::format(path, "no records"));
    }
    Ok(report)
}

/// A record with its line number: a JSON value, or why it is not one.
type Record = (u64, Result<Value, String>);

fn json_line_records(path: &Path) -> Result<impl Iterator<Item = Result<Record, InputError>>, InputError> {
    let file = std::fs::File::open(path).map_err(|e| InputError::io(path, e))?;
    let path = path.to_path_buf();
    Ok(BufReader::new(file).lines().enumerate().filter_map(move |(i, line)| match line {
        Err(e) => Some(Err(InputError::io(&path, e))),
        Ok(line) if line.trim().is_empty() => None,
        Ok(line) => {
            Some(Ok((i as u64 + 1, serde_json::from_str::<Value>(&line).map_err(|e| format!("not JSON: {e}")))))
        }
    }))
}

/// Numeric columns of the CSV form.
const NUMBER_COLUMNS: [&str; 4] = ["startup_ms", "play_s", "rebuffer_s", "bitrate_kbps"];
/// Boolean columns of the CSV form.
const FLAG_COLUMNS: [&str; 2] = ["fatal", "before_start"];
/// Text columns of the CSV form besides the dimensions.
const TEXT_COLUMNS: [&str; 3] = ["type", "session", "code"];

/// Reads the CSV form: `type,time,session`, one column per dimension, and
/// the event fields (`startup_ms,play_s,rebuffer_s,bitrate_kbps,code,fatal,
/// before_start`) where they apply; empty cells are absent fields.
fn csv_records(
    path: &Path,
    validator: &Validator,
) -> Result<impl Iterator<Item = Result<Record, InputError>>, InputError> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| InputError::format(path, e.to_string()))?;
    let headers: Vec<String> =
        reader.headers().map_err(|e| InputError::format(path, e.to_string()))?.iter().map(str::to_string).collect();
    let dims: Vec<String> = validator.schema().dimensions.iter().map(|d| d.name.clone()).collect();
    for h in &headers {
        let known = h == "time" || TEXT_COLUMNS.contains(&h.as_str()) || NUMBER_COLUMNS.contains(&h.as_str());
        if !(known || FLAG_COLUMNS.contains(&h.as_str()) || dims.contains(h)) {
            return Err(InputError::format(path, format!("unknown column `{h}` (not an event field or a dimension)")));
        }
    }
    Ok(reader.into_records().enumerate().map(move |(i, row)| {
        let line = i as u64 + 2;
        Ok((line, row.map(|row| csv_row_to_json(&headers, &dims, &row)).map_err(|e| e.to_string())))
    }))
}

/// One CSV row as the JSON record it stands for; empty cells are absent
/// fields, and cells that do not parse stay text for the validator to name.
fn csv_row_to_json(headers: &[String], dims: &[String], row: &csv::StringRecord) -> Value {
    let mut obj = Map::new();
    let mut dim_values = Map::new();
    for (h, cell) in headers.iter().zip(row.iter()) {
        if cell.is_empty() {
            continue;
        }
        let name = h.as_str();
        let value = if NUMBER_COLUMNS.contains(&name) || (name == "time" && cell.bytes().all(|b| b.is_ascii_digit())) {
            cell.parse::<f64>()
                .ok()
                .and_then(|v| {
                    if name == "time" {
                        Some(Value::from(v as i64))
                    } else {
                        serde_json::Number::from_f64(v).map(Value::Number)
                    }
                })
                .unwrap_or_else(|| Value::String(cell.to_string()))
        } else if FLAG_COLUMNS.contains(&name) {
            match cell {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                other => Value::String(other.to_string()),
            }
        } else {
            Value::String(cell.to_string())
        };
        if dims.contains(h) {
            dim_values.insert(h.clone(), value);
        } else {
            obj.insert(h.clone(), value);
        }
    }
    obj.insert("dims".into(), Value::Object(dim_values));
    Value::Object(obj)
}

/// The median timestamp of the first records that have a readable one.
fn start_clock(records: &[Record]) -> i64 {
    let mut times: Vec<i64> = records
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .filter_map(|v| match v.get("time") {
            Some(Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp_millis()),
            Some(Value::Number(n)) => n.as_i64(),
            _ => None,
        })
        .take(CLOCK_SAMPLE)
        .collect();
    if times.is_empty() {
        return chrono::Utc::now().timestamp_millis();
    }
    let mid = times.len() / 2;
    *times.select_nth_unstable(mid).1
}
