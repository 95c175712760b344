//! What a monitored stream is — name, input URL, detectors, tags,
//! per-stream thresholds — and the rules a stream must pass before it is
//! monitored.
//!
//! Input URLs are allow-listed by scheme: HLS over `http`/`https`, MPEG-TS
//! over `udp` (unicast or multicast) and `rtp`, `srt`, `rtmp`/`rtmps`.
//! Files (`file:` or a plain path) and devices (`/dev/…`) would let an API
//! caller make the server read its own disk, so they are refused unless
//! the configuration enables them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use showrunner_core::DefectType;
use showrunner_vqa::VqaConfig;

/// Schemes of network inputs, always allowed.
pub const NETWORK_SCHEMES: [&str; 7] = ["http", "https", "udp", "rtp", "srt", "rtmp", "rtmps"];

/// Longest URL, name, tag key or tag value accepted.
const MAX_URL: usize = 2048;
const MAX_NAME: usize = 100;
const MAX_TAGS: usize = 32;

/// Which inputs may be monitored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InputPolicy {
    /// Files and devices too (`[streams] allow_files`).
    pub allow_files: bool,
}

/// A stream as an API caller or the configuration describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamRequest {
    /// Human name; the stream's id is made from it.
    pub name: String,
    /// Input URL.
    pub url: String,
    /// Detectors to run (default: all).
    #[serde(default)]
    pub detectors: Option<Vec<DefectType>>,
    /// Free-form labels (`{"channel": "news", "region": "eu"}`).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Detector thresholds for this stream, over the server's `[vqa]`
    /// settings (`{"video_freeze": {"min_duration_s": 2}}`).
    #[serde(default)]
    pub thresholds: serde_json::Map<String, serde_json::Value>,
}

/// Changes to a stream; what is absent stays.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamPatch {
    /// New name (the id stays).
    pub name: Option<String>,
    /// New input URL.
    pub url: Option<String>,
    /// New detector list.
    pub detectors: Option<Vec<DefectType>>,
    /// New tags (replacing the old ones).
    pub tags: Option<BTreeMap<String, String>>,
    /// New thresholds (replacing the old ones).
    pub thresholds: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A validated stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamSpec {
    /// Stable id: the name as a slug (`News HD` → `news-hd`).
    pub id: String,
    /// Human name.
    pub name: String,
    /// Input URL.
    pub url: String,
    /// Detectors run on it.
    pub detectors: Vec<DefectType>,
    /// Free-form labels.
    pub tags: BTreeMap<String, String>,
    /// Threshold overrides over the server's `[vqa]` settings.
    pub thresholds: serde_json::Map<String, serde_json::Value>,
}

impl StreamSpec {
    /// Validates `request`; `base` is the server's detector settings the
    /// thresholds apply over. The error says what is wrong.
    pub fn new(request: StreamRequest, policy: InputPolicy, base: &VqaConfig) -> Result<StreamSpec, String> {
        let id = slug(&request.name);
        let spec = StreamSpec {
            id,
            name: request.name.trim().to_string(),
            url: request.url.trim().to_string(),
            detectors: request.detectors.unwrap_or_else(|| DefectType::ALL.to_vec()),
            tags: request.tags,
            thresholds: request.thresholds,
        };
        spec.validate(policy, base)?;
        Ok(spec)
    }

    /// The stream with `patch` applied, validated again.
    pub fn patched(&self, patch: StreamPatch, policy: InputPolicy, base: &VqaConfig) -> Result<StreamSpec, String> {
        let spec = StreamSpec {
            id: self.id.clone(),
            name: patch.name.map_or_else(|| self.name.clone(), |n| n.trim().to_string()),
            url: patch.url.map_or_else(|| self.url.clone(), |u| u.trim().to_string()),
            detectors: patch.detectors.unwrap_or_else(|| self.detectors.clone()),
            tags: patch.tags.unwrap_or_else(|| self.tags.clone()),
            thresholds: patch.thresholds.unwrap_or_else(|| self.thresholds.clone()),
        };
        spec.validate(policy, base)?;
        Ok(spec)
    }

    fn validate(&self, policy: InputPolicy, base: &VqaConfig) -> Result<(), String> {
        if self.name.is_empty() || self.name.chars().count() > MAX_NAME {
            return Err(format!("name: 1 to {MAX_NAME} characters"));
        }
        if self.id.is_empty() {
            return Err(format!("name `{}`: needs at least one letter or digit (the id is made from it)", self.name));
        }
        check_url(&self.url, policy)?;
        if self.detectors.is_empty() {
            return Err("detectors: at least one (or leave it out for all)".into());
        }
        if self.tags.len() > MAX_TAGS {
            return Err(format!("tags: at most {MAX_TAGS}"));
        }
        if let Some((k, _)) = self.tags.iter().find(|(k, v)| k.is_empty() || k.len() > MAX_NAME || v.len() > MAX_NAME) {
            return Err(format!("tags: `{k}`: keys of 1 to {MAX_NAME} characters, values of at most {MAX_NAME}"));
        }
        self.vqa(base).map(drop)
    }

    /// The detector settings for this stream: `base` with the stream's
    /// thresholds over it.
    pub fn vqa(&self, base: &VqaConfig) -> Result<VqaConfig, String> {
        if self.thresholds.is_empty() {
            return Ok(base.clone());
        }
        let mut merged = serde_json::to_value(base).map_err(|e| format!("thresholds: {e}"))?;
        merge(&mut merged, &serde_json::Value::Object(self.thresholds.clone()));
        serde_json::from_value(merged).map_err(|e| format!("thresholds: {e}"))
    }
}

