//! Approval chains and delegation through the API (docs/LEAVE-RULES.md,
//! "Approval chains and delegation"): manager then HR, two named roles,
//! none, a deputy on behalf of a manager, a manager's own request,
//! cancelling leave that has started, the race of two approvals of one
//! stage, who may call the new routes, and an instance on the schema of the
//! release before deciding in one step on the same database.

use crate::support::*;
use chrono::{Duration, Utc};
use lms_server::ServerConfig;
use lms_store::db::ConnectOptions;
use lms_store::migrations::SchemaCap;
use lms_store::{Backend, Db, APPROVAL_CHAINS};
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_backends!(
    manager_then_hr_needs_both_stages,
    two_named_roles_in_order,
    a_chain_of_none_approves_on_submission,
    a_deputy_decides_on_behalf_of_the_manager_on_the_dates_only,
    a_managers_own_request_goes_to_hr,
    cancelling_started_leave_goes_through_the_chain,
    two_approvals_of_one_stage_one_wins,
    who_may_call_the_chain_and_delegation_routes,
    the_release_before_decides_in_one_step_on_the_same_database,
);

const ANNUAL: i64 = 1;
const SICK: i64 = 2;
const UNPAID: i64 = 3;
const MAYA: i64 = 6;

async fn set_chain(hr: &User, leave_type: i64, body: Value) {
    let (s, b) = hr.put(&format!("/api/v1/leave-types/{leave_type}/approval-chain"), body).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

async fn stages(user: &User, id: i64) -> Value {
    let (s, b) = user.get(&format!("/api/v1/leave-requests/{id}/stages")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

async fn queue_ids(user: &User) -> Vec<i64> {
    let (s, b) = user.get("/api/v1/approvals").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["items"].as_array().expect("items").iter().filter_map(|i| i["id"].as_i64()).collect()
}

async fn decide(user: &User, id: i64, action: &str) -> (StatusCode, Value) {
    user.post_empty(&format!("/api/v1/leave-requests/{id}/{action}")).await
}

/// The subjects of a person's notifications about request `id`, newest first.
async fn notes_about(user: &User, id: i64) -> Vec<String> {
    let (_, n) = user.get("/api/v1/notifications").await;
    n["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["entity_type"] == "leave_request" && i["entity_id"] == id)
        .filter_map(|i| i["subject"].as_str().map(String::from))
        .collect()
}

async fn audit_of(hr: &User, id: i64) -> Vec<Value> {
    let (_, a) = hr.get(&format!("/api/v1/audit-events?entity_type=leave_request&entity_id={id}")).await;
    a["items"].as_array().expect("items").clone()
}

async fn manager_then_hr_needs_both_stages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (hr, mgr, ada) = (
        app.login("hr@demo.local").await,
        app.login("manager@demo.local").await,
        app.login("employee1@demo.local").await,
    );
    set_chain(&hr, ANNUAL, json!({"chain": "manager_then_hr"})).await;
    let (_, c) = ada.get(&format!("/api/v1/leave-types/{ANNUAL}/approval-chain")).await;
    assert_eq!(c, json!({"chain": "manager_then_hr", "approvers": ["manager", "hr"]}));

    let id = ada.submit("annual", monday(10), monday(10) + Duration::days(4)).await;
    let s = stages(&ada, id).await;
    assert_eq!(s["stages"].as_array().map(Vec::len), Some(2), "{s}");
    assert_eq!(s["waiting"], json!({"round": 0, "position": 1, "approver": "manager"}));
    assert_eq!(notes_about(&mgr, id).await.len(), 1, "the manager is told");
    assert!(queue_ids(&mgr).await.contains(&id));

    // Stage one: the manager. The request stays pending, HR is told.
    let (s, r) = mgr.post(&format!("/api/v1/leave-requests/{id}/approve"), json!({"comment": "fine by me"})).await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("pending")), "{r}");
    assert!(!queue_ids(&mgr).await.contains(&id), "the manager's stage is done");
    let (s, e) = decide(&mgr, id, "approve").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the manager does not decide HR's stage: {e}");
    assert!(queue_ids(&hr).await.contains(&id));
    assert_eq!(notes_about(&hr, id).await, vec![format!("Ada Byrne requested annual leave (stage 1 approved)")]);
    assert!(notes_about(&ada, id).await.is_empty(), "the employee hears the final decision only");
    assert_eq!(ada.balance(next_year(), "annual").await["pending"].as_f64(), Some(5.0));

    // Stage two: HR. Approved; the employee is told.
    let (s, r) = decide(&hr, id, "approve").await;
    assert_eq!(
        (s, r["status"].as_str(), r["decided_by"].as_i64()),
        (StatusCode::OK, Some("approved"), Some(HR)),
        "{r}"
    );
    assert_eq!(notes_about(&ada, id).await, vec!["Your annual leave was approved".to_string()]);
    assert_eq!(ada.balance(next_year(), "annual").await["taken"].as_f64(), Some(5.0));
    let s = stages(&ada, id).await;
    let decided: Vec<(i64, &str)> = s["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["decided_by"].as_i64().unwrap_or(0), x["decision"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(decided, vec![(MANAGER, "approved"), (HR, "approved")]);
    assert_eq!(s["stages"][0]["comment"], "fine by me");
    assert!(s["waiting"].is_null());
    let (s, e) = decide(&hr, id, "reject").await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");

    // Audited: submission and both stages, before/after objects with the stages.
    let audit = audit_of(&hr, id).await;
    let actions: Vec<&str> = audit.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, vec!["leave_request.approve", "leave_request.approve", "leave_request.submit"]);
    assert_eq!(audit[1]["before"]["stages"][0]["decision"], Value::Null);
    assert_eq!(audit[1]["after"]["stages"][0]["decided_by"], MANAGER);
    assert_eq!(audit[1]["after"]["status"], "pending");
    assert_eq!(audit[0]["after"]["status"], "approved");

    // A rejection at the first stage rejects.
    let id = ada.submit("annual", monday(12), monday(12)).await;
    let (s, r) = decide(&mgr, id, "reject").await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("rejected")), "{r}");
    assert!(!queue_ids(&hr).await.contains(&id));
}

