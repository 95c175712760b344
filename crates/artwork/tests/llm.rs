//! The `llm` check's client against a local HTTP server that speaks the
//! OpenAI chat-completions protocol: what is sent (model, prompt with its
//! placeholders filled, the picture as a JPEG data URL, the bearer key),
//! how answers, fenced answers and failures come back as verdicts, and how
//! the evaluation scores them against the built-in checks' labels.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use base64::Engine as _;
use image::{Rgb, RgbImage};
use showrunner_artwork::llm::LlmConfig;
use showrunner_artwork::{eval, Artwork, ArtworkConfig, Scene, Target};

/// A request as the server saw it: the Authorization header and the body.
type Seen = Arc<Mutex<Vec<(String, serde_json::Value)>>>;

/// Serves chat completions on a free port: safe_zone → defect, legibility →
/// clean inside a code fence, anything else → HTTP 500.
fn server() -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1/chat/completions", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let log = log.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let (mut length, mut auth) = (0, String::new());
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    let (name, value) = line.split_once(':').unwrap_or((line, ""));
                    match name.to_ascii_lowercase().as_str() {
                        "content-length" => length = value.trim().parse().unwrap(),
                        "authorization" => auth = value.trim().to_owned(),
                        _ => {}
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
                let question = body["messages"][1]["content"][0]["text"].as_str().unwrap_or("").to_owned();
                log.lock().unwrap().push((auth, body));
                let content = if question.contains("cut by one of those crops") {
                    Some(r#"{"defect": true, "confidence": 0.9, "reason": "the title is cut by the square tile"}"#)
                } else if question.contains("hard to read") {
                    Some("```json\n{\"defect\": false, \"confidence\": 0.7, \"reason\": \"clear white title\"}\n```")
                } else {
                    None
                };
                let (status, reply) = match content {
                    Some(c) => {
                        ("200 OK", serde_json::json!({"choices": [{"message": {"role": "assistant", "content": c}}]}))
                    }
                    None => ("500 Internal Server Error", serde_json::json!({"error": {"message": "overloaded"}})),
                };
                let reply = reply.to_string();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                    reply.len()
                );
            });
        }
    });
    (url, seen)
}

fn scene() -> Scene {
    let rgb = RgbImage::from_fn(960, 540, |x, y| Rgb([(x * 255 / 959) as u8, (y * 255 / 539) as u8, 90]));
    let artwork = Artwork::from_rgb("hero.png", rgb);
    let target = Target { kind: "hero".into(), locale: "de-DE".into(), rating: String::new() };
    Scene::new(artwork, target, vec![], vec![])
}

#[test]
fn the_model_is_asked_per_defect_and_its_answers_are_scored_like_any_check() {
    let (endpoint, seen) = server();
    std::env::set_var("SHOWRUNNER_TEST_LLM_KEY", "test-key");
    let llm = LlmConfig {
        endpoint,
        model: "vision-model".into(),
        api_key_env: "SHOWRUNNER_TEST_LLM_KEY".into(),
        max_side: 256,
        ..LlmConfig::default()
    };
    let config = ArtworkConfig { llm: Some(llm), ..ArtworkConfig::default() };
    let report = showrunner_artwork::report(&scene(), &config, Instant::now());
    assert!(report.notices.is_empty(), "{:?}", report.notices);

    let safe_zone = report.verdict("llm.safe_zone").unwrap();
    assert!(!safe_zone.pass && (safe_zone.score - 0.9).abs() < 1e-6, "{safe_zone:?}");
    assert!(safe_zone.evidence[0].message.contains("vision-model (safe_zone/v1): the title is cut"), "{safe_zone:?}");
    let legibility = report.verdict("llm.legibility").unwrap();
    // The score is how likely the defect is: clean with confidence 0.7 is 0.3.
    assert!(legibility.pass && (legibility.score - 0.3).abs() < 1e-6, "{legibility:?}");
    let localization = report.verdict("llm.localization").unwrap();
    assert!(localization.pass, "a failed request judges nothing");
    assert!(localization.evidence[0].message.contains("not judged (localization/v1)"), "{localization:?}");
    assert!(localization.evidence[0].message.contains("500"), "{localization:?}");

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    for (auth, body) in seen.iter() {
        assert_eq!(auth, "Bearer test-key");
        assert_eq!(body["model"], "vision-model");
        let url = body["messages"][1]["content"][1]["image_url"]["url"].as_str().unwrap();
        let jpeg = base64::engine::general_purpose::STANDARD
            .decode(url.strip_prefix("data:image/jpeg;base64,").expect("a JPEG data URL"))
            .unwrap();
        let picture = image::load_from_memory(&jpeg).unwrap();
        assert_eq!((picture.width(), picture.height()), (256, 144));
        let question = body["messages"][1]["content"][0]["text"].as_str().unwrap();
        assert!(!question.contains('{'), "placeholders are filled: {question}");
    }
    let questions: Vec<&str> =
        seen.iter().filter_map(|(_, b)| b["messages"][1]["content"][0]["text"].as_str()).collect();
    assert!(questions.iter().any(|q| q.contains("for the de-DE market")), "{questions:?}");
    assert!(questions.iter().any(|q| q.contains("tv_hero_16x9 1.78:1 (left gradient over x 0–30%")), "{questions:?}");

    // The evaluation scores llm.safe_zone against the safe_zone label.
    let labels = BTreeMap::from([("safe_zone".to_string(), true), ("legibility".to_string(), true)]);
    let outcome = eval::outcome("hero.png", &labels, &report);
    let (label, predicted, _) = outcome.results["llm.safe_zone"];
    assert_eq!((label, predicted), (true, true));
    let (label, predicted, _) = outcome.results["llm.legibility"];
    assert_eq!((label, predicted), (true, false));
    assert!(outcome.results.contains_key("safe_zone"), "the built-in check is scored beside it");
}

#[test]
fn without_an_endpoint_the_check_is_skipped_with_a_notice() {
    let report = showrunner_artwork::report(&scene(), &ArtworkConfig::default(), Instant::now());
    assert_eq!(report.notices, vec!["llm check skipped: no [llm] endpoint configured".to_string()]);
    assert!(report.verdicts.iter().all(|v| !v.check.starts_with("llm.")));
}
