//! The media converter: opens any input FFmpeg can read (files, HLS, TS over
//! UDP, RTMP, SRT, …) **in-process**, demuxes and decodes it, and yields
//! decoded video frames, f32 audio chunks and decoder signals in
//! presentation order per stream.
//!
//! Detectors receive frames exactly as the decoder produced them: a
//! [`VideoFrame`] wraps the decoder's reference-counted picture, and its luma
//! plane is read in place. Only inputs whose pixel format has no 8-bit luma
//! plane are converted (one copy, via swscale).
//!
//! ```no_run
//! use showrunner_media::{MediaInput, MediaItem, OpenOptions};
//! let mut input = MediaInput::open("clip.ts", &OpenOptions::default())?;
//! while let Some(item) = input.next_item()? {
//!     match item {
//!         MediaItem::Video(frame) => println!("frame at {:.3}s", frame.pts_s),
//!         MediaItem::Audio(chunk) => println!("{} samples", chunk.frames()),
//!         MediaItem::Signal(sig) => println!("{sig:?}"),
//!     }
//! }
//! # Ok::<(), showrunner_media::MediaError>(())
//! ```

mod audio;
mod error;
mod input;
mod reconnect;
mod signal;
mod skip;
mod thumbnail;
mod timeline;
mod video;
mod watchdog;

/// The FFmpeg bindings, re-exported so that callers building frames of
/// their own (benchmarks, thumbnails) use the same version.
pub use ffmpeg_next;

pub use audio::AudioChunk;
pub use error::MediaError;
pub use input::{MediaInfo, MediaInput, MediaItem, OpenOptions};
pub use reconnect::{LiveEvent, LiveSource};
pub use signal::{DecoderSignal, SignalKind, StreamKind};
pub use skip::{PictureSkip, SkipControl};
pub use thumbnail::{ThumbnailError, Thumbnailer};
pub use video::{FrameErrors, Plane, VideoFrame};

/// Initialises FFmpeg once per process and silences its own logging, which
/// would otherwise interleave with showrunner's output. Set
/// `SHOWRUNNER_FFMPEG_LOG=1` to see FFmpeg's warnings while debugging.
pub fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // ffmpeg::init only registers devices on old FFmpeg; it cannot fail on 5.x.
        let _ = ffmpeg_next::init();
        let level = if std::env::var_os("SHOWRUNNER_FFMPEG_LOG").is_some() {
            ffmpeg_next::util::log::Level::Warning
        } else {
            ffmpeg_next::util::log::Level::Quiet
        };
        ffmpeg_next::util::log::set_level(level);
    });
}
