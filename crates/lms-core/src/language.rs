//! The languages LMS speaks to people (pages, later mail): a closed set,
//! parsed from BCP 47 tags such as `de-AT`.

/// A language LMS speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    #[default]
    English,
    German,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::English, Language::German];

    /// The primary BCP 47 tag: `en`, `de`.
    pub fn tag(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::German => "de",
        }
    }

    /// A tag (`en`, `de`, `de-AT`, `en_GB` ...) by its primary language, if LMS speaks it.
    pub fn parse(tag: &str) -> Option<Language> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
        Language::ALL.into_iter().find(|l| primary.eq_ignore_ascii_case(l.tag()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_by_primary_tag() {
        assert_eq!(Language::parse("de-AT"), Some(Language::German));
        assert_eq!(Language::parse(" EN_gb "), Some(Language::English));
        assert_eq!(Language::parse("fr"), None);
        assert_eq!(Language::parse(""), None);
        for l in Language::ALL {
            assert_eq!(Language::parse(l.tag()), Some(l));
        }
    }
}
