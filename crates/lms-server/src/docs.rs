//! The API's documentation: the OpenAPI document at `/api/openapi.json` and
//! Swagger UI under `/api/docs/`, served from files compiled into the binary
//! (only the parts of Swagger UI the page loads; see
//! `assets/swagger-ui/README.md`). No CDN, no inline script. This module
//! must not know the API's routes: it is handed the finished document.

use crate::AppState;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

const INDEX: &str = include_str!("../assets/swagger-ui/index.html");
const INITIALIZER: &str = include_str!("../assets/swagger-ui/swagger-initializer.js");

/// One compiled-in file and its content type.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset { name: "", content_type: "text/html; charset=utf-8", bytes: INDEX.as_bytes() },
    Asset { name: "index.html", content_type: "text/html; charset=utf-8", bytes: INDEX.as_bytes() },
    Asset { name: "swagger-initializer.js", content_type: "text/javascript", bytes: INITIALIZER.as_bytes() },
    Asset {
        name: "swagger-ui-bundle.js",
        content_type: "text/javascript",
        bytes: include_bytes!("../assets/swagger-ui/swagger-ui-bundle.js"),
    },
    Asset {
        name: "swagger-ui-standalone-preset.js",
        content_type: "text/javascript",
        bytes: include_bytes!("../assets/swagger-ui/swagger-ui-standalone-preset.js"),
    },
    Asset {
        name: "swagger-ui.css",
        content_type: "text/css",
        bytes: include_bytes!("../assets/swagger-ui/swagger-ui.css"),
    },
    Asset {
        name: "favicon-32x32.png",
        content_type: "image/png",
        bytes: include_bytes!("../assets/swagger-ui/favicon-32x32.png"),
    },
    Asset {
        name: "favicon-16x16.png",
        content_type: "image/png",
        bytes: include_bytes!("../assets/swagger-ui/favicon-16x16.png"),
    },
];

fn asset(a: &'static Asset) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(a.content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        a.bytes,
    )
        .into_response()
}

/// The routes of the document and the UI.
pub fn routes(api: utoipa::openapi::OpenApi) -> Router<AppState> {
    let document: Arc<String> = Arc::new(api.to_json().unwrap_or_else(|_| "{}".into()));
    let mut r = Router::new()
        .route(
            "/api/openapi.json",
            get(move || {
                let document = document.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], document.as_str().to_owned()) }
            }),
        )
        .route("/api/docs", get(|| async { Redirect::permanent("/api/docs/") }));
    for a in ASSETS {
        r = r.route(&format!("/api/docs/{}", a.name), get(move || async move { asset(a) }));
    }
    r
}
