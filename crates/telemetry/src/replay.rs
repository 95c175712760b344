//! Replaying a telemetry file — JSON lines or CSV — through validation into
//! the cube, at full speed or paced by the events' own timestamps.
//!
//! Every record is accounted for: accepted, or rejected with its reason,
//! its line and what was wrong. The ingest clock starts at the median time
//! of the file's first timestamps (so one garbage timestamp at the top
//! cannot shift it) and follows the newest accepted event, as a live
//! ingest's wall clock would.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;
use showrunner_core::InputError;

use crate::aggregate::Cube;
use crate::record::{from_csv_row, parse_json, RawRecord, FLAG_COLUMNS, NUMBER_COLUMNS, TEXT_COLUMNS};
use crate::validate::{time_ms, Reason, Rejection, Validator};

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
    let report = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
        replay_csv(path, validator, interval_ms, speed)?
    } else {
        replay_json_lines(path, validator, interval_ms, speed)?
    };
    if report.records == 0 {
        return Err(InputError::format(path, "no records"));
    }
    Ok(report)
}

fn replay_json_lines(
    path: &Path,
    validator: &mut Validator,
    interval_ms: i64,
    speed: Speed,
) -> Result<ReplayReport, InputError> {
    let file = std::fs::File::open(path).map_err(|e| InputError::io(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut ingest = Ingest::new(validator, interval_ms, speed, |text: &str, _: &Layout| parse_json(text));
    let (mut buf, mut line) = (String::new(), 0u64);
    loop {
        buf.clear();
        if reader.read_line(&mut buf).map_err(|e| InputError::io(path, e))? == 0 {
            break;
        }
        line += 1;
        let text = buf.trim_end_matches(['\n', '\r']);
        if !text.trim().is_empty() {
            ingest.offer(line, text);
        }
    }
    Ok(ingest.finish())
}

fn replay_csv(
    path: &Path,
    validator: &mut Validator,
    interval_ms: i64,
    speed: Speed,
) -> Result<ReplayReport, InputError> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| InputError::format(path, e.to_string()))?;
    let headers: Vec<String> =
        reader.headers().map_err(|e| InputError::format(path, e.to_string()))?.iter().map(str::to_string).collect();
    let rows = reader.into_records().map(|r| r.map_err(|e| e.to_string()));
    replay_table(path, headers, rows, 2, validator, interval_ms, speed)
}

/// Replays a table of events — CSV, or a Parquet file read by the
/// telemetry store — given as its column names and rows of text cells,
/// with the same columns as CSV (event fields, and one column per
/// dimension). Rows are numbered from `first_line` in the report; a row
/// that could not be read is refused as malformed with the reader's words.
pub fn replay_table(
    path: &Path,
    headers: Vec<String>,
    rows: impl Iterator<Item = Result<csv::StringRecord, String>>,
    first_line: u64,
    validator: &mut Validator,
    interval_ms: i64,
    speed: Speed,
) -> Result<ReplayReport, InputError> {
    let dims: Vec<String> = validator.schema().dimensions.iter().map(|d| d.name.clone()).collect();
    for h in &headers {
        let known = TEXT_COLUMNS.contains(&h.as_str()) || NUMBER_COLUMNS.contains(&h.as_str());
        if !(known || FLAG_COLUMNS.contains(&h.as_str()) || dims.contains(h)) {
            return Err(InputError::format(path, format!("unknown column `{h}` (not an event field or a dimension)")));
        }
    }
    let layout = Layout { headers, dims };
    let mut ingest = Ingest::new(validator, interval_ms, speed, |row: &csv::StringRecord, l: &Layout| {
        from_csv_row(&l.headers, &l.dims, row)
    });
    ingest.layout = layout;
    for (line, row) in (first_line..).zip(rows) {
        match row {
            Ok(row) => ingest.offer(line, &row),
            Err(e) => ingest.reject_unparsed(line, Rejection { reason: Reason::Malformed, detail: e }),
        }
    }
    let report = ingest.finish();
    if report.records == 0 {
        return Err(InputError::format(path, "no records"));
    }
    Ok(report)
}

