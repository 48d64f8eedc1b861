//! Reading holiday calendars from files: iCalendar (RFC 5545) and CSV.
//!
//! Strict on purpose: what this reader does not understand is refused with
//! the line it is on, never guessed at, so an import means what HR saw in
//! their calendar program.
//!
//! - **iCalendar**: a `VCALENDAR` of `VEVENT`s, each a whole-day event
//!   (`DTSTART;VALUE=DATE:20261225`, or a bare 8-digit date), one day long,
//!   or several through `DTEND` (exclusive, as the RFC says) or `DURATION`
//!   in days or weeks; `RRULE:FREQ=YEARLY` (nothing more than `INTERVAL=1`,
//!   `WKST`, and `BYMONTH`/`BYMONTHDAY` equal to the start's) makes it a
//!   recurring holiday; `SUMMARY` names it. Folded lines are unfolded;
//!   CRLF or LF line ends. `VTIMEZONE` and `VALARM` are skipped (they cannot
//!   change a whole day); a date-time start, `COUNT`/`UNTIL`, `RDATE`,
//!   `EXDATE`, a cancelled event or an unknown property are refused.
//! - **CSV**: a header `date,name` or `date,name,recurring`, then one
//!   holiday a line: an ISO date, a name (quoted with `"` when it holds a
//!   comma), and `yes`/`no` (also `true`/`false`, `1`/`0`, empty: no).
//!
//! Pure: knows nothing of storage or of which calendar the holidays go to.

use crate::holiday::HolidayDate;
use crate::DomainError;
use chrono::{Datelike, Duration, NaiveDate};

/// The longest holiday name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// The most holidays one file may hold (a multi-day event counts each day).
pub const MAX_HOLIDAYS: usize = 1000;
/// The longest event, in days.
const MAX_EVENT_DAYS: i64 = 366;

/// One holiday read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHoliday {
    pub date: HolidayDate,
    pub name: String,
    /// The line it was read from (an event's `BEGIN:VEVENT`).
    pub line: usize,
}

/// The two formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarFormat {
    Ics,
    Csv,
}

impl CalendarFormat {
    /// The format of a body by its media type (`text/calendar`, `text/csv`;
    /// parameters such as `charset` are ignored).
    pub fn from_media_type(media: &str) -> Option<Self> {
        match media.split(';').next().unwrap_or_default().trim().to_ascii_lowercase().as_str() {
            "text/calendar" => Some(CalendarFormat::Ics),
            "text/csv" => Some(CalendarFormat::Csv),
            _ => None,
        }
    }

    /// A pasted text's format: iCalendar when it starts with `BEGIN:VCALENDAR`.
    pub fn sniff(text: &str) -> Self {
        let head = text.trim_start_matches('\u{feff}').trim_start();
        if head.get(..15).is_some_and(|h| h.eq_ignore_ascii_case("BEGIN:VCALENDAR")) {
            CalendarFormat::Ics
        } else {
            CalendarFormat::Csv
        }
    }
}

/// Reads `text` in `format`.
pub fn parse(format: CalendarFormat, text: &str) -> Result<Vec<FileHoliday>, DomainError> {
    let found = match format {
        CalendarFormat::Ics => parse_ics(text)?,
        CalendarFormat::Csv => parse_csv(text)?,
    };
    if found.is_empty() {
        return Err(refuse(1, "the file holds no holiday"));
    }
    if found.len() > MAX_HOLIDAYS {
        return Err(refuse(
            found.last().map_or(1, |h| h.line),
            format!("the file holds {} holidays; at most {MAX_HOLIDAYS} are read at once: split it", found.len()),
        ));
    }
    Ok(found)
}

fn refuse(line: usize, message: impl Into<String>) -> DomainError {
    DomainError::CalendarFile { line, message: message.into() }
}

