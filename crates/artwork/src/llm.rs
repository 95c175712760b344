//! The optional `llm` check: a multimodal model behind an OpenAI-compatible
//! chat-completions endpoint looks at the artwork and answers, per defect
//! type, with a versioned prompt. Its verdicts are named `llm.<defect>`
//! (`llm.safe_zone`) and are scored against the same labels as the
//! built-in checks, so `eval` and `runs compare` show whether it helps.
//! Score: how likely the model says the defect is (its confidence when it
//! finds the defect, one minus it when it does not).
//!
//! Without an `[llm]` section nothing is sent anywhere and the report says
//! the check was skipped. An endpoint that fails or answers nonsense gives a
//! verdict that is not judged (pass, with the reason as evidence), never a
//! made-up one.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::time::Duration;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::{ArtworkConfig, Evidence, Scene, Verdict};

/// The `[llm]` section: where the model is and what to ask it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    /// Chat-completions URL (`https://api.openai.com/v1/chat/completions`,
    /// or a local server's).
    pub endpoint: String,
    /// Model name sent with each request.
    pub model: String,
    /// Environment variable holding the API key (sent as a bearer token
    /// when set); keys never live in the configuration file.
    pub api_key_env: String,
    /// Seconds to wait for one answer.
    pub timeout_s: f32,
    /// Longest side of the picture sent, in pixels.
    pub max_side: u32,
    /// The defect types to ask about.
    pub defects: Vec<String>,
    /// Prompt per defect type; `{kind}`, `{locale}` and `{profiles}` are
    /// filled in. Change the text and the version together: the version is
    /// what runs are compared by.
    pub prompts: BTreeMap<String, Prompt>,
}

/// One versioned prompt template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prompt {
    /// Its version (`safe_zone/v1`).
    pub version: String,
    /// The question.
    pub text: String,
}

impl Default for LlmConfig {
    fn default() -> Self {
        let prompt = |defect: &str, text: &str| {
            (defect.to_owned(), Prompt { version: format!("{defect}/v1"), text: text.to_owned() })
        };
        LlmConfig {
            endpoint: String::new(),
            model: "gpt-4o-mini".into(),
            api_key_env: "OPENAI_API_KEY".into(),
            timeout_s: 30.0,
            max_side: 1024,
            defects: vec!["safe_zone".into(), "legibility".into(), "localization".into()],
            prompts: [
                prompt(
                    "safe_zone",
                    "This is {kind} artwork. Devices crop it to these aspect ratios, centred, and draw their own UI \
                     over parts of it: {profiles}. Is any text, logo or face cut by one of those crops or under one \
                     of those UI areas?",
                ),
                prompt(
                    "legibility",
                    "This is {kind} artwork shown as small as a 240-pixel-wide tile. Is any of its text hard to read \
                     because of low contrast with what is behind it, or because it is too small?",
                ),
                prompt(
                    "colour_blind",
                    "This is {kind} artwork. Would any of its text be hard to read for a viewer with protanopia, \
                     deuteranopia or tritanopia?",
                ),
                prompt(
                    "pixelation",
                    "This is {kind} artwork. Is the picture pixelated, upscaled from a smaller picture, blurred, or \
                     showing heavy JPEG compression artefacts?",
                ),
                prompt(
                    "localization",
                    "This {kind} artwork is for the {locale} market. Is any of its text in a language other than the \
                     one of {locale}?",
                ),
                prompt(
                    "mature_content",
                    "This is {kind} artwork for a general audience. Does it show nudity or sexual content?",
                ),
            ]
            .into_iter()
            .collect(),
        }
    }
}

/// What the model is told about the answer's form.
const SYSTEM: &str = "You review artwork for a streaming service. Answer with one JSON object and nothing else: \
                      {\"defect\": true or false, \"confidence\": 0 to 1, \"reason\": \"one sentence\"}.";

/// The verdict name of `defect` asked of the model.
pub fn verdict_name(defect: &str) -> String {
    format!("llm.{defect}")
}

/// The model's answer to one question.
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Answer {
    defect: bool,
    #[serde(default)]
    confidence: Option<f32>,
    #[serde(default)]
    reason: String,
}

/// Asks the model about every configured defect type, side by side;
/// `artwork` supplies the device profiles the prompts describe.
pub fn run(scene: &Scene, artwork: &ArtworkConfig, config: &LlmConfig) -> Vec<Verdict> {
    let profiles = describe_profiles(scene, artwork);
    let profiles = profiles.as_str();
    let picture = match data_url(scene, config.max_side) {
        Ok(url) => url,
        Err(reason) => return config.defects.iter().map(|d| not_judged(d, "", &reason)).collect(),
    };
    let client = match reqwest::blocking::Client::builder().timeout(Duration::from_secs_f32(config.timeout_s)).build() {
        Ok(c) => c,
        Err(e) => return config.defects.iter().map(|d| not_judged(d, "", &e.to_string())).collect(),
    };
    std::thread::scope(|s| {
        let asking: Vec<_> = config
            .defects
            .iter()
            .map(|defect| {
                let (client, picture) = (&client, &picture);
                s.spawn(move || ask(client, config, scene, defect, picture, profiles))
            })
            .collect();
        asking.into_iter().map(|h| h.join().expect("an llm request thread panicked")).collect()
    })
}

