//! Spreadsheet (XLSX) exports of the leave-usage report, the request list
//! and the audit log, read back with openpyxl: the header row (bold,
//! frozen under it, an autofilter), typed cells (dates as dates, numbers as
//! numbers, formula-looking text as text) and the same values as the JSON.

use crate::python::read_xlsx;
use crate::support::*;
use chrono::Duration;
use lms_store::Backend;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_backends!(usage_report_as_xlsx_matches_the_json, request_list_as_xlsx_has_every_row, audit_log_as_xlsx);

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Downloads `path`, asserting an XLSX attachment named `filename…`.
async fn download(user: &User, path: &str, filename: &str) -> Vec<u8> {
    let res = user.client.get(format!("{}{path}", user.base)).send().await.expect("GET");
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.bytes().await.expect("body").to_vec();
    assert_eq!(status, StatusCode::OK, "{path}: {}", String::from_utf8_lossy(&body));
    assert_eq!(headers["content-type"], XLSX, "{path}");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with(&format!("attachment; filename=\"{filename}")), "{disposition}");
    body
}

/// The frame every export has: a bold header row frozen above the rows,
/// an autofilter over all of them, a width for every column.
fn assert_frame(sheet: &Value, header: &[&str], rows: usize) {
    assert_eq!(sheet["header"], json!(header), "{sheet}");
    assert!(sheet["bold"].as_array().unwrap().iter().all(|b| b == true), "a bold header: {}", sheet["bold"]);
    assert_eq!(sheet["freeze"], "A2");
    assert_eq!(sheet["rows"].as_array().unwrap().len(), rows);
    let last = (b'A' + header.len() as u8 - 1) as char;
    assert_eq!(sheet["autofilter"], format!("A1:{last}{}", rows + 1));
    // Widths set from the first column on (openpyxl groups neighbours of one width under the first).
    let widths = sheet["widths"].as_object().unwrap();
    assert!(widths.contains_key("A") && widths.len() * 2 >= header.len(), "{}", sheet["widths"]);
    assert!(widths.values().all(|w| w.as_f64().unwrap() >= 7.0), "{}", sheet["widths"]);
}

/// The cell of `row` under header `column`.
fn cell<'a>(sheet: &'a Value, row: usize, column: &str) -> &'a Value {
    let i = sheet["header"].as_array().unwrap().iter().position(|h| h == column).expect("column");
    &sheet["rows"][row][i]
}

