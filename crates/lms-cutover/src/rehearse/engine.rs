//! Which traffic engine a rehearsal puts in front of blue and green — our
//! own proxy in-process (the default), or a real HAProxy or nginx with a
//! real Prometheus for the gates, as teams run them in production — and
//! how the rehearsal plan is pointed at it: its `[traffic]` section and,
//! for the real engines, `[monitoring.source]` reading that Prometheus.
//!
//! Knows the plan's TOML shape and the rehearsal's placeholders; starting
//! the engines is [`super::stage`].

use serde::Serialize;
use toml_edit::DocumentMut;

use crate::error::{CutoverError, Result};

/// The engine in front of blue and green.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrafficEngine {
    /// `lms proxy`, in-process (faults injected by the proxy).
    #[default]
    LmsProxy,
    /// HAProxy, driven through its runtime API, scraped by Prometheus.
    Haproxy,
    /// nginx, driven through its upstream file and reload.
    Nginx,
}

impl std::str::FromStr for TrafficEngine {
    type Err = CutoverError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "lms-proxy" | "lms_proxy" => Ok(TrafficEngine::LmsProxy),
            "haproxy" => Ok(TrafficEngine::Haproxy),
            "nginx" => Ok(TrafficEngine::Nginx),
            _ => Err(CutoverError::invalid("traffic", format!("{s:?}: choose lms-proxy, haproxy or nginx"))),
        }
    }
}

impl std::fmt::Display for TrafficEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TrafficEngine::LmsProxy => "lms-proxy",
            TrafficEngine::Haproxy => "haproxy",
            TrafficEngine::Nginx => "nginx",
        })
    }
}

/// The backend and server names HAProxy's rehearsal configuration uses.
pub const HAPROXY_BACKEND: &str = "lms";
/// The upstream nginx's rehearsal configuration uses.
pub const NGINX_UPSTREAM: &str = "lms";

/// CPU and memory per slot from the LMS's own `lms_process_*` series (no
/// container runtime on a rehearsal machine).
const CPU_QUERY: &str = r#"sum(rate(lms_process_cpu_seconds_total{slot="{slot}"}[{window}])) / sum(lms_process_cpu_limit_cores{slot="{slot}"})"#;
const MEMORY_QUERY: &str =
    r#"sum(lms_process_resident_memory_bytes{slot="{slot}"}) / sum(lms_process_memory_limit_bytes{slot="{slot}"})"#;
/// Requests HAProxy could not get answered by a server: connection and
/// response errors, from its built-in Prometheus exporter.
const HAPROXY_FAILED_QUERY: &str = r#"sum(increase(haproxy_server_connection_errors_total{proxy="lms",server="{slot}"}[{window}])) + sum(increase(haproxy_server_response_errors_total{proxy="lms",server="{slot}"}[{window}]))"#;

/// The TOML of the `[traffic]` and `[monitoring.source]` sections for
/// `engine`; `None` for the built-in proxy (the plan's own sections stay).
fn sections(engine: TrafficEngine) -> Option<String> {
    let source = |failed: Option<&str>| {
        let mut s = format!(
            "[monitoring.source]\nkind = \"prometheus\"\nurl = \"http://127.0.0.1:{{{{prometheus_port}}}}\"\nwindow = \"5s\"\n\
             [monitoring.source.queries]\ncpu = '{CPU_QUERY}'\nmemory = '{MEMORY_QUERY}'\n"
        );
        if let Some(f) = failed {
            s.push_str(&format!("failed = '{f}'\n"));
        }
        s
    };
    match engine {
        TrafficEngine::LmsProxy => None,
        TrafficEngine::Haproxy => Some(format!(
            "[traffic]\nkind = \"haproxy\"\npublic_url = \"http://127.0.0.1:{{{{public_port}}}}\"\n\
             socket = \"tcp://127.0.0.1:{{{{admin_port}}}}\"\nbackend = \"{HAPROXY_BACKEND}\"\nblue = \"blue\"\ngreen = \"green\"\n{}",
            source(Some(HAPROXY_FAILED_QUERY))
        )),
        // Open-source nginx counts no failures per upstream server: the
        // failed-requests figure reads 0 (docs/CUTOVER.md says so); the
        // load generator's own count is the rehearsal's figure.
        TrafficEngine::Nginx => Some(format!(
            "[traffic]\nkind = \"nginx\"\npublic_url = \"http://127.0.0.1:{{{{public_port}}}}\"\n\
             upstream_file = \"{{{{run_dir}}}}/nginx/upstream.conf\"\nupstream = \"{NGINX_UPSTREAM}\"\n\
             blue = \"127.0.0.1:{{{{blue_port}}}}\"\ngreen = \"127.0.0.1:{{{{green_port}}}}\"\n\
             config = \"{{{{run_dir}}}}/nginx/nginx.conf\"\n{}",
            source(None)
        )),
    }
}

