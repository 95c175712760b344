//! One stream's pipeline, on its own thread: a reconnecting input, decoded
//! in-process, through the stream's detectors; each defect change is
//! timed in wall-clock UTC and media time, stored, and announced at once.
//!
//! - **Input loss**: when no media arrives for `input_loss_s` (the input
//!   stalled, failed or ended), an `input_loss` defect opens, starting at
//!   the last media; it closes when media flows again. The input's stall
//!   timeout is the same time, so a silent input is given up on and
//!   reopened (with backoff) rather than waited on.
//! - **Thumbnails**: small pictures of the last seconds are kept (one every
//!   0.2 s of media, 320 pixels wide), so a defect confirmed a second after
//!   it began still gets the picture where it began; the latest picture is
//!   encoded every `tile_every_s` for the stream wall.
//! - **Load shedding**: when a stream falls more than `max_lag_s` behind
//!   real time, it is `degraded` and decodes fewer pictures (see
//!   `shedding`) until it catches up to half that — it does not fall
//!   further and further behind. Decoding, not analysis, is what costs.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use showrunner_core::DefectType;
use showrunner_media::ffmpeg_next::frame;
use showrunner_media::{LiveEvent, LiveSource, MediaItem, OpenOptions, PictureSkip, Thumbnailer};
use showrunner_vqa::{DefectChange, LiveAnalysis, VqaConfig};

use crate::shedding::{Lag, Shedding};
use crate::spec::StreamSpec;
use crate::status::{OpenDefect, StreamState, StreamStatus};
use crate::store::{DefectEnd, DefectRecord, LiveStore, NewDefect};

/// The defect type name of a lost input.
pub const INPUT_LOSS: &str = "input_loss";

/// Settings every stream's pipeline shares (`[streams]`).
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineSettings {
    /// Seconds without media before `input_loss` opens.
    pub input_loss_s: f64,
    /// Seconds between stream-wall thumbnails.
    pub tile_every_s: f64,
    /// Seconds behind real time at which a stream sheds load.
    pub max_lag_s: f64,
}

impl Default for PipelineSettings {
    fn default() -> Self {
        PipelineSettings { input_loss_s: 5.0, tile_every_s: 2.0, max_lag_s: 5.0 }
    }
}

/// A defect opening or closing, for the notification sinks.
#[derive(Debug, Clone, PartialEq)]
pub struct DefectNotice {
    /// `true` when it opened, `false` when it closed.
    pub opened: bool,
    /// The stream's name.
    pub stream_name: String,
    /// The defect as known at that moment.
    pub defect: DefectRecord,
}

/// Where notices go.
pub type NoticeFn = Arc<dyn Fn(DefectNotice) + Send + Sync>;

/// What a pipeline shares with the rest of the process.
#[derive(Clone)]
pub struct Shared {
    /// The history.
    pub store: Arc<Mutex<LiveStore>>,
    /// Notices of defects opening and closing.
    pub notify: NoticeFn,
    /// The stream's figures, read by the API.
    pub status: Arc<Mutex<StreamStatus>>,
    /// The latest stream-wall JPEG.
    pub tile: Arc<Mutex<Option<Vec<u8>>>>,
    /// Set to stop the pipeline.
    pub cancel: Arc<AtomicBool>,
}

/// The input's stall timeout runs from the last *packet*, which comes a
/// little after the last decoded item: a stall reported that much short of
/// the input-loss time is the loss.
const LOSS_SLACK_S: f64 = 0.25;

/// Thumbnails kept: 30 × 0.2 s = the last 6 s of media.
const RING: usize = 30;
const RING_EVERY_S: f64 = 0.2;
const THUMB_WIDTH: u32 = 320;

