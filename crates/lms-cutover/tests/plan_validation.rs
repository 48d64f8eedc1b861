//! Plan validation: every error, each with its line and column.

mod common;

use common::PHASE29;
use lms_cutover::plan;
use lms_cutover::{CutoverError, Diagnostic};

fn errors(text: &str) -> Vec<Diagnostic> {
    match plan::parse(text) {
        Err(CutoverError::InvalidPlan { diagnostics, .. }) => diagnostics.0,
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("plan accepted"),
    }
}

/// 1-based line of the first occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1).unwrap_or_else(|| panic!("{needle:?} not in text"))
}

fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not in plan");
    text.replacen(from, to, 1)
}

#[test]
fn a_syntax_error_has_line_and_column() {
    let text = replace_once(PHASE29, "compression = 1 ", "compression = = 1 ");
    let e = errors(&text);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].line, line_of(&text, "compression = = 1"));
    assert!(e[0].column > 1);
}

#[test]
fn every_structural_error_is_reported() {
    let mut text =
        replace_once(PHASE29, "do = { kind = \"traffic\", green = 10 }", "do = { kind = \"traffic\", green = 110 }");
    text = replace_once(&text, "below = \"1%\"", "below = \"fast\"");
    text = replace_once(&text, "window = \"20m\"", "window = \"20 fortnights\"");
    text = replace_once(
        &text,
        "activity = \"Deploy Green environment\"",
        "activity = \"Deploy Green environment\"\ncolour = \"green\"",
    );
    text = replace_once(&text, "start = \"22:00\"", "start = \"10pm\"");
    let e = errors(&text);
    let lines: Vec<usize> = e.iter().map(|d| d.line).collect();
    assert_eq!(e.len(), 5, "{e:#?}");
    assert!(lines.contains(&line_of(&text, "green = 110")));
    assert!(lines.contains(&line_of(&text, "below = \"fast\"")));
    assert!(lines.contains(&line_of(&text, "20 fortnights")));
    assert!(lines.contains(&line_of(&text, "colour = ")));
    assert!(lines.contains(&line_of(&text, "start = \"10pm\"")));
    assert!(e.iter().any(|d| d.message.contains("unknown field `colour`")));
    assert!(e.iter().any(|d| d.message.contains("is not between 0 and 100")));
    // Sorted by position, printed as line:column: message.
    assert!(lines.windows(2).all(|w| w[0] <= w[1]));
    let shown = CutoverError::InvalidPlan { path: None, diagnostics: lms_cutover::error::Diagnostics(e) }.to_string();
    assert!(shown.starts_with("5 error(s) in plan <text>:"), "{shown}");
}

#[test]
fn every_rule_violation_is_reported_at_its_place() {
    let mut text =
        replace_once(PHASE29, "do = { kind = \"traffic\", green = 50 }", "do = { kind = \"traffic\", green = 5 }");
    text = replace_once(
        &text,
        "do = { kind = \"checkpoint\", checkpoint = 2 }",
        "do = { kind = \"checkpoint\", checkpoint = 7 }",
    );
    text = replace_once(&text, "id = \"SMOKE-004\"", "id = \"SMOKE-4\"");
    text = replace_once(&text, "metric = \"cpu\"\nbelow = \"70%\"", "metric = \"cpu\"\nbelow = \"70ms\"");
    text = replace_once(&text, "url = \"{{env:LMS_BLUE_URL}}\"", "url = \"{{blue_host}}\"");
    text = replace_once(&text, "n = 6\nat = \"23:10\"", "n = 6\nat = \"22:10\"");
    text = replace_once(&text, "owner = \"DBA\"\nduration = \"15m\"", "owner = \"Janitor\"\nduration = \"15m\"");
    let e = errors(&text);
    let find = |needle: &str| {
        e.iter()
            .find(|d| d.message.contains(needle))
            .unwrap_or_else(|| panic!("no error containing {needle:?} in {e:#?}"))
    };
    assert_eq!(find("traffic must increase").line, line_of(&text, "green = 5 }"));
    assert_eq!(find("checkpoint 7 is not defined").line, line_of(&text, "checkpoint = 7"));
    assert!(e.iter().any(|d| d.message.contains("checkpoint 2 is not used by any step")));
    assert_eq!(find("must look like SMOKE-001").line, line_of(&text, "SMOKE-4"));
    assert_eq!(find("Cpu needs a percentage").line, line_of(&text, "below = \"70ms\""));
    assert_eq!(find("unknown placeholder {{blue_host}}").line, line_of(&text, "{{blue_host}}"));
    assert_eq!(find("starts before the previous step").line, line_of(&text, "at = \"22:10\""));
    assert_eq!(find("owner \"Janitor\"").line, line_of(&text, "owner = \"Janitor\""));
    assert!(e.iter().all(|d| d.line > 0 && d.column > 0));
}

