//! `artwork synth`: a labelled dataset of posters composed from real
//! photographs (scikit-image's sample images, fetched by
//! `scripts/fetch-models.sh`) with titles rendered in DejaVu fonts at
//! controlled places, sizes, contrasts and languages, and degraded copies.
//! Every label is true by construction:
//!
//! - `safe_zone` — the title deliberately crosses a device crop edge or sits
//!   under a UI overlay of the shipped profiles (else it is inside all of
//!   them with a margin);
//! - `legibility` — the title's contrast with the background under it is
//!   below 2.2:1, or it is drawn too small for the smallest device (else
//!   contrast ≥ 7:1 and large);
//! - `colour_blind` — red text on near-black: 5:1 for normal vision, about
//!   3.3:1 with protanopia;
//! - `pixelation` — the whole poster is pixelated, upscaled, blurred or
//!   heavily JPEG-compressed;
//! - `localization` — the title's language is not the locale's.

mod words;

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use ab_glyph::{FontVec, PxScale};
use image::{imageops, GrayImage, ImageFormat, Luma, Rgb, RgbImage};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use showrunner_vision::Rect;

use crate::contrast::{contrast_ratio, luminance, Deficiency};
use crate::eval::write_json;
use crate::profiles::default_profiles;
use crate::ArtworkError;
use words::{Vocabulary, VOCABULARIES};

/// Photographs used as backgrounds (faces are left out: where a face falls
/// is not controlled, so it could not be labelled by construction).
const PHOTOS: [&str; 10] = [
    "chelsea.png",
    "coffee.png",
    "rocket.jpg",
    "motorcycle_left.png",
    "hubble_deep_field.jpg",
    "retina.jpg",
    "grass.png",
    "gravel.png",
    "brick.png",
    "ihc.png",
];
const FONTS: [&str; 4] =
    ["DejaVuSans-Bold.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSansCondensed-Bold.ttf", "DejaVuSans.ttf"];
/// Where Debian's fonts-dejavu-core installs them.
pub const FONT_DIR: &str = "/usr/share/fonts/truetype/dejavu";

/// Where the inputs are and what to make.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    /// The sample photographs.
    pub photos: PathBuf,
    /// The fonts.
    pub fonts: PathBuf,
    /// How many posters.
    pub count: usize,
    /// Random seed: the same seed gives the same dataset.
    pub seed: u64,
}

/// Per-image facts the checks need besides the pixels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// Artwork kind.
    pub kind: String,
    /// Target locale.
    pub locale: String,
}

/// What one generated poster is, for the dataset files.
struct Poster {
    image: RgbImage,
    jpeg_quality: Option<u8>,
    info: ImageInfo,
    labels: BTreeMap<String, bool>,
}

/// Writes `count` posters, `labels.json` and `manifest.json` into `out`;
/// `progress` is called after each image.
pub fn synthesize(options: &SynthOptions, out: &Path, mut progress: impl FnMut(usize)) -> Result<(), ArtworkError> {
    let photos = load_photos(&options.photos)?;
    let fonts = load_fonts(&options.fonts)?;
    std::fs::create_dir_all(out).map_err(|e| ArtworkError::io(out, e))?;
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut labels = BTreeMap::new();
    let mut manifest = BTreeMap::new();
    for i in 0..options.count {
        let poster = compose(&mut rng, &photos, &fonts);
        let name = format!("{:04}.{}", i + 1, if poster.jpeg_quality.is_some() { "jpg" } else { "png" });
        let path = out.join(&name);
        let mut bytes = Vec::new();
        match poster.jpeg_quality {
            Some(q) => image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, q)
                .encode_image(&poster.image)
                .map_err(|e| ArtworkError::invalid(path.display(), e.to_string()))?,
            None => poster
                .image
                .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
                .map_err(|e| ArtworkError::invalid(path.display(), e.to_string()))?,
        }
        std::fs::write(&path, bytes).map_err(|e| ArtworkError::io(&path, e))?;
        labels.insert(name.clone(), poster.labels);
        manifest.insert(name, poster.info);
        progress(i + 1);
    }
    write_json(&out.join("labels.json"), &labels)?;
    write_json(&out.join("manifest.json"), &manifest)
}

