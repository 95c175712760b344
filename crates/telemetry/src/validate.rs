//! Record-by-record validation: a raw JSON record becomes an [`Event`] or
//! a [`Rejection`] that says why. A rejected record changes nothing — not
//! even the dimension dictionaries — so a bad record can never corrupt
//! what is stored.

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::event::{Event, EventKind};
use crate::record::{RawDims, RawRecord, RawTime};
use crate::schema::Schema;

/// Why a record was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Not a JSON object (or not parseable at all).
    Malformed,
    /// A required field is absent.
    MissingField,
    /// A field has the wrong JSON type.
    WrongType,
    /// `type` names no known event.
    UnknownType,
    /// A number out of its physical range (negative, NaN, absurdly large).
    BadValue,
    /// The timestamp is too far from the ingest clock.
    TimeOutOfRange,
    /// A dimension the schema does not know.
    UnknownDimension,
    /// A new value of a dimension already at its cardinality cap.
    OverCap,
    /// Its interval was already closed and scored (live ingest).
    Late,
}

impl Reason {
    /// The reason's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Reason::Malformed => "malformed",
            Reason::MissingField => "missing_field",
            Reason::WrongType => "wrong_type",
            Reason::UnknownType => "unknown_type",
            Reason::BadValue => "bad_value",
            Reason::TimeOutOfRange => "time_out_of_range",
            Reason::UnknownDimension => "unknown_dimension",
            Reason::OverCap => "over_cap",
            Reason::Late => "late",
        }
    }
}

/// A refused record: the reason and a message naming the field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejection {
    /// Category, for counting.
    pub reason: Reason,
    /// What exactly is wrong.
    pub detail: String,
}

fn reject(reason: Reason, detail: impl Into<String>) -> Rejection {
    Rejection { reason, detail: detail.into() }
}

/// Longest accepted session id or error code.
const MAX_TEXT: usize = 200;

/// Validates records against a schema and encodes their dimension values.
#[derive(Debug, Clone)]
pub struct Validator {
    schema: Schema,
    codes: Vec<FxHashMap<String, u32>>,
    values: Vec<Vec<String>>,
    max_skew_ms: i64,
}

impl Validator {
    /// A validator for `schema` that refuses timestamps more than
    /// `max_skew_ms` away from the clock passed to [`Validator::check`].
    pub fn new(schema: Schema, max_skew_ms: i64) -> Result<Self, String> {
        schema.validate()?;
        let n = schema.dimensions.len();
        Ok(Validator { schema, codes: vec![FxHashMap::default(); n], values: vec![Vec::new(); n], max_skew_ms })
    }

    /// The schema.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The values seen so far of dimension `dim`, indexed by code.
    pub fn values(&self, dim: usize) -> &[String] {
        &self.values[dim]
    }

    /// The dimension values of a leaf given by its codes.
    pub fn decode(&self, leaf: &[u32]) -> Vec<String> {
        leaf.iter().enumerate().map(|(d, &c)| self.values[d][c as usize].clone()).collect()
    }

    /// Whether `time_ms` is close enough to the clock `now_ms` to be
    /// accepted.
    pub fn in_clock_range(&self, time_ms: i64, now_ms: i64) -> bool {
        (time_ms - now_ms).abs() <= self.max_skew_ms
    }

    /// Checks one record against the schema and the clock `now_ms`
    /// (milliseconds since the epoch).
    pub fn check(&mut self, r: &RawRecord, now_ms: i64) -> Result<Event, Rejection> {
        let kind_name = required(&r.kind, "type")?.0.as_ref();
        let time_ms = time_ms(required(&r.time, "time")?)?;
        if !self.in_clock_range(time_ms, now_ms) {
            return Err(reject(
                Reason::TimeOutOfRange,
                format!(
                    "`time` is {} s away from the ingest clock (at most {} s accepted)",
                    (time_ms - now_ms) / 1000,
                    self.max_skew_ms / 1000
                ),
            ));
        }
        let session = required(&r.session, "session")?.0.as_ref();
        if session.is_empty() || session.len() > MAX_TEXT {
            return Err(reject(Reason::BadValue, format!("`session` must be 1 to {MAX_TEXT} characters")));
        }
        let kind = match kind_name {
            "attempt" => EventKind::Attempt,
            "start" => EventKind::Start { startup_ms: number(r.startup_ms, "startup_ms", 600_000.0)? },
            "heartbeat" => EventKind::Heartbeat {
                play_s: number(r.play_s, "play_s", 3600.0)?,
                rebuffer_s: number(r.rebuffer_s, "rebuffer_s", 3600.0)?,
                bitrate_kbps: number(r.bitrate_kbps, "bitrate_kbps", 1_000_000.0)?,
            },
            "error" => {
                let code = required(&r.code, "code")?.0.as_ref();
                if code.len() > MAX_TEXT {
                    return Err(reject(Reason::BadValue, format!("`code` is longer than {MAX_TEXT} characters")));
                }
                EventKind::Error {
                    code: code.to_string(),
                    fatal: *required(&r.fatal, "fatal")?,
                    before_start: *required(&r.before_start, "before_start")?,
                }
            }
            "end" => EventKind::End { before_start: *required(&r.before_start, "before_start")? },
            other => {
                return Err(reject(
                    Reason::UnknownType,
                    format!("`type` is `{other}`; expected attempt, start, heartbeat, error or end"),
                ))
            }
        };
        let leaf = self.encode(required(&r.dims, "dims")?)?;
        Ok(Event { time_ms, session: session.to_string(), leaf, kind })
    }

