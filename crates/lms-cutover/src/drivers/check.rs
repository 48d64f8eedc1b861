//! Checks: the typed probes of pre-checks and verifications (HTTP
//! expectation, SQL `SELECT 1`, command exit code, file present, TLS
//! certificate days to expiry). Manual probes are a person's, not a driver's.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::observe::Outcome;
use crate::plan::model::Probe;
use crate::units::{PlanDuration, VersionSpec};

/// What a TLS probe saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsReport {
    /// The certificate is valid for the host and the chain verifies.
    pub valid_for_host: bool,
    /// Whole days until expiry (negative once expired).
    pub days_to_expiry: i64,
    /// Subject / issuer summary.
    pub detail: String,
}

/// The result of running a probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProbeOutcome {
    /// The driver ran it.
    Done(Outcome),
    /// Only a person can answer it.
    NeedsPerson,
}

/// Runs probes. Strings arrive with placeholders already resolved.
#[async_trait]
pub trait CheckDriver: Send + Sync {
    /// For logs and status.
    fn name(&self) -> &str;

    /// GET `url`; expect the status, and in a JSON body the version and
    /// health status when given.
    async fn http(
        &self,
        url: &str,
        expect_status: u16,
        expect_version: Option<&VersionSpec>,
        expect_health: Option<&str>,
    ) -> Result<Outcome>;

    /// Runs a statement against the database (`SELECT 1`).
    async fn sql(&self, query: &str) -> Result<Outcome>;

    /// Runs a command; passes when it exits with `expect_exit`.
    async fn command(&self, argv: &[String], expect_exit: i32) -> Result<Outcome>;

    /// The path exists; for a directory, its newest entry is younger than `max_age`.
    async fn file(&self, path: &str, max_age: Option<PlanDuration>) -> Result<Outcome>;

    /// Connects to `host:port` and inspects the certificate, trusting the CAs
    /// in `ca_file` (PEM) when given, the web PKI roots otherwise.
    async fn tls(&self, host: &str, port: u16, ca_file: Option<&str>) -> Result<TlsReport>;

    /// Runs any probe.
    async fn run(&self, probe: &Probe) -> Result<ProbeOutcome> {
        let outcome = match probe {
            Probe::Http { url, expect_status, expect_version, expect_health } => {
                self.http(url, *expect_status, expect_version.as_ref(), expect_health.as_deref()).await?
            }
            Probe::Sql { query } => self.sql(query).await?,
            Probe::Command { argv, expect_exit } => self.command(argv, *expect_exit).await?,
            Probe::File { path, max_age } => self.file(path, *max_age).await?,
            Probe::Tls { host, port, min_days, ca_file } => {
                let r = self.tls(host, *port, ca_file.as_deref()).await?;
                let ok = r.valid_for_host && r.days_to_expiry >= i64::from(*min_days);
                Outcome {
                    ok,
                    detail: format!("{}; {} day(s) to expiry (minimum {min_days})", r.detail, r.days_to_expiry),
                }
            }
            Probe::Manual => return Ok(ProbeOutcome::NeedsPerson),
        };
        Ok(ProbeOutcome::Done(outcome))
    }
}
