//! The one error every handler returns: a status, a sentence for the person (never debug text)
//! and a stable code a viewer words in its own language, as `{"error": "…", "code": "…"}`, never
//! cached; `429` says when to come back.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ivs_proto::site::{ErrorAnswer, ErrorCode};

/// A refusal in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppError {
    pub status: StatusCode,
    pub message: String,
    /// The status's own code ([`ErrorCode::for_status`]) unless [`AppError::with_code`] says more.
    pub code: ErrorCode,
    /// Seconds to wait (`Retry-After`), with `429`.
    pub retry_after: Option<u64>,
}

impl AppError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), code: ErrorCode::for_status(status.as_u16()), retry_after: None }
    }

    /// The refusal's code, where it says more than its status.
    pub fn with_code(self, code: ErrorCode) -> Self {
        Self { code, ..self }
    }

    /// `429 Too Many Requests` for `what`, with `Retry-After`.
    pub fn too_many(retry_after_secs: u64, what: &str) -> Self {
        Self { retry_after: Some(retry_after_secs), ..Self::new(StatusCode::TOO_MANY_REQUESTS, format!("too many {what}; try again in {retry_after_secs} s")) }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response =
            (self.status, [(header::CACHE_CONTROL, "no-store")], Json(ErrorAnswer { error: self.message, code: Some(self.code.as_str().to_owned()) }))
                .into_response();
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// What a handler answers.
pub type Answer = Result<Response, AppError>;

/// `body`, never cached (answers about a person, or that change by the second).
pub fn no_store(body: impl IntoResponse) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], body).into_response()
}
