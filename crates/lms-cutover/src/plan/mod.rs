//! The cutover plan: its TOML format, its validation and its timeline view.
//!
//! A plan says everything the runbook says (window, blackout periods,
//! timeline, checks, gates, checkpoints, smoke tests, success criteria,
//! checklist, roles). It is data: it knows nothing of drivers, journals or
//! the engine that executes it.

pub mod kubernetes;
pub mod model;
pub mod placeholders;
pub mod show;
pub mod validate;

pub use model::*;
pub use show::show;
pub use validate::{line_col, load, parse, parse_bytes};
