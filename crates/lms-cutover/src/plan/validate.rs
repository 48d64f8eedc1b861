//! Reading a plan: TOML text -> [`Plan`], or every problem with its line and
//! column.
//!
//! Each section and each element of an array of tables is deserialized on
//! its own, so one bad step does not hide the errors of the next; once every
//! part parsed, the rules that relate parts to each other run and report
//! all their findings too. This module knows the plan's shape, not how a
//! cutover runs.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ops::Range;
use std::path::Path;

use serde::de::{DeserializeOwned, IntoDeserializer};
use toml_edit::{ImDocument, Item, Table};

use crate::error::{CutoverError, Diagnostic, Diagnostics, Result};
use crate::plan::model::*;
use crate::units::PlanDuration;

mod kubernetes;

/// Placeholders a plan may use in commands, URLs and paths; resolved by the
/// drivers at run time. `{{env:NAME}}` reads an environment variable.
pub const PLACEHOLDERS: &[&str] = &[
    "self",
    "version",
    "database_url",
    "backup_dir",
    "run_dir",
    "blue_url",
    "green_url",
    "public_url",
    "admin_url",
    "blue_port",
    "green_port",
    "public_port",
    "admin_port",
    "prometheus_port",
    "engine_metrics_port",
];

/// Reads and validates the plan at `path`.
pub fn load(path: impl AsRef<Path>) -> Result<Plan> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| CutoverError::ReadPlan { path: path.to_path_buf(), source })?;
    parse_bytes(&bytes).map_err(|e| match e {
        CutoverError::InvalidPlan { diagnostics, .. } => {
            CutoverError::InvalidPlan { path: Some(path.to_path_buf()), diagnostics }
        }
        other => other,
    })
}

/// Parses and validates the bytes of a plan file: bytes that are not UTF-8
/// (as TOML requires) are refused at the line and column of the first one.
pub fn parse_bytes(bytes: &[u8]) -> Result<Plan> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(text),
        Err(e) => {
            let valid = String::from_utf8_lossy(&bytes[..e.valid_up_to()]);
            let (line, column) = line_col(&valid, valid.len());
            let byte = bytes.get(e.valid_up_to()).copied().unwrap_or_default();
            let message = format!("not UTF-8 text: byte 0x{byte:02x} cannot start or continue a character here");
            Err(CutoverError::InvalidPlan {
                path: None,
                diagnostics: Diagnostics(vec![Diagnostic { line, column, message }]),
            })
        }
    }
}

/// Parses and validates plan text.
pub fn parse(text: &str) -> Result<Plan> {
    let mut cx = Cx { text, found: Vec::new() };
    let doc = match ImDocument::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            // At the end of the text the TOML parser gives no message.
            let message = match e.message().trim() {
                "" if e.span().is_none_or(|s| s.start >= text.trim_end().len()) => {
                    "the file ends inside a statement: a value, a closing bracket or a quote is missing".to_string()
                }
                "" => "not valid TOML here".to_string(),
                m => m.to_string(),
            };
            cx.push(e.span(), message);
            return Err(cx.finish());
        }
    };
    let root = doc.as_table();
    match read(&mut cx, root) {
        Some(plan) => {
            check_rules(&mut cx, root, &plan);
            if cx.found.is_empty() {
                Ok(plan)
            } else {
                Err(cx.finish())
            }
        }
        None => Err(cx.finish()),
    }
}

struct Cx<'a> {
    text: &'a str,
    found: Vec<(usize, String)>,
}

impl Cx<'_> {
    fn push(&mut self, span: Option<Range<usize>>, message: String) {
        let at = span.map_or(0, |s| s.start);
        self.found.push((at, message));
    }

    fn finish(mut self) -> CutoverError {
        self.found.sort_by_key(|(at, _)| *at);
        let diagnostics = self
            .found
            .iter()
            .map(|(at, message)| {
                let (line, column) = line_col(self.text, *at);
                Diagnostic { line, column, message: message.clone() }
            })
            .collect();
        CutoverError::InvalidPlan { path: None, diagnostics: Diagnostics(diagnostics) }
    }
}

/// 1-based line and column (in characters) of byte offset `at`.
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let at = (0..=at).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

const SECTIONS: &[&str] = &[
    "plan",
    "versions",
    "environments",
    "database",
    "traffic",
    "kubernetes",
    "monitoring",
    "maintenance",
    "notify",
    "window",
    "blackout",
    "war_room",
    "prep",
    "steps",
    "prechecks",
    "verifications",
    "thresholds",
    "checkpoints",
    "smoke",
    "success_criteria",
    "definition_of_done",
    "post_cutover",
    "roles",
    "contacts",
    "references",
];

