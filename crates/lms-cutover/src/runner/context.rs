//! A run's directory and context: where the journal, plan copy, inbox,
//! logs, backups and reports live, the placeholder values the run was
//! started with — the `{{name}}` values and the value of every environment
//! variable the plan names as `{{env:NAME}}`, captured once at start and
//! kept in `run.json`, so that `resume`, `rollback` and `stop-green` work
//! the same from a fresh shell — the plan's strings resolved with them, and
//! the local drivers built from that. Secrets (admin tokens) are never
//! placeholders: the plan names the variable or file they are read from
//! when needed, and they are never written to the run directory.
//!
//! Knows the layout of a run directory and how to wire local drivers; knows
//! nothing of the engine's rules.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::drivers::{Drivers, TrafficDriver};
use crate::engines::haproxy::HaproxyTraffic;
use crate::engines::nginx::{NginxConfig, NginxTraffic};
use crate::error::{CutoverError, Result};
use crate::local::checks::LocalChecks;
use crate::local::database::LocalDatabase;
use crate::local::deploy::LocalDeploy;
use crate::local::maintenance::LocalMaintenance;
use crate::local::metrics::ProxyProcMetrics;
use crate::local::notify::LocalNotify;
use crate::local::smoke::{LmsSmoke, SmokeAccounts};
use crate::local::traffic::ProxyTraffic;
use crate::plan::model::{Check, ChecklistItem, Database, Environment, MaintenanceSwitch, Plan, Traffic, TrafficKind};
use crate::plan::placeholders;
use crate::units::Slot;

/// The controller's own version (resolves `self` version specs).
pub const OWN_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The files of one run.
#[derive(Debug, Clone)]
pub struct RunDir {
    /// The directory, `<out>/<run-id>`.
    pub root: PathBuf,
}

impl RunDir {
    /// A run directory at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        RunDir { root: root.into() }
    }
    /// The journal.
    pub fn journal(&self) -> PathBuf {
        self.root.join("journal.jsonl")
    }
    /// The plan text the run executes.
    pub fn plan(&self) -> PathBuf {
        self.root.join("plan.toml")
    }
    /// The run's context.
    pub fn info(&self) -> PathBuf {
        self.root.join("run.json")
    }
    /// Requests from other terminals.
    pub fn inbox(&self) -> PathBuf {
        self.root.join("inbox")
    }
    /// Held (flock) while a controller runs the journal.
    pub fn lock(&self) -> PathBuf {
        self.root.join("controller.lock")
    }
    /// A report file (`md`, `json`, `html`).
    pub fn report(&self, ext: &str) -> PathBuf {
        self.root.join(format!("report.{ext}"))
    }
    /// Rehearsal figures, when the run was a rehearsal.
    pub fn figures(&self) -> PathBuf {
        self.root.join("rehearsal.json")
    }
    /// The run id (the directory's name).
    pub fn run_id(&self) -> String {
        self.root.file_name().map_or_else(|| "run".into(), |n| n.to_string_lossy().into_owned())
    }
}

/// What a run was started with, kept in `run.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunInfo {
    /// The run's id.
    pub run_id: String,
    /// Where the plan came from (a path, or the built-in rehearsal plan).
    pub plan_source: String,
    /// Placeholder values.
    pub vars: BTreeMap<String, String>,
    /// The value of every `{{env:NAME}}` the plan uses, as it was at start.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Use the `--demo` accounts for smoke tests (rehearsals).
    pub demo_accounts: bool,
    /// A rehearsal on this machine.
    pub rehearsal: bool,
}

impl RunInfo {
    /// Reads `run.json`.
    pub fn load(dir: &RunDir) -> Result<Self> {
        let path = dir.info();
        let text =
            std::fs::read_to_string(&path).map_err(|source| CutoverError::JournalIo { path: path.clone(), source })?;
        serde_json::from_str(&text).map_err(|e| CutoverError::JournalCorrupt { path, line: 1, message: e.to_string() })
    }

