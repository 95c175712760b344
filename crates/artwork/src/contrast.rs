//! Colour contrast as WCAG 2 defines it, the colours of text and of what is
//! behind it inside a text box, and colour-vision-deficiency simulation.

use image::{Rgb, RgbImage};
use showrunner_vision::Rect;

/// sRGB channel (0–255) to linear light.
fn linear(c: u8) -> f32 {
    let c = c as f32 / 255.0;
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// Linear light back to an sRGB channel.
fn encode(c: f32) -> u8 {
    let c = c.clamp(0.0, 1.0);
    let s = if c <= 0.003_130_8 { c * 12.92 } else { 1.055 * c.powf(1.0 / 2.4) - 0.055 };
    (s * 255.0).round() as u8
}

/// WCAG relative luminance of an sRGB colour, 0 (black) to 1 (white).
pub fn luminance(c: Rgb<u8>) -> f32 {
    0.2126 * linear(c[0]) + 0.7152 * linear(c[1]) + 0.0722 * linear(c[2])
}

/// WCAG contrast ratio of two colours, 1 to 21.
pub fn contrast_ratio(a: Rgb<u8>, b: Rgb<u8>) -> f32 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// A colour-vision deficiency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deficiency {
    /// No L cones (red-blind).
    Protanopia,
    /// No M cones (green-blind).
    Deuteranopia,
    /// No S cones (blue-blind).
    Tritanopia,
}

impl Deficiency {
    /// All three, in a fixed order.
    pub const ALL: [Deficiency; 3] = [Deficiency::Protanopia, Deficiency::Deuteranopia, Deficiency::Tritanopia];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Deficiency::Protanopia => "protanopia",
            Deficiency::Deuteranopia => "deuteranopia",
            Deficiency::Tritanopia => "tritanopia",
        }
    }

    /// How a colour looks with this deficiency (Machado, Oliveira and
    /// Fernandes 2009, full severity, applied in linear RGB).
    pub fn simulate(self, c: Rgb<u8>) -> Rgb<u8> {
        let m: [[f32; 3]; 3] = match self {
            Deficiency::Protanopia => [
                [0.152_286, 1.052_583, -0.204_868],
                [0.114_503, 0.786_281, 0.099_216],
                [-0.003_882, -0.048_116, 1.051_998],
            ],
            Deficiency::Deuteranopia => [
                [0.367_322, 0.860_646, -0.227_968],
                [0.280_085, 0.672_501, 0.047_413],
                [-0.011_820, 0.042_940, 0.968_881],
            ],
            Deficiency::Tritanopia => [
                [1.255_528, -0.076_749, -0.178_779],
                [-0.078_411, 0.930_809, 0.147_602],
                [0.004_733, 0.691_367, 0.303_900],
            ],
        };
        let l = [linear(c[0]), linear(c[1]), linear(c[2])];
        Rgb(std::array::from_fn(|i| encode(m[i][0] * l[0] + m[i][1] * l[1] + m[i][2] * l[2])))
    }
}

/// The text and background colours of the part of the text box `rect`
/// where they contrast least. The box is cut along its length into windows
/// about `window` line heights wide (at least one), each measured by
/// [`text_and_background`]: a title drawn across a dark and a light area,
/// or over a busy photograph, is only as legible as its weakest part.
pub fn weakest_text_and_background(
    image: &RgbImage,
    rect: &Rect,
    glyph_share: f32,
    window: f32,
) -> Option<(Rgb<u8>, Rgb<u8>)> {
    let count = (rect.w / (window * rect.h).max(1.0)).round().max(1.0);
    let width = rect.w / count;
    (0..count as usize)
        .filter_map(|i| {
            let part = Rect { x: rect.x + i as f32 * width, w: width, ..*rect };
            text_and_background(image, &part, glyph_share)
        })
        .min_by(|a, b| contrast_ratio(a.0, a.1).total_cmp(&contrast_ratio(b.0, b.1)))
}

