//! `pixelation`: the picture has the detail its resolution promises.
//!
//! Two measures on luma:
//! - **blockiness** — pixelation and heavy JPEG compression put the edges
//!   on a block grid: for each period from 4 to 16 pixels, the mean
//!   horizontal (and vertical) step at the grid phase with the most energy
//!   over the mean at the other phases. About 1 for a natural picture.
//! - **detail** — blur and upscaling remove the finest scale: where the
//!   picture has texture (2-pixel steps above a small floor), the mean
//!   1-pixel step over the mean 2-pixel step. A signal that is monotone
//!   over every 2 pixels (smooth, or a clean step) gives exactly 0.5;
//!   photographic detail and grain change direction within 2 pixels and
//!   push it above. Flat vector art with no texture at all reads as 0.5
//!   too, which this measure cannot tell from blur.
//!
//! Fails when blockiness exceeds `max_blockiness` or detail is below
//! `min_detail`. Score: blockiness.

use image::RgbImage;
use serde::{Deserialize, Serialize};

use super::{Check, Evidence, Verdict};
use crate::{ArtworkConfig, Scene};

/// Blockiness and fine detail of a picture.
pub struct Pixelation;

/// The two measures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PixelationMeasures {
    /// Edge energy on the strongest block grid over the rest.
    pub blockiness: f32,
    /// The block period of that grid, in pixels (0 when there is none).
    pub period: usize,
    /// Where that grid's blocks start (x, y), in pixels from the left and
    /// top edges, below `period`.
    pub offset: (usize, usize),
    /// 1-pixel over 2-pixel steps where there is texture.
    pub detail: f32,
}

/// Steps smaller than this (in 8-bit luma) are not texture.
const TEXTURE_FLOOR: i32 = 6;

impl Check for Pixelation {
    fn name(&self) -> &'static str {
        "pixelation"
    }

    fn run(&self, scene: &Scene, config: &ArtworkConfig) -> Verdict {
        let settings = &config.pixelation;
        let m = scene.pixelation;
        let evidence = vec![
            Evidence {
                message: format!(
                    "blockiness {:.2} on a {} px grid (at most {})",
                    m.blockiness, m.period, settings.max_blockiness
                ),
                region: None,
                value: Some(m.blockiness),
                failing: m.blockiness > settings.max_blockiness,
            },
            Evidence {
                message: format!("fine detail {:.3} (at least {})", m.detail, settings.min_detail),
                region: None,
                value: Some(m.detail),
                failing: m.detail < settings.min_detail,
            },
        ];
        Verdict::new(self.name(), m.blockiness, evidence)
    }
}

/// Measures `image`.
pub fn measure(image: &RgbImage) -> PixelationMeasures {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let luma: Vec<i32> =
        image.pixels().map(|p| (p[0] as i32 * 299 + p[1] as i32 * 587 + p[2] as i32 * 114) / 1000).collect();
    let (across, down) = (step_profile(&luma, w, h, true), step_profile(&luma, w, h, false));
    let (mut blockiness, mut period, mut offset) = (1f32, 0usize, (0, 0));
    for b in 4..=16 {
        let ((ratio_x, step_x), (ratio_y, step_y)) = (grid_ratio(&across, b), grid_ratio(&down, b));
        let score = (ratio_x * ratio_y).sqrt();
        if score > blockiness {
            // The strongest step lies between pixel `step` and `step + 1`.
            (blockiness, period, offset) = (score, b, ((step_x + 1) % b, (step_y + 1) % b));
        }
    }
    let (mut one, mut two) = (0i64, 0i64);
    for y in 0..h {
        let row = &luma[y * w..(y + 1) * w];
        for x in 0..w.saturating_sub(2) {
            let d2 = (row[x + 2] - row[x]).abs();
            if d2 > TEXTURE_FLOOR {
                one += ((row[x + 1] - row[x]).abs() + (row[x + 2] - row[x + 1]).abs()) as i64;
                two += 2 * d2 as i64;
            }
        }
    }
    let detail = if two > 0 { one as f32 / two as f32 } else { 1.0 };
    PixelationMeasures { blockiness: blockiness.min(50.0), period, offset, detail }
}