fn read(cx: &mut Cx<'_>, root: &Table) -> Option<Plan> {
    for (key, item) in root.iter() {
        if !SECTIONS.contains(&key) {
            let span = root.key(key).and_then(|k| k.span()).or_else(|| item.span());
            cx.push(span, format!("unknown section `{key}`; expected one of: {}", SECTIONS.join(", ")));
        }
    }
    let meta = one(cx, root, "plan");
    let versions = one(cx, root, "versions");
    let environments = one(cx, root, "environments");
    let database = one(cx, root, "database");
    let traffic = one(cx, root, "traffic");
    let kubernetes = optional(cx, root, "kubernetes");
    let monitoring = one(cx, root, "monitoring");
    let maintenance = one(cx, root, "maintenance");
    let notify = one(cx, root, "notify");
    let window = one(cx, root, "window");
    let blackout = one(cx, root, "blackout");
    let war_room = one(cx, root, "war_room");
    let prep = many(cx, root, "prep", false);
    let steps = many(cx, root, "steps", true);
    let prechecks = many(cx, root, "prechecks", true);
    let verifications = many(cx, root, "verifications", false);
    let thresholds = many(cx, root, "thresholds", true);
    let checkpoints = many(cx, root, "checkpoints", true);
    let smoke = many(cx, root, "smoke", true);
    let success_criteria = many(cx, root, "success_criteria", false);
    let definition_of_done = many(cx, root, "definition_of_done", false);
    let post_cutover = many(cx, root, "post_cutover", false);
    let roles = many(cx, root, "roles", false);
    let contacts = many(cx, root, "contacts", false);
    let references = many(cx, root, "references", false);
    Some(Plan {
        meta: meta?,
        versions: versions?,
        environments: environments?,
        database: database?,
        traffic: traffic?,
        kubernetes: kubernetes?,
        monitoring: monitoring?,
        maintenance: maintenance?,
        notify: notify?,
        window: window?,
        blackout: blackout?,
        war_room: war_room?,
        prep: prep?,
        steps: steps?,
        prechecks: prechecks?,
        verifications: verifications?,
        thresholds: thresholds?,
        checkpoints: checkpoints?,
        smoke: smoke?,
        success_criteria: success_criteria?,
        definition_of_done: definition_of_done?,
        post_cutover: post_cutover?,
        roles: roles?,
        contacts: contacts?,
        references: references?,
    })
}

fn item_as<T: DeserializeOwned>(cx: &mut Cx<'_>, what: &str, item: &Item) -> Option<T> {
    let span = item.span();
    let value = match item.clone().into_value() {
        Ok(v) => v,
        Err(_) => {
            cx.push(span, format!("{what}: missing value"));
            return None;
        }
    };
    match T::deserialize(value.into_deserializer()) {
        Ok(v) => Some(v),
        Err(e) => {
            cx.push(e.span().or(span), format!("{what}: {}", e.message()));
            None
        }
    }
}

fn one<T: DeserializeOwned>(cx: &mut Cx<'_>, root: &Table, key: &str) -> Option<T> {
    match root.get(key) {
        Some(item) if item.is_table() => item_as(cx, &format!("[{key}]"), item),
        Some(item) => {
            cx.push(item.span(), format!("`{key}` must be a table: write [{key}]"));
            None
        }
        None => {
            cx.push(None, format!("missing section [{key}]"));
            None
        }
    }
}

/// A section that may be left out.
fn optional<T: DeserializeOwned>(cx: &mut Cx<'_>, root: &Table, key: &str) -> Option<Option<T>> {
    match root.get(key) {
        None => Some(None),
        Some(item) if item.is_table() => item_as(cx, &format!("[{key}]"), item).map(Some),
        Some(item) => {
            cx.push(item.span(), format!("`{key}` must be a table: write [{key}]"));
            None
        }
    }
}

