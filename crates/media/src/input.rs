//! Opening an input and pulling decoded items from it.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use ffmpeg_next::{codec, decoder, format, frame, media, software, Dictionary, Packet, Rational};

use crate::audio::AudioChunk;
use crate::error::{describe, MediaError, EAGAIN};
use crate::signal::{DecoderSignal, SignalKind, StreamKind};
use crate::skip::{PictureSkip, SkipControl};
use crate::timeline::Timeline;
use crate::video::{has_luma8, VideoFrame};
use crate::watchdog::Watchdog;

/// How to open an input.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Decode the video stream (the best one, by FFmpeg's choice).
    pub video: bool,
    /// Decode the audio stream (the best one, by FFmpeg's choice).
    pub audio: bool,
    /// Keep chroma planes available; when false, inputs that need pixel
    /// conversion are converted to luma only, which is cheaper.
    pub chroma: bool,
    /// Decoder threads per stream; 0 lets FFmpeg pick (one per core), 1 decodes
    /// on the calling thread only.
    pub threads: usize,
    /// For URLs: seconds without a packet after which opening or reading
    /// gives up with an error (a stalled live input), whatever the protocol.
    pub network_timeout_s: f64,
    /// Set it (from any thread) to make a blocked open or read give up at
    /// once: a stream deleted or a server stopping.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Which video pictures to skip decoding, changeable while reading (a
    /// live stream that cannot keep up); every picture when `None`.
    pub skip: Option<SkipControl>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            video: true,
            audio: true,
            chroma: false,
            threads: 0,
            network_timeout_s: 10.0,
            cancel: None,
            skip: None,
        }
    }
}

/// What the input turned out to contain.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaInfo {
    /// Container format name(s), e.g. `mov,mp4,m4a,3gp,3g2,mj2` or `mpegts`.
    pub container: String,
    /// Declared duration in seconds, if the container says.
    pub duration_s: Option<f64>,
    /// Video codec name, width, height and frame rate, if decoding video.
    pub video: Option<(String, u32, u32, f64)>,
    /// Audio codec name, sample rate and channel count, if decoding audio.
    pub audio: Option<(String, u32, u16)>,
}

/// One thing read from the input.
#[derive(Debug)]
pub enum MediaItem {
    /// A decoded picture.
    Video(VideoFrame),
    /// Decoded audio samples.
    Audio(AudioChunk),
    /// Damage or discontinuity reported by the demuxer or a decoder.
    Signal(DecoderSignal),
}

struct VideoState {
    index: usize,
    decoder: decoder::Video,
    time_base: Rational,
    frame_duration_s: f64,
    timeline: Timeline,
    scaler: Option<software::scaling::Context>,
    chroma: bool,
    /// What the decoder skips now.
    skip: PictureSkip,
    /// Gaps between pictures are judged (dropped frames) only after this
    /// time: where skipping last ended.
    judged_after_s: f64,
    /// While pictures are skipped, the last decoded one, held until the next
    /// so that its duration covers the pictures skipped after it (a freeze
    /// seen on every fourth picture still lasts its whole time).
    held: Option<VideoFrame>,
}

/// Longest gap a held picture is stretched over: a longer one is an input
/// that stopped, not skipped pictures, and keeps the picture's own duration.
const MAX_HELD_S: f64 = 10.0;

impl VideoState {
    /// Whether gaps after a picture at `pts_s` are skipped pictures.
    fn skipping_at(&self, pts_s: f64) -> bool {
        self.skip != PictureSkip::Nothing || pts_s <= self.judged_after_s
    }

    /// The pictures to pass on now that `frame` is decoded: the held one
    /// (lasting until `frame`), then `frame` unless it is held in turn.
    fn pass(&mut self, frame: VideoFrame) -> impl Iterator<Item = VideoFrame> {
        let released = self.held.take().map(|mut h| {
            let gap = frame.pts_s - h.pts_s;
            if gap > h.duration_s && gap <= MAX_HELD_S {
                h.duration_s = gap;
            }
            h
        });
        let now = if self.skipping_at(frame.pts_s) {
            self.held = Some(frame);
            None
        } else {
            Some(frame)
        };
        released.into_iter().chain(now)
    }
}

