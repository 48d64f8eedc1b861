//! Integration tests of the LMS server through its HTTP API, each against a
//! fresh database, on SQLite and on PostgreSQL.

mod support;

mod approvals;
mod auth;
mod authorization;
mod contract;
mod hr;
mod instances;
mod leave_year;
mod locations;
mod mail;
mod operations;
mod pages;
mod policies;
mod races;
mod reports;
mod units;
mod validation;
mod webhooks;
mod workflow;