/// The colour of the text and of its background inside `rect`: the
/// background is the median of the box's border pixels (the detector's
/// box leaves a margin around the glyphs), the text the median of the
/// `glyph_share` of pixels least like it.
fn text_and_background(image: &RgbImage, rect: &Rect, glyph_share: f32) -> Option<(Rgb<u8>, Rgb<u8>)> {
    let r = rect.clip(image.width(), image.height());
    let (x0, y0) = (r.x.floor() as u32, r.y.floor() as u32);
    let (x1, y1) = ((r.right().ceil() as u32).min(image.width()), (r.bottom().ceil() as u32).min(image.height()));
    if x1 < x0 + 4 || y1 < y0 + 4 {
        return None;
    }
    let mut border = Vec::new();
    let mut inside = Vec::new();
    for y in y0..y1 {
        for x in x0..x1 {
            let p = *image.get_pixel(x, y);
            if x == x0 || y == y0 || x + 1 == x1 || y + 1 == y1 {
                border.push(p);
            } else {
                inside.push(p);
            }
        }
    }
    let background = median(&border);
    let distance = |p: &Rgb<u8>| (0..3).map(|c| (p[c] as i32 - background[c] as i32).pow(2)).sum::<i32>();
    inside.sort_by_key(|p| std::cmp::Reverse(distance(p)));
    let glyphs = ((inside.len() as f32 * glyph_share).round() as usize).clamp(1, inside.len());
    Some((median(&inside[..glyphs]), background))
}

fn median(pixels: &[Rgb<u8>]) -> Rgb<u8> {
    Rgb(std::array::from_fn(|c| {
        let mut v: Vec<u8> = pixels.iter().map(|p| p[c]).collect();
        v.sort_unstable();
        v[v.len() / 2]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wcag_figures() {
        assert!((contrast_ratio(Rgb([0, 0, 0]), Rgb([255, 255, 255])) - 21.0).abs() < 0.01);
        // #777 on white is the classic just-failing grey: 4.48.
        assert!((contrast_ratio(Rgb([119, 119, 119]), Rgb([255, 255, 255])) - 4.48).abs() < 0.01);
        assert_eq!(contrast_ratio(Rgb([10, 200, 30]), Rgb([10, 200, 30])), 1.0);
    }

    #[test]
    fn red_text_on_black_fades_for_the_red_blind_only() {
        let (red, black) = (Rgb([255, 0, 0]), Rgb([0, 0, 0]));
        let normal = contrast_ratio(red, black);
        assert!((normal - 5.25).abs() < 0.01, "{normal}");
        let red_blind = contrast_ratio(Deficiency::Protanopia.simulate(red), black);
        assert!(red_blind < 3.5, "{red_blind}");
        let blue_blind = contrast_ratio(Deficiency::Tritanopia.simulate(red), black);
        assert!(blue_blind > 4.0, "{blue_blind}");
        // Grey stays grey.
        let grey = Deficiency::Tritanopia.simulate(Rgb([128, 128, 128]));
        assert!((0..3).all(|c| (grey[c] as i32 - 128).abs() <= 2), "{grey:?}");
    }

    #[test]
    fn text_and_background_colours_are_told_apart() {
        let mut image = RgbImage::from_pixel(60, 30, Rgb([20, 20, 90]));
        for y in 10..20 {
            for x in 10..50 {
                if x % 4 < 2 {
                    image.put_pixel(x, y, Rgb([240, 240, 0]));
                }
            }
        }
        let (text, background) = text_and_background(&image, &Rect { x: 5.0, y: 5.0, w: 50.0, h: 20.0 }, 0.15).unwrap();
        assert_eq!((text, background), (Rgb([240, 240, 0]), Rgb([20, 20, 90])));
    }

    /// Grey bars across a black left half and a light grey right half: the
    /// whole box (mostly black around its border) reads as legible, the
    /// right-hand windows do not.
    #[test]
    fn a_line_is_as_legible_as_its_weakest_window() {
        let (black, light, grey) = (Rgb([0, 0, 0]), Rgb([200, 200, 200]), Rgb([150, 150, 150]));
        let mut image = RgbImage::from_fn(200, 40, |x, _| if x < 130 { black } else { light });
        for y in 12..28 {
            for x in (14..186).filter(|x| x % 6 < 3) {
                image.put_pixel(x, y, grey);
            }
        }
        let rect = Rect { x: 5.0, y: 5.0, w: 190.0, h: 30.0 };
        let (text, background) = text_and_background(&image, &rect, 0.1).unwrap();
        assert_eq!(background, black);
        assert!(contrast_ratio(text, background) > 6.0);

        let (text, background) = weakest_text_and_background(&image, &rect, 0.1, 1.5).unwrap();
        assert_eq!((text, background), (grey, light));
        assert!(contrast_ratio(text, background) < 2.0);

        // One window as wide as the line is the whole box.
        assert_eq!(weakest_text_and_background(&image, &rect, 0.1, 10.0), text_and_background(&image, &rect, 0.1));
    }
}