struct AudioState {
    index: usize,
    decoder: decoder::Audio,
    time_base: Rational,
    timeline: Timeline,
}

/// An open input: call [`MediaInput::next_item`] until it returns `Ok(None)`.
pub struct MediaInput {
    name: String,
    /// Declared before `watchdog`: the context, whose interrupt callback
    /// reads the watchdog, is dropped first.
    ctx: format::context::Input,
    watchdog: Arc<Watchdog>,
    info: MediaInfo,
    start_s: f64,
    video: Option<VideoState>,
    audio: Option<AudioState>,
    queue: VecDeque<MediaItem>,
    last_pts_s: f64,
    eof: bool,
    is_file: bool,
    bytes_read: u64,
    skip: Option<SkipControl>,
}

/// `avformat_open_input` and `avformat_find_stream_info` with `options` and
/// the watchdog as interrupt callback (ffmpeg-next offers either one, not
/// both).
fn open_format(
    input: &str,
    options: Dictionary,
    watchdog: &Arc<Watchdog>,
) -> Result<format::context::Input, ffmpeg_next::Error> {
    use ffmpeg_next::ffi::{
        avformat_alloc_context, avformat_close_input, avformat_find_stream_info, avformat_open_input,
    };
    let path = std::ffi::CString::new(input).map_err(|_| ffmpeg_next::Error::InvalidData)?;
    // SAFETY: the context is allocated here and either handed to
    // `Input::wrap` (which owns and frees it) or freed by FFmpeg on a failed
    // open / by `avformat_close_input` on a failed probe. The options
    // dictionary is taken back and freed by `Dictionary::own`. The interrupt
    // callback's watchdog outlives the context (see `MediaInput`).
    unsafe {
        let mut ps = avformat_alloc_context();
        if ps.is_null() {
            return Err(ffmpeg_next::Error::Other { errno: ffmpeg_next::util::error::ENOMEM });
        }
        (*ps).interrupt_callback = watchdog.callback();
        let mut opts = options.disown();
        let res = avformat_open_input(&mut ps, path.as_ptr(), std::ptr::null(), &mut opts);
        Dictionary::own(opts);
        if res < 0 {
            return Err(ffmpeg_next::Error::from(res));
        }
        let res = avformat_find_stream_info(ps, std::ptr::null_mut());
        if res < 0 {
            avformat_close_input(&mut ps);
            return Err(ffmpeg_next::Error::from(res));
        }
        Ok(format::context::Input::wrap(ps))
    }
}

fn seconds(ts: i64, tb: Rational) -> f64 {
    ts as f64 * f64::from(tb.numerator()) / f64::from(tb.denominator().max(1))
}

