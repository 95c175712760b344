//! `/v1/defects`: the live streams' defect history, and the picture where
//! each defect began.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use showrunner_live::{DefectFilter, DefectRecord};

use crate::error::ApiError;
use crate::routes::params::{limit, path_id, query, time};
use crate::routes::streams::with_monitor;
use crate::AppState;

/// `?stream=&type=&since=&until=&limit=` (times RFC 3339).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    stream: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    since: Option<String>,
    until: Option<String>,
    limit: Option<usize>,
}

/// `GET /v1/defects`: newest first.
pub async fn list(
    State(state): State<AppState>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let q = query(q)?;
    let filter = DefectFilter {
        stream: q.stream,
        kind: q.kind,
        since_ms: time("since", q.since.as_deref())?,
        until_ms: time("until", q.until.as_deref())?,
        limit: limit(q.limit)?,
    };
    let defects = with_monitor(&state, move |m| Ok(m.defects(&filter)?)).await?;
    Ok(Json(serde_json::json!({ "defects": defects })))
}

/// `GET /v1/defects/{id}`.
pub async fn get(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<DefectRecord>, ApiError> {
    let id = path_id("defect", id)?;
    Ok(Json(with_monitor(&state, move |m| Ok(m.defect(id)?)).await?))
}

/// `GET /v1/defects/{id}/thumbnail`: the JPEG of the picture where the
/// defect began.
pub async fn thumbnail(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let id = path_id("defect", id)?;
    let jpeg = with_monitor(&state, move |m| Ok(m.thumbnail(id)?)).await?;
    Ok(([(header::CONTENT_TYPE, "image/jpeg")], jpeg))
}
