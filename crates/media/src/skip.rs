//! Decoding less when a live stream cannot keep up: which pictures the
//! video decoder skips, set from any thread and applied before the next
//! video packet. Decoding is most of a monitored stream's cost, so skipping
//! pictures is what lets a stream that fell behind catch up.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use ffmpeg_next::Discard;

/// Which pictures the video decoder skips.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PictureSkip {
    /// Decode every picture.
    #[default]
    Nothing,
    /// Skip pictures no other picture is predicted from (most B pictures):
    /// the rest decode exactly as before, at a fraction of the cost.
    NonReference,
    /// Decode key pictures only: the last resort, for streams without
    /// non-reference pictures.
    NonKey,
}

impl PictureSkip {
    /// FFmpeg's name for it.
    pub(crate) fn discard(self) -> Discard {
        match self {
            PictureSkip::Nothing => Discard::Default,
            PictureSkip::NonReference => Discard::NonReference,
            PictureSkip::NonKey => Discard::NonKey,
        }
    }

    /// What is decoded, in words (for a stream's reason).
    pub fn describe(self) -> &'static str {
        match self {
            PictureSkip::Nothing => "decoding every picture",
            PictureSkip::NonReference => "decoding reference pictures only",
            PictureSkip::NonKey => "decoding key pictures only",
        }
    }

    fn from_u8(v: u8) -> PictureSkip {
        match v {
            1 => PictureSkip::NonReference,
            2 => PictureSkip::NonKey,
            _ => PictureSkip::Nothing,
        }
    }
}

/// A shared setting of [`PictureSkip`]: the live pipeline sets it, the
/// input reads it before each video packet.
#[derive(Debug, Clone, Default)]
pub struct SkipControl(Arc<AtomicU8>);

impl SkipControl {
    /// Sets what the decoder skips from the next video packet on.
    pub fn set(&self, skip: PictureSkip) {
        self.0.store(skip as u8, Ordering::Relaxed);
    }

    /// The current setting.
    pub fn get(&self) -> PictureSkip {
        PictureSkip::from_u8(self.0.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_is_seen_by_every_clone() {
        let control = SkipControl::default();
        let reader = control.clone();
        assert_eq!(reader.get(), PictureSkip::Nothing);
        for skip in [PictureSkip::NonKey, PictureSkip::NonReference, PictureSkip::Nothing] {
            control.set(skip);
            assert_eq!(reader.get(), skip);
        }
    }
}
