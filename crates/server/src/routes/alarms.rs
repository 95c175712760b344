//! `/v1/alarms`: the alarms in the store, each with its localization and
//! chart; acknowledging one; the suppressed anomalies beside them.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use showrunner_anomaly::chart::render_svg;
use showrunner_anomaly::store::{AlarmFilter, AlarmState, AlarmStore, StoredAlarm};

use crate::error::ApiError;
use crate::routes::params::{limit, path_id, query, time};
use crate::AppState;

/// Runs a store query off the async runtime.
async fn with_store<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut AlarmStore) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || f(&mut store.lock().unwrap_or_else(|p| p.into_inner())))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
}

/// `?state=&since=&until=&limit=` (times RFC 3339).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    state: Option<String>,
    since: Option<String>,
    until: Option<String>,
    limit: Option<usize>,
}

/// An alarm without its chart points, for listings.
fn lean(a: &StoredAlarm) -> serde_json::Value {
    let mut v = serde_json::to_value(a).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.remove("chart");
        o.insert("chart_url".into(), format!("/v1/alarms/{}/chart.svg", a.id).into());
    }
    v
}

/// `GET /v1/alarms`: newest first.
pub async fn list(
    State(state): State<AppState>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let q = query(q)?;
    let filter = AlarmFilter {
        state: q.state.as_deref().map(str::parse::<AlarmState>).transpose().map_err(ApiError::bad_request)?,
        since_ms: time("since", q.since.as_deref())?,
        until_ms: time("until", q.until.as_deref())?,
        limit: Some(limit(q.limit)?),
    };
    let alarms = with_store(&state, move |s| Ok(s.list(&filter)?)).await?;
    Ok(Json(serde_json::json!({"alarms": alarms.iter().map(lean).collect::<Vec<_>>()})))
}

/// `GET /v1/alarms/{id}`: with its chart data.
pub async fn get(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<StoredAlarm>, ApiError> {
    let id = path_id("alarm", id)?;
    Ok(Json(with_store(&state, move |s| Ok(s.get(id)?)).await?))
}

/// `GET /v1/alarms/{id}/chart.svg`: the series, its expected band and the
/// anomaly window.
pub async fn chart(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let id = path_id("alarm", id)?;
    let a = with_store(&state, move |s| Ok(s.get(id)?)).await?;
    let title = format!("alarm {} ({}, {}): {}", a.id, a.level.name(), a.state.name(), a.summary);
    let svg = render_svg(&a.chart, a.opened_ms, a.resolved_ms.unwrap_or(a.last_ms), &title);
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg))
}

/// `POST /v1/alarms/{id}/ack` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckBody {
    by: String,
    #[serde(default)]
    note: String,
}

/// `POST /v1/alarms/{id}/ack`: someone is on it.
pub async fn ack(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<AckBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<StoredAlarm>, ApiError> {
    let id = path_id("alarm", id)?;
    let Json(body) = body.map_err(|e| ApiError::bad_request(format!("body: {}", e.body_text())))?;
    if body.by.trim().is_empty() || body.by.len() > 200 || body.note.len() > 10_000 {
        return Err(ApiError::bad_request("`by` must be 1 to 200 characters and `note` at most 10,000"));
    }
    let now = chrono::Utc::now().timestamp_millis();
    Ok(Json(with_store(&state, move |s| Ok(s.acknowledge(id, body.by.trim(), &body.note, now)?)).await?))
}

/// `?since=&until=&limit=` for suppressions.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuppressedQuery {
    since: Option<String>,
    until: Option<String>,
    limit: Option<usize>,
}

/// `GET /v1/suppressed`: anomalies not raised as alarms, with the reason.
pub async fn suppressed(
    State(state): State<AppState>,
    q: Result<Query<SuppressedQuery>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let q = query(q)?;
    let since = time("since", q.since.as_deref())?.unwrap_or(i64::MIN);
    let until = time("until", q.until.as_deref())?.unwrap_or(i64::MAX);
    let limit = limit(q.limit)?;
    let rows = with_store(&state, move |s| Ok(s.suppressed(since, until, limit)?)).await?;
    Ok(Json(serde_json::json!({"suppressed": rows})))
}
