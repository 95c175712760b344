//! `GET /`: the stream wall — every stream as a tile with its picture,
//! state colour, current defects and last hour of defects, live over
//! `/v1/events`. One static page (`wall.html`, no framework) built into the
//! binary; everything it shows comes from the public read endpoints.

use axum::http::header;
use axum::response::{Html, IntoResponse};

/// The page.
pub async fn page() -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-cache")], Html(include_str!("wall.html")))
}