fn load_photos(dir: &Path) -> Result<Vec<RgbImage>, ArtworkError> {
    PHOTOS
        .iter()
        .map(|name| {
            let path = dir.join(name);
            if !path.is_file() {
                return Err(ArtworkError::invalid(
                    path.display(),
                    "missing (scripts/fetch-models.sh fetches the sample photographs)",
                ));
            }
            image::open(&path).map(|i| i.to_rgb8()).map_err(|e| ArtworkError::invalid(path.display(), e.to_string()))
        })
        .collect()
}

fn load_fonts(dir: &Path) -> Result<Vec<FontVec>, ArtworkError> {
    FONTS
        .iter()
        .map(|name| {
            let path = dir.join(name);
            let bytes = std::fs::read(&path).map_err(|e| ArtworkError::io(&path, e))?;
            FontVec::try_from_vec(bytes).map_err(|e| ArtworkError::invalid(path.display(), e.to_string()))
        })
        .collect()
}

/// The area every shipped profile keeps clear for `width` × `height`:
/// inside every crop, outside every overlay (overlays only trim edges).
fn safe_area(kind: &str, width: u32, height: u32) -> Rect {
    let mut safe = Rect { x: 0.0, y: 0.0, w: width as f32, h: height as f32 };
    for p in default_profiles().iter().filter(|p| p.kinds.iter().any(|k| k == kind)) {
        safe = safe.intersection(&p.crop(width, height));
        for (_, o) in p.overlays(width, height) {
            if o.x <= safe.x + 1.0 && o.w < safe.w {
                safe = Rect::from_edges(safe.x.max(o.right()), safe.y, safe.right(), safe.bottom());
            } else if o.bottom() >= safe.bottom() - 1.0 && o.h < safe.h {
                safe = Rect::from_edges(safe.x, safe.y, safe.right(), safe.bottom().min(o.y));
            }
        }
    }
    safe
}