    /// Writes `run.json`.
    pub fn save(&self, dir: &RunDir) -> Result<()> {
        let path = dir.info();
        let text = serde_json::to_string_pretty(self).map_err(|e| CutoverError::JournalCorrupt {
            path: path.clone(),
            line: 1,
            message: e.to_string(),
        })?;
        std::fs::write(&path, text).map_err(|source| CutoverError::JournalIo { path, source })
    }
}

/// Every `{{env:NAME}}` the plan uses, with the places (dotted paths into
/// the plan, e.g. `environments.green.command[0]`) that use it.
pub fn env_uses(plan: &Plan) -> BTreeMap<String, Vec<String>> {
    fn walk(v: &serde_json::Value, path: String, out: &mut BTreeMap<String, Vec<String>>) {
        match v {
            serde_json::Value::String(s) => {
                for name in placeholders::env_names(s) {
                    let places = out.entry(name).or_default();
                    if !places.contains(&path) {
                        places.push(path.clone());
                    }
                }
            }
            serde_json::Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(x, format!("{path}[{i}]"), out);
                }
            }
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                    walk(x, p, out);
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    if let Ok(json) = serde_json::to_value(plan) {
        walk(&json, String::new(), &mut out);
    }
    out
}

/// Reads the value of every environment variable the plan names through
/// `env`; an error lists every unset one with where the plan uses it.
pub fn capture_env(plan: &Plan, env: impl Fn(&str) -> Option<String>) -> Result<BTreeMap<String, String>> {
    let mut values = BTreeMap::new();
    let mut missing = Vec::new();
    for (name, places) in env_uses(plan) {
        match env(&name) {
            Some(v) => {
                values.insert(name, v);
            }
            None => missing.push(format!("{name} (used in {})", places.join(", "))),
        }
    }
    if missing.is_empty() {
        Ok(values)
    } else {
        Err(CutoverError::invalid(
            "environment",
            format!(
                "the plan needs {} environment variable(s) that are not set: {}; `lms cutover env PLAN` lists them all",
                missing.len(),
                missing.join("; ")
            ),
        ))
    }
}

impl RunInfo {
    /// The context of a new run: `base` holds `self`, `version`, `run_dir`
    /// and any `--var` values; the plan's environment variables are read
    /// once through `env` and kept, and the derived values completed.
    pub fn capture(
        plan: &Plan,
        run_id: String,
        plan_source: String,
        base: BTreeMap<String, String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let env = capture_env(plan, env)?;
        let vars = derive_vars(plan, base, &env)?;
        Ok(RunInfo { run_id, plan_source, vars, env, demo_accounts: false, rehearsal: false })
    }

    fn lookup(&self) -> impl Fn(&str) -> Option<String> + '_ {
        |name| self.env.get(name).cloned()
    }
}

