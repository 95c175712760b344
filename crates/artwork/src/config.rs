//! The artwork configuration: kinds, device profiles and every check's
//! thresholds. One TOML file; every key optional with the default shown
//! by `showrunner artwork config`. Its version is a hash of its content, so
//! an evaluation run names exactly the thresholds it used.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::checks::PixelationMeasures;
use crate::llm::LlmConfig;
use crate::profiles::{default_kinds, default_profiles, DeviceProfile, KindSpec};
use crate::ArtworkError;

/// Everything the checks are configured with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ArtworkConfig {
    /// Artwork kinds by name.
    pub kinds: BTreeMap<String, KindSpec>,
    /// Device crop profiles.
    pub profiles: Vec<DeviceProfile>,
    /// `safe_zone` thresholds.
    pub safe_zone: SafeZoneConfig,
    /// `legibility` thresholds (its text measurement, not its thresholds, is shared with `colour_blind`).
    pub legibility: LegibilityConfig,
    /// `colour_blind` thresholds.
    pub colour_blind: ColourBlindConfig,
    /// `pixelation` thresholds.
    pub pixelation: PixelationConfig,
    /// `localization` thresholds.
    pub localization: LocalizationConfig,
    /// `mature_content` thresholds.
    pub mature_content: MatureConfig,
    /// Text detection.
    pub ocr: OcrConfig,
    /// The optional multimodal-model check; skipped when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llm: Option<LlmConfig>,
}

impl Default for ArtworkConfig {
    fn default() -> Self {
        ArtworkConfig {
            kinds: default_kinds().into_iter().collect(),
            profiles: default_profiles(),
            safe_zone: SafeZoneConfig::default(),
            legibility: LegibilityConfig::default(),
            colour_blind: ColourBlindConfig::default(),
            pixelation: PixelationConfig::default(),
            localization: LocalizationConfig::default(),
            mature_content: MatureConfig::default(),
            ocr: OcrConfig::default(),
            llm: None,
        }
    }
}

/// `safe_zone`: what counts as cut or covered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SafeZoneConfig {
    /// An element is cut when less than this share of its area is inside a crop.
    pub min_inside: f32,
    /// An element is covered when more than this share of its area is under an overlay.
    pub max_covered: f32,
    /// Faces (from NudeNet) count as elements when their score is at least this.
    pub face_score: f32,
    /// Text lines count when their detection score is at least this.
    pub text_score: f32,
}

impl Default for SafeZoneConfig {
    fn default() -> Self {
        SafeZoneConfig { min_inside: 0.97, max_covered: 0.1, face_score: 0.5, text_score: 0.6 }
    }
}

/// `legibility`: WCAG contrast and rendered size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LegibilityConfig {
    /// Contrast ratio small text needs (WCAG AA: 4.5).
    pub small_text_ratio: f32,
    /// Contrast ratio large text needs (WCAG AA: 3).
    pub large_text_ratio: f32,
    /// Rendered line height, in device pixels, from which text is large.
    pub large_text_px: f32,
    /// Smallest rendered line height, in device pixels, on the smallest profile.
    pub min_text_px: f32,
    /// Share of a text box's pixels taken as glyph pixels (the ones most
    /// unlike the box's border).
    pub glyph_share: f32,
    /// Width, in line heights, of the windows a text line's contrast is
    /// measured in; the line counts as its weakest window, because a title
    /// across a dark and a light area is only as legible as its weakest part.
    pub window: f32,
}

impl Default for LegibilityConfig {
    fn default() -> Self {
        LegibilityConfig {
            small_text_ratio: 4.5,
            large_text_ratio: 3.0,
            large_text_px: 24.0,
            min_text_px: 10.0,
            glyph_share: 0.06,
            window: 1.5,
        }
    }
}

/// `colour_blind`: the WCAG ratios text must keep under each simulated
/// colour-vision deficiency. Its own copy of every threshold; the text and
/// background colours are measured as `legibility` measures them (its
/// `glyph_share` and `window`), so tuning those two moves this check too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ColourBlindConfig {
    /// Contrast ratio small text needs (WCAG AA: 4.5).
    pub small_text_ratio: f32,
    /// Contrast ratio large text needs (WCAG AA: 3).
    pub large_text_ratio: f32,
    /// Rendered line height, in device pixels, from which text is large.
    pub large_text_px: f32,
}

impl Default for ColourBlindConfig {
    fn default() -> Self {
        ColourBlindConfig { small_text_ratio: 4.5, large_text_ratio: 3.0, large_text_px: 24.0 }
    }
}

