//! Live stream monitoring: many live streams in one process.
//!
//! Each stream of the registry ([`spec`], kept in SQLite by [`store`]) runs
//! its own pipeline ([`worker`]): a reconnecting FFmpeg input decoded
//! in-process, the stream's detectors fed in memory, and every defect
//! change timed in wall-clock UTC and media time, stored with a thumbnail
//! of where it began, and announced at once. [`monitor`] starts, restarts
//! and stops the pipelines as the registry changes, and serves what the
//! API shows.

pub mod config;
pub mod monitor;
mod shedding;
pub mod spec;
pub mod status;
pub mod store;
pub mod worker;

pub use config::StreamsConfig;
pub use monitor::{LiveError, Monitor, MonitorSettings, Shard, StreamView};
pub use spec::{InputPolicy, StreamPatch, StreamRequest, StreamSpec};
pub use status::{StreamState, StreamStatus};
pub use store::{DefectFilter, DefectRecord};
pub use worker::{DefectNotice, NoticeFn, PipelineSettings, INPUT_LOSS};
