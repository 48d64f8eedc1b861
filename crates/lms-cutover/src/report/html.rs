//! The report as one self-contained HTML page: inline CSS, an inline SVG
//! chart per gate metric, no script, nothing fetched. The same sections in
//! the same order as the Markdown: outcome and what needs doing first.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use crate::report::human;
use crate::report::model::{CriterionRow, GateSeries, Report, SmokeRow};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn met(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "<td class=ok>yes</td>",
        Some(false) => "<td class=bad>no</td>",
        None => "<td class=pending>pending</td>",
    }
}

/// Escapes `s` and shows its `backticked` commands as code.
fn text(s: &str) -> String {
    esc(s)
        .split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { format!("<code>{part}</code>") } else { part.to_string() })
        .collect()
}

fn criterion(c: &CriterionRow) -> &'static str {
    if c.not_applicable {
        "<td>not applicable</td>"
    } else {
        met(c.met)
    }
}

fn or_dash(s: &str) -> String {
    if s.trim().is_empty() {
        "—".into()
    } else {
        esc(s)
    }
}

/// A small line chart of one metric with its limit as a dashed line.
pub fn chart(g: &GateSeries) -> String {
    let (w, h) = (320.0, 80.0);
    let t_max = g.points.iter().map(|p| p.0).fold(1.0_f64, f64::max);
    let v_max = g.points.iter().filter_map(|p| p.1).fold(g.limit_value * 1.2, f64::max).max(1e-9);
    let x = |t: f64| t / t_max * w;
    let y = |v: f64| h - (v / v_max * h);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\">",
        esc(&g.metric)
    );
    let _ = write!(svg, "<rect width=\"{w}\" height=\"{h}\" fill=\"#fafafa\" stroke=\"#ddd\"/>");
    let ly = y(g.limit_value);
    let _ = write!(
        svg,
        "<line x1=\"0\" y1=\"{ly:.1}\" x2=\"{w}\" y2=\"{ly:.1}\" stroke=\"#c0392b\" stroke-dasharray=\"4 3\"/>"
    );
    let pts: Vec<String> =
        g.points.iter().filter_map(|(t, v)| v.map(|v| format!("{:.1},{:.1}", x(*t), y(v)))).collect();
    if !pts.is_empty() {
        let _ = write!(
            svg,
            "<polyline fill=\"none\" stroke=\"#2c7be5\" stroke-width=\"1.5\" points=\"{}\"/>",
            pts.join(" ")
        );
    }
    for (t, v) in &g.points {
        if v.is_none() {
            let _ = write!(svg, "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"1.5\" fill=\"#999\"/>", x(*t), h - 2.0);
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Renders the page.
pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let day = r.started_at;
    let at = |t: DateTime<Utc>| human::hhmmss(t, day);
    let _ = write!(
        o,
        "<!doctype html><html lang=en><meta charset=utf-8><title>Cutover report {}</title><style>\
body{{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:1200px}}table{{border-collapse:collapse;margin:.5em 0 1.5em}}\
td,th{{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}}th{{background:#f0f0f0}}\
.ok{{color:#1e7e34}}.bad{{color:#c0392b;font-weight:bold}}.pending{{color:#a66f00}}.slip{{background:#fde2e1;font-weight:bold}}\
.verdict{{font-size:1.3em;padding:.5em;border:2px solid #333;display:inline-block}}</style>",
        esc(&r.run_id)
    );
    summary(&mut o, r);
    o.push_str("<h2>Timeline: planned vs actual (UTC)</h2><p>Planned times count from the opening of the window the run started in (T); “vs plan” is actual end minus planned end.</p>\
<table><tr><th>#<th>Activity<th>Owner<th>Planned<th>Est.<th>Started<th>Took<th>vs plan<th>Status</tr>");
    for s in &r.steps {
        let _ = write!(
            o,
            "<tr><td>{}<td>{}<td>{}<td>{}<td>{}<td>{}<td>{}<td{}>{}<td>{}{}</tr>",
            s.n,
            esc(&s.activity),
            esc(&s.owner),
            human::planned(s.planned_start_at, &s.planned_at, s.planned_offset_secs, day, r.compression > 1),
            if s.planned_secs > 0.0 { human::duration(s.planned_secs) } else { "—".into() },
            s.actual_start_at.map_or_else(|| "—".into(), at),
            s.actual_secs.map_or_else(|| "—".into(), human::duration),
            if s.slipped { " class=slip" } else { "" },
            s.slippage_secs.map_or_else(|| "—".into(), human::slippage),
            esc(&s.status),
            s.detail.as_ref().map(|d| format!(": {}", esc(d))).unwrap_or_default()
        );
    }
    o.push_str("</table><h2>Traffic and controller log (UTC)</h2><table><tr><th>Time<th>Kind<th>What</tr>");
    for l in &r.log {
        let _ = write!(
            o,
            "<tr><td>{}<td>{}<td{}>{}</tr>",
            at(l.at),
            esc(&l.kind),
            if l.ok { "" } else { " class=bad" },
            esc(&l.text)
        );
    }
    o.push_str("</table><h2>Rollback</h2>");
    match &r.rollback {
        Some(rb) => {
            let _ = write!(
                o,
                "<ul><li>Trigger: {} at {}</li><li>All traffic on blue at {}, <b>{}</b> after the trigger ({} admin call(s))</li><li>Blue verified: {}{}</li><li>{}</li></ul>",
                esc(&rb.reason),
                at(rb.triggered_at),
                rb.on_blue_at.map_or_else(|| "not confirmed".into(), at),
                rb.to_blue_ms.map_or_else(|| "—".into(), |m| human::duration(m as f64 / 1000.0)),
                rb.attempts,
                match rb.blue_verified {
                    Some(true) => "<span class=ok>yes</span>",
                    Some(false) => "<span class=bad>no</span>",
                    None => "<span class=pending>pending</span>",
                },
                rb.blue_verified_detail.as_ref().map(|d| format!(" — {}", esc(d))).unwrap_or_default(),
                esc(&rb.migrations_note)
            );
        }
        None => o.push_str("<p>No rollback.</p>"),
    }
    for (title, rows) in
        [("Pre-cutover checks (5.1, 5.2)", &r.prechecks), ("Post-deployment verification (7.2, 7.3)", &r.verifications)]
    {
        let _ = write!(o, "<h2>{title}</h2><table><tr><th>Check<th>What<th>Owner<th>Expected<th>Result<th>Detail</tr>");
        for c in rows {
            let _ = write!(
                o,
                "<tr><td>{}<td>{}<td>{}<td>{}{}<td>{}{}</tr>",
                esc(&c.id),
                esc(&c.check),
                esc(&c.owner),
                esc(c.expected.as_deref().unwrap_or("")),
                met(c.passed),
                esc(&c.detail),
                c.by.as_ref().map(|b| format!(" (by {})", esc(b))).unwrap_or_default()
            );
        }
        o.push_str("</table>");
    }
    o.push_str("<h2>Backup, migration, compatibility</h2><ul>");
    match &r.backup {
        Some(b) => {
            let _ = write!(
                o,
                "<li>Backup <code>{}</code>: {} bytes (previous {}), {}; SHA-256 <code>{}</code></li>",
                esc(&b.artifact),
                b.size_bytes,
                b.previous_size_bytes.map_or("none".into(), |p| format!("{p} bytes")),
                esc(&b.verification),
                esc(b.sha256.as_deref().unwrap_or("not recorded"))
            );
        }
        None => o.push_str("<li>Backup: none recorded</li>"),
    }
    match &r.migration {
        Some(m) => {
            let _ = write!(
                o,
                "<li>Migration: {} applied ({}), {} pending</li>",
                m.applied.len(),
                esc(&m.applied.join(", ")),
                m.pending.len()
            );
        }
        None => o.push_str("<li>Migration: none recorded</li>"),
    }
    let compat_ok = r.compatibility.iter().filter(|s| s.passed).count();
    let _ = write!(
        o,
        "<li>Read-only smoke against blue after migrating: {compat_ok}/{} passed</li></ul>",
        r.compatibility.len()
    );
    smoke_table(&mut o, &r.compatibility);
    o.push_str("<h2>Gates</h2><table><tr><th>Metric<th>Limit<th>Action<th>Samples<th>No data<th>Breaches<th>Min<th>Max<th>Last<th>Chart</tr>");
    for g in &r.gates {
        let v = |x: Option<f64>| x.map_or_else(|| "—".into(), |x| human::value(x, &g.unit));
        let _ = write!(
            o,
            "<tr><td>{}<td>&lt; {}<td>{}<td>{}<td>{}<td{}>{}<td>{}<td>{}<td>{}<td>{}</tr>",
            esc(&g.label),
            esc(&human::value(g.limit_value, &g.unit)),
            esc(&g.action),
            g.samples,
            g.no_data,
            if g.breaches > 0 { " class=bad" } else { "" },
            g.breaches,
            v(g.min),
            v(g.max),
            v(g.last),
            chart(g)
        );
    }
    o.push_str("</table>");
    if let Some(first) = r.gate_queries.first() {
        let _ = write!(
            o,
            "<p>The figures come from a metrics system; the last sample's queries ({}):</p><table><tr><th>Figure<th>Slot<th>Query<th>Value</tr>",
            esc(&first.at.to_string())
        );
        for q in &r.gate_queries {
            let value = q.value.map_or_else(|| "no sample".to_string(), |v| format!("{v}"));
            let _ = write!(
                o,
                "<tr><td>{}<td>{}<td><code>{}</code><td>{}</tr>",
                esc(&q.figure),
                esc(&q.slot),
                esc(&q.query),
                esc(&value)
            );
        }
        o.push_str("</table>");
    }
    o.push_str("<h2>Checkpoints</h2>");
    for c in &r.checkpoints {
        let _ = write!(o, "<h3>{}</h3>", esc(&c.name));
        if c.decisions.is_empty() {
            o.push_str("<p>Not reached.</p>");
        }
        for d in &c.decisions {
            let _ = write!(
                o,
                "<p><b>{}</b> (round {}) by {}{} at {}{}{} — {} sample(s)</p><table><tr><th>Question<th>Answer<th>Measured</tr>",
                esc(&d.decision),
                d.round,
                esc(&d.by),
                if d.auto { " (automatic)" } else { "" },
                at(d.at),
                d.note.as_ref().map(|n| format!(", note: {}", esc(n))).unwrap_or_default(),
                d.override_reason.as_ref().map(|n| format!(", override: {}", esc(n))).unwrap_or_default(),
                d.samples
            );
            for (q, a, e) in &d.questions {
                let _ = write!(o, "<tr><td>{}<td>{}<td>{}</tr>", esc(q), esc(a), esc(e));
            }
            o.push_str("</table>");
        }
    }
    o.push_str("<h2>Smoke tests</h2>");
    smoke_table(&mut o, &r.smoke);
    o.push_str(
        "<h2>Success criteria (11.1)</h2><table><tr><th>Criteria<th>Target<th>Measurement<th>Met<th>Evidence</tr>",
    );
    for c in &r.success_criteria {
        let _ = write!(
            o,
            "<tr><td>{}<td>{}<td>{}{}<td>{}</tr>",
            esc(&c.item),
            esc(c.target.as_deref().unwrap_or("")),
            esc(c.measurement.as_deref().unwrap_or("")),
            criterion(c),
            esc(&c.evidence)
        );
    }
    o.push_str("</table><h2>Definition of done (11.2)</h2><table><tr><th>Item<th>Done<th>What proved it</tr>");
    for c in &r.definition_of_done {
        let _ = write!(o, "<tr><td>{}{}<td>{}</tr>", esc(&c.item), criterion(c), text(&c.evidence));
    }
    o.push_str("</table>");
    followup(&mut o, r);
    if !r.notices.is_empty() {
        o.push_str("<h2>Notices</h2><ul>");
        for n in &r.notices {
            let _ = write!(
                o,
                "<li>{} [{}] {}{}</li>",
                at(n.at),
                esc(&n.kind),
                esc(&n.text),
                if n.ok { "" } else { " (not delivered)" }
            );
        }
        o.push_str("</ul>");
    }
    war_room(&mut o, r);
    if let Some(f) = &r.figures {
        let _ = write!(
            o,
            "<h2>Rehearsal figures</h2><pre>{}</pre>",
            esc(&serde_json::to_string_pretty(f).unwrap_or_default())
        );
    }
    o.push_str("</html>\n");
    o
}

fn summary(o: &mut String, r: &Report) {
    let s = &r.summary;
    let _ = write!(o, "<h1>Cutover report — {}</h1><p class=verdict>{}</p>", esc(&r.plan_id), esc(&s.headline));
    o.push_str("<h2>What needs doing</h2><ul>");
    for n in &s.next_steps {
        let _ = write!(o, "<li>{}</li>", text(n));
    }
    o.push_str("</ul><table>");
    let mut row = |k: &str, v: String| {
        let _ = write!(o, "<tr><th>{k}<td>{v}</tr>");
    };
    row("Outcome", esc(&r.verdict_line));
    row("Traffic now", esc(&s.traffic_now));
    row("Started", r.started_at.map_or_else(|| "—".into(), human::date_time));
    row(
        "Ended",
        format!(
            "{}{}",
            s.ended_at.map_or_else(|| "not ended".into(), human::date_time),
            r.wall_secs.map(|w| format!(" (took {})", human::duration(w))).unwrap_or_default()
        ),
    );
    row("Run", format!("<code>{}</code> in <code>{}</code>", esc(&r.run_id), esc(&r.run_dir)));
    row(
        "Plan",
        format!("{} (<code>{}</code>), time compressed ×{}", esc(&r.plan_title), esc(&r.plan_id), r.compression),
    );
    row("Controller", format!("{}, resumed {} time(s)", esc(&r.own_version), r.resumes));
    if let Some(b) = &r.blackout_override {
        row(
            "Blackout overridden",
            format!("<span class=bad>by {}: {} ({})</span>", esc(&b.by), esc(&b.reason), esc(&b.rules.join("; "))),
        );
    }
    row("Report generated", human::date_time(r.generated_at));
    o.push_str("</table>");
}

fn smoke_table(o: &mut String, rows: &[SmokeRow]) {
    o.push_str("<table><tr><th>Test<th>Case<th>Expected<th>Result<th>Detail<th>Took</tr>");
    for s in rows {
        let _ = write!(
            o,
            "<tr><td>{}<td>{}<td>{}{}<td>{}<td>{} ms</tr>",
            esc(&s.id),
            esc(&s.case),
            esc(&s.expected),
            met(Some(s.passed)),
            esc(&s.detail),
            s.elapsed_ms
        );
    }
    if rows.is_empty() {
        o.push_str("<tr><td colspan=6>not run</tr>");
    }
    o.push_str("</table>");
}

fn followup(o: &mut String, r: &Report) {
    o.push_str("<h2>Post-cutover checklist (9.1, 9.2)</h2><table><tr><th>Item<th>Owner<th>Due<th>Done by<th>Status<th>Who<th>When<th>Detail</tr>");
    for c in &r.post_cutover {
        let _ = write!(
            o,
            "<tr><td>{} (<code>{}</code>)<td>{}<td>{}<td>{}<td>{}<td>{}<td>{}<td>{}</tr>",
            esc(&c.item),
            esc(&c.id),
            esc(&c.owner),
            esc(&c.due_text),
            esc(&c.performer),
            esc(&c.status),
            c.by.as_deref().map_or_else(|| "—".into(), esc),
            c.at.map_or_else(|| "—".into(), human::date_time),
            if c.detail.is_empty() { "—".into() } else { text(&c.detail) }
        );
    }
    o.push_str("</table><h2>Preparation timeline (4.1)</h2><p>Not tracked by the run; dated back from the window it started in.</p><table><tr><th>When<th>Phase<th>Activity<th>Owner<th>Duration</tr>");
    for p in &r.prep {
        let _ = write!(
            o,
            "<tr><td>{}{}<td>{}<td>{}<td>{}<td>{}</tr>",
            esc(&p.before),
            p.at.map(|t| format!(" ({})", human::date_time(t))).unwrap_or_default(),
            esc(&p.phase),
            esc(&p.activity),
            esc(&p.owner),
            esc(&p.duration)
        );
    }
    o.push_str("</table>");
}

fn war_room(o: &mut String, r: &Report) {
    let w = &r.war_room;
    let _ = write!(
        o,
        "<h2>War room (10)</h2><ul><li>Bridge: {}</li><li>Chat: {}</li><li>Dashboard: {}</li><li>Incidents: {}</li>",
        esc(&w.bridge),
        esc(&w.chat),
        esc(&w.dashboard),
        esc(&w.incident_channel)
    );
    for p in &w.protocol {
        let _ = write!(o, "<li>Protocol: {}</li>", esc(p));
    }
    o.push_str("</ul><table><tr><th>Role<th>Name<th>Responsibility<th>Also called</tr>");
    for p in &r.roles {
        let _ = write!(
            o,
            "<tr><td>{}<td>{}<td>{}<td>{}</tr>",
            esc(&p.role),
            or_dash(&p.name),
            esc(&p.responsibility),
            or_dash(&p.aliases.join(", "))
        );
    }
    o.push_str("</table><h3>Emergency contacts (Appendix A)</h3><table><tr><th>Role<th>Name<th>Phone<th>Email</tr>");
    for c in &r.contacts {
        let _ = write!(
            o,
            "<tr><td>{}<td>{}<td>{}<td>{}</tr>",
            esc(&c.role),
            or_dash(&c.name),
            or_dash(&c.phone),
            or_dash(&c.email)
        );
    }
    o.push_str("</table>");
}
