//! `lms cutover` as an operator meets it before anything runs: `env PLAN`
//! lists what the plan needs and whether each is set, `run PLAN` takes the
//! plan like `validate` and `show` do and refuses to start (exit 3, nothing
//! written) while a required value is missing, and `validate` finds a
//! database URL of the wrong kind and a field the engine would not read.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

const SMOKE_VARS: [&str; 7] = [
    "LMS_SMOKE_EMPLOYEE_EMAIL",
    "LMS_SMOKE_MANAGER_EMAIL",
    "LMS_SMOKE_ADMIN_EMAIL",
    "LMS_SMOKE_EMPLOYEE_PASSWORD",
    "LMS_SMOKE_MANAGER_PASSWORD",
    "LMS_SMOKE_ADMIN_PASSWORD",
    "LMS_SMOKE_PASSWORD",
];

/// `lms cutover ARGS` with none of the plan's variables set.
fn bare(args: &[&str]) -> Command {
    let mut c = lms();
    c.arg("cutover").args(args);
    for v in SMOKE_VARS.into_iter().chain(["LMS_TEST_ARTIFACT", "LMS_TEST_TOKEN_FILE", "LMS_TEST_WEBHOOK"]) {
        c.env_remove(v);
    }
    c
}

fn text(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn write_plan(dir: &Path, text: &str) -> String {
    let p = dir.join("plan.toml");
    std::fs::write(&p, text).expect("plan");
    p.display().to_string()
}

#[test]
fn env_lists_every_value_the_plan_needs_and_which_steps_use_it() {
    let dir = scratch("env-list");
    let plan = write_plan(&dir, &production_like_plan());
    let o = bare(&["env", &plan]).output().expect("env");
    let out = text(&o);
    assert_eq!(o.status.code(), Some(3), "something required is missing:\n{out}");
    let line = |name: &str| out.lines().find(|l| l.trim_start().starts_with(name)).unwrap_or("").to_string();
    let artifact = line("LMS_TEST_ARTIFACT");
    assert!(artifact.contains("MISSING") && artifact.contains("environments.green.command"), "{out}");
    assert!(artifact.contains("step"), "the steps using it are named: {artifact}");
    assert!(line("LMS_TEST_WEBHOOK").contains("MISSING"), "{out}");
    assert!(line("LMS_SMOKE_EMPLOYEE_EMAIL").contains("MISSING"), "{out}");
    assert!(line("LMS_SMOKE_PASSWORD").contains("unset"), "optional when each role has its own: {out}");

    let token = dir.join("admin.token");
    std::fs::write(&token, "a-long-enough-admin-secret\n").expect("token");
    let mut c = bare(&["env", &plan]);
    c.env("LMS_TEST_ARTIFACT", env!("CARGO_BIN_EXE_lms"))
        .env("LMS_TEST_TOKEN_FILE", &token)
        .env("LMS_TEST_WEBHOOK", "http://127.0.0.1:9/hook")
        .env("LMS_SMOKE_PASSWORD", "never-printed-password");
    for who in ["EMPLOYEE", "MANAGER", "ADMIN"] {
        c.env(format!("LMS_SMOKE_{who}_EMAIL"), format!("{}@example.org", who.to_lowercase()));
    }
    let o = c.output().expect("env");
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("Everything required is set"), "{out}");
    assert!(!out.contains("never-printed-password") && !out.contains("employee@example.org"), "values never shown");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn run_takes_the_plan_positionally_and_refuses_to_start_without_smoke_accounts() {
    let dir = scratch("run-needs");
    let plan = write_plan(&dir, &production_like_plan());
    let out = dir.join("runs");
    let token = dir.join("admin.token");
    std::fs::write(&token, "a-long-enough-admin-secret\n").expect("token");
    let o = bare(&["run", &plan, "--no-prompt", "--out", &out.display().to_string(), "--run-id", "r1"])
        .env("LMS_TEST_ARTIFACT", env!("CARGO_BIN_EXE_lms"))
        .env("LMS_TEST_TOKEN_FILE", &token)
        .env("LMS_TEST_WEBHOOK", "http://127.0.0.1:9/hook")
        .output()
        .expect("run");
    let t = text(&o);
    assert_eq!(o.status.code(), Some(3), "{t}");
    assert!(t.contains("LMS_SMOKE_EMPLOYEE_EMAIL") && t.contains("nothing was started"), "{t}");
    assert!(t.contains("lms cutover env"), "points to the list: {t}");
    assert!(!out.join("r1").join("journal.jsonl").exists(), "no step ran");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn validate_refuses_a_database_url_of_the_wrong_kind_and_an_unread_field() {
    let dir = scratch("validate-kind");
    let base = lms_plan_text();
    let wrong = base.replacen("kind = \"sqlite\"", "kind = \"postgres\"", 1).replacen(
        "url = \"sqlite://{{run_dir}}/lms.db\"",
        "url = \"sqlite:///var/lib/lms/lms.db\"",
        1,
    );
    assert_ne!(wrong, base, "the rehearsal plan's database section changed; update this test");
    let plan = write_plan(&dir, &wrong);
    let o = bare(&["validate", &plan]).output().expect("validate");
    let t = text(&o);
    assert_eq!(o.status.code(), Some(3), "{t}");
    assert!(t.contains("kind = \"postgres\"") && t.contains("URL is not"), "{t}");

    let unread = base.replacen("[database]\n", "[database]\nbackup_max_age = \"4h\"\n", 1);
    let plan = write_plan(&dir, &unread);
    let o = bare(&["validate", &plan]).output().expect("validate");
    let t = text(&o);
    assert_eq!(o.status.code(), Some(3), "{t}");
    assert!(t.contains("backup_max_age") && t.contains("max_age"), "{t}");

    // `optional` is honoured (a failure is recorded and the run goes on),
    // so it is refused where going on would be unsafe.
    let optional_smoke = base.replacen("do = { kind = \"smoke\" }", "do = { kind = \"smoke\" }\noptional = true", 1);
    assert_ne!(optional_smoke, base);
    let plan = write_plan(&dir, &optional_smoke);
    let o = bare(&["validate", &plan]).output().expect("validate");
    let t = text(&o);
    assert_eq!(o.status.code(), Some(3), "{t}");
    assert!(t.contains("cannot be optional"), "{t}");
    let _ = std::fs::remove_dir_all(&dir);
}