async fn two_named_roles_in_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (hr, mgr, maya, ada) = (
        app.login("hr@demo.local").await,
        app.login("manager@demo.local").await,
        app.login("manager2@demo.local").await,
        app.login("employee1@demo.local").await,
    );
    let (s, e) = hr
        .put(&format!("/api/v1/leave-types/{SICK}/approval-chain"), json!({"chain": "two", "approvers": ["hr"]}))
        .await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_chain")), "{e}");
    let (s, e) = hr
        .put(
            &format!("/api/v1/leave-types/{SICK}/approval-chain"),
            json!({"chain": "two", "approvers": ["hr", "boss"]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    set_chain(&hr, SICK, json!({"chain": "two", "approvers": ["role:manager", "hr"]})).await;

    // Any manager decides the first stage: Maya, who does not manage Ada.
    let id = ada.submit("sick", monday(14), monday(14)).await;
    assert!(queue_ids(&maya).await.contains(&id), "any manager's queue");
    assert!(queue_ids(&mgr).await.contains(&id));
    let (s, r) = decide(&maya, id, "approve").await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("pending")), "{r}");
    assert!(!queue_ids(&mgr).await.contains(&id), "the role's stage is done");
    let (s, e) = decide(&mgr, id, "approve").await;
    assert_eq!(s, StatusCode::CONFLICT, "decided by another manager; the second stage is HR's: {e}");
    let (s, r) = decide(&hr, id, "approve").await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("approved")), "{r}");
    let st = stages(&ada, id).await;
    let approvers: Vec<&str> = st["stages"].as_array().unwrap().iter().filter_map(|x| x["approver"].as_str()).collect();
    assert_eq!(approvers, vec!["role:manager", "hr"]);
    assert_eq!(st["stages"][0]["decided_by"], MAYA);

    // HR's second stage rejects.
    let id = ada.submit("sick", monday(16), monday(16)).await;
    decide(&maya, id, "approve").await;
    let (s, r) = decide(&hr, id, "reject").await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("rejected")), "{r}");
    assert_eq!(notes_about(&ada, id).await, vec!["Your sick leave was rejected".to_string()]);
}

