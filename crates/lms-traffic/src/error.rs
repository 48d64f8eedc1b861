//! The crate's error type.
//!
//! Configuration mistakes, startup failures (binding, TLS material) and admin
//! client failures. Per-request failures are never errors of this type: the
//! proxy turns them into 502/503/504 responses and statistics. Knows nothing
//! about HTTP bodies or routing.

use std::net::SocketAddr;

/// Everything that can go wrong in the traffic controller outside a request.
#[derive(Debug, thiserror::Error)]
pub enum TrafficError {
    /// A command-line or admin value is malformed or inconsistent.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Address we tried to bind.
        addr: SocketAddr,
        /// Underlying IO error.
        source: std::io::Error,
    },
    /// The TLS certificate or key could not be loaded.
    #[error("TLS: {0}")]
    Tls(String),
    /// Other IO failure (signals, sockets).
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The admin API could not be reached.
    #[error("admin API unreachable: {0}")]
    AdminTransport(String),
    /// The admin API answered with an error status.
    #[error("admin API answered {status}: {code}: {message}")]
    AdminRejected {
        /// HTTP status returned.
        status: u16,
        /// Machine-readable error code from the body.
        code: String,
        /// Human-readable message from the body.
        message: String,
    },
    /// The admin API answered with a body we could not decode.
    #[error("admin API answered with an unexpected body: {0}")]
    AdminDecode(String),
}

/// Result alias for the crate.
pub type Result<T> = std::result::Result<T, TrafficError>;