#[test]
fn missing_sections_and_unknown_sections_are_named() {
    let text = PHASE29.replace("[monitoring]", "[monitor]");
    let e = errors(&text);
    assert!(e.iter().any(|d| d.message.contains("unknown section `monitor`") && d.line == line_of(&text, "[monitor]")));
    assert!(e.iter().any(|d| d.message.contains("missing section [monitoring]")));
}

#[test]
fn final_checkpoint_before_full_traffic_is_refused() {
    let text = replace_once(
        PHASE29,
        "do = { kind = \"checkpoint\", checkpoint = 1 }",
        "do = { kind = \"checkpoint\", checkpoint = 3 }",
    );
    let text = replace_once(
        &text,
        "do = { kind = \"checkpoint\", checkpoint = 3 }\n\n[[steps]]\nn = 19",
        "do = { kind = \"checkpoint\", checkpoint = 1 }\n\n[[steps]]\nn = 19",
    );
    let e = errors(&text);
    assert!(e.iter().any(|d| d.message.contains("final checkpoint 3 must come after traffic reaches 100%")), "{e:#?}");
}

#[test]
fn load_names_the_file() {
    match plan::load("/nonexistent/plan.toml") {
        Err(CutoverError::ReadPlan { path, .. }) => assert!(path.ends_with("plan.toml")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_prometheus_metrics_source_is_read_and_checked() {
    use lms_cutover::plan::model::{MetricsSource, PromQueries};
    let source = "\n[monitoring.source]\nkind = \"prometheus\"\nurl = \"{{env:LMS_PROMETHEUS_URL}}\"\nwindow = \"2m\"\n\
                  queries = { p95 = 'histogram_quantile(0.95, sum by (le) (rate(http_seconds_bucket{app=\"{slot}\"}[{window}])))' }\n";
    let plan = plan::parse(&format!("{PHASE29}{source}")).expect("a plan with a Prometheus source");
    match plan.monitoring.source {
        Some(MetricsSource::Prometheus { url, window, queries }) => {
            assert_eq!(url, "{{env:LMS_PROMETHEUS_URL}}");
            assert_eq!(window.map(|w| w.delta().num_seconds()), Some(120));
            assert!(queries.p95.is_some_and(|q| q.contains("http_seconds_bucket")));
            assert_eq!(PromQueries { p95: None, ..queries }, PromQueries::default(), "only p95 replaced");
        }
        other => panic!("{other:?}"),
    }

    let bad = format!("{PHASE29}\n[monitoring.source]\nkind = \"prometheus\"\nurl = \"prometheus:9090\"\nqueries = {{ cpu = \" \" }}\n");
    let e = errors(&bad);
    assert!(
        e.iter()
            .any(|d| d.message.contains("not an http(s) URL") && d.line == line_of(&bad, "url = \"prometheus:9090\"")),
        "{e:?}"
    );
    assert!(e.iter().any(|d| d.message.contains("must not be empty")), "{e:?}");
    let unknown = format!("{PHASE29}\n[monitoring.source]\nkind = \"graphite\"\nurl = \"http://g\"\n");
    assert!(errors(&unknown).iter().any(|d| d.message.contains("graphite")), "{:?}", errors(&unknown));
}

const PROXY_TRAFFIC: &str = "admin_url = \"{{env:LMS_PROXY_ADMIN_URL}}\"\npublic_url = \"{{env:LMS_PUBLIC_URL}}\"\nadmin_token_env = \"LMS_PROXY_ADMIN_TOKEN\"\n";

#[test]
fn a_haproxy_traffic_section_is_read() {
    let text = replace_once(
        PHASE29,
        PROXY_TRAFFIC,
        "kind = \"haproxy\"\nsocket = \"/run/haproxy/admin.sock\"\nbackend = \"lms\"\nblue = \"blue\"\ngreen = \"green\"\npublic_url = \"{{env:LMS_PUBLIC_URL}}\"\n",
    );
    let p = plan::parse(&text).expect("haproxy plan");
    assert_eq!(p.traffic.kind, lms_cutover::plan::model::TrafficKind::Haproxy);
    assert_eq!(p.traffic.socket.as_deref(), Some("/run/haproxy/admin.sock"));
    assert_eq!((p.traffic.blue.as_deref(), p.traffic.green.as_deref()), (Some("blue"), Some("green")));
    assert_eq!(plan::parse(PHASE29).expect("proxy plan").traffic.kind, lms_cutover::plan::model::TrafficKind::LmsProxy);
}

#[test]
fn a_haproxy_traffic_section_without_socket_backend_or_servers_is_refused() {
    let text = replace_once(
        PHASE29,
        PROXY_TRAFFIC,
        "kind = \"haproxy\"\nbackend = \"\"\npublic_url = \"{{env:LMS_PUBLIC_URL}}\"\nadmin_url = \"http://127.0.0.1:9\"\n",
    );
    let e = errors(&text);
    let at = |needle: &str| e.iter().find(|d| d.message.contains(needle)).unwrap_or_else(|| panic!("{needle}: {e:#?}"));
    for key in ["`socket`", "`blue`", "`green`"] {
        let d = at(&format!("kind \"haproxy\" needs {key}"));
        assert_eq!(d.line, line_of(&text, "kind = \"haproxy\""));
        assert!(d.column > 1);
    }
    assert_eq!(at("`backend` is empty").line, line_of(&text, "backend = \"\""));
    assert_eq!(at("`admin_url` is for the lms proxy").line, line_of(&text, "admin_url = \"http://127.0.0.1:9\""));
    assert_eq!(e.len(), 5, "{e:#?}");
}

#[test]
fn haproxy_fields_without_kind_haproxy_are_refused() {
    let text = replace_once(PHASE29, PROXY_TRAFFIC, &format!("{PROXY_TRAFFIC}backend = \"lms\"\n"));
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(e[0].line, line_of(&text, "backend = \"lms\""));
    assert!(e[0].message.contains("write kind = \"haproxy\""), "{}", e[0].message);
}

#[test]
fn a_deploy_kind_that_cannot_work_is_refused() {
    let with_kind = |kind: &str| {
        replace_once(
            PHASE29,
            "command = [\"{{env:LMS_GREEN_ARTIFACT}}\"",
            &format!("deploy = \"{kind}\"\ncommand = [\"{{{{env:LMS_GREEN_ARTIFACT}}}}\""),
        )
    };
    assert!(plan::parse(&with_kind("command")).is_ok(), "a command deploy with its command");
    let e = errors(&with_kind("external"));
    assert!(e.iter().any(|d| d.message.contains("remove its `command`")), "{e:?}");
    let e = errors(&replace_once(
        PHASE29,
        "url = \"{{env:LMS_BLUE_URL}}\"",
        "url = \"{{env:LMS_BLUE_URL}}\"\ndeploy = \"command\"",
    ));
    assert!(e.iter().any(|d| d.message.contains("needs the command that deploys blue")), "{e:?}");
}

const PROMETHEUS: &str = "[monitoring.source]\nkind = \"prometheus\"\nurl = \"http://prometheus.monitoring:9090\"\n";

#[test]
fn an_nginx_traffic_section_is_read() {
    let text = replace_once(
        PHASE29,
        PROXY_TRAFFIC,
        "kind = \"nginx\"\nupstream_file = \"/etc/nginx/conf.d/lms-upstream.conf\"\nupstream = \"lms\"\nblue = \"10.0.0.11:8080\"\ngreen = \"10.0.0.12:8080\"\nconfig = \"/etc/nginx/nginx.conf\"\npublic_url = \"{{env:LMS_PUBLIC_URL}}\"\n",
    );
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(e[0].message.contains("add a [monitoring.source]"), "{}", e[0].message);
    assert_eq!(e[0].line, line_of(&text, "kind = \"nginx\""));
    let text = format!("{text}\n{PROMETHEUS}");
    let p = plan::parse(&text).expect("nginx plan");
    assert_eq!(p.traffic.kind, lms_cutover::plan::model::TrafficKind::Nginx);
    assert_eq!(p.traffic.upstream_file.as_deref(), Some("/etc/nginx/conf.d/lms-upstream.conf"));
    assert_eq!(p.traffic.upstream.as_deref(), Some("lms"));
    assert_eq!((p.traffic.nginx.as_deref(), p.traffic.config.as_deref()), (None, Some("/etc/nginx/nginx.conf")));
}

#[test]
fn an_nginx_traffic_section_without_its_fields_is_refused() {
    let text = replace_once(
        PHASE29,
        PROXY_TRAFFIC,
        "kind = \"nginx\"\nupstream = \"\"\nnginx = \" \"\nsocket = \"/run/haproxy/admin.sock\"\npublic_url = \"{{env:LMS_PUBLIC_URL}}\"\nadmin_url = \"http://127.0.0.1:9\"\n",
    );
    let text = format!("{text}\n{PROMETHEUS}");
    let e = errors(&text);
    let at = |needle: &str| e.iter().find(|d| d.message.contains(needle)).unwrap_or_else(|| panic!("{needle}: {e:#?}"));
    for key in ["`upstream_file`", "`blue`", "`green`"] {
        let d = at(&format!("kind \"nginx\" needs {key}"));
        assert_eq!(d.line, line_of(&text, "kind = \"nginx\""));
        assert!(d.column > 1);
    }
    assert_eq!(at("`upstream` is empty").line, line_of(&text, "upstream = \"\""));
    assert_eq!(at("`nginx` is empty").line, line_of(&text, "nginx = \" \""));
    assert_eq!(at("`socket` is for HAProxy").line, line_of(&text, "socket = "));
    assert_eq!(at("`admin_url` is for the lms proxy").line, line_of(&text, "admin_url = \"http://127.0.0.1:9\""));
    assert_eq!(e.len(), 7, "{e:#?}");
}

#[test]
fn nginx_fields_without_kind_nginx_are_refused() {
    let text = replace_once(PHASE29, PROXY_TRAFFIC, &format!("{PROXY_TRAFFIC}upstream_file = \"/etc/nginx/u.conf\"\n"));
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(e[0].line, line_of(&text, "upstream_file = "));
    assert!(e[0].column > 0);
    assert!(e[0].message.contains("write kind = \"nginx\""), "{}", e[0].message);

    let haproxy = "kind = \"haproxy\"\nsocket = \"/run/haproxy/admin.sock\"\nbackend = \"lms\"\nblue = \"blue\"\ngreen = \"green\"\nconfig = \"/etc/nginx/nginx.conf\"\npublic_url = \"{{env:LMS_PUBLIC_URL}}\"\n";
    let text = replace_once(PHASE29, PROXY_TRAFFIC, haproxy);
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(e[0].line, line_of(&text, "config = "));
    assert!(e[0].message.contains("`config` is for nginx"), "{}", e[0].message);
}

#[test]
fn a_command_step_needs_a_command_and_a_positive_timeout() {
    let step = r#"do = { kind = "announce", message = "War room open: #lms-golive-war-room. Team check-in." }"#;
    let text = replace_once(PHASE29, step, r#"do = { kind = "command", argv = [], timeout = "0s" }"#);
    let e = errors(&text);
    let line = line_of(&text, r#"kind = "command""#);
    assert!(e.iter().any(|d| d.line == line && d.message.contains("needs `argv`")), "{e:?}");
    assert!(e.iter().any(|d| d.line == line && d.message.contains("timeout must be longer than zero")), "{e:?}");
    let good = replace_once(PHASE29, step, r#"do = { kind = "command", argv = ["kubectl", "get", "pods"] }"#);
    assert!(plan::parse(&good).is_ok());
}
