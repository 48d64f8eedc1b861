//! The Prometheus side of the cutover gates, against Debian's real
//! Prometheus (`scripts/ensure-prometheus`): the alert rules in
//! `deploy/prometheus/` load (`promtool check rules`) and behave as their
//! unit tests say (`promtool test rules`: an error rate of 2 % fires, 0.5 %
//! and too few requests do not, and so on for p95, proxy failures, CPU and
//! memory); the example configuration is valid; and a real Prometheus
//! scraping a real `lms serve --slot green` sees its series by slot and
//! evaluates the rules' recording expressions on them; and every query of
//! the Grafana dashboard (`deploy/grafana/lms-cutover.json`) is one that
//! Prometheus accepts.

mod common;

use common::*;
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn deploy_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy/prometheus")
}

fn promtool(args: &[&str]) -> (bool, String) {
    let out = Command::new("promtool")
        .args(args)
        .current_dir(deploy_dir())
        .output()
        .expect("promtool (scripts/ensure-prometheus installs it)");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[test]
fn the_alert_rules_load_and_pass_their_unit_tests() {
    let (ok, out) = promtool(&["check", "rules", "lms-alerts.yml"]);
    assert!(ok && out.contains("SUCCESS"), "{out}");
    let (ok, out) = promtool(&["test", "rules", "lms-alerts.test.yml"]);
    assert!(ok && out.contains("SUCCESS"), "{out}");
    let (ok, out) = promtool(&["check", "config", "--syntax-only", "prometheus.yml"]);
    assert!(ok, "{out}");
}

/// The answer of Prometheus's instant query API for `query`.
fn query(port: u16, query: &str) -> Option<Value> {
    let encoded: String = query
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    let answer = http_get(port, &format!("/api/v1/query?query={encoded}"))?;
    let body = answer.split("\r\n\r\n").nth(1)?;
    let v: Value = serde_json::from_str(body).ok()?;
    (v["status"] == "success").then_some(v)
}

#[test]
fn a_real_prometheus_reads_the_lms_by_slot_and_evaluates_the_rules() {
    let dir = scratch("prometheus");
    let mut procs = Procs::default();
    let (lms_port, prom_port) = (free_port(), free_port());
    let lms = lms()
        .args(["serve", "--demo", "--slot", "green", "--listen", &format!("127.0.0.1:{lms_port}")])
        .args(["--database-url", &format!("sqlite://{}/lms.db", dir.display())])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("lms serve");
    procs.0.push(lms);
    wait_for("lms to answer", || http_get(lms_port, "/api/health").is_some_and(|a| a.contains(" 200 ")));

    std::fs::copy(deploy_dir().join("lms-alerts.yml"), dir.join("lms-alerts.yml")).expect("copy rules");
    let config = format!(
        "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\nrule_files: [lms-alerts.yml]\n\
         scrape_configs:\n  - job_name: lms\n    static_configs:\n      - targets: ['127.0.0.1:{lms_port}']\n"
    );
    std::fs::write(dir.join("prometheus.yml"), config).expect("config");
    let prom = Command::new("prometheus")
        .arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus (scripts/ensure-prometheus installs it)");
    procs.0.push(prom);

    // Traffic, so the request rate is not zero.
    let sample = |q: &str| -> Option<Value> {
        let _ = http_get(lms_port, "/api/health");
        let v = query(prom_port, q)?;
        v["data"]["result"].as_array().and_then(|r| r.first().cloned())
    };
    wait_for("Prometheus to scrape lms_build_info of the green slot", || {
        sample(r#"lms_build_info{slot="green"}"#).is_some()
    });
    let info = sample(r#"lms_build_info{slot="green"}"#).expect("build info");
    assert_eq!(info["metric"]["version"], env!("CARGO_PKG_VERSION"), "{info}");
    wait_for("the recording rule's request rate for green", || {
        sample(r#"slot:lms_http_requests:rate5m{slot="green"}"#)
            .and_then(|s| s["value"][1].as_str().and_then(|v| v.parse::<f64>().ok()))
            .is_some_and(|rate| rate > 0.0)
    });
    // No 5xx answered: the error ratio is zero where there is traffic enough, or absent.
    let errors = query(prom_port, r#"slot:lms_http_errors:ratio_rate5m{slot="green"}"#).expect("query");
    for r in errors["data"]["result"].as_array().into_iter().flatten() {
        assert_eq!(r["value"][1], "0", "{r}");
    }
    // Every query of the Grafana dashboard parses and runs.
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(deploy_dir().join("../grafana/lms-cutover.json")).expect("dashboard"),
    )
    .expect("the dashboard is JSON");
    let exprs: Vec<String> = dashboard["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .flat_map(|p| p["targets"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t["expr"].as_str().map(str::to_string))
        .collect();
    assert!(exprs.len() >= 9, "{exprs:?}");
    for e in &exprs {
        assert!(query(prom_port, e).is_some(), "Prometheus refuses the dashboard's query {e}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