fn compose(rng: &mut ChaCha8Rng, photos: &[RgbImage], fonts: &[FontVec]) -> Poster {
    let hero = rng.gen_bool(0.55);
    let (kind, width, height) = if hero { ("hero", 960, 540) } else { ("poster", 480, 720) };
    let mut image = background(rng, photos, width, height);
    let safe = safe_area(kind, width, height);

    let vocabulary = VOCABULARIES.choose(rng).expect("vocabularies");
    let foreign = rng.gen_bool(0.3);
    let locale = if foreign {
        VOCABULARIES
            .iter()
            .filter(|v| v.language != vocabulary.language)
            .collect::<Vec<_>>()
            .choose(rng)
            .expect("others")
            .locale
    } else {
        vocabulary.locale
    };
    let font = &fonts[rng.gen_range(0..fonts.len())];
    // Size: too small for the smallest device in one poster in eight; a
    // title too wide for the safe area is drawn anew, never shrunk into the
    // small range.
    let too_small = rng.gen_bool(0.12);
    let mask = loop {
        let title = title(rng, vocabulary);
        let px = if too_small { rng.gen_range(13.0..17.0) } else { rng.gen_range(36.0..60.0) };
        let mask = render(font, px, &title);
        if (mask.width() as f32) < safe.w * 0.85 {
            break mask;
        }
    };
    let (tw, th) = (mask.width() as f32, mask.height() as f32);

    // Placement: inside the safe area, or across one of its edges.
    let unsafe_placement = rng.gen_bool(0.3);
    let margin = 0.5 * th + 8.0;
    let (x, y) = if unsafe_placement {
        across_edge(rng, &safe, tw, th, width, height)
    } else {
        (
            rng.gen_range(safe.x + margin..(safe.right() - tw - margin).max(safe.x + margin + 1.0)),
            rng.gen_range(safe.y + margin..(safe.bottom() - th - margin).max(safe.y + margin + 1.0)),
        )
    };
    let at = Rect { x, y, w: tw, h: th };

    // Colour: a band behind the title in some posters; contrast by design,
    // against the darkest and lightest tenth of what is behind the title.
    let colour_blind = !too_small && rng.gen_bool(0.08);
    let illegible = !colour_blind && rng.gen_bool(0.2);
    let mut banded = colour_blind || rng.gen_bool(0.25);
    let pad = 0.4 * th;
    let band_rect = Rect::from_edges(at.x - pad, at.y - pad, at.right() + pad, at.bottom() + pad);
    let mut colour = Rgb([0, 0, 0]);
    let mut behind = Rgb([0, 0, 0]);
    for attempt in 0..2 {
        if banded {
            let band = if colour_blind {
                Rgb([rng.gen_range(0..8), rng.gen_range(0..8), rng.gen_range(0..8)])
            } else {
                random_colour(rng)
            };
            fill(&mut image, &band_rect, band);
        }
        let (dark, light) = extremes(&image, &band_rect);
        behind = mean_colour(&image, &at);
        colour = if colour_blind {
            Rgb([rng.gen_range(240..=255), rng.gen_range(0..12), rng.gen_range(0..12)])
        } else if illegible {
            with_contrast(behind, rng.gen_range(1.3..1.9))
        } else {
            legible_colour(rng, dark, light)
        };
        let worst = contrast_ratio(colour, dark).min(contrast_ratio(colour, light));
        if illegible || colour_blind || worst >= 7.0 || attempt == 1 {
            break;
        }
        banded = true; // a background too varied for any colour: put a band behind
    }
    draw(&mut image, &mask, x, y, colour);
    let ratio = contrast_ratio(colour, behind);

    // A tagline in some posters: same language, safe, large and legible.
    if rng.gen_bool(0.35) {
        let line = *vocabulary.taglines.choose(rng).expect("taglines");
        let small = render(&fonts[0], rng.gen_range(28.0..34.0), line);
        let (lw, lh) = (small.width() as f32, small.height() as f32);
        let free_below = at.bottom() + 2.0 * lh < safe.bottom() - 8.0;
        let ly = if free_below { at.bottom() + 0.8 * lh } else { at.y - 1.8 * lh };
        let lx = (safe.x + 10.0)
            .max(safe.right() - lw - 10.0)
            .min(safe.x + 10.0 + (safe.w - lw - 20.0).max(0.0) * rng.gen::<f32>());
        let spot = Rect { x: lx, y: ly, w: lw, h: lh };
        if lw < safe.w - 20.0
            && ly > safe.y + 8.0
            && spot.bottom() < safe.bottom() - 8.0
            && at.intersection(&spot).area() == 0.0
        {
            let (dark, light) = extremes(&image, &spot);
            let c = legible_colour(rng, dark, light);
            if contrast_ratio(c, dark).min(contrast_ratio(c, light)) >= 7.0 {
                draw(&mut image, &small, lx, ly, c);
            }
        }
    }

    // Degradation of the whole poster in one poster in four.
    let pixelated = !too_small && rng.gen_bool(0.25);
    let mut jpeg_quality = None;
    if pixelated {
        match rng.gen_range(0..4) {
            0 => {
                let block = rng.gen_range(6..=10);
                let small = imageops::resize(&image, width / block, height / block, imageops::FilterType::Triangle);
                image = imageops::resize(&small, width, height, imageops::FilterType::Nearest);
            }
            1 => {
                let factor = rng.gen_range(2.5..4.0);
                let (sw, sh) = ((width as f32 / factor) as u32, (height as f32 / factor) as u32);
                let small = imageops::resize(&image, sw, sh, imageops::FilterType::Triangle);
                image = imageops::resize(&small, width, height, imageops::FilterType::CatmullRom);
            }
            2 => image = imageops::blur(&image, rng.gen_range(1.8..3.0)),
            _ => image = recompress(&image, rng.gen_range(4..10)),
        }
    } else if rng.gen_bool(0.3) {
        jpeg_quality = Some(92);
    }

    let needed = 4.5;
    let simulated =
        Deficiency::ALL.iter().map(|d| contrast_ratio(d.simulate(colour), d.simulate(behind))).fold(f32::MAX, f32::min);
    let labels = [
        ("safe_zone", unsafe_placement),
        ("legibility", too_small || illegible),
        ("colour_blind", !too_small && !illegible && ratio >= needed && simulated < needed),
        ("pixelation", pixelated),
        ("localization", foreign),
        ("mature_content", false),
        ("spec", false),
    ];
    Poster {
        image,
        jpeg_quality,
        info: ImageInfo { kind: kind.into(), locale: locale.into() },
        labels: labels.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
    }
}

