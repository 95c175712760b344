//! Small pictures of a stream: what a defect looked like, and a live tile.
//!
//! [`Thumbnailer`] scales a decoded picture down (swscale, bilinear) to a
//! fixed width and keeps it as a small frame — 320×180 is 86 KB, where a
//! 1080p picture is 3 MB — and encodes small frames to JPEG with FFmpeg's
//! MJPEG encoder, in-process.

use ffmpeg_next::{codec, encoder, format::Pixel, frame, software, Packet, Rational};

use crate::error::describe;
use crate::video::VideoFrame;

/// Why a thumbnail could not be made.
#[derive(Debug, thiserror::Error)]
#[error("thumbnail: {0}")]
pub struct ThumbnailError(String);

/// Scales pictures to one width and encodes them to JPEG.
pub struct Thumbnailer {
    width: u32,
    /// The scaler for the last source shape `(format, width, height)`.
    scaler: Option<((Pixel, u32, u32), software::scaling::Context)>,
}

/// JPEG quality scale, 2 (best) to 31 (worst): 4 keeps text and edges
/// readable at 10–20 KB for 320×180.
const JPEG_QSCALE: i32 = 4;

/// FFmpeg's `FF_QP2LAMBDA`: the quality scale in lambda units.
const QP2LAMBDA: i32 = 118;

impl Thumbnailer {
    /// Thumbnails `width` pixels wide (even; height follows the aspect).
    pub fn new(width: u32) -> Self {
        Thumbnailer { width: width.max(16) & !1, scaler: None }
    }

    /// A scaled copy of `picture` in full-range YUV 4:2:0 (what JPEG wants).
    pub fn scale(&mut self, picture: &VideoFrame) -> Result<frame::Video, ThumbnailError> {
        let src = picture.as_ffmpeg();
        let shape = (src.format(), src.width(), src.height());
        if shape.1 == 0 || shape.2 == 0 {
            return Err(ThumbnailError("empty picture".into()));
        }
        let height = ((u64::from(self.width) * u64::from(shape.2) / u64::from(shape.1)).max(2) as u32) & !1;
        if self.scaler.as_ref().is_none_or(|(s, _)| *s != shape) {
            let context = software::scaling::Context::get(
                shape.0,
                shape.1,
                shape.2,
                Pixel::YUVJ420P,
                self.width,
                height,
                software::scaling::Flags::BILINEAR,
            )
            .map_err(|e| {
                ThumbnailError(format!("cannot scale {:?} {}×{}: {}", shape.0, shape.1, shape.2, describe(&e)))
            })?;
            self.scaler = Some((shape, context));
        }
        let Some((_, scaler)) = self.scaler.as_mut() else { unreachable!("set above") };
        let mut small = frame::Video::empty();
        scaler.run(src, &mut small).map_err(|e| ThumbnailError(format!("cannot scale: {}", describe(&e))))?;
        Ok(small)
    }

    /// `small` (from [`Thumbnailer::scale`]) as a JPEG file.
    pub fn jpeg(small: &frame::Video) -> Result<Vec<u8>, ThumbnailError> {
        let fail = |what: &str, e: ffmpeg_next::Error| ThumbnailError(format!("{what}: {}", describe(&e)));
        let codec = encoder::find(codec::Id::MJPEG).ok_or_else(|| ThumbnailError("no MJPEG encoder".into()))?;
        let mut video = codec::context::Context::new_with_codec(codec)
            .encoder()
            .video()
            .map_err(|e| fail("cannot set up the encoder", e))?;
        video.set_width(small.width());
        video.set_height(small.height());
        video.set_format(Pixel::YUVJ420P);
        video.set_time_base(Rational(1, 25));
        video.set_flags(codec::Flags::QSCALE);
        video.set_global_quality(JPEG_QSCALE * QP2LAMBDA);
        let mut encoder = video.open_as(codec).map_err(|e| fail("cannot open the encoder", e))?;
        let mut picture = small.clone();
        picture.set_pts(Some(0));
        // SAFETY: a plain field of a frame this function owns; with QSCALE
        // the encoder reads each frame's quality from it.
        unsafe { (*picture.as_mut_ptr()).quality = JPEG_QSCALE * QP2LAMBDA };
        encoder.send_frame(&picture).map_err(|e| fail("cannot encode", e))?;
        encoder.send_eof().map_err(|e| fail("cannot finish", e))?;
        let mut packet = Packet::empty();
        encoder.receive_packet(&mut packet).map_err(|e| fail("no JPEG came out", e))?;
        Ok(packet.data().map(<[u8]>::to_vec).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 640×360 grey-ramp picture.
    fn picture() -> VideoFrame {
        crate::init();
        let mut f = frame::Video::new(Pixel::YUV420P, 640, 360);
        for plane in 0..3 {
            let stride = f.stride(plane);
            let (w, h) = (f.plane_width(plane) as usize, f.plane_height(plane) as usize);
            let data = f.data_mut(plane);
            for y in 0..h {
                for x in 0..w {
                    data[y * stride + x] = if plane == 0 { (x * 255 / w) as u8 } else { 128 };
                }
            }
        }
        VideoFrame::new(f, 0.0, 0.04)
    }

    #[test]
    fn a_picture_becomes_a_small_jpeg_of_the_same_aspect() {
        let mut t = Thumbnailer::new(320);
        let small = t.scale(&picture()).unwrap();
        assert_eq!((small.width(), small.height()), (320, 180));
        let jpeg = Thumbnailer::jpeg(&small).unwrap();
        assert_eq!(&jpeg[..3], &[0xFF, 0xD8, 0xFF], "a JPEG start-of-image marker");
        assert_eq!(&jpeg[jpeg.len() - 2..], &[0xFF, 0xD9], "and its end marker");
        assert!(jpeg.len() < 40_000, "{} bytes", jpeg.len());
    }
}
