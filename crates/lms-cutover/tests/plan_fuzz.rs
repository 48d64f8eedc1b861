//! Property tests of the plan parser (`plan::parse`, `plan::parse_bytes`):
//! arbitrary bytes, arbitrary text and mutations of the shipped plans
//! (a span deleted, a line deleted, duplicated or swapped, a value replaced
//! by a random token, text inserted, the file cut short) never panic and
//! either parse or give `InvalidPlan` whose every diagnostic has a line and
//! column inside the text and a message. Text that is not TOML (or not
//! UTF-8) gives exactly one diagnostic, placed in the statement holding the
//! first byte a mutation changed or after it — never at a made-up position
//! before it; a plan that is TOML but has a bad value never gets a
//! diagnostic at 1:1 unless a whole section is missing.
//!
//! 256 cases per property by default; `PROPTEST_CASES=100000` for a longer run.

mod common;

use common::{PHASE29, REHEARSAL};
use lms_cutover::plan;
use lms_cutover::{CutoverError, Diagnostic};
use proptest::prelude::*;
use proptest::sample::Index;

/// The diagnostics of a refused plan; `Ok` for an accepted one.
fn outcome(result: Result<plan::Plan, CutoverError>) -> Result<Option<Vec<Diagnostic>>, TestCaseError> {
    match result {
        Ok(_) => Ok(None),
        Err(CutoverError::InvalidPlan { diagnostics, .. }) => Ok(Some(diagnostics.0)),
        Err(other) => Err(TestCaseError::fail(format!("not a plan error: {other}"))),
    }
}

/// Every diagnostic points into `text` (1-based; one past the end of a
/// line is where a missing token would go), says something, and the list
/// is in document order.
fn check_positions(text: &str, diagnostics: &[Diagnostic]) -> Result<(), TestCaseError> {
    prop_assert!(!diagnostics.is_empty(), "a refused plan names at least one problem");
    let lines: Vec<&str> = text.split('\n').collect();
    for d in diagnostics {
        prop_assert!(d.line >= 1 && d.line <= lines.len(), "line {} outside 1..={}: {}", d.line, lines.len(), d);
        let width = lines[d.line - 1].chars().count();
        prop_assert!(d.column >= 1 && d.column <= width + 1, "column {} outside 1..={}: {}", d.column, width + 1, d);
        prop_assert!(!d.message.trim().is_empty(), "empty message at {}:{}", d.line, d.column);
    }
    prop_assert!(diagnostics.windows(2).all(|w| (w[0].line, w[0].column) <= (w[1].line, w[1].column)));
    Ok(())
}

fn is_toml(text: &str) -> bool {
    text.parse::<toml_edit::ImDocument<String>>().is_ok()
}

/// Parses `text` and checks every diagnostic; returns them.
fn parse_checked(text: &str) -> Result<Option<Vec<Diagnostic>>, TestCaseError> {
    let found = outcome(plan::parse(text))?;
    if let Some(d) = &found {
        check_positions(text, d)?;
        if !is_toml(text) {
            prop_assert_eq!(d.len(), 1, "a syntax error is reported once: {:?}", d);
        }
    } else {
        prop_assert!(is_toml(text), "accepted text that is not TOML");
    }
    Ok(found)
}

/// Byte offset of the first difference between `a` and `b`.
fn first_difference(a: &str, b: &str) -> usize {
    a.bytes().zip(b.bytes()).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()))
}

/// The line where the statement holding line `line` starts: the nearest
/// line at or above it that starts a key or a table header (elements of a
/// multi-line array are indented, its closing `]` belongs to it).
fn statement_start(text: &str, line: usize) -> usize {
    let lines: Vec<&str> = text.split('\n').collect();
    (1..=line.min(lines.len()))
        .rev()
        .find(|n| {
            lines[n - 1]
                .starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '-' || c == '"' || c == '\'' || c == '[')
        })
        .unwrap_or(1)
}

