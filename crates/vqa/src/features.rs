//! Per-frame picture measurements, computed once and shared by every
//! video detector (freeze, black, block corruption, A/V sync).
//!
//! All measurements work on the luma plane in place. They are written as
//! plain loops over rows of bytes that the compiler vectorises; the whole
//! extractor costs a small fraction of H.264 decoding (see BENCHMARKS.md).

use showrunner_media::{FrameErrors, Plane, VideoFrame};

use crate::pixels;

/// Side of the square blocks used for local motion (the H.264 macroblock).
pub const BLOCK: usize = 16;

/// Rows sampled for brightness and motion: one in `ROW_STEP`. Every pixel
/// of a sampled row is read, so a 16×16 block still contributes 64 samples
/// at a step of 4; a logo, a ticker or a moving face is at least that tall,
/// and the cost falls to a quarter (BENCHMARKS.md has the figures).
pub const ROW_STEP: usize = 4;

/// Blockiness is measured on every damaged frame and, for the clean
/// baseline, on one frame in `BLOCKINESS_EVERY`.
pub const BLOCKINESS_EVERY: u64 = 16;

/// What was measured on one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameFeatures {
    /// Presentation time, seconds.
    pub pts_s: f64,
    /// Nominal display duration, seconds.
    pub duration_s: f64,
    /// Mean luma, 0–255.
    pub mean_luma: f64,
    /// Fraction of pixels at or below the black pixel threshold.
    pub dark_fraction: f64,
    /// Whether the picture counts as black (see [`BlackCriteria`]).
    pub is_black: bool,
    /// Change from the previous frame, when there was one.
    pub motion: Option<Motion>,
    /// Fraction of macroblock-grid edge segments that look like block edges;
    /// measured on damaged frames and on a sample of clean ones.
    pub blockiness: Option<f64>,
    /// The decoder's damage report.
    pub errors: FrameErrors,
    /// Whether the frame was a key frame.
    pub key: bool,
}

/// Change between two consecutive frames, in luma levels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Motion {
    /// Mean absolute difference over the whole picture.
    pub mafd: f64,
    /// Largest mean absolute difference of any 16×16 block.
    pub max_block_mafd: f64,
    /// Signed change of the mean luma (fades move every pixel the same way).
    pub mean_delta: f64,
    /// Fraction of 16×16 blocks that changed by [`CHANGED_BLOCK_LEVELS`] or
    /// more: a cut changes most of the picture, a flash or a moving object
    /// only part of it.
    pub changed_fraction: f64,
}

impl Motion {
    /// Change not explained by a global brightness shift: fades and flashes
    /// have a large `mafd` but almost all of it is `mean_delta`.
    pub fn structural(&self) -> f64 {
        (self.mafd - self.mean_delta.abs()).max(0.0)
    }
}

/// When a picture counts as black (FFmpeg's blackdetect uses the same two
/// numbers, so results are comparable).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlackCriteria {
    /// A pixel is dark when its luma is within this fraction of the nominal
    /// range above black (0.10: level 38 on TV range, 25 on full range).
    pub pixel_threshold: f64,
    /// A picture is black when at least this fraction of pixels is dark.
    pub picture_threshold: f64,
}

/// Computes [`FrameFeatures`] for a sequence of frames.
pub struct FeatureExtractor {
    black: BlackCriteria,
    prev: Option<(VideoFrame, f64)>,
    block_sums: Vec<u32>,
    frames: u64,
}

impl FeatureExtractor {
    /// A new extractor using `black` to classify black pictures.
    pub fn new(black: BlackCriteria) -> Self {
        FeatureExtractor { black, prev: None, block_sums: Vec::new(), frames: 0 }
    }

