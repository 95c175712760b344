//! What an alarm pipeline has learned, saved so that a restart does not
//! relearn for a week: every series' forecaster and recent values, keyed
//! by element label and metric (so a restarted pipeline whose leaves
//! arrive in another order, or later, still finds its own), and the effect
//! learned for each calendar event kind.
//!
//! The format is this crate's own little-endian layout behind a magic and
//! version; a file that does not read whole is refused, never half used.

use std::collections::HashMap;

use crate::bytes::{Reader, Writer};
use crate::explain::QoeMetric;

const MAGIC: &[u8; 8] = b"SRSNAP01";

/// A decoded snapshot.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Minutes the saved pipeline had stepped.
    pub minutes: u32,
    /// Learned effect per event kind, per metric.
    pub effects: Vec<(String, [Option<f64>; QoeMetric::ALL.len()])>,
    /// Each series' encoded state, by (element label, metric index).
    pub series: HashMap<(String, u8), Vec<u8>>,
}

/// Encodes a snapshot.
pub fn encode(
    minutes: u32,
    effects: &[(String, [Option<f64>; QoeMetric::ALL.len()])],
    series: &[(String, u8, Vec<u8>)],
) -> Vec<u8> {
    let mut w = Writer::default();
    w.bytes.extend_from_slice(MAGIC);
    w.u32(minutes);
    w.u32(effects.len() as u32);
    for (kind, values) in effects {
        w.text(kind);
        values.iter().for_each(|v| w.f64(v.unwrap_or(f64::NAN)));
    }
    w.u32(series.len() as u32);
    for (label, metric, state) in series {
        w.text(label);
        w.u8(*metric);
        w.u32(state.len() as u32);
        w.bytes.extend_from_slice(state);
    }
    w.bytes
}

/// Decodes a snapshot; `None` when it is not one, or not whole.
pub fn decode(bytes: &[u8]) -> Option<Snapshot> {
    let body = bytes.strip_prefix(MAGIC.as_slice())?;
    let mut r = Reader::new(body);
    let minutes = r.u32()?;
    let mut effects = Vec::new();
    for _ in 0..r.u32()? {
        let kind = r.text()?;
        let mut values = [None; QoeMetric::ALL.len()];
        for v in &mut values {
            *v = Some(r.f64()?).filter(|x| !x.is_nan());
        }
        effects.push((kind, values));
    }
    let mut series = HashMap::new();
    for _ in 0..r.u32()? {
        let label = r.text()?;
        let metric = r.u8()?;
        if usize::from(metric) >= QoeMetric::ALL.len() {
            return None;
        }
        let n = r.u32()? as usize;
        let state = (0..n).map(|_| r.u8()).collect::<Option<Vec<u8>>>()?;
        series.insert((label, metric), state);
    }
    r.is_empty().then_some(Snapshot { minutes, effects, series })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_round_trip_and_damaged_ones_are_refused() {
        let mut effect = [None; QoeMetric::ALL.len()];
        effect[0] = Some(0.7);
        let bytes = encode(1234, &[("match".into(), effect)], &[("cdn=B".into(), 1, vec![1, 2, 3])]);
        let s = decode(&bytes).unwrap();
        assert_eq!(s.minutes, 1234);
        assert_eq!(s.effects, [("match".to_string(), effect)]);
        assert_eq!(s.series[&("cdn=B".to_string(), 1)], [1, 2, 3]);
        assert!(decode(&bytes[..bytes.len() - 1]).is_none());
        assert!(decode(b"SRSNAP99").is_none());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer).is_none());
    }
}