/// The moving figures of one connection.
struct Clock {
    /// When the connection's first media came.
    connected: Instant,
    first_pts: Option<f64>,
    position_s: f64,
    /// (wall, bytes read, pictures) samples over the last seconds.
    samples: VecDeque<(Instant, u64, u64)>,
    pictures: u64,
    lag: Lag,
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// Runs `spec`'s pipeline until `shared.cancel` is set.
pub fn run(spec: StreamSpec, vqa: VqaConfig, settings: PipelineSettings, shared: Shared) {
    let mut p = Pipeline::new(spec, vqa, settings, shared);
    p.run();
}

struct Pipeline {
    spec: StreamSpec,
    vqa: VqaConfig,
    settings: PipelineSettings,
    shared: Shared,
    analysis: Option<LiveAnalysis>,
    /// Announced defects under way, by type.
    open: BTreeMap<DefectType, DefectRecord>,
    /// The input loss under way.
    loss: Option<DefectRecord>,
    last_media: Instant,
    last_media_ms: i64,
    clock: Option<Clock>,
    thumbnailer: Thumbnailer,
    ring: VecDeque<(f64, frame::Video)>,
    last_tile: Option<Instant>,
    /// What the decoder skips.
    shedding: Shedding,
    connected_once: bool,
}

impl Pipeline {
    fn new(spec: StreamSpec, vqa: VqaConfig, settings: PipelineSettings, shared: Shared) -> Self {
        let shedding = Shedding::new(settings.max_lag_s);
        Pipeline {
            spec,
            vqa,
            settings,
            shared,
            analysis: None,
            open: BTreeMap::new(),
            loss: None,
            last_media: Instant::now(),
            last_media_ms: now_ms(),
            clock: None,
            thumbnailer: Thumbnailer::new(THUMB_WIDTH),
            ring: VecDeque::new(),
            last_tile: None,
            shedding,
            connected_once: false,
        }
    }

    fn run(&mut self) {
        let options = OpenOptions {
            // Pictures always: thumbnails, fps and the wall need them.
            video: true,
            audio: self.spec.detectors.iter().any(|d| d.needs_audio()),
            chroma: false,
            threads: 1,
            network_timeout_s: self.settings.input_loss_s,
            cancel: Some(self.shared.cancel.clone()),
            skip: Some(self.shedding.control()),
        };
        let mut source = LiveSource::new(&self.spec.url, options);
        while let Some(event) = source.next_event() {
            match event {
                LiveEvent::Connected(_) => {
                    if self.connected_once {
                        self.status(|s| s.reconnects += 1);
                    }
                    self.connected_once = true;
                    self.analysis = Some(LiveAnalysis::new(&self.vqa, &self.spec.detectors));
                    self.clock = None;
                }
                LiveEvent::Item(item) => self.item(item, source.bytes_read()),
                LiveEvent::Lost { reason, retry_in } => {
                    let (retry, ago) = (retry_in.as_secs_f64(), self.last_media.elapsed().as_secs_f64());
                    if self.loss.is_none() {
                        tracing::warn!(stream = %self.spec.id, "input lost: {reason}; retrying in {retry:.1} s (last media {ago:.1} s ago)");
                    } else {
                        tracing::debug!(stream = %self.spec.id, "still no input: {reason}; retrying in {retry:.1} s");
                    }
                    self.end_connection();
                    let state = if self.loss.is_some() { StreamState::Down } else { StreamState::Reconnecting };
                    self.status(|s| {
                        s.state = state;
                        s.reason = Some(reason);
                        s.fps = 0.0;
                        s.bitrate_kbps = 0.0;
                    });
                }
                LiveEvent::Waiting => {}
            }
            if self.loss.is_none()
                && self.last_media.elapsed().as_secs_f64() + LOSS_SLACK_S >= self.settings.input_loss_s
            {
                self.open_input_loss();
            }
        }
        self.end_connection();
        self.close_input_loss(serde_json::json!({}));
    }

    /// Closes the input loss under way, if any, now.
    fn close_input_loss(&mut self, evidence: serde_json::Value) {
        if let Some(loss) = self.loss.take() {
            self.close(loss, DefectEnd { end_ms: now_ms(), end_pts_s: None, confidence: Some(1.0), evidence });
        }
    }

