//! `colour_blind`: text that is legible with normal colour vision must stay
//! legible with protanopia, deuteranopia and tritanopia (the text and
//! background colours, measured as `legibility` measures them, are simulated
//! and the contrast re-checked against this check's own WCAG thresholds).
//! Score: the lowest simulated contrast ratio (21 when there is no text).

use super::legibility::{measured_lines, MeasuredLine};
use super::{quoted, Check, Evidence, Verdict};
use crate::contrast::{contrast_ratio, Deficiency};
use crate::{ArtworkConfig, Scene};

/// Contrast under simulated colour-vision deficiencies.
pub struct ColourBlind;

impl Check for ColourBlind {
    fn name(&self) -> &'static str {
        "colour_blind"
    }

    fn run(&self, scene: &Scene, config: &ArtworkConfig) -> Verdict {
        let settings = &config.colour_blind;
        let mut evidence = Vec::new();
        let mut lowest = 21f32;
        for MeasuredLine { line, text, background, rendered, .. } in measured_lines(scene, config) {
            let needed =
                if rendered >= settings.large_text_px { settings.large_text_ratio } else { settings.small_text_ratio };
            if contrast_ratio(text, background) < needed {
                continue; // illegible for everyone: that is `legibility`'s finding
            }
            for d in Deficiency::ALL {
                let ratio = contrast_ratio(d.simulate(text), d.simulate(background));
                lowest = lowest.min(ratio);
                if ratio < needed {
                    evidence.push(Evidence {
                        message: format!(
                            "{} contrast {ratio:.2}:1 with {} (needs {needed}:1)",
                            quoted(&line.text),
                            d.name()
                        ),
                        region: Some(line.rect),
                        value: Some(ratio),
                        failing: true,
                    });
                }
            }
        }
        Verdict::new(self.name(), lowest, evidence)
    }
}

#[cfg(test)]
mod tests {
    use image::{Rgb, RgbImage};
    use showrunner_vision::{Rect, TextLine};

    use super::*;
    use crate::{Artwork, Target};

    /// Bright red bars (5.3:1 on black, far less for protanopes) in a 16 px
    /// line box on black.
    fn red_on_black() -> Scene {
        let mut rgb = RgbImage::from_pixel(400, 100, Rgb([0, 0, 0]));
        for x in (110..290).step_by(4) {
            for y in 44..52 {
                rgb.put_pixel(x, y, Rgb([255, 0, 0]));
                rgb.put_pixel(x + 1, y, Rgb([255, 0, 0]));
            }
        }
        let rect = Rect { x: 100.0, y: 40.0, w: 200.0, h: 16.0 };
        let line = TextLine { rect, detection_score: 0.95, text: "Rot".into(), confidence: 0.9 };
        Scene::new(
            Artwork::from_rgb("red.png", rgb),
            Target { kind: "unshown".into(), locale: "en-US".into(), rating: String::new() },
            vec![line],
            Vec::new(),
        )
    }

    fn needs(verdict: &Verdict) -> Vec<String> {
        verdict.evidence.iter().map(|e| e.message.rsplit("needs ").next().unwrap().to_owned()).collect()
    }

    #[test]
    fn large_text_is_decided_by_this_checks_own_threshold() {
        let scene = red_on_black();
        let config = ArtworkConfig::default();
        let verdict = ColourBlind.run(&scene, &config);
        assert!(!verdict.pass, "{verdict:?}");
        assert!(!needs(&verdict).is_empty() && needs(&verdict).iter().all(|n| n == "4.5:1)"), "{verdict:?}");

        let mut legibility_tuned = config.clone();
        legibility_tuned.legibility.large_text_px = 12.0;
        assert_eq!(ColourBlind.run(&scene, &legibility_tuned).evidence, verdict.evidence);

        // As large text it needs only 3:1, which it keeps for every deficiency.
        let mut own = config.clone();
        own.colour_blind.large_text_px = 12.0;
        let verdict = ColourBlind.run(&scene, &own);
        assert!(verdict.pass && verdict.score >= 3.0 && verdict.score < 4.5, "{verdict:?}");
    }
}
