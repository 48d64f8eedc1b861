//! The upstream include file the nginx driver owns: written from a split,
//! and read back into one. No IO and no runbook rules here.
//!
//! The file holds one `upstream <name> { … }` block with the blue and
//! green servers. nginx weights must be at least 1, so a slot at 0 % is
//! written `down` (kept in the file, so the block always names both
//! servers and reading it back knows both addresses); the other slot then
//! carries weight 100.

use crate::units::Weights;

/// One `server` line of the upstream block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLine {
    /// The address as written (`host:port`).
    pub address: String,
    /// `weight=<n>` (nginx's default 1 when not written); 0 when `down`.
    pub weight: u32,
}

/// The include file for `weights` over `blue` and `green` in upstream `name`.
pub fn render(name: &str, blue: &str, green: &str, weights: Weights) -> String {
    let line = |address: &str, w: u8| {
        if w == 0 {
            format!("    server {address} down;\n")
        } else {
            format!("    server {address} weight={w};\n")
        }
    };
    format!(
        "# Written by `lms cutover` (nginx traffic driver): {weights}.\n\
         # The driver owns this file and rewrites it at every change; do not edit by hand.\n\
         upstream {name} {{\n{}{}}}\n",
        line(blue, weights.blue_weight().get()),
        line(green, weights.green_weight().get()),
    )
}

/// The `server` lines of upstream `name` in `text` (comments dropped).
/// Parameters other than `weight=` and `down` (`max_fails=`, `backup`, …)
/// are accepted and ignored; anything that is not a `server` line inside
/// the block is an error naming it.
pub fn servers(text: &str, name: &str) -> Result<Vec<ServerLine>, String> {
    let cleaned: String =
        text.lines().map(|l| l.split_once('#').map_or(l, |(code, _)| code)).collect::<Vec<_>>().join("\n");
    // Tokens, with `{`, `}` and `;` standing alone.
    let spaced = cleaned.replace('{', " { ").replace('}', " } ").replace(';', " ; ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let start = tokens
        .windows(3)
        .position(|w| w[0] == "upstream" && w[1] == name && w[2] == "{")
        .ok_or_else(|| format!("has no `upstream {name} {{ … }}` block"))?;
    let mut rest = &tokens[start + 3..];
    let mut found = Vec::new();
    loop {
        match rest {
            [] => return Err(format!("upstream {name}: the block is not closed with `}}`")),
            ["}", ..] => return Ok(found),
            _ => {}
        }
        let end = rest
            .iter()
            .position(|t| *t == ";")
            .ok_or_else(|| format!("upstream {name}: a directive does not end with `;`: {}", rest.join(" ")))?;
        let directive = &rest[..end];
        rest = &rest[end + 1..];
        match directive {
            ["server", address, params @ ..] => {
                let mut weight = 1u32;
                let mut down = false;
                for p in params {
                    if let Some(w) = p.strip_prefix("weight=") {
                        weight = w
                            .parse()
                            .map_err(|_| format!("upstream {name}: server {address}'s weight {w:?} is not a number"))?;
                    } else if *p == "down" {
                        down = true;
                    }
                }
                found.push(ServerLine { address: (*address).to_string(), weight: if down { 0 } else { weight } });
            }
            other => {
                return Err(format!("upstream {name}: expected only `server` lines, found `{};`", other.join(" ")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(b: i64, g: i64) -> Weights {
        Weights::new(b, g).unwrap()
    }

    #[test]
    fn a_zero_slot_is_written_down_and_reads_back_as_zero() {
        let text = render("lms", "10.0.0.1:8080", "10.0.0.2:8080", Weights::ALL_BLUE);
        assert!(
            text.contains("upstream lms {\n    server 10.0.0.1:8080 weight=100;\n    server 10.0.0.2:8080 down;\n}\n")
        );
        assert_eq!(
            servers(&text, "lms").unwrap(),
            vec![
                ServerLine { address: "10.0.0.1:8080".into(), weight: 100 },
                ServerLine { address: "10.0.0.2:8080".into(), weight: 0 },
            ]
        );
    }

    #[test]
    fn splits_round_trip() {
        for (b, g) in [(90, 10), (50, 50), (1, 99), (0, 100)] {
            let text = render("up", "b:1", "g:2", w(b, g));
            let s = servers(&text, "up").unwrap();
            assert_eq!((s[0].weight, s[1].weight), (b as u32, g as u32));
        }
    }

    #[test]
    fn hand_written_blocks_are_read_and_odd_ones_refused() {
        let text = "upstream other { server x:1; }\nupstream lms {\n  server a:1 max_fails=3 weight=7; # blue\n  server b:2;\n}\n";
        let s = servers(text, "lms").unwrap();
        assert_eq!((s[0].weight, s[1].weight), (7, 1));
        assert!(servers(text, "nope").unwrap_err().contains("no `upstream nope"));
        assert!(servers("upstream lms { server a:1 weight=x; }", "lms").unwrap_err().contains("\"x\" is not a number"));
        assert!(servers("upstream lms { server a:1", "lms").unwrap_err().contains("does not end"));
        assert!(servers("upstream lms { server a:1;", "lms").unwrap_err().contains("not closed"));
        assert!(servers("upstream lms { hash $x; }", "lms").unwrap_err().contains("`hash $x;`"));
    }
}
