//! What can go wrong loading or running a model.

use std::path::PathBuf;

/// An error from a model: missing file, unreadable model, failed inference.
#[derive(Debug, thiserror::Error)]
pub enum VisionError {
    /// The model file is not where it should be.
    #[error("model file {path} is missing (scripts/fetch-models.sh extracts it from its PyPI wheel; set SHOWRUNNER_MODELS to another directory)")]
    Missing {
        /// The path looked at.
        path: PathBuf,
    },
    /// The file is there but is not a model tract can run.
    #[error("cannot load model {path}: {reason}")]
    Load {
        /// The model file.
        path: PathBuf,
        /// tract's explanation.
        reason: String,
    },
    /// Running the model failed (a shape it cannot take, for instance).
    #[error("{model} inference failed: {reason}")]
    Inference {
        /// Which model.
        model: &'static str,
        /// tract's explanation.
        reason: String,
    },
}
