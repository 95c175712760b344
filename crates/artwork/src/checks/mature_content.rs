//! `mature_content`: NudeNet's body-part detections against the thresholds
//! of the audience rating. Score: the highest score among the labels the
//! rating restricts.

use super::{Check, Evidence, Verdict};
use crate::{ArtworkConfig, Scene};

/// Nudity per audience rating.
pub struct MatureContent;

impl Check for MatureContent {
    fn name(&self) -> &'static str {
        "mature_content"
    }

    fn run(&self, scene: &Scene, config: &ArtworkConfig) -> Verdict {
        let settings = &config.mature_content;
        let rating = if scene.target.rating.is_empty() { &settings.rating } else { &scene.target.rating };
        let Some(limits) = settings.ratings.get(rating) else {
            let message = format!("no thresholds for audience rating {rating:?}");
            return Verdict::new(
                self.name(),
                0.0,
                vec![Evidence { message, region: None, value: None, failing: true }],
            );
        };
        let mut evidence = Vec::new();
        let mut highest = 0f32;
        for d in &scene.detections {
            let Some(&limit) = limits.get(&d.label) else { continue };
            highest = highest.max(d.score);
            evidence.push(Evidence {
                message: format!("{} {:.2} (rating {rating} allows below {limit})", d.label, d.score),
                region: Some(d.rect),
                value: Some(d.score),
                failing: d.score >= limit,
            });
        }
        let faces = scene.detections.iter().filter(|d| d.label.starts_with("FACE_")).count();
        evidence.push(Evidence {
            message: format!("{faces} face(s) found"),
            region: None,
            value: None,
            failing: false,
        });
        Verdict::new(self.name(), highest, evidence)
    }
}
