//! Image models run in-process with `tract`: PP-OCR text detection and
//! recognition (from the `rapidocr-onnxruntime` wheel) and NudeNet 320n
//! (from the `nudenet` wheel).
//!
//! The model files are extracted from those wheels by `scripts/install-deps.sh`
//! into a models directory (`models/` by default); nothing is downloaded at
//! run time. Each model compiles one optimised plan per input shape and keeps
//! it, so a batch of same-sized images pays the compilation once.

mod error;
mod geometry;
mod nudenet;
pub mod ocr;
mod onnx;

pub use error::VisionError;
pub use geometry::Rect;
pub use nudenet::{Detection, NudeNet, NUDENET_LABELS};
pub use ocr::{Ocr, TextLine};

use std::path::{Path, PathBuf};

/// Where the model files are looked for when nothing else is configured:
/// `SHOWRUNNER_MODELS`, else `.cache/models` in the working directory (where `scripts/fetch-models.sh` puts them).
pub fn default_models_dir() -> PathBuf {
    std::env::var_os("SHOWRUNNER_MODELS").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(".cache/models"))
}

/// The file names expected in the models directory.
pub const OCR_DETECTION_FILE: &str = "ch_PP-OCRv4_det_infer.onnx";
/// PP-OCRv4 recognition; its character set is in the model's metadata.
pub const OCR_RECOGNITION_FILE: &str = "ch_PP-OCRv4_rec_infer.onnx";
/// NudeNet 320n (YOLOv8n, 18 classes).
pub const NUDENET_FILE: &str = "320n.onnx";

/// Resolves `name` in `dir`, or says which file is missing and how to get it.
fn model_path(dir: &Path, name: &str) -> Result<PathBuf, VisionError> {
    let path = dir.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(VisionError::Missing { path })
    }
}
