//! Text detection and recognition with PP-OCRv4: find the lines of text in
//! an image, then read each one.

mod detect;
mod recognize;

use std::path::Path;

use image::RgbImage;
use serde::{Deserialize, Serialize};

pub use detect::{DetectOptions, TextDetector};
pub use recognize::TextRecognizer;

use crate::{model_path, Rect, VisionError, OCR_DETECTION_FILE, OCR_RECOGNITION_FILE};

/// Both PP-OCR networks were trained on OpenCV's BGR pictures: input plane
/// `i` holds RGB channel `BGR[i]`.
const BGR: [usize; 3] = [2, 1, 0];

/// One line of text found in an image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextLine {
    /// Where it is, in pixels of the image.
    pub rect: Rect,
    /// The detector's confidence that this is text, 0 to 1.
    pub detection_score: f32,
    /// What it says (empty when nothing could be read).
    pub text: String,
    /// The recognizer's mean confidence over the characters read, 0 to 1.
    pub confidence: f32,
}

/// Detection followed by recognition.
pub struct Ocr {
    detector: TextDetector,
    recognizer: TextRecognizer,
}

impl Ocr {
    /// Loads both PP-OCRv4 models from `dir`.
    pub fn load(dir: &Path) -> Result<Ocr, VisionError> {
        Ok(Ocr {
            detector: TextDetector::load(&model_path(dir, OCR_DETECTION_FILE)?)?,
            recognizer: TextRecognizer::load(&model_path(dir, OCR_RECOGNITION_FILE)?)?,
        })
    }

    /// Every line of text in `image`, top to bottom, read.
    pub fn read(&self, image: &RgbImage, options: &DetectOptions) -> Result<Vec<TextLine>, VisionError> {
        let mut lines = Vec::new();
        for (rect, detection_score) in self.detector.detect(image, options)? {
            let (text, confidence) = self.recognizer.recognize(image, &rect)?;
            lines.push(TextLine { rect, detection_score, text, confidence });
        }
        lines.sort_by(|a, b| a.rect.y.total_cmp(&b.rect.y).then(a.rect.x.total_cmp(&b.rect.x)));
        Ok(lines)
    }
}
