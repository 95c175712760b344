//! Artwork moderation: checks of partner images against device crops,
//! legibility, colour-blind accessibility, pixelation, language and mature
//! content — and the loop that measures them against ground truth.
//!
//! - [`Artwork`] decodes an upload, refusing bad files with the reason;
//! - [`Scene`] runs the models once per image (PP-OCR, NudeNet);
//! - [`checks`] holds one module per defect type behind one trait;
//! - [`Checker`] ties them together: one image in, one verdict per check out.

mod artwork;
pub mod checks;
mod config;
mod contrast;
mod error;
pub mod eval;
pub mod language;
pub mod profiles;
pub mod runs;
mod scene;
pub mod synth;

pub use artwork::{Artwork, MAX_SIDE};
pub use checks::{Check, Evidence, Verdict};
pub use config::{ArtworkConfig, LegibilityConfig, LocalizationConfig, PixelationConfig, SafeZoneConfig};
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
        let scene = Scene::build(&self.models, artwork, target, &self.config)?;
        Ok(self.report(&scene, started))
    }

    fn report(&self, scene: &Scene, started: Instant) -> Report {
        let verdicts = checks::run_all(scene, &self.config);
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
        }
    }
}