impl MediaInput {
    /// Opens `input` (a path or any URL FFmpeg understands) and prepares
    /// decoders for the best video and audio streams.
    ///
    /// Fails with a [`MediaError`] naming the input when it cannot be opened,
    /// holds no wanted stream, or uses only codecs without a decoder.
    pub fn open(input: &str, options: &OpenOptions) -> Result<Self, MediaError> {
        crate::init();
        let is_url = input.contains("://");
        if !is_url && !Path::new(input).exists() {
            return Err(MediaError::Open { input: input.to_string(), reason: "no such file or directory".into() });
        }
        if !is_url && Path::new(input).is_dir() {
            return Err(MediaError::Open {
                input: input.to_string(),
                reason: "is a directory, not a media file".into(),
            });
        }
        let mut dict = Dictionary::new();
        if is_url {
            let micros = ((options.network_timeout_s.max(0.1)) * 1e6) as i64;
            dict.set("rw_timeout", &micros.to_string());
        }
        let stall = is_url.then(|| Duration::from_secs_f64(options.network_timeout_s.max(0.1)));
        let watchdog = Watchdog::new(options.cancel.clone(), stall);
        watchdog.progress();
        let ctx = open_format(input, dict, &watchdog).map_err(|e| MediaError::Open {
            input: input.to_string(),
            reason: watchdog.verdict().unwrap_or_else(|| describe(&e)),
        })?;

        // SAFETY: reading a plain field of the open format context.
        let start_time = unsafe { (*ctx.as_ptr()).start_time };
        let start_s = if start_time != ffmpeg_next::ffi::AV_NOPTS_VALUE {
            start_time as f64 / f64::from(ffmpeg_next::ffi::AV_TIME_BASE)
        } else {
            0.0
        };
        let duration_s =
            (ctx.duration() > 0).then(|| ctx.duration() as f64 / f64::from(ffmpeg_next::ffi::AV_TIME_BASE));
        let mut info = MediaInfo { container: ctx.format().name().to_string(), duration_s, video: None, audio: None };
        let mut unsupported = Vec::new();

        let video = open_best(&ctx, media::Type::Video, options.video, &mut unsupported, |stream| {
            let state = open_video(stream, options)?;
            let fps = if state.frame_duration_s > 0.0 { 1.0 / state.frame_duration_s } else { 0.0 };
            info.video = Some((codec_name(stream), state.decoder.width(), state.decoder.height(), fps));
            Ok(state)
        });
        let audio = open_best(&ctx, media::Type::Audio, options.audio, &mut unsupported, |stream| {
            let state = open_audio(stream, options)?;
            info.audio = Some((codec_name(stream), state.decoder.rate(), state.decoder.channels()));
            Ok(state)
        });

        if video.is_none() && audio.is_none() {
            if !unsupported.is_empty() {
                return Err(MediaError::UnsupportedCodec { input: input.to_string(), codecs: unsupported.join(", ") });
            }
            let wanted = match (options.video, options.audio) {
                (true, true) => "audio or video",
                (true, false) => "video",
                _ => "audio",
            };
            return Err(MediaError::NoStreams { input: input.to_string(), wanted: wanted.to_string() });
        }

        Ok(MediaInput {
            name: input.to_string(),
            ctx,
            watchdog,
            info,
            start_s,
            video,
            audio,
            queue: VecDeque::new(),
            last_pts_s: 0.0,
            eof: false,
            is_file: !is_url || input.starts_with("file:"),
            bytes_read: 0,
            skip: options.skip.clone(),
        })
    }

    /// What the input contains.
    pub fn info(&self) -> &MediaInfo {
        &self.info
    }

