//! Integration tests of the LMS server through its HTTP API, each against a
//! fresh database, on SQLite and on PostgreSQL.

mod support;

mod approvals;
mod auth;
mod authorization;
mod calendar;
mod contract;
mod exports;
mod hr;
mod instances;
mod leave_year;
mod locations;
mod mail;
mod oidc_provider;
mod operations;
mod pages;
mod policies;
mod python;
mod races;
mod reports;
mod sso;
mod units;
mod validation;
mod webhooks;
mod workflow;
