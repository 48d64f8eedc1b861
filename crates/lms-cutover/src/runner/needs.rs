//! What a plan needs from the operator's environment before it can run:
//! every `{{env:NAME}}` placeholder, the traffic controller's admin token,
//! and the smoke accounts — whether each is set now, and which steps use
//! it. `lms cutover env PLAN` prints this; `run` refuses to start while a
//! required one is missing.
//!
//! Knows the plan's sections and the variable names; reads the environment
//! only through the function it is given, and never prints a value.

use crate::local::smoke::SMOKE_ROLES;
use crate::plan::{Plan, StepAction};
use crate::runner::context::env_uses;

/// What kind of value a need is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeedKind {
    /// A `{{env:NAME}}` placeholder: read once at start, kept in `run.json`.
    Placeholder,
    /// A secret read when needed and never stored.
    Secret,
    /// A file holding a secret, read when needed.
    SecretFile,
    /// A file read when needed that holds no secret (a CA certificate).
    File,
}

/// One value the plan needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// The variable's name, or the file's path.
    pub name: String,
    /// What it is.
    pub kind: NeedKind,
    /// Set (or, for a file, readable) now.
    pub set: bool,
    /// Required to start the run (some, like a per-role smoke password, have a fallback).
    pub required: bool,
    /// Where the plan uses it (dotted paths) and the steps that read it.
    pub used_in: Vec<String>,
}

/// Every value `plan` needs, as `env` sees it; `demo_accounts` when the
/// smoke suite runs with the `--demo` accounts (a rehearsal).
pub fn needs(plan: &Plan, env: &dyn Fn(&str) -> Option<String>, demo_accounts: bool) -> Vec<Need> {
    let mut out = Vec::new();
    for (name, places) in env_uses(plan) {
        let mut used_in: Vec<String> = places.iter().map(|p| with_steps(plan, p)).collect();
        used_in.dedup();
        out.push(Need { set: env(&name).is_some(), name, kind: NeedKind::Placeholder, required: true, used_in });
    }
    let traffic_steps = with_steps(plan, "traffic");
    if let Some(file) = &plan.traffic.admin_token_file {
        if !file.contains("{{") {
            let readable = std::fs::read_to_string(file).is_ok_and(|t| !t.trim().is_empty());
            out.push(Need {
                name: file.clone(),
                kind: NeedKind::SecretFile,
                set: readable,
                required: true,
                used_in: vec![format!("traffic.admin_token_file: {traffic_steps}, and every rollback")],
            });
        }
    } else if let Some(var) = &plan.traffic.admin_token_env {
        out.push(Need {
            name: var.clone(),
            kind: NeedKind::Secret,
            set: env(var).is_some(),
            required: true,
            used_in: vec![format!("traffic.admin_token_env: {traffic_steps}, and every rollback")],
        });
    }
    out.extend(kubernetes_needs(plan, &traffic_steps));
    let smoke_steps = steps_doing(plan, |a| matches!(a, StepAction::Smoke));
    if !demo_accounts && !plan.smoke.is_empty() && !smoke_steps.is_empty() {
        let used = format!("smoke suite ({})", steps_text(&smoke_steps));
        let shared = env("LMS_SMOKE_PASSWORD").is_some();
        for who in SMOKE_ROLES {
            let email = format!("LMS_SMOKE_{who}_EMAIL");
            out.push(Need {
                set: env(&email).is_some(),
                name: email,
                kind: NeedKind::Placeholder,
                required: true,
                used_in: vec![used.clone()],
            });
            let password = format!("LMS_SMOKE_{who}_PASSWORD");
            out.push(Need {
                set: env(&password).is_some(),
                name: password,
                kind: NeedKind::Secret,
                required: !shared,
                used_in: vec![format!("{used} (or LMS_SMOKE_PASSWORD for all three)")],
            });
        }
        out.push(Need {
            name: "LMS_SMOKE_PASSWORD".into(),
            kind: NeedKind::Secret,
            set: shared,
            required: false,
            used_in: vec![format!("{used}: the password of any role without its own")],
        });
    }
    out
}