    /// The input's name as given to [`MediaInput::open`].
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Bytes of the packets read so far (the input bitrate's numerator).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Media time of the latest item read, for progress reporting.
    pub fn position_s(&self) -> f64 {
        self.last_pts_s
    }

    /// The next decoded item, `Ok(None)` at the end of the input.
    ///
    /// Damage inside the stream is not an error: it comes back as
    /// [`MediaItem::Signal`]s. Errors are reserved for an input that cannot be
    /// read any further or a file that ends well before its declared duration.
    pub fn next_item(&mut self) -> Result<Option<MediaItem>, MediaError> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Ok(Some(item));
            }
            if self.eof {
                return Ok(None);
            }
            self.read_more()?;
        }
    }

    fn read_more(&mut self) -> Result<(), MediaError> {
        let mut packet = Packet::empty();
        let read = packet.read(&mut self.ctx);
        if let Some(reason) = self.watchdog.verdict() {
            // Given up: what a demuxer hands over after the interrupt (the
            // data it had buffered) is not fresh media.
            self.eof = true;
            return Err(MediaError::Read { input: self.name.clone(), at_s: self.last_pts_s, reason });
        }
        match read {
            Ok(()) => {
                self.watchdog.progress();
                self.bytes_read += packet.size() as u64;
                self.decode_packet(&packet);
                Ok(())
            }
            Err(ffmpeg_next::Error::Eof) => {
                self.flush();
                self.eof = true;
                self.check_truncation()
            }
            Err(ffmpeg_next::Error::Other { errno }) if errno == EAGAIN => Ok(()),
            Err(e) => {
                self.flush();
                self.eof = true;
                if self.last_pts_s > 0.0 || !self.queue.is_empty() {
                    // Data was decoded: treat a read failure on a file like the
                    // end of a damaged file and say so through the truncation check.
                    self.check_truncation()?;
                }
                Err(MediaError::Read { input: self.name.clone(), at_s: self.last_pts_s, reason: describe(&e) })
            }
        }
    }

    /// A file whose media stops more than 1 s (and 5%) short of the duration
    /// its container declares was cut off; reporting its defects as if it were
    /// complete would hide that.
    fn check_truncation(&self) -> Result<(), MediaError> {
        let Some(declared) = self.info.duration_s else { return Ok(()) };
        if !self.is_file || self.info.container == "mpegts" {
            // MPEG-TS durations are estimated from the bitrate, not declared.
            return Ok(());
        }
        let decoded = self.last_pts_s;
        let shortfall = declared - decoded;
        if shortfall > 1.0 && shortfall > 0.05 * declared {
            return Err(MediaError::Truncated { input: self.name.clone(), decoded_s: decoded, declared_s: declared });
        }
        Ok(())
    }

    fn decode_packet(&mut self, packet: &Packet) {
        let index = packet.stream();
        if self.video.as_ref().is_some_and(|v| v.index == index) {
            let tb = self.video.as_ref().map(|v| v.time_base).unwrap_or(Rational(1, 1));
            if packet.is_corrupt() {
                let pts = packet.pts().or(packet.dts()).map_or(self.last_pts_s, |t| seconds(t, tb) - self.start_s);
                self.signal(
                    SignalKind::CorruptPacket,
                    StreamKind::Video,
                    pts,
                    "demuxer flagged a corrupt video packet",
                );
            }
            self.apply_skip(packet);
            let result = self.video.as_mut().map(|v| v.decoder.send_packet(packet));
            if let Some(Err(e)) = result {
                self.decode_error(StreamKind::Video, &e);
            }
            self.drain_video();
        } else if self.audio.as_ref().is_some_and(|a| a.index == index) {
            if packet.is_corrupt() {
                self.signal(
                    SignalKind::CorruptPacket,
                    StreamKind::Audio,
                    self.last_pts_s,
                    "demuxer flagged a corrupt audio packet",
                );
            }
            let result = self.audio.as_mut().map(|a| a.decoder.send_packet(packet));
            if let Some(Err(e)) = result {
                self.decode_error(StreamKind::Audio, &e);
            }
            self.drain_audio();
        }
    }

    /// Brings the decoder's skipping in line with the shared setting before
    /// `packet`. Leaving key-only decoding waits for a key packet: the
    /// pictures in between would be predicted from pictures never decoded.
    fn apply_skip(&mut self, packet: &Packet) {
        let (Some(control), Some(v)) = (&self.skip, self.video.as_mut()) else { return };
        let wanted = control.get();
        if wanted == v.skip || (v.skip == PictureSkip::NonKey && !packet.is_key()) {
            return;
        }
        v.decoder.skip_frame(wanted.discard());
        v.skip = wanted;
        if wanted == PictureSkip::Nothing {
            // Pictures decoded before this packet may still come out of the
            // decoder (reordering): their gaps were made on purpose.
            let at = packet.pts().or(packet.dts()).map(|t| seconds(t, v.time_base) - self.start_s);
            v.judged_after_s = at.unwrap_or(self.last_pts_s);
        }
    }

    fn flush(&mut self) {
        if let Some(v) = self.video.as_mut() {
            let _ = v.decoder.send_eof();
        }
        self.drain_video();
        if let Some(held) = self.video.as_mut().and_then(|v| v.held.take()) {
            self.queue.push_back(MediaItem::Video(held));
        }
        if let Some(a) = self.audio.as_mut() {
            let _ = a.decoder.send_eof();
        }
        self.drain_audio();
    }

    fn signal(&mut self, kind: SignalKind, stream: StreamKind, pts_s: f64, detail: &str) {
        self.queue.push_back(MediaItem::Signal(DecoderSignal {
            kind,
            stream,
            pts_s,
            amount: 1.0,
            detail: detail.to_string(),
        }));
    }

    fn decode_error(&mut self, stream: StreamKind, err: &ffmpeg_next::Error) {
        if matches!(err, ffmpeg_next::Error::Eof)
            || matches!(err, ffmpeg_next::Error::Other { errno } if *errno == EAGAIN)
        {
            return;
        }
        let detail = format!("{stream} decoder: {err}");
        self.signal(SignalKind::DecodeError, stream, self.last_pts_s, &detail);
    }

    /// Whether a frame was received; reports a decoder failure as a signal.
    fn received(&mut self, stream: StreamKind, result: Result<bool, ffmpeg_next::Error>) -> bool {
        match result {
            Ok(got) => got,
            Err(e) => {
                self.decode_error(stream, &e);
                false
            }
        }
    }

    fn drain_video(&mut self) {
        loop {
            let Some(v) = self.video.as_mut() else { return };
            let mut decoded = frame::Video::empty();
            let result = receive(&mut v.decoder, &mut decoded);
            if !self.received(StreamKind::Video, result) {
                return;
            }
            let Some(v) = self.video.as_mut() else { return };
            let Some(ts) = decoded.timestamp().or(decoded.pts()) else { continue };
            let pts_s = seconds(ts, v.time_base) - self.start_s;
            let picture = match v.scaler.as_mut() {
                None if has_luma8(decoded.format()) => decoded,
                _ => match convert(v, &decoded) {
                    Some(converted) => converted,
                    None => {
                        let detail = format!("video: cannot convert pixel format {:?}", decoded.format());
                        self.signal(SignalKind::DecodeError, StreamKind::Video, pts_s, &detail);
                        continue;
                    }
                },
            };
            // Skipped pictures leave gaps on purpose: not dropped frames.
            let gap = if v.skipping_at(pts_s) {
                v.timeline.follow(pts_s, v.frame_duration_s);
                None
            } else {
                v.timeline.advance(pts_s, v.frame_duration_s)
            };
            let frame = VideoFrame::new(picture, pts_s, v.frame_duration_s);
            if let Some(sig) = gap {
                self.queue.push_back(MediaItem::Signal(sig));
            }
            self.last_pts_s = self.last_pts_s.max(pts_s);
            self.queue.extend(v.pass(frame).map(MediaItem::Video));
        }
    }

    fn drain_audio(&mut self) {
        loop {
            let Some(a) = self.audio.as_mut() else { return };
            let mut decoded = frame::Audio::empty();
            let result = receive(&mut a.decoder, &mut decoded);
            if !self.received(StreamKind::Audio, result) {
                return;
            }
            let Some(a) = self.audio.as_mut() else { return };
            let Some(ts) = decoded.timestamp().or(decoded.pts()) else { continue };
            let pts_s = seconds(ts, a.time_base) - self.start_s;
            let Some(chunk) = AudioChunk::from_ffmpeg(&decoded, pts_s) else { continue };
            if let Some(sig) = a.timeline.advance(pts_s, chunk.duration_s()) {
                self.queue.push_back(MediaItem::Signal(sig));
            }
            self.last_pts_s = self.last_pts_s.max(pts_s);
            self.queue.push_back(MediaItem::Audio(chunk));
        }
    }
}

