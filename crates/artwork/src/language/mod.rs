//! Which language a short text is in: a character trigram model per
//! language, trained at start-up on a paragraph of everyday prose per
//! language (the first articles of the Universal Declaration of Human
//! Rights and ordinary sentences, in `language/*.txt`).
//!
//! Titles are short, so the answer is a ranking with per-letter
//! log-likelihoods rather than a hard label; `localization` asks for a
//! margin before calling text foreign.

use std::collections::HashMap;

/// The languages known, with their training text.
const CORPORA: [(&str, &str); 7] = [
    ("en", include_str!("en.txt")),
    ("de", include_str!("de.txt")),
    ("fr", include_str!("fr.txt")),
    ("es", include_str!("es.txt")),
    ("it", include_str!("it.txt")),
    ("nl", include_str!("nl.txt")),
    ("pt", include_str!("pt.txt")),
];

/// Interpolation weights of trigram, bigram and unigram estimates.
const WEIGHTS: [f64; 3] = [0.6, 0.3, 0.1];
/// Letters assumed for add-one smoothing of unigrams.
const ALPHABET: f64 = 60.0;

struct Model {
    language: &'static str,
    trigrams: HashMap<[char; 3], f64>,
    bigrams: HashMap<[char; 2], f64>,
    unigrams: HashMap<char, f64>,
    total: f64,
}

/// The trained models.
pub struct LanguageId {
    models: Vec<Model>,
}

impl Default for LanguageId {
    fn default() -> Self {
        LanguageId::new()
    }
}

impl LanguageId {
    /// Trains one model per known language.
    pub fn new() -> LanguageId {
        let models = CORPORA
            .iter()
            .map(|(language, text)| {
                let chars = normalise(text);
                let mut model = Model {
                    language,
                    trigrams: HashMap::new(),
                    bigrams: HashMap::new(),
                    unigrams: HashMap::new(),
                    total: chars.len() as f64,
                };
                for w in chars.windows(3) {
                    *model.trigrams.entry([w[0], w[1], w[2]]).or_default() += 1.0;
                }
                for w in chars.windows(2) {
                    *model.bigrams.entry([w[0], w[1]]).or_default() += 1.0;
                }
                for &c in &chars {
                    *model.unigrams.entry(c).or_default() += 1.0;
                }
                model
            })
            .collect();
        LanguageId { models }
    }

    /// The known language codes.
    pub fn languages(&self) -> Vec<&'static str> {
        self.models.iter().map(|m| m.language).collect()
    }

    /// Every language with its mean log-likelihood per letter of `text`,
    /// best first; empty when `text` has no letters.
    pub fn rank(&self, text: &str) -> Vec<(&'static str, f64)> {
        let chars = normalise(text);
        if chars.iter().filter(|c| **c != ' ').count() == 0 {
            return Vec::new();
        }
        let mut ranked: Vec<(&'static str, f64)> = self
            .models
            .iter()
            .map(|m| {
                let sum: f64 = chars.windows(3).map(|w| m.log_p(w[0], w[1], w[2])).sum();
                (m.language, sum / (chars.len() - 2) as f64)
            })
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked
    }
}

impl Model {
    fn log_p(&self, a: char, b: char, c: char) -> f64 {
        let count = |v: Option<&f64>| v.copied().unwrap_or(0.0);
        let pair = count(self.bigrams.get(&[a, b]));
        let single = count(self.unigrams.get(&b));
        let p3 = if pair > 0.0 { count(self.trigrams.get(&[a, b, c])) / pair } else { 0.0 };
        let p2 = if single > 0.0 { count(self.bigrams.get(&[b, c])) / single } else { 0.0 };
        let p1 = (count(self.unigrams.get(&c)) + 1.0) / (self.total + ALPHABET);
        (WEIGHTS[0] * p3 + WEIGHTS[1] * p2 + WEIGHTS[2] * p1).ln()
    }
}

/// Lower-case letters, everything else one space, padded with spaces.
fn normalise(text: &str) -> Vec<char> {
    let mut out = vec![' '];
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = if c.is_alphabetic() { c } else { ' ' };
        if c != ' ' || out.last() != Some(&' ') {
            out.push(c);
        }
    }
    if out.last() != Some(&' ') {
        out.push(' ');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_it_was_not_trained_on_are_placed() {
        let id = LanguageId::new();
        for (title, language) in [
            ("The Last Summer of the Lighthouse Keeper", "en"),
            ("Die Rückkehr der Wölfe", "de"),
            ("Das Geheimnis im Schwarzwald", "de"),
            ("Le Secret de la Montagne", "fr"),
            ("La Noche de los Lobos", "es"),
            ("Il Ritorno del Capitano", "it"),
            ("Het Geheim van de Molen", "nl"),
        ] {
            assert_eq!(id.rank(title)[0].0, language, "{title}: {:?}", id.rank(title));
        }
        assert!(id.rank("2027 !!").is_empty());
    }
}