fn holiday_name(raw: &str, line: usize) -> Result<String, DomainError> {
    crate::text::name(raw, MAX_NAME_CHARS)
        .map_err(|_| refuse(line, format!("a holiday's name must have 1 to {MAX_NAME_CHARS} characters")))
}

/// Lines with their numbers (1-based), without their ends (CRLF or LF).
fn physical_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.split('\n').enumerate().map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
}

/// A content line: its name (upper case), its parameters, its value, and
/// the line it starts on.
struct ContentLine {
    line: usize,
    name: String,
    params: Vec<(String, String)>,
    value: String,
}

/// Unfolds (a line starting with a space or a tab continues the one
/// before) and splits each content line into name, parameters and value.
fn content_lines(text: &str) -> Result<Vec<ContentLine>, DomainError> {
    let mut logical: Vec<(usize, String)> = Vec::new();
    for (n, l) in physical_lines(text) {
        if let Some(rest) = l.strip_prefix([' ', '\t']) {
            match logical.last_mut() {
                Some((_, prev)) => prev.push_str(rest),
                None => return Err(refuse(n, "a continuation line (starting with a space) before any content line")),
            }
        } else if !l.is_empty() {
            logical.push((n, l.to_string()));
        }
    }
    logical.into_iter().map(|(n, l)| split_content_line(n, &l)).collect()
}

