//! What the models see in one artwork, computed once and shared by every
//! check: the lines of text, NudeNet's detections (faces included) and the
//! pixelation measures (which also decide whether text is read from a
//! de-pixelated copy).

use std::borrow::Cow;
use std::path::Path;

use showrunner_vision::ocr::DetectOptions;
use showrunner_vision::{Detection, NudeNet, Ocr, TextLine};

use crate::checks::{measure_pixelation, PixelationMeasures};
use crate::restore::depixelate;
use crate::{Artwork, ArtworkConfig, ArtworkError};

/// The loaded models, shared by every image checked.
pub struct Models {
    ocr: Ocr,
    nudenet: NudeNet,
}

impl Models {
    /// Loads PP-OCR and NudeNet from `dir`.
    pub fn load(dir: &Path) -> Result<Models, ArtworkError> {
        Ok(Models { ocr: Ocr::load(dir)?, nudenet: NudeNet::load(dir)? })
    }
}

/// What is being checked, against what.
#[derive(Debug, Clone)]
pub struct Target {
    /// Artwork kind (`hero`, `poster`…), a key of the configuration's kinds.
    pub kind: String,
    /// The market's locale (`de-DE`); its language is what text should be in.
    pub locale: String,
    /// Audience rating for `mature_content` (`kids`, `general`, `adult`);
    /// the configuration's default when empty.
    pub rating: String,
}

/// One artwork with everything the models found in it.
pub struct Scene {
    /// The image.
    pub artwork: Artwork,
    /// What it is checked against.
    pub target: Target,
    /// Text lines, read.
    pub lines: Vec<TextLine>,
    /// NudeNet detections, faces included.
    pub detections: Vec<Detection>,
    /// Blockiness and detail of the picture.
    pub pixelation: PixelationMeasures,
}

impl Scene {
    /// Runs text recognition and NudeNet on `artwork`, side by side; text is
    /// read from a de-pixelated copy when the picture is blocky.
    pub fn build(
        models: &Models,
        artwork: Artwork,
        target: Target,
        config: &ArtworkConfig,
    ) -> Result<Scene, ArtworkError> {
        let options = DetectOptions { max_side: config.ocr.max_side, ..DetectOptions::default() };
        let pixelation = measure_pixelation(&artwork.rgb);
        let read = if config.ocr.restores(&pixelation) {
            Cow::Owned(depixelate(&artwork.rgb, pixelation.period, pixelation.offset))
        } else {
            Cow::Borrowed(&artwork.rgb)
        };
        let (lines, detections) = std::thread::scope(|s| {
            let nudity = s.spawn(|| models.nudenet.detect(&artwork.rgb));
            let lines = models.ocr.read(&read, &options);
            (lines, nudity.join().expect("NudeNet thread panicked"))
        });
        Ok(Scene { lines: lines?, detections: detections?, pixelation, artwork, target })
    }

    /// A scene from text and detections found by other means than
    /// [`Scene::build`] (a test's hand-placed lines, say); the pixelation
    /// measures are taken here.
    pub fn new(artwork: Artwork, target: Target, lines: Vec<TextLine>, detections: Vec<Detection>) -> Scene {
        let pixelation = measure_pixelation(&artwork.rgb);
        Scene { artwork, target, lines, detections, pixelation }
    }

    /// The language part of the target locale (`de` for `de-DE`).
    pub fn language(&self) -> String {
        self.target.locale.split(['-', '_']).next().unwrap_or("").to_lowercase()
    }
}