async fn a_chain_of_none_approves_on_submission(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (hr, mgr, ada) = (
        app.login("hr@demo.local").await,
        app.login("manager@demo.local").await,
        app.login("employee1@demo.local").await,
    );
    set_chain(&hr, UNPAID, json!({"chain": "none"})).await;
    let (_, types) = ada.get("/api/v1/leave-types").await;
    assert_eq!(types["items"][2]["requires_approval"], false, "the flag follows the chain: {types}");
    let (s, r) = ada.post("/api/v1/leave-requests", request("unpaid", monday(20), monday(20))).await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::CREATED, Some("approved")), "{r}");
    let id = r["id"].as_i64().expect("id");
    assert!(stages(&ada, id).await["stages"].as_array().unwrap().is_empty());
    assert!(notes_about(&mgr, id).await.is_empty(), "nobody has anything to decide");
    assert!(!queue_ids(&mgr).await.contains(&id));

    // The flag set back decides: the manager.
    let (s, t) = hr.patch(&format!("/api/v1/leave-types/{UNPAID}"), json!({"requires_approval": true})).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let (_, c) = ada.get(&format!("/api/v1/leave-types/{UNPAID}/approval-chain")).await;
    assert_eq!(c["chain"], "manager");
    let id = ada.submit("unpaid", monday(21), monday(21)).await;
    assert_eq!(stages(&ada, id).await["request"]["status"], "pending");
    // And the chain is audited with before and after.
    let (_, a) = hr.get(&format!("/api/v1/audit-events?entity_type=leave_type&entity_id={UNPAID}")).await;
    let chain = a["items"].as_array().unwrap().iter().find(|e| e["action"] == "leave_type.approval_chain").cloned();
    let chain = chain.expect("audited");
    assert_eq!((chain["before"]["chain"].as_str(), chain["after"]["chain"].as_str()), (Some("manager"), Some("none")));
}

