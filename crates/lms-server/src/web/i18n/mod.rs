//! The pages' languages: every user-visible string comes from a Fluent
//! message catalogue (`en.ftl`, `de.ftl`, compiled into the binary), and
//! dates and numbers are written the way the language writes them.
//!
//! A key missing from a catalogue renders as `⟦key⟧`, which the tests look
//! for on every page. This module knows nothing of HTTP or the database.

use chrono::{Datelike, NaiveDate};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::sync::OnceLock;

/// A language the pages speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    De,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::De];

    /// The BCP 47 tag, as in `<html lang>` and the profile setting.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }

    /// A stored or submitted tag (`en`, `de`, `de-AT` ...), if it names a language the pages speak.
    pub fn parse(tag: &str) -> Option<Lang> {
        lms_core::Language::parse(tag).map(|l| match l {
            lms_core::Language::English => Lang::En,
            lms_core::Language::German => Lang::De,
        })
    }

    /// The first language of an `Accept-Language` header the pages speak,
    /// by the client's weights (ties in the order given).
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut choices: Vec<(u16, usize, Lang)> = header
            .split(',')
            .enumerate()
            .filter_map(|(i, part)| {
                let mut pieces = part.split(';');
                let lang = Lang::parse(pieces.next()?)?;
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                (q > 0.0).then_some(((q.clamp(0.0, 1.0) * 1000.0) as u16, i, lang))
            })
            .collect();
        choices.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        choices.first().map(|c| c.2)
    }

    fn catalogue(self) -> &'static FluentBundle<FluentResource> {
        static EN: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();
        static DE: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();
        match self {
            Lang::En => EN.get_or_init(|| bundle("en", include_str!("en.ftl"))),
            Lang::De => DE.get_or_init(|| bundle("de", include_str!("de.ftl"))),
        }
    }

    /// The message `key`, or `⟦key⟧` when the catalogue lacks it.
    pub fn t(self, key: &str) -> String {
        self.format(key, None)
    }

    /// The message `key` with its arguments.
    pub fn t_with(self, key: &str, args: &[(&str, Arg)]) -> String {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            match value {
                Arg::Text(s) => fluent.set(*name, FluentValue::from(s.clone())),
                Arg::Count(n) => fluent.set(*name, FluentValue::from(*n)),
            }
        }
        self.format(key, Some(&fluent))
    }

    /// Whether the catalogue has `key`.
    pub fn has(self, key: &str) -> bool {
        self.catalogue().has_message(key)
    }

    fn format(self, key: &str, args: Option<&FluentArgs>) -> String {
        let bundle = self.catalogue();
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            return format!("⟦{key}⟧");
        };
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors);
        if errors.is_empty() {
            text.into_owned()
        } else {
            format!("⟦{key}⟧")
        }
    }

    /// A calendar date, e.g. `3 Mar 2026` / `3. März 2026`.
    pub fn date(self, d: NaiveDate) -> String {
        let month = self.t(MONTH_KEYS[d.month0() as usize]);
        match self {
            Lang::En => format!("{} {} {}", d.day(), month, d.year()),
            Lang::De => format!("{}. {} {}", d.day(), month, d.year()),
        }
    }

    /// A short date without the year, e.g. `3 Mar` / `3. März`.
    pub fn day_month(self, d: NaiveDate) -> String {
        let month = self.t(MONTH_KEYS[d.month0() as usize]);
        match self {
            Lang::En => format!("{} {}", d.day(), month),
            Lang::De => format!("{}. {}", d.day(), month),
        }
    }

    /// A month heading, e.g. `March 2026` / `März 2026`.
    pub fn month_year(self, d: NaiveDate) -> String {
        format!("{} {}", self.t(MONTH_LONG_KEYS[d.month0() as usize]), d.year())
    }

    /// A two-letter weekday, e.g. `Mo`.
    pub fn weekday_short(self, d: NaiveDate) -> String {
        self.t(WEEKDAY_KEYS[d.weekday().num_days_from_monday() as usize])
    }

    /// A stored amount of a type measured in `unit` (millidays, or
    /// minutes for hours) as days or hours with up to three decimals.
    pub fn amount(self, unit: lms_core::LeaveUnit, raw: i64) -> String {
        self.millis(lms_core::Quantity::new(unit, raw).thousandths())
    }

    /// The name of `unit` in a sentence: `days` / `Tage`, `hours` / `Stunden`.
    pub fn unit(self, unit: lms_core::LeaveUnit) -> String {
        self.t(&format!("unit-{}", unit.as_str()))
    }

    /// A number of thousandths (days) with up to three decimals and the
    /// language's decimal mark: `2.5` / `2,5`.
    pub fn millis(self, thousandths: i64) -> String {
        let sign = if thousandths < 0 { "-" } else { "" };
        let abs = thousandths.unsigned_abs();
        let (whole, frac) = (abs / 1000, abs % 1000);
        if frac == 0 {
            return format!("{sign}{whole}");
        }
        let frac = format!("{frac:03}");
        let frac = frac.trim_end_matches('0');
        let mark = match self {
            Lang::En => '.',
            Lang::De => ',',
        };
        format!("{sign}{whole}{mark}{frac}")
    }
}

