//! Building the effective configuration from `--config`, `SHOWRUNNER_*`
//! environment variables and `--set` flags, in that order of precedence
//! (later wins).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use showrunner_anomaly::pipeline::AlarmsConfig;
use showrunner_anomaly::DetectorConfig;
use showrunner_core::config;
use showrunner_localize::SearchConfig;
use showrunner_server::nats::NatsConfig;
use showrunner_server::notify::NotifyConfig;
use showrunner_server::ServerConfig;
use showrunner_telemetry::TelemetryConfig;
use showrunner_vqa::VqaConfig;

/// The configuration flags shared by every command that reads settings.
#[derive(Args, Debug, Clone, Default)]
pub struct ConfigArgs {
    /// Configuration file (TOML); every key is optional.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Override one setting, e.g. `--set video_freeze.min_duration_s=2`
    /// (the `vqa.` prefix is implied for detector names). Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

impl ConfigArgs {
    /// The `[vqa]` section with all overrides applied.
    pub fn vqa(&self) -> Result<VqaConfig> {
        self.section("vqa", "detector")
    }

    /// The `[localize]` section with all overrides applied.
    pub fn localize(&self) -> Result<SearchConfig> {
        self.section("localize", "localization")
    }

    /// The `[anomaly]` section (the streaming detector) with all overrides
    /// applied.
    pub fn anomaly(&self) -> Result<DetectorConfig> {
        let detector: DetectorConfig = self.section("anomaly", "anomaly detector")?;
        detector.validate()?;
        Ok(detector)
    }

    /// The `[telemetry]` section with all overrides applied.
    pub fn telemetry(&self) -> Result<TelemetryConfig> {
        let telemetry: TelemetryConfig = self.section("telemetry", "telemetry")?;
        telemetry.validate().map_err(anyhow::Error::msg)?;
        Ok(telemetry)
    }

    /// The `[alarms]` section (the QoE alarm pipeline) with all overrides
    /// applied.
    pub fn alarms(&self) -> Result<AlarmsConfig> {
        let alarms: AlarmsConfig = self.section("alarms", "alarm")?;
        alarms.validate().map_err(anyhow::Error::msg)?;
        Ok(alarms)
    }

    /// The `[server]` section with all overrides applied.
    pub fn server(&self) -> Result<ServerConfig> {
        self.section("server", "server")
    }

    /// The `[notify]` section (webhooks) with all overrides applied.
    pub fn notify(&self) -> Result<NotifyConfig> {
        let notify: NotifyConfig = self.section("notify", "notification")?;
        notify.validate().map_err(anyhow::Error::msg)?;
        Ok(notify)
    }

    /// The `[streams]` section (live streams) with all overrides applied.
    pub fn streams(&self) -> Result<showrunner_live::StreamsConfig> {
        let streams: showrunner_live::StreamsConfig = self.section("streams", "stream")?;
        streams.validate().map_err(anyhow::Error::msg)?;
        Ok(streams)
    }

    /// The `[artwork]` section with all overrides applied.
    pub fn artwork(&self) -> Result<showrunner_server::artwork::ArtworkSettings> {
        self.section("artwork", "artwork")
    }

    /// The `[nats]` section with all overrides applied.
    pub fn nats(&self) -> Result<NatsConfig> {
        self.section("nats", "NATS")
    }

    /// Section `name` of the merged configuration; errors say they are
    /// about the `what` settings.
    fn section<T: serde::de::DeserializeOwned + Default>(&self, name: &str, what: &str) -> Result<T> {
        let (table, origin) = self.table()?;
        config::section(&table, name, &origin).with_context(|| format!("invalid {what} settings"))
    }

    /// The merged configuration table and where it came from.
    fn table(&self) -> Result<(toml::Table, String)> {
        let mut table = config::read_table(self.config.as_deref())?;
        config::apply_env_overrides(&mut table, std::env::vars())?;
        for assignment in &self.set {
            config::apply_override(&mut table, &qualify(assignment))?;
        }
        let origin = self.config.as_ref().map_or("configuration".to_string(), |p| p.display().to_string());
        Ok((table, origin))
    }
}

/// `video_freeze.x=1` → `vqa.video_freeze.x=1`; keys already naming a
/// section are left alone.
fn qualify(assignment: &str) -> String {
    let first = assignment.split(['.', '=']).next().unwrap_or("");
    if first.parse::<showrunner_core::DefectType>().is_ok() {
        format!("vqa.{assignment}")
    } else {
        assignment.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detector_names_get_the_vqa_prefix() {
        assert_eq!(qualify("black.min_duration_s=1"), "vqa.black.min_duration_s=1");
        assert_eq!(qualify("vqa.black.min_duration_s=1"), "vqa.black.min_duration_s=1");
    }

    #[test]
    fn set_overrides_and_rejects_unknown_keys() {
        let args = ConfigArgs { config: None, set: vec!["video_freeze.min_duration_s=2.5".into()] };
        assert_eq!(args.vqa().unwrap().video_freeze.min_duration_s, 2.5);
        let bad = ConfigArgs { config: None, set: vec!["video_freeze.min_duration=2.5".into()] };
        let err = format!("{:#}", bad.vqa().unwrap_err());
        assert!(err.contains("min_duration"), "{err}");
    }
}
