//! The detectors, one module each.

pub mod black;
pub mod block_corruption;
pub mod clipping;
pub mod desync;
pub mod freeze;
pub mod loudness;
pub mod silence;