    /// Measures `frame` (against the previous frame for motion) and keeps it
    /// as the new previous frame. The frame is moved, never copied.
    pub fn measure(&mut self, frame: VideoFrame) -> FrameFeatures {
        let luma = frame.luma();
        let (black_level, range) = if frame.full_range { (0.0, 255.0) } else { (16.0, 219.0) };
        let dark_level = (black_level + self.black.pixel_threshold * range).round().clamp(0.0, 255.0) as u8;
        let (sum, dark) = sum_and_dark(&luma, dark_level);
        let pixels = (luma.width * luma.height.div_ceil(ROW_STEP)).max(1) as f64;
        let mean_luma = sum as f64 / pixels;
        let dark_fraction = dark as f64 / pixels;
        let motion = match &self.prev {
            Some((prev, prev_mean)) if prev.width() == frame.width() && prev.height() == frame.height() => {
                let d = frame_difference(&luma, &prev.luma(), &mut self.block_sums);
                Some(Motion {
                    mafd: d.total as f64 / pixels,
                    max_block_mafd: d.max_block as f64 / (BLOCK * BLOCK / ROW_STEP) as f64,
                    changed_fraction: d.changed_blocks as f64 / d.blocks.max(1) as f64,
                    mean_delta: mean_luma - prev_mean,
                })
            }
            _ => None,
        };
        let features = FrameFeatures {
            pts_s: frame.pts_s,
            duration_s: frame.duration_s,
            mean_luma,
            dark_fraction,
            is_black: dark_fraction >= self.black.picture_threshold,
            motion,
            blockiness: (frame.errors.any() || self.frames.is_multiple_of(BLOCKINESS_EVERY)).then(|| blockiness(&luma)),
            errors: frame.errors,
            key: frame.key,
        };
        self.prev = Some((frame, mean_luma));
        self.frames += 1;
        features
    }
}

/// Sum of luma and count of pixels at or below `dark_level`, over one row
/// in [`ROW_STEP`].
pub fn sum_and_dark(plane: &Plane<'_>, dark_level: u8) -> (u64, u64) {
    (0..plane.height).step_by(ROW_STEP).fold((0, 0), |(sum, dark), y| {
        let (s, d) = pixels::sum_and_count_dark(plane.row(y), dark_level);
        (sum + s, dark + d)
    })
}

/// A block has changed when its mean absolute difference is at least this
/// many levels: well above coding noise and slow motion, below any real
/// change of content.
pub const CHANGED_BLOCK_LEVELS: u64 = 12;

/// What [`frame_difference`] measured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Difference {
    /// Total absolute difference over the sampled rows.
    pub total: u64,
    /// Largest total of any block, scaled to a full 16×16 block.
    pub max_block: u64,
    /// Blocks whose mean absolute difference reached [`CHANGED_BLOCK_LEVELS`].
    pub changed_blocks: u64,
    /// Blocks measured.
    pub blocks: u64,
}

/// Absolute difference between two planes of equal size over one row in
/// [`ROW_STEP`], in total and per 16-pixel-wide, 16-row-tall block (sampled
/// the same way; partial edge blocks are scaled up).
pub fn frame_difference(a: &Plane<'_>, b: &Plane<'_>, block_sums: &mut Vec<u32>) -> Difference {
    let cols = a.width.div_ceil(BLOCK);
    block_sums.clear();
    block_sums.resize(cols, 0);
    let mut d = Difference::default();
    let full_rows = (BLOCK / ROW_STEP) as u64;
    let changed = CHANGED_BLOCK_LEVELS * BLOCK as u64 * full_rows;
    for y in (0..a.height).step_by(ROW_STEP) {
        let (ra, rb) = (a.row(y), b.row(y));
        pixels::add_block_sad(ra, rb, block_sums);
        let block_rows = (y % BLOCK) / ROW_STEP + 1;
        if y % BLOCK + ROW_STEP >= BLOCK || y + ROW_STEP >= a.height {
            for (bx, s) in block_sums.iter_mut().enumerate() {
                let w = (a.width - bx * BLOCK).min(BLOCK);
                let scaled = u64::from(*s) * BLOCK as u64 * full_rows / (w * block_rows) as u64;
                d.max_block = d.max_block.max(scaled);
                d.changed_blocks += u64::from(scaled >= changed);
                d.blocks += 1;
                d.total += u64::from(*s);
                *s = 0;
            }
        }
    }
    d
}

