//! The report as one self-contained HTML page: inline CSS, an inline SVG
//! chart per gate metric, no script, nothing fetched.

use std::fmt::Write;

use crate::report::model::{GateSeries, Report};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.digits$}"))
}

fn met(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "<td class=ok>yes</td>",
        Some(false) => "<td class=bad>no</td>",
        None => "<td class=pending>pending</td>",
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
    let _ = write!(
        o,
        "<!doctype html><html lang=en><meta charset=utf-8><title>Cutover report {}</title><style>\
body{{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:1200px}}table{{border-collapse:collapse;margin:.5em 0 1.5em}}\
td,th{{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}}th{{background:#f0f0f0}}\
.ok{{color:#1e7e34}}.bad{{color:#c0392b;font-weight:bold}}.pending{{color:#a66f00}}.slip{{background:#fde2e1;font-weight:bold}}\
.verdict{{font-size:1.3em;padding:.5em;border:2px solid #333;display:inline-block}}</style>",
        esc(&r.run_id)
    );
    let _ = write!(o, "<h1>Cutover report — {}</h1><p class=verdict>{}</p>", esc(&r.plan_id), esc(&r.verdict_line));
    let _ = write!(
        o,
        "<p>Run <code>{}</code> · {} · controller {} · started {} · wall time {} s · compression ×{} · resumed {}×</p>",
        esc(&r.run_id),
        esc(&r.plan_title),
        esc(&r.own_version),
        r.started_at.map_or("—".into(), |t| t.to_rfc3339()),
        opt(r.wall_secs, 1),
        r.compression,
        r.resumes
    );
    if let Some(b) = &r.blackout_override {
        let _ = write!(
            o,
            "<p class=bad>Blackout overridden by {}: {} ({})</p>",
            esc(&b.by),
            esc(&b.reason),
            esc(&b.rules.join("; "))
        );
    }
    o.push_str("<h2>Timeline: planned vs actual</h2><table><tr><th>#<th>Activity<th>Owner<th>Planned<th>Est.<th>Planned start (s)<th>Actual start (s)<th>Actual (s)<th>Slippage (s)<th>Status</tr>");
    for s in &r.steps {
        let _ = write!(
            o,
            "<tr><td>{}<td>{}<td>{}<td>{}<td>{}<td>{:.1}<td>{}<td>{}<td{}>{}<td>{}{}</tr>",
            s.n,
            esc(&s.activity),
            esc(&s.owner),
            s.planned_at,
            esc(&s.planned_duration),
            s.planned_offset_secs,
            opt(s.actual_offset_secs, 1),
            opt(s.actual_secs, 2),
            if s.slipped { " class=slip" } else { "" },
            opt(s.slippage_secs, 1),
            esc(&s.status),
            s.detail.as_ref().map(|d| format!(": {}", esc(d))).unwrap_or_default()
        );
    }
    o.push_str("</table>");
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
    if let Some(b) = &r.backup {
        let _ = write!(
            o,
            "<li>Backup <code>{}</code>: {} bytes (previous {}), {}</li>",
            esc(&b.artifact),
            b.size_bytes,
            b.previous_size_bytes.map_or("none".into(), |p| p.to_string()),
            esc(&b.verification)
        );
    }
    if let Some(m) = &r.migration {
        let _ = write!(o, "<li>Migration: {} applied, {} pending</li>", m.applied.len(), m.pending.len());
    }
    let compat_ok = r.compatibility.iter().filter(|s| s.passed).count();
    let _ = write!(
        o,
        "<li>Read-only smoke against blue after migrating: {compat_ok}/{} passed</li></ul>",
        r.compatibility.len()
    );
    o.push_str("<h2>Gates</h2><table><tr><th>Metric<th>Limit<th>Action<th>Samples<th>No data<th>Breaches<th>Min<th>Max<th>Last<th>Chart</tr>");
    for g in &r.gates {
        let _ = write!(
            o,
            "<tr><td>{}<td>{}<td>{}<td>{}<td>{}<td{}>{}<td>{}<td>{}<td>{}<td>{}</tr>",
            esc(&g.metric),
            esc(&g.limit),
            esc(&g.action),
            g.samples,
            g.no_data,
            if g.breaches > 0 { " class=bad" } else { "" },
            g.breaches,
            opt(g.min, 2),
            opt(g.max, 2),
            opt(g.last, 2),
            chart(g)
        );
    }
    o.push_str("</table><h2>Checkpoints</h2>");
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
                d.at.to_rfc3339(),
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
    o.push_str("<h2>Smoke tests</h2><table><tr><th>Test<th>Case<th>Expected<th>Result<th>Detail<th>ms</tr>");
    for s in &r.smoke {
        let _ = write!(
            o,
            "<tr><td>{}<td>{}<td>{}{}<td>{}<td>{}</tr>",
            esc(&s.id),
            esc(&s.case),
            esc(&s.expected),
            met(Some(s.passed)),
            esc(&s.detail),
            s.elapsed_ms
        );
    }
    o.push_str("</table><h2>Rollback</h2>");
    match &r.rollback {
        Some(rb) => {
            let _ = write!(
                o,
                "<ul><li>Trigger: {} at {}</li><li>All traffic on blue after <b>{} ms</b> ({} admin call(s))</li><li>Blue verified: {}</li><li>{}</li></ul>",
                esc(&rb.reason),
                rb.triggered_at.to_rfc3339(),
                rb.to_blue_ms.map_or("—".into(), |m| m.to_string()),
                rb.attempts,
                match rb.blue_verified {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "pending",
                },
                esc(&rb.migrations_note)
            );
        }
        None => o.push_str("<p>No rollback.</p>"),
    }
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
            met(c.met),
            esc(&c.evidence)
        );
    }
    o.push_str("</table><h2>Definition of done (11.2)</h2><table><tr><th>Item<th>Done<th>What proved it</tr>");
    for c in &r.definition_of_done {
        let _ = write!(o, "<tr><td>{}{}<td>{}</tr>", esc(&c.item), met(c.met), esc(&c.evidence));
    }
    o.push_str("</table>");
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