    fn item(&mut self, item: MediaItem, bytes: u64) {
        let now = Instant::now();
        if self.loss.is_some() {
            let lost_s = now.duration_since(self.last_media).as_secs_f64();
            self.close_input_loss(serde_json::json!({ "duration_s": (lost_s * 1000.0).round() / 1000.0 }));
        }
        self.last_media = now;
        self.last_media_ms = now_ms();
        let pts = match &item {
            MediaItem::Video(f) => Some(f.pts_s),
            MediaItem::Audio(a) => Some(a.pts_s),
            MediaItem::Signal(_) => None,
        };
        let clock = self.clock.get_or_insert_with(|| Clock {
            connected: now,
            first_pts: None,
            position_s: 0.0,
            samples: VecDeque::new(),
            pictures: 0,
            lag: Lag::default(),
        });
        if let Some(pts) = pts {
            let first = *clock.first_pts.get_or_insert(pts);
            clock.position_s = clock.position_s.max(pts);
            let lag = clock.lag.update(now.duration_since(clock.connected).as_secs_f64(), clock.position_s - first);
            self.shedding.update(lag, now);
            self.status(|s| s.lag_s = (lag * 100.0).round() / 100.0);
        }
        let mut damaged = matches!(item, MediaItem::Signal(_));
        if let MediaItem::Video(f) = &item {
            damaged |= f.errors.any();
            self.pictures(f, now, bytes);
        }
        if damaged {
            self.status(|s| s.decode_errors += 1);
        }
        let changes = match self.analysis.as_mut() {
            Some(a) => a.push(item),
            None => Vec::new(),
        };
        self.apply(changes);
    }

    /// Figures, thumbnails and the tile from one picture.
    fn pictures(&mut self, f: &showrunner_media::VideoFrame, now: Instant, bytes: u64) {
        let Some(clock) = self.clock.as_mut() else { return };
        clock.pictures += 1;
        clock.samples.push_back((now, bytes, clock.pictures));
        while clock.samples.front().is_some_and(|(t, _, _)| now.duration_since(*t) > Duration::from_secs(3)) {
            clock.samples.pop_front();
        }
        let (fps, kbps) = match (clock.samples.front(), clock.samples.back()) {
            (Some(a), Some(b)) if b.0 > a.0 => {
                let dt = b.0.duration_since(a.0).as_secs_f64();
                ((b.2 - a.2) as f64 / dt, (b.1.saturating_sub(a.1)) as f64 * 8.0 / 1000.0 / dt)
            }
            _ => (0.0, 0.0),
        };
        let shed = self.shedding.level();
        let (state, reason) = match shed {
            PictureSkip::Nothing => (StreamState::Live, None),
            _ => (
                StreamState::Degraded,
                Some(format!("more than {} s behind real time: {}", self.settings.max_lag_s, shed.describe())),
            ),
        };
        let frame_ms = now_ms();
        self.status(|s| {
            s.state = state;
            s.reason = reason;
            s.fps = (fps * 10.0).round() / 10.0;
            s.bitrate_kbps = kbps.round();
            s.last_frame_ms = Some(frame_ms);
        });
        if self.ring.back().is_none_or(|(t, _)| f.pts_s - t >= RING_EVERY_S || f.pts_s < *t) {
            match self.thumbnailer.scale(f) {
                Ok(small) => {
                    if self.ring.len() == RING {
                        self.ring.pop_front();
                    }
                    self.ring.push_back((f.pts_s, small));
                }
                Err(e) => tracing::debug!(stream = %self.spec.id, "{e}"),
            }
        }
        let tile_due = self.last_tile.is_none_or(|t| now.duration_since(t).as_secs_f64() >= self.settings.tile_every_s);
        if tile_due {
            if let Some(Ok(jpeg)) = self.ring.back().map(|(_, small)| Thumbnailer::jpeg(small)) {
                *lock(&self.shared.tile) = Some(jpeg);
                self.last_tile = Some(now);
            }
        }
    }

