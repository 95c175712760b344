//! Ground-truth labels: `injection_info.csv` (Squeeze layout: `timestamp`
//! names the instance file, `set` lists its elements) and `anomaly.yaml`
//! (RS layout: file, anomaly minute, cause elements).

use std::path::Path;

use super::csv_table::CsvTable;
use crate::element::canonical_label;
use crate::error::LocalizeError;

/// One labelled instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled {
    /// Instance file stem (without `.csv`).
    pub name: String,
    /// The anomaly minute, for time-series instances.
    pub minute: Option<i64>,
    /// Canonical labels of the root-cause elements.
    pub elements: Vec<String>,
}

/// Reads `injection_info.csv`.
pub fn read_injection_info(path: &Path) -> Result<Vec<Labelled>, LocalizeError> {
    let table = CsvTable::open(path)?;
    let name_col = table.column("timestamp")?;
    let set_col = table.column("set")?;
    let mut out = Vec::new();
    table.for_each(|rec| {
        let name = rec.get(name_col).unwrap_or("").trim().to_string();
        let set = rec.get(set_col).unwrap_or("");
        let elements = parse_set(set)?;
        out.push(Labelled { name, minute: None, elements });
        Ok(())
    })?;
    Ok(out)
}

/// Splits a label string `a=1&b=2;c=3` into canonical elements.
pub fn parse_set(set: &str) -> Result<Vec<String>, String> {
    set.split(';')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| canonical_label(e).ok_or_else(|| format!("label element `{e}` has a pair without `=`")))
        .collect()
}

/// Reads `anomaly.yaml`: a list of entries
/// `- data: NAME` / `timestamp: N` / `cause: {'k': v, ...}` or a list of such
/// maps. Only this flat shape is accepted (a full YAML parser is not needed
/// for it); anything else is an error naming the line.
pub fn read_anomaly_yaml(path: &Path) -> Result<Vec<Labelled>, LocalizeError> {
    let text = std::fs::read_to_string(path).map_err(|e| LocalizeError::io(path, e))?;
    let mut out: Vec<Labelled> = Vec::new();
    let err = |line: usize, m: String| LocalizeError::format(path, format!("line {}: {m}", line + 1));
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split(" #").next().unwrap_or("").trim_end();
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let (starts_entry, body) = match line.trim_start().strip_prefix("- ") {
            Some(rest) => (true, rest.trim()),
            None => (false, line.trim()),
        };
        let (key, value) =
            body.split_once(':').ok_or_else(|| err(n, format!("expected `key: value`, got `{body}`")))?;
        let value = value.trim();
        if starts_entry {
            out.push(Labelled { name: String::new(), minute: None, elements: Vec::new() });
        }
        let entry = out.last_mut().ok_or_else(|| err(n, "a key before the first `- ` entry".into()))?;
        match key.trim() {
            "data" => entry.name = unquote(value).to_string(),
            "timestamp" => {
                entry.minute =
                    Some(value.parse().map_err(|_| err(n, format!("timestamp `{value}` is not whole seconds")))?)
            }
            "cause" => entry.elements = parse_cause(value).map_err(|m| err(n, m))?,
            other => return Err(err(n, format!("unknown key `{other}`"))),
        }
    }
    if let Some(bad) = out.iter().find(|e| e.name.is_empty() || e.minute.is_none() || e.elements.is_empty()) {
        return Err(LocalizeError::format(path, format!("entry `{}` lacks one of data, timestamp, cause", bad.name)));
    }
    Ok(out)
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    for q in ['\'', '"'] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    s
}

/// `{'k': v, ...}` or `[{...}, {...}]` → canonical elements, values as written.
fn parse_cause(value: &str) -> Result<Vec<String>, String> {
    let inner = match value.strip_prefix('[') {
        Some(rest) => rest.strip_suffix(']').ok_or("unclosed `[`")?,
        None => value,
    };
    let mut elements = Vec::new();
    for map in inner.split('}') {
        let map = map.trim().trim_start_matches(',').trim();
        if map.is_empty() {
            continue;
        }
        let body = map.strip_prefix('{').ok_or_else(|| format!("expected a `{{...}}` map, got `{map}`"))?;
        let mut pairs = Vec::new();
        for pair in body.split(',').filter(|p| !p.trim().is_empty()) {
            let (k, v) = pair.split_once(':').ok_or_else(|| format!("`{pair}` is not `key: value`"))?;
            pairs.push(format!("{}={}", unquote(k), unquote(v)));
        }
        elements.push(canonical_label(&pairs.join("&")).ok_or("empty cause")?);
    }
    Ok(elements)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anomaly_yaml_entries_become_canonical_labels() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("anomaly.yaml");
        std::fs::write(
            &path,
            "- data: case1_0821\n  timestamp: 1566397800\n  cause: {'bitrate':2000,'p2p':1}\n\
             - data: 20200530 120238 1067459140   # a comment\n  timestamp: 1590810840\n  \
             cause: [{'cdn':5, 'p2p':0, 'bitrate':500}, {'isp':'移动'}]\n",
        )
        .unwrap();
        let got = read_anomaly_yaml(&path).unwrap();
        assert_eq!(got[0].name, "case1_0821");
        assert_eq!(got[0].minute, Some(1566397800));
        assert_eq!(got[0].elements, vec!["bitrate=2000&p2p=1"]);
        assert_eq!(got[1].name, "20200530 120238 1067459140");
        assert_eq!(got[1].elements, vec!["bitrate=500&cdn=5&p2p=0", "isp=移动"]);
    }

    #[test]
    fn malformed_yaml_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("anomaly.yaml");
        std::fs::write(&path, "- data: x\n  timestamp: soon\n").unwrap();
        let e = read_anomaly_yaml(&path).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("soon"), "{e}");
    }
}
