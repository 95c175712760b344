//! `safe_zone`: text and faces must survive every device's crop and stay
//! clear of its UI overlays. Score: the largest share of an element lost
//! (outside a crop or under an overlay), 0 to 1.

use showrunner_vision::Rect;

use super::{quoted, text_lines, Check, Evidence, Verdict};
use crate::{ArtworkConfig, Scene};

/// Crop and overlay collisions per device profile.
pub struct SafeZone;

impl Check for SafeZone {
    fn name(&self) -> &'static str {
        "safe_zone"
    }

    fn run(&self, scene: &Scene, config: &ArtworkConfig) -> Verdict {
        let settings = &config.safe_zone;
        let (width, height) = (scene.artwork.width(), scene.artwork.height());
        let mut elements: Vec<(String, Rect)> =
            text_lines(scene, config).map(|l| (format!("text {}", quoted(&l.text)), l.rect)).collect();
        elements.extend(
            scene
                .detections
                .iter()
                .filter(|d| d.label.starts_with("FACE_") && d.score >= settings.face_score)
                .map(|d| ("face".to_owned(), d.rect)),
        );
        let profiles: Vec<_> = config
            .profiles_for(&scene.target.kind)
            .map(|p| (p, p.crop(width, height), p.overlays(width, height)))
            .collect();
        let mut evidence = Vec::new();
        let mut worst = 0f32;
        for (what, rect) in &elements {
            let area = rect.area().max(1.0);
            for (profile, crop, overlays) in &profiles {
                let inside = rect.intersection(crop).area() / area;
                let covered: f32 = overlays.iter().map(|(_, o)| rect.intersection(o).area()).sum::<f32>() / area;
                let cut = inside < settings.min_inside;
                let under = covered > settings.max_covered;
                worst = worst.max(1.0 - inside).max(covered);
                if cut {
                    evidence.push(Evidence {
                        message: format!("{what} cut by {} ({:.0}% inside)", profile.name, inside * 100.0),
                        region: Some(*rect),
                        value: Some(inside),
                        failing: true,
                    });
                }
                if under {
                    evidence.push(Evidence {
                        message: format!("{what} under the UI of {} ({:.0}% covered)", profile.name, covered * 100.0),
                        region: Some(*rect),
                        value: Some(covered),
                        failing: true,
                    });
                }
            }
        }
        if evidence.is_empty() {
            evidence.push(Evidence {
                message: format!("{} element(s) clear of every crop and overlay", elements.len()),
                region: None,
                value: None,
                failing: false,
            });
        }
        Verdict::new(self.name(), worst, evidence)
    }
}
