//! Error responses, in Noukai's two shapes: `{"detail": {"code", "message"}}` for coded errors
//! and FastAPI's `422 {"detail": [{"loc", "msg", "type"}]}` for request-shape problems.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

#[derive(Debug)]
pub enum ApiError {
    Coded {
        status: StatusCode,
        code: &'static str,
        message: String,
        retry_after: Option<u32>,
    },
    Validation(Vec<Value>),
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::Coded {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn flow_not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "FLOW_NOT_FOUND", message)
    }

    /// One FastAPI validation issue.
    pub fn issue(loc: &[&str], msg: &str, kind: &str) -> Value {
        json!({ "type": kind, "loc": loc, "msg": msg })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Coded {
                status,
                code,
                message,
                retry_after,
            } => {
                let mut response = (
                    status,
                    axum::Json(json!({ "detail": { "code": code, "message": message } })),
                )
                    .into_response();
                if let Some(seconds) = retry_after {
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
                }
                response
            }
            ApiError::Validation(issues) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(json!({ "detail": issues })),
            )
                .into_response(),
        }
    }
}
