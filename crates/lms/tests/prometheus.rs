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

/// A real Prometheus on `port` with `config`, its data in `dir`.
fn prometheus(dir: &std::path::Path, config: &str, port: u16) -> std::process::Child {
    std::fs::write(dir.join("prometheus.yml"), config).expect("config");
    Command::new("prometheus")
        .arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus (scripts/ensure-prometheus installs it)")
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
    procs.0.push(prometheus(&dir, &config, prom_port));

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

/// An exporter whose counters grow by fixed steps at every scrape: green
/// answers 98 requests with 200 and 2 with 500 per scrape, blue nothing.
fn counting_exporter() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut scrapes: u64 = 0;
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = std::io::Read::read(&mut s, &mut buf);
            scrapes += 1;
            let body = format!(
                "# TYPE lms_http_requests_total counter\n\
                 lms_http_requests_total{{slot=\"green\",status=\"200\"}} {}\n\
                 lms_http_requests_total{{slot=\"green\",status=\"500\"}} {}\n\
                 # TYPE lms_proxy_failed_total counter\n\
                 lms_proxy_failed_total{{backend=\"green\",reason=\"connect\"}} {}\n",
                98 * scrapes,
                2 * scrapes,
                scrapes
            );
            let _ = std::io::Write::write_all(
                &mut s,
                format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
                    .as_bytes(),
            );
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gate_figures_come_from_a_real_prometheus() {
    use lms_cutover::drivers::metrics::MetricsDriver;
    use lms_cutover::local::prometheus::{PrometheusMetrics, Queries};
    use lms_cutover::units::{PlanDuration, Slot};

    let dir = scratch("prometheus-gates");
    let mut procs = Procs::default();
    let (exporter, prom_port) = (counting_exporter(), free_port());
    let config = format!(
        "global: {{scrape_interval: 1s}}\nscrape_configs:\n  - job_name: fake\n    static_configs:\n      - targets: ['127.0.0.1:{exporter}']\n"
    );
    procs.0.push(prometheus(&dir, &config, prom_port));

    let window = PlanDuration::seconds(30).expect("window");
    let metrics = PrometheusMetrics::new(&format!("http://127.0.0.1:{prom_port}"), window, Queries::default());
    let deadline = std::time::Instant::now() + DEADLINE;
    let stats = loop {
        // increase() needs two scrapes of the series in the window.
        if let Ok(s) = metrics.backends().await {
            if s.green.requests >= 200 {
                break s;
            }
        }
        assert!(std::time::Instant::now() < deadline, "Prometheus never had two scrapes");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let rate = stats.green.errors as f64 / stats.green.requests as f64;
    assert!((0.015..=0.025).contains(&rate), "green's 5xx share {rate} from {stats:?}");
    assert!(stats.green.failed > 0, "{stats:?}");
    assert_eq!(stats.blue.requests, 0, "no blue series: no data, not zero errors of many");
    assert_eq!(stats.green.p95_ms, None, "no histogram: no p95");
    assert_eq!(metrics.resources(Slot::Green).await.expect("resources"), None, "no cAdvisor here: no data");
    // A sample carries every query behind it, with what it gave, for the journal.
    let sample = metrics.sample(chrono::Utc::now(), None).await.expect("sample");
    assert_eq!(sample.queries.len(), 10, "4 figures per slot + CPU and memory of green: {:?}", sample.queries);
    let green_requests = sample
        .queries
        .iter()
        .find(|q| q.figure == "requests" && q.slot == Slot::Green)
        .expect("green's requests query");
    assert!(
        green_requests.query.contains(r#"slot="green""#) && green_requests.query.contains("[30s]"),
        "{green_requests:?}"
    );
    assert!(green_requests.value.is_some_and(|v| v >= 200.0), "{green_requests:?}");
    let json = serde_json::to_value(&sample).expect("journal form");
    assert!(json["queries"][0]["query"].is_string(), "{json}");

    // What one gate sample costs (8 queries), printed for docs/PERFORMANCE.md, not judged.
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = std::time::Instant::now();
        let _ = metrics.backends().await;
        let _ = metrics.resources(Slot::Green).await;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    eprintln!("prometheus gate sample: median {:.2} ms, max {:.2} ms (20 samples)", times[10], times[19]);

    // A query Prometheus refuses is an error naming it, never a figure.
    let broken = Queries { requests: "sum(rate(".into(), ..Queries::default() };
    let refused = PrometheusMetrics::new(&format!("http://127.0.0.1:{prom_port}"), window, broken);
    let e = refused.backends().await.expect_err("a refused query").to_string();
    assert!(e.contains("Prometheus refused `sum(rate(`"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
