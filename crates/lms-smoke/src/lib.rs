//! lms-smoke: a client of the public LMS HTTP API.
//!
//! It holds the synthetic load generator used in rehearsals and benchmarks
//! (and, later, the SMOKE-001..010 suite). It speaks HTTP only: it must not
//! know about the server's crates, its database or the traffic controller.

pub mod loadgen;

pub use loadgen::{run_loadgen, LoadgenArgs};
