//! Which dimensions telemetry carries, and how many distinct values each
//! may take before new values are refused.
//!
//! The cap keeps one misbehaving player (a title id with a timestamp in
//! it, a free-text device name) from multiplying the series the cube
//! monitors without bound.

use serde::{Deserialize, Serialize};

/// One dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    /// Name, as it appears under `dims` in events.
    pub name: String,
    /// Most distinct values accepted.
    pub cap: usize,
}

/// The dimensions of telemetry, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    /// Dimensions every event must carry.
    pub dimensions: Vec<Dimension>,
}

impl Default for Schema {
    /// device, os, app_version, country, isp, cdn, delivery (live/vod) and
    /// title, with caps sized for a large service.
    fn default() -> Self {
        let dims = [
            ("device", 50),
            ("os", 100),
            ("app_version", 200),
            ("country", 250),
            ("isp", 500),
            ("cdn", 20),
            ("delivery", 4),
            ("title", 10_000),
        ];
        Schema { dimensions: dims.iter().map(|&(name, cap)| Dimension { name: name.to_string(), cap }).collect() }
    }
}

impl Schema {
    /// Checks that the schema can work.
    pub fn validate(&self) -> Result<(), String> {
        if self.dimensions.is_empty() {
            return Err("the telemetry schema has no dimensions".into());
        }
        for (i, d) in self.dimensions.iter().enumerate() {
            if d.name.is_empty() || d.cap == 0 {
                return Err(format!("dimension {} needs a name and a cap of at least 1", i + 1));
            }
            if self.dimensions[..i].iter().any(|o| o.name == d.name) {
                return Err(format!("dimension `{}` appears twice", d.name));
            }
        }
        Ok(())
    }
}

/// The `[telemetry]` settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// Aggregation interval in seconds.
    pub interval_s: u32,
    /// Events further than this from the ingest clock are refused.
    pub max_skew_s: u32,
    /// The dimensions events carry.
    pub dimensions: Vec<Dimension>,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        TelemetryConfig { interval_s: 60, max_skew_s: 86_400, dimensions: Schema::default().dimensions }
    }
}

impl TelemetryConfig {
    /// Checks that the settings can work.
    pub fn validate(&self) -> Result<(), String> {
        if self.interval_s == 0 || self.max_skew_s == 0 {
            return Err("telemetry.interval_s and telemetry.max_skew_s must be at least 1".into());
        }
        self.schema().validate()
    }

    /// The schema these settings describe.
    pub fn schema(&self) -> Schema {
        Schema { dimensions: self.dimensions.clone() }
    }
}