fn title(rng: &mut ChaCha8Rng, v: &Vocabulary) -> String {
    if rng.gen_bool(0.5) {
        format!("{} {}", v.prefixes.choose(rng).expect("prefixes"), v.nouns.choose(rng).expect("nouns"))
    } else {
        let a = v.nouns.choose(rng).expect("nouns");
        let b = v.nouns.choose(rng).expect("nouns");
        format!("{a} {} {b}", v.linkers.choose(rng).expect("linkers"))
    }
}

/// A position for a `tw` × `th` title that crosses one edge of `safe` by a
/// clear share of its width or height, still inside the image.
fn across_edge(rng: &mut ChaCha8Rng, safe: &Rect, tw: f32, th: f32, width: u32, height: u32) -> (f32, f32) {
    let share = rng.gen_range(0.35..0.7);
    let mid_y = rng.gen_range(safe.y + th..(safe.bottom() - 2.0 * th).max(safe.y + th + 1.0));
    let mid_x = rng.gen_range(safe.x..(safe.right() - tw).max(safe.x + 1.0));
    let (x, y) = match rng.gen_range(0..4) {
        0 => (safe.x - share * tw, mid_y),
        1 => (safe.right() - (1.0 - share) * tw, mid_y),
        2 => (mid_x, safe.y - share * th),
        _ => (mid_x, safe.bottom() - (1.0 - share) * th),
    };
    (x.clamp(2.0, width as f32 - tw - 2.0), y.clamp(2.0, height as f32 - th - 2.0))
}

/// A gradient with a photograph (never enlarged more than 10%) blended in:
/// on the right of a hero, at the top of a poster; then a little grain.
fn background(rng: &mut ChaCha8Rng, photos: &[RgbImage], width: u32, height: u32) -> RgbImage {
    let (a, b) = (random_colour(rng), random_colour(rng));
    let mut image = RgbImage::from_fn(width, height, |_, y| {
        let t = y as f32 / height as f32;
        Rgb(std::array::from_fn(|c| (a[c] as f32 * (1.0 - t) + b[c] as f32 * t) as u8))
    });
    let photo = &photos[rng.gen_range(0..photos.len())];
    let hero = width > height;
    let scale = if hero { height as f32 / photo.height() as f32 } else { width as f32 / photo.width() as f32 };
    let scale = scale.min(1.1) * rng.gen_range(0.9..1.0f32).max(if scale > 1.0 { 1.0 } else { 0.0 });
    let (pw, ph) = ((photo.width() as f32 * scale) as u32, (photo.height() as f32 * scale) as u32);
    let scaled = imageops::resize(photo, pw.max(1), ph.max(1), imageops::FilterType::Lanczos3);
    let (ox, oy) = if hero { (width.saturating_sub(pw) as i64, 0) } else { (0, 0) };
    let feather = 60.0;
    for (x, y, p) in scaled.enumerate_pixels() {
        let (ix, iy) = (ox + x as i64, oy + y as i64);
        if ix < 0 || iy < 0 || ix >= width as i64 || iy >= height as i64 {
            continue;
        }
        let edge = if hero { x as f32 } else { (ph - y) as f32 };
        let alpha = (edge / feather).min(1.0);
        let dst = image.get_pixel_mut(ix as u32, iy as u32);
        for c in 0..3 {
            dst[c] = (p[c] as f32 * alpha + dst[c] as f32 * (1.0 - alpha)) as u8;
        }
    }
    for p in image.pixels_mut() {
        let grain: f32 = (0..3).map(|_| rng.gen_range(-3.0..3.0f32)).sum();
        for c in 0..3 {
            p[c] = (p[c] as f32 + grain).clamp(0.0, 255.0) as u8;
        }
    }
    image
}

