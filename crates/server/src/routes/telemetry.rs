//! `POST /v1/telemetry`: a batch of player events — a JSON array of
//! records, or JSON lines — optionally gzip-compressed
//! (`Content-Encoding: gzip`). Every record is accepted or refused on its
//! own; the answer counts both and says what was wrong with the first
//! refusals. A body that is not JSON at all is refused whole (400) and
//! nothing of it is kept.

use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use serde_json::value::RawValue;

use crate::error::ApiError;
use crate::qoe::IngestReport;
use crate::AppState;

/// Ingests one batch.
pub async fn post(State(state): State<AppState>, body: Bytes) -> Result<Json<IngestReport>, ApiError> {
    let text = std::str::from_utf8(&body).map_err(|e| ApiError::bad_request(format!("body is not UTF-8: {e}")))?;
    let qoe = state.qoe.clone();
    let owned = text.to_string();
    let report = tokio::task::spawn_blocking(move || -> Result<IngestReport, ApiError> {
        let trimmed = owned.trim_start();
        if trimmed.starts_with('[') {
            let records: Vec<&RawValue> = serde_json::from_str(trimmed)
                .map_err(|e| ApiError::bad_request(format!("body starts as a JSON array but is not one: {e}")))?;
            Ok(qoe.ingest(records.iter().map(|r| r.get())))
        } else {
            Ok(qoe.ingest(owned.lines().filter(|l| !l.trim().is_empty())))
        }
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))??;
    if report.records == 0 {
        return Err(ApiError::bad_request("no records: send a JSON array of events or one event per line"));
    }
    Ok(Json(report))
}
