//! An iCalendar (RFC 5545) writer for all-day events: text escaped
//! (`\` `;` `,` and newlines), content lines folded at 75 octets (never
//! inside a UTF-8 character), CRLF line ends. It writes what it is given;
//! which events a calendar holds and how they are named is
//! `calendar_feed`'s. Knows nothing of leave, IO or HTTP.

use chrono::{DateTime, NaiveDate, Utc};
use std::fmt::Write;

/// The `STATUS` of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventStatus {
    Confirmed,
    Tentative,
    /// A calendar that shows the event removes it.
    Cancelled,
}

impl EventStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EventStatus::Confirmed => "CONFIRMED",
            EventStatus::Tentative => "TENTATIVE",
            EventStatus::Cancelled => "CANCELLED",
        }
    }
}

/// An all-day event over `first..=last`.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Globally unique and stable: the same thing keeps its UID across
    /// fetches, so a subscribed calendar updates it instead of adding one.
    pub uid: String,
    /// Grows with each change a calendar should take over.
    pub sequence: u32,
    pub status: EventStatus,
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub summary: String,
    pub description: Option<String>,
    /// When it was last changed (`DTSTAMP` and `LAST-MODIFIED`).
    pub changed: DateTime<Utc>,
    /// Whether the time shows as busy (`TRANSP:OPAQUE`) or free (`TRANSPARENT`).
    pub busy: bool,
    pub categories: Option<String>,
}

/// A whole calendar (`VCALENDAR`) named `name`, with `events` in order.
pub fn calendar(name: &str, events: &[Event]) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//LMS//Leave Management System//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, &format!("X-WR-CALNAME:{}", escape(name)));
    // Calendars that honour it poll hourly (RFC 7986 and the common extension).
    line(&mut out, "REFRESH-INTERVAL;VALUE=DURATION:PT1H");
    line(&mut out, "X-PUBLISHED-TTL:PT1H");
    for e in events {
        event(&mut out, e);
    }
    line(&mut out, "END:VCALENDAR");
    out
}

fn event(out: &mut String, e: &Event) {
    let stamp = e.changed.format("%Y%m%dT%H%M%SZ").to_string();
    line(out, "BEGIN:VEVENT");
    line(out, &format!("UID:{}", escape(&e.uid)));
    line(out, &format!("DTSTAMP:{stamp}"));
    line(out, &format!("LAST-MODIFIED:{stamp}"));
    line(out, &format!("SEQUENCE:{}", e.sequence));
    line(out, &format!("DTSTART;VALUE=DATE:{}", e.first.format("%Y%m%d")));
    // The end of an all-day event is exclusive: the day after the last.
    let end = e.last.succ_opt().unwrap_or(e.last);
    line(out, &format!("DTEND;VALUE=DATE:{}", end.format("%Y%m%d")));
    line(out, &format!("SUMMARY:{}", escape(&e.summary)));
    if let Some(d) = &e.description {
        line(out, &format!("DESCRIPTION:{}", escape(d)));
    }
    if let Some(c) = &e.categories {
        line(out, &format!("CATEGORIES:{}", escape(c)));
    }
    line(out, &format!("STATUS:{}", e.status.as_str()));
    line(out, if e.busy { "TRANSP:OPAQUE" } else { "TRANSP:TRANSPARENT" });
    line(out, "END:VEVENT");
}

/// Appends one content line, folded, with its CRLF.
fn line(out: &mut String, content: &str) {
    let _ = write!(out, "{}\r\n", fold(content));
}

