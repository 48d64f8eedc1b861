//! The report as Markdown: one table per runbook section, slippage in bold.

use std::fmt::Write;

use crate::report::model::Report;

fn f1(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.1}"))
}

fn f2(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.2}"))
}

fn yes(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "✅ yes",
        Some(false) => "❌ no",
        None => "⏳ pending",
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Renders the report.
pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Cutover report — {}\n", r.plan_id);
    let _ = writeln!(o, "**{}**\n", r.verdict_line);
    let _ = writeln!(
        o,
        "Run `{}`, plan “{}”, controller {}, started {}, wall time {} s, compression ×{}, resumed {} time(s).\n",
        r.run_id,
        r.plan_title,
        r.own_version,
        r.started_at.map_or("—".into(), |t| t.to_rfc3339()),
        f1(r.wall_secs),
        r.compression,
        r.resumes
    );
    if let Some(o2) = &r.blackout_override {
        let _ = writeln!(o, "Blackout overridden by {}: {} (rules: {})\n", o2.by, o2.reason, o2.rules.join("; "));
    }
    let _ = writeln!(o, "## Timeline (planned vs actual)\n");
    let _ = writeln!(o, "| # | Activity | Owner | Planned | Est. | Planned start (s) | Actual start (s) | Actual (s) | Slippage (s) | Status |");
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|---|");
    for s in &r.steps {
        let slip = if s.slipped { format!("**+{}**", f1(s.slippage_secs)) } else { f1(s.slippage_secs) };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {:.1} | {} | {} | {} | {}{} |",
            s.n,
            cell(&s.activity),
            cell(&s.owner),
            s.planned_at,
            s.planned_duration,
            s.planned_offset_secs,
            f1(s.actual_offset_secs),
            f2(s.actual_secs),
            slip,
            s.status,
            s.detail.as_ref().map(|d| format!(": {}", cell(d))).unwrap_or_default()
        );
    }
    for (title, rows) in
        [("Pre-cutover checks (5.1, 5.2)", &r.prechecks), ("Post-deployment verification (7.2, 7.3)", &r.verifications)]
    {
        let _ = writeln!(
            o,
            "\n## {title}\n\n| Check | What | Owner | Expected | Result | Detail |\n|---|---|---|---|---|---|"
        );
        for c in rows {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {}{} |",
                c.id,
                cell(&c.check),
                cell(&c.owner),
                cell(c.expected.as_deref().unwrap_or("")),
                match c.passed {
                    Some(true) => "pass",
                    Some(false) => "**FAIL**",
                    None => "not run",
                },
                cell(&c.detail),
                c.by.as_ref().map(|b| format!(" (by {b})")).unwrap_or_default()
            );
        }
    }
    let _ = writeln!(o, "\n## Backup and migration\n");
    match &r.backup {
        Some(b) => {
            let _ = writeln!(
                o,
                "- Backup `{}`: {} bytes (previous: {}), {}; SHA-256 {}",
                b.artifact,
                b.size_bytes,
                b.previous_size_bytes.map_or("none".into(), |p| format!("{p} bytes")),
                b.verification,
                b.sha256.as_deref().unwrap_or("not recorded")
            );
        }
        None => {
            let _ = writeln!(o, "- Backup: none recorded");
        }
    }
    match &r.migration {
        Some(m) => {
            let _ = writeln!(
                o,
                "- Migration: {} applied ({}), {} pending",
                m.applied.len(),
                m.applied.join(", "),
                m.pending.len()
            );
        }
        None => {
            let _ = writeln!(o, "- Migration: none recorded");
        }
    }
    let _ =
        writeln!(o, "- Compatibility (read-only smoke against blue after migrating): {}", smoke_line(&r.compatibility));
    let _ = writeln!(o, "\n## Gates (every sample)\n\n| Metric | Limit | Action | Samples | No data | Breaches | Min | Max | Last |\n|---|---|---|---|---|---|---|---|---|");
    for g in &r.gates {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            g.metric,
            g.limit,
            g.action,
            g.samples,
            g.no_data,
            if g.breaches > 0 { format!("**{}**", g.breaches) } else { "0".into() },
            f2(g.min),
            f2(g.max),
            f2(g.last)
        );
    }
    let _ = writeln!(o, "\n## Checkpoints\n");
    for c in &r.checkpoints {
        let _ = writeln!(o, "### {}\n", c.name);
        if c.decisions.is_empty() {
            let _ = writeln!(o, "Not reached.\n");
        }
        for d in &c.decisions {
            let _ = writeln!(
                o,
                "**{}** (round {}) by {}{} at {}{}{} — on {} sample(s)\n",
                d.decision,
                d.round,
                d.by,
                if d.auto { " (automatic: every gate green)" } else { "" },
                d.at.to_rfc3339(),
                d.note.as_ref().map(|n| format!(", note: {n}")).unwrap_or_default(),
                d.override_reason.as_ref().map(|n| format!(", override: {n}")).unwrap_or_default(),
                d.samples
            );
            let _ = writeln!(o, "| Question | Answer | Measured |\n|---|---|---|");
            for (q, a, e) in &d.questions {
                let _ = writeln!(o, "| {} | {} | {} |", cell(q), a, cell(e));
            }
            let _ = writeln!(o);
        }
    }
    let _ = writeln!(
        o,
        "## Smoke tests (7.1)\n\n| Test | Case | Expected | Result | Detail | ms |\n|---|---|---|---|---|---|"
    );
    for s in &r.smoke {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} |",
            s.id,
            cell(&s.case),
            cell(&s.expected),
            if s.passed { "pass" } else { "**FAIL**" },
            cell(&s.detail),
            s.elapsed_ms
        );
    }
    if r.smoke.is_empty() {
        let _ = writeln!(o, "| — | not run | | | | |");
    }
    let _ = writeln!(o, "\n## Rollback\n");
    match &r.rollback {
        Some(rb) => {
            let _ = writeln!(
                o,
                "- Trigger: {} at {}\n- All traffic on blue: {} (**{} ms** from trigger, {} admin call(s))\n- Blue verified: {}\n- {}",
                rb.reason,
                rb.triggered_at.to_rfc3339(),
                rb.on_blue_at.map_or("—".into(), |t| t.to_rfc3339()),
                rb.to_blue_ms.map_or("—".into(), |m| m.to_string()),
                rb.attempts,
                yes(rb.blue_verified),
                rb.migrations_note
            );
        }
        None => {
            let _ = writeln!(o, "No rollback.");
        }
    }
    let _ = writeln!(
        o,
        "\n## Success criteria (11.1)\n\n| Criteria | Target | Measurement | Met | Evidence |\n|---|---|---|---|---|"
    );
    for c in &r.success_criteria {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            cell(&c.item),
            cell(c.target.as_deref().unwrap_or("")),
            cell(c.measurement.as_deref().unwrap_or("")),
            yes(c.met),
            cell(&c.evidence)
        );
    }
    let _ = writeln!(o, "\n## Definition of done (11.2)\n\n| Item | Done | What proved it |\n|---|---|---|");
    for c in &r.definition_of_done {
        let _ = writeln!(o, "| {} | {} | {} |", cell(&c.item), yes(c.met), cell(&c.evidence));
    }
    if !r.notices.is_empty() {
        let _ = writeln!(o, "\n## Notices\n");
        for n in &r.notices {
            let _ = writeln!(
                o,
                "- {} [{}] {}{}",
                n.at.format("%H:%M:%S"),
                n.kind,
                n.text,
                if n.ok { "" } else { " (not delivered)" }
            );
        }
    }
    if let Some(f) = &r.figures {
        let _ = writeln!(
            o,
            "\n## Rehearsal figures\n\n```json\n{}\n```",
            serde_json::to_string_pretty(f).unwrap_or_default()
        );
    }
    o
}

fn smoke_line(rows: &[crate::report::model::SmokeRow]) -> String {
    if rows.is_empty() {
        return "not run".into();
    }
    let failed: Vec<&str> = rows.iter().filter(|s| !s.passed).map(|s| s.id.as_str()).collect();
    format!(
        "{}/{} passed{}",
        rows.len() - failed.len(),
        rows.len(),
        if failed.is_empty() { String::new() } else { format!("; failed {}", failed.join(", ")) }
    )
}
