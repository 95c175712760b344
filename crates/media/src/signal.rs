//! Decoder signals: what the demuxer and decoders say about damage, beside
//! the pictures and samples themselves. Detectors such as
//! `block_corruption` combine these with what they see in the picture.

/// Which elementary stream a signal is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    /// The video stream being decoded.
    Video,
    /// The audio stream being decoded.
    Audio,
}

/// The kinds of damage the converter reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalKind {
    /// The demuxer flagged a packet as corrupt (e.g. an MPEG-TS continuity error).
    CorruptPacket,
    /// The decoder rejected a packet or failed to produce a frame from it.
    DecodeError,
    /// Timestamps jumped: a gap larger than a few frames, or a step backwards.
    PtsDiscontinuity,
    /// A short timestamp gap on video: frames missing from the stream.
    DroppedFrames,
}

/// One signal, placed on the media timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct DecoderSignal {
    /// What happened.
    pub kind: SignalKind,
    /// On which stream.
    pub stream: StreamKind,
    /// Media time (seconds from the input's start) the signal refers to.
    pub pts_s: f64,
    /// Size of the event: frames dropped, seconds jumped, or 1.
    pub amount: f64,
    /// Human-readable detail (the decoder's error, the jump size, …).
    pub detail: String,
}

impl std::fmt::Display for StreamKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StreamKind::Video => "video",
            StreamKind::Audio => "audio",
        })
    }
}
