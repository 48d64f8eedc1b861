//! Local probes for pre-checks and verifications: HTTP expectation (status,
//! and in a JSON body version and health), SQL statement, command exit
//! code, file or artifact present (a directory's newest entry young
//! enough), TLS certificate valid for the host with days to expiry.
//!
//! Probe strings arrive with placeholders resolved. A request to the
//! traffic controller's admin API carries its admin token.

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use sqlx::Connection;

use crate::drivers::{CheckDriver, TlsReport};
use crate::error::Result;
use crate::local::{err, http_client};
use crate::observe::Outcome;
use crate::units::{PlanDuration, VersionSpec};

/// Probes run from the controller's machine.
#[derive(Debug, Clone)]
pub struct LocalChecks {
    database_url: String,
    own_version: String,
    client: reqwest::Client,
    admin: Option<(String, String)>,
}

impl LocalChecks {
    /// SQL probes go to `database_url`; `self` versions mean `own_version`.
    pub fn new(database_url: &str, own_version: &str) -> Self {
        LocalChecks {
            database_url: database_url.to_string(),
            own_version: own_version.to_string(),
            client: http_client(Duration::from_secs(10)),
            admin: None,
        }
    }

    /// Requests under `admin_url` carry `token` as a bearer token.
    pub fn with_admin_token(mut self, admin_url: &str, token: Option<String>) -> Self {
        self.admin = token.map(|t| (admin_url.trim_end_matches('/').to_string(), t));
        self
    }
}

#[async_trait]
impl CheckDriver for LocalChecks {
    fn name(&self) -> &str {
        "local"
    }

    async fn http(
        &self,
        url: &str,
        expect_status: u16,
        expect_version: Option<&VersionSpec>,
        expect_health: Option<&str>,
    ) -> Result<Outcome> {
        let mut req = self.client.get(url);
        if let Some((_, token)) = self.admin.as_ref().filter(|(prefix, _)| url.starts_with(prefix.as_str())) {
            req = req.bearer_auth(token);
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return Ok(Outcome::failed(format!("GET {url}: {e}"))),
        };
        let status = resp.status().as_u16();
        if status != expect_status {
            return Ok(Outcome::failed(format!("GET {url}: HTTP {status}, expected {expect_status}")));
        }
        if expect_version.is_none() && expect_health.is_none() {
            return Ok(Outcome::ok(format!("HTTP {status}")));
        }
        let body: serde_json::Value = match resp.json().await {
            Ok(b) => b,
            Err(e) => return Ok(Outcome::failed(format!("HTTP {status}, body is not JSON: {e}"))),
        };
        let mut seen = vec![format!("HTTP {status}")];
        if let Some(spec) = expect_version {
            let v = body.get("version").and_then(|v| v.as_str()).unwrap_or("");
            seen.push(format!("version {v}"));
            if !spec.matches(v, &self.own_version) {
                return Ok(Outcome::failed(format!(
                    "{}; expected version {}",
                    seen.join(", "),
                    spec.resolve(&self.own_version)
                )));
            }
        }
        if let Some(h) = expect_health {
            let s = body.get("status").and_then(|v| v.as_str()).unwrap_or("");
            seen.push(format!("status {s}"));
            if s != h {
                return Ok(Outcome::failed(format!("{}; expected status {h}", seen.join(", "))));
            }
        }
        Ok(Outcome::ok(seen.join(", ")))
    }

