//! The pages' static files (one stylesheet, one script), compiled into the
//! binary and served under names that carry a hash of their content, so a
//! browser may keep them for a year: a new build with a changed file has a
//! new name. No CDN, no build step. This module knows nothing of pages.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

struct Asset {
    /// `app.css` -> `app.3f2a9c1b7d.css`
    hashed: String,
    content_type: &'static str,
    bytes: &'static [u8],
}

const FILES: &[(&str, &str, &[u8])] = &[
    ("app.css", "text/css; charset=utf-8", include_bytes!("app.css")),
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("app.js")),
    ("favicon.svg", "image/svg+xml", include_bytes!("favicon.svg")),
];

fn all() -> &'static [Asset] {
    static ASSETS: OnceLock<Vec<Asset>> = OnceLock::new();
    ASSETS.get_or_init(|| {
        FILES
            .iter()
            .map(|(name, content_type, bytes)| {
                let digest = hex::encode(Sha256::digest(bytes));
                let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
                Asset { hashed: format!("{stem}.{}.{ext}", &digest[..10]), content_type, bytes }
            })
            .collect()
    })
}

/// The URL of asset `name` (`app.css`, `app.js`, `favicon.svg`) in this build.
pub fn url(name: &str) -> String {
    let (stem, _) = name.rsplit_once('.').unwrap_or((name, ""));
    all()
        .iter()
        .zip(FILES)
        .find(|(_, (n, _, _))| *n == name)
        .map(|(a, _)| format!("/assets/{}", a.hashed))
        .unwrap_or_else(|| format!("/assets/{stem}"))
}

/// `GET /assets/{name}`: the file under its hashed name, cached for a year.
pub async fn serve(Path(name): Path<String>) -> Response {
    match all().iter().find(|a| a.hashed == name) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(a.content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
            ],
            a.bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
