//! A telemetry record as read, before validation: every field optional so
//! that an absent one is reported by name, text borrowed from the input
//! where it can be (JSON without escapes), so reading a line allocates
//! little.
//!
//! JSON lines are parsed straight into [`RawRecord`]; only when that fails
//! is the line parsed again as a generic JSON value, to say which field has
//! the wrong type. CSV rows are converted cell by cell.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use crate::validate::{Reason, Rejection};

/// Text borrowed from the input when possible.
#[derive(Debug, Clone, PartialEq)]
pub struct Text<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// `time` as written: epoch milliseconds or RFC 3339 text.
#[derive(Debug, Clone, PartialEq)]
pub enum RawTime<'a> {
    /// Milliseconds since the epoch.
    Millis(i64),
    /// Text, to be parsed as RFC 3339.
    Text(Cow<'a, str>),
    /// A number that is not whole milliseconds.
    Fraction(f64),
}

impl<'de: 'a, 'a> Deserialize<'de> for RawTime<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawTime<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("RFC 3339 text or epoch milliseconds")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(RawTime::Millis(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(i64::try_from(v).map_or(RawTime::Fraction(v as f64), RawTime::Millis))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(RawTime::Fraction(v))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(RawTime::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawTime::Text(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

/// The `dims` object as name/value pairs in input order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawDims<'a>(pub Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'de: 'a, 'a> Deserialize<'de> for RawDims<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawDims<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of dimension values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((k, v)) = map.next_entry::<Text<'de>, Text<'de>>()? {
                    out.push((k.0, v.0));
                }
                Ok(RawDims(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// One record as read.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct RawRecord<'a> {
    /// Event type.
    #[serde(rename = "type", borrow)]
    pub kind: Option<Text<'a>>,
    /// When it happened.
    #[serde(borrow)]
    pub time: Option<RawTime<'a>>,
    /// Session id.
    #[serde(borrow)]
    pub session: Option<Text<'a>>,
    /// Dimension values.
    #[serde(borrow)]
    pub dims: Option<RawDims<'a>>,
    /// `start`: milliseconds to the first frame.
    pub startup_ms: Option<f64>,
    /// `heartbeat`: seconds played.
    pub play_s: Option<f64>,
    /// `heartbeat`: seconds stalled.
    pub rebuffer_s: Option<f64>,
    /// `heartbeat`: average bitrate.
    pub bitrate_kbps: Option<f64>,
    /// `error`: the player's code.
    #[serde(borrow)]
    pub code: Option<Text<'a>>,
    /// `error`: whether it ended the session.
    pub fatal: Option<bool>,
    /// `error`, `end`: whether no frame had been shown.
    pub before_start: Option<bool>,
}

/// What each known field must be, for naming a wrong type.
const FIELD_TYPES: [(&str, &str); 11] = [
    ("type", "a string"),
    ("time", "RFC 3339 text or epoch milliseconds"),
    ("session", "a string"),
    ("dims", "an object"),
    ("startup_ms", "a number"),
    ("play_s", "a number"),
    ("rebuffer_s", "a number"),
    ("bitrate_kbps", "a number"),
    ("code", "a string"),
    ("fatal", "true or false"),
    ("before_start", "true or false"),
];

/// Parses one JSON record; on failure says which field is wrong.
pub fn parse_json(line: &str) -> Result<RawRecord<'_>, Rejection> {
    serde_json::from_str::<RawRecord>(line).map_err(|typed| diagnose(line, typed))
}

/// Why a line did not parse as a record.
fn diagnose(line: &str, typed: serde_json::Error) -> Rejection {
    let value: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return Rejection { reason: Reason::Malformed, detail: format!("not JSON: {e}") },
    };
    let Value::Object(obj) = value else {
        return Rejection { reason: Reason::Malformed, detail: "a record must be a JSON object".into() };
    };
    for (field, wanted) in FIELD_TYPES {
        let ok = match (field, obj.get(field)) {
            (_, None | Some(Value::Null)) => true,
            ("type" | "session" | "code", Some(v)) => v.is_string(),
            ("time", Some(v)) => v.is_string() || v.is_number(),
            ("fatal" | "before_start", Some(v)) => v.is_boolean(),
            ("dims", Some(Value::Object(d))) => {
                if let Some((name, _)) = d.iter().find(|(_, v)| !v.is_string()) {
                    return Rejection { reason: Reason::WrongType, detail: format!("`dims.{name}` must be a string") };
                }
                true
            }
            ("dims", Some(_)) => false,
            (_, Some(v)) => v.is_number(),
        };
        if !ok {
            return Rejection { reason: Reason::WrongType, detail: format!("`{field}` must be {wanted}") };
        }
    }
    Rejection { reason: Reason::Malformed, detail: typed.to_string() }
}

/// Numeric columns of the CSV form.
pub const NUMBER_COLUMNS: [&str; 4] = ["startup_ms", "play_s", "rebuffer_s", "bitrate_kbps"];
/// Boolean columns of the CSV form.
pub const FLAG_COLUMNS: [&str; 2] = ["fatal", "before_start"];
/// Other event columns of the CSV form.
pub const TEXT_COLUMNS: [&str; 4] = ["type", "time", "session", "code"];

/// Converts one CSV row (`headers` name its cells; `dims` are the schema's
/// dimension names) into a record; empty cells are absent fields.
pub fn from_csv_row<'a>(
    headers: &'a [String],
    dims: &[String],
    row: &'a csv::StringRecord,
) -> Result<RawRecord<'a>, Rejection> {
    let mut r = RawRecord { dims: Some(RawDims::default()), ..Default::default() };
    for (h, cell) in headers.iter().zip(row.iter()) {
        if cell.is_empty() {
            continue;
        }
        let text = || Some(Text(Cow::Borrowed(cell)));
        let number = || {
            cell.trim().parse::<f64>().map(Some).map_err(|_| Rejection {
                reason: Reason::WrongType,
                detail: format!("`{h}` must be a number, not `{cell}`"),
            })
        };
        let flag = || match cell {
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            _ => Err(Rejection {
                reason: Reason::WrongType,
                detail: format!("`{h}` must be true or false, not `{cell}`"),
            }),
        };
        match h.as_str() {
            "type" => r.kind = text(),
            "session" => r.session = text(),
            "code" => r.code = text(),
            "time" => {
                r.time = Some(match cell.parse::<i64>() {
                    Ok(ms) => RawTime::Millis(ms),
                    Err(_) => RawTime::Text(Cow::Borrowed(cell)),
                })
            }
            "startup_ms" => r.startup_ms = number()?,
            "play_s" => r.play_s = number()?,
            "rebuffer_s" => r.rebuffer_s = number()?,
            "bitrate_kbps" => r.bitrate_kbps = number()?,
            "fatal" => r.fatal = flag()?,
            "before_start" => r.before_start = flag()?,
            name if dims.iter().any(|d| d == name) => {
                if let Some(d) = r.dims.as_mut() {
                    d.0.push((Cow::Borrowed(name), Cow::Borrowed(cell)));
                }
            }
            _ => {}
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_json_is_borrowed_and_escaped_json_still_reads() {
        let r = parse_json(r#"{"type":"attempt","time":5,"session":"s\u0031","dims":{"cdn":"B"}}"#).unwrap();
        assert!(matches!(r.kind, Some(Text(Cow::Borrowed("attempt")))));
        assert_eq!(r.session.unwrap().0, "s1");
        assert_eq!(r.time, Some(RawTime::Millis(5)));
        assert_eq!(r.dims.unwrap().0, vec![(Cow::Borrowed("cdn"), Cow::Borrowed("B"))]);
    }

    #[test]
    fn wrong_types_are_named() {
        let cases = [
            (r#"{"type":"heartbeat","play_s":"ten"}"#, "`play_s` must be a number"),
            (r#"{"type":3}"#, "`type` must be a string"),
            (r#"{"type":"end","before_start":"yes"}"#, "`before_start` must be true or false"),
            (r#"{"dims":{"cdn":7}}"#, "`dims.cdn` must be a string"),
            (r#"{"dims":[1]}"#, "`dims` must be an object"),
            (r#"{"time":[1]}"#, "`time` must be RFC 3339 text or epoch milliseconds"),
        ];
        for (line, want) in cases {
            let r = parse_json(line).unwrap_err();
            assert_eq!((r.reason, r.detail.as_str()), (Reason::WrongType, want), "{line}");
        }
        assert_eq!(parse_json("{oops").unwrap_err().reason, Reason::Malformed);
        assert_eq!(parse_json("[1,2]").unwrap_err().detail, "a record must be a JSON object");
    }
}
