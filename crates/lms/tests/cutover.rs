//! `lms cutover` through the real binary: the rehearsal end to end (a
//! successful run and an injected-failure run, asserting the report), and a
//! controller killed with SIGKILL during backup, during migration, during
//! a monitoring window and while waiting at a checkpoint, resumed each time,
//! decided from another process, ending in go-live with no step repeated
//! and the weights right. Every wait polls a file or a port with a deadline.

mod common;

use common::*;
use serde_json::Value;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

#[test]
fn rehearsal_goes_live_and_reports_every_section() {
    let out = scratch("rehearse-ok");
    let o = lms()
        .args(["cutover", "rehearse", "--port-base", "0", "--rate", "40", "--quiet", "--out"])
        .arg(&out)
        .output()
        .expect("run rehearse");
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "rehearsal failed:\n{text}");
    assert!(text.contains("GO-LIVE"), "{text}");
    let run = only_run_dir(&out);
    let r = read_json(&run.join("report.json"));
    assert_eq!(r["verdict"]["kind"], "go_live");
    let steps = r["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 21);
    for s in steps {
        let status = s["status"].as_str().unwrap_or("");
        assert!(status == "done" || status == "skipped", "step {} is {status}", s["n"]);
        assert!(s["planned_at"].is_string() && s["planned_secs"].is_number());
    }
    assert_eq!(r["prechecks"].as_array().map(Vec::len), Some(17));
    assert!(r["prechecks"].as_array().expect("prechecks").iter().all(|c| c["passed"] == true));
    let smoke = r["smoke"].as_array().expect("smoke");
    assert_eq!(smoke.len(), 10);
    assert!(smoke.iter().all(|t| t["passed"] == true), "{smoke:?}");
    assert_eq!(r["compatibility"].as_array().map(Vec::len), Some(6));
    // Blue stood in for the release before (the schema one migration
    // behind): step 5 applied this build's newest migration while blue
    // served, and blue passed its read-only smoke on the new schema.
    let migration =
        journal(&run).into_iter().find(|r| r["event"]["type"] == "migration_finished").expect("the migration step");
    let applied = migration["event"]["report"]["applied"].as_array().cloned().unwrap_or_default();
    assert_eq!(applied.len(), 1, "one real migration at step 5: {migration}");
    assert!(r["compatibility"].as_array().expect("compat").iter().all(|t| t["passed"] == true));
    let md_migration = std::fs::read_to_string(run.join("report.md")).expect("md");
    assert!(md_migration.contains("Migration: 1 applied"), "the report shows it");
    let cps = r["checkpoints"].as_array().expect("checkpoints");
    assert_eq!(cps.len(), 3);
    for c in cps {
        let d = &c["decisions"][0];
        assert!(d["decision"] == "PROCEED" || d["decision"] == "GO-LIVE CONFIRMED", "{c}");
        assert_eq!(d["by"], "auto");
        assert_eq!(d["questions"].as_array().map(Vec::len), Some(4));
    }
    let gates = r["gates"].as_array().expect("gates");
    assert_eq!(gates.len(), 5);
    assert!(gates.iter().all(|g| g["samples"].as_u64().unwrap_or(0) > 0 && g["breaches"] == 0));
    assert!(r["rollback"].is_null());
    assert_eq!(r["success_criteria"].as_array().map(Vec::len), Some(6));
    assert_eq!(r["success_criteria"][5]["item"], "Post-deployment verifications pass");
    assert_eq!(r["success_criteria"][5]["met"], true, "{}", r["success_criteria"][5]);
    assert_eq!(r["definition_of_done"].as_array().map(Vec::len), Some(7));
    let no_rollback = &r["success_criteria"][4];
    assert_eq!(no_rollback["met"], true, "{no_rollback}");
    assert!(r["figures"]["load"]["requests"].as_u64().unwrap_or(0) > 0);
    // The load per phase: before the canary, then each split the run set.
    let phases: Vec<&str> =
        r["figures"]["phases"].as_array().expect("phases").iter().filter_map(|p| p["phase"].as_str()).collect();
    assert_eq!(
        phases,
        ["before the canary (all on blue)", "blue 90 / green 10", "blue 50 / green 50", "blue 0 / green 100"],
        "{}",
        r["figures"]["phases"]
    );
    for p in r["figures"]["phases"].as_array().expect("phases") {
        assert_eq!(p["failed"], 0, "{p}");
        assert!(p["reads"].as_u64().unwrap_or(0) > 0, "{p}");
    }
    let md = std::fs::read_to_string(run.join("report.md")).expect("md");
    for needle in
        ["## Timeline", "## Success criteria (11.1)", "## Definition of done (11.2)", "SMOKE-010", "Checkpoint #2"]
    {
        assert!(md.contains(needle), "report.md lacks {needle}");
    }
    let html = std::fs::read_to_string(run.join("report.html")).expect("html");
    assert!(html.contains("<svg") && html.contains("GO-LIVE") && !html.contains("<script"));
    // Nothing left running: green's and blue's pid files are gone.
    assert!(!run.join("green.pid").exists() && !run.join("blue.pid").exists());
    // The next-business-day checklist (9.2) is confirmed after the run ended,
    // with the command the report prints.
    let pending = |r: &Value| -> Vec<String> {
        let items = r["post_cutover"].as_array().expect("post_cutover");
        items.iter().filter(|i| i["status"] == "pending").filter_map(|i| i["id"].as_str().map(String::from)).collect()
    };
    assert!(pending(&r).contains(&"pir".to_string()), "{}", r["post_cutover"]);
    let o = lms()
        .args(["cutover", "confirm", "--run"])
        .arg(&run)
        .args(["--item", "pir", "--by", "Project Manager", "--note", "review booked"])
        .output()
        .expect("confirm");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r = read_json(&run.join("report.json"));
    let pir = r["post_cutover"].as_array().expect("items").iter().find(|i| i["id"] == "pir").cloned().expect("pir");
    assert_eq!((pir["status"].as_str(), pir["by"].as_str()), (Some("done"), Some("Project Manager")), "{pir}");
    let o = lms().args(["cutover", "confirm", "--run"]).arg(&run).args(["--item", "nope", "--by", "X"]).output();
    assert_eq!(o.expect("confirm").status.code(), Some(3), "an unknown item is refused");
    let _ = std::fs::remove_dir_all(&out);
}