fn random_colour(rng: &mut ChaCha8Rng) -> Rgb<u8> {
    Rgb([rng.gen(), rng.gen(), rng.gen()])
}

/// The text's coverage mask, cropped to its ink.
fn render(font: &FontVec, px: f32, text: &str) -> GrayImage {
    let (w, h) = imageproc::drawing::text_size(PxScale::from(px), font, text);
    let mut mask = GrayImage::new(w + 4 + px as u32 / 2, h + px as u32 * 2);
    imageproc::drawing::draw_text_mut(&mut mask, Luma([255]), 2, 2, PxScale::from(px), font, text);
    let ink: Vec<(u32, u32)> = mask.enumerate_pixels().filter(|(_, _, p)| p[0] > 0).map(|(x, y, _)| (x, y)).collect();
    let (x0, x1) = ink.iter().fold((u32::MAX, 0), |m, &(x, _)| (m.0.min(x), m.1.max(x)));
    let (y0, y1) = ink.iter().fold((u32::MAX, 0), |m, &(_, y)| (m.0.min(y), m.1.max(y)));
    imageops::crop_imm(&mask, x0, y0, x1 - x0 + 1, y1 - y0 + 1).to_image()
}

fn draw(image: &mut RgbImage, mask: &GrayImage, x: f32, y: f32, colour: Rgb<u8>) {
    for (mx, my, m) in mask.enumerate_pixels() {
        let (ix, iy) = (x as i64 + mx as i64, y as i64 + my as i64);
        if ix < 0 || iy < 0 || ix >= image.width() as i64 || iy >= image.height() as i64 {
            continue;
        }
        let alpha = m[0] as f32 / 255.0;
        let dst = image.get_pixel_mut(ix as u32, iy as u32);
        for c in 0..3 {
            dst[c] = (colour[c] as f32 * alpha + dst[c] as f32 * (1.0 - alpha)) as u8;
        }
    }
}

fn fill(image: &mut RgbImage, rect: &Rect, colour: Rgb<u8>) {
    let r = rect.clip(image.width(), image.height());
    for y in r.y as u32..r.bottom() as u32 {
        for x in r.x as u32..r.right() as u32 {
            image.put_pixel(x, y, colour);
        }
    }
}

fn mean_colour(image: &RgbImage, rect: &Rect) -> Rgb<u8> {
    let r = rect.clip(image.width(), image.height());
    let mut sum = [0f64; 3];
    let mut n = 0f64;
    for y in r.y as u32..(r.bottom() as u32).max(r.y as u32 + 1).min(image.height()) {
        for x in r.x as u32..(r.right() as u32).max(r.x as u32 + 1).min(image.width()) {
            let p = image.get_pixel(x, y);
            for c in 0..3 {
                sum[c] += p[c] as f64;
            }
            n += 1.0;
        }
    }
    Rgb(std::array::from_fn(|c| (sum[c] / n.max(1.0)) as u8))
}