/// Fraction of 16-pixel edge segments on the macroblock grid whose step
/// across the edge is much larger than the steps beside it.
///
/// Concealed or wrongly predicted macroblocks have hard edges exactly on
/// the 16-pixel grid; natural edges fall anywhere and H.264's deblocking
/// filter smooths the grid of clean pictures. A segment counts when its mean
/// step exceeds 3 levels and twice the mean of the neighbouring steps.
pub fn blockiness(plane: &Plane<'_>) -> f64 {
    const MIN_STEP: u32 = 3 * BLOCK as u32;
    let (w, h) = (plane.width, plane.height);
    if w < 3 * BLOCK || h < 3 * BLOCK {
        return 0.0;
    }
    let mut segments = 0u32;
    let mut blocky = 0u32;
    // Vertical edges (between columns x-1 and x), 16 rows per segment.
    for by in 0..h / BLOCK {
        for x in (BLOCK..w - 1).step_by(BLOCK) {
            let (mut edge, mut side) = (0u32, 0u32);
            for y in by * BLOCK..(by + 1) * BLOCK {
                let r = plane.row(y);
                edge += u32::from(r[x].abs_diff(r[x - 1]));
                side += u32::from(r[x - 1].abs_diff(r[x - 2])) + u32::from(r[x + 1].abs_diff(r[x]));
            }
            segments += 1;
            blocky += u32::from(edge > MIN_STEP && edge > side);
        }
    }
    // Horizontal edges (between rows y-1 and y), 16 columns per segment.
    for y in (BLOCK..h - 1).step_by(BLOCK) {
        let (r0, r1, r2, r3) = (plane.row(y - 2), plane.row(y - 1), plane.row(y), plane.row(y + 1));
        for bx in 0..w / BLOCK {
            let xs = bx * BLOCK..(bx + 1) * BLOCK;
            let edge: u32 = xs.clone().map(|x| u32::from(r2[x].abs_diff(r1[x]))).sum();
            let side: u32 = xs.map(|x| u32::from(r1[x].abs_diff(r0[x])) + u32::from(r3[x].abs_diff(r2[x]))).sum();
            segments += 1;
            blocky += u32::from(edge > MIN_STEP && edge > side);
        }
    }
    f64::from(blocky) / f64::from(segments.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plane(data: &[u8], w: usize, h: usize) -> Plane<'_> {
        Plane::new(data, w, w, h).unwrap()
    }

    #[test]
    fn mean_and_dark_fraction() {
        let mut data = vec![16u8; 64 * 48];
        data[..64 * 24].fill(200);
        let (sum, dark) = sum_and_dark(&plane(&data, 64, 48), 38);
        let rows = (24 / ROW_STEP) as u64;
        assert_eq!(sum, 64 * rows * 200 + 64 * rows * 16);
        assert_eq!(dark, 64 * rows);
    }

    #[test]
    fn difference_finds_small_moving_block() {
        let a = vec![100u8; 64 * 64];
        let mut b = a.clone();
        for y in 16..32 {
            for x in 32..48 {
                b[y * 64 + x] = 140;
            }
        }
        let mut sums = Vec::new();
        let d = frame_difference(&plane(&a, 64, 64), &plane(&b, 64, 64), &mut sums);
        let sampled = (16 / ROW_STEP) as u64;
        assert_eq!(d.total, 16 * sampled * 40);
        assert_eq!(d.max_block, 16 * sampled * 40);
        assert_eq!((d.changed_blocks, d.blocks), (1, 16));
        let mafd = d.total as f64 / (64.0 * (64 / ROW_STEP) as f64);
        assert!(mafd < 2.6, "global change is diluted: {mafd}");
    }

    #[test]
    fn smooth_gradient_is_not_blocky_but_grid_blocks_are() {
        let (w, h) = (128, 96);
        let smooth: Vec<u8> = (0..w * h).map(|i| ((i % w) + (i / w)) as u8).collect();
        assert_eq!(blockiness(&plane(&smooth, w, h)), 0.0);
        let tiles: Vec<u8> =
            (0..w * h).map(|i| if ((i % w) / 16 + (i / w) / 16) % 2 == 0 { 60 } else { 160 }).collect();
        assert!(blockiness(&plane(&tiles, w, h)) > 0.9);
        // The same hard edges off the grid are not macroblock edges.
        let shifted: Vec<u8> =
            (0..w * h).map(|i| if ((i % w + 8) / 16 + (i / w + 8) / 16) % 2 == 0 { 60 } else { 160 }).collect();
        assert_eq!(blockiness(&plane(&shifted, w, h)), 0.0);
    }

    #[test]
    fn fade_motion_is_not_structural() {
        let m = Motion { mafd: 4.0, max_block_mafd: 4.2, mean_delta: -3.9, changed_fraction: 0.0 };
        assert!(m.structural() < 0.2);
    }
}
