//! Errors of the media converter. Every variant names the input it is about,
//! so a user analysing many inputs at once knows which one failed.

/// What can go wrong opening or reading an input.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// FFmpeg could not open the input: missing file, unreachable URL, not media.
    #[error("{input}: cannot open: {reason}")]
    Open {
        /// The path or URL as given.
        input: String,
        /// FFmpeg's explanation, made readable.
        reason: String,
    },
    /// The input opened but has no audio or video stream we were asked to decode.
    #[error("{input}: no {wanted} stream found")]
    NoStreams {
        /// The path or URL as given.
        input: String,
        /// Which kinds of stream were wanted ("audio or video", "video", …).
        wanted: String,
    },
    /// The input's streams use codecs this FFmpeg build cannot decode.
    #[error("{input}: unsupported codec: {codecs} (no decoder in this FFmpeg build)")]
    UnsupportedCodec {
        /// The path or URL as given.
        input: String,
        /// The codecs that could not be decoded.
        codecs: String,
    },
    /// Reading failed part-way through the input.
    #[error("{input}: read error at {at_s:.2}s: {reason}")]
    Read {
        /// The path or URL as given.
        input: String,
        /// Media time reached before the error.
        at_s: f64,
        /// FFmpeg's explanation.
        reason: String,
    },
    /// A file ended well before the duration its header declares.
    #[error("{input}: truncated: media ends at {decoded_s:.2}s but the file declares {declared_s:.2}s")]
    Truncated {
        /// The path or URL as given.
        input: String,
        /// Media time of the last decoded data.
        decoded_s: f64,
        /// Duration declared by the container.
        declared_s: f64,
    },
}

/// Linux errno values FFmpeg passes through (`AVERROR(errno)`).
const ENOENT: i32 = 2;
/// Resource temporarily unavailable: the decoder wants more input.
pub(crate) const EAGAIN: i32 = 11;
const ETIMEDOUT: i32 = 110;
const ECONNREFUSED: i32 = 111;

/// Turns FFmpeg's error into a sentence a user can act on.
pub(crate) fn describe(err: &ffmpeg_next::Error) -> String {
    use ffmpeg_next::Error;
    match err {
        Error::InvalidData => "not a recognised media file (invalid data found)".to_string(),
        Error::Other { errno } if *errno == ENOENT => "no such file or directory".to_string(),
        Error::Other { errno } if *errno == ECONNREFUSED => "connection refused".to_string(),
        Error::Other { errno } if *errno == ETIMEDOUT => "connection timed out".to_string(),
        Error::ProtocolNotFound => "unsupported protocol".to_string(),
        Error::DemuxerNotFound => "unknown container format".to_string(),
        other => other.to_string(),
    }
}
