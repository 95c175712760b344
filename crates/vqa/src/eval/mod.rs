//! `showrunner eval vqa`: accuracy and speed of the detectors on a labelled
//! corpus, side by side with FFmpeg's detection filters.

pub mod ffmpeg;
pub mod score;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use showrunner_core::{DefectEvent, DefectType};
use showrunner_media::OpenOptions;

use self::score::{score_clip, Counts};
use crate::analysis::analyze;
use crate::config::VqaConfig;
use crate::corpus::labels::{read_json, Labels, Manifest, Role, LABELLED};
use crate::corpus::CorpusError;

/// The defect types the evaluation scores: those a corpus labels.
pub const SCORED: [DefectType; 6] = LABELLED;

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The corpus directory or its JSON files are missing or invalid.
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    /// A clip could not be analysed.
    #[error("{0}")]
    Media(#[from] showrunner_media::MediaError),
    /// The FFmpeg baseline failed.
    #[error("{0}")]
    Baseline(String),
}

/// One tool's results over the corpus.
#[derive(Debug, Clone, Default)]
pub struct ToolResult {
    /// Event-level counts per type.
    pub counts: BTreeMap<DefectType, Counts>,
    /// Events reported on clips whose role is `clean`.
    pub clean_false_events: Vec<(String, DefectEvent)>,
}

impl ToolResult {
    /// Counts summed over `types`.
    pub fn micro(&self, types: &[DefectType]) -> Counts {
        let mut total = Counts::default();
        for t in types {
            if let Some(c) = self.counts.get(t) {
                total.add(*c);
            }
        }
        total
    }
}

/// Wall times of one clip, single-threaded.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ClipTiming {
    /// Picture height (0 without video).
    pub height: usize,
    /// Seconds of media.
    pub media_s: f64,
    /// showrunner, all detectors.
    pub showrunner: Duration,
    /// FFmpeg's filter chain, when the baseline was run.
    pub ffmpeg_filters: Option<Duration>,
    /// FFmpeg decode-only, when the baseline was run.
    pub decode: Option<Duration>,
}

/// Throughput of the three passes over a set of clips, media s per wall s.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Throughput {
    /// Clips in the set.
    pub clips: usize,
    /// Seconds of media in the set.
    pub media_s: f64,
    /// showrunner, all detectors.
    pub showrunner: f64,
    /// FFmpeg's filter chain.
    pub ffmpeg_filters: Option<f64>,
    /// FFmpeg decode-only.
    pub decode: Option<f64>,
}

/// The outcome of an evaluation.
#[derive(Debug, Clone, Default)]
pub struct EvalReport {
    /// showrunner's results.
    pub showrunner: ToolResult,
    /// FFmpeg's filters, when the baseline was run.
    pub ffmpeg: Option<ToolResult>,
    /// Every desync label: (injected offset, reported offset if detected).
    pub desync: Vec<(f64, Option<f64>)>,
    /// Events of types the corpus does not label (e.g. loudness), by clip.
    pub unlabelled_events: Vec<(String, DefectEvent)>,
    /// Per-clip wall times, in corpus order.
    pub timings: Vec<ClipTiming>,
}

impl EvalReport {
    /// Throughput over the clips whose picture height passes `keep`.
    pub fn throughput(&self, keep: impl Fn(usize) -> bool) -> Throughput {
        let clips: Vec<&ClipTiming> = self.timings.iter().filter(|t| keep(t.height)).collect();
        let media_s: f64 = clips.iter().map(|t| t.media_s).sum();
        let speed =
            |walls: Option<Vec<Duration>>| walls.map(|w| media_s / w.iter().sum::<Duration>().as_secs_f64().max(1e-9));
        Throughput {
            clips: clips.len(),
            media_s,
            showrunner: speed(Some(clips.iter().map(|t| t.showrunner).collect())).unwrap_or(0.0),
            ffmpeg_filters: speed(clips.iter().map(|t| t.ffmpeg_filters).collect()),
            decode: speed(clips.iter().map(|t| t.decode).collect()),
        }
    }

