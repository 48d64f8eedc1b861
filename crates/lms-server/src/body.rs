//! Request bodies are read whole before any handler runs (the API takes
//! small JSON documents only) and refused with a 413 in the API's error
//! shape when they are larger than the limit.
//!
//! Before answering the 413, up to [`DRAIN_MAX`] further bytes are read and
//! discarded (for at most [`DRAIN_TIME`]): a client still uploading would
//! otherwise have its connection reset under it and never see the answer.
//! A body declared larger than the limit plus that much is answered at once
//! and the connection closed. This module must not know any route.

use crate::{ApiError, AppState};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::BytesMut;
use http_body_util::BodyExt;
use std::time::Duration;

/// Bytes beyond the limit read and thrown away so the client sees the 413.
pub const DRAIN_MAX: usize = 16 * 1024 * 1024;
/// The longest time spent draining an oversized body.
pub const DRAIN_TIME: Duration = Duration::from_secs(10);

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!("the request body is larger than {limit} bytes; send at most that"),
    )
}

/// Middleware: buffers the body up to the configured limit.
pub async fn read_whole(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limit = state.config().body_limit;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > (limit + DRAIN_MAX) as u64) {
        return closing(too_large(limit).into_response());
    }
    let (parts, mut body) = req.into_parts();
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return closing(
                ApiError::bad_request("invalid_body", "the request body could not be read to its end").into_response(),
            );
        };
        let Ok(data) = frame.into_data() else { continue };
        if buf.len() + data.len() > limit {
            let drained = tokio::time::timeout(DRAIN_TIME, async {
                let mut seen = buf.len() + data.len();
                while let Some(Ok(frame)) = body.frame().await {
                    seen += frame.data_ref().map_or(0, |d| d.len());
                    if seen > limit + DRAIN_MAX {
                        return false;
                    }
                }
                true
            })
            .await;
            let res = too_large(limit).into_response();
            return if drained == Ok(true) { res } else { closing(res) };
        }
        buf.extend_from_slice(&data);
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(buf.freeze()))).await
}

/// The answer, telling the client that this connection ends with it.
fn closing(mut res: Response) -> Response {
    res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}
