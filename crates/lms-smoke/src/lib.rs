//! lms-smoke: a client of the public LMS HTTP API.
//!
//! It holds the synthetic load generator used in rehearsals and benchmarks
//! (and, later, the SMOKE-001..010 suite). It speaks HTTP only: it must not
//! know about the server's crates, its database or the traffic controller.
//!
//! The load generator's core is [`loadgen::run`]: it takes a [`loadgen::LoadSpec`]
//! and an `Arc<`[`loadgen::LiveStats`]`>` that callers (the cutover engine)
//! may read while it runs, and returns a typed [`loadgen::LoadReport`].

pub mod error;
pub mod loadgen;

pub use error::SmokeError;
pub use loadgen::{run_loadgen, LoadgenArgs};
