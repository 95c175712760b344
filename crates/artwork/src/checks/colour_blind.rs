//! `colour_blind`: text that is legible with normal colour vision must stay
//! legible with protanopia, deuteranopia and tritanopia (the text and
//! background colours are simulated and the contrast re-checked against
//! this check's own WCAG ratios, so tuning `legibility` leaves it alone).
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
            let needed = if rendered >= config.legibility.large_text_px {
                settings.large_text_ratio
            } else {
                settings.small_text_ratio
            };
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
