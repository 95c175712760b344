//! The telemetry store: every leaf's per-minute aggregates as Parquet,
//! partitioned by hour under `<data dir>/telemetry/hour=YYYY-MM-DDTHH/`,
//! and read-only SQL over them through DataFusion.
//!
//! One table, `leaves`: a row per leaf and minute with any activity —
//! `minute` (UTC), one text column per dimension, the additive sums
//! (`attempts`, `plays`, `start_failures`, `exits_before_start`, `errors`,
//! `play_s`, `rebuffer_s`, `bitrate_kbit`), `startup_ms_sum` (plays × their
//! start-up time, from the histogram's bucket centres), `startup_hist` (the
//! start-up histogram itself) and the partition column `hour`. Ratios are
//! computed from sums in the query (`sum(rebuffer_s) / sum(play_s +
//! rebuffer_s)`), never averaged.
//!
//! The same files are readable by any Parquet engine (DuckDB, Trino,
//! Athena) with the same hive partitioning.

pub mod events;
pub mod query;
pub mod schema;
pub mod writer;

pub use events::replay_parquet;
pub use query::{query, QueryResult};
pub use writer::LeafWriter;

use std::path::{Path, PathBuf};

/// Where the store lives inside a data directory.
pub fn root(data_dir: &Path) -> PathBuf {
    data_dir.join("telemetry")
}

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Writing or reading a file failed.
    #[error("telemetry store {path}: {message}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// Nothing is stored yet.
    #[error("no telemetry stored in {0} yet (`showrunner telemetry replay FILE --data-dir DIR` or `showrunner serve` write it)")]
    Empty(PathBuf),
    /// The SQL was refused or failed.
    #[error("query: {0}")]
    Query(String),
}