/// The columns of a CSV file (empty for JSON lines).
#[derive(Debug, Clone, Default)]
struct Layout {
    headers: Vec<String>,
    dims: Vec<String>,
}

/// Validation, pacing and aggregation of records as they are read. The
/// first [`CLOCK_SAMPLE`] records are held back until the starting clock
/// (their median time) is known.
struct Ingest<'v, B: ToOwned + ?Sized, P> {
    validator: &'v mut Validator,
    speed: Speed,
    parse: P,
    layout: Layout,
    report: ReplayReport,
    held: Vec<(u64, Result<B::Owned, Rejection>)>,
    /// First clock value, current clock value, wall time at the start.
    clock: Option<(i64, i64, Instant)>,
}

impl<'v, B, P> Ingest<'v, B, P>
where
    B: ToOwned + ?Sized,
    P: for<'a> Fn(&'a B, &'a Layout) -> Result<RawRecord<'a>, Rejection>,
{
    fn new(validator: &'v mut Validator, interval_ms: i64, speed: Speed, parse: P) -> Self {
        let report = ReplayReport { records: 0, accepted: 0, rejected: BTreeMap::new(), cube: Cube::new(interval_ms) };
        Ingest { validator, speed, parse, layout: Layout::default(), report, held: Vec::new(), clock: None }
    }

    /// Takes one raw record in (copied only while the clock is not set).
    fn offer(&mut self, line: u64, raw: &B) {
        if self.clock.is_some() {
            self.process(line, Ok(raw));
            return;
        }
        self.held.push((line, Ok(raw.to_owned())));
        if self.held.len() == CLOCK_SAMPLE {
            self.start_clock();
        }
    }

    /// A record that could not even be read (counted in order).
    fn reject_unparsed(&mut self, line: u64, r: Rejection) {
        if self.clock.is_some() {
            self.process(line, Err(r));
        } else {
            self.held.push((line, Err(r)));
        }
    }

    fn start_clock(&mut self) {
        let mut times: Vec<i64> = self
            .held
            .iter()
            .filter_map(|(_, h)| h.as_ref().ok())
            .filter_map(|r| (self.parse)(r.borrow(), &self.layout).ok())
            .filter_map(|rec| rec.time.as_ref().and_then(|t| time_ms(t).ok()))
            .collect();
        let start = if times.is_empty() {
            chrono::Utc::now().timestamp_millis()
        } else {
            let mid = times.len() / 2;
            *times.select_nth_unstable(mid).1
        };
        self.clock = Some((start, start, Instant::now()));
        for (line, held) in std::mem::take(&mut self.held) {
            match held {
                Ok(r) => self.process(line, Ok(r.borrow())),
                Err(e) => self.process(line, Err(e)),
            }
        }
    }

    fn process(&mut self, line: u64, raw: Result<&B, Rejection>) {
        let Some((first, now, started)) = self.clock else { return };
        self.report.records += 1;
        let outcome =
            raw.and_then(|r| (self.parse)(r, &self.layout)).and_then(|record| self.validator.check(&record, now));
        match outcome {
            Ok(event) => {
                if let Speed::Factor(f) = self.speed {
                    let due = Duration::from_secs_f64(((event.time_ms - first).max(0) as f64 / 1000.0) / f);
                    if let Some(wait) = due.checked_sub(started.elapsed()) {
                        std::thread::sleep(wait);
                    }
                }
                self.clock = Some((first, now.max(event.time_ms), started));
                self.report.cube.add(&event);
                self.report.accepted += 1;
            }
            Err(r) => {
                let entry = self.report.rejected.entry(r.reason.name()).or_insert(Rejected {
                    count: 0,
                    first_line: line,
                    first_detail: r.detail,
                });
                entry.count += 1;
            }
        }
    }

    fn finish(mut self) -> ReplayReport {
        if self.clock.is_none() {
            self.start_clock();
        }
        self.report
    }
}