fn split_content_line(line: usize, l: &str) -> Result<ContentLine, DomainError> {
    // The value starts at the first colon outside a quoted parameter value.
    let mut quoted = false;
    let colon = l.char_indices().find(|(_, c)| {
        if *c == '"' {
            quoted = !quoted;
        }
        *c == ':' && !quoted
    });
    let Some((at, _)) = colon else {
        return Err(refuse(line, format!("`{}` is not a content line (NAME:value)", shorten(l))));
    };
    let (head, value) = (&l[..at], &l[at + 1..]);
    let mut parts = head.split(';');
    let name = parts.next().unwrap_or_default().trim().to_ascii_uppercase();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(refuse(line, format!("`{}` is not a property name", shorten(head))));
    }
    let params = parts
        .map(|p| match p.split_once('=') {
            Some((k, v)) => Ok((k.trim().to_ascii_uppercase(), v.trim().trim_matches('"').to_string())),
            None => Err(refuse(line, format!("the parameter `{}` has no value", shorten(p)))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ContentLine { line, name, params, value: value.to_string() })
}

fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// Properties of an event that cannot change which days are holidays or
/// what they are called.
const IGNORED_EVENT_PROPERTIES: &[&str] = &[
    "UID",
    "DTSTAMP",
    "CREATED",
    "LAST-MODIFIED",
    "DESCRIPTION",
    "LOCATION",
    "TRANSP",
    "CLASS",
    "CATEGORIES",
    "SEQUENCE",
    "URL",
    "COMMENT",
    "PRIORITY",
    "ORGANIZER",
    "CONTACT",
    "GEO",
    "RESOURCES",
    "ATTACH",
    "COLOR",
];

/// An event being read.
#[derive(Default)]
struct Event {
    begin: usize,
    start: Option<(usize, NaiveDate)>,
    end: Option<(usize, NaiveDate)>,
    duration: Option<(usize, i64)>,
    yearly: Option<(usize, Vec<(String, String)>)>,
    summary: Option<(usize, String)>,
}

/// Reads an iCalendar file.
pub fn parse_ics(text: &str) -> Result<Vec<FileHoliday>, DomainError> {
    let lines = content_lines(text)?;
    let mut out = Vec::new();
    // Where we are: outside, in the calendar, in an event, or skipping a
    // component (its name and how deep).
    let mut in_calendar = false;
    let mut calendar_seen = false;
    let mut event: Option<Event> = None;
    let mut skipping: Vec<String> = Vec::new();
    let mut last_line = 1;
    for cl in &lines {
        last_line = cl.line;
        let n = cl.line;
        if let Some(inner) = skipping.last().cloned() {
            match cl.name.as_str() {
                "BEGIN" => skipping.push(cl.value.trim().to_ascii_uppercase()),
                "END" if cl.value.trim().eq_ignore_ascii_case(&inner) => {
                    skipping.pop();
                }
                "END" => return Err(refuse(n, format!("END:{} where END:{inner} was expected", cl.value.trim()))),
                _ => {}
            }
            continue;
        }
        match (cl.name.as_str(), in_calendar, event.is_some()) {
            ("BEGIN", false, _) => {
                if !cl.value.trim().eq_ignore_ascii_case("VCALENDAR") || calendar_seen {
                    return Err(refuse(n, "the file must hold one calendar: BEGIN:VCALENDAR … END:VCALENDAR"));
                }
                in_calendar = true;
                calendar_seen = true;
            }
            (_, false, _) => {
                return Err(refuse(n, format!("`{}` outside BEGIN:VCALENDAR … END:VCALENDAR", cl.name)));
            }
            ("BEGIN", true, false) => match cl.value.trim().to_ascii_uppercase().as_str() {
                "VEVENT" => event = Some(Event { begin: n, ..Default::default() }),
                "VTIMEZONE" => skipping.push("VTIMEZONE".into()),
                other => {
                    return Err(refuse(
                        n,
                        format!("a {other} is not a holiday; the calendar may hold events (VEVENT) only"),
                    ))
                }
            },
            ("END", true, false) => {
                if !cl.value.trim().eq_ignore_ascii_case("VCALENDAR") {
                    return Err(refuse(n, format!("END:{} where END:VCALENDAR was expected", cl.value.trim())));
                }
                in_calendar = false;
            }
            ("CALSCALE", true, false) if !cl.value.trim().eq_ignore_ascii_case("GREGORIAN") => {
                return Err(refuse(n, format!("the calendar scale {} is not read; only GREGORIAN", cl.value.trim())));
            }
            ("VERSION", true, false) if cl.value.trim() != "2.0" => {
                return Err(refuse(n, format!("iCalendar version {} is not read; only 2.0", cl.value.trim())));
            }
            // Other calendar properties (PRODID, METHOD, X-WR-CALNAME …) name
            // or describe the calendar; none changes a holiday.
            (_, true, false) => {}
            ("BEGIN", true, true) => {
                let what = cl.value.trim().to_ascii_uppercase();
                if what == "VALARM" {
                    skipping.push(what);
                } else {
                    return Err(refuse(n, format!("a {what} inside an event is not read")));
                }
            }
            ("END", true, true) => {
                if !cl.value.trim().eq_ignore_ascii_case("VEVENT") {
                    return Err(refuse(n, format!("END:{} where END:VEVENT was expected", cl.value.trim())));
                }
                if let Some(e) = event.take() {
                    finish_event(e, &mut out)?;
                }
            }
            (_, true, true) => {
                if let Some(e) = event.as_mut() {
                    event_property(e, cl)?;
                }
            }
        }
    }
    if event.is_some() || !skipping.is_empty() || in_calendar || !calendar_seen {
        return Err(refuse(last_line, "the file ends before END:VCALENDAR (is it cut short?)"));
    }
    Ok(out)
}

fn param<'a>(cl: &'a ContentLine, key: &str) -> Option<&'a str> {
    cl.params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// A whole-day date: `VALUE=DATE` (or no VALUE) and eight digits.
fn date_value(cl: &ContentLine) -> Result<NaiveDate, DomainError> {
    let v = cl.value.trim();
    let value_type = param(cl, "VALUE").map(str::to_ascii_uppercase);
    if value_type.as_deref().is_some_and(|t| t != "DATE") || v.contains('T') {
        return Err(refuse(
            cl.line,
            format!("{} is a date and time; a holiday is a whole day ({};VALUE=DATE:20261225)", cl.name, cl.name),
        ));
    }
    if v.len() != 8 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refuse(cl.line, format!("{} `{}` is not a date (YYYYMMDD)", cl.name, shorten(v))));
    }
    NaiveDate::parse_from_str(v, "%Y%m%d")
        .map_err(|_| refuse(cl.line, format!("{} `{v}` is not a date of the calendar", cl.name)))
}

