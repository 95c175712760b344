//! The error every crate reports for an input file it cannot use: which
//! file, and either the operating system's reason or what is wrong with its
//! content.

use std::path::{Path, PathBuf};

/// A file that could not be read, or whose content is malformed.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file could not be opened, read or written.
    #[error("{path}: {cause}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating-system error (in the message, so not also a
        /// source, which would print it twice).
        cause: std::io::Error,
    },
    /// The file's content is not what the format requires.
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line or column where it is known.
        message: String,
    },
}

impl InputError {
    /// A format error in `path`.
    pub fn format(path: impl AsRef<Path>, message: impl Into<String>) -> Self {
        InputError::Format { path: path.as_ref().to_path_buf(), message: message.into() }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl AsRef<Path>, cause: std::io::Error) -> Self {
        InputError::Io { path: path.as_ref().to_path_buf(), cause }
    }
}
