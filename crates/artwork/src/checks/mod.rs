//! The checks, one module each behind [`Check`]. Each looks at a [`Scene`]
//! and returns a [`Verdict`]: pass or fail, a score, and the evidence
//! (regions and measured values) an engineer needs to see why.

mod colour_blind;
mod legibility;
mod localization;
mod mature_content;
mod pixelation;
mod safe_zone;
mod spec;

pub use pixelation::{measure as measure_pixelation, PixelationMeasures};

use serde::{Deserialize, Serialize};
use showrunner_vision::Rect;

use crate::{ArtworkConfig, Scene};

/// One check of one defect type.
pub trait Check: Sync {
    /// The defect type it checks (`safe_zone`), as used in labels.
    fn name(&self) -> &'static str;
    /// Checks `scene` with `config`'s thresholds.
    fn run(&self, scene: &Scene, config: &ArtworkConfig) -> Verdict;
}

/// One thing a check measured or found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// What it is, in words (`"Coming Soon" cut by square_tile`).
    pub message: String,
    /// Where, in image pixels, when it has a place.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Rect>,
    /// The measured value, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f32>,
    /// Whether this item is a reason for failing.
    pub failing: bool,
}

/// A check's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The defect type.
    pub check: String,
    /// True when the defect is absent.
    pub pass: bool,
    /// The check's key measure (documented per check), for tuning and ranking.
    pub score: f32,
    /// What was measured and where.
    pub evidence: Vec<Evidence>,
}

impl Verdict {
    /// A verdict that fails when any evidence is failing.
    pub(crate) fn new(check: &str, score: f32, evidence: Vec<Evidence>) -> Verdict {
        let pass = !evidence.iter().any(|e| e.failing);
        Verdict { check: check.to_owned(), pass, score, evidence }
    }
}

/// Every check, in report order.
pub fn all() -> Vec<Box<dyn Check>> {
    vec![
        Box::new(spec::Spec),
        Box::new(safe_zone::SafeZone),
        Box::new(legibility::Legibility),
        Box::new(colour_blind::ColourBlind),
        Box::new(pixelation::Pixelation),
        Box::new(localization::Localization),
        Box::new(mature_content::MatureContent),
    ]
}

/// The defect types, in report order.
pub fn names() -> Vec<&'static str> {
    all().iter().map(|c| c.name()).collect()
}

/// Runs every check on `scene`, in parallel.
pub fn run_all(scene: &Scene, config: &ArtworkConfig) -> Vec<Verdict> {
    let checks = all();
    std::thread::scope(|s| {
        let running: Vec<_> = checks.iter().map(|c| s.spawn(move || c.run(scene, config))).collect();
        running.into_iter().map(|h| h.join().expect("a check panicked")).collect()
    })
}

/// The text lines a check considers: confidently detected ones.
fn text_lines<'a>(
    scene: &'a Scene,
    config: &'a ArtworkConfig,
) -> impl Iterator<Item = &'a showrunner_vision::TextLine> {
    scene.lines.iter().filter(move |l| l.detection_score >= config.safe_zone.text_score)
}

/// How a text line is named in evidence.
fn quoted(text: &str) -> String {
    if text.is_empty() {
        "unread text".to_owned()
    } else {
        format!("{text:?}")
    }
}