    /// Encodes the dimension values; inserts new values only once every
    /// dimension has passed.
    fn encode(&mut self, dims: &RawDims) -> Result<Vec<u32>, Rejection> {
        let n = self.schema.dimensions.len();
        let mut raw: Vec<Option<&str>> = vec![None; n];
        for (j, (name, value)) in dims.0.iter().enumerate() {
            // Players usually send the dimensions in schema order.
            let in_order = self.schema.dimensions.get(j).is_some_and(|d| d.name == *name);
            let found = if in_order { Some(j) } else { self.schema.dimensions.iter().position(|d| d.name == *name) };
            let Some(i) = found else {
                return Err(reject(
                    Reason::UnknownDimension,
                    format!("`dims.{name}` is not a dimension of the schema"),
                ));
            };
            raw[i] = Some(value.as_ref());
        }
        for (i, d) in self.schema.dimensions.iter().enumerate() {
            let value = match raw[i] {
                None => return Err(reject(Reason::MissingField, format!("`dims.{}` is missing", d.name))),
                Some(v) if v.is_empty() || v.len() > MAX_TEXT => {
                    return Err(reject(
                        Reason::BadValue,
                        format!("`dims.{}` must be 1 to {MAX_TEXT} characters", d.name),
                    ))
                }
                Some(v) => v,
            };
            if !self.codes[i].contains_key(value) && self.values[i].len() >= d.cap {
                return Err(reject(
                    Reason::OverCap,
                    format!(
                        "`dims.{}` = `{value}` would be value {} of a dimension capped at {}",
                        d.name,
                        d.cap + 1,
                        d.cap
                    ),
                ));
            }
        }
        Ok(raw
            .into_iter()
            .enumerate()
            .map(|(i, value)| {
                let value = value.unwrap_or_default();
                match self.codes[i].get(value) {
                    Some(&c) => c,
                    None => {
                        let c = self.values[i].len() as u32;
                        self.codes[i].insert(value.to_string(), c);
                        self.values[i].push(value.to_string());
                        c
                    }
                }
            })
            .collect())
    }
}

fn required<'r, T>(field: &'r Option<T>, name: &str) -> Result<&'r T, Rejection> {
    field.as_ref().ok_or_else(|| reject(Reason::MissingField, format!("`{name}` is missing")))
}

/// A finite number in `[0, max]`.
fn number(v: Option<f64>, field: &str, max: f64) -> Result<f64, Rejection> {
    let v = *required(&v, field)?;
    if !(0.0..=max).contains(&v) {
        return Err(reject(Reason::BadValue, format!("`{field}` = {v} is outside [0, {max}]")));
    }
    Ok(v)
}