/// `P<n>D` or `P<n>W`: a number of days.
fn duration_days(cl: &ContentLine) -> Result<i64, DomainError> {
    let v = cl.value.trim().to_ascii_uppercase();
    let bad =
        || refuse(cl.line, format!("DURATION `{}` is not read; give whole days (P2D) or weeks (P1W)", shorten(&v)));
    let body = v.strip_prefix('P').ok_or_else(bad)?;
    let (digits, per) = match body.strip_suffix('D') {
        Some(d) => (d, 1),
        None => (body.strip_suffix('W').ok_or_else(bad)?, 7),
    };
    let n: i64 = digits.parse().map_err(|_| bad())?;
    Ok(n * per)
}

/// The text of a TEXT value, its escapes undone; a line break becomes a space.
fn text_value(cl: &ContentLine) -> Result<String, DomainError> {
    let mut out = String::new();
    let mut chars = cl.value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some(';') => out.push(';'),
            Some(',') => out.push(','),
            Some('n' | 'N') => out.push(' '),
            other => {
                let what = other.map(|c| c.to_string()).unwrap_or_default();
                return Err(refuse(cl.line, format!("`\\{what}` is not an escape of iCalendar text")));
            }
        }
    }
    Ok(out)
}

fn once(slot: &Option<impl Sized>, cl: &ContentLine) -> Result<(), DomainError> {
    if slot.is_some() {
        Err(refuse(cl.line, format!("the event has {} twice", cl.name)))
    } else {
        Ok(())
    }
}

fn event_property(e: &mut Event, cl: &ContentLine) -> Result<(), DomainError> {
    let n = cl.line;
    match cl.name.as_str() {
        "DTSTART" => {
            once(&e.start, cl)?;
            e.start = Some((n, date_value(cl)?));
        }
        "DTEND" => {
            once(&e.end, cl)?;
            e.end = Some((n, date_value(cl)?));
        }
        "DURATION" => {
            once(&e.duration, cl)?;
            e.duration = Some((n, duration_days(cl)?));
        }
        "SUMMARY" => {
            once(&e.summary, cl)?;
            e.summary = Some((n, text_value(cl)?));
        }
        "RRULE" => {
            once(&e.yearly, cl)?;
            let parts = cl
                .value
                .trim()
                .split(';')
                .map(|p| {
                    p.split_once('=')
                        .map(|(k, v)| (k.trim().to_ascii_uppercase(), v.trim().to_ascii_uppercase()))
                        .ok_or_else(|| refuse(n, format!("the rule part `{}` has no value", shorten(p))))
                })
                .collect::<Result<Vec<_>, _>>()?;
            e.yearly = Some((n, parts));
        }
        "STATUS" => {
            if cl.value.trim().eq_ignore_ascii_case("CANCELLED") {
                return Err(refuse(n, "the event is cancelled: remove it from the file"));
            }
        }
        "RDATE" | "EXDATE" | "RECURRENCE-ID" | "EXRULE" => {
            return Err(refuse(
                n,
                format!("{} is not read: a holiday falls once, or every year on the same date", cl.name),
            ))
        }
        other if other.starts_with("X-") || IGNORED_EVENT_PROPERTIES.contains(&other) => {}
        other => return Err(refuse(n, format!("the event property {other} is not understood"))),
    }
    Ok(())
}

