//! Video-quality analysis: per-frame and per-block measurements, the
//! defect detectors behind one [`Detector`] trait, and the pipeline that
//! feeds an input through them.

pub mod analysis;
pub mod audio_blocks;
pub mod config;
pub mod corpus;
pub mod detector;
pub mod detectors;
pub mod eval;
pub mod features;
pub mod interval;
pub mod live;
pub mod pixels;
#[cfg(test)]
mod testing;

pub use analysis::{analyze, Analysis, AnalysisReport, InputStats};
pub use config::VqaConfig;
pub use detector::Detector;
pub use live::{DefectChange, LiveAnalysis};