/// A TEXT value escaped (RFC 5545 3.3.11): backslash, semicolon, comma,
/// and newlines (CRLF, CR or LF) as `\n`; other control characters, which
/// TEXT may not hold, dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// A content line folded (RFC 5545 3.1): no physical line longer than 75
/// octets, each continuation starting with one space, never splitting a
/// UTF-8 character. Without the CRLF.
pub fn fold(content: &str) -> String {
    const MAX: usize = 75;
    let mut out = String::with_capacity(content.len() + content.len() / MAX * 3);
    let mut used = 0;
    for c in content.chars() {
        let n = c.len_utf8();
        if used + n > MAX {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Undoes the folding: a CRLF followed by one space joins the lines.
    fn unfold(s: &str) -> String {
        s.replace("\r\n ", "")
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("Byrne, Ada; team\\A\nline\r\nnext\u{7}"), "Byrne\\, Ada\\; team\\\\A\\nline\\nnext");
    }

    #[test]
    fn a_short_line_stays_whole_and_a_long_one_folds_at_75_octets() {
        assert_eq!(fold("SUMMARY:short"), "SUMMARY:short");
        let long = format!("SUMMARY:{}", "x".repeat(100));
        let folded = fold(&long);
        let lines: Vec<&str> = folded.split("\r\n").collect();
        assert_eq!(lines.iter().map(|l| l.len()).collect::<Vec<_>>(), vec![75, 34]);
        assert!(lines[1].starts_with(' '));
        assert_eq!(unfold(&folded), long);
    }

    #[test]
    fn a_fold_never_splits_a_character() {
        // 8 octets of "SUMMARY:" then two-octet characters: 33 fit (74 octets), the 34th goes on.
        let folded = fold(&format!("SUMMARY:{}", "ö".repeat(40)));
        let first = folded.split("\r\n").next().unwrap();
        assert_eq!(first.len(), 74);
    }

    #[test]
    fn an_event_is_all_day_with_an_exclusive_end() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        let e = Event {
            uid: "leave-request-7@lms.example".into(),
            sequence: 2,
            status: EventStatus::Cancelled,
            first: day(7),
            last: day(11),
            summary: "Byrne, Ada: annual".into(),
            description: None,
            changed: DateTime::parse_from_rfc3339("2026-11-01T08:30:00Z").unwrap().with_timezone(&Utc),
            busy: true,
            categories: None,
        };
        let cal = calendar("Team", &[e]);
        for want in [
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n",
            "\r\nUID:leave-request-7@lms.example\r\n",
            "\r\nDTSTAMP:20261101T083000Z\r\n",
            "\r\nSEQUENCE:2\r\n",
            "\r\nDTSTART;VALUE=DATE:20261207\r\nDTEND;VALUE=DATE:20261212\r\n",
            "\r\nSUMMARY:Byrne\\, Ada: annual\r\n",
            "\r\nSTATUS:CANCELLED\r\n",
            "END:VCALENDAR\r\n",
        ] {
            assert!(cal.contains(want), "{want:?} in {cal}");
        }
        assert!(!cal.replace("\r\n", "").contains('\n'), "CRLF only");
    }

    proptest! {
        /// Whatever the text, every physical line is at most 75 octets,
        /// valid UTF-8 on its own, and unfolding and unescaping give the text back.
        #[test]
        fn folding_and_escaping_round_trip(text in "(\\PC|[\r\n\t,;\\\\]){0,300}") {
            let line = format!("SUMMARY:{}", escape(&text));
            let folded = fold(&line);
            for physical in folded.split("\r\n") {
                prop_assert!(physical.len() <= 75);
            }
            let unfolded = unfold(&folded);
            prop_assert_eq!(&unfolded, &line);
            let value = unfolded.strip_prefix("SUMMARY:").unwrap();
            let mut back = String::new();
            let mut chars = value.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    match chars.next() {
                        Some('n') => back.push('\n'),
                        Some(other) => back.push(other),
                        None => {}
                    }
                } else {
                    back.push(c);
                }
            }
            let expected: String = text.replace("\r\n", "\n").replace('\r', "\n").chars()
                .filter(|c| !c.is_control() || *c == '\n' || *c == '\t').collect();
            prop_assert_eq!(back, expected);
        }
    }
}