/// The worked example: Morgan names Maya his deputy from today for 12 days;
/// Maya approves Ada's request on Morgan's behalf. Named for days that have
/// not come yet, she may not; dates that have ended cannot be named.
async fn a_deputy_decides_on_behalf_of_the_manager_on_the_dates_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (hr, mgr, maya, ada) = (
        app.login("hr@demo.local").await,
        app.login("manager@demo.local").await,
        app.login("manager2@demo.local").await,
        app.login("employee1@demo.local").await,
    );
    let today = Utc::now().date_naive();
    let id = ada.submit("annual", monday(10), monday(10)).await;
    assert!(!queue_ids(&maya).await.contains(&id), "not her team");
    let (s, _) = decide(&maya, id, "approve").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "not hers to see");
    assert_eq!(maya.get(&format!("/api/v1/leave-requests/{id}")).await.0, StatusCode::NOT_FOUND);

    let (s, d) = mgr
        .post(
            "/api/v1/delegations",
            json!({"deputy_id": MAYA, "start_date": today, "end_date": today + Duration::days(11)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    assert_eq!((d["manager_id"].as_i64(), d["deputy_name"].as_str()), (Some(MANAGER), Some("Maya Singh")));
    let delegation = d["id"].as_i64().expect("id");
    let (_, mine) = maya.get("/api/v1/delegations").await;
    assert_eq!(mine["items"][0]["id"], delegation, "the deputy sees it: {mine}");

    assert!(queue_ids(&maya).await.contains(&id), "the deputy's queue has Morgan's team");
    let (s, r) = maya.get(&format!("/api/v1/leave-requests/{id}")).await;
    assert_eq!((s, r["id"].as_i64()), (StatusCode::OK, Some(id)), "the deputy sees the request: {r}");
    let (s, r) = decide(&maya, id, "approve").await;
    assert_eq!(
        (s, r["status"].as_str(), r["decided_by"].as_i64()),
        (StatusCode::OK, Some("approved"), Some(MAYA)),
        "{r}"
    );
    let st = stages(&maya, id).await;
    assert_eq!(
        (st["stages"][0]["decided_by"].as_i64(), st["stages"][0]["on_behalf_of"].as_i64()),
        (Some(MAYA), Some(MANAGER))
    );
    assert_eq!(st["stages"][0]["on_behalf_of_name"], "Morgan Lee");
    assert_eq!(
        notes_about(&ada, id).await,
        vec!["Your annual leave was approved by Maya Singh on behalf of Morgan Lee"]
    );
    let audit = audit_of(&hr, id).await;
    assert_eq!(
        (audit[0]["actor_id"].as_i64(), audit[0]["after"]["stages"][0]["on_behalf_of"].as_i64()),
        (Some(MAYA), Some(MANAGER))
    );

    // The manager keeps deciding; HR too.
    let other = ada.submit("annual", monday(11), monday(11)).await;
    let (s, _) = decide(&mgr, other, "approve").await;
    assert_eq!(s, StatusCode::OK);

    // Outside the dates: named from tomorrow on, Maya may not decide today.
    let (s, _) = mgr.delete(&format!("/api/v1/delegations/{delegation}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = mgr
        .post(
            "/api/v1/delegations",
            json!({"deputy_id": MAYA, "start_date": today + Duration::days(1), "end_date": today + Duration::days(12)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let later = ada.submit("annual", monday(12), monday(12)).await;
    assert!(!queue_ids(&maya).await.contains(&later));
    let (s, e) = decide(&maya, later, "approve").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    // Dates that have ended cannot be named; nor can the manager deputise for themselves.
    let (s, e) = mgr
        .post(
            "/api/v1/delegations",
            json!({"deputy_id": MAYA, "start_date": today - Duration::days(13), "end_date": today - Duration::days(1)}),
        )
        .await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_delegation")), "{e}");
    let (s, _) =
        mgr.post("/api/v1/delegations", json!({"deputy_id": MANAGER, "start_date": today, "end_date": today})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, e) =
        mgr.post("/api/v1/delegations", json!({"deputy_id": EMPLOYEE1, "start_date": today, "end_date": today})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "an employee is no deputy: {e}");
    let (s, e) = mgr
        .post(
            "/api/v1/delegations",
            json!({"deputy_id": MAYA, "start_date": today + Duration::days(1), "end_date": today}),
        )
        .await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("end_before_start")), "{e}");
}

async fn a_managers_own_request_goes_to_hr(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (hr, mgr, maya) = (
        app.login("hr@demo.local").await,
        app.login("manager@demo.local").await,
        app.login("manager2@demo.local").await,
    );
    set_chain(&hr, ANNUAL, json!({"chain": "manager_then_hr"})).await;
    // Morgan is a manager without a manager: one HR stage, not two.
    let id = mgr.submit("annual", monday(30), monday(30)).await;
    let st = stages(&mgr, id).await;
    let approvers: Vec<&str> = st["stages"].as_array().unwrap().iter().filter_map(|x| x["approver"].as_str()).collect();
    assert_eq!(approvers, vec!["hr"]);
    assert_eq!(notes_about(&hr, id).await.len(), 1, "HR is told");
    let (s, e) = decide(&mgr, id, "approve").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "nobody decides their own request: {e}");
    assert!(!queue_ids(&maya).await.contains(&id));
    let (s, _) = decide(&maya, id, "approve").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Even as Morgan's deputy, Maya does not decide Morgan's own leave.
    let today = Utc::now().date_naive();
    let (s, _) = mgr
        .post(
            "/api/v1/delegations",
            json!({"deputy_id": MAYA, "start_date": today, "end_date": today + Duration::days(3)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = decide(&maya, id, "approve").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "Morgan's own request is not his team's");
    let (s, r) = decide(&hr, id, "approve").await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("approved")), "{r}");
}

async fn cancelling_started_leave_goes_through_the_chain(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (hr, mgr, ada) = (
        app.login("hr@demo.local").await,
        app.login("manager@demo.local").await,
        app.login("employee1@demo.local").await,
    );
    let day = past_weekday();
    let year = chrono::Datelike::year(&day);
    let id = ada.submit("annual", day, day).await;
    let (s, _) = decide(&mgr, id, "approve").await;
    assert_eq!(s, StatusCode::OK);
    let taken = ada.balance(year, "annual").await["taken"].as_f64().expect("taken");

    // The leave has started: the cancellation waits for the manager.
    let (s, r) = ada.post(&format!("/api/v1/leave-requests/{id}/cancel"), json!({"comment": "came back early"})).await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("approved")), "{r}");
    let st = stages(&ada, id).await;
    assert_eq!(st["cancellation_pending"], true, "{st}");
    assert_eq!(st["waiting"], json!({"round": 1, "position": 1, "approver": "manager"}));
    let (s, e) = ada.post_empty(&format!("/api/v1/leave-requests/{id}/cancel")).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("cancellation_pending")), "{e}");
    assert_eq!(notes_about(&mgr, id).await[0], "Ada Byrne asks to cancel annual leave that has started");
    assert!(queue_ids(&mgr).await.contains(&id));
    let (s, _) = decide(&ada, id, "approve").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "not her own cancellation");

    // Refused: the leave stands. Asked again and approved: cancelled, the day returns.
    let (s, r) = decide(&mgr, id, "reject").await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("approved")), "{r}");
    assert_eq!(notes_about(&ada, id).await[0], "The cancellation of your annual leave was refused");
    assert_eq!(stages(&ada, id).await["cancellation_pending"], false);
    let (s, _) = ada.post_empty(&format!("/api/v1/leave-requests/{id}/cancel")).await;
    assert_eq!(s, StatusCode::OK);
    let (s, r) = decide(&mgr, id, "approve").await;
    assert_eq!(
        (s, r["status"].as_str(), r["cancelled_by"].as_i64()),
        (StatusCode::OK, Some("cancelled"), Some(EMPLOYEE1)),
        "{r}"
    );
    assert_eq!(ada.balance(year, "annual").await["taken"].as_f64(), Some(taken - 1.0));
    assert_eq!(notes_about(&ada, id).await[0], "Your annual leave was cancelled");
    let st = stages(&ada, id).await;
    let rounds: Vec<(i64, &str)> = st["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["round"].as_i64().unwrap_or(-1), x["decision"].as_str().unwrap_or("open")))
        .collect();
    assert_eq!(rounds, vec![(0, "approved"), (1, "rejected"), (2, "approved")]);
    let actions: Vec<String> =
        audit_of(&hr, id).await.iter().filter_map(|e| e["action"].as_str().map(String::from)).collect();
    assert_eq!(
        actions,
        vec![
            "leave_request.cancellation.approve",
            "leave_request.cancellation.ask",
            "leave_request.cancellation.reject",
            "leave_request.cancellation.ask",
            "leave_request.approve",
            "leave_request.submit"
        ]
    );

    // Leave that has not started is cancelled at once, as before.
    let future = ada.submit("annual", monday(40), monday(40)).await;
    decide(&mgr, future, "approve").await;
    let (s, r) = ada.post_empty(&format!("/api/v1/leave-requests/{future}/cancel")).await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("cancelled")), "{r}");
}

