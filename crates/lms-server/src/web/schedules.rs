//! Working schedules as the pages show and take them: hours per weekday in
//! the reader's language ("8", "7.5" / "7,5"; "7:20" when a decimal would
//! not be exact), a one-line summary ("Mon–Wed 8 h"), the rows of a
//! person's schedules (HR's person page, the person's profile, the quote),
//! and the hours typed into HR's form read back into minutes.
//!
//! The rules of a schedule (a working day at least, one schedule per start
//! date) are `lms_core::WorkingSchedule`'s and `ScheduleHistory`'s, applied
//! by `lms_app::people`; this module only reads and writes the numbers.
//! It knows nothing of storage or of how a request is counted.

use super::i18n::{Arg, Lang};
use lms_store::schedules::StoredSchedule;
use serde::Deserialize;

/// The form's field names, Monday first.
const FIELDS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
/// Catalogue keys of the weekdays' short names (as in "Mon–Wed 8 h").
const SHORT: [&str; 7] =
    ["schedule-mon", "schedule-tue", "schedule-wed", "schedule-thu", "schedule-fri", "schedule-sat", "schedule-sun"];
/// Catalogue keys of the weekdays' full names (the form's labels).
const LONG: [&str; 7] = [
    "schedule-monday",
    "schedule-tuesday",
    "schedule-wednesday",
    "schedule-thursday",
    "schedule-friday",
    "schedule-saturday",
    "schedule-sunday",
];
/// Full time, when no schedule is set: Monday to Friday, 8 hours.
const FULL_TIME: [u32; 7] = [480, 480, 480, 480, 480, 0, 0];

/// `minutes` as hours: `8`, `7.5` (`7,5` in German), or `7:20` when the
/// hours have no exact decimal of at most three places.
pub fn hours(lang: Lang, minutes: u32) -> String {
    let m = i64::from(minutes);
    if (m * 1000) % 60 == 0 {
        lang.millis(m * 1000 / 60)
    } else {
        format!("{}:{:02}", m / 60, m % 60)
    }
}

/// One day's hours as typed: empty (not worked), `8`, `7.5` or `7,5`,
/// `7:30`. `None`: not a number of hours to the minute from 0 to 24.
pub fn parse_hours(text: &str) -> Option<u32> {
    let t = text.trim();
    if t.is_empty() {
        return Some(0);
    }
    let digits = |s: &str, most: usize| !s.is_empty() && s.len() <= most && s.bytes().all(|b| b.is_ascii_digit());
    let minutes = if let Some((h, m)) = t.split_once(':') {
        if !(digits(h, 2) && m.len() == 2 && digits(m, 2)) {
            return None;
        }
        let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
        if m >= 60 {
            return None;
        }
        h * 60 + m
    } else {
        let (h, frac) = t.split_once(['.', ',']).unwrap_or((t, "0"));
        if !digits(h, 2) || !digits(frac, 3) {
            return None;
        }
        let scale = 10u32.pow(frac.len() as u32);
        let frac_minutes = frac.parse::<u32>().unwrap_or(0) * 60;
        if frac_minutes % scale != 0 {
            return None;
        }
        h.parse::<u32>().ok()? * 60 + frac_minutes / scale
    };
    (minutes <= 24 * 60).then_some(minutes)
}

