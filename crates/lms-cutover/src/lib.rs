//! # lms-cutover: the runbook engine
//!
//! Turns the Phase 29 cutover runbook into an executable, resumable,
//! rehearsable plan:
//!
//! - [`plan`]: the TOML plan format, its validation (every error with line
//!   and column) and its timeline view;
//! - [`blackout`]: the go-live window and blackout calendar (month end,
//!   quarter end, holidays, business events) for any year;
//! - [`engine`]: a pure state machine: given the plan, the state replayed
//!   from the journal and the current time it returns the next action;
//! - [`journal`]: the durable, append-only record of a run, fsync'd before
//!   each action, and its replay into engine state;
//! - [`observe`]: typed observations shared by drivers and engine;
//! - [`drivers`]: the traits through which actions touch the world
//!   (traffic, deploy, database, metrics, checks, notify);
//! - [`local`]: the driver implementations used today (the `lms proxy`
//!   admin API, local processes, pg_dump / SQLite, /proc, HTTP, webhook);
//! - [`engines`]: traffic drivers for production engines (HAProxy's
//!   runtime API, nginx's upstream file and reload);
//! - [`runner`]: the controller that journals, acts and waits;
//! - [`dashboard`]: the war room's live page and its HTTP control API;
//! - [`report`]: Markdown, JSON and HTML reports from the journal;
//! - [`rehearse`]: the whole plan on one machine with time compressed.
//!
//! This crate knows nothing about leave management except through the smoke
//! suite, and nothing about how a particular proxy, orchestrator or database
//! is driven: that is behind the driver traits. The engine does no IO.

pub mod blackout;
pub mod control;
pub mod dashboard;
pub mod drivers;
pub mod engine;
pub mod engines;
pub mod error;
pub mod journal;
pub mod local;
pub mod observe;
pub mod plan;
pub mod rehearse;
pub mod report;
pub mod runner;
pub mod units;

pub use error::{CutoverError, Diagnostic, Result};