/// Completes `base` (which holds `self`, `version`, `run_dir` and any
/// extras such as ports) with the values derived from the plan:
/// `database_url`, `backup_dir`, `blue_url`, `green_url`, `public_url`, `admin_url`.
/// `{{env:NAME}}` placeholders read `env`, the values captured at start.
pub fn derive_vars(
    plan: &Plan,
    mut vars: BTreeMap<String, String>,
    env: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>> {
    let derived = [
        ("database_url", plan.database.url.clone()),
        ("backup_dir", plan.database.backup_dir.clone()),
        ("blue_url", plan.environments.blue.url.clone()),
        ("green_url", plan.environments.green.url.clone()),
        ("public_url", plan.traffic.public_url.clone()),
        ("admin_url", plan.traffic.admin_url.clone()),
    ];
    for (name, text) in derived {
        if vars.contains_key(name) {
            continue;
        }
        let v = placeholders::resolve(&text, &vars, |n| env.get(n).cloned())?;
        vars.insert(name.to_string(), v.trim_end_matches('/').to_string());
    }
    Ok(vars)
}

/// Replaces placeholders in every string of a serializable value.
fn resolve_value<T: Serialize + DeserializeOwned>(value: &T, info: &RunInfo) -> Result<T> {
    fn walk(v: &mut serde_json::Value, info: &RunInfo) -> Result<()> {
        match v {
            serde_json::Value::String(s) if s.contains("{{") => {
                *s = placeholders::resolve(s, &info.vars, info.lookup())?;
            }
            serde_json::Value::Array(a) => a.iter_mut().try_for_each(|x| walk(x, info))?,
            serde_json::Value::Object(m) => m.values_mut().try_for_each(|x| walk(x, info))?,
            _ => {}
        }
        Ok(())
    }
    let mut json = serde_json::to_value(value).map_err(|e| CutoverError::invalid("plan", e.to_string()))?;
    walk(&mut json, info)?;
    serde_json::from_value(json).map_err(|e| CutoverError::invalid("plan", e.to_string()))
}

/// The parts of the plan drivers use, with placeholders resolved.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Blue.
    pub blue: Environment,
    /// Green.
    pub green: Environment,
    /// The database.
    pub database: Database,
    /// The traffic controller.
    pub traffic: Traffic,
    /// The maintenance switch.
    pub maintenance: MaintenanceSwitch,
    /// Pre-checks, in plan order.
    pub prechecks: Vec<Check>,
    /// Verifications, in plan order.
    pub verifications: Vec<Check>,
    /// Notice webhook.
    pub webhook: Option<String>,
    /// The post-cutover checklist (section 9), webhook URLs resolved.
    pub post_cutover: Vec<ChecklistItem>,
    /// Where the gates read metrics, placeholders resolved.
    pub metrics_source: Option<crate::plan::model::MetricsSource>,
    /// The `command` steps' argv and environment, by step, resolved.
    pub step_commands: BTreeMap<u32, (Vec<String>, BTreeMap<String, String>)>,
    /// The API server and the slots' Deployments, placeholders resolved.
    pub kubernetes: Option<crate::plan::model::Kubernetes>,
}

impl Resolved {
    /// Resolves the plan with the run's values (never the process's
    /// environment: what the run started with is what it uses).
    /// The derived variables win over the plan's own text, so a value given
    /// on the command line (`--var database_url=...`) is what drivers use.
    pub fn new(plan: &Plan, info: &RunInfo) -> Result<Self> {
        let vars = &info.vars;
        let mut blue: Environment = resolve_value(&plan.environments.blue, info)?;
        let mut green: Environment = resolve_value(&plan.environments.green, info)?;
        let mut database: Database = resolve_value(&plan.database, info)?;
        let mut traffic: Traffic = resolve_value(&plan.traffic, info)?;
        let set = |field: &mut String, name: &str| {
            if let Some(v) = vars.get(name) {
                *field = v.clone();
            }
        };
        set(&mut blue.url, "blue_url");
        set(&mut green.url, "green_url");
        set(&mut database.url, "database_url");
        set(&mut database.backup_dir, "backup_dir");
        set(&mut traffic.public_url, "public_url");
        set(&mut traffic.admin_url, "admin_url");
        Ok(Resolved {
            blue,
            green,
            database,
            traffic,
            maintenance: resolve_value(&plan.maintenance.switch, info)?,
            metrics_source: resolve_value(&plan.monitoring.source, info)?,
            kubernetes: resolve_value(&plan.kubernetes, info)?,
            prechecks: resolve_value(&plan.prechecks, info)?,
            verifications: resolve_value(&plan.verifications, info)?,
            webhook: plan.notify.webhook.as_ref().map(|w| resolve_value(w, info)).transpose()?,
            post_cutover: resolve_value(&plan.post_cutover, info)?,
            step_commands: plan
                .steps
                .iter()
                .filter_map(|s| match &s.action {
                    crate::plan::model::StepAction::Command { argv, env, .. } => Some((s.n, argv, env)),
                    _ => None,
                })
                .map(|(n, argv, env)| Ok((n, (resolve_value(argv, info)?, resolve_value(env, info)?))))
                .collect::<Result<_>>()?,
        })
    }

    /// A base URL plus the environment's health path.
    pub fn health_url(&self, slot: Slot) -> String {
        let e = match slot {
            Slot::Blue => &self.blue,
            Slot::Green => &self.green,
        };
        format!("{}{}", e.url.trim_end_matches('/'), e.health_path)
    }