/// `time` as epoch milliseconds.
pub(crate) fn time_ms(t: &RawTime) -> Result<i64, Rejection> {
    match t {
        RawTime::Millis(ms) => Ok(*ms),
        RawTime::Fraction(v) => {
            Err(reject(Reason::BadValue, format!("`time` = {v} is not whole milliseconds since the epoch")))
        }
        RawTime::Text(s) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| t.timestamp_millis())
            .map_err(|e| reject(Reason::BadValue, format!("`time` = `{s}` is not RFC 3339 ({e})"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::parse_json;
    use serde_json::{json, Value};

    /// Parses and checks, as a JSON line would be.
    fn check(v: &mut Validator, record: &Value) -> Result<Event, Rejection> {
        let line = record.to_string();
        v.check(&parse_json(&line)?, NOW)
    }

    const NOW: i64 = 1_795_000_000_000;

    fn schema() -> Schema {
        Schema {
            dimensions: vec![
                crate::schema::Dimension { name: "cdn".into(), cap: 2 },
                crate::schema::Dimension { name: "country".into(), cap: 10 },
            ],
        }
    }

    fn heartbeat() -> Value {
        json!({"type": "heartbeat", "time": NOW, "session": "s1", "dims": {"cdn": "A", "country": "DE"},
               "play_s": 10.0, "rebuffer_s": 0.5, "bitrate_kbps": 4500})
    }

    #[test]
    fn a_good_record_is_encoded() {
        let mut v = Validator::new(schema(), 3_600_000).unwrap();
        let e = check(&mut v, &heartbeat()).unwrap();
        assert_eq!(e.leaf, vec![0, 0]);
        assert_eq!(e.kind, EventKind::Heartbeat { play_s: 10.0, rebuffer_s: 0.5, bitrate_kbps: 4500.0 });
        let mut rfc = heartbeat();
        rfc["time"] = json!("2026-11-18T12:06:40+01:00");
        assert_eq!(check(&mut v, &rfc).unwrap().time_ms, NOW);
    }

    #[test]
    fn every_bad_record_is_refused_with_its_reason_and_field() {
        let mut v = Validator::new(schema(), 3_600_000).unwrap();
        let mutate = |f: &dyn Fn(&mut Value)| {
            let mut r = heartbeat();
            f(&mut r);
            r
        };
        let cases: Vec<(Value, Reason, &str)> = vec![
            (json!([1, 2]), Reason::Malformed, "JSON object"),
            (mutate(&|r| r["play_s"] = json!("ten")), Reason::WrongType, "`play_s` must be a number"),
            (mutate(&|r| r["play_s"] = json!(-1.0)), Reason::BadValue, "`play_s` = -1"),
            (mutate(&|r| r["rebuffer_s"] = json!(1e9)), Reason::BadValue, "`rebuffer_s`"),
            (
                mutate(&|r| {
                    r.as_object_mut().unwrap().remove("bitrate_kbps");
                }),
                Reason::MissingField,
                "`bitrate_kbps` is missing",
            ),
            (mutate(&|r| r["type"] = json!("pause")), Reason::UnknownType, "`pause`"),
            (mutate(&|r| r["time"] = json!(NOW + 7_200_000)), Reason::TimeOutOfRange, "7200 s away"),
            (mutate(&|r| r["time"] = json!("yesterday")), Reason::BadValue, "not RFC 3339"),
            (mutate(&|r| r["session"] = json!("")), Reason::BadValue, "`session`"),
            (mutate(&|r| r["dims"]["cdn"] = json!(3)), Reason::WrongType, "`dims.cdn` must be a string"),
            (
                mutate(&|r| {
                    r["dims"].as_object_mut().unwrap().remove("country");
                }),
                Reason::MissingField,
                "`dims.country`",
            ),
            (mutate(&|r| r["dims"]["os"] = json!("x")), Reason::UnknownDimension, "`dims.os`"),
        ];
        for (record, reason, detail) in cases {
            let r = check(&mut v, &record).unwrap_err();
            assert_eq!(r.reason, reason, "{record}: {r:?}");
            assert!(r.detail.contains(detail), "{record}: {r:?}");
        }
    }

    #[test]
    fn the_cap_refuses_new_values_without_touching_the_dictionaries() {
        let mut v = Validator::new(schema(), 3_600_000).unwrap();
        for cdn in ["A", "B"] {
            let mut r = heartbeat();
            r["dims"]["cdn"] = json!(cdn);
            check(&mut v, &r).unwrap();
        }
        let mut third = heartbeat();
        third["dims"]["cdn"] = json!("C");
        third["dims"]["country"] = json!("FR");
        let r = check(&mut v, &third).unwrap_err();
        assert_eq!(r.reason, Reason::OverCap);
        assert!(r.detail.contains("`dims.cdn` = `C` would be value 3 of a dimension capped at 2"), "{r:?}");
        // FR was not added by the refused record; known values still pass.
        assert_eq!(v.values(1), ["DE"]);
        assert!(check(&mut v, &heartbeat()).is_ok());
    }
}
