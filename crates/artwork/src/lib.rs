//! Artwork moderation: checks of partner images against device crops,
//! legibility, colour-blind accessibility, pixelation, language and mature
//! content — and the loop that measures them against ground truth.
//!
//! - [`Artwork`] decodes an upload, refusing bad files with the reason;
//! - [`Scene`] runs the models once per image (PP-OCR, NudeNet);
//! - [`checks`] holds one module per defect type behind one trait;
//! - [`Checker`] ties them together: one image in, one verdict per check out;
//! - [`eval`], [`runs`], [`tune`] and [`html`] are the evaluation loop, and
//!   [`review`] the human one: disputed verdicts become labels.

mod artwork;
pub mod checks;
mod config;
mod contrast;
mod error;
pub mod eval;
pub mod html;
pub mod language;
pub mod llm;
pub mod profiles;
mod restore;
pub mod review;
pub mod runs;
mod scene;
pub mod synth;
pub mod tune;

pub use artwork::{Artwork, MAX_SIDE};
pub use checks::{Check, Evidence, Verdict};
pub use config::{
    ArtworkConfig, ColourBlindConfig, LegibilityConfig, LocalizationConfig, OcrConfig, PixelationConfig, SafeZoneConfig,
};
pub use error::ArtworkError;
pub use scene::{Models, Scene, Target};

use std::time::Instant;

use serde::{Deserialize, Serialize};
use showrunner_vision::{Detection, TextLine};

/// Everything found about one image.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// File or upload name.
    pub name: String,
    /// The artwork kind checked against.
    pub kind: String,
    /// The market's locale.
    pub locale: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// One verdict per check.
    pub verdicts: Vec<Verdict>,
    /// The text read.
    pub lines: Vec<TextLine>,
    /// NudeNet's detections (faces included).
    pub detections: Vec<Detection>,
    /// Time taken, in milliseconds.
    pub elapsed_ms: f64,
    /// What was not done and why (the `llm` check skipped, for one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
}

impl Report {
    /// The defect types that failed.
    pub fn failed(&self) -> Vec<&str> {
        self.verdicts.iter().filter(|v| !v.pass).map(|v| v.check.as_str()).collect()
    }

    /// The verdict of one check.
    pub fn verdict(&self, check: &str) -> Option<&Verdict> {
        self.verdicts.iter().find(|v| v.check == check)
    }
}

/// The models and the configuration, ready to check images.
pub struct Checker {
    models: Models,
    /// The thresholds and profiles in use.
    pub config: ArtworkConfig,
}

impl Checker {
    /// A checker with loaded models.
    pub fn new(models: Models, config: ArtworkConfig) -> Checker {
        Checker { models, config }
    }

    /// Runs the models and every check on `artwork`.
    pub fn check(&self, artwork: Artwork, target: Target) -> Result<Report, ArtworkError> {
        let started = Instant::now();
        let scene = self.scene(artwork, target)?;
        Ok(report(&scene, &self.config, started))
    }

    /// Runs the models only: the scene every check looks at. Tuning keeps
    /// scenes and re-runs the checks with other thresholds.
    pub fn scene(&self, artwork: Artwork, target: Target) -> Result<Scene, ArtworkError> {
        Scene::build(&self.models, artwork, target, &self.config)
    }
}

/// Runs every check on an already built scene with `config`'s thresholds.
pub fn report(scene: &Scene, config: &ArtworkConfig, started: Instant) -> Report {
    let mut verdicts = checks::run_all(scene, config);
    let mut notices = Vec::new();
    match &config.llm {
        Some(llm) => verdicts.extend(llm::run(scene, config, llm)),
        None => notices.push("llm check skipped: no [llm] endpoint configured".to_owned()),
    }
    if config.ocr.restores(&scene.pixelation) {
        notices.push(format!(
            "text read from a de-pixelated copy: {} px blocks, blockiness {:.1}",
            scene.pixelation.period, scene.pixelation.blockiness
        ));
    }
    Report {
        name: scene.artwork.name.clone(),
        kind: scene.target.kind.clone(),
        locale: scene.target.locale.clone(),
        width: scene.artwork.width(),
        height: scene.artwork.height(),
        verdicts,
        lines: scene.lines.clone(),
        detections: scene.detections.clone(),
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        notices,
    }
}
