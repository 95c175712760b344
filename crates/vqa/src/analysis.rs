//! The per-input pipeline: media items in, defect events out.
//!
//! [`Analysis`] owns the shared measurement stages (picture features, audio
//! blocks) and the enabled detectors, and hands each decoded item to them in
//! memory. It is driven item by item, so the same pipeline serves a file
//! (see [`analyze`]) and a live stream.

use std::collections::BTreeMap;

use showrunner_core::{DefectEvent, DefectType, Evidence};
use showrunner_media::{MediaError, MediaInput, MediaItem, OpenOptions};

use crate::audio_blocks::AudioBlocker;
use crate::config::VqaConfig;
use crate::detector::Detector;
use crate::features::FeatureExtractor;

/// What analysing one input produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnalysisReport {
    /// Defects found, ordered by start time.
    pub events: Vec<DefectEvent>,
    /// Whole-input measurements per detector (loudness, A/V offset).
    pub summaries: BTreeMap<DefectType, Evidence>,
    /// Counts of what was decoded.
    pub stats: InputStats,
}

/// Counts of what was decoded from one input.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct InputStats {
    /// Decoded pictures.
    pub video_frames: u64,
    /// Seconds of decoded audio.
    pub audio_s: f64,
    /// Media time of the last item, seconds.
    pub media_s: f64,
    /// Pictures the decoder flagged as damaged.
    pub damaged_frames: u64,
    /// Demuxer/decoder signals (corrupt packets, decode errors, gaps).
    pub signals: u64,
    /// Picture height of the last decoded frame (0 without video).
    pub height: usize,
}

/// The detectors for one input, with their shared measurement stages.
pub struct Analysis {
    features: FeatureExtractor,
    blocks: AudioBlocker,
    detectors: Vec<Box<dyn Detector>>,
    events: Vec<DefectEvent>,
    stats: InputStats,
}

impl Analysis {
    /// A pipeline running the detectors for `enabled` with `config`.
    pub fn new(config: &VqaConfig, enabled: &[DefectType]) -> Self {
        let mut kinds = enabled.to_vec();
        kinds.sort();
        kinds.dedup();
        Analysis {
            features: FeatureExtractor::new(config.black.criteria()),
            blocks: AudioBlocker::new(config.audio_clipping.levels()),
            detectors: kinds.into_iter().map(|k| config.detector(k)).collect(),
            events: Vec::new(),
            stats: InputStats::default(),
        }
    }

    /// Whether any enabled detector looks at pictures.
    pub fn needs_video(&self) -> bool {
        self.detectors.iter().any(|d| d.kind().needs_video())
    }

    /// Whether any enabled detector listens to audio.
    pub fn needs_audio(&self) -> bool {
        self.detectors.iter().any(|d| d.kind().needs_audio())
    }

    /// Feeds one decoded item; returns how many events it closed (they are
    /// at the end of [`Analysis::events`]).
    pub fn push(&mut self, item: MediaItem) -> usize {
        let before = self.events.len();
        match item {
            MediaItem::Video(frame) => {
                self.stats.video_frames += 1;
                self.stats.media_s = self.stats.media_s.max(frame.pts_s);
                self.stats.damaged_frames += u64::from(frame.errors.any());
                self.stats.height = frame.height();
                let f = self.features.measure(frame);
                for d in &mut self.detectors {
                    d.on_frame(&f, &mut self.events);
                }
            }
            MediaItem::Audio(chunk) => {
                self.stats.audio_s += chunk.duration_s();
                self.stats.media_s = self.stats.media_s.max(chunk.pts_s + chunk.duration_s());
                let blocks = self.blocks.push(&chunk);
                for d in &mut self.detectors {
                    d.on_audio(&chunk, &blocks, &mut self.events);
                }
            }
            MediaItem::Signal(signal) => {
                self.stats.signals += 1;
                for d in &mut self.detectors {
                    d.on_signal(&signal, &mut self.events);
                }
            }
        }
        self.events.len() - before
    }

    /// Events closed so far.
    pub fn events(&self) -> &[DefectEvent] {
        &self.events
    }

    /// Takes the events closed so far, so that a pipeline that never ends
    /// (a live stream) does not keep them all.
    pub fn take_events(&mut self) -> Vec<DefectEvent> {
        std::mem::take(&mut self.events)
    }

    /// Defects under way that are already long enough to report: their
    /// type and start (media seconds).
    pub fn confirmed_open(&self) -> Vec<(DefectType, f64)> {
        self.detectors.iter().filter_map(|d| d.confirmed_open().map(|start| (d.kind(), start))).collect()
    }

    /// Counts of what was decoded so far.
    pub fn stats(&self) -> &InputStats {
        &self.stats
    }

    /// Ends the input: closes open events and collects the summaries.
    pub fn finish(mut self) -> AnalysisReport {
        for d in &mut self.detectors {
            d.finish(&mut self.events);
        }
        let summaries = self.detectors.iter().filter_map(|d| d.summary().map(|s| (d.kind(), s))).collect();
        self.events.sort_by(|a, b| a.start_s.total_cmp(&b.start_s).then(a.kind.cmp(&b.kind)));
        AnalysisReport { events: self.events, summaries, stats: self.stats }
    }
}

/// Decodes `input` and runs the enabled detectors over all of it.
///
/// `progress` is called now and then with the media time reached and the
/// input's declared duration (if known), for progress bars.
pub fn analyze(
    input: &str,
    config: &VqaConfig,
    enabled: &[DefectType],
    options: &OpenOptions,
    mut progress: impl FnMut(f64, Option<f64>),
) -> Result<AnalysisReport, MediaError> {
    let mut analysis = Analysis::new(config, enabled);
    let options = OpenOptions { video: analysis.needs_video(), audio: analysis.needs_audio(), ..options.clone() };
    let mut media = MediaInput::open(input, &options)?;
    let duration = media.info().duration_s;
    let mut last_report = 0.0;
    while let Some(item) = media.next_item()? {
        analysis.push(item);
        if media.position_s() - last_report >= 0.5 {
            last_report = media.position_s();
            progress(last_report, duration);
        }
    }
    progress(media.position_s(), duration);
    Ok(analysis.finish())
}