    async fn sql(&self, query: &str) -> Result<Outcome> {
        let url = &self.database_url;
        let result = if url.starts_with("postgres") {
            match sqlx::PgConnection::connect(url).await {
                Ok(mut c) => sqlx::query(query).execute(&mut c).await.map(|_| ()),
                Err(e) => Err(e),
            }
        } else {
            match sqlx::sqlite::SqliteConnectOptions::from_str(url) {
                Ok(o) => match sqlx::SqliteConnection::connect_with(&o).await {
                    Ok(mut c) => sqlx::query(query).execute(&mut c).await.map(|_| ()),
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            }
        };
        Ok(match result {
            Ok(()) => Outcome::ok(format!("{query}: success")),
            Err(e) => Outcome::failed(format!("{query}: {e}")),
        })
    }

    async fn command(&self, argv: &[String], expect_exit: i32) -> Result<Outcome> {
        let (program, args) = argv.split_first().ok_or_else(|| err("check", "empty command"))?;
        let out =
            match tokio::process::Command::new(program).args(args).stdin(std::process::Stdio::null()).output().await {
                Ok(o) => o,
                Err(e) => return Ok(Outcome::failed(format!("cannot run {program}: {e}"))),
            };
        let code = out.status.code().unwrap_or(-1);
        let tail: String =
            String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or("").chars().take(200).collect();
        let detail = format!("exit {code} (expected {expect_exit}) {tail}");
        Ok(if code == expect_exit { Outcome::ok(detail) } else { Outcome::failed(detail) })
    }

    async fn file(&self, path: &str, max_age: Option<PlanDuration>) -> Result<Outcome> {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => return Ok(Outcome::failed(format!("{path}: {e}"))),
        };
        // In a directory, the newest complete file: a `.partial` one is a
        // backup still being written, or one a killed run left behind.
        let newest: Option<(SystemTime, String)> = if meta.is_dir() {
            std::fs::read_dir(path)
                .ok()
                .into_iter()
                .flatten()
                .filter_map(|e| {
                    let e = e.ok()?;
                    let name = e.file_name().to_string_lossy().into_owned();
                    (!name.ends_with(".partial")).then_some(())?;
                    Some((e.metadata().ok()?.modified().ok()?, name))
                })
                .max()
        } else {
            meta.modified().ok().map(|t| (t, path.to_string()))
        };
        let Some(limit) = max_age else {
            return Ok(Outcome::ok(format!("{path} present ({} bytes)", meta.len())));
        };
        match newest {
            None => Ok(Outcome::failed(format!("{path} holds no complete file (`.partial` files do not count)"))),
            Some((t, name)) => {
                let age = SystemTime::now().duration_since(t).unwrap_or_default();
                let detail = format!("{path}: newest complete file {name} is {}s old (maximum {limit})", age.as_secs());
                Ok(if age <= limit.to_std() { Outcome::ok(detail) } else { Outcome::failed(detail) })
            }
        }
    }

    async fn tls(&self, host: &str, port: u16, ca_file: Option<&str>) -> Result<TlsReport> {
        tls_probe(host, port, ca_file).await
    }
}

/// Connects trusting the CAs of `ca_file` (PEM) or else the web PKI roots; a
/// handshake that verifies means the chain and the host name are valid. The
/// leaf's notAfter gives the days left.
pub async fn tls_probe(host: &str, port: u16, ca_file: Option<&str>) -> Result<TlsReport> {
    let roots = match ca_file {
        None => rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() },
        Some(path) => {
            use rustls_pki_types::pem::PemObject;
            let mut roots = rustls::RootCertStore::empty();
            let certs = rustls_pki_types::CertificateDer::pem_file_iter(path)
                .map_err(|e| err("check", format!("CA file {path}: {e}")))?;
            for cert in certs {
                let cert = cert.map_err(|e| err("check", format!("CA file {path}: {e}")))?;
                roots.add(cert).map_err(|e| err("check", format!("CA file {path}: {e}")))?;
            }
            if roots.is_empty() {
                return Err(err("check", format!("CA file {path} holds no certificate")));
            }
            roots
        }
    };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| err("check", e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let name =
        rustls_pki_types::ServerName::try_from(host.to_string()).map_err(|e| err("check", format!("{host}: {e}")))?;
    let failed = |detail: String| TlsReport { valid_for_host: false, days_to_expiry: 0, detail };
    let tcp = match tokio::time::timeout(Duration::from_secs(10), tokio::net::TcpStream::connect((host, port))).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Ok(failed(format!("connect {host}:{port}: {e}"))),
        Err(_) => return Ok(failed(format!("connect {host}:{port}: timed out"))),
    };
    let tls = match tokio::time::timeout(Duration::from_secs(10), connector.connect(name, tcp)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Ok(failed(format!("TLS handshake with {host}: {e}"))),
        Err(_) => return Ok(failed(format!("TLS handshake with {host}: timed out"))),
    };
    let (_, conn) = tls.get_ref();
    let Some(leaf) = conn.peer_certificates().and_then(|c| c.first()) else {
        return Ok(failed("no certificate presented".into()));
    };
    let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref())
        .map_err(|e| err("check", format!("cannot parse the certificate: {e}")))?;
    let not_after = cert.validity().not_after.timestamp();
    let days = (not_after - chrono::Utc::now().timestamp()).div_euclid(86_400);
    Ok(TlsReport {
        valid_for_host: true,
        days_to_expiry: days,
        detail: format!("subject {}, issuer {}", cert.subject(), cert.issuer()),
    })
}
