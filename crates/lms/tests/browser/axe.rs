//! Accessibility checks with axe-core (the npm package, pinned by
//! `scripts/ensure-chromium` into `target/test-tools/node_modules`): the
//! script is injected into the page under test through WebDriver, run
//! there with `axe.run()`, and its violations come back as [`Violation`]s.
//! A test fails on impact `serious` or `critical`; the lesser ones are
//! printed and kept in the page's report under `target/browser-artifacts/`.

use crate::harness::{artifacts_dir, repo_root};
use fantoccini::Client;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::OnceLock;

const AXE_PATH: &str = "target/test-tools/node_modules/axe-core/axe.min.js";

/// Runs axe on the document and hands back its violations, or the error.
const RUN: &str = r#"
const done = arguments[arguments.length - 1];
window.axe.run(document, { resultTypes: ['violations'] })
  .then((results) => done({ violations: results.violations }))
  .catch((e) => done({ error: String((e && e.stack) || e) }));
"#;

/// One rule the page breaks, as axe reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Violation {
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: Option<String>,
    pub help: String,
    #[serde(rename = "helpUrl")]
    pub help_url: String,
    pub nodes: Vec<Node>,
}

/// An element that breaks the rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Node {
    /// CSS selectors (an array of them for an element inside a frame or a
    /// shadow root).
    pub target: Vec<Value>,
    pub html: String,
    #[serde(rename = "failureSummary", default)]
    pub failure_summary: Option<String>,
}

impl Violation {
    /// True for the impacts a test does not let through.
    pub fn is_serious(&self) -> bool {
        matches!(self.impact.as_deref(), Some("serious" | "critical"))
    }
}

/// The text of `axe.min.js`, read once.
pub fn source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let path = repo_root().join(AXE_PATH);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}; run scripts/ensure-chromium", path.display()))
    })
}

/// Injects axe (once per page) into the current page, runs it, writes the
/// violations to `target/browser-artifacts/<page_name>-axe.json` and returns
/// them.
pub async fn run(client: &Client, page_name: &str) -> Vec<Violation> {
    let present = "return typeof window.axe === 'object' && typeof window.axe.run === 'function'";
    if client.execute(present, vec![]).await.expect("asking the page whether axe is there") != Value::Bool(true) {
        client.execute(source(), vec![]).await.expect("injecting axe-core into the page");
        let injected = client.execute(present, vec![]).await.expect("asking the page whether axe is there");
        assert_eq!(injected, Value::Bool(true), "axe-core did not define window.axe on {page_name}");
    }
    let answer = client.execute_async(RUN, vec![]).await.expect("running axe-core on the page");
    if let Some(error) = answer.get("error") {
        panic!("axe-core failed on {page_name}: {error}");
    }
    let violations: Vec<Violation> = serde_json::from_value(answer["violations"].clone())
        .unwrap_or_else(|e| panic!("axe-core's violations on {page_name} in an unknown shape: {e}\n{answer}"));
    let report = artifacts_dir().join(format!("{page_name}-axe.json"));
    let json = serde_json::to_string_pretty(&violations).expect("violations serialize");
    std::fs::write(&report, json).unwrap_or_else(|e| panic!("writing {}: {e}", report.display()));
    violations
}

/// Fails when any violation is `serious` or `critical`, listing each (id,
/// help, target nodes); prints the lesser ones.
pub fn assert_no_serious_violations(page_name: &str, violations: &[Violation]) {
    let (serious, lesser): (Vec<&Violation>, Vec<&Violation>) = violations.iter().partition(|v| v.is_serious());
    if !lesser.is_empty() {
        eprintln!("axe on {page_name}: {} minor or moderate violation(s):\n{}", lesser.len(), describe(&lesser));
    }
    assert!(
        serious.is_empty(),
        "axe on {page_name}: {} serious or critical violation(s):\n{}",
        serious.len(),
        describe(&serious)
    );
}

/// One paragraph per violation: id, impact, help, link, then each node.
pub fn describe(violations: &[&Violation]) -> String {
    let mut out = String::new();
    for v in violations {
        let impact = v.impact.as_deref().unwrap_or("unknown");
        out.push_str(&format!("- {} [{impact}]: {} ({})\n", v.id, v.help, v.help_url));
        for node in &v.nodes {
            let target: Vec<String> =
                node.target.iter().map(|t| t.as_str().map_or(t.to_string(), str::to_owned)).collect();
            out.push_str(&format!("    at {}: {}\n", target.join(" > "), node.html));
            if let Some(summary) = &node.failure_summary {
                out.push_str(&format!("      {}\n", summary.replace('\n', "\n      ")));
            }
        }
    }
    out
}
