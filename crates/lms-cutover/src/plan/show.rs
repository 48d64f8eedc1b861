//! The plan's night timeline as the runbook's table
//! (`Time | Step | Activity | Owner | Est. Duration`).

use std::fmt::Write as _;

use crate::plan::model::Plan;
use crate::units::PlanDuration;

/// Renders the cutover night timeline as a Markdown table.
pub fn show(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} - {}", plan.meta.id, plan.meta.title);
    let _ = writeln!(
        out,
        "Window: {} {}-{} {}\n",
        plan.window.weekday.map_or_else(|| "any day".to_string(), |w| w.to_string()),
        plan.window.start.format("%H:%M"),
        plan.window.end.format("%H:%M"),
        plan.window.timezone
    );
    let rows: Vec<[String; 5]> = plan
        .steps
        .iter()
        .map(|s| {
            [s.at.format("%H:%M").to_string(), s.n.to_string(), s.activity.clone(), s.owner.clone(), human(s.duration)]
        })
        .collect();
    let header = ["Time", "Step", "Activity", "Owner", "Est. Duration"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut l = String::from("|");
        for (cell, w) in cells.iter().zip(widths) {
            let pad = w - cell.chars().count();
            let _ = write!(l, " {cell}{} |", " ".repeat(pad));
        }
        l
    };
    let _ = writeln!(out, "{}", line(&header.map(String::from)));
    let sep: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    let mut s = String::from("|");
    for cell in &sep {
        let _ = write!(s, "-{cell}-|");
    }
    let _ = writeln!(out, "{s}");
    for row in &rows {
        let _ = writeln!(out, "{}", line(row));
    }
    out
}

/// `15 min`, `2h`, or `-` as in the runbook.
fn human(d: PlanDuration) -> String {
    if d.is_zero() {
        return "-".into();
    }
    let m = d.delta().num_minutes();
    if m > 0 && d.delta().num_seconds() % 60 == 0 {
        if m % 60 == 0 {
            format!("{}h", m / 60)
        } else {
            format!("{m} min")
        }
    } else {
        d.to_string()
    }
}
