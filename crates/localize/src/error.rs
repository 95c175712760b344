//! Errors of loading and localizing, each naming the input and what is wrong.

use std::path::PathBuf;

/// Why an instance could not be loaded or localized.
#[derive(Debug, thiserror::Error)]
pub enum LocalizeError {
    /// A file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// The file's content is not what the format requires.
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line or column where it is known.
        message: String,
    },
    /// The instance cannot be localized as given.
    #[error("{0}")]
    Instance(String),
}

impl LocalizeError {
    /// A format error in `path`.
    pub fn format(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        LocalizeError::Format { path: path.into(), message: message.into() }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        LocalizeError::Io { path: path.into(), source }
    }
}
