//! Integration tests of the LMS server through its HTTP API, each against a
//! fresh database, on SQLite and on PostgreSQL.

mod support;

mod auth;
mod authorization;
mod contract;
mod hr;
mod instances;
mod leave_year;
mod operations;
mod pages;
mod races;
mod reports;
mod validation;
mod workflow;
