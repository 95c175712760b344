//! Query parameters shared by the listing endpoints.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query};

use crate::error::ApiError;

/// Most items in one answer.
pub const MAX_LIMIT: usize = 1000;

/// An RFC 3339 time parameter as ms since the epoch.
pub fn time(name: &str, value: Option<&str>) -> Result<Option<i64>, ApiError> {
    value
        .map(|v| {
            chrono::DateTime::parse_from_rfc3339(v)
                .map(|t| t.timestamp_millis())
                .map_err(|e| ApiError::bad_request(format!("`{name}` = `{v}`: expected RFC 3339 ({e})")))
        })
        .transpose()
}

/// `limit`, 100 by default, at most [`MAX_LIMIT`].
pub fn limit(value: Option<usize>) -> Result<usize, ApiError> {
    match value.unwrap_or(100) {
        n @ 1..=MAX_LIMIT => Ok(n),
        n => Err(ApiError::bad_request(format!("`limit` = {n}: between 1 and {MAX_LIMIT}"))),
    }
}

/// A numeric id from the path, or a 400 naming what it should identify
/// (`alarm id: …`).
pub fn path_id(what: &str, p: Result<Path<i64>, PathRejection>) -> Result<i64, ApiError> {
    p.map(|Path(id)| id).map_err(|e| ApiError::bad_request(format!("{what} id: {}", e.body_text())))
}

/// The parsed query, or a 400 saying what is wrong with it.
pub fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(q)| q).map_err(|e| ApiError::bad_request(e.body_text()))
}
