//! A real traffic engine and Prometheus on the rehearsal machine: HAProxy
//! (runtime API on the admin port, its Prometheus exporter on its own
//! port) or nginx (the driver's upstream file, reloads through its pid
//! file), each with blue at 100 %, and a Prometheus scraping blue, green
//! and the engine every second. Configuration files and logs go into the
//! run directory; every process is started in the foreground of its own
//! process group and stopped by the rehearsal's teardown.
//!
//! Knows the engines' configuration syntax; the weights are the drivers'.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::engines::nginx::upstream;
use crate::error::{CutoverError, Result};
use crate::local::process;
use crate::rehearse::engine::{TrafficEngine, HAPROXY_BACKEND, NGINX_UPSTREAM};
use crate::runner::RunDir;
use crate::units::Weights;

fn err(message: impl Into<String>) -> CutoverError {
    CutoverError::Driver { driver: "rehearsal", message: message.into() }
}

/// How long an engine or Prometheus may take to answer after its start.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The processes started, by name, for the teardown.
pub type Started = Vec<(&'static str, u32)>;

/// Starts `engine` (HAProxy or nginx) and a Prometheus for it; returns what
/// was started, even on error (so the teardown stops it).
pub async fn start(
    engine: TrafficEngine,
    dir: &RunDir,
    ports: &BTreeMap<String, u16>,
    started: &mut Started,
) -> Result<()> {
    let port = |name: &str| ports.get(name).copied().ok_or_else(|| err(format!("no {name} port")));
    let (public, blue, green, admin) = (port("public")?, port("blue")?, port("green")?, port("admin")?);
    let (prometheus, exporter) = (port("prometheus")?, port("engine_metrics")?);
    let mut scrape = vec![("lms", vec![blue, green])];
    match engine {
        TrafficEngine::LmsProxy => return Ok(()),
        TrafficEngine::Haproxy => {
            let home = subdir(dir, "haproxy")?;
            let config = home.join("haproxy.cfg");
            write(&config, &haproxy_config(public, admin, exporter, blue, green))?;
            let argv = vec![binary("haproxy", "haproxy")?, "-db".into(), "-f".into(), config.display().to_string()];
            started.push(("haproxy", process::spawn_detached(&argv, &BTreeMap::new(), &home.join("haproxy.log"))?));
            scrape.push(("haproxy", vec![exporter]));
        }
        TrafficEngine::Nginx => {
            let home = subdir(dir, "nginx")?;
            for t in ["body", "proxy", "fastcgi", "uwsgi", "scgi"] {
                std::fs::create_dir_all(home.join("tmp").join(t)).map_err(|e| err(e.to_string()))?;
            }
            let (b, g) = (format!("127.0.0.1:{blue}"), format!("127.0.0.1:{green}"));
            write(&home.join("upstream.conf"), &upstream::render(NGINX_UPSTREAM, &b, &g, Weights::ALL_BLUE))?;
            let config = home.join("nginx.conf");
            write(&config, &nginx_config(&home, public))?;
            let argv = vec![
                binary("nginx", "nginx")?,
                "-c".into(),
                config.display().to_string(),
                "-g".into(),
                "daemon off;".into(),
            ];
            started.push(("nginx", process::spawn_detached(&argv, &BTreeMap::new(), &home.join("nginx.log"))?));
        }
    }
    wait_for(&format!("{engine} on port {public}"), || async move {
        tokio::net::TcpStream::connect(("127.0.0.1", public)).await.is_ok()
    })
    .await?;

    let home = subdir(dir, "prometheus")?;
    let config = home.join("prometheus.yml");
    write(&config, &prometheus_config(&scrape))?;
    let argv = vec![
        binary("prometheus", "prometheus")?,
        format!("--config.file={}", config.display()),
        format!("--storage.tsdb.path={}", home.join("data").display()),
        format!("--web.listen-address=127.0.0.1:{prometheus}"),
    ];
    started.push(("prometheus", process::spawn_detached(&argv, &BTreeMap::new(), &home.join("prometheus.log"))?));
    let client = crate::local::http_client(Duration::from_secs(1));
    let ready = format!("http://127.0.0.1:{prometheus}/-/ready");
    wait_for("Prometheus to be ready", || {
        let (client, ready) = (client.clone(), ready.clone());
        async move { client.get(&ready).send().await.is_ok_and(|r| r.status().is_success()) }
    })
    .await
}

/// HAProxy in front of blue (weight 100) and green (weight 0), both
/// health-checked on `/api/health/live`; each request balanced on its own.
fn haproxy_config(public: u16, admin: u16, exporter: u16, blue: u16, green: u16) -> String {
    format!(
        "# Written by `lms cutover rehearse --traffic haproxy`.\n\
         global\n    stats socket ipv4@127.0.0.1:{admin} level admin\n    stats timeout 10s\n    maxconn 4000\n\n\
         defaults\n    mode http\n    timeout connect 2s\n    timeout client 30s\n    timeout server 30s\n    retries 2\n    option redispatch\n\n\
         frontend public\n    bind 127.0.0.1:{public}\n    default_backend {b}\n\n\
         backend {b}\n    balance roundrobin\n    option httpchk GET /api/health/live\n\
         \x20   server blue 127.0.0.1:{blue} weight 100 check inter 500ms rise 1 fall 2\n\
         \x20   server green 127.0.0.1:{green} weight 0 check inter 500ms rise 1 fall 2\n\n\
         frontend metrics\n    bind 127.0.0.1:{exporter}\n    http-request use-service prometheus-exporter if {{ path /metrics }}\n",
        b = HAPROXY_BACKEND
    )
}

/// nginx with the driver's upstream file included, all paths in `home`.
fn nginx_config(home: &Path, public: u16) -> String {
    let d = home.display();
    format!(
        "# Written by `lms cutover rehearse --traffic nginx`.\n\
         worker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log notice;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n  access_log off;\n\
         \x20 client_body_temp_path {d}/tmp/body;\n  proxy_temp_path {d}/tmp/proxy;\n  fastcgi_temp_path {d}/tmp/fastcgi;\n\
         \x20 uwsgi_temp_path {d}/tmp/uwsgi;\n  scgi_temp_path {d}/tmp/scgi;\n\
         \x20 include {d}/upstream.conf;\n\
         \x20 server {{\n    listen 127.0.0.1:{public};\n    location / {{\n      proxy_pass http://{u};\n\
         \x20     proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n      proxy_set_header Host $http_host;\n\
         \x20     proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n    }}\n  }}\n}}\n",
        u = NGINX_UPSTREAM
    )
}

/// Prometheus scraping every second, one job per name.
fn prometheus_config(jobs: &[(&str, Vec<u16>)]) -> String {
    let mut s = String::from(
        "# Written by `lms cutover rehearse`.\nglobal: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n",
    );
    for (job, ports) in jobs {
        let targets: Vec<String> = ports.iter().map(|p| format!("'127.0.0.1:{p}'")).collect();
        s.push_str(&format!("  - job_name: {job}\n    static_configs:\n      - targets: [{}]\n", targets.join(", ")));
    }
    s
}

fn subdir(dir: &RunDir, name: &str) -> Result<std::path::PathBuf> {
    let d = dir.root.join(name);
    std::fs::create_dir_all(&d).map_err(|e| err(format!("{}: {e}", d.display())))?;
    Ok(d)
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| err(format!("{}: {e}", path.display())))
}

/// `name` when it runs (`name -v` or `--version`), else an error naming the
/// Debian package that brings it.
fn binary(name: &str, package: &str) -> Result<String> {
    let runs = |flag: &str| {
        std::process::Command::new(name)
            .arg(flag)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if runs("-v") || runs("--version") {
        Ok(name.to_string())
    } else {
        Err(err(format!("`{name}` is not installed: install Debian's `{package}` package (scripts/ensure-{package})")))
    }
}

async fn wait_for<F, Fut>(what: &str, mut check: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + START_TIMEOUT;
    loop {
        if check().await {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(err(format!("{what}: no answer within {START_TIMEOUT:?} (see its log in the run directory)")));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_scrapes_each_job() {
        let c = prometheus_config(&[("lms", vec![1, 2]), ("haproxy", vec![3])]);
        assert!(
            c.contains("- job_name: lms\n    static_configs:\n      - targets: ['127.0.0.1:1', '127.0.0.1:2']"),
            "{c}"
        );
        assert!(c.contains("- job_name: haproxy"), "{c}");
    }
}
