//! `localization`: the text is in the market's language. The lines read
//! confidently are joined and ranked by language; the artwork fails when
//! another language beats the locale's by more than the margin, or when its
//! kind must carry a title and too little was read to tell the language (a
//! title nobody can read is not localized). Score: that lead, in
//! log-likelihood per letter (negative when the locale's language is ahead).

use std::sync::OnceLock;

use super::{text_lines, Check, Evidence, Verdict};
use crate::language::LanguageId;
use crate::{ArtworkConfig, Scene};

/// Language of the text against the target locale.
pub struct Localization;

fn language_id() -> &'static LanguageId {
    static ID: OnceLock<LanguageId> = OnceLock::new();
    ID.get_or_init(LanguageId::new)
}

impl Check for Localization {
    fn name(&self) -> &'static str {
        "localization"
    }

    fn run(&self, scene: &Scene, config: &ArtworkConfig) -> Verdict {
        let settings = &config.localization;
        let target = scene.language();
        let id = language_id();
        let note = |message: String, failing: bool| Evidence { message, region: None, value: None, failing };
        if !id.languages().contains(&target.as_str()) {
            let message = format!(
                "locale {:?}: language {target:?} is not one this check knows ({})",
                scene.target.locale,
                id.languages().join(", ")
            );
            return Verdict::new(self.name(), 0.0, vec![note(message, true)]);
        }
        let text: Vec<&str> = text_lines(scene, config)
            .filter(|l| l.confidence >= settings.min_confidence)
            .map(|l| l.text.as_str())
            .collect();
        let joined = text.join(" ");
        let letters = joined.chars().filter(|c| c.is_alphabetic()).count();
        if letters < settings.min_letters {
            let kind = &scene.target.kind;
            let required = config.title_required(kind);
            let message = if required {
                format!("{letters} letters read: too few to tell the language of the title a {kind} must carry")
            } else {
                format!("{letters} letters read: too few to judge")
            };
            return Verdict::new(self.name(), 0.0, vec![note(message, required)]);
        }
        let ranked = id.rank(&joined);
        let score_of = |language: &str| ranked.iter().find(|(l, _)| *l == language).map_or(f64::MIN, |r| r.1);
        let (best, best_score) = ranked[0];
        let lead = (best_score - score_of(&target)) as f32;
        let failing = best != target && lead > settings.margin;
        let message = format!("{joined:?} reads as {best} (locale {}: {target}, lead {lead:.3})", scene.target.locale);
        let region = text_lines(scene, config).next().map(|l| l.rect);
        Verdict::new(self.name(), lead, vec![Evidence { message, region, value: Some(lead), failing }])
    }
}
