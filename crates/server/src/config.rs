//! The `[server]` settings of `showrunner.toml`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// How `serve` listens and where it keeps its state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on (default `127.0.0.1:8080`: this machine only).
    pub listen: String,
    /// Data directory: the alarm store `showrunner.db` (default `data`).
    pub data_dir: PathBuf,
    /// Bearer token required by every state-changing endpoint (default:
    /// `SHOWRUNNER_TOKEN`, else one is generated and printed at start).
    pub token: Option<String>,
    /// Largest request body accepted, after decompression (default 16 MiB).
    pub max_body_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("data"),
            token: None,
            max_body_bytes: 16 << 20,
        }
    }
}
