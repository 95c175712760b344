//! Labelled corpora: real and synthetic clips with defects injected at
//! known times, for `showrunner eval vqa`.
//!
//! A corpus directory holds the clips, `labels.json`
//! (`{clip: [{type, start_s, end_s, params}]}`) and `corpus.json` (the seed,
//! each clip's role — clean, hard negative or with defects — its source and
//! its hard negatives). The same seed always plans the same corpus.

pub mod damage;
pub mod labels;
pub mod plan;
pub mod render;

use std::path::{Path, PathBuf};
use std::process::Command;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use self::damage::damage_ts;
use self::labels::{write_json, ClipInfo, Label, Labels, Manifest, Role};
use self::plan::{plan_clip, ClipPlan, HardNegative, Injection, Source};
use self::render::{ffmpeg_args, Samples};

/// Why a corpus could not be built or read.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// A file could not be read or written.
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    /// A file's contents are not what was expected.
    #[error("{0}: {1}")]
    Invalid(String, String),
    /// The `ffmpeg` CLI is missing or failed.
    #[error("ffmpeg failed on {clip}: {message}")]
    Ffmpeg {
        /// The clip being rendered.
        clip: String,
        /// What ffmpeg said.
        message: String,
    },
    /// A sample clip the plan needs is missing.
    #[error("sample clip {0} not found: run `make samples` (or pass --samples DIR with bigbuckbunny.mp4, bikes.mp4, carphone_pristine.mp4)")]
    MissingSample(PathBuf),
}

/// Builds a corpus of `clips` clips planned from `seed` into `out`, using
/// the real sample clips in `samples`. `progress` is told each clip's name
/// before it is rendered.
pub fn make_corpus(
    out: &Path,
    seed: u64,
    clips: usize,
    samples: &Path,
    mut progress: impl FnMut(usize, &str),
) -> Result<Manifest, CorpusError> {
    for file in ["bigbuckbunny.mp4", "bikes.mp4", "carphone_pristine.mp4"] {
        if !samples.join(file).is_file() {
            return Err(CorpusError::MissingSample(samples.join(file)));
        }
    }
    std::fs::create_dir_all(out).map_err(|e| CorpusError::Io(out.display().to_string(), e))?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let plans: Vec<ClipPlan> = (0..clips).map(|i| plan_clip(i, &mut rng)).collect();
    let mut labels = Labels::new();
    let mut manifest =
        Manifest { seed, generator: format!("showrunner {}", env!("CARGO_PKG_VERSION")), clips: Default::default() };
    for (i, plan) in plans.iter().enumerate() {
        progress(i, &plan.name);
        let clip_labels = render_clip(plan, samples, out, &mut rng)?;
        labels.insert(plan.name.clone(), clip_labels);
        manifest.clips.insert(plan.name.clone(), clip_info(plan));
        // Written after every clip so an interrupted run leaves a usable corpus.
        write_json(&out.join("labels.json"), &labels)?;
        write_json(&out.join("corpus.json"), &manifest)?;
    }
    Ok(manifest)
}

/// The fixed clips `make demo` shows: 24 s of Big Buck Bunny with a
/// freeze, a black segment, an audio dropout, bitstream damage and clipping;
/// and 30 s of a lip-sync test programme with the sound 240 ms late.
pub fn demo_plans() -> Vec<ClipPlan> {
    let flashes = (0..18).map(|i| f64::from(i) * 1.64 + 0.6).map(|t| (t * 25.0).round() / 25.0).collect();
    vec![
        demo_defects(),
        ClipPlan {
            name: "demo-lipsync.mp4".into(),
            source: Source::SyncPattern(flashes),
            duration_s: 30.0,
            role: Role::Defects,
            injections: vec![Injection::Desync { start_s: 0.0, end_s: 30.0, offset_ms: 240.0, whole: true }],
            hard_negatives: vec![],
        },
    ]
}

fn demo_defects() -> ClipPlan {
    ClipPlan {
        name: "demo-defects.ts".into(),
        source: Source::BigBuckBunny,
        duration_s: 24.0,
        role: Role::Defects,
        injections: vec![
            Injection::Freeze { start_s: 3.0, end_s: 5.0 },
            Injection::Black { start_s: 7.0, end_s: 8.5 },
            Injection::Silence { start_s: 10.0, end_s: 11.5 },
            Injection::BlockCorruption { start_s: 14.0, end_s: 15.0, mode: damage::DamageMode::Bitflip, rate: 0.08 },
            Injection::Clipping { start_s: 18.0, end_s: 20.0, gain_db: 24.0 },
        ],
        hard_negatives: vec![HardNegative::FadeThroughBlack { at_s: 21.5 }],
    }
}

/// Renders one planned clip into `dir` and returns its labels.
pub fn render_clip(
    plan: &ClipPlan,
    samples: &Path,
    dir: &Path,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<Label>, CorpusError> {
    let path = dir.join(&plan.name);
    let args = ffmpeg_args(plan, &Samples(samples), &path);
    let output = Command::new("ffmpeg").args(&args).output().map_err(|e| CorpusError::Ffmpeg {
        clip: plan.name.clone(),
        message: format!("cannot run ffmpeg: {e} (run `make deps`)"),
    })?;
    if !output.status.success() {
        let message = String::from_utf8_lossy(&output.stderr).trim().to_string();
        return Err(CorpusError::Ffmpeg { clip: plan.name.clone(), message });
    }
    let mut labels = Vec::new();
    for inj in &plan.injections {
        let (start_s, end_s) = inj.range();
        let mut params = serde_json::Map::new();
        match *inj {
            Injection::BlockCorruption { mode, rate, .. } => {
                let data = std::fs::read(&path).map_err(|e| CorpusError::Io(path.display().to_string(), e))?;
                let (damaged, packets) = damage_ts(&data, &[(start_s, end_s)], rate, mode, rng)
                    .map_err(|m| CorpusError::Invalid(path.display().to_string(), m))?;
                std::fs::write(&path, damaged).map_err(|e| CorpusError::Io(path.display().to_string(), e))?;
                params.insert("mode".into(), mode.name().into());
                params.insert("rate".into(), rate.into());
                params.insert("packets".into(), packets.into());
            }
            Injection::Clipping { gain_db, .. } => {
                params.insert("gain_db".into(), gain_db.into());
            }
            Injection::Desync { offset_ms, whole, .. } => {
                params.insert("offset_ms".into(), offset_ms.into());
                params.insert("whole_clip".into(), whole.into());
            }
            _ => {}
        }
        labels.push(Label { kind: inj.kind(), start_s, end_s, params: params.into_iter().collect() });
    }
    Ok(labels)
}

/// The manifest entry of a plan.
pub fn clip_info(plan: &ClipPlan) -> ClipInfo {
    ClipInfo {
        role: plan.role,
        source: plan.source.name().to_string(),
        duration_s: plan.duration_s,
        hard_negatives: plan.hard_negatives.iter().map(HardNegative::describe).collect(),
    }
}
