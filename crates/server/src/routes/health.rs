//! `/healthz` (the process answers) and `/readyz` (it can take work, with
//! its counters).

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::Json;

use crate::AppState;

/// Liveness.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// Readiness: the store answers; the QoE counters.
pub async fn readyz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, crate::error::ApiError> {
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || {
        let store = store.lock().unwrap_or_else(|p| p.into_inner());
        store.list(&showrunner_anomaly::store::AlarmFilter { limit: Some(1), ..Default::default() }).map(|_| ())
    })
    .await
    .map_err(|e| crate::error::ApiError::internal(e.to_string()))??;
    let s = &state.qoe.stats;
    Ok(Json(serde_json::json!({
        "ready": true,
        "telemetry": {
            "accepted": s.accepted.load(Ordering::Relaxed),
            "rejected": s.rejected.load(Ordering::Relaxed),
        },
        "alarms": {
            "minutes_scored": s.minutes.load(Ordering::Relaxed),
            "opened": s.alarms_opened.load(Ordering::Relaxed),
            "failures": s.failures.load(Ordering::Relaxed),
            "restored_series": s.restored_series.load(Ordering::Relaxed),
        },
    })))
}