/// A colour at least 7:1 from both `dark` and `light` when one exists:
/// near-white or near-black tinted at random, else pure white or black.
fn legible_colour(rng: &mut ChaCha8Rng, dark: Rgb<u8>, light: Rgb<u8>) -> Rgb<u8> {
    let worst = |c: Rgb<u8>| contrast_ratio(c, dark).min(contrast_ratio(c, light));
    let use_light = worst(Rgb([255, 255, 255])) >= worst(Rgb([0, 0, 0]));
    for _ in 0..20 {
        let c = if use_light {
            Rgb([rng.gen_range(200..=255), rng.gen_range(200..=255), rng.gen_range(200..=255)])
        } else {
            Rgb([rng.gen_range(0..40), rng.gen_range(0..40), rng.gen_range(0..40)])
        };
        if worst(c) >= 7.0 {
            return c;
        }
    }
    if use_light {
        Rgb([255, 255, 255])
    } else {
        Rgb([0, 0, 0])
    }
}

/// The pixels at the 10th and 90th luminance percentiles inside `rect`.
fn extremes(image: &RgbImage, rect: &Rect) -> (Rgb<u8>, Rgb<u8>) {
    let r = rect.clip(image.width(), image.height());
    let mut pixels: Vec<Rgb<u8>> = (r.y as u32..(r.bottom() as u32).min(image.height()))
        .flat_map(|y| (r.x as u32..(r.right() as u32).min(image.width())).map(move |x| (x, y)))
        .map(|(x, y)| *image.get_pixel(x, y))
        .collect();
    if pixels.is_empty() {
        return (Rgb([0, 0, 0]), Rgb([255, 255, 255]));
    }
    pixels.sort_by(|a, b| luminance(*a).total_cmp(&luminance(*b)));
    (pixels[pixels.len() / 10], pixels[pixels.len() * 9 / 10])
}

/// A colour of the same hue as `behind` with contrast about `ratio` to it.
fn with_contrast(behind: Rgb<u8>, ratio: f32) -> Rgb<u8> {
    let l = luminance(behind);
    let target = if l < 0.4 { ratio * (l + 0.05) - 0.05 } else { (l + 0.05) / ratio - 0.05 };
    let mut best = behind;
    for step in 0..=255 {
        let t = step as f32 / 255.0;
        let c = if target > l {
            Rgb(std::array::from_fn(|i| (behind[i] as f32 + (255.0 - behind[i] as f32) * t) as u8))
        } else {
            Rgb(std::array::from_fn(|i| (behind[i] as f32 * (1.0 - t)) as u8))
        };
        best = c;
        if (target > l && luminance(c) >= target) || (target <= l && luminance(c) <= target) {
            break;
        }
    }
    best
}

fn recompress(image: &RgbImage, quality: u8) -> RgbImage {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(image)
        .expect("in-memory JPEG");
    image::load_from_memory(&bytes).expect("own JPEG decodes").to_rgb8()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_safe_area_is_inside_every_crop_and_clear_of_overlays() {
        // Hero 960×540: TV overlay to x = 288, square crop 210–750, 21:9 crop y 64.3–475.7.
        let hero = safe_area("hero", 960, 540);
        assert!((hero.x - 288.0).abs() < 0.5 && (hero.right() - 750.0).abs() < 0.5, "{hero:?}");
        assert!((hero.y - 64.3).abs() < 0.5 && (hero.bottom() - 475.7).abs() < 0.5, "{hero:?}");
        // Poster 480×720: phone crop 37.5–442.5 with a play bar from y = 590.4; square y 120–600.
        let poster = safe_area("poster", 480, 720);
        assert!((poster.x - 37.5).abs() < 0.5 && (poster.right() - 442.5).abs() < 0.5, "{poster:?}");
        assert!((poster.y - 120.0).abs() < 0.5 && (poster.bottom() - 590.4).abs() < 0.5, "{poster:?}");
    }

    #[test]
    fn contrast_is_placed_where_asked() {
        for behind in [Rgb([20, 30, 40]), Rgb([200, 180, 160]), Rgb([90, 120, 60])] {
            let c = with_contrast(behind, 1.8);
            let ratio = contrast_ratio(c, behind);
            assert!((1.6..2.1).contains(&ratio), "{behind:?} → {c:?}: {ratio}");
        }
    }
}
