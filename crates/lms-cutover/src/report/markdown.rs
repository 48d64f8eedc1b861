//! The report as Markdown, in the order the release commander reads it the
//! morning after: outcome and what needs doing, the night's timeline in
//! wall-clock time, the traffic and controller log, the rollback, then the
//! evidence tables, the post-cutover checklist and the war room.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use crate::report::human;
use crate::report::model::{CriterionRow, Report, SmokeRow};

fn yes(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "✅ yes",
        Some(false) => "❌ no",
        None => "⏳ pending",
    }
}

fn met(c: &CriterionRow) -> &'static str {
    if c.not_applicable {
        "➖ not applicable"
    } else {
        yes(c.met)
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn or_dash(s: &str) -> String {
    if s.trim().is_empty() {
        "—".into()
    } else {
        cell(s)
    }
}

/// Renders the report.
pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let day = r.started_at;
    let at = |t: DateTime<Utc>| human::hhmmss(t, day);
    summary(&mut o, r);
    let _ = writeln!(o, "## Timeline (planned vs actual, UTC)\n");
    let _ = writeln!(o, "Planned times count from the opening of the window the run started in (T); “vs plan” is actual end minus planned end.\n");
    let _ = writeln!(o, "| # | Activity | Owner | Planned | Est. | Started | Took | vs plan | Status |");
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|");
    for s in &r.steps {
        let slip = s.slippage_secs.map_or_else(|| "—".into(), human::slippage);
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {}{} |",
            s.n,
            cell(&s.activity),
            cell(&s.owner),
            human::planned(s.planned_start_at, &s.planned_at, s.planned_offset_secs, day, r.compression > 1),
            if s.planned_secs > 0.0 { human::duration(s.planned_secs) } else { "—".into() },
            s.actual_start_at.map_or_else(|| "—".into(), at),
            s.actual_secs.map_or_else(|| "—".into(), human::duration),
            if s.slipped { format!("**{slip}**") } else { slip },
            s.status,
            s.detail.as_ref().map(|d| format!(": {}", cell(d))).unwrap_or_default()
        );
    }
    let _ = writeln!(o, "\n## Traffic and controller log (UTC)\n");
    for l in &r.log {
        let _ = writeln!(o, "- {} [{}] {}{}", at(l.at), l.kind, l.text, if l.ok { "" } else { " ⚠" });
    }
    let _ = writeln!(o, "\n## Rollback\n");
    match &r.rollback {
        Some(rb) => {
            let _ = writeln!(o, "- Trigger: {} at {}", rb.reason, at(rb.triggered_at));
            let _ = writeln!(
                o,
                "- All traffic on blue: {} (**{}** from trigger, {} admin call(s))",
                rb.on_blue_at.map_or_else(|| "not confirmed".into(), at),
                rb.to_blue_ms.map_or_else(|| "—".into(), |m| human::duration(m as f64 / 1000.0)),
                rb.attempts
            );
            let _ = writeln!(
                o,
                "- Blue verified: {}{}",
                yes(rb.blue_verified),
                rb.blue_verified_detail.as_ref().map(|d| format!(" — {}", cell(d))).unwrap_or_default()
            );
            let _ = writeln!(o, "- {}", rb.migrations_note);
        }
        None => {
            let _ = writeln!(o, "No rollback.");
        }
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
    let _ = writeln!(
        o,
        "- Compatibility (read-only smoke against blue after migrating): {}\n",
        smoke_line(&r.compatibility)
    );
    smoke_table(&mut o, &r.compatibility);
    let _ = writeln!(o, "\n## Gates (every sample)\n\n| Metric | Limit | Action | Samples | No data | Breaches | Min | Max | Last |\n|---|---|---|---|---|---|---|---|---|");
    for g in &r.gates {
        let v = |x: Option<f64>| x.map_or_else(|| "—".into(), |x| human::value(x, &g.unit));
        let _ = writeln!(
            o,
            "| {} | < {} | {} | {} | {} | {} | {} | {} | {} |",
            g.label,
            human::value(g.limit_value, &g.unit),
            g.action,
            g.samples,
            g.no_data,
            if g.breaches > 0 { format!("**{}**", g.breaches) } else { "0".into() },
            v(g.min),
            v(g.max),
            v(g.last)
        );
    }
    if let Some(first) = r.gate_queries.first() {
        let _ = writeln!(o, "\nThe figures come from a metrics system; the last sample's queries ({}):\n", first.at);
        let _ = writeln!(o, "| Figure | Slot | Query | Value |\n|---|---|---|---|");
        for q in &r.gate_queries {
            let value = q.value.map_or_else(|| "no sample".to_string(), |v| format!("{v}"));
            let _ = writeln!(o, "| {} | {} | `{}` | {value} |", q.figure, q.slot, q.query.replace('|', "\\|"));
        }
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
                at(d.at),
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
    let _ = writeln!(o, "## Smoke tests (7.1)\n");
    smoke_table(&mut o, &r.smoke);
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
            met(c),
            cell(&c.evidence)
        );
    }
    let _ = writeln!(o, "\n## Definition of done (11.2)\n\n| Item | Done | What proved it |\n|---|---|---|");
    for c in &r.definition_of_done {
        let _ = writeln!(o, "| {} | {} | {} |", cell(&c.item), met(c), cell(&c.evidence));
    }
    followup(&mut o, r);
    if !r.notices.is_empty() {
        let _ = writeln!(o, "\n## Notices\n");
        for n in &r.notices {
            let _ = writeln!(o, "- {} [{}] {}{}", at(n.at), n.kind, n.text, if n.ok { "" } else { " (not delivered)" });
        }
    }
    war_room(&mut o, r);
    if let Some(f) = &r.figures {
        let _ = writeln!(
            o,
            "\n## Rehearsal figures\n\n```json\n{}\n```",
            serde_json::to_string_pretty(f).unwrap_or_default()
        );
    }
    o
}