/// `pixelation`: the four degradations' measures and where each fails.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PixelationConfig {
    /// Blockiness (edge energy on a block grid over the rest) above which
    /// the image is pixelated or heavily compressed.
    pub max_blockiness: f32,
    /// Fine-detail ratio (1-pixel over 2-pixel differences, in textured
    /// areas) below which the image is blurred or upscaled.
    pub min_detail: f32,
}

impl Default for PixelationConfig {
    fn default() -> Self {
        PixelationConfig { max_blockiness: 2.0, min_detail: 0.515 }
    }
}

/// `localization`: when text counts as in the wrong language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocalizationConfig {
    /// Lines read with less confidence are not judged.
    pub min_confidence: f32,
    /// Fewer letters than this (over all lines) and nothing is judged.
    pub min_letters: usize,
    /// The wrong language must beat the locale's by this log-likelihood
    /// margin per letter to fail.
    pub margin: f32,
}

impl Default for LocalizationConfig {
    fn default() -> Self {
        LocalizationConfig { min_confidence: 0.7, min_letters: 6, margin: 0.35 }
    }
}

/// `mature_content`: NudeNet score thresholds per audience rating.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatureConfig {
    /// The audience rating checked against when none is given.
    pub rating: String,
    /// Per rating: label → score from which it fails.
    pub ratings: BTreeMap<String, BTreeMap<String, f32>>,
}

impl Default for MatureConfig {
    fn default() -> Self {
        let explicit = ["FEMALE_GENITALIA_EXPOSED", "MALE_GENITALIA_EXPOSED", "ANUS_EXPOSED"];
        let nudity = ["FEMALE_BREAST_EXPOSED", "BUTTOCKS_EXPOSED"];
        let skin = ["BELLY_EXPOSED", "MALE_BREAST_EXPOSED", "ARMPITS_EXPOSED"];
        let with = |labels: &[&[&str]], score: f32| -> BTreeMap<String, f32> {
            labels.iter().flat_map(|l| l.iter()).map(|l| (l.to_string(), score)).collect()
        };
        let ratings = [
            ("kids".to_owned(), with(&[&explicit, &nudity, &skin], 0.4)),
            ("general".to_owned(), with(&[&explicit, &nudity], 0.5)),
            ("adult".to_owned(), with(&[&explicit], 0.6)),
        ];
        MatureConfig { rating: "general".into(), ratings: ratings.into_iter().collect() }
    }
}

/// Text detection settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OcrConfig {
    /// The longer side of the picture the text detector sees. Detection
    /// costs grow with its square: 800 keeps a 1920×1080 image under a
    /// second on one core (`showrunner bench artwork`); 960 finds slightly
    /// smaller text for about 0.3 s more.
    pub max_side: u32,
    /// Blockiness (see `pixelation`) above which text is read from a
    /// de-pixelated copy of the picture, whose letters the OCR networks
    /// find and read far better than block-drawn ones. Blocks drawn by
    /// enlarging a small picture are flat, so their grid dominates every
    /// step (blockiness 10–50); JPEG blocks keep detail inside (2–5), and
    /// averaging them away would blur legible text. The default, 6, sits
    /// in the gap between the two.
    pub restore_blockiness: f32,
}

impl Default for OcrConfig {
    fn default() -> Self {
        OcrConfig { max_side: 800, restore_blockiness: 6.0 }
    }
}

impl OcrConfig {
    /// Whether text is read from a de-pixelated copy of a picture with
    /// these measures.
    pub fn restores(&self, pixelation: &PixelationMeasures) -> bool {
        pixelation.period > 0 && pixelation.blockiness > self.restore_blockiness
    }
}

impl ArtworkConfig {
    /// Reads a TOML file; unknown keys and bad values are errors naming the file.
    pub fn load(path: &Path) -> Result<ArtworkConfig, ArtworkError> {
        let text = std::fs::read_to_string(path).map_err(|e| ArtworkError::io(path, e))?;
        let config: ArtworkConfig =
            toml::from_str(&text).map_err(|e| ArtworkError::invalid(path.display(), e.to_string()))?;
        config.validate().map_err(|reason| ArtworkError::invalid(path.display(), reason))?;
        Ok(config)
    }