/// What a plan on a cluster reads when it acts: the API token file, the
/// CA file of an `https` API server, and the service account's namespace
/// file when `[kubernetes]` names no namespace (paths given as
/// placeholders are listed as those).
fn kubernetes_needs(plan: &Plan, traffic_steps: &str) -> Vec<Need> {
    use crate::plan::kubernetes::{
        IN_CLUSTER_API_SERVER, IN_CLUSTER_CA_FILE, IN_CLUSTER_NAMESPACE_FILE, IN_CLUSTER_TOKEN_FILE,
    };
    use crate::plan::model::DeployKind;
    let deploys =
        [&plan.environments.blue, &plan.environments.green].iter().any(|e| e.deploy == DeployKind::Kubernetes);
    if !plan.traffic.kind.is_kubernetes() && !deploys {
        return Vec::new();
    }
    let mut users = Vec::new();
    if plan.traffic.kind.is_kubernetes() {
        users.push(format!("[traffic] kind \"{}\": {traffic_steps}, and every rollback", plan.traffic.kind.as_str()));
    }
    if deploys {
        let steps = steps_doing(plan, |a| matches!(a, StepAction::DeployGreen));
        users.push(format!("deploy = \"kubernetes\" ({}), stop-green, scale-down-blue", steps_text(&steps)));
    }
    let used = users.join("; ");
    let k = plan.kubernetes.clone().unwrap_or_default();
    let readable = |f: &str| std::fs::read_to_string(f).is_ok_and(|t| !t.trim().is_empty());
    let mut out = Vec::new();
    let mut file = |path: String, kind: NeedKind, what: &str| {
        if !path.contains("{{") {
            out.push(Need {
                set: readable(&path),
                name: path,
                kind,
                required: true,
                used_in: vec![format!("{what}: {used}")],
            });
        }
    };
    file(
        k.token_file.clone().unwrap_or_else(|| IN_CLUSTER_TOKEN_FILE.into()),
        NeedKind::SecretFile,
        "kubernetes.token_file (the API server's bearer token)",
    );
    if k.api_server.as_deref().unwrap_or(IN_CLUSTER_API_SERVER).starts_with("https://") {
        file(
            k.ca_file.clone().unwrap_or_else(|| IN_CLUSTER_CA_FILE.into()),
            NeedKind::File,
            "kubernetes.ca_file (the CA of the API server's certificate)",
        );
    }
    if k.namespace.is_none() {
        file(IN_CLUSTER_NAMESPACE_FILE.into(), NeedKind::File, "the namespace ([kubernetes] names none)");
    }
    out
}

/// The required needs that are not met, for an error before step 1.
pub fn missing(needs: &[Need]) -> Vec<&Need> {
    needs.iter().filter(|n| n.required && !n.set).collect()
}

/// A table for the terminal: one line per need, values never shown.
pub fn render(plan_name: &str, needs: &[Need]) -> String {
    let mut s = format!("{plan_name} needs {} value(s) from the environment:\n\n", needs.len());
    let width = needs.iter().map(|n| n.name.len()).max().unwrap_or(4).max(4);
    s.push_str(&format!("  {:<width$}  {:<8}  {:<12}  USED BY\n", "NAME", "STATUS", "KIND"));
    for n in needs {
        let status = match (n.set, n.required) {
            (true, _) => "set",
            (false, true) => "MISSING",
            (false, false) => "unset",
        };
        let kind = match n.kind {
            NeedKind::Placeholder => "value",
            NeedKind::Secret => "secret",
            NeedKind::SecretFile => "secret file",
            NeedKind::File => "file",
        };
        s.push_str(&format!("  {:<width$}  {status:<8}  {kind:<12}  {}\n", n.name, n.used_in.join("; ")));
    }
    let missing = missing(needs);
    if missing.is_empty() {
        s.push_str("\nEverything required is set.\n");
    } else {
        let names: Vec<&str> = missing.iter().map(|n| n.name.as_str()).collect();
        s.push_str(&format!("\n{} required value(s) missing: {}\n", names.len(), names.join(", ")));
    }
    s.push_str(
        "Values are read once when `run` starts and kept in the run directory (secrets are read when needed, never kept).\n",
    );
    s
}

/// `path` followed by the steps that read that part of the plan.
fn with_steps(plan: &Plan, path: &str) -> String {
    let section = path.split(['.', '[']).collect::<Vec<_>>();
    let uses = |a: &StepAction| -> bool {
        match (section.first().copied(), section.get(1).copied()) {
            (Some("environments"), Some("green")) => {
                matches!(a, StepAction::DeployGreen | StepAction::HealthCheck | StepAction::Migrate)
            }
            (Some("environments"), _) => matches!(a, StepAction::HealthCheck | StepAction::Traffic { .. }),
            (Some("database"), _) => matches!(a, StepAction::Backup | StepAction::Migrate | StepAction::PreChecks),
            (Some("traffic"), _) => matches!(a, StepAction::Traffic { .. } | StepAction::Monitor { .. }),
            (Some("kubernetes"), _) => matches!(a, StepAction::DeployGreen | StepAction::Traffic { .. }),
            (Some("maintenance"), _) => matches!(a, StepAction::MaintenanceOn | StepAction::MaintenanceOff),
            (Some("prechecks"), _) => matches!(a, StepAction::PreChecks),
            (Some("verifications"), _) => matches!(a, StepAction::Validation),
            (Some("notify"), _) => matches!(a, StepAction::Announce { .. }),
            _ => false,
        }
    };
    let steps = steps_doing(plan, uses);
    if steps.is_empty() {
        path.to_string()
    } else {
        format!("{path} ({})", steps_text(&steps))
    }
}

fn steps_doing(plan: &Plan, f: impl Fn(&StepAction) -> bool) -> Vec<u32> {
    plan.steps.iter().filter(|s| f(&s.action)).map(|s| s.n).collect()
}

fn steps_text(steps: &[u32]) -> String {
    let list: Vec<String> = steps.iter().map(u32::to_string).collect();
    format!("step{} {}", if steps.len() == 1 { "" } else { "s" }, list.join(", "))
}
