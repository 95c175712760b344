//! Decoded video frames, read in place from the decoder's buffers.

use ffmpeg_next::format::Pixel;
use ffmpeg_next::frame;

/// One 8-bit image plane: `height` rows of `width` samples, `stride` bytes apart.
#[derive(Debug, Clone, Copy)]
pub struct Plane<'a> {
    /// The plane's bytes, `stride * height` long (the last row may be shorter).
    pub data: &'a [u8],
    /// Bytes from one row to the next (≥ `width`).
    pub stride: usize,
    /// Samples per row.
    pub width: usize,
    /// Number of rows.
    pub height: usize,
}

impl<'a> Plane<'a> {
    /// Wraps a buffer as a plane, checking that it is large enough.
    ///
    /// Returns `None` when `data` cannot hold `height` rows of `width`
    /// samples at `stride`; used by tests and by callers building planes from
    /// their own buffers.
    pub fn new(data: &'a [u8], stride: usize, width: usize, height: usize) -> Option<Self> {
        let needed = if height == 0 { 0 } else { stride * (height - 1) + width };
        (stride >= width && data.len() >= needed).then_some(Plane { data, stride, width, height })
    }

    /// Row `y` of the plane, exactly `width` samples.
    #[inline]
    pub fn row(&self, y: usize) -> &'a [u8] {
        let start = y * self.stride;
        &self.data[start..start + self.width]
    }
}

/// Decoder-reported damage on one frame (`AVFrame.flags` and
/// `AVFrame.decode_error_flags`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrameErrors {
    /// The decoder marked the frame corrupt (`AV_FRAME_FLAG_CORRUPT`).
    pub corrupt: bool,
    /// Error concealment was applied to parts of the frame.
    pub concealed: bool,
    /// The bitstream was invalid somewhere in the frame.
    pub invalid_bitstream: bool,
    /// A reference picture was missing.
    pub missing_reference: bool,
}

impl FrameErrors {
    /// Whether the decoder reported any damage at all.
    pub fn any(&self) -> bool {
        self.corrupt || self.concealed || self.invalid_bitstream || self.missing_reference
    }

    fn of(frame: &frame::Video) -> Self {
        // SAFETY: `frame` wraps a valid AVFrame for its whole lifetime.
        let (flags, decode_errors) = unsafe {
            let raw = frame.as_ptr();
            ((*raw).flags, (*raw).decode_error_flags)
        };
        FrameErrors {
            corrupt: flags & ffmpeg_next::ffi::AV_FRAME_FLAG_CORRUPT != 0,
            invalid_bitstream: decode_errors & ffmpeg_next::ffi::FF_DECODE_ERROR_INVALID_BITSTREAM != 0,
            missing_reference: decode_errors & ffmpeg_next::ffi::FF_DECODE_ERROR_MISSING_REFERENCE != 0,
            concealed: decode_errors & ffmpeg_next::ffi::FF_DECODE_ERROR_CONCEALMENT_ACTIVE != 0,
        }
    }
}

/// One decoded picture with its media time and the decoder's damage report.
///
/// The picture stays in the decoder's reference-counted buffer; the luma
/// plane is borrowed from it. Keeping a `VideoFrame` (for example the
/// previous frame, to measure motion) keeps that buffer alive without copying.
pub struct VideoFrame {
    frame: frame::Video,
    /// Presentation time in seconds from the start of the input.
    pub pts_s: f64,
    /// Expected display duration in seconds (from the stream's frame rate).
    pub duration_s: f64,
    /// Whether samples use the full 0–255 range (JPEG) rather than 16–235 (TV).
    pub full_range: bool,
    /// Whether this was a key frame.
    pub key: bool,
    /// The decoder's damage report for this frame.
    pub errors: FrameErrors,
}

impl VideoFrame {
    /// Wraps a decoded FFmpeg picture (8-bit luma in plane 0) with its media
    /// time; the converter does this for every frame, benchmarks and tests
    /// use it to build frames of their own.
    pub fn new(frame: frame::Video, pts_s: f64, duration_s: f64) -> Self {
        let full_range = matches!(frame.color_range(), ffmpeg_next::util::color::Range::JPEG)
            || matches!(frame.format(), Pixel::YUVJ420P | Pixel::YUVJ422P | Pixel::YUVJ444P | Pixel::YUVJ440P);
        let errors = FrameErrors::of(&frame);
        let key = frame.is_key();
        VideoFrame { frame, pts_s, duration_s, full_range, key, errors }
    }

    /// Picture width in pixels.
    pub fn width(&self) -> usize {
        self.frame.width() as usize
    }

    /// Picture height in pixels.
    pub fn height(&self) -> usize {
        self.frame.height() as usize
    }

    /// The luma (Y) plane, 8 bits per sample, read in place.
    pub fn luma(&self) -> Plane<'_> {
        Plane { data: self.frame.data(0), stride: self.frame.stride(0), width: self.width(), height: self.height() }
    }

    /// A chroma plane (`1` = Cb/U, `2` = Cr/V), when the frame is planar YUV
    /// and chroma was requested when opening the input.
    pub fn chroma(&self, index: usize) -> Option<Plane<'_>> {
        if !(index == 1 || index == 2) || self.frame.planes() <= index || !is_planar_yuv8(self.frame.format()) {
            return None;
        }
        Some(Plane {
            data: self.frame.data(index),
            stride: self.frame.stride(index),
            width: self.frame.plane_width(index) as usize,
            height: self.frame.plane_height(index) as usize,
        })
    }

    /// The underlying FFmpeg frame, for encoders (thumbnails) and tests.
    pub fn as_ffmpeg(&self) -> &frame::Video {
        &self.frame
    }
}

impl std::fmt::Debug for VideoFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoFrame")
            .field("pts_s", &self.pts_s)
            .field("width", &self.width())
            .field("height", &self.height())
            .field("key", &self.key)
            .field("errors", &self.errors)
            .finish()
    }
}

/// Pixel formats whose plane 0 is 8-bit luma and that can be read in place.
pub(crate) fn has_luma8(format: Pixel) -> bool {
    is_planar_yuv8(format) || matches!(format, Pixel::NV12 | Pixel::NV21 | Pixel::GRAY8)
}

fn is_planar_yuv8(format: Pixel) -> bool {
    matches!(
        format,
        Pixel::YUV420P
            | Pixel::YUVJ420P
            | Pixel::YUV422P
            | Pixel::YUVJ422P
            | Pixel::YUV444P
            | Pixel::YUVJ444P
            | Pixel::YUV440P
            | Pixel::YUVJ440P
            | Pixel::YUV411P
            | Pixel::YUV410P
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plane_rows_respect_stride() {
        let data: Vec<u8> = (0..20).collect();
        let plane = Plane::new(&data, 5, 3, 4).unwrap();
        assert_eq!(plane.row(0), &[0, 1, 2]);
        assert_eq!(plane.row(3), &[15, 16, 17]);
    }

    #[test]
    fn plane_rejects_short_buffer() {
        let data = [0u8; 10];
        assert!(Plane::new(&data, 5, 3, 4).is_none());
        assert!(Plane::new(&data, 2, 3, 1).is_none());
    }
}