/// Converts a frame without an 8-bit luma plane (10-bit, RGB, …) to planar
/// 8-bit YUV (or grey when chroma was not requested). This is the one copy
/// the converter allows itself.
fn convert(v: &mut VideoState, decoded: &frame::Video) -> Option<frame::Video> {
    let target = if v.chroma { format::Pixel::YUV420P } else { format::Pixel::GRAY8 };
    let stale = v.scaler.as_ref().is_none_or(|s| {
        s.input().format != decoded.format()
            || s.input().width != decoded.width()
            || s.input().height != decoded.height()
    });
    if stale {
        v.scaler = software::scaling::Context::get(
            decoded.format(),
            decoded.width(),
            decoded.height(),
            target,
            decoded.width(),
            decoded.height(),
            software::scaling::Flags::POINT,
        )
        .ok();
    }
    let scaler = v.scaler.as_mut()?;
    let mut out = frame::Video::empty();
    scaler.run(decoded, &mut out).ok()?;
    out.set_pts(decoded.pts());
    Some(out)
}

/// Asks a decoder for its next frame: `Ok(true)` with a frame, `Ok(false)`
/// when it needs more input or is drained, `Err` when it failed.
fn receive(decoder: &mut decoder::Opened, frame: &mut frame::Frame) -> Result<bool, ffmpeg_next::Error> {
    match decoder.receive_frame(frame) {
        Ok(()) => Ok(true),
        Err(ffmpeg_next::Error::Eof) => Ok(false),
        Err(ffmpeg_next::Error::Other { errno }) if errno == EAGAIN => Ok(false),
        Err(e) => Err(e),
    }
}