/// Maintenance mode refuses writes with 503 from step 4 to step 16, while
/// traffic is split: those answers are a deliberate pause, marked by the
/// LMS, counted apart by the proxy and never judged by the gates.
#[test]
fn rehearsal_with_maintenance_on_under_write_load_goes_live() {
    let out = scratch("rehearse-maintenance");
    let o = lms()
        .args(["cutover", "rehearse", "--port-base", "0", "--rate", "100", "--write-ratio", "0.3", "--maintenance"])
        .args(["--quiet", "--out"])
        .arg(&out)
        .output()
        .expect("run rehearse");
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "rehearsal failed:\n{text}");
    let run = only_run_dir(&out);
    let j = journal(&run);
    assert_eq!(count_events(&j, "maintenance_set"), 2, "maintenance on at step 4, off at step 16");
    let samples: Vec<&Value> = j.iter().filter(|r| r["event"]["type"] == "sampled").collect();
    let paused_on_green: u64 =
        samples.iter().map(|r| r["event"]["sample"]["green"]["maintenance"].as_u64().unwrap_or(0)).sum();
    assert!(paused_on_green > 0, "green's refused writes were seen by the proxy: {samples:?}");
    for r in &samples {
        for slot in ["blue", "green"] {
            assert_eq!(r["event"]["sample"][slot]["errors"], 0, "a maintenance answer judged as an error: {r}");
        }
    }
    let f = read_json(&run.join("rehearsal.json"));
    let w = &f["load"]["writes"];
    assert!(w["paused"].as_u64().unwrap_or(0) > 0, "{w}");
    assert!(w["ok"].as_u64().unwrap_or(0) > 0, "writes before step 4 and after step 16 succeed: {w}");
    assert_eq!(w["failed"], 0, "{w}");
    assert_eq!(f["load"]["failed_total"], 0, "{}", f["load"]);
    assert_eq!(read_json(&run.join("report.json"))["verdict"]["kind"], "go_live");
    let _ = std::fs::remove_dir_all(&out);
}

