//! `/v1/artwork`: check an upload (multipart), read a stored check, dispute
//! one of its verdicts, and the review queue where disputes are decided —
//! each decision becoming a label of the reviewed dataset.

use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use showrunner_artwork::review::{Decision, Dispute, StoredCheck};
use showrunner_artwork::{Artwork, Target};

use crate::artwork::ArtworkService;
use crate::error::ApiError;
use crate::routes::params::{path_id, query};
use crate::AppState;

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Runs blocking work (models, SQLite, files) off the async runtime.
async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&ArtworkService) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let service = state.artwork.clone();
    tokio::task::spawn_blocking(move || f(&service)).await.map_err(|e| ApiError::internal(e.to_string()))?
}

fn lock(service: &ArtworkService) -> std::sync::MutexGuard<'_, showrunner_artwork::review::ReviewStore> {
    service.store.lock().unwrap_or_else(|p| p.into_inner())
}

/// An upload's parts.
struct Upload {
    name: String,
    bytes: Vec<u8>,
    target: Target,
}

async fn read_upload(mut form: Multipart) -> Result<Upload, ApiError> {
    let mut image = None;
    let mut target = Target { kind: "hero".into(), locale: "en-US".into(), rating: String::new() };
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(format!("upload: {}", e.body_text()))
        } else {
            ApiError::bad_request(format!("upload: {}", e.body_text()))
        }
    };
    while let Some(field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_owned();
        match name.as_str() {
            "image" => {
                let file = field.file_name().unwrap_or("upload").to_owned();
                image = Some((file, field.bytes().await.map_err(bad)?.to_vec()));
            }
            "kind" => target.kind = field.text().await.map_err(bad)?,
            "locale" => target.locale = field.text().await.map_err(bad)?,
            "rating" => target.rating = field.text().await.map_err(bad)?,
            other => {
                return Err(ApiError::bad_request(format!(
                    "upload: unknown field {other:?} (expected image, kind, locale, rating)"
                )))
            }
        }
    }
    let (name, bytes) = image.ok_or_else(|| ApiError::bad_request("upload: no `image` field with the file"))?;
    Ok(Upload { name, bytes, target })
}

/// `POST /v1/artwork` (multipart: `image`, optional `kind`, `locale`,
/// `rating`): every check on the image; the report is stored under the id
/// returned, for disputes. 201 with `{id, at, file, report}`.
pub async fn upload(
    State(state): State<AppState>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<StoredCheck>), ApiError> {
    let form = form.map_err(|e| ApiError::bad_request(format!("upload: {}", e.body_text())))?;
    let upload = read_upload(form).await?;
    let stored = blocking(&state, move |service| {
        let config = service.config();
        if !config.kinds.contains_key(&upload.target.kind) {
            let kinds: Vec<&str> = config.kinds.keys().map(String::as_str).collect();
            return Err(ApiError::bad_request(format!(
                "kind {:?}: unknown (one of {})",
                upload.target.kind,
                kinds.join(", ")
            )));
        }
        if !upload.target.rating.is_empty() && !config.mature_content.ratings.contains_key(&upload.target.rating) {
            return Err(ApiError::bad_request(format!("rating {:?}: no thresholds for it", upload.target.rating)));
        }
        let artwork = Artwork::decode(&upload.name, &upload.bytes)?;
        let checker = service.checker().map_err(ApiError::unavailable)?;
        let report = checker.check(artwork, upload.target)?;
        Ok(lock(service).record_check(&now(), &upload.bytes, &report)?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// `GET /v1/artwork/{id}`: a stored check and its report.
pub async fn get(
    State(state): State<AppState>,
    p: Result<Path<i64>, PathRejection>,
) -> Result<Json<StoredCheck>, ApiError> {
    let id = path_id("artwork", p)?;
    Ok(Json(blocking(&state, move |service| Ok(lock(service).check(id)?)).await?))
}

/// `{defect, reason}` of a dispute.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisputeBody {
    defect: String,
    #[serde(default)]
    reason: String,
}

/// `POST /v1/artwork/{id}/dispute`: the verdict on `defect` enters the
/// review queue. 201 with the dispute.
pub async fn dispute(
    State(state): State<AppState>,
    p: Result<Path<i64>, PathRejection>,
    body: Result<Json<DisputeBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Dispute>), ApiError> {
    let id = path_id("artwork", p)?;
    let Json(body) = body?;
    let dispute =
        blocking(&state, move |service| Ok(lock(service).dispute(id, &body.defect, &body.reason, &now())?)).await?;
    Ok((StatusCode::CREATED, Json(dispute)))
}

/// `?all=true` lists decided disputes too.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    #[serde(default)]
    all: bool,
}

/// `GET /v1/artwork/queue`: disputes waiting for a decision, oldest first.
pub async fn queue(
    State(state): State<AppState>,
    q: Result<Query<QueueQuery>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let all = query(q)?.all;
    let disputes = blocking(&state, move |service| Ok(lock(service).queue(all)?)).await?;
    Ok(Json(serde_json::json!({ "disputes": disputes })))
}

/// `{present, reviewer, note}` of a decision.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    present: bool,
    reviewer: String,
    #[serde(default)]
    note: String,
}

/// `POST /v1/artwork/queue/{id}/decision`: decides a dispute; the image is
/// labelled in the reviewed dataset.
pub async fn decide(
    State(state): State<AppState>,
    p: Result<Path<i64>, PathRejection>,
    body: Result<Json<DecisionBody>, JsonRejection>,
) -> Result<Json<Dispute>, ApiError> {
    let id = path_id("dispute", p)?;
    let Json(body) = body?;
    let decision = Decision { present: body.present, reviewer: body.reviewer, note: body.note, at: now() };
    Ok(Json(blocking(&state, move |service| Ok(lock(service).decide(id, &decision)?)).await?))
}
