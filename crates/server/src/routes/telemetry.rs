//! `POST /v1/telemetry`: a batch of player events — a JSON array of
//! records, or JSON lines — optionally gzip-compressed
//! (`Content-Encoding: gzip`). Every record is accepted or refused on its
//! own; the answer counts both and says what was wrong with the first
//! refusals. A body that is not JSON at all is refused whole (400) and
//! nothing of it is kept.

use axum::body::Bytes;
use axum::extract::State;
use axum::Json;

use crate::error::ApiError;
use crate::qoe::IngestReport;
use crate::AppState;

/// Ingests one batch.
pub async fn post(State(state): State<AppState>, body: Bytes) -> Result<Json<IngestReport>, ApiError> {
    let text =
        String::from_utf8(body.to_vec()).map_err(|e| ApiError::bad_request(format!("body is not UTF-8: {e}")))?;
    let qoe = state.qoe.clone();
    let report = tokio::task::spawn_blocking(move || qoe.ingest_batch(&text))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(ApiError::bad_request)?;
    Ok(Json(report))
}
