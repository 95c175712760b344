//! Undoing pixelation before text is read. A pixelated picture is a small
//! picture drawn with square blocks; the OCR networks were trained on
//! smooth pictures and miss or misread block-drawn letters. Averaging each
//! block back to one pixel and enlarging that small picture with a smooth
//! (Catmull-Rom) filter gives them letters with round edges again. Only
//! text reading sees the copy; every measurement uses the original.

use image::{imageops, RgbImage};

/// `image` with the blocks of a `period`-pixel grid starting at `offset`
/// (x, y) smoothed away. The strips before the first whole block are kept
/// as they are; so is the whole picture when `period` < 2.
pub fn depixelate(image: &RgbImage, period: usize, offset: (usize, usize)) -> RgbImage {
    let (width, height) = (image.width() as usize, image.height() as usize);
    let mut out = image.clone();
    if period < 2 || offset.0 >= width || offset.1 >= height {
        return out;
    }
    let (cols, rows) = ((width - offset.0).div_ceil(period), (height - offset.1).div_ceil(period));
    let small = RgbImage::from_fn(cols as u32, rows as u32, |bx, by| {
        let xs = offset.0 + bx as usize * period..(offset.0 + (bx as usize + 1) * period).min(width);
        let ys = offset.1 + by as usize * period..(offset.1 + (by as usize + 1) * period).min(height);
        let mut sum = [0u32; 3];
        for y in ys.clone() {
            for x in xs.clone() {
                let p = image.get_pixel(x as u32, y as u32);
                for c in 0..3 {
                    sum[c] += p[c] as u32;
                }
            }
        }
        let n = (xs.len() * ys.len()) as u32;
        image::Rgb(sum.map(|s| ((s + n / 2) / n) as u8))
    });
    let smooth =
        imageops::resize(&small, (cols * period) as u32, (rows * period) as u32, imageops::FilterType::CatmullRom);
    imageops::replace(&mut out, &smooth, offset.0 as i64, offset.1 as i64);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn blocks_become_a_ramp() {
        // 8-pixel blocks stepping 0, 64, 128, 192 across: after smoothing
        // the steps at block edges are spread over the block.
        let blocky = RgbImage::from_fn(32, 8, |x, _| Rgb([(x / 8 * 64) as u8; 3]));
        let smooth = depixelate(&blocky, 8, (0, 0));
        let largest_step = (1..32)
            .map(|x| (smooth.get_pixel(x, 4)[0] as i32 - smooth.get_pixel(x - 1, 4)[0] as i32).abs())
            .max()
            .unwrap();
        assert!(largest_step < 20, "a 64-level edge should be spread out, largest step {largest_step}");
        // Block centres keep their value.
        for b in 0..3 {
            let centre = smooth.get_pixel(b * 8 + 4, 4)[0] as i32;
            assert!((centre - (b * 64) as i32).abs() <= 12, "block {b}: {centre}");
        }
    }

    #[test]
    fn the_strip_before_the_grid_is_kept() {
        let blocky = RgbImage::from_fn(20, 10, |x, _| Rgb([if x < 3 { 255 } else { ((x - 3) / 8 * 100) as u8 }; 3]));
        let smooth = depixelate(&blocky, 8, (3, 0));
        assert!((0..3).all(|x| smooth.get_pixel(x, 5)[0] == 255));
        assert_eq!(smooth.dimensions(), blocky.dimensions());
    }

    #[test]
    fn no_grid_leaves_the_picture_alone() {
        let image = RgbImage::from_fn(9, 9, |x, y| Rgb([(x * 20) as u8, (y * 20) as u8, 0]));
        assert_eq!(depixelate(&image, 0, (0, 0)), image);
        assert_eq!(depixelate(&image, 4, (12, 0)), image);
    }
}