/// A random token where a value stood: plausible values of each kind the
/// plan uses, numbers at the edges, TOML punctuation and plain noise.
fn token() -> impl Strategy<Value = String> {
    let fixed = prop::sample::select(vec![
        "",
        "\"\"",
        "[",
        "]",
        "[]",
        "{",
        "}",
        "{}",
        "=",
        "\"",
        "'",
        "'''",
        "\"\"\"",
        "#",
        "0",
        "-1",
        "1e999",
        "nan",
        "-inf",
        "true",
        "9223372036854775807",
        "-9223372036854775808",
        "99999999999999999999",
        "1979-05-27T07:32:00Z",
        "1979-05-27",
        "07:32:00",
        "\"\\u0000\"",
        "\"\\uD800\"",
        "\"é–😀\"",
        "\"{{\"",
        "\"{{nope}}\"",
        "\"{{env:}}\"",
        "\"-\"",
        "[[steps]]",
        "{ kind = \"traffic\", green = 101 }",
        "{ kind = \"checkpoint\", checkpoint = 99 }",
        "{ kind = \"monitor\", window = \"0s\" }",
        "{ kind = \"nope\" }",
        "\"SMOKE-\"",
    ])
    .prop_map(str::to_string);
    prop_oneof![
        3 => fixed,
        2 => "[0-9]{1,20}(ms|s|m|min|h|d| min)".prop_map(|d| format!("\"{d}\"")),
        1 => "-?[0-9]{1,5}(\\.[0-9]{1,4})?%".prop_map(|p| format!("\"{p}\"")),
        1 => "[0-9]{1,3}:[0-9]{1,3}".prop_map(|t| format!("\"{t}\"")),
        1 => "[0-9]{4,6}-[0-9]{1,2}-[0-9]{1,2}".prop_map(|t| format!("\"{t}\"")),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<f64>().prop_map(|f| format!("{f:?}")),
        2 => "\\PC{0,12}",
        1 => ".{0,12}".prop_map(|s| format!("\"{}\"", s.replace(['"', '\\'], ""))),
    ]
}

/// One change to a plan's text.
#[derive(Debug, Clone)]
enum Mutation {
    DeleteSpan(Index, usize),
    DeleteLine(Index),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    ReplaceValue(Index, String),
    Insert(Index, String),
    Truncate(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        2 => (any::<Index>(), 1usize..80).prop_map(|(i, n)| Mutation::DeleteSpan(i, n)),
        1 => any::<Index>().prop_map(Mutation::DeleteLine),
        2 => any::<Index>().prop_map(Mutation::DuplicateLine),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        5 => (any::<Index>(), token()).prop_map(|(i, t)| Mutation::ReplaceValue(i, t)),
        2 => (any::<Index>(), token()).prop_map(|(i, t)| Mutation::Insert(i, t)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
    ]
}

/// The nearest char boundary at or before `at`.
fn boundary(text: &str, at: usize) -> usize {
    (0..=at.min(text.len())).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0)
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<&str> = text.split('\n').collect();
    match m {
        Mutation::DeleteSpan(at, len) => {
            let start = boundary(text, at.index(text.len() + 1));
            let end = boundary(text, start + len);
            format!("{}{}", &text[..start], &text[end..])
        }
        Mutation::DeleteLine(i) => {
            lines.remove(i.index(lines.len()));
            lines.join("\n")
        }
        Mutation::DuplicateLine(i) => {
            let i = i.index(lines.len());
            lines.insert(i, lines[i]);
            lines.join("\n")
        }
        Mutation::SwapLines(a, b) => {
            let (a, b) = (a.index(lines.len()), b.index(lines.len()));
            lines.swap(a, b);
            lines.join("\n")
        }
        Mutation::ReplaceValue(i, token) => {
            let with_values: Vec<usize> = (0..lines.len()).filter(|n| lines[*n].contains(" = ")).collect();
            if with_values.is_empty() {
                return text.to_string();
            }
            let n = with_values[i.index(with_values.len())];
            let line = lines[n];
            let key_end = line.find(" = ").map_or(0, |k| k + 3);
            let replaced = format!("{}{token}", &line[..key_end]);
            let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            out[n] = replaced;
            out.join("\n")
        }
        Mutation::Insert(at, token) => {
            let at = boundary(text, at.index(text.len() + 1));
            format!("{}{token}{}", &text[..at], &text[at..])
        }
        Mutation::Truncate(at) => text[..boundary(text, at.index(text.len() + 1))].to_string(),
    }
}