fn finish_event(e: Event, out: &mut Vec<FileHoliday>) -> Result<(), DomainError> {
    let Some((_, start)) = e.start else {
        return Err(refuse(e.begin, "the event has no DTSTART"));
    };
    let Some((summary_line, summary)) = e.summary else {
        return Err(refuse(e.begin, "the event has no SUMMARY (its name)"));
    };
    let name = holiday_name(&summary, summary_line)?;
    let days = match (e.end, e.duration) {
        (Some((n, _)), Some(_)) => return Err(refuse(n, "the event has both DTEND and DURATION; keep one")),
        (Some((n, end)), None) => {
            if end <= start {
                return Err(refuse(
                    n,
                    format!("DTEND {end} is not after DTSTART {start} (DTEND is the day after the last)"),
                ));
            }
            (end - start).num_days()
        }
        (None, Some((n, days))) => {
            if days < 1 {
                return Err(refuse(n, "DURATION must be at least one day"));
            }
            days
        }
        (None, None) => 1,
    };
    if days > MAX_EVENT_DAYS {
        return Err(refuse(e.begin, format!("the event lasts {days} days; at most {MAX_EVENT_DAYS} are read")));
    }
    let recurring = match e.yearly {
        None => false,
        Some((n, parts)) => {
            yearly_rule(n, &parts, start)?;
            true
        }
    };
    for i in 0..days {
        let day = start + Duration::days(i);
        out.push(FileHoliday { date: HolidayDate::new(day, recurring), name: name.clone(), line: e.begin });
    }
    Ok(())
}

/// Only a plain yearly rule on the start's own month and day is read.
fn yearly_rule(line: usize, parts: &[(String, String)], start: NaiveDate) -> Result<(), DomainError> {
    let freq = parts.iter().find(|(k, _)| k == "FREQ").map(|(_, v)| v.as_str());
    if freq != Some("YEARLY") {
        return Err(refuse(
            line,
            format!("RRULE FREQ={} is not read; a recurring holiday is FREQ=YEARLY", freq.unwrap_or("(none)")),
        ));
    }
    for (k, v) in parts {
        let fine = match k.as_str() {
            "FREQ" | "WKST" => true,
            "INTERVAL" => v == "1",
            "BYMONTH" => v.parse::<u32>().ok() == Some(start.month()),
            "BYMONTHDAY" => v.parse::<u32>().ok() == Some(start.day()),
            _ => false,
        };
        if !fine {
            let why = match k.as_str() {
                "COUNT" | "UNTIL" => {
                    "a recurring holiday repeats every year without end; list the years as single events instead"
                }
                _ => "only FREQ=YEARLY on the start's own month and day is read",
            };
            return Err(refuse(line, format!("RRULE {k}={v} is not read: {why}")));
        }
    }
    Ok(())
}

/// Splits one CSV line into fields (`"` quotes a field; `""` inside is a quote).
fn csv_fields(line: usize, l: &str) -> Result<Vec<String>, DomainError> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = l.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if field.trim().is_empty() && !was_quoted => {
                field.clear();
                quoted = true;
                was_quoted = true;
            }
            ('"', false) => return Err(refuse(line, "a quote inside an unquoted field; quote the whole field")),
            (',', false) => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            (c, _) => {
                if was_quoted && !quoted && !c.is_whitespace() {
                    return Err(refuse(line, "text after a closing quote; put a comma between fields"));
                }
                field.push(c);
            }
        }
    }
    if quoted {
        return Err(refuse(line, "a quoted field is not closed"));
    }
    fields.push(field);
    Ok(fields)
}