/// The rehearsal on PostgreSQL: `pg_dump -Fc` verified by
/// `pg_restore --list` with its checksum, green's migration command run
/// against the shared database, writes across both versions, go-live.
#[test]
fn rehearsal_on_postgresql_backs_up_migrates_and_goes_live() {
    let url = tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(lms_store::testing::fresh_url(lms_store::Backend::Postgres))
        .expect("a fresh PostgreSQL database");
    let _cleanup = lms_store::testing::Cleanup::new(&url);
    let out = scratch("rehearse-pg");
    let o = lms()
        .args(["cutover", "rehearse", "--port-base", "0", "--rate", "40", "--write-ratio", "0.2", "--quiet"])
        .args(["--database-url", &url, "--out"])
        .arg(&out)
        .output()
        .expect("run rehearse");
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "rehearsal on PostgreSQL failed:\n{text}");
    let run = only_run_dir(&out);
    let j = journal(&run);
    let backup = j.iter().find(|r| r["event"]["type"] == "backup_finished").expect("backup");
    let report = &backup["event"]["report"];
    assert!(report["artifact"].as_str().unwrap_or("").ends_with(".dump"), "pg_dump -Fc: {report}");
    assert!(report["verification"].as_str().unwrap_or("").contains("entries"), "pg_restore --list: {report}");
    assert_eq!(report["sha256"].as_str().map(str::len), Some(64), "{report}");
    let migration = j.iter().find(|r| r["event"]["type"] == "migration_finished").expect("migration");
    assert_eq!(migration["event"]["outcome"]["ok"], true, "{migration}");
    let f = read_json(&run.join("rehearsal.json"));
    assert_eq!(f["load"]["failed_total"], 0, "{}", f["load"]);
    assert!(f["load"]["writes"]["ok"].as_u64().unwrap_or(0) > 0, "{}", f["load"]);
    assert_eq!(read_json(&run.join("report.json"))["verdict"]["kind"], "go_live");
    let _ = std::fs::remove_dir_all(&out);
}

/// SIGTERM while the rehearsal is still staging (blue started, the runner
/// not yet): the rehearsal stops what it started and exits 4.
#[test]
fn a_rehearsal_stopped_while_staging_stops_what_it_started() {
    let out = scratch("rehearse-sigterm");
    let mut child = lms()
        .args(["cutover", "rehearse", "--port-base", "0", "--rate", "40", "--quiet", "--out"])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("rehearse");
    let blue_pid_file = || -> Option<std::path::PathBuf> {
        let run = std::fs::read_dir(&out).ok()?.flatten().next()?.path();
        Some(run.join("blue.pid")).filter(|p| p.exists())
    };
    // The pid file may be seen created but not yet written: wait for a pid.
    let read_pid = || -> Option<(std::path::PathBuf, u32)> {
        let file = blue_pid_file()?;
        let pid = std::fs::read_to_string(&file).ok()?.trim().parse().ok()?;
        Some((file, pid))
    };
    wait_for("blue started", || read_pid().is_some());
    let (pid_file, pid) = read_pid().expect("blue.pid");
    let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    assert_eq!(wait_exit(&mut child, "the rehearsal"), Some(4), "stopped by a signal");
    let gone = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map_or(true, |s| s.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')))
    };
    wait_for("blue stopped", gone);
    assert!(!pid_file.exists(), "blue's pid file removed with blue");
    let _ = std::fs::remove_dir_all(&out);
}

/// A manual step nobody confirms does not wait forever: the plan's
/// `manual_timeout` (1 min, compressed to 0.2 s) runs out, the step fails,
/// and with no traffic moved yet the run aborts (exit 2).
#[test]
fn a_manual_step_nobody_confirms_fails_at_the_plans_deadline() {
    let out = scratch("rehearse-manual-deadline");
    let plan = lms_plan_text_with_deadline()
        .replacen("auto_confirm_manual = true", "auto_confirm_manual = false", 1)
        .replacen(STEP_1_ANNOUNCE, "do = { kind = \"manual\" }", 1)
        .replacen("manual_timeout = \"30m\"", "manual_timeout = \"1m\"", 1);
    assert!(
        plan.contains("manual_timeout = \"1m\"") && plan.contains("kind = \"manual\""),
        "the rehearsal plan changed"
    );
    let (o, text) = rehearse_plan(&out, &plan);
    assert_eq!(o.status.code(), Some(2), "aborted before any traffic moved:\n{text}");
    assert!(text.contains("nobody confirmed it within 1m"), "{text}");
    let j = journal(&only_run_dir(&out.join("runs")));
    assert_eq!(count_events(&j, "step_expired"), 1);
    let _ = std::fs::remove_dir_all(&out);
}