    /// Recall of desync labels whose offset magnitude is at least `min_ms`.
    pub fn desync_recall(&self, min_ms: f64) -> Option<f64> {
        let relevant: Vec<_> = self.desync.iter().filter(|(t, _)| t.abs() >= min_ms).collect();
        (!relevant.is_empty())
            .then(|| relevant.iter().filter(|(_, e)| e.is_some()).count() as f64 / relevant.len() as f64)
    }

    /// Median absolute error of the reported offsets of detected desyncs, ms.
    pub fn desync_median_error_ms(&self) -> Option<f64> {
        let mut errors: Vec<f64> = self.desync.iter().filter_map(|(t, e)| e.map(|e| (e - t).abs())).collect();
        errors.sort_by(f64::total_cmp);
        errors.get(errors.len() / 2).copied()
    }
}

/// Evaluates the detectors with `config` on the corpus in `dir`; with
/// `baseline`, also runs FFmpeg's filters and decode-only pass. `progress`
/// gets (step, total steps, clip) before each clip of each pass.
pub fn evaluate(
    dir: &Path,
    config: &VqaConfig,
    baseline: bool,
    mut progress: impl FnMut(usize, usize, &str),
) -> Result<EvalReport, EvalError> {
    let labels: Labels = read_json(&dir.join("labels.json"))?;
    let manifest: Option<Manifest> = read_json(&dir.join("corpus.json")).ok();
    let role = |clip: &str| manifest.as_ref().and_then(|m| m.clips.get(clip)).map(|c| c.role);
    let clips: Vec<(&String, PathBuf)> = labels.keys().map(|k| (k, dir.join(k))).collect();
    for (_, path) in &clips {
        if !path.is_file() {
            return Err(
                CorpusError::Invalid(path.display().to_string(), "listed in labels.json but missing".into()).into()
            );
        }
    }
    let passes = if baseline { 3 } else { 1 };
    let total = clips.len() * passes;
    let mut report = EvalReport::default();
    let options = OpenOptions { threads: 1, ..OpenOptions::default() };

    for (i, (name, path)) in clips.iter().enumerate() {
        progress(i, total, name);
        let started = Instant::now();
        let analysis = analyze(&path.display().to_string(), config, &DefectType::ALL, &options, |_, _| {})?;
        let wall = started.elapsed();
        report.timings.push(ClipTiming {
            height: analysis.stats.height,
            media_s: analysis.stats.media_s,
            showrunner: wall,
            ..ClipTiming::default()
        });
        let clip_labels = &labels[*name];
        let score = score_clip(clip_labels, &analysis.events, &SCORED);
        for (kind, c) in score.counts {
            report.showrunner.counts.entry(kind).or_default().add(c);
        }
        report.desync.extend(score.desync);
        for e in &analysis.events {
            if role(name) == Some(Role::Clean) {
                report.showrunner.clean_false_events.push(((*name).clone(), e.clone()));
            }
            if !SCORED.contains(&e.kind) {
                report.unlabelled_events.push(((*name).clone(), e.clone()));
            }
        }
    }

    if baseline {
        let scratch = std::env::temp_dir().join(format!("showrunner-eval-{}", std::process::id()));
        std::fs::create_dir_all(&scratch).map_err(|e| CorpusError::Io(scratch.display().to_string(), e))?;
        let mut ff = ToolResult::default();
        for (i, (name, path)) in clips.iter().enumerate() {
            progress(clips.len() + i, total, name);
            let (events, wall) = ffmpeg::detect(path, &scratch).map_err(EvalError::Baseline)?;
            report.timings[i].ffmpeg_filters = Some(wall);
            let score = score_clip(&labels[*name], &events, &ffmpeg::COVERED);
            for (kind, c) in score.counts {
                ff.counts.entry(kind).or_default().add(c);
            }
            if role(name) == Some(Role::Clean) {
                ff.clean_false_events.extend(events.into_iter().map(|e| ((*name).clone(), e)));
            }
        }
        for (i, (name, path)) in clips.iter().enumerate() {
            progress(2 * clips.len() + i, total, name);
            report.timings[i].decode = Some(ffmpeg::decode_only(path).map_err(EvalError::Baseline)?);
        }
        let _ = std::fs::remove_dir_all(&scratch);
        report.ffmpeg = Some(ff);
    }
    Ok(report)
}