/// Deep-merges `over` into `base` (objects key by key, anything else
/// replaced).
fn merge(base: &mut serde_json::Value, over: &serde_json::Value) {
    match (base, over) {
        (serde_json::Value::Object(b), serde_json::Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// `News HD 1` → `news-hd-1`: lower-case letters and digits, runs of
/// anything else as one dash.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(MAX_NAME).collect()
}

/// Checks an input URL against the allow-list (see the module docs).
pub fn check_url(url: &str, policy: InputPolicy) -> Result<(), String> {
    if url.is_empty() || url.len() > MAX_URL || url.chars().any(char::is_control) || url.contains(' ') {
        return Err(format!("url: 1 to {MAX_URL} characters without spaces"));
    }
    let local = match url.split_once("://") {
        Some((scheme, rest)) => {
            let scheme = scheme.to_ascii_lowercase();
            if NETWORK_SCHEMES.contains(&scheme.as_str()) {
                if rest.is_empty() {
                    return Err(format!("url `{url}`: no address after `{scheme}://`"));
                }
                return Ok(());
            }
            if scheme != "file" {
                return Err(format!(
                    "url `{url}`: scheme `{scheme}` is not allowed (allowed: {})",
                    NETWORK_SCHEMES.join(", ")
                ));
            }
            true
        }
        None => true,
    };
    if local && !policy.allow_files {
        return Err(format!(
            "url `{url}`: files and devices are not allowed (set [streams] allow_files = true to monitor them); \
             allowed schemes: {}",
            NETWORK_SCHEMES.join(", ")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(name: &str, url: &str) -> StreamRequest {
        StreamRequest {
            name: name.into(),
            url: url.into(),
            detectors: None,
            tags: BTreeMap::new(),
            thresholds: serde_json::Map::new(),
        }
    }

    #[test]
    fn network_urls_pass_files_only_when_allowed_and_other_schemes_never() {
        let strict = InputPolicy::default();
        for url in [
            "udp://@239.1.1.1:5000",
            "https://cdn.example.net/live/index.m3u8",
            "srt://10.0.0.1:9000",
            "rtmp://x/app/key",
        ] {
            assert!(check_url(url, strict).is_ok(), "{url}");
        }
        let err = check_url("/etc/passwd", strict).unwrap_err();
        assert!(err.contains("files and devices are not allowed"), "{err}");
        assert!(check_url("file:/srv/loop.ts", strict).is_err());
        assert!(check_url("/srv/loop.ts", InputPolicy { allow_files: true }).is_ok());
        let err = check_url("ftp://x/y.ts", InputPolicy { allow_files: true }).unwrap_err();
        assert!(err.contains("scheme `ftp` is not allowed"), "{err}");
        assert!(check_url("udp://", strict).unwrap_err().contains("no address"));
        assert!(check_url("udp://a b", strict).is_err());
    }

    #[test]
    fn a_stream_gets_a_slug_id_all_detectors_and_its_thresholds_checked() {
        let base = VqaConfig::default();
        let spec =
            StreamSpec::new(request("  News HD 1 ", "udp://127.0.0.1:5000"), InputPolicy::default(), &base).unwrap();
        assert_eq!((spec.id.as_str(), spec.name.as_str()), ("news-hd-1", "News HD 1"));
        assert_eq!(spec.detectors, DefectType::ALL.to_vec());

        let mut r = request("Sport", "udp://127.0.0.1:5001");
        r.thresholds = serde_json::from_str(r#"{"video_freeze": {"min_duration_s": 2.5}}"#).unwrap();
        let spec = StreamSpec::new(r.clone(), InputPolicy::default(), &base).unwrap();
        assert_eq!(spec.vqa(&base).unwrap().video_freeze.min_duration_s, 2.5);
        assert_eq!(spec.vqa(&base).unwrap().black, base.black, "the rest stays");

        r.thresholds = serde_json::from_str(r#"{"video_freeze": {"min_duration": 2.5}}"#).unwrap();
        let err = StreamSpec::new(r, InputPolicy::default(), &base).unwrap_err();
        assert!(err.starts_with("thresholds:") && err.contains("min_duration"), "{err}");
        let err = StreamSpec::new(request("!!!", "udp://x:1"), InputPolicy::default(), &base).unwrap_err();
        assert!(err.contains("at least one letter or digit"), "{err}");
    }

    #[test]
    fn a_patch_keeps_the_id_and_is_validated_again() {
        let base = VqaConfig::default();
        let spec = StreamSpec::new(request("News", "udp://127.0.0.1:5000"), InputPolicy::default(), &base).unwrap();
        let patch =
            StreamPatch { name: Some("News 2".into()), detectors: Some(vec![DefectType::Black]), ..Default::default() };
        let patched = spec.patched(patch, InputPolicy::default(), &base).unwrap();
        assert_eq!((patched.id.as_str(), patched.name.as_str()), ("news", "News 2"));
        assert_eq!(patched.detectors, vec![DefectType::Black]);
        let bad = StreamPatch { url: Some("/dev/video0".into()), ..Default::default() };
        assert!(spec.patched(bad, InputPolicy::default(), &base).is_err());
    }
}
