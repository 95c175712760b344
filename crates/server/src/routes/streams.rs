//! `/v1/streams`: the live streams this process (or its shard) watches —
//! register, list, change, remove — and each one's latest picture.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use showrunner_live::{Monitor, StreamPatch, StreamRequest, StreamView};

use crate::error::ApiError;
use crate::AppState;

/// Runs a monitor call off the async runtime (it touches SQLite and may
/// wait for a pipeline to stop).
pub(crate) async fn with_monitor<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Monitor) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let live = state.live.clone();
    tokio::task::spawn_blocking(move || f(&live)).await.map_err(|e| ApiError::internal(e.to_string()))?
}

fn stream_id(p: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    p.map(|Path(id)| id).map_err(|e| ApiError::bad_request(format!("stream id: {}", e.body_text())))
}

/// `GET /v1/streams`.
pub async fn list(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let streams = with_monitor(&state, |m| Ok(m.list()?)).await?;
    Ok(Json(serde_json::json!({ "streams": streams })))
}

/// `GET /v1/streams/{id}`.
pub async fn get(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<StreamView>, ApiError> {
    let id = stream_id(id)?;
    Ok(Json(with_monitor(&state, move |m| Ok(m.get(&id)?)).await?))
}

/// `POST /v1/streams` `{name, url, detectors?, tags?, thresholds?}`:
/// registers a stream and starts watching it.
pub async fn create(
    State(state): State<AppState>,
    body: Result<Json<StreamRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<StreamView>), ApiError> {
    let Json(request) = body?;
    let view = with_monitor(&state, move |m| Ok(m.add(request)?)).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// `PATCH /v1/streams/{id}`: changes what is given; the pipeline restarts.
pub async fn update(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    body: Result<Json<StreamPatch>, JsonRejection>,
) -> Result<Json<StreamView>, ApiError> {
    let id = stream_id(id)?;
    let Json(patch) = body?;
    Ok(Json(with_monitor(&state, move |m| Ok(m.update(&id, patch)?)).await?))
}

/// `DELETE /v1/streams/{id}`: stops watching; the history stays.
pub async fn remove(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let id = stream_id(id)?;
    with_monitor(&state, move |m| Ok(m.remove(&id)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/streams/{id}/thumbnail`: the latest picture (JPEG), refreshed
/// every `[streams] tile_every_s`.
pub async fn tile(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let id = stream_id(id)?;
    let jpeg = with_monitor(&state, move |m| Ok(m.tile(&id)?)).await?;
    Ok(([(header::CONTENT_TYPE, "image/jpeg"), (header::CACHE_CONTROL, "no-store")], jpeg))
}
