//! PP-OCRv4 text detection (a DB network): a per-pixel text probability map,
//! thresholded into connected regions, each expanded ("unclipped") to cover
//! the whole glyphs the way the network was trained to shrink them.

use std::path::Path;

use image::{imageops, RgbImage};

use super::BGR;
use crate::onnx::OnnxModel;
use crate::{Rect, VisionError};

/// How text regions are found.
#[derive(Debug, Clone)]
pub struct DetectOptions {
    /// The longer side of the picture the network sees, in pixels (rounded to
    /// a multiple of 32). Larger finds smaller text and costs quadratically.
    pub max_side: u32,
    /// Probability above which a pixel is text.
    pub pixel_threshold: f32,
    /// Mean probability a region needs to count as text.
    pub box_threshold: f32,
    /// How far a region is grown, relative to its area over its perimeter.
    pub unclip_ratio: f32,
}

impl Default for DetectOptions {
    fn default() -> Self {
        DetectOptions { max_side: 960, pixel_threshold: 0.3, box_threshold: 0.5, unclip_ratio: 1.6 }
    }
}

/// The network was trained on pictures normalised with the ImageNet mean and
/// deviation. Per-plane mean of the training pictures (B, G, R), on a 0–1 scale.
const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
/// Per-plane standard deviation of the training pictures (B, G, R).
const STD: [f32; 3] = [0.229, 0.224, 0.225];

/// The detection network.
pub struct TextDetector {
    model: OnnxModel,
}

impl TextDetector {
    /// Loads the detection model file.
    pub fn load(path: &Path) -> Result<TextDetector, VisionError> {
        Ok(TextDetector { model: OnnxModel::load("text detection", path)?.0 })
    }

    /// Text regions in `image` (in its pixels) with their scores.
    pub fn detect(&self, image: &RgbImage, options: &DetectOptions) -> Result<Vec<(Rect, f32)>, VisionError> {
        let (width, height) = image.dimensions();
        let scale = (options.max_side as f32 / width.max(height) as f32).min(1.0);
        let round32 = |v: u32| ((v as f32 * scale / 32.0).round() as u32).max(1) * 32;
        let (net_w, net_h) = (round32(width), round32(height));
        let resized = imageops::resize(image, net_w, net_h, imageops::FilterType::Triangle);
        let (w, h) = (net_w as usize, net_h as usize);
        let (_, prob) = self.model.run(&[1, 3, h, w], input_planes(&resized))?;
        let (sx, sy) = (width as f32 / w as f32, height as f32 / h as f32);
        Ok(regions(&prob, w, h, options)
            .into_iter()
            .map(|(r, score)| {
                let rect = Rect { x: r.x * sx, y: r.y * sy, w: r.w * sx, h: r.h * sy };
                (rect.clip(width, height), score)
            })
            .collect())
    }
}

/// The network's input: one plane per channel in BGR order, each normalised
/// with the training pictures' mean and deviation.
fn input_planes(image: &RgbImage) -> Vec<f32> {
    let size = image.width() as usize * image.height() as usize;
    let mut data = vec![0f32; 3 * size];
    for (i, pixel) in image.pixels().enumerate() {
        for plane in 0..3 {
            let value = pixel[BGR[plane]] as f32 / 255.0;
            data[plane * size + i] = (value - MEAN[plane]) / STD[plane];
        }
    }
    data
}

/// Connected regions of `prob` above the pixel threshold (after a 2×2
/// dilation, as PP-OCR does), each as its unclipped bounding box and mean
/// probability.
fn regions(prob: &[f32], w: usize, h: usize, options: &DetectOptions) -> Vec<(Rect, f32)> {
    let mut mask = vec![false; w * h];
    for y in 0..h {
        for x in 0..w {
            let on = |xx: usize, yy: usize| prob[yy * w + xx] > options.pixel_threshold;
            mask[y * w + x] =
                on(x, y) || (x > 0 && on(x - 1, y)) || (y > 0 && on(x, y - 1)) || (x > 0 && y > 0 && on(x - 1, y - 1));
        }
    }
    let mut seen = vec![false; w * h];
    let mut found = Vec::new();
    let mut stack = Vec::new();
    for start in 0..w * h {
        if !mask[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
        let (mut sum, mut count) = (0f32, 0usize);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
            sum += prob[i];
            count += 1;
            let mut visit = |j: usize| {
                if mask[j] && !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < w {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - w);
            }
            if y + 1 < h {
                visit(i + w);
            }
        }
        let (bw, bh) = ((x1 - x0 + 1) as f32, (y1 - y0 + 1) as f32);
        let score = sum / count as f32;
        if bw.min(bh) < 3.0 || score < options.box_threshold {
            continue;
        }
        let grow = bw * bh * options.unclip_ratio / (2.0 * (bw + bh));
        found.push((
            Rect::from_edges(x0 as f32 - grow, y0 as f32 - grow, x0 as f32 + bw + grow, y0 as f32 + bh + grow),
            score,
        ));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planes_are_bgr_with_imagenet_normalisation() {
        let image = RgbImage::from_pixel(2, 1, image::Rgb([255, 0, 0]));
        let data = input_planes(&image);
        let expected = [(0.0 - 0.485) / 0.229, (0.0 - 0.456) / 0.224, (1.0 - 0.406) / 0.225];
        for (plane, value) in expected.iter().enumerate() {
            assert!((data[plane * 2] - value).abs() < 1e-5, "plane {plane}: {data:?}");
            assert!((data[plane * 2 + 1] - value).abs() < 1e-5, "plane {plane}: {data:?}");
        }
    }

    #[test]
    fn a_blob_of_text_probability_becomes_one_grown_box() {
        let (w, h) = (40, 20);
        let mut prob = vec![0f32; w * h];
        for y in 5..10 {
            for x in 10..30 {
                prob[y * w + x] = 0.9;
            }
        }
        prob[2 * w + 2] = 0.9; // a speck: too small to be text
        let found = regions(&prob, w, h, &DetectOptions::default());
        assert_eq!(found.len(), 1);
        let (rect, score) = found[0];
        // The mean over the dilated region: 100 pixels at 0.9 among 126.
        assert!((score - 0.9 * 100.0 / 126.0).abs() < 1e-4, "{score}");
        // 21×6 after dilation, grown by 21·6·1.6 / (2·27) ≈ 3.7 on each side.
        assert!((rect.x - (10.0 - 3.73)).abs() < 0.1, "{rect:?}");
        assert!((rect.w - (21.0 + 7.47)).abs() < 0.1, "{rect:?}");
    }
}
