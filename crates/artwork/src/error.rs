//! What can go wrong checking artwork.

use std::path::PathBuf;

/// An error naming the input and what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum ArtworkError {
    /// The bytes are not an image this tool can decode, or are damaged.
    #[error("{name}: {reason}")]
    BadImage {
        /// The file name (or upload name).
        name: String,
        /// What is wrong: not an image, truncated, zero-sized, too large.
        reason: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The system's reason.
        source: std::io::Error,
    },
    /// A configuration, dataset or label file is wrong.
    #[error("{path}: {reason}")]
    Invalid {
        /// The file (or setting) at fault.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A stored check or dispute that does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A request that contradicts the stored state (a dispute already decided).
    #[error("{0}")]
    Conflict(String),
    /// A model could not be loaded or run.
    #[error(transparent)]
    Model(#[from] showrunner_vision::VisionError),
    /// The evaluation store failed.
    #[error("evaluation store: {0}")]
    Store(#[from] rusqlite::Error),
}

impl ArtworkError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> ArtworkError {
        ArtworkError::Io { path: path.into(), source }
    }

    /// A bad file or setting.
    pub fn invalid(path: impl std::fmt::Display, reason: impl Into<String>) -> ArtworkError {
        ArtworkError::Invalid { path: path.to_string(), reason: reason.into() }
    }
}