/// The catalogue key of a month's short name.
pub fn month_key(d: NaiveDate) -> &'static str {
    MONTH_KEYS[d.month0() as usize]
}

/// An argument of a message.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    Count(i64),
}

const MONTH_KEYS: [&str; 12] = [
    "month-jan",
    "month-feb",
    "month-mar",
    "month-apr",
    "month-may",
    "month-jun",
    "month-jul",
    "month-aug",
    "month-sep",
    "month-oct",
    "month-nov",
    "month-dec",
];
const MONTH_LONG_KEYS: [&str; 12] = [
    "month-long-jan",
    "month-long-feb",
    "month-long-mar",
    "month-long-apr",
    "month-long-may",
    "month-long-jun",
    "month-long-jul",
    "month-long-aug",
    "month-long-sep",
    "month-long-oct",
    "month-long-nov",
    "month-long-dec",
];
const WEEKDAY_KEYS: [&str; 7] = ["wd-mon", "wd-tue", "wd-wed", "wd-thu", "wd-fri", "wd-sat", "wd-sun"];

fn bundle(tag: &str, source: &'static str) -> FluentBundle<FluentResource> {
    // The catalogues are part of the build; a unit test parses both.
    let resource = FluentResource::try_new(source.to_string()).unwrap_or_else(|(res, _)| res);
    let id = tag.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    bundle.set_use_isolating(false);
    // Keys are unique in a catalogue (a unit test checks); a duplicate keeps the first.
    let _ = bundle.add_resource(resource);
    bundle
}

/// The keys of a catalogue's source, in order (for the completeness test).
pub fn keys(lang: Lang) -> Vec<String> {
    let source = match lang {
        Lang::En => include_str!("en.ftl"),
        Lang::De => include_str!("de.ftl"),
    };
    source
        .lines()
        .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogues_parse_and_match() {
        for (tag, src) in [("en", include_str!("en.ftl")), ("de", include_str!("de.ftl"))] {
            if let Err((_, errors)) = FluentResource::try_new(src.to_string()) {
                panic!("{tag}.ftl does not parse: {errors:?}");
            }
        }
        let (en, de) = (keys(Lang::En), keys(Lang::De));
        let mut sorted = en.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), en.len(), "en.ftl repeats a key");
        let missing_de: Vec<_> = en.iter().filter(|k| !de.contains(k)).collect();
        let extra_de: Vec<_> = de.iter().filter(|k| !en.contains(k)).collect();
        assert!(missing_de.is_empty(), "de.ftl lacks {missing_de:?}");
        assert!(extra_de.is_empty(), "de.ftl has keys en.ftl does not: {extra_de:?}");
    }

    #[test]
    fn accept_language_by_weight() {
        assert_eq!(Lang::from_accept_language("de-DE,de;q=0.9,en;q=0.8"), Some(Lang::De));
        assert_eq!(Lang::from_accept_language("fr, en;q=0.5, de;q=0.7"), Some(Lang::De));
        assert_eq!(Lang::from_accept_language("fr"), None);
        assert_eq!(Lang::from_accept_language("de;q=0, en"), Some(Lang::En));
    }

    #[test]
    fn numbers_and_dates_per_language() {
        assert_eq!(Lang::En.millis(2500), "2.5");
        assert_eq!(Lang::De.millis(2500), "2,5");
        assert_eq!(Lang::De.millis(-1250), "-1,25");
        assert_eq!(Lang::En.millis(3000), "3");
        let d = NaiveDate::from_ymd_opt(2026, 3, 3).expect("date");
        assert_eq!(Lang::En.date(d), "3 Mar 2026");
        assert_eq!(Lang::De.date(d), "3. März 2026");
        assert_eq!(Lang::En.t("no-such-key"), "⟦no-such-key⟧");
    }
}
