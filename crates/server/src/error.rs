//! API errors: a status and `{"error": {"code", "message"}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// An error answered to an API caller.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code (`bad_request`, `not_found`, …).
    pub code: &'static str,
    /// What is wrong, for a human.
    pub message: String,
}

impl ApiError {
    /// 400: the request itself is wrong.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError { status: StatusCode::BAD_REQUEST, code: "bad_request", message: message.into() }
    }

    /// 404: nothing by that name.
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError { status: StatusCode::NOT_FOUND, code: "not_found", message: message.into() }
    }

    /// 409: the request conflicts with the resource's state.
    pub fn conflict(message: impl Into<String>) -> Self {
        ApiError { status: StatusCode::CONFLICT, code: "conflict", message: message.into() }
    }

    /// 401: no valid bearer token.
    pub fn unauthorized() -> Self {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            message: "this endpoint changes state: send `Authorization: Bearer <token>` (SHOWRUNNER_TOKEN)".into(),
        }
    }

    /// 503: a part this endpoint needs is not available on this server.
    pub fn unavailable(message: impl Into<String>) -> Self {
        ApiError { status: StatusCode::SERVICE_UNAVAILABLE, code: "unavailable", message: message.into() }
    }

    /// 413: the body is larger than the server accepts.
    pub fn too_large(message: impl Into<String>) -> Self {
        ApiError { status: StatusCode::PAYLOAD_TOO_LARGE, code: "too_large", message: message.into() }
    }

    /// 500: our fault; the message says what failed.
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError { status: StatusCode::INTERNAL_SERVER_ERROR, code: "internal", message: message.into() }
    }
}

impl From<showrunner_anomaly::store::StoreError> for ApiError {
    fn from(e: showrunner_anomaly::store::StoreError) -> Self {
        use showrunner_anomaly::store::StoreError;
        match e {
            StoreError::NotFound(_) => ApiError::not_found(e.to_string()),
            StoreError::AlreadyResolved(_) => ApiError::conflict(e.to_string()),
            StoreError::Sqlite { .. } | StoreError::Damaged { .. } => ApiError::internal(e.to_string()),
        }
    }
}

impl From<showrunner_live::LiveError> for ApiError {
    fn from(e: showrunner_live::LiveError) -> Self {
        use showrunner_live::LiveError;
        match e {
            LiveError::Invalid(_) => ApiError::bad_request(e.to_string()),
            LiveError::Conflict(_) => ApiError::conflict(e.to_string()),
            LiveError::NotFound(_) => ApiError::not_found(e.to_string()),
            LiveError::Store(_) => ApiError::internal(e.to_string()),
        }
    }
}

impl From<showrunner_artwork::ArtworkError> for ApiError {
    fn from(e: showrunner_artwork::ArtworkError) -> Self {
        use showrunner_artwork::ArtworkError;
        match e {
            ArtworkError::BadImage { .. } | ArtworkError::Invalid { .. } => ApiError::bad_request(e.to_string()),
            ArtworkError::NotFound(_) => ApiError::not_found(e.to_string()),
            ArtworkError::Conflict(_) => ApiError::conflict(e.to_string()),
            ArtworkError::Io { .. } | ArtworkError::Model(_) | ArtworkError::Store(_) => {
                ApiError::internal(e.to_string())
            }
        }
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    /// A body that is too large is a 413; any other unreadable body a 400.
    fn from(e: axum::extract::rejection::JsonRejection) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(format!("body: {}", e.body_text()))
        } else {
            ApiError::bad_request(format!("body: {}", e.body_text()))
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message}});
        (self.status, Json(body)).into_response()
    }
}