/// Off-peak: too few users for the gates. Without synthetic traffic the
/// canary has insufficient data, nobody decides, and the deadline rolls
/// back; with `[monitoring] synthetic` the controller's own traffic gives
/// the gates their data and the run goes live.
#[test]
fn synthetic_traffic_gives_the_gates_data_off_peak() {
    let out = scratch("rehearse-synthetic");
    let rehearse = |plan: &str, name: &str| {
        let plan_path = out.join(format!("{name}.toml"));
        std::fs::write(&plan_path, plan).expect("plan");
        lms()
            .args(["cutover", "rehearse", "--port-base", "0", "--rate", "0.5", "--write-ratio", "0", "--quiet"])
            .arg("--plan")
            .arg(&plan_path)
            .arg("--out")
            .arg(out.join(name))
            .output()
            .expect("run rehearse")
    };
    let quiet = lms_plan_text_with_deadline();
    let o = rehearse(&quiet, "off-peak");
    assert_eq!(o.status.code(), Some(1), "no data, no decision: the deadline rolls back");
    let with = quiet.replacen(
        "manual_timeout = \"30m\"",
        "manual_timeout = \"30m\"\nsynthetic = { rate = 60, paths = [\"/api/health\"] }",
        1,
    );
    assert_ne!(with, quiet, "the rehearsal plan's [monitoring] changed; update this test");
    let o = rehearse(&with, "synthetic");
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(0), "went live on synthetic data:\n{text}");
    let j = journal(&only_run_dir(&out.join("synthetic")));
    assert!(
        j.iter()
            .any(|r| r["event"]["notice"]["message"].as_str().is_some_and(|m| m.starts_with("synthetic traffic on"))),
        "the war room is told"
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn injected_error_rate_rolls_back_automatically_with_a_measured_time() {
    let out = scratch("rehearse-fail");
    let o = lms()
        .args([
            "cutover",
            "rehearse",
            "--port-base",
            "0",
            "--rate",
            "60",
            "--quiet",
            "--inject-failure",
            "error-rate=5%",
            "--client-view",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("run rehearse");
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(!o.status.success(), "an injected failure must end non-zero:\n{text}");
    assert!(text.contains("ROLLED BACK"), "{text}");
    let r = read_json(&only_run_dir(&out).join("report.json"));
    assert_eq!(r["verdict"]["kind"], "rolled_back");
    assert_eq!(r["verdict"]["blue_verified"], true);
    let rb = &r["rollback"];
    assert!(rb["reason"].as_str().unwrap_or("").contains("ErrorRate"), "{rb}");
    assert!(rb["to_blue_ms"].is_i64(), "{rb}");
    assert!(rb["migrations_note"].as_str().unwrap_or("").contains("not reversed"));
    assert!(r["figures"]["rollback_trigger_to_proxy_ms"].is_i64());
    // Asked for: a client through the public URL saw blue after the trigger.
    assert!(r["figures"]["rollback_trigger_to_client_blue_ms"].is_i64(), "{}", r["figures"]);
    // Traffic never reached 100%.
    assert_eq!(r["steps"][13]["status"], "not reached");
    assert_eq!(r["success_criteria"][4]["met"], false);
    // The go-live checklist does not apply to a rolled-back run.
    let o = lms()
        .args(["cutover", "confirm", "--run"])
        .arg(only_run_dir(&out))
        .args(["--item", "pir", "--by", "Project Manager"])
        .output()
        .expect("confirm");
    assert_eq!(o.status.code(), Some(3), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("did not go live"));
    let _ = std::fs::remove_dir_all(&out);
}

/// An injected 800 ms latency breaches the p95 gate, whose action is
/// "investigate": the checkpoint holds by itself three times, then waits
/// for a person — not forever: the plan's `decision_timeout` (30 min, 6 s
/// compressed) runs out and its default, rollback, is taken.
#[test]
fn a_checkpoint_nobody_decides_rolls_back_at_the_plans_deadline() {
    let out = scratch("rehearse-deadline");
    let o = lms()
        .args(["cutover", "rehearse", "--port-base", "0", "--rate", "40", "--quiet"])
        .args(["--inject-failure", "latency=800ms", "--out"])
        .arg(&out)
        .output()
        .expect("run rehearse");
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(1), "rolled back:\n{text}");
    let run = only_run_dir(&out);
    let j = journal(&run);
    let decisions: Vec<&Value> =
        j.iter().filter(|r| r["event"]["type"] == "decided").map(|r| &r["event"]["record"]).collect();
    let last = decisions.last().expect("decisions");
    assert_eq!(last["by"], "deadline", "{decisions:?}");
    assert_eq!(last["decision"], "rollback", "{last}");
    assert!(decisions.iter().filter(|d| d["by"] == "auto").count() >= 3, "the automatic holds came first");
    let waiting = j.iter().rev().find(|r| started(r, "await_checkpoint")).expect("a checkpoint");
    assert!(waiting["event"]["action"]["decide_by"].is_string(), "the prompt shows its deadline: {waiting}");
    let r = read_json(&run.join("report.json"));
    assert_eq!(r["verdict"]["kind"], "rolled_back");
    assert!(!run.join("green.pid").exists() && !run.join("blue.pid").exists(), "nothing left running");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn killed_controller_resumes_without_repeating_steps() {
    let dir = scratch("kill9");
    let out = dir.join("runs");
    let run = out.join("r1");
    let db = format!("sqlite://{}/lms.db", dir.display());
    let backups = dir.join("backups");
    std::fs::create_dir_all(&backups).expect("backups");
    std::fs::write(backups.join("nightly.txt"), "automated backup stand-in\n").expect("backup stand-in");
    let (public, blue, green, admin) = (free_port(), free_port(), free_port(), free_port());
    let mut procs = Procs(Vec::new(), vec![run.join("green.pid")]);

    let blue_child = lms()
        .args(["serve", "--slot", "blue", "--demo", "--migrate", "--listen", &format!("127.0.0.1:{blue}")])
        .env("LMS_DATABASE_URL", &db)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("blue");
    procs.0.push(blue_child);
    wait_for("blue", || http_get(blue, "/api/health").is_some_and(|b| b.contains("healthy")));
    let proxy = lms()
        .args(["proxy", "--listen", &format!("127.0.0.1:{public}"), "--admin-listen", &format!("127.0.0.1:{admin}")])
        .args([
            "--backend",
            &format!("blue=http://127.0.0.1:{blue}"),
            "--backend",
            &format!("green=http://127.0.0.1:{green}"),
        ])
        .args(["--weights", "blue=100,green=0", "--window", "2s", "--health-interval", "500ms", "--workers", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("proxy");
    procs.0.push(proxy);
    wait_for("proxy", || http_get(admin, "/state").is_some_and(|b| b.contains("weights")));
    let load = lms()
        .args(["loadgen", "--target", &format!("http://127.0.0.1:{public}"), "--rate", "30", "--duration", "10m"])
        .args(["--request", "GET /api/health"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("loadgen");
    procs.0.push(load);

    // The rehearsal plan, deciding nothing by itself; its migration command
    // leaves a mark and takes a second, so that the controller can be
    // killed while the migration runs.
    let migrating = dir.join("migrating");
    let plan = lms_plan_text().replace("auto_decisions = true", "auto_decisions = false").replacen(
        "migrate = [\"{{self}}\", \"migrate\", \"up\", \"--database-url\", \"{{database_url}}\"]",
        &format!(
            "migrate = [\"sh\", \"-c\", \"touch {}; sleep 1; exec \\\"$0\\\" migrate up --database-url \\\"$1\\\"\", \"{{{{self}}}}\", \"{{{{database_url}}}}\"]",
            migrating.display()
        ),
        1,
    );
    assert!(plan.contains("sleep 1"), "the rehearsal plan's migrate command changed; update this test");
    let plan_path = dir.join("plan.toml");
    std::fs::write(&plan_path, plan).expect("plan");
    let vars = [
        format!("blue_port={blue}"),
        format!("green_port={green}"),
        format!("public_port={public}"),
        format!("admin_port={admin}"),
        format!("database_url={db}"),
        format!("backup_dir={}", backups.display()),
    ];
    let controller = |args: &[String], stall: Option<&str>| -> Child {
        let mut c = lms();
        c.arg("cutover").args(args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        for (k, v) in
            [("EMPLOYEE", "employee1@demo.local"), ("MANAGER", "manager@demo.local"), ("ADMIN", "hr@demo.local")]
        {
            c.env(format!("LMS_SMOKE_{k}_EMAIL"), v).env(format!("LMS_SMOKE_{k}_PASSWORD"), "lms-demo");
        }
        if let Some(s) = stall {
            c.env("LMS_CUTOVER_STALL_AT", s);
        }
        c.spawn().expect("controller")
    };
    let resume =
        |stall: Option<&str>| controller(&["resume".into(), run.display().to_string(), "--no-prompt".into()], stall);
    let kill = |mut c: Child| {
        c.kill().expect("SIGKILL");
        let _ = c.wait();
    };

    // 1. During the backup.
    let mut args: Vec<String> = vec!["run".into(), "--plan".into(), plan_path.display().to_string(), "--out".into()];
    args.extend([out.display().to_string(), "--run-id".into(), "r1".into(), "--no-prompt".into()]);
    for v in &vars {
        args.extend(["--var".into(), v.clone()]);
    }
    // Half-way: the dump is on disk under its `.partial` name, verified,
    // not yet renamed.
    let partials = || -> Vec<String> {
        std::fs::read_dir(&backups)
            .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default()
    };
    let c = controller(&args, Some("backup:written"));
    wait_for("the dump written", || partials().iter().any(|n| n.ends_with(".partial")));
    kill(c);

    // 2. During the migration: its command is running when the controller dies.
    let c = resume(None);
    wait_for("migration running", || migrating.exists());
    kill(c);

    // 3. During the canary monitoring window (step 9), after a sample.
    let c = resume(None);
    wait_for("a canary sample", || {
        since_last_resume(&journal(&run)).iter().any(|r| r["event"]["type"] == "sampled" && r["event"]["step"] == 9)
    });
    kill(c);

    // 4. While waiting at checkpoint 1.
    let c = resume(None);
    wait_for("checkpoint 1 waiting", || {
        since_last_resume(&journal(&run)).iter().any(|r| started(r, "await_checkpoint"))
    });
    kill(c);

    // 5. Resume for good and decide from other processes.
    procs.0.push(resume(None));
    for (cp, decision) in [(1, "proceed"), (2, "proceed"), (3, "go-live-confirmed")] {
        wait_for(&format!("checkpoint {cp} decided"), || {
            let o = lms()
                .args(["cutover", "decide", "--run"])
                .arg(&run)
                .args(["--checkpoint", &cp.to_string(), "--decision", decision, "--by", "Release Commander"])
                .args(["--note", "kill -9 test", "--override-reason", "a loaded test machine may breach p95"])
                .output()
                .expect("decide");
            if !o.status.success() {
                std::thread::sleep(Duration::from_millis(200));
            }
            o.status.success()
        });
    }
    let start = Instant::now();
    let status = loop {
        if let Some(s) = procs.0.last_mut().and_then(|c| c.try_wait().expect("wait")) {
            break s;
        }
        assert!(start.elapsed() < DEADLINE, "the resumed run did not finish");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "the resumed run did not go live");

    let j = journal(&run);
    let count = |ty: &str, ok_only: bool, step: Option<u64>| {
        j.iter()
            .filter(|r| r["event"]["type"] == ty)
            .filter(|r| !ok_only || r["event"]["outcome"]["ok"] == true)
            .filter(|r| step.is_none_or(|s| r["event"]["step"] == s))
            .count()
    };
    assert_eq!(count("resumed", false, None), 4);
    assert_eq!(count("backup_finished", true, None), 1, "backup done once");
    // The killed dump was never taken as the backup: the one in the journal
    // is a complete, renamed file from the resumed run.
    let backup = j.iter().find(|r| r["event"]["type"] == "backup_finished").expect("backup");
    let artifact = backup["event"]["report"]["artifact"].as_str().unwrap_or("").to_string();
    assert!(artifact.ends_with(".db") && std::path::Path::new(&artifact).exists(), "{artifact}");
    let left: Vec<String> = partials().into_iter().filter(|n| n.ends_with(".partial")).collect();
    assert_eq!(left.len(), 1, "the killed run's partial file stays, marked as such: {left:?}");
    assert!(!artifact.ends_with(&left[0]));
    assert_eq!(count("migration_finished", true, None), 1, "migration done once, re-run safely after the kill");
    assert_eq!(count("green_deployed", true, Some(6)), 1, "green deployed once");
    for step in [8, 11, 14] {
        assert_eq!(count("weights_set", true, Some(step)), 1, "traffic step {step} done once");
    }
    assert_eq!(count("decided", false, None), 3);
    assert_eq!(count("checks_finished", false, Some(2)), 1, "pre-checks run once");
    // After the kill in the canary window, the resumed controller re-asserted 90/10 first.
    let reasserts: Vec<&Value> =
        j.iter().filter(|r| r["event"]["type"] == "weights_set" && r["event"]["step"].is_null()).collect();
    assert!(!reasserts.is_empty(), "weights were re-asserted after a resume");
    assert!(reasserts.iter().all(|r| r["event"]["weights"]["green"] == 10), "{reasserts:?}");
    assert_eq!(j.last().map(|r| r["event"]["verdict"]["kind"].clone()), Some(Value::from("go_live")));
    let state = http_get(admin, "/state").expect("proxy state");
    assert!(state.contains("\"green\":100"), "proxy weights: {state}");
    let report = read_json(&run.join("report.json"));
    assert_eq!(report["resumes"], 4);
    assert_eq!(report["checkpoints"][0]["decisions"][0]["by"], "Release Commander");
    drop(procs);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A `command` step (the seed's `kubectl` lines, a script): placeholders
/// resolved in its argv, its output in the run's log and its last lines in
/// the journal; the run goes on when it exits 0.
#[test]
fn a_command_step_runs_with_placeholders_and_its_output_is_journaled() {
    let out = scratch("rehearse-command");
    let plan = lms_plan_text().replacen(
        STEP_1_ANNOUNCE,
        r#"do = { kind = "command", argv = ["sh", "-c", "echo \"deploying $WHAT {{version}}\" > {{run_dir}}/step1.txt; echo rollout complete"], env = { WHAT = "lms" } }"#,
        1,
    );
    assert!(plan.contains("kind = \"command\""), "the rehearsal plan changed");
    let (o, text) = rehearse_plan(&out, &plan);
    assert!(o.status.success(), "{text}");
    let run = only_run_dir(&out.join("runs"));
    let written = std::fs::read_to_string(run.join("step1.txt")).expect("the command ran in the run's context");
    assert_eq!(written.trim(), format!("deploying lms {}", env!("CARGO_PKG_VERSION")));
    let finished = journal(&run).into_iter().find(|r| r["event"]["type"] == "command_finished").expect("journaled");
    let detail = finished["event"]["outcome"]["detail"].as_str().unwrap_or("");
    assert_eq!(finished["event"]["outcome"]["ok"], true, "{finished}");
    assert!(detail.contains("exited 0: rollout complete"), "{detail}");
    assert!(std::fs::read_to_string(run.join("logs/step-1.log")).is_ok_and(|l| l.contains("rollout complete")));
    let md = std::fs::read_to_string(run.join("report.md")).expect("report");
    assert!(md.contains("step 1: `sh -c"), "the report's log shows the command");
    let _ = std::fs::remove_dir_all(&out);
}

/// A command that runs past its timeout is stopped and fails its step:
/// before any traffic moved, the run aborts.
#[test]
fn a_command_step_past_its_timeout_fails_and_the_run_aborts() {
    let out = scratch("rehearse-command-timeout");
    let plan = lms_plan_text().replacen(
        STEP_1_ANNOUNCE,
        r#"do = { kind = "command", argv = ["sleep", "30"], timeout = "1s" }"#,
        1,
    );
    let (o, text) = rehearse_plan(&out, &plan);
    assert_eq!(o.status.code(), Some(2), "aborted before traffic moved:\n{text}");
    assert!(text.contains("`sleep 30` took longer than 1 s; it was stopped"), "{text}");
    let _ = std::fs::remove_dir_all(&out);
}

/// Step 1 of the rehearsal plan as shipped (a test swaps in another action).
const STEP_1_ANNOUNCE: &str =
    "do = { kind = \"announce\", message = \"War room open: #lms-golive-war-room. Team check-in.\" }";

/// Rehearses `plan` (written to `<out>/plan.toml`, runs under `<out>/runs`)
/// at 20 reads/s; the exit and everything it printed.
fn rehearse_plan(out: &std::path::Path, plan: &str) -> (std::process::Output, String) {
    let plan_path = out.join("plan.toml");
    std::fs::write(&plan_path, plan).expect("plan");
    let o = lms()
        .args(["cutover", "rehearse", "--port-base", "0", "--rate", "20", "--quiet", "--plan"])
        .arg(&plan_path)
        .arg("--out")
        .arg(out.join("runs"))
        .output()
        .expect("run rehearse");
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    (o, text)
}
