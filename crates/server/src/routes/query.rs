//! `POST /v1/query` `{"sql": "…", "max_rows": 1000}`: read-only SQL over
//! the telemetry store (table `leaves`). Behind the token, because a query
//! can be expensive.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use showrunner_telemetry_store::{query, QueryResult, StoreError};

use crate::error::ApiError;
use crate::AppState;

/// Most rows one answer carries.
const MAX_ROWS: usize = 10_000;

/// The request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryBody {
    sql: String,
    #[serde(default)]
    max_rows: Option<usize>,
}

/// Runs the query.
pub async fn post(
    State(state): State<AppState>,
    body: Result<Json<QueryBody>, JsonRejection>,
) -> Result<Json<QueryResult>, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::bad_request(format!("body: {}", e.body_text())))?;
    let max_rows = match body.max_rows.unwrap_or(1000) {
        n @ 1..=MAX_ROWS => n,
        n => return Err(ApiError::bad_request(format!("`max_rows` = {n}: between 1 and {MAX_ROWS}"))),
    };
    query(&state.telemetry_root, &body.sql, max_rows).await.map(Json).map_err(|e| match e {
        StoreError::Query(_) => ApiError::bad_request(e.to_string()),
        StoreError::Empty(_) => ApiError::not_found(e.to_string()),
        StoreError::Io { .. } => ApiError::internal(e.to_string()),
    })
}
