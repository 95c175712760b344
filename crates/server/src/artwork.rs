//! Artwork checks behind the API: the models (loaded on the first upload,
//! so a server that never sees artwork never pays for them), the
//! configuration, and the review store of uploads and disputes.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Serialize};
use showrunner_artwork::review::ReviewStore;
use showrunner_artwork::{ArtworkConfig, ArtworkError, Checker, Models};

/// The `[artwork]` settings of `showrunner.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ArtworkSettings {
    /// Directory with the PP-OCR and NudeNet ONNX files (default:
    /// `SHOWRUNNER_MODELS`, else `.cache/models`).
    pub models: Option<PathBuf>,
    /// The checks' thresholds and device profiles (TOML, as written by
    /// `showrunner artwork config` or `artwork tune`); shipped defaults otherwise.
    pub config: Option<PathBuf>,
}

/// What the artwork endpoints share.
pub struct ArtworkService {
    models_dir: PathBuf,
    config: ArtworkConfig,
    checker: OnceLock<Result<Arc<Checker>, String>>,
    /// Uploads, their reports and the dispute queue.
    pub store: Mutex<ReviewStore>,
}

impl ArtworkService {
    /// Reads the configuration and opens the review store in `data_dir`;
    /// the models wait for the first upload.
    pub fn open(settings: &ArtworkSettings, data_dir: &Path) -> Result<ArtworkService, ArtworkError> {
        let config = match &settings.config {
            Some(path) => ArtworkConfig::load(path)?,
            None => ArtworkConfig::default(),
        };
        Ok(ArtworkService {
            models_dir: settings.models.clone().unwrap_or_else(showrunner_vision::default_models_dir),
            config,
            checker: OnceLock::new(),
            store: Mutex::new(ReviewStore::open(data_dir)?),
        })
    }

    /// The checks' configuration.
    pub fn config(&self) -> &ArtworkConfig {
        &self.config
    }

    /// The checker, loading the models the first time; blocking.
    pub fn checker(&self) -> Result<Arc<Checker>, String> {
        self.checker
            .get_or_init(|| {
                Models::load(&self.models_dir)
                    .map(|models| Arc::new(Checker::new(models, self.config.clone())))
                    .map_err(|e| format!("artwork models unavailable ({e}); run scripts/fetch-models.sh"))
            })
            .clone()
    }
}
