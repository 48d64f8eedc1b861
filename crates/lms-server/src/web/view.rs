//! Values as pages show them: a balance as a bar with its figures, a request
//! as a row (type name, dates, days, status in the reader's language, and
//! whether the reader may still cancel it). Formatting only; no rule is
//! decided here that `lms-core` does not decide.

use super::i18n::Lang;
use chrono::{NaiveDate, Utc};
use lms_core::{LeaveStatus, RequestAction};
use lms_store::leave_types::LeaveType;
use lms_store::ledger::TypeBalance;
use lms_store::requests::LeaveRequest;

/// The display name of leave type `code`, and its colour slot (0..6).
pub fn type_label(types: &[LeaveType], code: &str) -> (String, usize) {
    match types.iter().position(|t| t.code == code) {
        Some(i) => (types[i].name.clone(), i % 6),
        None => (code.to_string(), 0),
    }
}

/// One leave type's balance as a bar: widths in per cent of the entitlement.
pub struct BalanceBar {
    pub name: String,
    pub entitled: String,
    pub taken: String,
    pub pending: String,
    pub available: String,
    /// "days available" / "hours available" in the reader's language.
    pub available_label: String,
    /// The unit's name ("days", "hours").
    pub unit: String,
    pub taken_pct: String,
    pub pending_pct: String,
    /// Where the pending part starts.
    pub pending_x: String,
}

impl BalanceBar {
    pub fn new(lang: Lang, types: &[LeaveType], b: &TypeBalance) -> BalanceBar {
        let bal = &b.balance;
        let whole = bal.entitled.millidays().max(bal.taken.millidays() + bal.pending.millidays()).max(1) as f64;
        let pct = |m: i64| (m.max(0) as f64 * 100.0 / whole).clamp(0.0, 100.0);
        let (taken, pending) = (pct(bal.taken.millidays()), pct(bal.pending.millidays()));
        BalanceBar {
            name: type_label(types, &b.leave_type).0,
            entitled: lang.amount(b.unit, bal.entitled.millidays()),
            taken: lang.amount(b.unit, bal.taken.millidays()),
            pending: lang.amount(b.unit, bal.pending.millidays()),
            available: lang.amount(b.unit, bal.available().millidays()),
            available_label: lang.t(&format!("balance-{}-available", b.unit.as_str())),
            unit: lang.unit(b.unit),
            taken_pct: format!("{taken:.2}"),
            pending_pct: format!("{pending:.2}"),
            pending_x: format!("{taken:.2}"),
        }
    }
}

/// A request as a row of a list.
pub struct RequestRow {
    pub id: i64,
    pub employee: String,
    pub type_name: String,
    pub start: NaiveDate,
    pub dates: String,
    /// The amount in the type's unit ([`RequestRow::in_unit`]; days until then).
    pub days: String,
    /// The unit's name ("days", "hours").
    pub unit: String,
    /// The type is measured in hours (lists name the unit beside the number).
    pub in_hours: bool,
    pub status: String,
    pub status_code: &'static str,
    pub reason: String,
    pub comment: String,
    pub can_cancel: bool,
    /// "Part 1 of 2" when the request is one part of a request across a
    /// turn of the leave year ([`RequestRow::with_part`]).
    pub part: Option<String>,
}

impl RequestRow {
    pub fn new(lang: Lang, types: &[LeaveType], r: &LeaveRequest) -> RequestRow {
        let (type_name, _) = type_label(types, &r.leave_type);
        let status = r.status();
        let today = Utc::now().date_naive();
        RequestRow {
            id: r.id,
            employee: r.employee_name.clone(),
            type_name,
            start: r.start_date,
            dates: date_range(lang, r.start_date, r.end_date, r.half_day_start, r.half_day_end),
            days: lang.millis(r.amount),
            unit: lang.unit(lms_core::LeaveUnit::Days),
            in_hours: false,
            status: status_label(lang, status),
            status_code: status.as_str(),
            reason: r.reason.clone(),
            comment: r.comment.clone().unwrap_or_default(),
            can_cancel: status.apply(RequestAction::Cancel, today, r.start_date).is_ok(),
            part: None,
        }
    }

    /// The row of a request of a type measured in `unit` (`raw`: its stored amount).
    pub fn in_unit(mut self, lang: Lang, unit: lms_core::LeaveUnit, raw: i64) -> RequestRow {
        self.days = lang.amount(unit, raw);
        self.unit = lang.unit(unit);
        self.in_hours = unit == lms_core::LeaveUnit::Hours;
        self
    }

    /// With "Part k of n" when `parts` (each part's siblings, by id) names it.
    pub fn with_part(mut self, lang: Lang, parts: &std::collections::HashMap<i64, Vec<i64>>) -> RequestRow {
        use super::i18n::Arg::Count;
        self.part = parts.get(&self.id).map(|ids| {
            let number = ids.iter().position(|i| *i == self.id).map_or(1, |p| p + 1);
            lang.t_with("request-part", &[("number", Count(number as i64)), ("of", Count(ids.len() as i64))])
        });
        self
    }
}

pub fn status_label(lang: Lang, s: LeaveStatus) -> String {
    lang.t(&format!("status-{}", s.as_str()))
}

/// `3 Mar 2026 – 6 Mar 2026`, with "(afternoon)" / "(morning)" on half days.
pub fn date_range(lang: Lang, start: NaiveDate, end: NaiveDate, half_start: bool, half_end: bool) -> String {
    let first = if half_start { format!("{} ({})", lang.date(start), lang.t("half-day-pm")) } else { lang.date(start) };
    if start == end {
        return if half_start || half_end { format!("{} ({})", lang.date(start), lang.t("half-day")) } else { first };
    }
    let last = if half_end { format!("{} ({})", lang.date(end), lang.t("half-day-am")) } else { lang.date(end) };
    format!("{first} – {last}")
}
