//! Times, durations and measured values as a person reads them: wall-clock
//! `22:15`, dates `Sat 10 Jan 2026`, durations `4 min 10 s`, slippage
//! `5 min late`, values with their unit `0.5 %`, `120 ms`. Every time in a
//! plan and a journal is UTC, and so is every time here.
//!
//! Shared by the report's builder and both renderers; knows no report type.

use chrono::{DateTime, Utc};

/// `Sat 10 Jan 2026`.
pub fn date(t: DateTime<Utc>) -> String {
    t.format("%a %-d %b %Y").to_string()
}

/// `Sat 10 Jan 2026 22:00 UTC`.
pub fn date_time(t: DateTime<Utc>) -> String {
    format!("{} UTC", t.format("%a %-d %b %Y %H:%M"))
}

/// `22:15`, prefixed with the weekday when `t` is not on the same day as
/// `day` (a run that crosses midnight).
pub fn hhmm(t: DateTime<Utc>, day: Option<DateTime<Utc>>) -> String {
    with_day(t, day, "%H:%M")
}

/// `22:15:07`, prefixed with the weekday as [`hhmm`].
pub fn hhmmss(t: DateTime<Utc>, day: Option<DateTime<Utc>>) -> String {
    with_day(t, day, "%H:%M:%S")
}

fn with_day(t: DateTime<Utc>, day: Option<DateTime<Utc>>, fmt: &str) -> String {
    let clock = t.format(fmt).to_string();
    match day {
        Some(d) if d.date_naive() != t.date_naive() => format!("{} {clock}", t.format("%a")),
        _ => clock,
    }
}

/// A duration in seconds as `0.4 s`, `42 s`, `4 min 10 s`, `2 h 5 min`,
/// `7 d`; the sign is dropped (callers say early or late).
pub fn duration(secs: f64) -> String {
    let secs = secs.abs();
    if secs < 10.0 {
        return format!("{} s", trim(secs, 1));
    }
    let total = secs.round() as i64;
    let (d, h, m, s) = (total / 86_400, total % 86_400 / 3600, total % 3600 / 60, total % 60);
    match (d, h, m, s) {
        (0, 0, 0, s) => format!("{s} s"),
        (0, 0, m, 0) => format!("{m} min"),
        (0, 0, m, s) => format!("{m} min {s} s"),
        (0, h, 0, _) => format!("{h} h"),
        (0, h, m, _) => format!("{h} h {m} min"),
        (d, 0, _, _) => format!("{d} d"),
        (d, h, _, _) => format!("{d} d {h} h"),
    }
}

/// `T+15 min` (`T` is the window's opening, or the run's start).
pub fn offset(secs: f64) -> String {
    if secs.abs() < 0.05 {
        "T+0".into()
    } else if secs < 0.0 {
        format!("T-{}", duration(secs))
    } else {
        format!("T+{}", duration(secs))
    }
}

/// A planned start as a time and an offset, `22:15 (T+15 min)`; `as_written`
/// (the plan's `22:15`) when the run has not started. `seconds` for
/// compressed plans, whose steps are seconds apart.
pub fn planned(
    at: Option<DateTime<Utc>>,
    as_written: &str,
    offset_secs: f64,
    day: Option<DateTime<Utc>>,
    seconds: bool,
) -> String {
    let clock = match at {
        Some(t) if seconds => hhmmss(t, day),
        Some(t) => hhmm(t, day),
        None => as_written.to_string(),
    };
    format!("{clock} ({})", offset(offset_secs))
}

/// Slippage, actual minus planned: `5 min late`, `3 s early`, `on time`.
pub fn slippage(secs: f64) -> String {
    let text = duration(secs);
    if text == "0 s" {
        "on time".into()
    } else if secs > 0.0 {
        format!("{text} late")
    } else {
        format!("{text} early")
    }
}

/// A measured value with its unit: `0.52 %`, `120 ms`.
pub fn value(v: f64, unit: &str) -> String {
    format!("{} {unit}", trim(v, 2))
}

/// `v` with at most `digits` decimals, trailing zeros dropped.
fn trim(v: f64, digits: usize) -> String {
    let text = format!("{v:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_a_person_says_them() {
        assert_eq!(duration(0.36), "0.4 s");
        assert_eq!(duration(3.0), "3 s");
        assert_eq!(duration(42.4), "42 s");
        assert_eq!(duration(250.0), "4 min 10 s");
        assert_eq!(duration(900.0), "15 min");
        assert_eq!(duration(-240.0), "4 min");
        assert_eq!(duration(7500.0), "2 h 5 min");
        assert_eq!(duration(7.0 * 86_400.0), "7 d");
    }

    #[test]
    fn slippage_says_late_or_early() {
        assert_eq!(slippage(300.0), "5 min late");
        assert_eq!(slippage(-2.5), "2.5 s early");
        assert_eq!(slippage(0.01), "on time");
        assert_eq!(offset(900.0), "T+15 min");
    }

    #[test]
    fn values_carry_their_unit() {
        assert_eq!(value(0.5, "%"), "0.5 %");
        assert_eq!(value(120.0, "ms"), "120 ms");
        assert_eq!(value(0.0, "%"), "0 %");
    }
}
