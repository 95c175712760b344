//! NudeNet 320n: a YOLOv8n detector of 18 body-part classes (exposed and
//! covered) and of faces, run on the image padded to a square and scaled to
//! 320×320, as the `nudenet` package does.

use std::path::Path;

use image::{imageops, RgbImage};
use serde::{Deserialize, Serialize};

use crate::onnx::OnnxModel;
use crate::{model_path, Rect, VisionError, NUDENET_FILE};

/// The model's classes, in output order (from the `nudenet` package).
pub const NUDENET_LABELS: [&str; 18] = [
    "FEMALE_GENITALIA_COVERED",
    "FACE_FEMALE",
    "BUTTOCKS_EXPOSED",
    "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_BREAST_EXPOSED",
    "ANUS_EXPOSED",
    "FEET_EXPOSED",
    "BELLY_COVERED",
    "FEET_COVERED",
    "ARMPITS_COVERED",
    "ARMPITS_EXPOSED",
    "FACE_MALE",
    "BELLY_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "ANUS_COVERED",
    "FEMALE_BREAST_COVERED",
    "BUTTOCKS_COVERED",
];

const SIZE: usize = 320;
/// Candidates below this class score are not considered (the package's value).
const MIN_SCORE: f32 = 0.25;
/// Overlapping boxes of one class above this IoU are merged (the package's value).
const NMS_IOU: f32 = 0.45;

/// One detected region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// One of [`NUDENET_LABELS`].
    pub label: String,
    /// Class score, 0 to 1.
    pub score: f32,
    /// Where, in pixels of the image.
    pub rect: Rect,
}

/// The NudeNet model.
pub struct NudeNet {
    model: OnnxModel,
}

impl NudeNet {
    /// Loads `320n.onnx` from `dir`.
    pub fn load(dir: &Path) -> Result<NudeNet, VisionError> {
        Ok(NudeNet { model: OnnxModel::load("NudeNet", &model_path(dir, NUDENET_FILE)?)?.0 })
    }

    /// Everything detected in `image` with a score of at least 0.25, best first.
    pub fn detect(&self, image: &RgbImage) -> Result<Vec<Detection>, VisionError> {
        let (width, height) = image.dimensions();
        let side = width.max(height);
        let mut square = RgbImage::new(side, side);
        imageops::replace(&mut square, image, 0, 0);
        let input = imageops::resize(&square, SIZE as u32, SIZE as u32, imageops::FilterType::Triangle);
        let mut data = vec![0f32; 3 * SIZE * SIZE];
        for (i, pixel) in input.pixels().enumerate() {
            for c in 0..3 {
                data[c * SIZE * SIZE + i] = pixel[c] as f32 / 255.0;
            }
        }
        let (shape, out) = self.model.run(&[1, 3, SIZE, SIZE], data)?;
        let (rows, anchors) = (shape[1], shape[2]);
        let scale = side as f32 / SIZE as f32;
        let mut candidates = Vec::new();
        for a in 0..anchors {
            let at = |row: usize| out[row * anchors + a];
            let (class, score) =
                (4..rows).map(|r| (r - 4, at(r))).fold((0, f32::MIN), |b, c| if c.1 > b.1 { c } else { b });
            if score < MIN_SCORE || class >= NUDENET_LABELS.len() {
                continue;
            }
            let (cx, cy, w, h) = (at(0) * scale, at(1) * scale, at(2) * scale, at(3) * scale);
            let rect = Rect { x: cx - w / 2.0, y: cy - h / 2.0, w, h }.clip(width, height);
            candidates.push((class, score, rect));
        }
        candidates.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut kept: Vec<(usize, f32, Rect)> = Vec::new();
        for c in candidates {
            if !kept.iter().any(|k| k.0 == c.0 && k.2.iou(&c.2) > NMS_IOU) {
                kept.push(c);
            }
        }
        Ok(kept
            .into_iter()
            .map(|(class, score, rect)| Detection { label: NUDENET_LABELS[class].to_owned(), score, rect })
            .collect())
    }
}