    /// The configuration as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("the configuration serialises")
    }

    /// A short hash of the content: equal configurations have equal versions.
    pub fn version(&self) -> String {
        let json = serde_json::to_string(self).expect("the configuration serialises");
        let hash = json.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
        format!("{:012x}", hash >> 16)
    }

    /// Whether artwork of `kind` must carry a title (false for an unknown kind,
    /// which `spec` reports).
    pub fn title_required(&self, kind: &str) -> bool {
        self.kinds.get(kind).is_some_and(|k| k.title_required)
    }

    /// The device profiles that show `kind`.
    pub fn profiles_for<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a DeviceProfile> {
        self.profiles.iter().filter(move |p| p.kinds.iter().any(|k| k == kind))
    }

    fn validate(&self) -> Result<(), String> {
        for p in &self.profiles {
            if !(p.aspect > 0.0 && p.display_width > 0.0) {
                return Err(format!("profile {}: aspect and display_width must be positive", p.name));
            }
            if let Some(k) = p.kinds.iter().find(|k| !self.kinds.contains_key(*k)) {
                return Err(format!("profile {}: unknown kind {k:?}", p.name));
            }
            for o in &p.overlays {
                let inside = |v: f32| (0.0..=1.0).contains(&v);
                if !(inside(o.x) && inside(o.y) && inside(o.x + o.w) && inside(o.y + o.h)) {
                    return Err(format!("profile {}: overlay {} must lie within 0–1 of the crop", p.name, o.name));
                }
            }
        }
        if let Some(llm) = &self.llm {
            if !(llm.endpoint.starts_with("http://") || llm.endpoint.starts_with("https://")) {
                return Err(format!("llm.endpoint {:?}: an http(s) chat-completions URL is needed", llm.endpoint));
            }
            if let Some(d) = llm.defects.iter().find(|d| !llm.prompts.contains_key(*d)) {
                return Err(format!("llm.defects: {d:?} has no prompt in [llm.prompts]"));
            }
            if !(llm.timeout_s > 0.0 && llm.max_side >= 64) {
                return Err("llm: timeout_s must be positive and max_side at least 64".into());
            }
        }
        if !(self.ocr.max_side >= 32 && self.ocr.restore_blockiness.is_finite() && self.ocr.restore_blockiness >= 1.0) {
            return Err("ocr: max_side must be at least 32 and restore_blockiness a number ≥ 1".into());
        }
        let legibility = &self.legibility;
        if !(legibility.window >= 0.5 && legibility.glyph_share > 0.0 && legibility.glyph_share <= 1.0) {
            return Err("legibility: window must be at least 0.5 line heights and glyph_share in (0, 1]".into());
        }
        if !self.mature_content.ratings.contains_key(&self.mature_content.rating) {
            return Err(format!("mature_content.rating {:?} has no thresholds", self.mature_content.rating));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_round_trip_and_versions_follow_content() {
        let config = ArtworkConfig::default();
        let back: ArtworkConfig = toml::from_str(&config.to_toml()).unwrap();
        assert_eq!(back, config);
        assert_eq!(back.version(), config.version());
        let mut tuned = config.clone();
        tuned.pixelation.min_detail = 0.5;
        assert_ne!(tuned.version(), config.version());
    }

    #[test]
    fn bad_files_are_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("artwork.toml");
        std::fs::write(&path, "[pixelation]\nmax_blockines = 3\n").unwrap();
        let message = ArtworkConfig::load(&path).unwrap_err().to_string();
        assert!(message.contains("unknown field `max_blockines`"), "{message}");
        std::fs::write(
            &path,
            "[[profiles]]\nname = \"x\"\nkinds = [\"billboard\"]\naspect = 1.0\ndisplay_width = 10.0\n",
        )
        .unwrap();
        let message = ArtworkConfig::load(&path).unwrap_err().to_string();
        assert!(message.contains("unknown kind \"billboard\""), "{message}");
        std::fs::write(&path, "[llm]\nendpoint = \"file:///etc/passwd\"\n").unwrap();
        let message = ArtworkConfig::load(&path).unwrap_err().to_string();
        assert!(message.contains("an http(s) chat-completions URL is needed"), "{message}");
        std::fs::write(&path, "[ocr]\nrestore_blockiness = 0.5\n").unwrap();
        let message = ArtworkConfig::load(&path).unwrap_err().to_string();
        assert!(message.contains("restore_blockiness a number ≥ 1"), "{message}");
        std::fs::write(&path, "[legibility]\nwindow = 0.0\n").unwrap();
        let message = ArtworkConfig::load(&path).unwrap_err().to_string();
        assert!(message.contains("window must be at least 0.5 line heights"), "{message}");
    }
}
