//! `/v1/calendar`: the scheduled events the alarm pipeline takes into
//! account — those of the calendar file (read-only here) and those added
//! through the API (kept in the store). An edit reaches the running
//! pipeline at once; what it learned of each event kind is kept.

use std::collections::BTreeMap;

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use showrunner_anomaly::calendar::ScheduledEvent;

use crate::error::ApiError;
use crate::AppState;

/// Every event, tagged with where it comes from.
pub async fn list(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let api = api_events(&state).await?;
    let tagged = |source: &'static str| {
        move |e: &ScheduledEvent| {
            let mut v = event_json(e);
            v["source"] = source.into();
            v
        }
    };
    let mut events: Vec<serde_json::Value> = state.file_calendar.iter().map(tagged("file")).collect();
    events.extend(api.iter().map(tagged("api")));
    Ok(Json(serde_json::json!({"events": events})))
}

/// An event as the API shows it: RFC 3339 start, scope as an object.
fn event_json(e: &ScheduledEvent) -> serde_json::Value {
    let start = chrono::DateTime::from_timestamp_millis(e.start_ms).map(|t| t.to_rfc3339()).unwrap_or_default();
    let scope: BTreeMap<&str, &str> = e.scope.iter().map(|(d, v)| (d.as_str(), v.as_str())).collect();
    serde_json::json!({"id": e.id, "kind": e.kind, "start": start, "minutes": e.minutes, "scope": scope})
}

async fn api_events(state: &AppState) -> Result<Vec<ScheduledEvent>, ApiError> {
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || store.lock().unwrap_or_else(|p| p.into_inner()).calendar())
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(ApiError::from)
}

/// Tells the pipeline every event now.
async fn publish(state: &AppState) -> Result<(), ApiError> {
    let mut all: Vec<ScheduledEvent> = state.file_calendar.to_vec();
    all.extend(api_events(state).await?);
    let qoe = state.qoe.clone();
    tokio::task::spawn_blocking(move || qoe.set_calendar(all)).await.map_err(|e| ApiError::internal(e.to_string()))
}

/// The body of `POST /v1/calendar`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    id: String,
    #[serde(default)]
    kind: Option<String>,
    start: String,
    minutes: u32,
    #[serde(default)]
    scope: BTreeMap<String, String>,
}

/// `POST /v1/calendar`: adds an event, or replaces the API event with its id.
pub async fn put(
    State(state): State<AppState>,
    body: Result<Json<EventBody>, JsonRejection>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let Json(body) = body?;
    if state.file_calendar.iter().any(|e| e.id == body.id) {
        return Err(ApiError::conflict(format!("event `{}` comes from the calendar file; edit it there", body.id)));
    }
    let start = chrono::DateTime::parse_from_rfc3339(&body.start)
        .map_err(|e| ApiError::bad_request(format!("`start` = `{}`: expected RFC 3339 ({e})", body.start)))?;
    let event = ScheduledEvent {
        kind: body.kind.unwrap_or_else(|| body.id.clone()),
        id: body.id,
        scope: body.scope.into_iter().collect(),
        start_ms: start.timestamp_millis(),
        minutes: body.minutes,
    };
    event.validate().map_err(ApiError::bad_request)?;
    let stored = event.clone();
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || store.lock().unwrap_or_else(|p| p.into_inner()).put_event(&stored))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))??;
    publish(&state).await?;
    Ok((StatusCode::CREATED, Json(event_json(&event))))
}

/// `DELETE /v1/calendar/{id}`.
pub async fn remove(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let Path(id) = id.map_err(|e| ApiError::bad_request(e.body_text()))?;
    if state.file_calendar.iter().any(|e| e.id == id) {
        return Err(ApiError::conflict(format!("event `{id}` comes from the calendar file; edit it there")));
    }
    let store = state.store.clone();
    let key = id.clone();
    let removed =
        tokio::task::spawn_blocking(move || store.lock().unwrap_or_else(|p| p.into_inner()).remove_event(&key))
            .await
            .map_err(|e| ApiError::internal(e.to_string()))??;
    if !removed {
        return Err(ApiError::not_found(format!("no calendar event `{id}`")));
    }
    publish(&state).await?;
    Ok(StatusCode::NO_CONTENT)
}