    /// The proxy's admin token: from the file the plan names (read when
    /// needed, so an emergency rollback from a fresh shell finds it), else
    /// from the environment variable it names.
    pub fn admin_token(&self) -> Result<Option<String>> {
        if let Some(path) = &self.traffic.admin_token_file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                CutoverError::invalid("admin token", format!("cannot read the admin token file {path}: {e}"))
            })?;
            let token = text.trim().to_string();
            if token.is_empty() {
                return Err(CutoverError::invalid("admin token", format!("the admin token file {path} is empty")));
            }
            return Ok(Some(token));
        }
        Ok(self.traffic.admin_token_env.as_ref().and_then(|v| std::env::var(v).ok()).filter(|t| !t.is_empty()))
    }
}

fn default_migrate(green: &Environment, url: &str, action: &str) -> Vec<String> {
    let artifact = green.command.first().cloned().or_else(|| green.artifact.clone()).unwrap_or_else(|| "lms".into());
    vec![artifact, "migrate".into(), action.into(), "--database-url".into(), url.into()]
}

/// The traffic driver the plan's `[traffic] kind` names (a Kubernetes kind
/// with the in-cluster defaults: see [`traffic_driver_on`]).
pub fn traffic_driver(t: &Traffic, admin_token: Option<String>) -> Result<std::sync::Arc<dyn TrafficDriver>> {
    traffic_driver_on(t, admin_token, None)
}

/// The traffic driver the plan's `[traffic] kind` names, a Kubernetes kind
/// reaching the API server as `kubernetes` (the plan's `[kubernetes]`) says.
pub fn traffic_driver_on(
    t: &Traffic,
    admin_token: Option<String>,
    kubernetes: Option<&crate::plan::model::Kubernetes>,
) -> Result<std::sync::Arc<dyn TrafficDriver>> {
    Ok(match t.kind {
        TrafficKind::GatewayApi | TrafficKind::Istio | TrafficKind::KubernetesService => {
            crate::engines::kubernetes::traffic_driver(t, kubernetes)?
                .ok_or_else(|| CutoverError::invalid("plan", "not a Kubernetes traffic kind"))?
        }
        TrafficKind::LmsProxy => std::sync::Arc::new(ProxyTraffic::new(&t.admin_url, admin_token)?),
        TrafficKind::Nginx => {
            let field = |name: &str, v: &Option<String>| {
                v.clone()
                    .ok_or_else(|| CutoverError::invalid("plan", format!("[traffic] kind \"nginx\" needs `{name}`")))
            };
            std::sync::Arc::new(NginxTraffic::new(NginxConfig {
                upstream_file: field("upstream_file", &t.upstream_file)?.into(),
                upstream: field("upstream", &t.upstream)?,
                blue: field("blue", &t.blue)?,
                green: field("green", &t.green)?,
                nginx: t.nginx.clone(),
                config: t.config.clone(),
            })?)
        }
        TrafficKind::Haproxy => {
            let field = |name: &str, v: &Option<String>| {
                v.clone()
                    .ok_or_else(|| CutoverError::invalid("plan", format!("[traffic] kind \"haproxy\" needs `{name}`")))
            };
            std::sync::Arc::new(HaproxyTraffic::new(
                &field("socket", &t.socket)?,
                &field("backend", &t.backend)?,
                &field("blue", &t.blue)?,
                &field("green", &t.green)?,
            )?)
        }
    })
}

