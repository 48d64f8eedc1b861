//! lms-smoke: a client of the public LMS HTTP API.
//!
//! It holds the synthetic load generator used in rehearsals and benchmarks
//! and the SMOKE-001..010 suite of the cutover plan ([`smoke`]). It speaks HTTP only: it must not
//! know about the server's crates, its database or the traffic controller.
//!
//! The load generator's core is [`loadgen::run`]: it takes a [`loadgen::LoadSpec`]
//! and an `Arc<`[`loadgen::LiveStats`]`>` that callers (the cutover engine)
//! may read while it runs, and returns a typed [`loadgen::LoadReport`].

pub mod error;
pub mod loadgen;
pub mod smoke;

pub use error::SmokeError;
pub use loadgen::{run_loadgen, LoadgenArgs};
pub use smoke::{run_smoke, SmokeArgs};
