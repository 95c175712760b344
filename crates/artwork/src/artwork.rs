//! One decoded image with what its file said about it.

use std::io::Cursor;
use std::path::Path;

use image::{ImageFormat, ImageReader, Limits, RgbImage};

use crate::ArtworkError;

/// Largest side accepted, in pixels: a 16K poster still fits; a header
/// claiming more is refused before anything is allocated.
pub const MAX_SIDE: u32 = 16_384;
/// Largest decoded size accepted, in bytes.
const MAX_ALLOC: u64 = 1 << 30;

/// An artwork image, decoded, with the facts the `spec` check needs.
#[derive(Debug, Clone)]
pub struct Artwork {
    /// File or upload name, for messages and reports.
    pub name: String,
    /// Size of the encoded file in bytes.
    pub file_bytes: usize,
    /// Container format (`png`, `jpeg`, `webp`).
    pub format: String,
    /// The decoded colour type (`rgb8`, `rgba8`, `l8`, `rgb16`…).
    pub color: String,
    /// Whether some pixel is not fully opaque.
    pub uses_transparency: bool,
    /// The pixels as 8-bit sRGB (alpha composited over black).
    pub rgb: RgbImage,
}

impl Artwork {
    /// Reads and decodes `path`.
    pub fn open(path: &Path) -> Result<Artwork, ArtworkError> {
        let bytes = std::fs::read(path).map_err(|e| ArtworkError::io(path, e))?;
        Artwork::decode(&path.display().to_string(), &bytes)
    }

    /// Decodes `bytes` (named `name` in errors). Refuses empty input,
    /// unknown formats, headers announcing absurd sizes, zero-sized images
    /// and truncated data, each with its reason.
    pub fn decode(name: &str, bytes: &[u8]) -> Result<Artwork, ArtworkError> {
        let bad = |reason: String| ArtworkError::BadImage { name: name.to_owned(), reason };
        if bytes.is_empty() {
            return Err(bad("empty file".into()));
        }
        let reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| bad(e.to_string()))?;
        let format = reader
            .format()
            .ok_or_else(|| bad("not an image (unrecognised format; PNG, JPEG and WebP are read)".into()))?;
        let (width, height) =
            reader.into_dimensions().map_err(|e| bad(format!("unreadable {} header: {e}", format_name(format))))?;
        if width == 0 || height == 0 {
            return Err(bad(format!("zero-sized image ({width}×{height})")));
        }
        if width > MAX_SIDE || height > MAX_SIDE {
            return Err(bad(format!("{width}×{height} is larger than the {MAX_SIDE} px per side accepted")));
        }
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
        let mut limits = Limits::default();
        limits.max_image_width = Some(MAX_SIDE);
        limits.max_image_height = Some(MAX_SIDE);
        limits.max_alloc = Some(MAX_ALLOC);
        reader.limits(limits);
        let decoded = reader.decode().map_err(|e| bad(format!("cannot decode {}: {e}", format_name(format))))?;
        let color = format!("{:?}", decoded.color()).to_lowercase();
        let uses_transparency = decoded.color().has_alpha() && decoded.to_rgba8().pixels().any(|p| p[3] < 255);
        Ok(Artwork {
            name: name.to_owned(),
            file_bytes: bytes.len(),
            format: format_name(format).to_owned(),
            color,
            uses_transparency,
            rgb: decoded.to_rgb8(),
        })
    }

    /// An artwork from pixels already in memory (a picture drawn or edited
    /// by the caller), described as an opaque 8-bit RGB PNG.
    pub fn from_rgb(name: &str, rgb: RgbImage) -> Artwork {
        Artwork {
            name: name.to_owned(),
            file_bytes: rgb.as_raw().len(),
            format: "png".into(),
            color: "rgb8".into(),
            uses_transparency: false,
            rgb,
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.rgb.width()
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.rgb.height()
    }
}

fn format_name(format: ImageFormat) -> &'static str {
    format.extensions_str().first().copied().unwrap_or("image")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        RgbImage::new(width, height).write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
        out
    }

    fn reason(bytes: &[u8]) -> String {
        Artwork::decode("poster.png", bytes).unwrap_err().to_string()
    }

    #[test]
    fn a_good_png_decodes_with_its_facts() {
        let art = Artwork::decode("poster.png", &png(40, 60)).unwrap();
        assert_eq!((art.width(), art.height(), art.format.as_str(), art.color.as_str()), (40, 60, "png", "rgb8"));
        assert!(!art.uses_transparency);
    }

    #[test]
    fn bad_images_are_refused_with_the_reason() {
        assert_eq!(reason(b""), "poster.png: empty file");
        assert!(reason(b"hello, not a picture").contains("not an image"));
        let whole = png(400, 300);
        let cut = reason(&whole[..whole.len() / 2]);
        assert!(cut.starts_with("poster.png: cannot decode png"), "{cut}");
        // A PNG header claiming 20000×20000 pixels: refused before decoding.
        let huge = reason(&with_header_size(png(1, 1), 20_000, 20_000));
        assert!(huge.contains("20000×20000 is larger than"), "{huge}");
        let zero = reason(&with_header_size(png(1, 1), 0, 10));
        assert!(zero.contains("Invalid image dimensions"), "{zero}");
    }

    /// A PNG whose header claims `width` × `height` (with a valid checksum).
    fn with_header_size(mut png: Vec<u8>, width: u32, height: u32) -> Vec<u8> {
        png[16..20].copy_from_slice(&width.to_be_bytes());
        png[20..24].copy_from_slice(&height.to_be_bytes());
        let crc = png[12..29].iter().fold(!0u32, |mut c, &b| {
            c ^= b as u32;
            for _ in 0..8 {
                c = if c & 1 == 1 { (c >> 1) ^ 0xEDB8_8320 } else { c >> 1 };
            }
            c
        });
        png[29..33].copy_from_slice(&(!crc).to_be_bytes());
        png
    }
}
