//! Errors of the anomaly crate.

use showrunner_core::InputError;

/// What went wrong reading or scoring a benchmark, naming the input.
#[derive(Debug, thiserror::Error)]
pub enum AnomalyError {
    /// A file could not be read or written, or its content is malformed.
    #[error(transparent)]
    Input(#[from] InputError),
    /// Parameters that cannot work.
    #[error("invalid detector configuration: {0}")]
    Config(String),
}

impl AnomalyError {
    pub(crate) fn format(path: &std::path::Path, message: impl Into<String>) -> Self {
        InputError::format(path, message).into()
    }

    pub(crate) fn io(path: &std::path::Path, cause: std::io::Error) -> Self {
        InputError::io(path, cause).into()
    }
}