/// Mean absolute luma step between each column and the next
/// (`horizontal`), or each row and the next: one pass over the picture
/// that every grid period is then read from.
fn step_profile(luma: &[i32], w: usize, h: usize, horizontal: bool) -> Vec<f64> {
    if horizontal {
        let mut sums = vec![0i64; w.saturating_sub(1)];
        for row in luma.chunks_exact(w) {
            for (x, s) in sums.iter_mut().enumerate() {
                *s += (row[x + 1] - row[x]).abs() as i64;
            }
        }
        sums.iter().map(|&s| s as f64 / h as f64).collect()
    } else {
        luma.chunks_exact(w)
            .zip(luma.chunks_exact(w).skip(1))
            .map(|(a, b)| a.iter().zip(b).map(|(p, q)| (q - p).abs() as i64).sum::<i64>() as f64 / w as f64)
            .collect()
    }
}

/// Mean step at the strongest phase of period `b` over the mean step at
/// the other phases, from a step profile; and that phase.
fn grid_ratio(profile: &[f64], b: usize) -> (f32, usize) {
    let mut energy = vec![0f64; b];
    let mut count = vec![0u64; b];
    for (i, &step) in profile.iter().enumerate() {
        energy[i % b] += step;
        count[i % b] += 1;
    }
    let means: Vec<f64> = energy.iter().zip(&count).map(|(e, &n)| if n > 0 { e / n as f64 } else { 0.0 }).collect();
    let (best, peak) = means.iter().enumerate().fold((0, f64::MIN), |m, (i, &v)| if v > m.1 { (i, v) } else { m });
    let rest = means.iter().enumerate().filter(|(i, _)| *i != best).map(|(_, v)| v).sum::<f64>() / (b - 1) as f64;
    ((peak / rest.max(0.05)) as f32, best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{imageops, Rgb};
    use rand::{Rng, SeedableRng};

    fn textured(w: u32, h: u32) -> RgbImage {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        RgbImage::from_fn(w, h, |x, y| {
            let base = 128.0 + 60.0 * ((x as f32 / 7.0).sin() * (y as f32 / 11.0).cos());
            let v = (base + rng.gen_range(-25.0..25.0)).clamp(0.0, 255.0) as u8;
            Rgb([v, v, v])
        })
    }

    #[test]
    fn a_sharp_picture_has_no_grid_and_full_detail() {
        let m = measure(&textured(320, 240));
        assert!(m.blockiness < 1.3, "{m:?}");
        assert!(m.detail > 0.75, "{m:?}");
    }

    #[test]
    fn pixelation_shows_its_block_grid() {
        let small = imageops::resize(&textured(320, 240), 40, 30, imageops::FilterType::Triangle);
        let blocky = imageops::resize(&small, 320, 240, imageops::FilterType::Nearest);
        let m = measure(&blocky);
        assert!(m.blockiness > 10.0 && m.period.is_multiple_of(8), "{m:?}");
        assert_eq!(m.offset, (0, 0), "{m:?}");
        // Cropped by 3 columns and 5 rows, the grid starts at 8 − 3 and 8 − 5.
        let shifted = imageops::crop_imm(&blocky, 3, 5, 300, 200).to_image();
        let m = measure(&shifted);
        assert!(m.period.is_multiple_of(8) && m.offset.0 % 8 == 5 && m.offset.1 % 8 == 3, "{m:?}");
    }

    #[test]
    fn upscaling_and_blur_remove_detail() {
        let small = imageops::resize(&textured(320, 240), 80, 60, imageops::FilterType::Triangle);
        let upscaled = imageops::resize(&small, 320, 240, imageops::FilterType::Triangle);
        assert!(measure(&upscaled).detail < 0.6, "{:?}", measure(&upscaled));
        let blurred = imageops::blur(&textured(320, 240), 3.0);
        assert!(measure(&blurred).detail < 0.6, "{:?}", measure(&blurred));
    }
}
