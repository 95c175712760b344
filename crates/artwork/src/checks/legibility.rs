//! `legibility`: every line of text contrasts enough with what is behind
//! it (WCAG: 4.5 for small text, 3 for large) and is drawn tall enough on
//! the smallest device, and a kind that must carry a title has some text.
//! Score: the lowest contrast ratio found (21 when there is no text, 1 when
//! a required title is missing).

use super::{missing_title, quoted, text_lines, Check, Evidence, Verdict};
use crate::contrast::{contrast_ratio, weakest_text_and_background};
use image::Rgb;
use showrunner_vision::TextLine;

use crate::{ArtworkConfig, Scene};

/// Contrast and rendered size of text.
pub struct Legibility;

impl Check for Legibility {
    fn name(&self) -> &'static str {
        "legibility"
    }

    fn run(&self, scene: &Scene, config: &ArtworkConfig) -> Verdict {
        if let Some(missing) = missing_title(scene, config) {
            return Verdict::new(self.name(), 1.0, vec![missing]);
        }
        let settings = &config.legibility;
        let mut evidence = Vec::new();
        let mut lowest = 21f32;
        for MeasuredLine { line, text, background, rendered, needed } in measured_lines(scene, config) {
            let ratio = contrast_ratio(text, background);
            lowest = lowest.min(ratio);
            evidence.push(Evidence {
                message: format!("{} contrast {ratio:.2}:1 (needs {needed}:1)", quoted(&line.text)),
                region: Some(line.rect),
                value: Some(ratio),
                failing: ratio < needed,
            });
            evidence.push(Evidence {
                message: format!(
                    "{} {rendered:.1} px tall on the smallest device (at least {})",
                    quoted(&line.text),
                    settings.min_text_px
                ),
                region: Some(line.rect),
                value: Some(rendered),
                failing: rendered < settings.min_text_px,
            });
        }
        Verdict::new(self.name(), lowest, evidence)
    }
}

/// A text line with its measured colours and the contrast it needs.
pub(super) struct MeasuredLine<'a> {
    pub line: &'a TextLine,
    pub text: Rgb<u8>,
    pub background: Rgb<u8>,
    /// Its height on the smallest device, in device pixels.
    pub rendered: f32,
    /// The contrast ratio its rendered size needs.
    pub needed: f32,
}

/// The text lines whose colours could be measured.
pub(super) fn measured_lines<'a>(
    scene: &'a Scene,
    config: &'a ArtworkConfig,
) -> impl Iterator<Item = MeasuredLine<'a>> {
    let settings = &config.legibility;
    let scale = smallest_scale(scene, config);
    text_lines(scene, config).filter_map(move |line| {
        let (text, background) =
            weakest_text_and_background(&scene.artwork.rgb, &line.rect, settings.glyph_share, settings.window)?;
        let rendered = line.rect.h * scale;
        let needed =
            if rendered >= settings.large_text_px { settings.large_text_ratio } else { settings.small_text_ratio };
        Some(MeasuredLine { line, text, background, rendered, needed })
    })
}

/// Device pixels per image pixel on the profile that shows this kind
/// smallest (1 when no profile shows it).
fn smallest_scale(scene: &Scene, config: &ArtworkConfig) -> f32 {
    let (w, h) = (scene.artwork.width(), scene.artwork.height());
    config
        .profiles_for(&scene.target.kind)
        .map(|p| p.display_scale(w, h))
        .fold(None, |m: Option<f32>, s| Some(m.map_or(s, |m| m.min(s))))
        .unwrap_or(1.0)
}
