//! `lms smoke`: the suite from the command line, with a table or JSON.

use super::{run, Credentials, SmokeConfig};
use std::time::Duration;

/// Run SMOKE-001..010 against a deployment.
#[derive(clap::Args, Debug, Clone)]
pub struct SmokeArgs {
    /// Base URL of the deployment, e.g. http://127.0.0.1:8080
    #[arg(long)]
    pub target: String,
    /// The smoke employee (reports to --manager).
    #[arg(long, env = "LMS_SMOKE_EMPLOYEE_EMAIL", default_value = "employee1@demo.local")]
    pub employee: String,
    /// The smoke employee's manager.
    #[arg(long, env = "LMS_SMOKE_MANAGER_EMAIL", default_value = "manager@demo.local")]
    pub manager: String,
    /// An HR admin account.
    #[arg(long, env = "LMS_SMOKE_ADMIN_EMAIL", default_value = "hr@demo.local")]
    pub admin: String,
    /// Password of the three smoke accounts (each role's own, below, wins).
    #[arg(long, env = "LMS_SMOKE_PASSWORD", default_value = "lms-demo", hide_env_values = true)]
    pub password: String,
    /// The smoke employee's own password.
    #[arg(long, env = "LMS_SMOKE_EMPLOYEE_PASSWORD", hide_env_values = true)]
    pub employee_password: Option<String>,
    /// The smoke manager's own password.
    #[arg(long, env = "LMS_SMOKE_MANAGER_PASSWORD", hide_env_values = true)]
    pub manager_password: Option<String>,
    /// The smoke HR admin's own password.
    #[arg(long, env = "LMS_SMOKE_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// API token of the smoke employee (instead of a password login).
    #[arg(long, alias = "employee-token", env = "LMS_SMOKE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// API token of the smoke manager.
    #[arg(long, env = "LMS_SMOKE_MANAGER_TOKEN", hide_env_values = true)]
    pub manager_token: Option<String>,
    /// API token of the smoke HR admin.
    #[arg(long, env = "LMS_SMOKE_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Only these tests (comma-separated ids, e.g. SMOKE-001,SMOKE-010).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Only the read-only tests (no business data changes).
    #[arg(long)]
    pub read_only: bool,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
}

fn creds(token: &Option<String>, email: &str, password: &str) -> Credentials {
    match token {
        Some(t) => Credentials::Token(t.clone()),
        None => Credentials::Password { email: email.to_string(), password: password.to_string() },
    }
}

/// Runs the suite; fails when any test fails.
pub async fn run_smoke(a: SmokeArgs) -> anyhow::Result<()> {
    let cfg = SmokeConfig {
        base_url: a.target.clone(),
        employee: creds(&a.token, &a.employee, a.employee_password.as_ref().unwrap_or(&a.password)),
        manager: creds(&a.manager_token, &a.manager, a.manager_password.as_ref().unwrap_or(&a.password)),
        admin: creds(&a.admin_token, &a.admin, a.admin_password.as_ref().unwrap_or(&a.password)),
        timeout: Duration::from_secs(a.timeout),
    };
    let ids = if a.read_only { super::read_only_ids() } else { a.only.clone() };
    let results = run(&cfg, &ids).await;
    let failed = results.iter().filter(|r| !r.passed).count();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        println!("Smoke tests against {}", a.target);
        println!("| Test ID | Test Case | Result | Time | Detail |");
        println!("|---|---|---|---|---|");
        for r in &results {
            let mark = if r.passed { "PASS" } else { "FAIL" };
            println!("| {} | {} | {mark} | {} ms | {} |", r.id, r.case, r.elapsed_ms, r.detail.replace('|', "/"));
        }
        println!("{} passed, {} failed", results.len() - failed, failed);
    }
    if failed > 0 {
        anyhow::bail!("{failed} smoke test(s) failed");
    }
    Ok(())
}
