//! `GET /v1/events`: alarm events as they happen, as server-sent events
//! (`event: alarm.opened`, `data: {…}`). A subscriber too slow to keep up
//! is told how many it missed (`event: lagged`) rather than stalling the
//! others.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{Stream, StreamExt};
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

use crate::AppState;

/// The live stream.
pub async fn stream(State(state): State<AppState>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let events = BroadcastStream::new(state.events.subscribe()).map(|item| {
        Ok(match item {
            Ok(n) => Event::default()
                .event(n.event.clone())
                .id(n.delivery_key())
                .data(serde_json::to_string(&n).unwrap_or_default()),
            Err(BroadcastStreamRecvError::Lagged(missed)) => Event::default().event("lagged").data(missed.to_string()),
        })
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
