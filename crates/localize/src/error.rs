//! Errors of loading and localizing, each naming the input and what is wrong.

use std::path::PathBuf;

use showrunner_core::InputError;

/// Why an instance could not be loaded or localized.
#[derive(Debug, thiserror::Error)]
pub enum LocalizeError {
    /// A file could not be read, or its content is not what the format
    /// requires.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The instance cannot be localized as given.
    #[error("{0}")]
    Instance(String),
}

impl LocalizeError {
    /// A format error in `path`.
    pub fn format(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        InputError::format(path.into(), message).into()
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, cause: std::io::Error) -> Self {
        InputError::io(path.into(), cause).into()
    }
}
