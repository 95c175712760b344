//! PP-OCRv4 text recognition (an SVTR network with a CTC head): a line of
//! text scaled to 48 pixels high is read into one character per step.

use std::path::Path;

use image::{imageops, RgbImage};

use super::BGR;
use crate::onnx::OnnxModel;
use crate::{Rect, VisionError};

const HEIGHT: u32 = 48;
/// Widths are padded up to a multiple of this so that a handful of compiled
/// plans serve every line length.
const WIDTH_STEP: u32 = 160;
/// The narrowest input the network is given (PP-OCR's default).
const MIN_WIDTH: u32 = 320;
/// Lines longer than this many heights are squeezed to fit.
const MAX_RATIO: u32 = 40;

/// The recognition network and its character set.
pub struct TextRecognizer {
    model: OnnxModel,
    /// Index 0 is CTC's blank; 1..=n the model's characters; then a space.
    characters: Vec<String>,
}

impl TextRecognizer {
    /// Loads the recognition model; its characters come from the model's
    /// `character` metadata, one per line.
    pub fn load(path: &Path) -> Result<TextRecognizer, VisionError> {
        let (model, proto) = OnnxModel::load("text recognition", path)?;
        let listed = proto.metadata_props.iter().find(|p| p.key == "character").ok_or_else(|| VisionError::Load {
            path: path.to_owned(),
            reason: "no `character` metadata: not a PP-OCR recognition model with its dictionary".into(),
        })?;
        let mut characters = vec![String::new()];
        characters.extend(listed.value.lines().map(str::to_owned));
        characters.push(" ".into());
        Ok(TextRecognizer { model, characters })
    }

    /// Reads the text inside `rect` of `image`: the string and the mean
    /// confidence of its characters.
    pub fn recognize(&self, image: &RgbImage, rect: &Rect) -> Result<(String, f32), VisionError> {
        let (x, y) = (rect.x.max(0.0) as u32, rect.y.max(0.0) as u32);
        let w = (rect.w.round() as u32).min(image.width().saturating_sub(x));
        let h = (rect.h.round() as u32).min(image.height().saturating_sub(y));
        if w < 2 || h < 2 {
            return Ok((String::new(), 0.0));
        }
        let crop = imageops::crop_imm(image, x, y, w, h).to_image();
        let scaled_w = ((HEIGHT as f32 * w as f32 / h as f32).ceil() as u32).clamp(1, HEIGHT * MAX_RATIO);
        let net_w = scaled_w.div_ceil(WIDTH_STEP).max(1) * WIDTH_STEP;
        let net_w = net_w.max(MIN_WIDTH);
        let line = imageops::resize(&crop, scaled_w, HEIGHT, imageops::FilterType::Triangle);
        let (nw, nh) = (net_w as usize, HEIGHT as usize);
        let mut data = vec![0f32; 3 * nw * nh];
        for (px, py, pixel) in line.enumerate_pixels() {
            for (plane, channel) in BGR.into_iter().enumerate() {
                data[plane * nw * nh + py as usize * nw + px as usize] = (pixel[channel] as f32 / 255.0 - 0.5) / 0.5;
            }
        }
        let (shape, probs) = self.model.run(&[1, 3, nh, nw], data)?;
        let (steps, classes) = (shape[1], shape[2]);
        Ok(ctc_greedy(&probs, steps, classes, &self.characters))
    }
}

/// Best path decoding: the likeliest class per step, repeats merged, blanks
/// dropped.
fn ctc_greedy(probs: &[f32], steps: usize, classes: usize, characters: &[String]) -> (String, f32) {
    let mut text = String::new();
    let (mut sum, mut count) = (0f32, 0usize);
    let mut previous = 0;
    for step in probs.chunks(classes).take(steps) {
        let (best, p) = step.iter().enumerate().fold((0, f32::MIN), |b, (i, &p)| if p > b.1 { (i, p) } else { b });
        if best != 0 && best != previous {
            if let Some(c) = characters.get(best) {
                text.push_str(c);
                sum += p;
                count += 1;
            }
        }
        previous = best;
    }
    (text.trim().to_owned(), if count > 0 { sum / count as f32 } else { 0.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctc_merges_repeats_and_drops_blanks() {
        let chars: Vec<String> = ["", "a", "b", " "].iter().map(|s| s.to_string()).collect();
        let one_hot = |i: usize| {
            let mut v = vec![0.0f32; 4];
            v[i] = 0.9;
            v
        };
        // a a blank a b b → "aab"
        let probs: Vec<f32> = [1, 1, 0, 1, 2, 2].iter().flat_map(|&i| one_hot(i)).collect();
        let (text, confidence) = ctc_greedy(&probs, 6, 4, &chars);
        assert_eq!(text, "aab");
        assert!((confidence - 0.9).abs() < 1e-6);
    }
}
