//! Extractors whose rejections are `ApiError`s: malformed JSON, wrong types,
//! bad query strings and bad path ids become 4xx with a message that says
//! what to fix, in the API's error shape.
//!
//! Every text that comes in (JSON strings, query values) is checked once
//! here, before any handler sees it: no control characters (NUL breaks
//! PostgreSQL; tabs and line breaks are allowed), no text longer than
//! [`MAX_TEXT_CHARS`] (fields with a tighter bound check it themselves), and
//! no date outside [`MIN_YEAR`]–[`MAX_YEAR`] — a 422 that says which field,
//! never a 500.

use crate::ApiError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Earliest year a date may have.
pub const MIN_YEAR: i32 = 1970;
/// Latest year a date may have.
pub const MAX_YEAR: i32 = 2200;

/// The longest text any field or query value may hold, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;

/// JSON body.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(req, state).await?;
        check_value(&value, &mut String::new())?;
        serde_json::from_value(value).map(ApiJson).map_err(|e| ApiError::unprocessable("invalid_field", e.to_string()))
    }
}

/// Checks every string in `v`; `path` names where it is (`reason`, `items[2].name`).
fn check_value(v: &serde_json::Value, path: &mut String) -> Result<(), ApiError> {
    match v {
        serde_json::Value::String(s) => check_text(if path.is_empty() { "body" } else { path }, s),
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                check_value(x, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                check_text("a field name", k)?;
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                check_value(x, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A text is refused when it holds a control character, is longer than
/// [`MAX_TEXT_CHARS`], or is a date (or date-time) outside
/// [`MIN_YEAR`]–[`MAX_YEAR`].
pub(crate) fn check_text(field: &str, s: &str) -> Result<(), ApiError> {
    let chars = s.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(ApiError::unprocessable(
            "text_too_long",
            format!("`{field}` has {chars} characters; at most {MAX_TEXT_CHARS} are accepted"),
        ));
    }
    if let Some(c) = s.chars().find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        return Err(ApiError::unprocessable(
            "control_character",
            format!("`{field}` contains the control character U+{:04X}; remove it", u32::from(c)),
        ));
    }
    let t = s.trim();
    let year = t
        .get(..10)
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .filter(|_| t.len() == 10 || t.as_bytes().get(10).is_some_and(|b| *b == b'T' || *b == b' '))
        .map(|d| chrono::Datelike::year(&d))
        .or_else(|| far_year(t));
    if let Some(y) = year.filter(|y| !(MIN_YEAR..=MAX_YEAR).contains(y)) {
        return Err(ApiError::unprocessable(
            "date_out_of_range",
            format!("`{field}` is in the year {y}; dates must lie between {MIN_YEAR} and {MAX_YEAR}"),
        ));
    }
    Ok(())
}

/// The year of a date written with a sign or more than four year digits
/// (`-262143-01-01`, `+10000-01-01`), which `%Y-%m-%d` above may not read.
fn far_year(t: &str) -> Option<i32> {
    let (sign, rest) = match t.as_bytes().first()? {
        b'-' => (-1, &t[1..]),
        b'+' => (1, &t[1..]),
        _ => (1, t),
    };
    let digits: &str = rest.split('-').next()?;
    let tail = &rest[digits.len()..];
    let signed = t.len() != rest.len();
    let looks_like_date = (signed || digits.len() > 4)
        && digits.bytes().all(|b| b.is_ascii_digit())
        && tail.len() >= 6
        && tail.as_bytes()[0] == b'-'
        && tail[1..3].bytes().all(|b| b.is_ascii_digit());
    if !looks_like_date {
        return None;
    }
    Some(digits.parse::<i64>().ok().map_or(i32::MAX, |y| i32::try_from(sign * y).unwrap_or(i32::MAX)))
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Query string.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Query(pairs) =
            axum::extract::Query::<Vec<(String, String)>>::from_request_parts(parts, state).await?;
        for (k, v) in &pairs {
            check_text("a query parameter name", k)?;
            check_text(k, v)?;
        }
        let axum::extract::Query(t) = axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(ApiQuery(t))
    }
}

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
#[into_params(parameter_in = Query)]
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
