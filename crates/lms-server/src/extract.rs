//! Extractors whose rejections are `ApiError`s: malformed JSON, wrong types,
//! bad query strings and bad path ids become 4xx with a message that says
//! what to fix, in the API's error shape.

use crate::ApiError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// JSON body.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Query string.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// Path parameters.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let status = r.status();
        let code = match &r {
            JsonRejection::JsonDataError(_) => "invalid_field",
            JsonRejection::JsonSyntaxError(_) => "malformed_json",
            JsonRejection::MissingJsonContentType(_) => "unsupported_media_type",
            _ => "invalid_body",
        };
        let status = if status == StatusCode::PAYLOAD_TOO_LARGE { status } else { status.max(StatusCode::BAD_REQUEST) };
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE { "body_too_large" } else { code };
        ApiError::new(status, code, r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::bad_request("invalid_query", r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no such resource: {}", r.body_text()))
    }
}

/// Paging parameters shared by every list: `limit` (1-200, default 50) and
/// `cursor` (the `next_cursor` of the previous page).
#[derive(Debug, Clone, Copy, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct Paging {
    pub limit: Option<i64>,
    pub cursor: Option<i64>,
}

impl Paging {
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(50),
            Some(n) if (1..=200).contains(&n) => Ok(n),
            Some(n) => Err(ApiError::bad_request("invalid_limit", format!("limit {n} is out of range; use 1 to 200"))),
        }
    }
}