    /// Stores and announces what the detectors reported.
    fn apply(&mut self, changes: Vec<DefectChange>) {
        let position = self.clock.as_ref().map_or(0.0, |c| c.position_s);
        let wall = |media_s: f64| now_ms() - ((position - media_s).max(0.0) * 1000.0) as i64;
        for change in changes {
            match change {
                DefectChange::Opened { kind, start_s } => {
                    let jpeg = self.thumbnail_at(start_s);
                    let start_ms = wall(start_s);
                    if let Some(defect) = self.open_defect(kind.as_str(), start_ms, Some(start_s), jpeg.as_deref()) {
                        self.open.insert(kind, defect);
                    }
                }
                DefectChange::Closed(event) => {
                    let Some(defect) = self.open.remove(&event.kind) else { continue };
                    let mut evidence = serde_json::to_value(&event.evidence).unwrap_or_default();
                    if let (Some(offset), Some(map)) = (event.offset_ms, evidence.as_object_mut()) {
                        map.insert("offset_ms".into(), offset.into());
                    }
                    let end = DefectEnd {
                        end_ms: wall(event.end_s),
                        end_pts_s: Some(event.end_s),
                        confidence: Some(event.confidence),
                        evidence,
                    };
                    self.close(defect, end);
                }
            }
        }
    }

    /// The JPEG of the kept picture closest to `media_s`.
    fn thumbnail_at(&self, media_s: f64) -> Option<Vec<u8>> {
        let (_, small) = self.ring.iter().min_by(|a, b| (a.0 - media_s).abs().total_cmp(&(b.0 - media_s).abs()))?;
        Thumbnailer::jpeg(small).ok()
    }

    fn open_input_loss(&mut self) {
        let jpeg = self.ring.back().and_then(|(_, small)| Thumbnailer::jpeg(small).ok());
        self.loss = self.open_defect(INPUT_LOSS, self.last_media_ms, None, jpeg.as_deref());
        let reason = format!("no media for {} s", self.settings.input_loss_s);
        self.status(|s| {
            s.state = StreamState::Down;
            s.reason = Some(reason);
            s.fps = 0.0;
            s.bitrate_kbps = 0.0;
        });
    }

    /// Closes what the detectors have under way (the connection ended).
    fn end_connection(&mut self) {
        if let Some(analysis) = self.analysis.take() {
            let changes = analysis.finish();
            self.apply(changes);
        }
        self.clock = None;
        self.shedding.reset();
    }

    /// Records and announces a confirmed defect; returns it as recorded.
    fn open_defect(
        &mut self,
        kind: &str,
        start_ms: i64,
        start_pts_s: Option<f64>,
        jpeg: Option<&[u8]>,
    ) -> Option<DefectRecord> {
        let confirmed_ms = now_ms();
        let new = NewDefect { stream: &self.spec.id, kind, start_ms, start_pts_s, confirmed_ms, thumbnail: jpeg };
        let id = match lock(&self.shared.store).open_defect(&new) {
            Ok(id) => id,
            Err(e) => {
                tracing::error!(stream = %self.spec.id, "{kind} not recorded: {e}");
                return None;
            }
        };
        let defect = DefectRecord {
            id,
            stream: self.spec.id.clone(),
            kind: kind.to_string(),
            start_ms,
            end_ms: None,
            start_pts_s,
            end_pts_s: None,
            confirmed_ms,
            confidence: None,
            evidence: serde_json::Value::Null,
            has_thumbnail: jpeg.is_some(),
        };
        self.status(|s| {
            *s.defects.entry(kind.to_string()).or_default() += 1;
            s.open_defects.push(OpenDefect { id, kind: kind.to_string(), start_ms });
        });
        (self.shared.notify)(DefectNotice {
            opened: true,
            stream_name: self.spec.name.clone(),
            defect: defect.clone(),
        });
        Some(defect)
    }

    /// Completes `defect` with how it ended, records and announces it.
    fn close(&mut self, mut defect: DefectRecord, end: DefectEnd) {
        if let Err(e) = lock(&self.shared.store).close_defect(defect.id, &end) {
            tracing::error!(stream = %self.spec.id, "{} {}: end not recorded: {e}", defect.kind, defect.id);
        }
        self.status(|s| s.open_defects.retain(|d| d.id != defect.id));
        defect.end_ms = Some(end.end_ms);
        defect.end_pts_s = end.end_pts_s;
        defect.confidence = end.confidence;
        defect.evidence = end.evidence;
        (self.shared.notify)(DefectNotice { opened: false, stream_name: self.spec.name.clone(), defect });
    }

    fn status(&self, f: impl FnOnce(&mut StreamStatus)) {
        f(&mut lock(&self.shared.status));
    }
}

/// Locks `m`, taking the data of a holder that panicked (the figures and
/// the store stay usable).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
