//! Schema details the derives cannot say: the fixed vocabularies of
//! string fields (used with `#[schema(schema_with = ...)]` and
//! `#[param(schema_with = ...)]`), so the document lists what is accepted.

use lms_core::{LeaveStatus, Role};
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

fn one_of(values: impl IntoIterator<Item = &'static str>, description: &str) -> Object {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values)).description(Some(description)).build()
}

/// `pending`, `approved`, `rejected` or `cancelled`.
pub fn leave_status() -> Object {
    one_of(LeaveStatus::ALL.map(LeaveStatus::as_str), "A request's status.")
}

/// `employee`, `manager` or `hr-admin`.
pub fn role() -> Object {
    one_of([Role::Employee, Role::Manager, Role::HrAdmin].map(Role::as_str), "A person's role.")
}

/// `json` (the default), `csv` or `xlsx`.
pub fn report_format() -> Object {
    one_of(["json", "csv", "xlsx"], "`json` (the default), `csv` or `xlsx` (a spreadsheet of every row).")
}

/// `json` (the default, one page) or `xlsx` (a spreadsheet of every row).
pub fn export_format() -> Object {
    one_of(["json", "xlsx"], "`json` (the default, one page) or `xlsx` (a spreadsheet of every matching row).")
}
