//! `spec`: the file is what its kind must be — format, size, aspect ratio,
//! colour type, file size, transparency. Score: the number of rules broken.

use super::{Check, Evidence, Verdict};
use crate::{ArtworkConfig, Scene};

/// Format and dimension rules per artwork kind.
pub struct Spec;

impl Check for Spec {
    fn name(&self) -> &'static str {
        "spec"
    }

    fn run(&self, scene: &Scene, config: &ArtworkConfig) -> Verdict {
        let art = &scene.artwork;
        let mut evidence = Vec::new();
        let mut rule = |failing: bool, message: String, value: Option<f32>| {
            evidence.push(Evidence { message, region: None, value, failing });
        };
        let Some(kind) = config.kinds.get(&scene.target.kind) else {
            rule(true, format!("unknown artwork kind {:?}", scene.target.kind), None);
            return Verdict::new(self.name(), 1.0, evidence);
        };
        let (w, h) = (art.width(), art.height());
        rule(!["png", "jpg", "webp"].contains(&art.format.as_str()), format!("format {}", art.format), None);
        rule(
            w < kind.min_width || h < kind.min_height,
            format!("{w}×{h} (at least {}×{})", kind.min_width, kind.min_height),
            None,
        );
        let aspect = w as f64 / h as f64;
        rule(
            (aspect / kind.aspect - 1.0).abs() > kind.aspect_tolerance,
            format!("aspect ratio {aspect:.3} ({:.3} expected)", kind.aspect),
            Some(aspect as f32),
        );
        rule(!art.color.ends_with('8') || art.color.starts_with('l'), format!("colour type {}", art.color), None);
        rule(
            art.file_bytes > kind.max_bytes,
            format!("file size {} bytes (at most {})", art.file_bytes, kind.max_bytes),
            Some(art.file_bytes as f32),
        );
        rule(
            art.uses_transparency && !kind.transparency,
            format!("transparency {}", if art.uses_transparency { "used" } else { "none" }),
            None,
        );
        let broken = evidence.iter().filter(|e| e.failing).count();
        Verdict::new(self.name(), broken as f32, evidence)
    }
}