/// Two approvals of one stage at the same time (any manager, then HR):
/// one wins, the other is told 409 — never a decision of the next stage;
/// the stage holds one decision. Approve against reject: one stands.
async fn two_approvals_of_one_stage_one_wins(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (hr, mgr, maya, ada) = (
        app.login("hr@demo.local").await,
        app.login("manager@demo.local").await,
        app.login("manager2@demo.local").await,
        app.login("employee1@demo.local").await,
    );
    set_chain(&hr, ANNUAL, json!({"chain": "two", "approvers": ["role:manager", "hr"]})).await;
    for week in 2..8 {
        let id = ada.submit("annual", monday(week), monday(week)).await;
        let path = format!("/api/v1/leave-requests/{id}/approve");
        let (a, b) = tokio::join!(mgr.post_empty(&path), maya.post_empty(&path));
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{a:?} {b:?}");
        let st = stages(&ada, id).await;
        let decided = st["stages"].as_array().unwrap().iter().filter(|x| !x["decision"].is_null()).count();
        assert_eq!((decided, st["request"]["status"].as_str()), (1, Some("pending")), "{st}");
        assert_eq!(audit_of(&hr, id).await.len(), 2, "one submission, one decision");
    }
    let id = ada.submit("annual", monday(9), monday(9)).await;
    let (approve, reject) =
        (format!("/api/v1/leave-requests/{id}/approve"), format!("/api/v1/leave-requests/{id}/reject"));
    let (a, r) = tokio::join!(mgr.post_empty(&approve), maya.post_empty(&reject));
    let mut statuses = [a.0, r.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{a:?} {r:?}");
    let st = stages(&ada, id).await;
    let want = if a.0 == StatusCode::OK { "pending" } else { "rejected" };
    assert_eq!(st["request"]["status"], want, "{st}");
}

async fn who_may_call_the_chain_and_delegation_routes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anon = app.anonymous();
    let (hr, mgr, maya, ada, dan) = (
        app.login("hr@demo.local").await,
        app.login("manager@demo.local").await,
        app.login("manager2@demo.local").await,
        app.login("employee1@demo.local").await,
        app.login("employee4@demo.local").await,
    );
    let all = [
        ("anonymous", &anon),
        ("owner", &ada),
        ("other employee", &dan),
        ("manager", &mgr),
        ("other manager", &maya),
        ("hr", &hr),
    ];
    let today = Utc::now().date_naive();
    let id = ada.submit("annual", monday(5), monday(5)).await;
    let chain = format!("/api/v1/leave-types/{ANNUAL}/approval-chain");
    let stages_path = format!("/api/v1/leave-requests/{id}/stages");
    for ((who, user), (chain_get, stages_get, own, all_get)) in all.iter().zip([
        (401, 401, 401, 401),
        (200, 200, 200, 403),
        (200, 404, 200, 403),
        (200, 200, 200, 403),
        (200, 404, 200, 403),
        (200, 200, 200, 200),
    ]) {
        assert_eq!(user.get(&chain).await.0.as_u16(), chain_get, "GET chain as {who}");
        assert_eq!(user.get(&stages_path).await.0.as_u16(), stages_get, "GET stages as {who}");
        assert_eq!(user.get("/api/v1/delegations").await.0.as_u16(), own, "GET delegations as {who}");
        assert_eq!(user.get("/api/v1/delegations?all=true").await.0.as_u16(), all_get, "GET all delegations as {who}");
    }
    // Setting a chain: HR only; refusals write nothing.
    for (who, user) in &all[..5] {
        let before = app.count("audit_events").await;
        let (s, b) = user.put(&chain, json!({"chain": "none"})).await;
        assert_eq!(s.as_u16(), if *who == "anonymous" { 401 } else { 403 }, "PUT chain as {who}: {b}");
        assert_eq!(app.count("audit_events").await, before);
    }
    // Naming Morgan's deputy: Morgan himself or HR; the others are refused.
    let body = json!({"manager_id": MANAGER, "deputy_id": MAYA, "start_date": today, "end_date": today});
    for ((who, user), want) in all.iter().zip([401, 403, 403, 201, 403, 201]) {
        let before = app.count("delegations").await;
        let (s, b) = user.post("/api/v1/delegations", body.clone()).await;
        assert_eq!(s.as_u16(), want, "POST delegation as {who}: {b}");
        if want != 201 {
            assert_eq!(app.count("delegations").await, before, "{who} wrote something");
        }
    }
    // An employee has nobody to deputise for.
    let (s, b) =
        ada.post("/api/v1/delegations", json!({"deputy_id": MAYA, "start_date": today, "end_date": today})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    // Ending one: its manager or HR; the deputy is told no, others see nothing.
    let (_, list) = hr.get("/api/v1/delegations?all=true").await;
    let ids: Vec<i64> = list["items"].as_array().unwrap().iter().filter_map(|d| d["id"].as_i64()).collect();
    assert_eq!(ids.len(), 2, "{list}");
    for ((who, user), want) in all.iter().zip([401, 404, 404, 204, 403, 204]) {
        let target = if *who == "manager" { ids[1] } else { ids[0] };
        let (s, b) = user.delete(&format!("/api/v1/delegations/{target}")).await;
        assert_eq!(s.as_u16(), want, "DELETE delegation as {who}: {b}");
    }
    assert_eq!(app.count("delegations").await, 0);
}

/// Blue (this build on the schema of the release before, migration
/// APPROVAL_CHAINS not counted) and green (all of it) on one database:
/// blue decides in one step and refuses chains and deputies; green decides
/// what blue submitted in one step too.
async fn the_release_before_decides_in_one_step_on_the_same_database(backend: Backend) {
    let green = TestApp::spawn(backend).await;
    let opts =
        ConnectOptions { schema: SchemaCap::UpTo(APPROVAL_CHAINS - 1), max_connections: 4, ..Default::default() };
    let db = Db::connect(&green.url, &opts).await.expect("connect");
    assert!(!db.counts(APPROVAL_CHAINS), "blue does not count on the chains");
    let blue = TestApp::start(db, green.url.clone(), ServerConfig::default()).await;
    let g_hr = green.login("hr@demo.local").await;
    set_chain(&g_hr, ANNUAL, json!({"chain": "manager_then_hr"})).await;
    let (hr, mgr, ada) = (
        blue.login("hr@demo.local").await,
        blue.login("manager@demo.local").await,
        blue.login("employee1@demo.local").await,
    );

    // One step: the manager approves, the request is approved.
    let id = ada.submit("annual", monday(8), monday(8)).await;
    assert_eq!(notes_about(&mgr, id).await.len(), 1);
    let (s, st) = ada.get(&format!("/api/v1/leave-requests/{id}/stages")).await;
    assert_eq!((s, st["stages"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "{st}");
    let (s, r) = decide(&mgr, id, "approve").await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("approved")), "{r}");
    let (_, a) = hr.get(&format!("/api/v1/audit-events?entity_type=leave_request&entity_id={id}")).await;
    assert_eq!(a["items"][0]["after"]["stages"], Value::Null, "the record of before: {a}");

    // Chains and deputies need the migration.
    let (s, e) = hr.put(&format!("/api/v1/leave-types/{ANNUAL}/approval-chain"), json!({"chain": "none"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("schema_behind")), "{e}");
    let (_, c) = ada.get(&format!("/api/v1/leave-types/{ANNUAL}/approval-chain")).await;
    assert_eq!(c["chain"], "manager", "the flag, read as before: {c}");
    let today = Utc::now().date_naive();
    let (s, _) =
        mgr.post("/api/v1/delegations", json!({"deputy_id": MAYA, "start_date": today, "end_date": today})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, d) = mgr.get("/api/v1/delegations").await;
    assert_eq!(d["items"], json!([]));

    // Started leave is not cancelled (as before); the queue is one step's.
    let day = past_weekday();
    let started = ada.submit("annual", day, day).await;
    assert!(queue_ids(&hr).await.contains(&started), "HR's queue, as before");
    decide(&mgr, started, "approve").await;
    let (s, e) = ada.post_empty(&format!("/api/v1/leave-requests/{started}/cancel")).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("already_started")), "{e}");

    // Green decides blue's request (no stages) in one step.
    let pending = ada.submit("annual", monday(9), monday(9)).await;
    let g_mgr = green.login("manager@demo.local").await;
    let (s, r) = decide(&g_mgr, pending, "approve").await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("approved")), "{r}");
}