/// The local drivers for a resolved plan.
pub fn local_drivers(plan: &Plan, r: &Resolved, dir: &RunDir, demo_accounts: bool) -> Result<Drivers> {
    let token = r.admin_token()?;
    let traffic = traffic_driver_on(&r.traffic, token.clone(), r.kubernetes.as_ref())?;
    let migrate = if r.database.migrate.is_empty() {
        default_migrate(&r.green, &r.database.url, "up")
    } else {
        r.database.migrate.clone()
    };
    let migrate_status = if r.database.migrate_status.is_empty() {
        default_migrate(&r.green, &r.database.url, "status")
    } else {
        r.database.migrate_status.clone()
    };
    let deploy = LocalDeploy::new(
        dir.root.clone(),
        &r.blue,
        &r.green,
        [plan.versions.blue.clone(), plan.versions.green.clone()],
        OWN_VERSION,
    );
    let green_pid = deploy.pid_file(Slot::Green);
    let mut deploy = crate::local::planned_deploy::PlannedDeploy::new(deploy, dir.root.clone(), &r.blue, &r.green);
    if let Some(k) = &r.kubernetes {
        if [&r.blue, &r.green].iter().any(|e| e.deploy == crate::plan::model::DeployKind::Kubernetes) {
            deploy = deploy.with_kubernetes(crate::engines::kubernetes::deploy_driver(k)?);
        }
    }
    Ok(Drivers {
        traffic: Box::new(std::sync::Arc::clone(&traffic)),
        deploy: Box::new(deploy),
        maintenance: Box::new(LocalMaintenance::new(r.maintenance.clone())),
        database: Box::new(LocalDatabase {
            kind: r.database.kind,
            url: r.database.url.clone(),
            backup_dir: PathBuf::from(&r.database.backup_dir),
            min_size_ratio: r.database.min_size_ratio,
            migrate,
            migrate_status,
        }),
        metrics: metrics_driver(r.metrics_source.as_ref(), traffic, green_pid),
        checks: Box::new(LocalChecks::new(&r.database.url, OWN_VERSION).with_admin_token(&r.traffic.admin_url, token)),
        smoke: Box::new(LmsSmoke::new(if demo_accounts {
            Some(SmokeAccounts::demo())
        } else {
            SmokeAccounts::from_env(|n| std::env::var(n).ok())
        })),
        notify: std::sync::Arc::new(LocalNotify::new(
            plan.notify.console,
            r.webhook.clone(),
            plan.notify.webhook_format,
        )),
    })
}

/// The gates' metrics: Prometheus when the plan names it, else the traffic
/// controller's window statistics and green's `/proc`.
fn metrics_driver(
    source: Option<&crate::plan::model::MetricsSource>,
    traffic: std::sync::Arc<dyn crate::drivers::traffic::TrafficDriver>,
    green_pid: PathBuf,
) -> Box<dyn crate::drivers::metrics::MetricsDriver> {
    use crate::local::prometheus::{PrometheusMetrics, Queries};
    match source {
        Some(crate::plan::model::MetricsSource::Prometheus { url, window, queries }) => {
            let d = Queries::default();
            let pick = |given: &Option<String>, default: String| given.clone().unwrap_or(default);
            let q = Queries {
                requests: pick(&queries.requests, d.requests),
                errors: pick(&queries.errors, d.errors),
                failed: pick(&queries.failed, d.failed),
                p95: pick(&queries.p95, d.p95),
                cpu: pick(&queries.cpu, d.cpu),
                memory: pick(&queries.memory, d.memory),
            };
            use crate::units::PlanDuration;
            let window = window.unwrap_or(PlanDuration::minutes(5).unwrap_or(PlanDuration::ZERO));
            Box::new(PrometheusMetrics::new(url, window, q))
        }
        None => Box::new(ProxyProcMetrics::new(traffic, green_pid)),
    }
}

/// Takes the run's controller lock without waiting; `None` when another
/// controller holds it. The lock goes with the returned file.
pub fn try_lock(dir: &RunDir) -> Result<Option<std::fs::File>> {
    let path = dir.lock();
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| CutoverError::JournalIo { path: path.clone(), source })?;
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a descriptor we own; the lock goes with the file.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(Some(file));
    }
    let e = std::io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(None)
    } else {
        Err(CutoverError::JournalIo { path, source: e })
    }
}

/// Whether a controller is running this run now.
pub fn controller_running(dir: &RunDir) -> bool {
    matches!(try_lock(dir), Ok(None))
}

/// Creates `path`'s directory.
pub fn ensure_dir(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|source| CutoverError::JournalIo { path: path.to_path_buf(), source })
}