/// One of the shipped plans (an index, so a failing case prints short).
fn base() -> impl Strategy<Value = usize> {
    0usize..2
}

fn base_text(i: usize) -> &'static str {
    [PHASE29, REHEARSAL][i]
}

proptest! {
    #[test]
    fn mutated_plans_are_refused_with_positions_or_accepted(
        base in base(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let base = base_text(base);
        let mut text = base.to_string();
        for m in &mutations {
            text = apply(&text, m);
        }
        let found = parse_checked(&text)?;
        if let Some(d) = found {
            if !is_toml(&text) {
                // A syntax error is where the text went wrong: in the statement
                // holding the first change, or after it; never before.
                let (changed, _) = plan::line_col(&text, first_difference(base, &text));
                let statement = statement_start(&text, changed);
                prop_assert!(
                    d[0].line >= statement,
                    "syntax error reported at {}, before the statement (line {}) holding the first change (line {})",
                    d[0], statement, changed
                );
            }
        }
    }

    #[test]
    fn a_replaced_value_is_refused_at_a_real_place_or_accepted(base in base(), i in any::<Index>(), token in token()) {
        let base = base_text(base);
        let text = apply(base, &Mutation::ReplaceValue(i, token));
        let refused = parse_checked(&text)?;
        if let (Some(d), true) = (refused, is_toml(&text)) {
            // The plans open with a comment: 1:1 is no place for a value's
            // problem, only for a section missing altogether.
            for d in d.iter().filter(|d| (d.line, d.column) == (1, 1)) {
                prop_assert!(d.message.starts_with("missing"), "placed nowhere: {}", d);
            }
        }
    }

    #[test]
    fn arbitrary_text_is_refused_with_positions(text in "\\PC{0,400}") {
        parse_checked(&text)?;
    }

    #[test]
    fn toml_shaped_text_is_refused_with_positions(
        lines in prop::collection::vec(
            prop_oneof![
                "\\[\\[?[a-z_]{1,12}\\]\\]?".prop_map(|s| s),
                ("[a-z_]{1,12}", token()).prop_map(|(k, v)| format!("{k} = {v}")),
                "\\PC{0,30}".prop_map(|s| s),
            ],
            0..30,
        ),
    ) {
        parse_checked(&lines.join("\n"))?;
    }

    #[test]
    fn arbitrary_bytes_are_refused_with_positions(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let found = outcome(plan::parse_bytes(&bytes))?;
        let Some(d) = found else {
            return Err(TestCaseError::fail("random bytes made a plan"));
        };
        match std::str::from_utf8(&bytes) {
            Ok(text) => {
                check_positions(text, &d)?;
            }
            Err(e) => {
                // Not UTF-8: one diagnostic, at the first byte that is not.
                let valid = String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned();
                prop_assert_eq!(d.len(), 1, "{:?}", d);
                prop_assert_eq!((d[0].line, d[0].column), plan::line_col(&valid, valid.len()));
                prop_assert!(d[0].message.contains("UTF-8"), "{}", d[0]);
            }
        }
    }

    #[test]
    fn a_plan_with_bad_bytes_inserted_is_refused_where_they_are(base in base(), at in any::<Index>(), junk in prop::collection::vec(0x80u8..=0xff, 1..4)) {
        let base = base_text(base);
        let at = boundary(base, at.index(base.len() + 1));
        let mut bytes = base.as_bytes()[..at].to_vec();
        bytes.extend(&junk);
        bytes.extend(&base.as_bytes()[at..]);
        if std::str::from_utf8(&bytes).is_ok() {
            // The junk happened to form a character: then it is text like any other.
            return Ok(());
        }
        let Some(d) = outcome(plan::parse_bytes(&bytes))? else {
            return Err(TestCaseError::fail("a plan with invalid UTF-8 was accepted"));
        };
        prop_assert_eq!(d.len(), 1);
        let (line, _) = plan::line_col(base, at);
        prop_assert_eq!(d[0].line, line, "{}", d[0]);
    }
}

fn only_diagnostic(result: Result<plan::Plan, CutoverError>) -> Diagnostic {
    match result {
        Err(CutoverError::InvalidPlan { diagnostics, .. }) if diagnostics.0.len() == 1 => diagnostics.0[0].clone(),
        Err(other) => panic!("expected one diagnostic, got {other}"),
        Ok(_) => panic!("plan accepted"),
    }
}

/// Found by `mutated_plans_are_refused_with_positions_or_accepted`: a
/// duration beyond what chrono can hold panicked the parser.
#[test]
fn a_duration_too_long_for_the_clock_is_an_error_at_its_place() {
    let text = PHASE29.replacen("window = \"15m\"", "window = \"200000000000000m\"", 1);
    let d = only_diagnostic(plan::parse(&text));
    let line = text.lines().position(|l| l.contains("200000000000000m")).map(|i| i + 1);
    assert_eq!(Some(d.line), line, "{d}");
    assert!(d.message.contains("longer than any clock"), "{d}");
    for huge in ["9999999999999999d", "200000000000000h", "9223372036854775807s", "9223372036854775807ms"] {
        let text = PHASE29.replacen("duration = \"15m\"", &format!("duration = \"{huge}\""), 1);
        assert!(plan::parse(&text).is_err(), "{huge}");
    }
}

/// Found by `toml_shaped_text_is_refused_with_positions`: a file cut off
/// after `key = ` got a position but an empty message.
#[test]
fn a_plan_cut_off_mid_statement_says_so() {
    for text in ["_ = ", "[plan]\nid = ", &PHASE29[..PHASE29.find("compression = ").map_or(0, |i| i + 14)]] {
        let d = only_diagnostic(plan::parse(text));
        assert!(d.message.contains("ends inside a statement"), "{text:?}: {d}");
        assert_eq!(d.line, text.lines().count(), "{d}");
    }
}

/// A plan file that is not UTF-8 is refused with the line and column of
/// the first bad byte (it was an IO error without a position).
#[test]
fn a_plan_file_that_is_not_utf8_is_refused_at_the_bad_byte() {
    let at = PHASE29.find("title = ").expect("title line");
    let mut bytes = PHASE29.as_bytes()[..at].to_vec();
    bytes.extend(b"title = \"caf\xe9\"");
    bytes.extend(&PHASE29.as_bytes()[at + "title = \"x".len()..]);
    let path = std::env::temp_dir().join(format!("lms-plan-fuzz-{}.toml", std::process::id()));
    std::fs::write(&path, &bytes).expect("write plan");
    let loaded = plan::load(&path);
    let _ = std::fs::remove_file(&path);
    let line = PHASE29[..at].lines().count() + 1;
    match loaded {
        Err(CutoverError::InvalidPlan { path: Some(p), diagnostics }) => {
            assert_eq!(p, path);
            assert_eq!(diagnostics.0.len(), 1);
            assert_eq!((diagnostics.0[0].line, diagnostics.0[0].column), (line, 13), "{diagnostics}");
            assert!(diagnostics.0[0].message.contains("not UTF-8"), "{diagnostics}");
        }
        Err(other) => panic!("expected a plan error, got {other}"),
        Ok(_) => panic!("plan accepted"),
    }
}
