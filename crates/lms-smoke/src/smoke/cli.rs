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
    #[arg(long, default_value = "employee1@demo.local")]
    pub employee: String,
    /// The smoke employee's manager.
    #[arg(long, default_value = "manager@demo.local")]
    pub manager: String,
    /// An HR admin account.
    #[arg(long, default_value = "hr@demo.local")]
    pub admin: String,
    /// Password of the three smoke accounts.
    #[arg(long, env = "LMS_SMOKE_PASSWORD", default_value = "lms-demo", hide_env_values = true)]
    pub password: String,
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
        employee: creds(&a.token, &a.employee, &a.password),
        manager: creds(&a.manager_token, &a.manager, &a.password),
        admin: creds(&a.admin_token, &a.admin, &a.password),
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
