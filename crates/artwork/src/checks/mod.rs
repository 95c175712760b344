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

/// The failing evidence when `scene`'s kind must carry a title and no text
/// was found at all; `None` when text was found or none is required.
fn missing_title(scene: &Scene, config: &ArtworkConfig) -> Option<Evidence> {
    let kind = &scene.target.kind;
    (config.title_required(kind) && text_lines(scene, config).next().is_none()).then(|| Evidence {
        message: format!("no text found: a {kind} must carry a legible title"),
        region: None,
        value: None,
        failing: true,
    })
}

/// How a text line is named in evidence.
fn quoted(text: &str) -> String {
    if text.is_empty() {
        "unread text".to_owned()
    } else {
        format!("{text:?}")
    }
}

#[cfg(test)]
mod tests {
    use image::{Rgb, RgbImage};
    use showrunner_vision::TextLine;

    use super::*;
    use crate::{Artwork, Target};

    /// A 400×600 picture of `kind` for a German market with `lines` on it:
    /// black, with white bars where a line is (so its contrast is 21:1).
    fn scene(kind: &str, lines: Vec<TextLine>) -> Scene {
        let mut rgb = RgbImage::from_pixel(400, 600, Rgb([0, 0, 0]));
        for line in &lines {
            for x in (line.rect.x as u32..(line.rect.x + line.rect.w) as u32).step_by(3) {
                for y in line.rect.y as u32 + 4..(line.rect.y + line.rect.h) as u32 - 4 {
                    rgb.put_pixel(x, y, Rgb([255, 255, 255]));
                }
            }
        }
        let target = Target { kind: kind.into(), locale: "de-DE".into(), rating: String::new() };
        Scene::new(Artwork::from_rgb("p.png", rgb), target, lines, Vec::new())
    }

    fn title(text: &str, confidence: f32) -> TextLine {
        let rect = Rect { x: 60.0, y: 250.0, w: 280.0, h: 60.0 };
        TextLine { rect, detection_score: 0.95, text: text.into(), confidence }
    }

    #[test]
    fn a_kind_that_must_carry_a_title_fails_without_a_readable_one() {
        let config = ArtworkConfig::default();
        assert!(config.title_required("poster") && !config.title_required("hero"));

        let untitled = scene("poster", Vec::new());
        let legibility = legibility::Legibility.run(&untitled, &config);
        assert!(!legibility.pass && legibility.score == 1.0, "{legibility:?}");
        assert!(legibility.evidence[0].message.contains("a poster must carry a legible title"), "{legibility:?}");
        let localization = localization::Localization.run(&untitled, &config);
        assert!(!localization.pass, "{localization:?}");
        assert!(localization.evidence[0].message.contains("0 letters read: too few to tell"), "{localization:?}");

        // Read, but not confidently enough to tell its language.
        let unsure = scene("poster", vec![title("Die letzte Grenze", 0.2)]);
        assert!(legibility::Legibility.run(&unsure, &config).pass);
        assert!(!localization::Localization.run(&unsure, &config).pass);

        let titled = scene("poster", vec![title("Die letzte Grenze", 0.95)]);
        assert!(legibility::Legibility.run(&titled, &config).pass);
        let localization = localization::Localization.run(&titled, &config);
        assert!(localization.pass, "{localization:?}");

        // A hero may be textless: no title, no failure.
        let textless = scene("hero", Vec::new());
        assert!(legibility::Legibility.run(&textless, &config).pass);
        assert!(localization::Localization.run(&textless, &config).pass);
    }
}
