//! Real readers of the files LMS hands out: Python's openpyxl (XLSX) and
//! icalendar (iCalendar), from the virtual environment
//! `scripts/ensure-python-tools` creates on first use. A check is a Python
//! script that reads the file named by `sys.argv[1]` and prints JSON.

use serde_json::Value;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::OnceCell;

static PYTHON: OnceCell<PathBuf> = OnceCell::const_new();

/// The python of the tools' environment (created when missing).
async fn python() -> PathBuf {
    PYTHON
        .get_or_init(|| async {
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/ensure-python-tools");
            let out = tokio::process::Command::new(script).output().await.expect("run scripts/ensure-python-tools");
            assert!(out.status.success(), "ensure-python-tools: {}", String::from_utf8_lossy(&out.stderr));
            PathBuf::from(String::from_utf8(out.stdout).expect("utf-8").trim())
        })
        .await
        .clone()
}

/// Runs `script` on `file` (written to a temporary file ending in
/// `.extension`, `sys.argv[1]`) and returns what it printed, as JSON.
pub async fn read_with(script: &str, file: &[u8], extension: &str) -> Value {
    static N: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "lms-test-{}-{}.{extension}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    tokio::fs::write(&path, file).await.expect("write the file to read");
    let out = tokio::process::Command::new(python().await)
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .await
        .expect("run python");
    let _ = tokio::fs::remove_file(&path).await;
    assert!(out.status.success(), "python: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// What openpyxl reads from the first worksheet of an XLSX file: its
/// name, frozen pane, autofilter range, header row (values and bold
/// flags), column widths, and each further row's cells as
/// `{"type": <Python type name>, "value": <value; dates ISO>, "data_type": <openpyxl's>}`.
pub async fn read_xlsx(file: &[u8]) -> Value {
    const SCRIPT: &str = r#"
import json, sys, datetime, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.worksheets[0]
def cell(c):
    v = c.value
    if isinstance(v, (datetime.datetime, datetime.date)):
        shown = v.isoformat()
    else:
        shown = v
    return {"type": type(v).__name__, "value": shown, "data_type": c.data_type, "format": c.number_format}
rows = list(ws.iter_rows())
print(json.dumps({
    "sheet": ws.title,
    "freeze": ws.freeze_panes,
    "autofilter": ws.auto_filter.ref,
    "header": [c.value for c in rows[0]] if rows else [],
    "bold": [bool(c.font and c.font.b) for c in rows[0]] if rows else [],
    "widths": {k: d.width for k, d in ws.column_dimensions.items()},
    "rows": [[cell(c) for c in r] for r in rows[1:]],
}))
"#;
    read_with(SCRIPT, file, "xlsx").await
}
/// What Python's icalendar reads from a calendar: its properties and each
/// event's (`DTSTART`/`DTEND` as ISO dates with their Python type, texts
/// unescaped), plus every raw line's length in octets.
pub async fn read_ics(file: &[u8]) -> Value {
    const SCRIPT: &str = r#"
import json, sys, icalendar
raw = open(sys.argv[1], 'rb').read()
cal = icalendar.Calendar.from_ical(raw)
def prop(v):
    if hasattr(v, 'dt'):
        return {"type": type(v.dt).__name__, "value": v.dt.isoformat()}
    if isinstance(v, int):
        return v
    return str(v)
events = []
for e in cal.walk('VEVENT'):
    events.append({k: prop(v) for k, v in e.items()})
print(json.dumps({
    "calendar": {k: str(v) for k, v in cal.items()},
    "events": events,
    "line_octets": [len(l) for l in raw.split(b'\r\n')],
    "crlf_only": b'\n' not in raw.replace(b'\r\n', b''),
}))
"#;
    read_with(SCRIPT, file, "ics").await
}