async fn usage_report_as_xlsx_matches_the_json(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let emp = app.login("employee1@demo.local").await;
    let mgr = app.login("manager@demo.local").await;
    let hr = app.login("hr@demo.local").await;
    // A name a spreadsheet would take for a formula, with a comma and non-ASCII text.
    let (s, b) = hr.patch(&format!("/api/v1/employees/{EMPLOYEE1}"), json!({"name": "=1+2, Zoë"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let a = emp.submit("annual", monday(10), monday(10) + Duration::days(2)).await;
    mgr.post_empty(&format!("/api/v1/leave-requests/{a}/approve")).await;
    let (s, b) = emp
        .post(
            "/api/v1/leave-requests",
            json!({"leave_type": "sick", "start_date": monday(12), "end_date": monday(12), "half_day_end": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let y = next_year();
    let query = format!("from={y}-01-01&to={y}-12-31");
    let (_, json) = hr.get(&format!("/api/v1/reports/leave-usage?{query}")).await;
    let items = json["items"].as_array().unwrap();
    let file = download(&hr, &format!("/api/v1/reports/leave-usage?{query}&format=xlsx"), "leave-usage-").await;
    let sheet = read_xlsx(&file).await;
    let header =
        ["employee_id", "employee_name", "email", "department", "leave_type", "taken", "pending", "remaining", "unit"];
    assert_frame(&sheet, &header, items.len());
    assert_eq!(sheet["sheet"], "Leave usage");
    // Row for row, column for column, the JSON's values, typed.
    for (i, item) in items.iter().enumerate() {
        for column in header {
            let c = cell(&sheet, i, column);
            match column {
                "employee_id" => assert_eq!((&c["type"], c["value"].as_f64()), (&json!("int"), item[column].as_f64())),
                "taken" | "pending" | "remaining" => {
                    assert_eq!(c["data_type"], "n", "{column}: {c}");
                    assert_eq!(c["value"].as_f64(), item[column].as_f64(), "{column} of row {i}");
                }
                _ => assert_eq!((&c["data_type"], &c["value"]), (&json!("s"), &item[column]), "{column} of row {i}"),
            }
        }
    }
    let row = items.iter().position(|x| x["employee_id"] == EMPLOYEE1 && x["leave_type"] == "sick").unwrap();
    assert_eq!(cell(&sheet, row, "pending")["value"], 0.5);
    assert_eq!(cell(&sheet, row, "employee_name")["value"], "=1+2, Zoë", "text, never a formula");

    // Who may: as for the JSON.
    let (s, _) = emp.get(&format!("/api/v1/reports/leave-usage?{query}&format=xlsx")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.anonymous().get("/api/v1/reports/leave-usage?format=xlsx").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let file = download(&mgr, &format!("/api/v1/reports/leave-usage?{query}&format=xlsx"), "leave-usage-").await;
    let ids: Vec<f64> =
        read_xlsx(&file).await["rows"].as_array().unwrap().iter().map(|r| r[0]["value"].as_f64().unwrap()).collect();
    assert!(!ids.is_empty() && ids.iter().all(|id| [3.0, 4.0, 5.0].contains(id)), "{ids:?}");
}

async fn request_list_as_xlsx_has_every_row(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let emp = app.login("employee1@demo.local").await;
    let other = app.login("employee4@demo.local").await;
    let mgr = app.login("manager@demo.local").await;
    let hr = app.login("hr@demo.local").await;
    // More requests than one JSON page holds (limit=50 by default).
    let mut mine = Vec::new();
    for week in 1..=30 {
        mine.push(emp.submit("unpaid", monday(week), monday(week)).await);
        mine.push(emp.submit("unpaid", monday(week) + Duration::days(2), monday(week) + Duration::days(3)).await);
    }
    let (s, b) = emp
        .post(
            "/api/v1/leave-requests",
            json!({"leave_type": "annual", "start_date": monday(40), "end_date": monday(40) + Duration::days(1),
                   "half_day_start": true, "reason": "=HYPERLINK(\"http://x\")"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let half = b["id"].as_i64().unwrap();
    mgr.post(&format!("/api/v1/leave-requests/{half}/approve"), json!({"comment": "ok; fine"})).await;
    let theirs = other.submit("unpaid", monday(5), monday(5)).await;

    // One's own: every row, newest first, as the JSON pages show them.
    let file = download(&emp, "/api/v1/leave-requests?format=xlsx", "leave-requests").await;
    let sheet = read_xlsx(&file).await;
    let header = [
        "id",
        "employee_id",
        "employee_name",
        "leave_type",
        "start_date",
        "end_date",
        "half_day_start",
        "half_day_end",
        "amount",
        "unit",
        "status",
        "reason",
        "created_at (UTC)",
        "decided_by",
        "decided_at (UTC)",
        "comment",
        "cancelled_by",
        "cancelled_at (UTC)",
        "year",
    ];
    assert_frame(&sheet, &header, 61);
    let (_, page) = emp.get("/api/v1/leave-requests?limit=200").await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 61);
    for (i, item) in items.iter().enumerate() {
        assert_eq!(cell(&sheet, i, "id")["value"].as_f64(), item["id"].as_f64());
        for column in ["start_date", "end_date"] {
            let c = cell(&sheet, i, column);
            assert_eq!(c["type"], "datetime", "a date cell: {c}");
            assert_eq!(c["format"], "yyyy-mm-dd");
            assert_eq!(c["value"], format!("{}T00:00:00", item[column].as_str().unwrap()));
        }
        assert_eq!(cell(&sheet, i, "amount")["value"].as_f64(), item["days"].as_f64());
        assert_eq!(cell(&sheet, i, "unit")["value"].as_str(), item["unit"].as_str());
        assert_eq!(cell(&sheet, i, "half_day_start")["value"], item["half_day_start"]);
        assert_eq!(cell(&sheet, i, "status")["value"], item["status"]);
        assert_eq!(cell(&sheet, i, "created_at (UTC)")["type"], "datetime");
    }
    let c = |col: &str| cell(&sheet, 0, col).clone();
    assert_eq!((c("id")["value"].as_i64(), c("amount")["value"].as_f64()), (Some(half), Some(1.5)));
    assert_eq!(
        (c("reason")["data_type"].as_str(), c("reason")["value"].as_str()),
        (Some("s"), Some("=HYPERLINK(\"http://x\")"))
    );
    assert_eq!((c("comment")["value"].as_str(), c("decided_by")["value"].as_f64()), (Some("ok; fine"), Some(2.0)));
    assert_eq!(c("decided_at (UTC)")["type"], "datetime");
    assert_eq!(c("cancelled_at (UTC)")["type"], "NoneType");

    // The same filters as the JSON listing.
    let file = download(&emp, &format!("/api/v1/leave-requests?format=xlsx&to={}", monday(10)), "leave-requests").await;
    let (_, page) = emp.get(&format!("/api/v1/leave-requests?limit=200&to={}", monday(10))).await;
    let sheet = read_xlsx(&file).await;
    let ids = |rows: &Vec<Value>| -> Vec<i64> { rows.iter().map(|r| r[0]["value"].as_f64().unwrap() as i64).collect() };
    let json_ids: Vec<i64> = page["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids(sheet["rows"].as_array().unwrap()), json_ids);
    assert_eq!(json_ids.len(), 19, "weeks 1 to 9, and the Monday of week 10");

    // HR: everyone's with all=true; no one else may.
    let file = download(&hr, "/api/v1/leave-requests?format=xlsx&all=true", "leave-requests").await;
    let all = ids(read_xlsx(&file).await["rows"].as_array().unwrap());
    assert_eq!(all.len(), 62);
    assert!(all.contains(&theirs) && mine.iter().all(|m| all.contains(m)));
    let (_, page) = hr.get("/api/v1/leave-requests?all=true&limit=200").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 62);
    for user in [&emp, &mgr] {
        let (s, _) = user.get("/api/v1/leave-requests?format=xlsx&all=true").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    let (s, _) = hr.get(&format!("/api/v1/leave-requests?all=true&employee_id={EMPLOYEE1}")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = emp.get(&format!("/api/v1/leave-requests?format=xlsx&employee_id={}", 6)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "another person's requests, as an employee");
    let (s, _) = emp.get("/api/v1/leave-requests?format=pdf").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // A manager: a direct report's.
    let file = download(&mgr, &format!("/api/v1/leave-requests?format=xlsx&employee_id={EMPLOYEE1}"), "leave-").await;
    assert_eq!(read_xlsx(&file).await["rows"].as_array().unwrap().len(), 61);
}

async fn audit_log_as_xlsx(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let emp = app.login("employee1@demo.local").await;
    let hr = app.login("hr@demo.local").await;
    let id = emp.submit("annual", monday(3), monday(3)).await;
    hr.post_empty(&format!("/api/v1/leave-requests/{id}/approve")).await;
    let (_, page) = hr.get("/api/v1/audit-events?limit=200").await;
    let items = page["items"].as_array().unwrap();
    let file = download(&hr, "/api/v1/audit-events?format=xlsx", "audit-log").await;
    let sheet = read_xlsx(&file).await;
    let header = [
        "id",
        "at (UTC)",
        "actor_id",
        "action",
        "entity_type",
        "entity_id",
        "before",
        "after",
        "request_id",
        "client_addr",
    ];
    assert_frame(&sheet, &header, items.len());
    for (i, item) in items.iter().enumerate() {
        assert_eq!(cell(&sheet, i, "id")["value"].as_f64(), item["id"].as_f64());
        assert_eq!(cell(&sheet, i, "at (UTC)")["type"], "datetime");
        assert_eq!(cell(&sheet, i, "action")["value"], item["action"]);
        assert_eq!(cell(&sheet, i, "entity_id")["value"], item["entity_id"]);
        for column in ["before", "after"] {
            let text = cell(&sheet, i, column)["value"].as_str().map(|t| serde_json::from_str::<Value>(t).unwrap());
            assert_eq!(text.unwrap_or(Value::Null), item[column], "{column} of row {i}");
        }
    }
    // The time is the JSON's, to the second.
    let at = cell(&sheet, 0, "at (UTC)")["value"].as_str().unwrap().to_string();
    let json_at = chrono::DateTime::parse_from_rfc3339(items[0]["at"].as_str().unwrap()).unwrap();
    let diff = chrono::NaiveDateTime::parse_from_str(&at, "%Y-%m-%dT%H:%M:%S%.f").unwrap() - json_at.naive_utc();
    assert!(diff.num_milliseconds().abs() < 1000, "{at} vs {json_at}");
    // Filters apply; HR only.
    let file = download(&hr, "/api/v1/audit-events?format=xlsx&action=leave_request.approve", "audit-log").await;
    assert_eq!(read_xlsx(&file).await["rows"].as_array().unwrap().len(), 1);
    let (s, _) = emp.get("/api/v1/audit-events?format=xlsx").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