fn summary(o: &mut String, r: &Report) {
    let s = &r.summary;
    let _ = writeln!(o, "# Cutover report — {}\n", r.plan_id);
    let _ = writeln!(o, "**{}**\n", s.headline);
    let _ = writeln!(o, "## What needs doing\n");
    for n in &s.next_steps {
        let _ = writeln!(o, "- {n}");
    }
    let _ = writeln!(o, "\n| | |\n|---|---|");
    let _ = writeln!(o, "| Outcome | {} |", cell(&r.verdict_line));
    let _ = writeln!(o, "| Traffic now | {} |", s.traffic_now);
    let _ = writeln!(o, "| Started | {} |", r.started_at.map_or_else(|| "—".into(), human::date_time));
    let _ = writeln!(
        o,
        "| Ended | {}{} |",
        s.ended_at.map_or_else(|| "not ended".into(), human::date_time),
        r.wall_secs.map(|w| format!(" (took {})", human::duration(w))).unwrap_or_default()
    );
    let _ = writeln!(o, "| Run | `{}` in `{}` |", r.run_id, r.run_dir);
    let _ = writeln!(o, "| Plan | {} (`{}`), time compressed ×{} |", cell(&r.plan_title), r.plan_id, r.compression);
    let _ = writeln!(o, "| Controller | {}, resumed {} time(s) |", r.own_version, r.resumes);
    if let Some(b) = &r.blackout_override {
        let _ = writeln!(
            o,
            "| Blackout overridden | by {}: {} (rules: {}) |",
            b.by,
            cell(&b.reason),
            cell(&b.rules.join("; "))
        );
    }
    let _ = writeln!(o, "| Report generated | {} |\n", human::date_time(r.generated_at));
}

fn smoke_table(o: &mut String, rows: &[SmokeRow]) {
    let _ = writeln!(o, "| Test | Case | Expected | Result | Detail | Took |\n|---|---|---|---|---|---|");
    for s in rows {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} ms |",
            s.id,
            cell(&s.case),
            cell(&s.expected),
            if s.passed { "pass" } else { "**FAIL**" },
            cell(&s.detail),
            s.elapsed_ms
        );
    }
    if rows.is_empty() {
        let _ = writeln!(o, "| — | not run | | | | |");
    }
}

fn followup(o: &mut String, r: &Report) {
    let _ = writeln!(
        o,
        "\n## Post-cutover checklist (9.1, 9.2)\n\n| Item | Owner | Due | Done by | Status | Who | When | Detail |\n|---|---|---|---|---|---|---|---|"
    );
    for c in &r.post_cutover {
        let _ = writeln!(
            o,
            "| {} (`{}`) | {} | {} | {} | {} | {} | {} | {} |",
            cell(&c.item),
            c.id,
            cell(&c.owner),
            cell(&c.due_text),
            c.performer,
            c.status,
            c.by.as_deref().map_or_else(|| "—".into(), cell),
            c.at.map_or_else(|| "—".into(), human::date_time),
            or_dash(&c.detail)
        );
    }
    let _ = writeln!(
        o,
        "\n## Preparation timeline (4.1)\n\nNot tracked by the run; dated back from the window it started in.\n\n| When | Phase | Activity | Owner | Duration |\n|---|---|---|---|---|"
    );
    for p in &r.prep {
        let _ = writeln!(
            o,
            "| {}{} | {} | {} | {} | {} |",
            p.before,
            p.at.map(|t| format!(" ({})", human::date_time(t))).unwrap_or_default(),
            cell(&p.phase),
            cell(&p.activity),
            cell(&p.owner),
            p.duration
        );
    }
}

fn war_room(o: &mut String, r: &Report) {
    let w = &r.war_room;
    let _ = writeln!(o, "\n## War room (10)\n");
    let _ = writeln!(
        o,
        "- Bridge: {}\n- Chat: {}\n- Dashboard: {}\n- Incidents: {}",
        w.bridge, w.chat, w.dashboard, w.incident_channel
    );
    for p in &w.protocol {
        let _ = writeln!(o, "- Protocol: {p}");
    }
    let _ = writeln!(o, "\n| Role | Name | Responsibility | Also called |\n|---|---|---|---|");
    for p in &r.roles {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} |",
            cell(&p.role),
            or_dash(&p.name),
            cell(&p.responsibility),
            or_dash(&p.aliases.join(", "))
        );
    }
    let _ = writeln!(o, "\n### Emergency contacts (Appendix A)\n\n| Role | Name | Phone | Email |\n|---|---|---|---|");
    for c in &r.contacts {
        let _ =
            writeln!(o, "| {} | {} | {} | {} |", cell(&c.role), or_dash(&c.name), or_dash(&c.phone), or_dash(&c.email));
    }
}

fn smoke_line(rows: &[SmokeRow]) -> String {
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