/// Reads a CSV file: `date,name[,recurring]` with a header.
pub fn parse_csv(text: &str) -> Result<Vec<FileHoliday>, DomainError> {
    let mut lines = physical_lines(text).filter(|(_, l)| !l.trim().is_empty());
    let Some((hn, header)) = lines.next() else {
        return Err(refuse(1, "the file holds no holiday"));
    };
    let columns: Vec<String> = csv_fields(hn, header)?.iter().map(|c| c.trim().to_ascii_lowercase()).collect();
    let with_recurring = match columns.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["date", "name"] => false,
        ["date", "name", "recurring"] => true,
        _ => {
            return Err(refuse(
                hn,
                format!("the header is `{}`; it must be date,name or date,name,recurring", shorten(header)),
            ))
        }
    };
    let mut out = Vec::new();
    for (n, l) in lines {
        let fields = csv_fields(n, l)?;
        if fields.len() != columns.len() {
            return Err(refuse(n, format!("{} fields where the header has {}", fields.len(), columns.len())));
        }
        let raw_date = fields[0].trim();
        let date = NaiveDate::parse_from_str(raw_date, "%Y-%m-%d")
            .map_err(|_| refuse(n, format!("`{}` is not a date (YYYY-MM-DD)", shorten(raw_date))))?;
        let name = holiday_name(&fields[1], n)?;
        let recurring = if with_recurring {
            match fields[2].trim().to_ascii_lowercase().as_str() {
                "" | "no" | "false" | "0" => false,
                "yes" | "true" | "1" => true,
                other => {
                    return Err(refuse(n, format!("recurring is `{}`; use yes or no", shorten(other))));
                }
            }
        } else {
            false
        };
        out.push(FileHoliday { date: HolidayDate::new(date, recurring), name, line: n });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn summary(found: &[FileHoliday]) -> Vec<(NaiveDate, bool, &str)> {
        found.iter().map(|h| (h.date.first(), h.date.is_recurring(), h.name.as_str())).collect()
    }

    const REALISTIC: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example Corp//Holidays 1.0//EN\r\n\
        CALSCALE:GREGORIAN\r\nX-WR-CALNAME:Bavaria\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n\
        BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n\
        END:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:xmas@example.com\r\nDTSTAMP:20260101T000000Z\r\n\
        DTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261226\r\nRRULE:FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25\r\n\
        SUMMARY:Christmas Day\r\nTRANSP:TRANSPARENT\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:fair@example.com\r\n\
        DTSTART;VALUE=DATE:20260928\r\nDTEND;VALUE=DATE:20261001\r\nSUMMARY:Company retreat\\, autumn\r\n  \
        (all sites)\r\nDESCRIPTION:Three days\\nno work\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\n\
        END:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn a_realistic_file_unfolds_and_expands() {
        let found = parse(CalendarFormat::Ics, REALISTIC).expect("read");
        assert_eq!(
            summary(&found),
            vec![
                (d(2026, 12, 25), true, "Christmas Day"),
                (d(2026, 9, 28), false, "Company retreat, autumn (all sites)"),
                (d(2026, 9, 29), false, "Company retreat, autumn (all sites)"),
                (d(2026, 9, 30), false, "Company retreat, autumn (all sites)"),
            ]
        );
        // The same with LF only and a bare date.
        let lf = REALISTIC.replace("\r\n", "\n").replace("DTSTART;VALUE=DATE:20261225", "DTSTART:20261225");
        assert_eq!(summary(&parse(CalendarFormat::Ics, &lf).expect("read")), summary(&found));
    }

    fn refused(format: CalendarFormat, text: &str) -> (usize, String) {
        match parse(format, text) {
            Err(DomainError::CalendarFile { line, message }) => (line, message),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    fn event(lines: &str) -> String {
        format!("BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\n{lines}\nEND:VEVENT\nEND:VCALENDAR\n")
    }

    #[test]
    fn what_is_not_understood_is_refused_with_its_line() {
        let cases = [
            (event("DTSTART:20261225T090000Z\nSUMMARY:x"), 4, "date and time"),
            (event("DTSTART;VALUE=DATE:20261225\nSUMMARY:x\nRRULE:FREQ=YEARLY;COUNT=3"), 6, "COUNT=3"),
            (event("DTSTART;VALUE=DATE:20261225\nSUMMARY:x\nRRULE:FREQ=MONTHLY"), 6, "FREQ=MONTHLY"),
            (event("DTSTART;VALUE=DATE:20261225\nSUMMARY:x\nEXDATE;VALUE=DATE:20271225"), 6, "EXDATE"),
            (event("DTSTART;VALUE=DATE:20261225\nSUMMARY:x\nFOO:bar"), 6, "FOO"),
            (event("DTSTART;VALUE=DATE:20261225\nDTEND;VALUE=DATE:20261225\nSUMMARY:x"), 5, "not after"),
            (event("DTSTART;VALUE=DATE:20261232\nSUMMARY:x"), 4, "not a date"),
            (event("DTSTART;VALUE=DATE:20261225"), 3, "SUMMARY"),
            (event("SUMMARY:x"), 3, "DTSTART"),
            (event("DTSTART;VALUE=DATE:20261225\nSUMMARY:x\nSTATUS:CANCELLED"), 6, "cancelled"),
            (event("DTSTART;VALUE=DATE:20261225\nSUMMARY:x\nthis is not a line"), 6, "content line"),
            ("BEGIN:VCALENDAR\nBEGIN:VTODO\nEND:VTODO\nEND:VCALENDAR\n".into(), 2, "VTODO"),
            ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20261225\nSUMMARY:x\nEND:VEVENT\n".into(), 5, "ends before"),
            ("SUMMARY:x\n".into(), 1, "outside"),
            (" folded\n".into(), 1, "continuation"),
            ("BEGIN:VCALENDAR\nEND:VCALENDAR\n".into(), 1, "no holiday"),
        ];
        for (text, line, says) in cases {
            let (l, m) = refused(CalendarFormat::Ics, &text);
            assert_eq!(l, line, "{text}: {m}");
            assert!(m.contains(says), "{text}: {m}");
        }
    }

    #[test]
    fn csv_with_a_header_and_quotes() {
        let text = "\u{feff}date,name,recurring\r\n2026-12-25,Christmas Day,yes\r\n\r\n\
                    2026-10-03,\"Unity Day, German\",no\r\n2027-01-06,\"Epiphany \"\"Three Kings\"\"\",\r\n";
        assert_eq!(
            summary(&parse(CalendarFormat::Csv, text).expect("read")),
            vec![
                (d(2026, 12, 25), true, "Christmas Day"),
                (d(2026, 10, 3), false, "Unity Day, German"),
                (d(2027, 1, 6), false, "Epiphany \"Three Kings\""),
            ]
        );
        let two = parse(CalendarFormat::Csv, "Date,Name\n2026-05-01,Labour Day\n").expect("read");
        assert_eq!(summary(&two), vec![(d(2026, 5, 1), false, "Labour Day")]);
        let cases = [
            ("day,name\n2026-01-01,x\n", 1, "header"),
            ("date,name\n2026-01-01\n", 2, "1 fields"),
            ("date,name\n01.01.2026,x\n", 2, "not a date"),
            ("date,name,recurring\n2026-01-01,x,often\n", 2, "yes or no"),
            ("date,name\n2026-01-01, \n", 2, "name"),
            ("date,name\n2026-01-01,\"open\n", 2, "not closed"),
            ("date,name\n", 1, "no holiday"),
        ];
        for (text, line, says) in cases {
            let (l, m) = refused(CalendarFormat::Csv, text);
            assert_eq!(l, line, "{text}: {m}");
            assert!(m.contains(says), "{text}: {m}");
        }
    }

    #[test]
    fn the_format_comes_from_the_media_type_or_the_text() {
        assert_eq!(CalendarFormat::from_media_type("text/calendar; charset=utf-8"), Some(CalendarFormat::Ics));
        assert_eq!(CalendarFormat::from_media_type("Text/CSV"), Some(CalendarFormat::Csv));
        assert_eq!(CalendarFormat::from_media_type("application/json"), None);
        assert_eq!(CalendarFormat::sniff("\n begin:vcalendar\n"), CalendarFormat::Ics);
        assert_eq!(CalendarFormat::sniff("date,name\n"), CalendarFormat::Csv);
    }
}