/// `plan_text` pointed at `engine`: its `[traffic]` section replaced and,
/// for a real engine, `[monitoring.source]` set to the rehearsal's
/// Prometheus; with `fault`, green's command started with `--inject-fault`
/// (a real engine cannot inject faults itself). Comments and every other
/// section are kept.
pub fn point_plan(plan_text: &str, engine: TrafficEngine, fault: Option<&str>) -> Result<String> {
    let Some(sections) = sections(engine) else { return Ok(plan_text.to_string()) };
    let bad = |e: toml_edit::TomlError| CutoverError::invalid("plan", e.to_string());
    let mut doc: DocumentMut = plan_text.parse().map_err(bad)?;
    let fragment: DocumentMut = sections.parse().map_err(bad)?;
    doc["traffic"] = fragment["traffic"].clone();
    let monitoring = doc
        .get_mut("monitoring")
        .and_then(|m| m.as_table_mut())
        .ok_or_else(|| CutoverError::invalid("plan", "the plan has no [monitoring] section"))?;
    monitoring["source"] = fragment["monitoring"]["source"].clone();
    probe_the_engine(&mut doc, engine)?;
    if let Some(fault) = fault {
        let command = doc
            .get_mut("environments")
            .and_then(|e| e.get_mut("green"))
            .and_then(|g| g.get_mut("command"))
            .and_then(|c| c.as_array_mut())
            .ok_or_else(|| CutoverError::invalid("plan", "green has no `command` to start it with a fault"))?;
        let serves = command.get(1).and_then(|v| v.as_str()) == Some("serve");
        if command.get(0).and_then(|v| v.as_str()) != Some("{{self}}") || !serves {
            return Err(CutoverError::invalid(
                "inject",
                format!(
                    "through {engine}, the fault is injected by green itself: its command must be `{{{{self}}}} serve …`"
                ),
            ));
        }
        command.push("--inject-fault");
        command.push(fault);
    }
    Ok(doc.to_string())
}

/// Checks that probe the proxy's admin API (`{{admin_url}}/…`) probe the
/// engine instead: HAProxy's exporter answering, nginx accepting its
/// configuration.
fn probe_the_engine(doc: &mut DocumentMut, engine: TrafficEngine) -> Result<()> {
    let probe = match engine {
        TrafficEngine::LmsProxy => return Ok(()),
        TrafficEngine::Haproxy => {
            r#"probe = { kind = "http", url = "http://127.0.0.1:{{engine_metrics_port}}/metrics", expect_status = 200 }"#
        }
        TrafficEngine::Nginx => {
            r#"probe = { kind = "command", argv = ["nginx", "-t", "-q", "-c", "{{run_dir}}/nginx/nginx.conf"] }"#
        }
    };
    let fragment: DocumentMut =
        probe.parse().map_err(|e: toml_edit::TomlError| CutoverError::invalid("plan", e.to_string()))?;
    for section in ["prechecks", "checks"] {
        let Some(checks) = doc.get_mut(section).and_then(|c| c.as_array_of_tables_mut()) else { continue };
        for check in checks.iter_mut() {
            let url = check.get("probe").and_then(|p| p.get("url")).and_then(|u| u.as_str()).unwrap_or("");
            if url.starts_with("{{admin_url}}") {
                check["probe"] = fragment["probe"].clone();
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::model::{MetricsSource, TrafficKind};

    #[test]
    fn every_engine_gives_a_plan_that_validates() {
        for (engine, kind) in [
            (TrafficEngine::LmsProxy, TrafficKind::LmsProxy),
            (TrafficEngine::Haproxy, TrafficKind::Haproxy),
            (TrafficEngine::Nginx, TrafficKind::Nginx),
        ] {
            let text = point_plan(super::super::DEFAULT_PLAN, engine, Some("error-rate=5%")).expect("pointed");
            let plan = crate::plan::parse(&text).unwrap_or_else(|e| panic!("{engine}: {e}\n{text}"));
            assert_eq!(plan.traffic.kind, kind);
            assert_eq!(text.contains("{{admin_url}}/state"), engine == TrafficEngine::LmsProxy, "{engine}");
            let injected = plan.environments.green.command.iter().any(|a| a == "--inject-fault");
            assert_eq!(injected, engine != TrafficEngine::LmsProxy, "{engine}: {:?}", plan.environments.green.command);
            match (&plan.monitoring.source, engine) {
                (None, TrafficEngine::LmsProxy) => {}
                (Some(MetricsSource::Prometheus { queries, .. }), _) => {
                    assert!(queries.cpu.as_deref().is_some_and(|q| q.contains("lms_process_cpu_seconds_total")));
                    assert_eq!(queries.failed.is_some(), engine == TrafficEngine::Haproxy);
                }
                other => panic!("{engine}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_fault_needs_green_started_by_this_build() {
        let plan = super::super::DEFAULT_PLAN.replace(
            r#"command = ["{{self}}", "serve", "--slot", "green""#,
            r#"command = ["/usr/bin/other", "serve", "--slot", "green""#,
        );
        let e = point_plan(&plan, TrafficEngine::Nginx, Some("error-rate=5%")).expect_err("refused").to_string();
        assert!(e.contains("injected by green itself"), "{e}");
        assert!(point_plan(&plan, TrafficEngine::Nginx, None).is_ok());
    }
}
