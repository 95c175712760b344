//! Loading `showrunner.toml` and applying `--set key=value` overrides.
//!
//! Every key is optional: a component's config struct carries
//! `#[serde(default)]` and documents its defaults. Unknown keys are errors,
//! so a typo never silently leaves a default in force.

use serde::de::DeserializeOwned;
use std::path::Path;

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("config {path}: {source}")]
    Read {
        /// The file named by the user.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not match the schema.
    #[error("config {origin}: {message}")]
    Invalid {
        /// The file or override the problem came from.
        origin: String,
        /// What is wrong, with the offending key where TOML says.
        message: String,
    },
    /// A `--set` override is not of the form `section.key=value`.
    #[error("override `{0}`: expected KEY=VALUE, e.g. vqa.video_freeze.min_duration_s=2")]
    BadOverride(String),
}

/// Reads the TOML table in `path` (or an empty table when `path` is `None`).
pub fn read_table(path: Option<&Path>) -> Result<toml::Table, ConfigError> {
    let Some(path) = path else { return Ok(toml::Table::new()) };
    let text = std::fs::read_to_string(path)
        .map_err(|source| ConfigError::Read { path: path.display().to_string(), source })?;
    text.parse::<toml::Table>()
        .map_err(|e| ConfigError::Invalid { origin: path.display().to_string(), message: e.to_string() })
}

/// Applies one `a.b.c=value` override to `table`, creating tables on the way.
///
/// The value is parsed as a TOML value (`2`, `-23.5`, `true`, `"text"`,
/// `[1, 2]`); anything that does not parse is taken as a plain string.
pub fn apply_override(table: &mut toml::Table, assignment: &str) -> Result<(), ConfigError> {
    let (key, raw) = assignment.split_once('=').ok_or_else(|| ConfigError::BadOverride(assignment.to_string()))?;
    let parts: Vec<&str> = key.trim().split('.').map(str::trim).collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(ConfigError::BadOverride(assignment.to_string()));
    }
    let value = format!("v = {}", raw.trim())
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.trim().to_string()));
    let (last, path) = parts.split_last().ok_or_else(|| ConfigError::BadOverride(assignment.to_string()))?;
    let mut cursor = table;
    for part in path {
        let entry = cursor.entry(part.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        cursor = match entry {
            toml::Value::Table(t) => t,
            _ => return Err(ConfigError::BadOverride(assignment.to_string())),
        };
    }
    cursor.insert(last.to_string(), value);
    Ok(())
}

/// Applies `SHOWRUNNER_<SECTION>__<KEY>...=value` environment overrides:
/// `SHOWRUNNER_VQA__VIDEO_FREEZE__MIN_DURATION_S=2` sets
/// `vqa.video_freeze.min_duration_s = 2`. Variables without a `__` (such as
/// `SHOWRUNNER_TOKEN`) are not config keys and are left alone.
pub fn apply_env_overrides(
    table: &mut toml::Table,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    for (name, value) in vars {
        let Some(path) = name.strip_prefix("SHOWRUNNER_").filter(|p| p.contains("__")) else { continue };
        let key = path.split("__").map(str::to_lowercase).collect::<Vec<_>>().join(".");
        apply_override(table, &format!("{key}={value}"))?;
    }
    Ok(())
}

/// Deserialises a section of the table (e.g. `"vqa"`) into `T`, using `T`'s
/// defaults for everything missing.
pub fn section<T: DeserializeOwned + Default>(table: &toml::Table, name: &str, origin: &str) -> Result<T, ConfigError> {
    match table.get(name) {
        None => Ok(T::default()),
        Some(value) => value.clone().try_into().map_err(|e: toml::de::Error| ConfigError::Invalid {
            origin: origin.to_string(),
            message: format!("[{name}] {}", e.message()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default, deny_unknown_fields)]
    struct Inner {
        min_s: f64,
        on: bool,
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default, deny_unknown_fields)]
    struct Section {
        freeze: Inner,
    }

    #[test]
    fn override_creates_nested_keys_and_parses_values() {
        let mut t = toml::Table::new();
        apply_override(&mut t, "vqa.freeze.min_s=2.5").unwrap();
        apply_override(&mut t, "vqa.freeze.on = true").unwrap();
        let s: Section = section(&t, "vqa", "test").unwrap();
        assert_eq!(s, Section { freeze: Inner { min_s: 2.5, on: true } });
    }

    #[test]
    fn environment_overrides_use_double_underscores() {
        let mut t = toml::Table::new();
        let vars = [
            ("SHOWRUNNER_VQA__FREEZE__MIN_S".to_string(), "3".to_string()),
            ("SHOWRUNNER_TOKEN".to_string(), "secret".to_string()),
            ("PATH".to_string(), "/bin".to_string()),
        ];
        apply_env_overrides(&mut t, vars).unwrap();
        let s: Section = section(&t, "vqa", "env").unwrap();
        assert_eq!(s.freeze.min_s, 3.0);
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn malformed_override_is_rejected() {
        let mut t = toml::Table::new();
        assert!(matches!(apply_override(&mut t, "novalue"), Err(ConfigError::BadOverride(_))));
        assert!(matches!(apply_override(&mut t, "a..b=1"), Err(ConfigError::BadOverride(_))));
    }

    #[test]
    fn unknown_key_names_the_section() {
        let t: toml::Table = "[vqa.freeze]\nmin_secs = 1".parse().unwrap();
        let err = section::<Section>(&t, "vqa", "x.toml").unwrap_err().to_string();
        assert!(err.contains("x.toml") && err.contains("[vqa]") && err.contains("min_secs"), "{err}");
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = read_table(Some(Path::new("/nonexistent/showrunner.toml"))).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/showrunner.toml"), "{err}");
    }

    #[test]
    fn wrong_type_is_reported() {
        let t: toml::Table = "[vqa.freeze]\nmin_s = \"long\"".parse().unwrap();
        assert!(section::<Section>(&t, "vqa", "x.toml").is_err());
    }
}