/// A schedule in one line, days grouped by their hours: "Mon–Wed 8 h",
/// "Mon–Thu 8 h; Fri 6 h", "Mon, Wed, Fri 4 h".
pub fn summary(lang: Lang, minutes: [u32; 7]) -> String {
    let mut groups: Vec<(u32, Vec<usize>)> = Vec::new();
    for (day, m) in minutes.iter().enumerate().filter(|(_, m)| **m > 0) {
        match groups.iter_mut().find(|(g, _)| g == m) {
            Some((_, days)) => days.push(day),
            None => groups.push((*m, vec![day])),
        }
    }
    groups
        .iter()
        .map(|(m, days)| {
            let mut runs: Vec<(usize, usize)> = Vec::new();
            for &d in days {
                match runs.last_mut() {
                    Some((_, last)) if *last + 1 == d => *last = d,
                    _ => runs.push((d, d)),
                }
            }
            let days = runs
                .iter()
                .map(|&(a, b)| match b - a {
                    0 => lang.t(SHORT[a]),
                    _ => format!("{}–{}", lang.t(SHORT[a]), lang.t(SHORT[b])),
                })
                .collect::<Vec<_>>()
                .join(", ");
            let h = lang.t_with("schedule-hours", &[("hours", Arg::Text(hours(lang, *m)))]);
            format!("{days} {h}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A schedule's line where none is set: "Full time: Mon–Fri 8 h".
pub fn full_time(lang: Lang) -> String {
    lang.t_with("schedule-full-time", &[("schedule", Arg::Text(summary(lang, FULL_TIME)))])
}

/// A weekday's column or field.
pub struct Day {
    /// The form field's name.
    pub field: &'static str,
    pub short: String,
    pub long: String,
    /// The hours typed (the form) or stored (a row; "–" when not worked).
    pub hours: String,
}

/// The weekdays, Monday first, with `hours` of each.
fn days(lang: Lang, hours: [String; 7]) -> Vec<Day> {
    FIELDS
        .iter()
        .zip(hours)
        .enumerate()
        .map(|(i, (field, hours))| Day { field, short: lang.t(SHORT[i]), long: lang.t(LONG[i]), hours })
        .collect()
}

/// The weekdays, Monday first, as column heads.
pub fn weekdays(lang: Lang) -> Vec<Day> {
    days(lang, Default::default())
}

/// A schedule a quote counted by, in one line: "Mon–Wed 8 h (from 1 Jan
/// 2026)", or "Full time: Mon–Fri 8 h" when none is set.
pub fn applied(lang: Lang, s: &lms_store::schedules::AppliedSchedule) -> String {
    match s.valid_from {
        None => full_time(lang),
        Some(from) => lang.t_with(
            "schedule-applied",
            &[("schedule", Arg::Text(summary(lang, s.minutes))), ("date", Arg::Text(lang.date(from)))],
        ),
    }
}

/// One stored schedule as a table row.
pub struct Row {
    /// `valid_from` as `YYYY-MM-DD` (what the remove form sends).
    pub date: String,
    /// `valid_from` in the reader's language.
    pub from: String,
    pub days: Vec<Day>,
    pub summary: String,
}

/// A person's stored schedules as rows, oldest first.
pub fn rows(lang: Lang, stored: &[StoredSchedule]) -> Vec<Row> {
    let mut sorted = stored.to_vec();
    sorted.sort_by_key(|s| s.valid_from);
    sorted
        .iter()
        .map(|s| Row {
            date: s.valid_from.to_string(),
            from: lang.date(s.valid_from),
            days: days(lang, s.minutes.map(|m| if m == 0 { "–".to_string() } else { hours(lang, m) })),
            summary: summary(lang, s.minutes),
        })
        .collect()
}

/// The fields of HR's "add a schedule" form, as typed.
#[derive(Deserialize, Default, Clone)]
pub struct ScheduleFields {
    #[serde(rename = "_csrf", default)]
    pub token: String,
    #[serde(default)]
    pub valid_from: String,
    #[serde(default)]
    mon: String,
    #[serde(default)]
    tue: String,
    #[serde(default)]
    wed: String,
    #[serde(default)]
    thu: String,
    #[serde(default)]
    fri: String,
    #[serde(default)]
    sat: String,
    #[serde(default)]
    sun: String,
}

impl ScheduleFields {
    fn typed(&self) -> [&str; 7] {
        [&self.mon, &self.tue, &self.wed, &self.thu, &self.fri, &self.sat, &self.sun]
    }

    /// The form's weekdays with what was typed.
    pub fn days(&self, lang: Lang) -> Vec<Day> {
        days(lang, self.typed().map(str::to_string))
    }

    /// The schedule typed, or what to fix (in the reader's language).
    /// Only the numbers are read here; whether they make a schedule is the
    /// domain's to say.
    pub fn parse(&self, lang: Lang) -> Result<StoredSchedule, String> {
        let valid_from = chrono::NaiveDate::parse_from_str(self.valid_from.trim(), "%Y-%m-%d")
            .map_err(|_| lang.t("schedule-date-needed"))?;
        let mut minutes = [0u32; 7];
        for (i, typed) in self.typed().iter().enumerate() {
            minutes[i] = parse_hours(typed).ok_or_else(|| {
                let args = [("day", Arg::Text(lang.t(LONG[i]))), ("typed", Arg::Text(typed.trim().to_string()))];
                lang.t_with("schedule-bad-hours", &args)
            })?;
        }
        Ok(StoredSchedule { valid_from, minutes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_read_to_the_minute_and_shown_per_language() {
        for (typed, minutes) in
            [("", Some(0)), ("8", Some(480)), ("7.5", Some(450)), ("7,5", Some(450)), ("7:30", Some(450))]
        {
            assert_eq!(parse_hours(typed), minutes, "{typed}");
        }
        for (typed, minutes) in [(" 0 ", Some(0)), ("7.25", Some(435)), ("24", Some(1440)), ("0.1", Some(6))] {
            assert_eq!(parse_hours(typed), minutes, "{typed}");
        }
        for bad in ["25", "24.5", "-1", "eight", "7.01", "7:60", "7:5", "1e1", "7.", ".5", "007"] {
            assert_eq!(parse_hours(bad), None, "{bad}");
        }
        assert_eq!(
            (hours(Lang::En, 480), hours(Lang::En, 450), hours(Lang::De, 450)),
            ("8".into(), "7.5".into(), "7,5".into())
        );
        assert_eq!(hours(Lang::En, 440), "7:20", "no exact decimal");
    }

    #[test]
    fn a_schedule_reads_in_one_line() {
        assert_eq!(summary(Lang::En, [480, 480, 480, 0, 0, 0, 0]), "Mon–Wed 8 h");
        assert_eq!(summary(Lang::En, [480, 480, 480, 480, 360, 0, 0]), "Mon–Thu 8 h; Fri 6 h");
        assert_eq!(summary(Lang::En, [240, 0, 240, 0, 240, 0, 0]), "Mon, Wed, Fri 4 h");
        assert_eq!(summary(Lang::De, [450, 450, 0, 0, 0, 0, 0]), "Mo–Di 7,5 Std.");
        assert_eq!(full_time(Lang::En), "Full time: Mon–Fri 8 h");
        let from = chrono::NaiveDate::from_ymd_opt(2026, 1, 5);
        let s = lms_store::schedules::AppliedSchedule { valid_from: from, minutes: [480, 480, 480, 0, 0, 0, 0] };
        assert_eq!(applied(Lang::En, &s), "Mon–Wed 8 h (from 5 Jan 2026)");
        assert_eq!(applied(Lang::De, &s), "Mo–Mi 8 Std. (ab 5. Jan. 2026)");
    }
}