fn ask(
    client: &reqwest::blocking::Client,
    config: &LlmConfig,
    scene: &Scene,
    defect: &str,
    picture: &str,
    profiles: &str,
) -> Verdict {
    let Some(prompt) = config.prompts.get(defect) else {
        return not_judged(defect, "", "no prompt for this defect type in [llm.prompts]");
    };
    let question = prompt
        .text
        .replace("{kind}", &scene.target.kind)
        .replace("{locale}", &scene.target.locale)
        .replace("{profiles}", profiles);
    let body = serde_json::json!({
        "model": config.model,
        "temperature": 0,
        "response_format": {"type": "json_object"},
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": [
                {"type": "text", "text": question},
                {"type": "image_url", "image_url": {"url": picture}},
            ]},
        ],
    });
    let mut request = client.post(&config.endpoint).json(&body);
    if let Ok(key) = std::env::var(&config.api_key_env) {
        request = request.bearer_auth(key);
    }
    match request.send().and_then(|r| r.error_for_status()).and_then(|r| r.json::<serde_json::Value>()) {
        Ok(reply) => match parse_reply(&reply) {
            Ok(answer) => {
                let confidence = answer.confidence.unwrap_or(1.0).clamp(0.0, 1.0);
                let evidence = Evidence {
                    message: format!("{} ({}): {}", config.model, prompt.version, answer.reason),
                    region: None,
                    value: Some(confidence),
                    failing: answer.defect,
                };
                let score = if answer.defect { confidence } else { 1.0 - confidence };
                Verdict::new(&verdict_name(defect), score, vec![evidence])
            }
            Err(reason) => not_judged(defect, &prompt.version, &reason),
        },
        Err(e) => not_judged(defect, &prompt.version, &format!("request to {} failed: {e}", config.endpoint)),
    }
}

/// The answer inside a chat-completions reply: the first choice's content,
/// a JSON object (possibly wrapped in a code fence).
fn parse_reply(reply: &serde_json::Value) -> Result<Answer, String> {
    let content = reply["choices"][0]["message"]["content"]
        .as_str()
        .ok_or_else(|| "the reply has no choices[0].message.content".to_owned())?;
    let start = content.find('{');
    let end = content.rfind('}');
    let json = match (start, end) {
        (Some(a), Some(b)) if a < b => &content[a..=b],
        _ => return Err(format!("the answer is not a JSON object: {content:?}")),
    };
    serde_json::from_str(json).map_err(|e| format!("the answer {json:?} is not {{defect, confidence, reason}}: {e}"))
}

fn not_judged(defect: &str, version: &str, reason: &str) -> Verdict {
    let message =
        if version.is_empty() { format!("not judged: {reason}") } else { format!("not judged ({version}): {reason}") };
    Verdict::new(&verdict_name(defect), 0.0, vec![Evidence { message, region: None, value: None, failing: false }])
}

/// The device crops and overlays that show the scene's kind, in words,
/// for the `llm` check's prompts.
fn describe_profiles(scene: &Scene, config: &ArtworkConfig) -> String {
    let described: Vec<String> = config
        .profiles_for(&scene.target.kind)
        .map(|p| {
            let overlays: Vec<String> = p
                .overlays
                .iter()
                .map(|o| {
                    format!(
                        "{} over x {:.0}–{:.0}%, y {:.0}–{:.0}% of the crop",
                        o.name,
                        o.x * 100.0,
                        (o.x + o.w) * 100.0,
                        o.y * 100.0,
                        (o.y + o.h) * 100.0
                    )
                })
                .collect();
            let overlays = if overlays.is_empty() { String::new() } else { format!(" ({})", overlays.join("; ")) };
            format!("{} {:.2}:1{overlays}", p.name, p.aspect)
        })
        .collect();
    described.join(", ")
}

/// The artwork as a JPEG data URL, its longer side at most `max_side`.
fn data_url(scene: &Scene, max_side: u32) -> Result<String, String> {
    let rgb = &scene.artwork.rgb;
    let scaled;
    let picture = if rgb.width().max(rgb.height()) > max_side {
        let k = max_side as f32 / rgb.width().max(rgb.height()) as f32;
        let (w, h) =
            (((rgb.width() as f32 * k).round() as u32).max(1), ((rgb.height() as f32 * k).round() as u32).max(1));
        scaled = image::imageops::resize(rgb, w, h, image::imageops::FilterType::Triangle);
        &scaled
    } else {
        rgb
    };
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut Cursor::new(&mut bytes), 90)
        .encode_image(picture)
        .map_err(|e| format!("cannot encode the picture: {e}"))?;
    Ok(format!("data:image/jpeg;base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read_or_refused_with_the_reason() {
        let reply = |content: &str| serde_json::json!({"choices": [{"message": {"content": content}}]});
        let answer = parse_reply(&reply("```json\n{\"defect\": true, \"confidence\": 0.8, \"reason\": \"cut\"}\n```"));
        assert_eq!(answer, Ok(Answer { defect: true, confidence: Some(0.8), reason: "cut".into() }));
        assert!(parse_reply(&reply("yes")).unwrap_err().contains("not a JSON object"));
        assert!(parse_reply(&reply("{\"verdict\": 1}")).unwrap_err().contains("is not {defect, confidence, reason}"));
        assert!(parse_reply(&serde_json::json!({"error": "x"})).unwrap_err().contains("no choices"));
    }
}
