//! The artwork API end to end with the real models: an upload is checked
//! and stored, a partner disputes a verdict, the reviewer decides it, and
//! the decision is a label that the next evaluation scores against.
//!
//! Models and photographs come from `scripts/fetch-models.sh` (`make test`).

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use showrunner_artwork::eval::{self, Dataset};
use showrunner_artwork::review::reviewed_dir;
use showrunner_artwork::synth::{synthesize, SynthOptions, FONT_DIR};
use showrunner_artwork::{ArtworkConfig, Checker, Models};
use showrunner_server::artwork::ArtworkSettings;
use showrunner_server::{router, state, ServerConfig, Settings};
use tower::ServiceExt;

const TOKEN: &str = "s3cret";
const BOUNDARY: &str = "----showrunner-test-boundary";

fn cache(dir: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.cache").join(dir)
}

fn app(dir: &std::path::Path, max_body_bytes: usize) -> axum::Router {
    app_with_models(dir, max_body_bytes, cache("models"))
}

fn app_with_models(dir: &std::path::Path, max_body_bytes: usize, models: PathBuf) -> axum::Router {
    let settings = Settings {
        server: ServerConfig { data_dir: dir.to_path_buf(), max_body_bytes, ..ServerConfig::default() },
        artwork: ArtworkSettings { models: Some(models), config: None },
        ..Settings::default()
    };
    router(state(&settings, TOKEN.into()).unwrap(), max_body_bytes)
}

/// A multipart form: (field, file name if a file, content).
fn form(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file, content) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn upload(token: Option<&str>, body: Vec<u8>) -> Request<Body> {
    let mut b =
        Request::post("/v1/artwork").header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"));
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    b.body(Body::from(body)).unwrap()
}

fn post_json(uri: &str, body: serde_json::Value) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::from(body.to_string()))
        .unwrap()
}

