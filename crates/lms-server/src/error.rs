//! The API's one error type and its mapping to `{"error":{"code","message"}}`
//! with a status code, in one place.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use lms_core::DomainError;
use lms_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub retry_after: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError { status, code: code.to_string(), message: message.into(), retry_after: None }
    }
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn unprocessable(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "log in first: POST /api/v1/auth/login, or send Authorization: Bearer <token>",
        )
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{} not found", what.into()))
    }
    pub fn hr_only() -> Self {
        Self::forbidden("this needs the hr-admin role")
    }
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; the server log has the details")
    }
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        let status = match &e {
            DomainError::Forbidden(_) => StatusCode::FORBIDDEN,
            DomainError::Overlap { .. } => StatusCode::CONFLICT,
            DomainError::InvalidTransition { .. } | DomainError::AlreadyStarted { .. } => StatusCode::CONFLICT,
            DomainError::Unavailable(_) => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}

impl From<lms_app::AppError> for ApiError {
    fn from(e: lms_app::AppError) -> Self {
        match e {
            lms_app::AppError::Domain(d) => d.into(),
            lms_app::AppError::Store(s) => s.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => d.into(),
            StoreError::NotFound(what) => ApiError::not_found(what),
            StoreError::Conflict { code, message } => ApiError::new(StatusCode::CONFLICT, code, message),
            e if e.is_unavailable() => {
                tracing::error!(error = %e, "database unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database_unavailable",
                    "the database does not answer; try again shortly",
                )
                .with_retry_after(5)
            }
            other => {
                tracing::error!(error = %other, "store error");
                ApiError::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: ErrorDetail { code: self.code, message: self.message } };
        let mut res = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The error answers of the API, declared once: each is a reusable response
/// (`#/components/responses/{name}`) in the error shape, described here.
pub const ERROR_RESPONSES: &[(u16, &str, &str)] = &[
    (
        400,
        "BadRequest",
        "The request is malformed: JSON that does not parse, a query value of the wrong type, \
         or a value out of range (e.g. `limit`, `year`).",
    ),
    (401, "Unauthorized", "No valid session cookie or bearer token (unknown, revoked or expired)."),
    (403, "Forbidden", "The caller's role or credential may not do this."),
    (404, "NotFound", "No such resource, or none the caller may see."),
    (409, "Conflict", "The change conflicts with the current state: a duplicate, or a concurrent change."),
    (413, "PayloadTooLarge", "The body exceeds the server's limit."),
    (415, "UnsupportedMediaType", "The body is not sent as `Content-Type: application/json`."),
    (
        422,
        "UnprocessableEntity",
        "A field is missing, has the wrong type or fails a rule; or a text holds a control character, \
         or a date lies outside 1970-2200. The message names the field.",
    ),
    (429, "TooManyRequests", "Too many attempts; wait `Retry-After` seconds."),
    (
        503,
        "ServiceUnavailable",
        "The database does not answer, the server is too busy to check a password, or maintenance mode \
         pauses changes (then with `lms-maintenance: on`); try again after `Retry-After` seconds.",
    ),
];

/// Adds to every operation the error answers that what it takes can give,
/// as references to [`ERROR_RESPONSES`] — so a handler declares only the
/// answers of its own logic (403, 404, 409, 422 ...), and a handler's bare
/// error answer is replaced by the shared one with its description:
///
/// - needs a credential (a security requirement without an empty
///   alternative): 401, and 503 (the credential is checked in the database);
/// - a change (POST, PUT, PATCH, DELETE) under `/api/v1/`: 503 (database,
///   maintenance mode);
/// - path parameters: 404 (a malformed id names no resource);
/// - query parameters: 400 (wrong type, out of range) and 422 (control
///   characters, far dates);
/// - a body: 400 (malformed JSON), 413, 422; a required body: 415 (only a
///   required body is parsed as JSON whatever the content type).
///
/// Run it after the security requirements are set.
pub struct ErrorResponses;

impl utoipa::Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{HttpMethod, ParameterIn};
        use utoipa::openapi::request_body::RequestBody;
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        use utoipa::openapi::{Content, HeaderBuilder, Ref, RefOr, Required, ResponseBuilder};

        let components = openapi.components.get_or_insert_with(Default::default);
        for (status, name, description) in ERROR_RESPONSES {
            let mut response = ResponseBuilder::new()
                .description(*description)
                .content("application/json", Content::new(Some(Ref::from_schema_name("ErrorBody"))));
            if matches!(status, 429 | 503) {
                response = response.header(
                    "Retry-After",
                    HeaderBuilder::new()
                        .schema(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0)))
                        .description(Some("Seconds to wait before trying again."))
                        .build(),
                );
            }
            components.responses.insert(name.to_string(), RefOr::T(response.build()));
        }
        let error_body = Ref::from_schema_name("ErrorBody");
        let is_bare_error = |r: &RefOr<utoipa::openapi::Response>| match r {
            RefOr::T(r) => {
                r.description.is_empty()
                    && r.content.len() == 1
                    && r.content
                        .get("application/json")
                        .is_some_and(|c| matches!(&c.schema, Some(RefOr::Ref(x)) if *x == error_body))
            }
            RefOr::Ref(_) => false,
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                (HttpMethod::Get, &mut item.get),
                (HttpMethod::Put, &mut item.put),
                (HttpMethod::Post, &mut item.post),
                (HttpMethod::Delete, &mut item.delete),
                (HttpMethod::Patch, &mut item.patch),
            ];
            for (method, op) in operations {
                let Some(op) = op.as_mut() else { continue };
                let params = op.parameters.as_deref().unwrap_or_default();
                let has = |place: ParameterIn| params.iter().any(|p| p.parameter_in == place);
                let (in_path, in_query) = (has(ParameterIn::Path), has(ParameterIn::Query));
                let needs_credential = op.security.as_ref().is_some_and(|alternatives| {
                    !alternatives.is_empty() && !alternatives.iter().any(|a| *a == Default::default())
                });
                let change = method != HttpMethod::Get && path.starts_with("/api/v1/");
                let body = op.request_body.as_ref();
                let required_body = body.is_some_and(|b: &RequestBody| b.required == Some(Required::True));
                let mut statuses = Vec::new();
                if needs_credential {
                    statuses.extend([401, 503]);
                }
                if change {
                    statuses.push(503);
                }
                if in_path {
                    statuses.push(404);
                }
                if in_query {
                    statuses.extend([400, 422]);
                }
                if body.is_some() {
                    statuses.extend([400, 413, 422]);
                }
                if required_body {
                    statuses.push(415);
                }
                let responses = &mut op.responses.responses;
                for (status, name, _) in ERROR_RESPONSES {
                    let key = status.to_string();
                    let shared = RefOr::Ref(Ref::from_response_name(*name));
                    match responses.get(&key) {
                        Some(r) if is_bare_error(r) => {
                            responses.insert(key, shared);
                        }
                        None if statuses.contains(status) => {
                            responses.insert(key, shared);
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}