fn many<T: DeserializeOwned>(cx: &mut Cx<'_>, root: &Table, key: &str, required: bool) -> Option<Vec<T>> {
    let Some(item) = root.get(key) else {
        if required {
            cx.push(None, format!("missing [[{key}]] entries"));
            return None;
        }
        return Some(Vec::new());
    };
    let elements: Vec<Item> = match item {
        Item::ArrayOfTables(a) => a.iter().map(|t| Item::Table(t.clone())).collect(),
        Item::Value(toml_edit::Value::Array(a)) => a.iter().map(|v| Item::Value(v.clone())).collect(),
        other => {
            cx.push(other.span(), format!("`{key}` must be an array of tables: write [[{key}]]"));
            return None;
        }
    };
    let mut out = Vec::with_capacity(elements.len());
    let mut ok = true;
    for (i, el) in elements.iter().enumerate() {
        match item_as(cx, &format!("{key}[{}]", i + 1), el) {
            Some(v) => out.push(v),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// A path into the document, for locating semantic errors.
enum Seg<'a> {
    K(&'a str),
    I(usize),
}

fn locate(root: &Table, path: &[Seg<'_>]) -> Option<Range<usize>> {
    enum Node<'n> {
        Item(&'n Item),
        Value(&'n toml_edit::Value),
        Table(&'n Table),
    }
    let mut node = Node::Table(root);
    let mut best = None;
    for seg in path {
        let next = match (&node, seg) {
            (Node::Table(t), Seg::K(k)) => t.get(k).map(Node::Item),
            (Node::Item(Item::Table(t)), Seg::K(k)) => t.get(k).map(Node::Item),
            (Node::Item(Item::Value(toml_edit::Value::InlineTable(t))), Seg::K(k))
            | (Node::Value(toml_edit::Value::InlineTable(t)), Seg::K(k)) => t.get(k).map(Node::Value),
            (Node::Item(Item::ArrayOfTables(a)), Seg::I(i)) => a.get(*i).map(Node::Table),
            (Node::Item(Item::Value(toml_edit::Value::Array(a))), Seg::I(i))
            | (Node::Value(toml_edit::Value::Array(a)), Seg::I(i)) => a.get(*i).map(Node::Value),
            _ => None,
        };
        let Some(next) = next else { break };
        let span = match &next {
            Node::Item(i) => i.span(),
            Node::Value(v) => v.span(),
            Node::Table(t) => t.span(),
        };
        if span.is_some() {
            best = span;
        }
        node = next;
    }
    best
}

struct Rules<'c, 'a> {
    cx: &'c mut Cx<'a>,
    root: &'c Table,
}

impl Rules<'_, '_> {
    fn at(&mut self, path: &[Seg<'_>], message: String) {
        let span = locate(self.root, path);
        self.cx.push(span, message);
    }
}

fn check_rules(cx: &mut Cx<'_>, root: &Table, plan: &Plan) {
    let mut r = Rules { cx, root };
    use Seg::{I, K};

    if plan.meta.compression == 0 {
        r.at(&[K("plan"), K("compression")], "compression must be at least 1 (1 = real time)".into());
    }
    if plan.monitoring.sample_every.is_zero() {
        r.at(&[K("monitoring"), K("sample_every")], "sample_every must be longer than zero".into());
    }
    if plan.window.timezone != "UTC" {
        r.at(
            &[K("window"), K("timezone")],
            format!("timezone {:?}: every time in a plan is UTC; write \"UTC\"", plan.window.timezone),
        );
    }
    if plan.window.kind == WindowKind::Weekly && plan.window.weekday.is_none() {
        r.at(&[K("window"), K("kind")], "a weekly window needs `weekday`, e.g. \"Sat\"".into());
    }
    if plan.window.start == plan.window.end {
        r.at(&[K("window"), K("end")], "window end equals its start".into());
    }
    if let (Some(date), Some(wd)) = (plan.window.date, plan.window.weekday) {
        use chrono::Datelike;
        if date.weekday() != wd {
            r.at(&[K("window"), K("date")], format!("{date} is a {}, but the window opens on {wd}", date.weekday()));
        }
    }
    let b = &plan.blackout;
    if b.month_end_business_days > 20 {
        r.at(&[K("blackout"), K("month_end_business_days")], "more than 20 business days is not a month end".into());
    }
    if b.quarter_end_business_days > 20 {
        r.at(
            &[K("blackout"), K("quarter_end_business_days")],
            "more than 20 business days is not a quarter end".into(),
        );
    }
    for (i, m) in b.quarter_end_months.iter().enumerate() {
        if !(1..=12).contains(m) {
            r.at(&[K("blackout"), K("quarter_end_months"), I(i)], format!("month {m} is not 1-12"));
        }
    }
    for (i, e) in b.events.iter().enumerate() {
        if e.to < e.from {
            r.at(
                &[K("blackout"), K("events"), I(i), K("to")],
                format!("event {:?} ends ({}) before it starts ({})", e.name, e.to, e.from),
            );
        }
    }

    // Steps: numbering, times, order of kinds.
    let window_len = window_minutes(&plan.window);
    let mut prev_offset = 0i64;
    let mut kinds_seen: Vec<(&'static str, usize)> = Vec::new();
    for (i, s) in plan.steps.iter().enumerate() {
        let want = i as u32 + 1;
        let may_be_optional =
            matches!(s.action, StepAction::Announce { .. } | StepAction::Manual | StepAction::MaintenanceOn);
        if s.optional && !may_be_optional {
            r.at(
                &[K("steps"), I(i), K("optional")],
                format!(
                    "a {} step cannot be optional: the run must stop when it fails (optional is for announcements, manual steps and maintenance on)",
                    s.action.name()
                ),
            );
        }
        if s.n != want {
            r.at(&[K("steps"), I(i), K("n")], format!("step number {} out of sequence: expected {want}", s.n));
        }
        let off = offset_minutes(&plan.window, s.at);
        if off < prev_offset {
            r.at(
                &[K("steps"), I(i), K("at")],
                format!("step {} at {} starts before the previous step", s.n, s.at.format("%H:%M")),
            );
        }
        let end = off + s.duration.delta().num_minutes();
        if plan.window.kind == WindowKind::Weekly && (off > window_len || end > window_len) {
            r.at(
                &[K("steps"), I(i), K("at")],
                format!(
                    "step {} ({} + {}) does not fit in the window {}-{}",
                    s.n,
                    s.at.format("%H:%M"),
                    s.duration,
                    plan.window.start.format("%H:%M"),
                    plan.window.end.format("%H:%M")
                ),
            );
        }
        prev_offset = off;
        kinds_seen.push((s.action.name(), i));
        check_owner(&mut r, plan, &s.owner, &[K("steps"), I(i), K("owner")]);
        if let StepAction::Monitor { window } = &s.action {
            if window.is_zero() {
                r.at(&[K("steps"), I(i), K("do")], "a monitoring window must be longer than zero".into());
            }
        }
        if let StepAction::Command { argv, timeout, .. } = &s.action {
            if argv.first().is_none_or(|p| p.trim().is_empty()) {
                r.at(
                    &[K("steps"), I(i), K("do")],
                    "a command step needs `argv`, e.g. [\"kubectl\", \"get\", \"pods\"]".into(),
                );
            }
            if timeout.is_some_and(|t| t.is_zero()) {
                r.at(&[K("steps"), I(i), K("do")], "a command's timeout must be longer than zero".into());
            }
        }
    }
    let first = |name: &str| kinds_seen.iter().find(|(k, _)| *k == name).map(|(_, i)| *i);
    for required in ["pre_checks", "backup", "migrate", "deploy_green", "health_check", "traffic", "smoke"] {
        if first(required).is_none() {
            r.at(&[K("steps")], format!("the timeline has no `{required}` step"));
        }
    }
    let order = [
        ("pre_checks", "backup"),
        ("backup", "migrate"),
        ("migrate", "deploy_green"),
        ("deploy_green", "health_check"),
        ("health_check", "traffic"),
        ("maintenance_on", "maintenance_off"),
    ];
    for (a, b2) in order {
        if let (Some(ia), Some(ib)) = (first(a), first(b2)) {
            if ib < ia {
                r.at(
                    &[K("steps"), I(ib), K("do")],
                    format!("`{b2}` (step {}) must come after `{a}` (step {})", ib + 1, ia + 1),
                );
            }
        }
    }
    if first("maintenance_on").is_some() != first("maintenance_off").is_some() {
        r.at(&[K("steps")], "maintenance_on and maintenance_off come as a pair".into());
    }
    for (dup, _) in kinds_seen
        .iter()
        .filter(|(k, _)| ["backup", "migrate", "deploy_green", "maintenance_on", "maintenance_off"].contains(k))
    {
        let count = kinds_seen.iter().filter(|(k, _)| k == dup).count();
        if count > 1 {
            if let Some(last) = kinds_seen.iter().rev().find(|(k, _)| k == dup) {
                r.at(&[K("steps"), I(last.1), K("do")], format!("`{dup}` appears {count} times; it may appear once"));
            }
            break;
        }
    }

    // Traffic: strictly increasing, ends at 100, each followed by a monitor
    // or checkpoint before the next traffic step.
    let mut last_green = 0u8;
    let mut traffic_steps = Vec::new();
    for (i, s) in plan.steps.iter().enumerate() {
        if let StepAction::Traffic { green } = s.action {
            if green.get() <= last_green {
                r.at(
                    &[K("steps"), I(i), K("do")],
                    format!("traffic must increase: green {} after {}", green, last_green),
                );
            }
            last_green = green.get();
            traffic_steps.push(i);
        }
    }
    if !traffic_steps.is_empty() && last_green != 100 {
        if let Some(&i) = traffic_steps.last() {
            r.at(
                &[K("steps"), I(i), K("do")],
                format!("the last traffic step must send 100% to green, not {last_green}%"),
            );
        }
    }
    for pair in traffic_steps.windows(2) {
        let between = &plan.steps[pair[0] + 1..pair[1]];
        if !between.iter().any(|s| matches!(s.action, StepAction::Checkpoint { .. })) {
            r.at(&[K("steps"), I(pair[1]), K("do")], "a checkpoint must stand between two traffic steps".into());
        }
    }

    // Checkpoints.
    let mut numbers = HashSet::new();
    for (i, c) in plan.checkpoints.iter().enumerate() {
        if !numbers.insert(c.n) {
            r.at(&[K("checkpoints"), I(i), K("n")], format!("checkpoint {} defined twice", c.n));
        }
        if c.questions.is_empty() {
            r.at(&[K("checkpoints"), I(i)], format!("checkpoint {} has no questions", c.n));
        }
        let d: BTreeSet<_> = c.decisions.iter().map(|d| d.label()).collect();
        let regular: BTreeSet<_> =
            [Decision::Proceed, Decision::Hold, Decision::Rollback].iter().map(|d| d.label()).collect();
        let fin: BTreeSet<_> = [Decision::GoLiveConfirmed, Decision::ExtendedMonitoring, Decision::Rollback]
            .iter()
            .map(|d| d.label())
            .collect();
        if d != regular && d != fin {
            r.at(&[K("checkpoints"), I(i), K("decisions")], "decisions must be [\"proceed\", \"hold\", \"rollback\"] or, for the final checkpoint, [\"go_live_confirmed\", \"extended_monitoring\", \"rollback\"]".into());
        }
    }
    let mut referenced = BTreeMap::new();
    for (i, s) in plan.steps.iter().enumerate() {
        if let StepAction::Checkpoint { checkpoint } = s.action {
            match plan.checkpoints.iter().find(|c| c.n == checkpoint) {
                None => r.at(
                    &[K("steps"), I(i), K("do")],
                    format!("checkpoint {checkpoint} is not defined in [[checkpoints]]"),
                ),
                Some(c) => {
                    if c.is_final() && last_traffic_before(plan, i) != Some(100) {
                        r.at(
                            &[K("steps"), I(i), K("do")],
                            format!("final checkpoint {checkpoint} must come after traffic reaches 100%"),
                        );
                    }
                    if !c.is_final() && last_traffic_before(plan, i).is_none() {
                        r.at(
                            &[K("steps"), I(i), K("do")],
                            format!("checkpoint {checkpoint} comes before any traffic reaches green"),
                        );
                    }
                }
            }
            if referenced.insert(checkpoint, i).is_some() {
                r.at(&[K("steps"), I(i), K("do")], format!("checkpoint {checkpoint} is used by two steps"));
            }
        }
    }
    for (i, c) in plan.checkpoints.iter().enumerate() {
        if !referenced.contains_key(&c.n) {
            r.at(&[K("checkpoints"), I(i), K("n")], format!("checkpoint {} is not used by any step", c.n));
        }
    }

    // Thresholds: units match metrics; one per metric.
    let mut metrics = HashSet::new();
    for (i, t) in plan.thresholds.iter().enumerate() {
        let ok = matches!((t.metric.is_latency(), &t.below), (true, Limit::Duration(_)) | (false, Limit::Percent(_)));
        if !ok {
            let want = if t.metric.is_latency() { "a duration like \"500ms\"" } else { "a percentage like \"1%\"" };
            r.at(&[K("thresholds"), I(i), K("below")], format!("{:?} needs {want}", t.metric));
        }
        if !metrics.insert(t.metric) {
            r.at(&[K("thresholds"), I(i), K("metric")], format!("{:?} has two thresholds", t.metric));
        }
    }

    // Smoke tests: ids, uniqueness, a read-only subset for the compatibility check.
    let mut ids = HashSet::new();
    for (i, s) in plan.smoke.iter().enumerate() {
        let well_formed =
            s.id.strip_prefix("SMOKE-").is_some_and(|n| n.len() == 3 && n.chars().all(|c| c.is_ascii_digit()));
        if !well_formed {
            r.at(&[K("smoke"), I(i), K("id")], format!("smoke id {:?} must look like SMOKE-001", s.id));
        }
        if !ids.insert(s.id.as_str()) {
            r.at(&[K("smoke"), I(i), K("id")], format!("smoke id {} used twice", s.id));
        }
    }
    if !plan.smoke.is_empty() && !plan.smoke.iter().any(|s| s.read_only) {
        r.at(
            &[K("smoke")],
            "no smoke test is marked read_only: the migration compatibility check against blue needs at least one"
                .into(),
        );
    }

    // Checks: unique per stage, right stages in the right list, probe sanity.
    for (list, allowed) in [
        ("prechecks", [CheckStage::TMinus24h, CheckStage::TMinus1h]),
        ("verifications", [CheckStage::Manual, CheckStage::Business]),
    ] {
        let checks = if list == "prechecks" { &plan.prechecks } else { &plan.verifications };
        let mut seen = HashSet::new();
        for (i, c) in checks.iter().enumerate() {
            if !allowed.contains(&c.stage) {
                r.at(&[K(list), I(i), K("stage")], format!("stage {:?} does not belong in [[{list}]]", c.stage));
            }
            if !seen.insert(c.id()) {
                r.at(&[K(list), I(i), K("n")], format!("check {} defined twice", c.id()));
            }
            check_owner(&mut r, plan, &c.owner, &[K(list), I(i), K("owner")]);
            check_probe(&mut r, &c.probe, &[K(list), I(i), K("probe")]);
        }
    }

    // Post-cutover items.
    let mut item_ids = HashSet::new();
    for (i, c) in plan.post_cutover.iter().enumerate() {
        if !item_ids.insert(c.id.as_str()) {
            r.at(&[K("post_cutover"), I(i), K("id")], format!("checklist id {:?} used twice", c.id));
        }
        if let Performer::Webhook { url } = &c.by {
            check_url(&mut r, url, &[K("post_cutover"), I(i), K("by")]);
        }
    }
    for (i, d) in plan.definition_of_done.iter().enumerate() {
        match (&d.evidence, &d.checklist) {
            (Evidence::Checklist, Some(id)) if !item_ids.contains(id.as_str()) => r.at(
                &[K("definition_of_done"), I(i), K("checklist")],
                format!("no [[post_cutover]] item has id {id:?}"),
            ),
            (Evidence::Checklist, None) => r.at(
                &[K("definition_of_done"), I(i)],
                "evidence \"checklist\" needs `checklist = \"<post_cutover id>\"`".into(),
            ),
            _ => {}
        }
    }

    // URLs and placeholders.
    check_url(&mut r, &plan.environments.blue.url, &[K("environments"), K("blue"), K("url")]);
    check_url(&mut r, &plan.environments.green.url, &[K("environments"), K("green"), K("url")]);
    check_traffic(&mut r, &plan.traffic);
    kubernetes::check(&mut r, plan);
    if plan.traffic.kind == TrafficKind::Nginx && plan.monitoring.source.is_none() {
        // The gates would otherwise read window statistics from the traffic
        // driver, which open-source nginx cannot give (no per-server counters).
        r.at(
            &[K("traffic"), K("kind")],
            "kind \"nginx\" gives the gates no per-server request or error counts (open-source nginx has none): add a [monitoring.source] (kind = \"prometheus\")".into(),
        );
    }
    check_url(&mut r, &plan.traffic.public_url, &[K("traffic"), K("public_url")]);
    if let Some(w) = &plan.notify.webhook {
        check_url(&mut r, w, &[K("notify"), K("webhook")]);
    }
    if plan.environments.green.command.is_empty() && plan.environments.green.deploy == DeployKind::LocalProcess {
        r.at(&[K("environments"), K("green")], "green needs a `command` that starts it".into());
    }
    for (slot, env) in [("blue", &plan.environments.blue), ("green", &plan.environments.green)] {
        for (j, a) in env.command.iter().enumerate() {
            check_placeholders(&mut r, a, &[K("environments"), K(slot), K("command"), I(j)]);
        }
    }
    check_placeholders(&mut r, &plan.database.url, &[K("database"), K("url")]);
    check_placeholders(&mut r, &plan.database.backup_dir, &[K("database"), K("backup_dir")]);
    check_database_kind(&mut r, plan);
    for (slot, env) in [("blue", &plan.environments.blue), ("green", &plan.environments.green)] {
        use crate::plan::model::DeployKind;
        let at = [K("environments"), K(slot), K("deploy")];
        match env.deploy {
            DeployKind::Command if env.command.is_empty() => {
                r.at(&at, format!("deploy = \"command\" needs the command that deploys {slot} (`command = [...]`)"))
            }
            DeployKind::External if !env.command.is_empty() => r.at(
                &at,
                format!("deploy = \"external\" means the controller never starts {slot}: remove its `command`"),
            ),
            _ => {}
        }
    }
    if let Some(crate::plan::model::MetricsSource::Prometheus { url, window, queries }) = &plan.monitoring.source {
        let at = |k: &'static str| [K("monitoring"), K("source"), K(k)];
        if !(url.starts_with("http://") || url.starts_with("https://") || url.starts_with("{{")) {
            r.at(&at("url"), format!("`{url}` is not an http(s) URL of a Prometheus server"));
        }
        check_placeholders(&mut r, url, &at("url"));
        if window.is_some_and(|w| w.delta().num_seconds() < 1) {
            r.at(&at("window"), "the window must be at least a second".into());
        }
        let given = [&queries.requests, &queries.errors, &queries.failed, &queries.p95, &queries.cpu, &queries.memory];
        if given.into_iter().flatten().any(|q| q.trim().is_empty()) {
            r.at(&at("queries"), "a query given must not be empty (leave it out for the default)".into());
        }
    }
    if let Some(s) = &plan.monitoring.synthetic {
        if !(0.1..=1000.0).contains(&s.rate) {
            r.at(
                &[K("monitoring"), K("synthetic"), K("rate")],
                format!("rate {} is not between 0.1 and 1000 requests/s", s.rate),
            );
        }
        if s.paths.is_empty() || s.paths.iter().any(|p| !p.starts_with('/')) {
            r.at(
                &[K("monitoring"), K("synthetic"), K("paths")],
                "paths must be non-empty, each starting with `/`".into(),
            );
        }
    }
    if plan.database.backup_max_age.is_some() {
        r.at(
            &[K("database"), K("backup_max_age")],
            "`backup_max_age` is not read: the age of the automated backup is checked by its pre-check; \
             put `max_age` on that check's file probe (e.g. `probe = { kind = \"file\", path = \"{{backup_dir}}\", \
             max_age = \"4h\" }`) and remove this line"
                .into(),
        );
    }
    match &plan.maintenance.switch {
        MaintenanceSwitch::Cli { on, off } => {
            if on.is_empty() || off.is_empty() {
                r.at(&[K("maintenance"), K("switch")], "a cli switch needs both `on` and `off` commands".into());
            }
            for (j, a) in on.iter().enumerate() {
                check_placeholders(&mut r, a, &[K("maintenance"), K("switch"), K("on"), I(j)]);
            }
            for (j, a) in off.iter().enumerate() {
                check_placeholders(&mut r, a, &[K("maintenance"), K("switch"), K("off"), I(j)]);
            }
        }
        MaintenanceSwitch::Http { url, .. } => check_url(&mut r, url, &[K("maintenance"), K("switch"), K("url")]),
    }
}

fn check_owner(r: &mut Rules<'_, '_>, plan: &Plan, owner: &str, path: &[Seg<'_>]) {
    if plan.roles.is_empty() || owner == "All" {
        return;
    }
    let known = plan.roles.iter().any(|role| role.role == owner || role.aliases.iter().any(|a| a == owner));
    if !known {
        r.at(path, format!("owner {owner:?} is not a role or alias in [[roles]]"));
    }
}

/// A literal database URL must be of the declared kind (a placeholder is
/// checked when the run resolves it).
fn check_database_kind(r: &mut Rules<'_, '_>, plan: &Plan) {
    let url = plan.database.url.trim();
    if url.contains("{{") {
        return;
    }
    let is_postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
    let is_sqlite = url.starts_with("sqlite:");
    let wrong = match plan.database.kind {
        DatabaseKind::Postgres if !is_postgres => Some(("postgres", "postgres://user@host:5432/db")),
        DatabaseKind::Sqlite if !is_sqlite => Some(("sqlite", "sqlite:///path/to/lms.db")),
        _ => None,
    };
    if let Some((kind, example)) = wrong {
        r.at(
            &[Seg::K("database"), Seg::K("url")],
            format!(
                "the database is `kind = \"{kind}\"` but its URL is not (expected e.g. {example}); fix one of the two"
            ),
        );
    }
}

fn check_probe(r: &mut Rules<'_, '_>, probe: &Probe, path: &[Seg<'_>]) {
    match probe {
        Probe::Http { url, expect_status, .. } => {
            check_url(r, url, path);
            if !(100..=599).contains(expect_status) {
                r.at(path, format!("expect_status {expect_status} is not an HTTP status"));
            }
        }
        Probe::Sql { query } if query.trim().is_empty() => r.at(path, "sql probe needs a query".into()),
        Probe::Command { argv, .. } => {
            if argv.is_empty() {
                r.at(path, "command probe needs argv".into());
            }
            for a in argv {
                check_placeholders(r, a, path);
            }
        }
        Probe::File { path: p, .. } => check_placeholders(r, p, path),
        Probe::Tls { host, .. } if host.trim().is_empty() => r.at(path, "tls probe needs a host".into()),
        _ => {}
    }
}

/// The fields `[traffic]` needs for its `kind`, and none of the other kind's.
fn check_traffic(r: &mut Rules<'_, '_>, t: &Traffic) {
    use Seg::K;
    match t.kind {
        TrafficKind::LmsProxy => {
            if t.admin_url.trim().is_empty() {
                r.at(&[K("traffic")], "traffic needs `admin_url`, the lms proxy admin API base URL".into());
            } else {
                check_url(r, &t.admin_url, &[K("traffic"), K("admin_url")]);
            }
            for (key, value) in [("socket", &t.socket), ("backend", &t.backend), ("blue", &t.blue), ("green", &t.green)]
            {
                if value.is_some() {
                    r.at(
                        &[K("traffic"), K(key)],
                        format!(
                            "`{key}` is for HAProxy or nginx: write kind = \"haproxy\" or \"nginx\", or remove `{key}`"
                        ),
                    );
                }
            }
            refuse_nginx_fields(r, t, "lms_proxy");
            kubernetes::refuse_fields(r, t);
        }
        TrafficKind::Nginx => {
            let needed = [
                ("upstream_file", &t.upstream_file, "the include file holding the upstream block, which the driver owns, e.g. \"/etc/nginx/conf.d/lms-upstream.conf\""),
                ("upstream", &t.upstream, "the upstream block's name, e.g. \"lms\""),
                ("blue", &t.blue, "blue's server address in that upstream, e.g. \"10.0.0.11:8080\""),
                ("green", &t.green, "green's server address in that upstream, e.g. \"10.0.0.12:8080\""),
            ];
            for (key, value, what) in needed {
                match value {
                    None => r.at(&[K("traffic"), K("kind")], format!("kind \"nginx\" needs `{key}`: {what}")),
                    Some(v) if v.trim().is_empty() => {
                        r.at(&[K("traffic"), K(key)], format!("`{key}` is empty; write {what}"))
                    }
                    Some(v) => check_placeholders(r, v, &[K("traffic"), K(key)]),
                }
            }
            for (key, value, what) in [
                ("nginx", &t.nginx, "the nginx binary, e.g. \"/usr/sbin/nginx\", or remove it for `nginx` on PATH"),
                (
                    "config",
                    &t.config,
                    "nginx's main config file, e.g. \"/etc/nginx/nginx.conf\", or remove it for nginx's default",
                ),
            ] {
                match value {
                    Some(v) if v.trim().is_empty() => {
                        r.at(&[K("traffic"), K(key)], format!("`{key}` is empty; write {what}"))
                    }
                    Some(v) => check_placeholders(r, v, &[K("traffic"), K(key)]),
                    None => {}
                }
            }
            if let (Some(b), Some(g)) = (&t.blue, &t.green) {
                if b == g {
                    r.at(&[K("traffic"), K("green")], format!("blue and green name the same server {b:?}"));
                }
            }
            if t.socket.is_some() || t.backend.is_some() {
                let key = if t.socket.is_some() { "socket" } else { "backend" };
                r.at(
                    &[K("traffic"), K(key)],
                    format!("`{key}` is for HAProxy; kind \"nginx\" names `upstream_file` and `upstream`"),
                );
            }
            refuse_proxy_fields(r, t, "nginx", "`upstream_file` and `nginx -s reload`");
            kubernetes::refuse_fields(r, t);
        }
        TrafficKind::Haproxy => {
            let needed = [
                ("socket", &t.socket, "the runtime API address, a UNIX socket path or \"tcp://host:port\""),
                ("backend", &t.backend, "the HAProxy backend holding blue and green, e.g. \"lms\""),
                ("blue", &t.blue, "blue's server name in that backend, e.g. \"blue\""),
                ("green", &t.green, "green's server name in that backend, e.g. \"green\""),
            ];
            for (key, value, what) in needed {
                match value {
                    None => r.at(&[K("traffic"), K("kind")], format!("kind \"haproxy\" needs `{key}`: {what}")),
                    Some(v) if v.trim().is_empty() => {
                        r.at(&[K("traffic"), K(key)], format!("`{key}` is empty; write {what}"))
                    }
                    Some(v) => check_placeholders(r, v, &[K("traffic"), K(key)]),
                }
            }
            if let (Some(b), Some(g)) = (&t.blue, &t.green) {
                if b == g {
                    r.at(&[K("traffic"), K("green")], format!("blue and green name the same server {b:?}"));
                }
            }
            refuse_proxy_fields(r, t, "haproxy", "`socket`");
            refuse_nginx_fields(r, t, "haproxy");
            kubernetes::refuse_fields(r, t);
        }
        TrafficKind::GatewayApi | TrafficKind::Istio | TrafficKind::KubernetesService => {
            kubernetes::check_traffic(r, t);
        }
    }
}

/// The lms proxy's fields, written for `kind`, which is driven through `by`.
fn refuse_proxy_fields(r: &mut Rules<'_, '_>, t: &Traffic, kind: &str, by: &str) {
    use Seg::K;
    for key in ["admin_url", "admin_token_env", "admin_token_file"] {
        let present = match key {
            "admin_url" => !t.admin_url.is_empty(),
            "admin_token_env" => t.admin_token_env.is_some(),
            _ => t.admin_token_file.is_some(),
        };
        if present {
            r.at(
                &[K("traffic"), K(key)],
                format!("`{key}` is for the lms proxy; kind \"{kind}\" is driven through {by}"),
            );
        }
    }
}

/// nginx's own fields, written for another `kind`.
fn refuse_nginx_fields(r: &mut Rules<'_, '_>, t: &Traffic, kind: &str) {
    use Seg::K;
    for (key, value) in
        [("upstream_file", &t.upstream_file), ("upstream", &t.upstream), ("nginx", &t.nginx), ("config", &t.config)]
    {
        if value.is_some() {
            r.at(
                &[K("traffic"), K(key)],
                format!("`{key}` is for nginx: write kind = \"nginx\" or remove `{key}` (kind is \"{kind}\")"),
            );
        }
    }
}

fn check_url(r: &mut Rules<'_, '_>, url: &str, path: &[Seg<'_>]) {
    let stripped = url.trim();
    let starts_ok = stripped.starts_with("http://") || stripped.starts_with("https://") || stripped.starts_with("{{");
    if !starts_ok {
        r.at(path, format!("{url:?} is not an http(s) URL"));
    }
    check_placeholders(r, url, path);
}

fn check_placeholders(r: &mut Rules<'_, '_>, text: &str, path: &[Seg<'_>]) {
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            r.at(path, format!("unclosed placeholder in {text:?}"));
            return;
        };
        let name = after[..end].trim();
        let known = PLACEHOLDERS.contains(&name) || name.strip_prefix("env:").is_some_and(|v| !v.is_empty());
        if !known {
            r.at(path, format!("unknown placeholder {{{{{name}}}}}; known: {}, env:NAME", PLACEHOLDERS.join(", ")));
        }
        rest = &after[end + 2..];
    }
}

fn last_traffic_before(plan: &Plan, index: usize) -> Option<u8> {
    plan.steps[..index].iter().rev().find_map(|s| match s.action {
        StepAction::Traffic { green } => Some(green.get()),
        _ => None,
    })
}

/// Minutes from the window's opening to `at` (wrapping past midnight).
pub fn offset_minutes(window: &Window, at: chrono::NaiveTime) -> i64 {
    let d = (at - window.start).num_minutes();
    if d < 0 {
        d + 24 * 60
    } else {
        d
    }
}

/// Length of the window in minutes.
pub fn window_minutes(window: &Window) -> i64 {
    match offset_minutes(window, window.end) {
        0 => 24 * 60,
        m => m,
    }
}

/// Planned offset of a step from the window's opening.
pub fn step_offset(plan: &Plan, step: &Step) -> PlanDuration {
    PlanDuration::minutes(offset_minutes(&plan.window, step.at)).unwrap_or(PlanDuration::ZERO)
}