/// Opens the best stream of `kind` with `open` when it is `wanted`; a
/// stream whose decoder cannot be opened is named in `unsupported`, so that
/// an input with no usable stream can say which codecs it has.
fn open_best<T>(
    ctx: &format::context::Input,
    kind: media::Type,
    wanted: bool,
    unsupported: &mut Vec<String>,
    open: impl FnOnce(&format::stream::Stream) -> Result<T, ffmpeg_next::Error>,
) -> Option<T> {
    let stream = ctx.streams().best(kind).filter(|_| wanted)?;
    open(&stream).map_err(|_| unsupported.push(codec_name(&stream))).ok()
}

fn codec_name(stream: &format::stream::Stream) -> String {
    let id = stream.parameters().id();
    format!("{id:?}").to_lowercase()
}

fn decoder_context(
    stream: &format::stream::Stream,
    options: &OpenOptions,
) -> Result<codec::Context, ffmpeg_next::Error> {
    let mut ctx = codec::context::Context::from_parameters(stream.parameters())?;
    let count = if options.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        options.threads
    };
    ctx.set_threading(codec::threading::Config {
        kind: if count > 1 { codec::threading::Type::Frame } else { codec::threading::Type::None },
        count,
        ..Default::default()
    });
    Ok(ctx)
}

fn open_video(stream: &format::stream::Stream, options: &OpenOptions) -> Result<VideoState, ffmpeg_next::Error> {
    let mut ctx = decoder_context(stream, options)?;
    // SAFETY: setting the packet time base on a fresh, not yet opened context.
    unsafe { (*ctx.as_mut_ptr()).pkt_timebase = stream.time_base().into() };
    let decoder = ctx.decoder().video()?;
    let rate = stream.avg_frame_rate();
    let rate = if rate.numerator() > 0 && rate.denominator() > 0 { rate } else { stream.rate() };
    let frame_duration_s = if rate.numerator() > 0 && rate.denominator() > 0 {
        f64::from(rate.denominator()) / f64::from(rate.numerator())
    } else {
        0.04
    };
    Ok(VideoState {
        index: stream.index(),
        decoder,
        time_base: stream.time_base(),
        frame_duration_s,
        timeline: Timeline::new(StreamKind::Video),
        scaler: None,
        chroma: options.chroma,
        skip: PictureSkip::Nothing,
        judged_after_s: f64::NEG_INFINITY,
        held: None,
    })
}

fn open_audio(stream: &format::stream::Stream, options: &OpenOptions) -> Result<AudioState, ffmpeg_next::Error> {
    let mut ctx = decoder_context(stream, options)?;
    // SAFETY: as above.
    unsafe { (*ctx.as_mut_ptr()).pkt_timebase = stream.time_base().into() };
    let decoder = ctx.decoder().audio()?;
    Ok(AudioState {
        index: stream.index(),
        decoder,
        time_base: stream.time_base(),
        timeline: Timeline::new(StreamKind::Audio),
    })
}
