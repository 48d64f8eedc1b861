//! The smoke driver: `lms_smoke::smoke::run` with the accounts the run was
//! given (employee reporting to manager, an HR admin).

use async_trait::async_trait;
use lms_smoke::smoke::{Credentials, SmokeConfig};

use crate::drivers::SmokeDriver;
use crate::error::Result;
use crate::observe::SmokeResult;

/// Accounts for the suite.
#[derive(Debug, Clone)]
pub struct SmokeAccounts {
    /// An employee who reports to `manager`.
    pub employee: (String, String),
    /// Their manager.
    pub manager: (String, String),
    /// An HR admin.
    pub admin: (String, String),
}

impl SmokeAccounts {
    /// The `--demo` accounts.
    pub fn demo() -> Self {
        let p = || "lms-demo".to_string();
        SmokeAccounts {
            employee: ("employee1@demo.local".into(), p()),
            manager: ("manager@demo.local".into(), p()),
            admin: ("hr@demo.local".into(), p()),
        }
    }

    /// From the variables `lms smoke` reads too: `LMS_SMOKE_{EMPLOYEE,
    /// MANAGER,ADMIN}_EMAIL`, each with `LMS_SMOKE_<ROLE>_PASSWORD` or else the
    /// shared `LMS_SMOKE_PASSWORD`; `None` when any is missing.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let pair = |who: &str| -> Option<(String, String)> {
            Some((
                env(&format!("LMS_SMOKE_{who}_EMAIL"))?,
                env(&format!("LMS_SMOKE_{who}_PASSWORD")).or_else(|| env("LMS_SMOKE_PASSWORD"))?,
            ))
        };
        Some(SmokeAccounts { employee: pair("EMPLOYEE")?, manager: pair("MANAGER")?, admin: pair("ADMIN")? })
    }

    /// The variables [`Self::from_env`] needs that `env` does not have.
    pub fn missing(env: impl Fn(&str) -> Option<String>) -> Vec<String> {
        let mut out = Vec::new();
        for who in SMOKE_ROLES {
            let email = format!("LMS_SMOKE_{who}_EMAIL");
            if env(&email).is_none() {
                out.push(email);
            }
            let password = format!("LMS_SMOKE_{who}_PASSWORD");
            if env(&password).is_none() && env("LMS_SMOKE_PASSWORD").is_none() {
                out.push(format!("{password} (or LMS_SMOKE_PASSWORD)"));
            }
        }
        out
    }
}

/// The three smoke roles, as they appear in variable names.
pub const SMOKE_ROLES: [&str; 3] = ["EMPLOYEE", "MANAGER", "ADMIN"];

/// Runs the suite over HTTP.
#[derive(Debug, Clone)]
pub struct LmsSmoke {
    accounts: Option<SmokeAccounts>,
}

impl LmsSmoke {
    /// With these accounts; without, every test fails saying so.
    pub fn new(accounts: Option<SmokeAccounts>) -> Self {
        LmsSmoke { accounts }
    }
}

#[async_trait]
impl SmokeDriver for LmsSmoke {
    fn name(&self) -> &str {
        "lms-smoke"
    }

    async fn run(&self, base_url: &str, ids: &[String]) -> Result<Vec<SmokeResult>> {
        let Some(a) = &self.accounts else {
            return Ok(ids
                .iter()
                .map(|id| SmokeResult {
                    id: id.clone(),
                    passed: false,
                    detail: "no smoke accounts: set LMS_SMOKE_{EMPLOYEE,MANAGER,ADMIN}_EMAIL and LMS_SMOKE_PASSWORD (or LMS_SMOKE_<ROLE>_PASSWORD)".into(),
                    elapsed_ms: 0,
                })
                .collect());
        };
        let cred = |(e, p): &(String, String)| Credentials::Password { email: e.clone(), password: p.clone() };
        let cfg = SmokeConfig {
            base_url: base_url.to_string(),
            employee: cred(&a.employee),
            manager: cred(&a.manager),
            admin: cred(&a.admin),
            timeout: std::time::Duration::from_secs(15),
        };
        Ok(lms_smoke::smoke::run(&cfg, ids)
            .await
            .into_iter()
            .map(|o| SmokeResult { id: o.id, passed: o.passed, detail: o.detail, elapsed_ms: o.elapsed_ms })
            .collect())
    }
}
