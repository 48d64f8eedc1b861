//! The LMS HTTP server: the JSON API under `/api/v1` (documented by an
//! OpenAPI document generated from the handlers), authentication and
//! sessions, health, status, metrics and maintenance mode.
//!
//! Handlers are thin: parse the request into `lms-core` values, run one
//! `lms-store` transaction, map the result. This crate must not know SQL or
//! the backend in use, and holds no state that a second instance (blue or
//! green) would not see: sessions, maintenance and notifications live in the
//! database.

pub mod api;
pub mod auth;
pub mod body;
pub mod config;
pub mod context;
pub mod docs;
pub mod error;
pub mod extract;
pub mod mail;
pub mod ops;
mod outbox;
pub mod router;
pub mod serve;
pub mod sso;
pub mod state;
pub mod web;
pub mod webhooks;

pub use config::ServerConfig;
pub use error::ApiError;
pub use router::router;
pub use serve::{run, shutdown_signal};
pub use state::AppState;
