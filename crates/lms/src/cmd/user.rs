//! `lms user create`: add an account from the command line, e.g. the first
//! HR admin of a new installation.

use super::DbArgs;
use anyhow::{bail, Context};
use chrono::{NaiveDate, Utc};
use lms_core::{Email, Role};
use lms_store::employees::NewEmployee;
use lms_store::migrations;
use std::io::Read;

#[derive(clap::Args, Debug)]
pub struct UserArgs {
    #[command(subcommand)]
    pub action: UserAction,
}

#[derive(clap::Subcommand, Debug)]
pub enum UserAction {
    /// Create an account (password from a prompt, or from standard input with --password-stdin).
    Create(CreateArgs),
}

#[derive(clap::Args, Debug)]
pub struct CreateArgs {
    #[command(flatten)]
    pub db: DbArgs,
    #[arg(long)]
    pub email: String,
    /// Display name (defaults to the email's local part).
    #[arg(long)]
    pub name: Option<String>,
    /// employee, manager or hr-admin.
    #[arg(long, default_value = "employee")]
    pub role: String,
    #[arg(long, default_value = "")]
    pub department: String,
    /// Start date (YYYY-MM-DD), today by default.
    #[arg(long)]
    pub start_date: Option<NaiveDate>,
    /// Read the password from standard input instead of prompting.
    #[arg(long)]
    pub password_stdin: bool,
}

pub async fn run(a: UserArgs) -> anyhow::Result<()> {
    let UserAction::Create(a) = a.action;
    let email = Email::parse(&a.email)?;
    let role: Role = a.role.parse()?;
    let password = if a.password_stdin {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).context("reading the password from standard input")?;
        s.trim_end_matches(['\r', '\n']).to_string()
    } else {
        let p = rpassword::prompt_password("Password: ").context("reading the password")?;
        let again = rpassword::prompt_password("Again: ").context("reading the password")?;
        if p != again {
            bail!("the passwords differ");
        }
        p
    };
    lms_server::auth::password::check_policy(&password).map_err(|e| anyhow::anyhow!(e.message))?;
    let hash = lms_server::auth::password::hash(password).await.map_err(|e| anyhow::anyhow!(e.message))?;
    let db = a.db.connect(2).await?;
    if !migrations::status(&db).await?.is_current() {
        bail!("the database schema is behind this build; run `lms migrate up` first");
    }
    let name = a.name.unwrap_or_else(|| email.as_str().split('@').next().unwrap_or_default().to_string());
    let now = Utc::now();
    let new = NewEmployee {
        email,
        name,
        department: a.department,
        manager_id: None,
        start_date: a.start_date.unwrap_or(now.date_naive()),
        role,
        password_hash: Some(hash),
    };
    let e = lms_app::people::create(&db, lms_app::By::CommandLine, &new, now).await?;
    println!("created {} ({}) with id {}", e.email, e.role, e.id);
    Ok(())
}