async fn call(app: &axum::Router, req: Request<Body>) -> (StatusCode, serde_json::Value) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 8 << 20).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disputed_verdict_is_decided_and_the_next_evaluation_counts_it() {
    let data = tempfile::tempdir().unwrap();
    let posters = tempfile::tempdir().unwrap();
    let options = SynthOptions { photos: cache("photos"), fonts: FONT_DIR.into(), count: 6, seed: 11 };
    synthesize(&options, posters.path(), |_| {}).unwrap();
    let dataset = Dataset::load(posters.path()).unwrap();
    let (image, info) = dataset.manifest.iter().next().unwrap();
    let bytes = std::fs::read(posters.path().join(image)).unwrap();
    let app = app(data.path(), 16 << 20);

    let fields = |bytes: &[u8]| {
        form(&[
            ("image", Some(image.as_str()), bytes),
            ("kind", None, info.kind.as_bytes()),
            ("locale", None, info.locale.as_bytes()),
        ])
    };
    let (status, json) = call(&app, upload(None, fields(&bytes))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{json}");
    let (status, json) = call(&app, upload(Some(TOKEN), fields(&bytes))).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    let check = json["id"].as_i64().unwrap();
    assert_eq!(json["report"]["name"], image.as_str());
    assert_eq!(json["report"]["verdicts"].as_array().unwrap().len(), 7, "{json}");
    let flagged = json["report"]["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["check"] == "safe_zone")
        .map(|v| v["pass"] == false)
        .unwrap();
    let (status, stored) = call(&app, Request::get(format!("/v1/artwork/{check}")).body(Body::empty()).unwrap()).await;
    assert_eq!((status, &stored["report"]), (StatusCode::OK, &json["report"]));

    // The partner disputes the safe-zone verdict; it waits in the queue.
    let dispute_uri = format!("/v1/artwork/{check}/dispute");
    let (status, dispute) =
        call(&app, post_json(&dispute_uri, serde_json::json!({"defect": "safe_zone", "reason": "the title fits"})))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{dispute}");
    assert_eq!(dispute["flagged"], flagged);
    let (status, again) = call(&app, post_json(&dispute_uri, serde_json::json!({"defect": "safe_zone"}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (_, queue) = call(&app, Request::get("/v1/artwork/queue").body(Body::empty()).unwrap()).await;
    assert_eq!(queue["disputes"].as_array().unwrap().len(), 1, "{queue}");

    // The reviewer overrules the check.
    let id = dispute["id"].as_i64().unwrap();
    let decision_uri = format!("/v1/artwork/queue/{id}/decision");
    let (status, decided) =
        call(&app, post_json(&decision_uri, serde_json::json!({"present": !flagged, "reviewer": "ana"}))).await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["decision"]["present"], !flagged);
    let (status, _) =
        call(&app, post_json(&decision_uri, serde_json::json!({"present": flagged, "reviewer": "bo"}))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, queue) = call(&app, Request::get("/v1/artwork/queue").body(Body::empty()).unwrap()).await;
    assert!(queue["disputes"].as_array().unwrap().is_empty(), "{queue}");

    // The next evaluation of the reviewed dataset scores the check against
    // the reviewer: the same verdict is now one error.
    let reviewed = reviewed_dir(data.path());
    let labelled = Dataset::load(&reviewed).unwrap();
    assert_eq!(labelled.labels.len(), 1);
    let checker = Checker::new(Models::load(&cache("models")).unwrap(), ArtworkConfig::default());
    let results = eval::evaluate(&checker, &reviewed, &labelled, |_, _| {});
    let outcomes: Vec<_> = results.into_iter().map(|(o, _)| o).collect();
    let score = &eval::score(&outcomes)["safe_zone"];
    let errors = score.false_positives + score.false_negatives;
    assert_eq!((errors, score.true_positives + score.true_negatives), (1, 0), "{score:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_uploads_and_disputes_are_refused_with_the_reason() {
    let data = tempfile::tempdir().unwrap();
    let app = app(data.path(), 64 << 10);
    let cases: [(Vec<u8>, StatusCode, &str); 5] = [
        (form(&[("image", Some("x.png"), b"not an image at all")]), StatusCode::BAD_REQUEST, "x.png"),
        (form(&[("kind", None, b"hero")]), StatusCode::BAD_REQUEST, "no `image` field"),
        (form(&[("image", Some("x.png"), b"x"), ("kind", None, b"billboard")]), StatusCode::BAD_REQUEST, "billboard"),
        (form(&[("image", Some("x.png"), b"x"), ("colour", None, b"red")]), StatusCode::BAD_REQUEST, "unknown field"),
        (form(&[("image", Some("big.png"), &vec![0u8; 128 << 10])]), StatusCode::PAYLOAD_TOO_LARGE, "upload"),
    ];
    for (body, expected, words) in cases {
        let (status, json) = call(&app, upload(Some(TOKEN), body)).await;
        assert_eq!(status, expected, "{json}");
        let message = json["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(words), "{words}: {message}");
    }
    let (status, _) = call(&app, post_json("/v1/artwork/42/dispute", serde_json::json!({"defect": "spec"}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&app, post_json("/v1/artwork/queue/7/decision", serde_json::json!({"present": true}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "reviewer is required");
    let (status, _) =
        call(&app, post_json("/v1/artwork/queue/7/decision", serde_json::json!({"present": true, "reviewer": "a"})))
            .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_models_an_upload_is_refused_with_the_reason() {
    let data = tempfile::tempdir().unwrap();
    let app = app_with_models(data.path(), 1 << 20, data.path().join("no-models"));
    let mut png = Vec::new();
    image::RgbImage::from_pixel(960, 540, image::Rgb([20, 30, 40]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let (status, json) = call(&app, upload(Some(TOKEN), form(&[("image", Some("hero.png"), &png)]))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{json}");
    let message = json["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("artwork models unavailable") && message.contains("fetch-models"), "{message}");
}
