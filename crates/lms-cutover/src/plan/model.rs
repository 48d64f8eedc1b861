//! The plan as data: every table of the cutover plan as a typed value.
//!
//! These types deserialize from the TOML plan (one section at a time, see
//! `validate`), and hold only values that parsed; rules that relate one part
//! of the plan to another live in `validate`. Nothing here performs IO or
//! knows how a step is carried out.

use chrono::{NaiveDate, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

use crate::units::{Percent, PlanDuration, VersionSpec, Weight};

/// A whole cutover plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// `[plan]`: identity and run-wide settings.
    pub meta: Meta,
    /// `[versions]`: what blue and green must report.
    pub versions: Versions,
    /// `[environments]`: how to reach (and start) blue and green.
    pub environments: Environments,
    /// `[database]`: the shared database.
    pub database: Database,
    /// `[traffic]`: the traffic controller.
    pub traffic: Traffic,
    /// `[kubernetes]`: the API server and the slots' Deployments, for the
    /// Kubernetes traffic kinds and `deploy = "kubernetes"`; absent when
    /// the plan drives nothing on a cluster.
    pub kubernetes: Option<Kubernetes>,
    /// `[monitoring]`: sampling and sufficiency rules of the gates.
    pub monitoring: Monitoring,
    /// `[maintenance]`: the LMS's own maintenance switch (steps 4 and 16).
    pub maintenance: Maintenance,
    /// `[notify]`: where notices go and how often status is posted (10.3).
    pub notify: Notify,
    /// `[window]`: the go-live window (3.1) and backup window (3.2).
    pub window: Window,
    /// `[blackout]`: periods in which no deployment may start (3.3).
    pub blackout: Blackout,
    /// `[war_room]`: bridge, channels, dashboard, protocol (10.1, 10.3).
    pub war_room: WarRoom,
    /// `[[prep]]`: the preparation timeline (4.1).
    pub prep: Vec<PrepItem>,
    /// `[[steps]]`: the cutover night timeline (4.2), in order.
    pub steps: Vec<Step>,
    /// `[[prechecks]]`: the T-24h and T-1h checks (5.1, 5.2).
    pub prechecks: Vec<Check>,
    /// `[[verifications]]`: manual and business verification (7.2, 7.3).
    pub verifications: Vec<Check>,
    /// `[[thresholds]]`: the canary gates (6.6).
    pub thresholds: Vec<Threshold>,
    /// `[[checkpoints]]`: go/no-go checkpoints (8.1-8.3).
    pub checkpoints: Vec<Checkpoint>,
    /// `[[smoke]]`: the automated smoke tests (7.1).
    pub smoke: Vec<SmokeTest>,
    /// `[[success_criteria]]`: 11.1.
    pub success_criteria: Vec<SuccessCriterion>,
    /// `[[definition_of_done]]`: 11.2.
    pub definition_of_done: Vec<DoneItem>,
    /// `[[post_cutover]]`: section 9 checklist.
    pub post_cutover: Vec<ChecklistItem>,
    /// `[[roles]]`: war-room roles (10.2).
    pub roles: Vec<Role>,
    /// `[[contacts]]`: emergency contacts (Appendix A).
    pub contacts: Vec<Contact>,
    /// `[[references]]`: reference documents (Appendix B).
    pub references: Vec<Reference>,
}

/// `[plan]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Document id, e.g. `LMS-PHASE29-CUTOVER-001`.
    pub id: String,
    /// Human title.
    pub title: String,
    /// Plan document version.
    #[serde(default)]
    pub version: Option<String>,
    /// Planned durations (monitoring windows, hold extensions) are divided
    /// by this factor; 1 is real time, rehearsals use e.g. 300 (15 min -> 3 s).
    #[serde(default = "one")]
    pub compression: u32,
    /// Whether checkpoints may decide by themselves when every gate is
    /// green (each checkpoint may override). Production plans say false.
    #[serde(default)]
    pub auto_decisions: bool,
    /// Whether manual steps and manual checks count as confirmed without a
    /// person (rehearsals only).
    #[serde(default)]
    pub auto_confirm_manual: bool,
}

fn one() -> u32 {
    1
}

/// `[versions]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Versions {
    /// What blue must report, e.g. `"2.x"`.
    pub blue: VersionSpec,
    /// What green must report, e.g. `"3.0.0"`.
    pub green: VersionSpec,
}

/// `[environments]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environments {
    /// The current deployment.
    pub blue: Environment,
    /// The new deployment.
    pub green: Environment,
}

/// One deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Base URL the controller uses to reach it directly (not via the proxy).
    pub url: String,
    /// Health path, answered with `{"status","version","database"}`.
    #[serde(default = "default_health")]
    pub health_path: String,
    /// Command that starts it (argv; placeholders allowed). Blue usually
    /// runs already and has none.
    #[serde(default)]
    pub command: Vec<String>,
    /// Extra environment for the command.
    #[serde(default)]
    pub env: std::collections::BTreeMap<String, String>,
    /// How long to wait for readiness after starting.
    #[serde(default = "default_ready_timeout")]
    pub ready_timeout: PlanDuration,
    /// The artifact (binary, image) that must exist before the cutover.
    #[serde(default)]
    pub artifact: Option<String>,
    /// How the slot is deployed (`local-process` by default).
    #[serde(default)]
    pub deploy: DeployKind,
    /// How long a `command` deploy may run before it is stopped and counts
    /// as failed (10 minutes by default).
    #[serde(default)]
    pub deploy_timeout: Option<PlanDuration>,
}

/// How a slot gets deployed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeployKind {
    /// `command` runs as a process the controller keeps (pid file, log,
    /// instance id) and stops on `stop-green`.
    #[default]
    LocalProcess,
    /// `command` deploys the slot elsewhere and exits (Ansible, systemd,
    /// kubectl, a CI job): 0 is success; its output goes to the run's log.
    Command,
    /// The slot runs already (deployed by other means): only its readiness
    /// and version are checked; the controller never starts or stops it.
    External,
    /// A Deployment on a cluster (`[kubernetes.<slot>]`): the controller
    /// sets its image, waits for the rollout from its status, and scales
    /// it to zero only when asked (green on `stop-green`, blue after its
    /// keep-warm time).
    Kubernetes,
}

fn default_health() -> String {
    "/api/health".into()
}

fn default_ready_timeout() -> PlanDuration {
    PlanDuration::seconds(300).unwrap_or(PlanDuration::ZERO)
}

/// Which database engine the LMS runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseKind {
    /// PostgreSQL: backup with `pg_dump -Fc`, verify with `pg_restore --list`.
    Postgres,
    /// SQLite: online backup API, verify with `PRAGMA integrity_check`.
    Sqlite,
}

/// `[database]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// Engine.
    pub kind: DatabaseKind,
    /// Connection URL (placeholders such as `{{env:LMS_DATABASE_URL}}` allowed).
    pub url: String,
    /// Where backups are written and compared with the previous one.
    pub backup_dir: String,
    /// Not read: `validate` refuses it and points to the backup pre-check's
    /// `max_age`, where the age of the automated backup is checked.
    #[serde(default)]
    pub backup_max_age: Option<PlanDuration>,
    /// A new backup smaller than this share of the previous one is suspect.
    #[serde(default)]
    pub min_size_ratio: Option<Percent>,
    /// Migration command (argv); default is the green artifact's `migrate up`.
    #[serde(default)]
    pub migrate: Vec<String>,
    /// Migration status command (argv); default `migrate status`.
    #[serde(default)]
    pub migrate_status: Vec<String>,
}

/// Which engine splits the traffic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrafficKind {
    /// Our own `lms proxy`, through its admin API (`admin_url`).
    #[default]
    LmsProxy,
    /// HAProxy, through its runtime API (`socket`, `backend`, `blue`, `green`).
    Haproxy,
    /// Open-source nginx, through an upstream include file the driver owns
    /// and `nginx -t` / `nginx -s reload` (`upstream_file`, `upstream`,
    /// `blue`, `green`, optional `nginx` and `config`).
    Nginx,
    /// The Gateway API: the weights of an `HTTPRoute`'s `backendRefs`
    /// (`route`, `blue` and `green` Service names).
    #[serde(rename = "gateway-api", alias = "gateway_api")]
    GatewayApi,
    /// Istio: the route weights of a `VirtualService` (`route`, `blue` and
    /// `green` destination hosts or subsets).
    Istio,
    /// A plain Service whose selector is switched between blue's and
    /// green's pods (`service`, `label`, `blue`, `green`): all or nothing.
    #[serde(rename = "kubernetes-service", alias = "kubernetes_service")]
    KubernetesService,
}

impl TrafficKind {
    /// Whether the kind is driven through a Kubernetes API server.
    pub fn is_kubernetes(self) -> bool {
        matches!(self, TrafficKind::GatewayApi | TrafficKind::Istio | TrafficKind::KubernetesService)
    }

    /// The kind as the plan writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            TrafficKind::LmsProxy => "lms_proxy",
            TrafficKind::Haproxy => "haproxy",
            TrafficKind::Nginx => "nginx",
            TrafficKind::GatewayApi => "gateway-api",
            TrafficKind::Istio => "istio",
            TrafficKind::KubernetesService => "kubernetes-service",
        }
    }
}

/// `[traffic]`. Which fields apply depends on `kind`; `validate` refuses
/// the fields of the other kind and reports the missing ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Traffic {
    /// The engine; `lms_proxy` when not written.
    #[serde(default)]
    pub kind: TrafficKind,
    /// `lms_proxy`: the controller's admin API base URL ("" for `haproxy`
    /// and `nginx`).
    #[serde(default)]
    pub admin_url: String,
    /// The public URL users (and smoke tests) go through.
    pub public_url: String,
    /// `haproxy`: the runtime API ("stats socket") address, a UNIX socket
    /// path or `tcp://host:port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub socket: Option<String>,
    /// `haproxy`: the backend holding the blue and green servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    /// `haproxy`: blue's server name in that backend; `nginx`: blue's
    /// server address (`host:port`) in the upstream; `gateway-api`: blue's
    /// Service in the route's backendRefs; `istio`: blue's destination host
    /// or subset; `kubernetes-service`: the selector label's value on
    /// blue's pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blue: Option<String>,
    /// `haproxy`: green's server name in that backend; `nginx`: green's
    /// server address (`host:port`) in the upstream; the Kubernetes kinds:
    /// as for `blue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub green: Option<String>,
    /// `nginx`: the include file holding the upstream block, which the
    /// driver owns and rewrites at every change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_file: Option<String>,
    /// `nginx`: the upstream block's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    /// `nginx`: the nginx binary (`nginx` on PATH when not written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nginx: Option<String>,
    /// `nginx`: the main configuration file, passed with `-c` (nginx's
    /// compiled-in default when not written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// `gateway-api`: the `HTTPRoute`'s name; `istio`: the
    /// `VirtualService`'s name (in `[kubernetes] namespace`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// `kubernetes-service`: the Service users reach, whose selector the
    /// driver switches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// `kubernetes-service`: the selector's label that tells blue's pods
    /// from green's (`slot` when not written); `blue` and `green` are its
    /// values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Environment variable holding the admin token, if any.
    #[serde(default)]
    pub admin_token_env: Option<String>,
    /// File holding the admin token (wins over `admin_token_env`): read
    /// when needed, never copied into the run directory.
    #[serde(default)]
    pub admin_token_file: Option<String>,
}

pub use super::kubernetes::{Kubernetes, KubernetesSlot};

/// `[monitoring.source]`: a metrics system the gates read instead of the
/// traffic controller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "kebab-case")]
pub enum MetricsSource {
    /// Prometheus: one PromQL query per figure (`lms_cutover::local::prometheus`).
    Prometheus {
        /// The server, e.g. `http://prometheus.monitoring:9090`.
        url: String,
        /// The range each rate and increase covers (5 minutes by default).
        #[serde(default)]
        window: Option<PlanDuration>,
        /// Queries that replace the defaults (`{slot}` and `{window}` are filled in).
        #[serde(default)]
        queries: PromQueries,
    },
}

/// `[monitoring.source.queries]`: PromQL replacing a default query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromQueries {
    #[serde(default)]
    pub requests: Option<String>,
    #[serde(default)]
    pub errors: Option<String>,
    #[serde(default)]
    pub failed: Option<String>,
    /// In seconds.
    #[serde(default)]
    pub p95: Option<String>,
    /// A share of the limit, 0..1.
    #[serde(default)]
    pub cpu: Option<String>,
    /// A share of the limit, 0..1.
    #[serde(default)]
    pub memory: Option<String>,
}

/// `[monitoring]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    /// How often gates sample metrics during a window (real time, never compressed).
    pub sample_every: PlanDuration,
    /// Fewer green requests than this in a sample is "insufficient data".
    pub min_green_requests: u64,
    /// How long a HOLD extends monitoring before the checkpoint is asked
    /// again (compressed like the windows).
    pub hold_extension: PlanDuration,
    /// After a rollback, how long blue is watched for its error rate to recover.
    #[serde(default)]
    pub rollback_verify: Option<PlanDuration>,
    /// How long a checkpoint waits for a person's decision (compressed like
    /// the windows) before `on_decision_timeout` is taken by itself; without
    /// it a checkpoint waits until someone decides.
    #[serde(default)]
    pub decision_timeout: Option<PlanDuration>,
    /// What a checkpoint does when nobody decided within `decision_timeout`.
    #[serde(default)]
    pub on_decision_timeout: TimeoutAction,
    /// Synthetic traffic the controller sends through the public URL from
    /// the first traffic step to the end, so the gates have data off-peak.
    #[serde(default)]
    pub synthetic: Option<Synthetic>,
    /// How long a manual step waits for `lms cutover confirm --step`
    /// (compressed like the windows); then it counts as failed: the run
    /// aborts before traffic moved, and rolls back after. Without it a
    /// manual step waits until confirmed.
    #[serde(default)]
    pub manual_timeout: Option<PlanDuration>,
    /// Where the gates read their figures; without it, from the traffic
    /// controller's window statistics and green's `/proc`.
    #[serde(default)]
    pub source: Option<MetricsSource>,
}

/// `[monitoring] synthetic`: requests per second and the paths requested
/// (GET, no credentials: health and other public endpoints).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Synthetic {
    /// Requests per second (0.1 to 1000).
    pub rate: f64,
    /// Paths, each starting with `/`.
    #[serde(default = "synthetic_paths")]
    pub paths: Vec<String>,
}

fn synthetic_paths() -> Vec<String> {
    vec!["/api/health".into()]
}

/// The declared default of a wait that ran out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeoutAction {
    /// Roll back: all traffic to blue (the seed's rule for a hold that expires).
    #[default]
    Rollback,
    /// Hold: keep the split, watch for another `hold_extension`, ask again.
    Hold,
}

/// `[maintenance]`: maintenance mode through the LMS's own switch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Maintenance {
    /// False skips steps 4 and 16 (the seed marks step 4 optional).
    pub enabled: bool,
    /// How to flip the switch.
    pub switch: MaintenanceSwitch,
}

/// How maintenance mode is switched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum MaintenanceSwitch {
    /// `lms maintenance on|off --database-url ...` (argv per direction).
    Cli {
        /// argv to turn it on.
        on: Vec<String>,
        /// argv to turn it off.
        off: Vec<String>,
    },
    /// `PUT {url}` with `{"enabled": true|false}`.
    Http {
        /// e.g. `{{blue_url}}/api/v1/admin/maintenance`.
        url: String,
        /// Environment variable holding an HR admin bearer token.
        #[serde(default)]
        token_env: Option<String>,
    },
}

/// `[notify]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notify {
    /// Print notices on the controller's terminal.
    #[serde(default = "yes")]
    pub console: bool,
    /// POST every notice and war-room event to this URL.
    #[serde(default)]
    pub webhook: Option<String>,
    /// The webhook's payload: `json` (the whole message) or `slack` (a
    /// Slack-compatible `{"text": …}`, also understood by Mattermost and
    /// Rocket.Chat incoming webhooks).
    #[serde(default)]
    pub webhook_format: WebhookFormat,
    /// Status updates during the cutover (10.3: every 15 minutes; real time).
    pub status_every: PlanDuration,
}

/// A webhook's payload format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookFormat {
    /// The message as JSON: `at`, `plan_id`, `run`, `notice`, `text`.
    #[default]
    Json,
    /// `{"text": "…"}` with the plan and run named.
    Slack,
}

fn yes() -> bool {
    true
}

/// `[window]`: the go-live window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// `"weekly"`: the window recurs on `weekday`; `"anytime"`: no window
    /// (rehearsals).
    pub kind: WindowKind,
    /// Day the window opens, e.g. `"Sat"`.
    #[serde(default, with = "weekday_opt")]
    pub weekday: Option<Weekday>,
    /// Opening time (UTC), `"22:00"`.
    #[serde(with = "hhmm")]
    pub start: NaiveTime,
    /// Closing time (UTC), `"02:00"`: earlier than `start` means the next day.
    #[serde(with = "hhmm")]
    pub end: NaiveTime,
    /// The planned date (`"2026-01-10"`); `None` while TBD.
    #[serde(default, with = "date_opt")]
    pub date: Option<NaiveDate>,
    /// The backup window opens this long after the primary (3.2: a week).
    pub backup_after: PlanDuration,
    /// Must be `"UTC"`: every time in the plan is UTC.
    pub timezone: String,
}

/// How the window recurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    /// Every week on the given weekday.
    Weekly,
    /// Whenever (rehearsals on one machine).
    Anytime,
}

/// `[blackout]`: when no deployment may start (3.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Blackout {
    /// Month end: from the first of the last N business days of a month to
    /// the month's last calendar day (payroll). Seed: 3.
    pub month_end_business_days: u32,
    /// Quarter end: the last N business days of the quarter's last month,
    /// computed the same way (financial close).
    pub quarter_end_business_days: u32,
    /// Months that end a quarter (1-12), `[3, 6, 9, 12]`.
    pub quarter_end_months: Vec<u32>,
    /// Public holidays: blocked, and not business days.
    #[serde(default)]
    pub holidays: Vec<Holiday>,
    /// Named business events with date ranges.
    #[serde(default)]
    pub events: Vec<BusinessEvent>,
}

/// A public holiday.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    /// The date, `"2025-12-25"`.
    #[serde(with = "date")]
    pub date: NaiveDate,
    /// Its name.
    pub name: String,
}

/// A named business event during which no deployment may happen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessEvent {
    /// What it is.
    pub name: String,
    /// First day (inclusive).
    #[serde(with = "date")]
    pub from: NaiveDate,
    /// Last day (inclusive).
    #[serde(with = "date")]
    pub to: NaiveDate,
}

/// `[war_room]` (10.1, 10.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarRoom {
    /// Bridge line.
    pub bridge: String,
    /// Chat channel.
    pub chat: String,
    /// Status dashboard.
    pub dashboard: String,
    /// Incident channel.
    pub incident_channel: String,
    /// Communication protocol rules, in order.
    #[serde(default)]
    pub protocol: Vec<String>,
}

/// A preparation item (4.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrepItem {
    /// Before T-0, e.g. `"7d"`.
    pub before: PlanDuration,
    /// Phase name.
    pub phase: String,
    /// Activity.
    pub activity: String,
    /// Owner.
    pub owner: String,
    /// Duration (`"-"` for none).
    pub duration: PlanDuration,
}

/// One step of the cutover night (4.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Step number, 1-based, consecutive.
    pub n: u32,
    /// Planned clock time (UTC), `"22:15"`.
    #[serde(with = "hhmm")]
    pub at: NaiveTime,
    /// What happens.
    pub activity: String,
    /// Who owns it (a role).
    pub owner: String,
    /// Estimated duration (`"-"` for none).
    pub duration: PlanDuration,
    /// What the engine does for it.
    #[serde(rename = "do")]
    pub action: StepAction,
    /// A failure of an optional step is recorded and the run goes on (the
    /// seed's step 4, "Enable maintenance mode (optional)"). Allowed only on
    /// steps whose failure leaves nothing unsafe: announcements, manual
    /// steps, maintenance on.
    #[serde(default)]
    pub optional: bool,
}

/// What the engine does for a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum StepAction {
    /// Post a notice (war room opens, communications, war room closes).
    Announce {
        /// The notice.
        message: String,
    },
    /// A person confirms the step is done.
    Manual,
    /// Run the pre-checks of 5.1 and 5.2.
    PreChecks,
    /// Back up the database and verify the backup.
    Backup,
    /// Turn maintenance mode on.
    MaintenanceOn,
    /// Run the green artifact's migrations, then the compatibility check against blue.
    Migrate,
    /// Start green and wait until ready.
    DeployGreen,
    /// Check green's health and version.
    HealthCheck,
    /// Move traffic: `green` percent to green.
    Traffic {
        /// Green's share after this step.
        green: Weight,
    },
    /// Watch the gates for a window.
    Monitor {
        /// Window length (compressed by `plan.compression`).
        window: PlanDuration,
    },
    /// A go/no-go checkpoint.
    Checkpoint {
        /// Which checkpoint (`[[checkpoints]] n`).
        checkpoint: u32,
    },
    /// Post-deployment validation: the verifications of 7.2 and 7.3.
    Validation,
    /// Turn maintenance mode off.
    MaintenanceOff,
    /// Run the smoke suite through the public URL.
    Smoke,
    /// Run a command to completion — the seed's `kubectl` lines, a script,
    /// a playbook: exit `expect_exit` (0) within `timeout` (10 minutes) is
    /// success; its output goes to `<run_dir>/logs/step-<n>.log` and its
    /// last lines to the journal. Placeholders are resolved in `argv`.
    Command {
        /// The command and its arguments.
        argv: Vec<String>,
        /// Extra environment.
        #[serde(default)]
        env: std::collections::BTreeMap<String, String>,
        /// How long it may run before it is stopped and counts as failed.
        #[serde(default)]
        timeout: Option<PlanDuration>,
        /// The exit code that means success (0 when not written).
        #[serde(default)]
        expect_exit: Option<i32>,
    },
}

impl StepAction {
    /// Short name used in messages and the journal.
    pub fn name(&self) -> &'static str {
        match self {
            StepAction::Announce { .. } => "announce",
            StepAction::Manual => "manual",
            StepAction::PreChecks => "pre_checks",
            StepAction::Backup => "backup",
            StepAction::MaintenanceOn => "maintenance_on",
            StepAction::Migrate => "migrate",
            StepAction::DeployGreen => "deploy_green",
            StepAction::HealthCheck => "health_check",
            StepAction::Traffic { .. } => "traffic",
            StepAction::Monitor { .. } => "monitor",
            StepAction::Checkpoint { .. } => "checkpoint",
            StepAction::Validation => "validation",
            StepAction::MaintenanceOff => "maintenance_off",
            StepAction::Smoke => "smoke",
            StepAction::Command { .. } => "command",
        }
    }
}

/// When a check is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStage {
    /// T-24 hours (5.1).
    #[serde(rename = "T-24h")]
    TMinus24h,
    /// T-1 hour, pre-cutover (5.2).
    #[serde(rename = "T-1h")]
    TMinus1h,
    /// Manual verification after deployment (7.2).
    Manual,
    /// Business verification after deployment (7.3).
    Business,
}

/// A check: pre-check or verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// Stage it belongs to.
    pub stage: CheckStage,
    /// Number within its stage.
    pub n: u32,
    /// What is checked.
    pub check: String,
    /// Command or action, as the seed words it.
    #[serde(default)]
    pub action: Option<String>,
    /// Expected result, as the seed words it.
    #[serde(default)]
    pub expected: Option<String>,
    /// Owner (a role).
    pub owner: String,
    /// How the engine checks it.
    pub probe: Probe,
    /// A failing required pre-check stops the cutover.
    #[serde(default = "yes")]
    pub required: bool,
}

impl Check {
    /// Stable id, e.g. `T-1h#2`.
    pub fn id(&self) -> String {
        let stage = match self.stage {
            CheckStage::TMinus24h => "T-24h",
            CheckStage::TMinus1h => "T-1h",
            CheckStage::Manual => "manual",
            CheckStage::Business => "business",
        };
        format!("{stage}#{}", self.n)
    }
}

/// A typed check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Probe {
    /// An HTTP request and what its answer must be.
    Http {
        /// URL (placeholders allowed).
        url: String,
        /// Expected status code.
        #[serde(default = "ok_status")]
        expect_status: u16,
        /// Expected `version` in a JSON body.
        #[serde(default)]
        expect_version: Option<VersionSpec>,
        /// Expected `status` in a JSON body, e.g. `"healthy"`.
        #[serde(default)]
        expect_health: Option<String>,
    },
    /// A SQL statement that must succeed (`SELECT 1`).
    Sql {
        /// The statement.
        query: String,
    },
    /// A command and its expected exit code.
    Command {
        /// argv.
        argv: Vec<String>,
        /// Expected exit code.
        #[serde(default)]
        expect_exit: i32,
    },
    /// A file or artifact must be present (and, for a directory, its newest
    /// entry younger than `max_age`).
    File {
        /// The path.
        path: String,
        /// Maximum age.
        #[serde(default)]
        max_age: Option<PlanDuration>,
    },
    /// A TLS certificate valid for the host, at least `min_days` left.
    Tls {
        /// Host name.
        host: String,
        /// Port.
        #[serde(default = "tls_port")]
        port: u16,
        /// Minimum days to expiry.
        min_days: u32,
        /// PEM file of the CA(s) that issue the certificate (an internal CA);
        /// without it the web PKI roots are used.
        #[serde(default)]
        ca_file: Option<String>,
    },
    /// A person confirms.
    Manual,
}

fn ok_status() -> u16 {
    200
}

fn tls_port() -> u16 {
    443
}

/// Which metric a threshold watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Share of green's requests answered with a 5xx.
    ErrorRate,
    /// Green's 95th percentile response time.
    P95Latency,
    /// CPU utilisation of green's processes.
    Cpu,
    /// Memory utilisation of green's processes.
    Memory,
    /// Share of green's requests that got no answer (connect error, timeout, reset).
    FailedRequests,
}

impl Metric {
    /// Whether the limit is a duration (else a percentage).
    pub fn is_latency(self) -> bool {
        matches!(self, Metric::P95Latency)
    }
}

/// What to do when a threshold is breached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateAction {
    /// Roll back at once.
    Rollback,
    /// Alert, and force the next checkpoint to HOLD unless overridden.
    Investigate,
}

/// The limit a metric must stay below.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Limit {
    /// For rates and utilisation.
    Percent(Percent),
    /// For latency.
    Duration(PlanDuration),
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Limit::Percent(p) => write!(f, "{p}"),
            Limit::Duration(d) => write!(f, "{d}"),
        }
    }
}

/// A gate (6.6): `metric` must stay below `below`, else `action`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// The metric.
    pub metric: Metric,
    /// The limit, written `"1%"` or `"500ms"`.
    #[serde(deserialize_with = "limit")]
    pub below: Limit,
    /// What a breach does.
    pub action: GateAction,
    /// The seed's wording of the action ("Investigate, consider rollback").
    #[serde(default)]
    pub note: Option<String>,
}

/// A checkpoint decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Go on to the next traffic step.
    Proceed,
    /// Keep the weights; extend monitoring until the next decision.
    Hold,
    /// All traffic back to blue.
    Rollback,
    /// Final checkpoint: declare go-live.
    GoLiveConfirmed,
    /// Final checkpoint: keep watching (a hold).
    ExtendedMonitoring,
}

impl Decision {
    /// Proceed-like decisions move the cutover forward.
    pub fn is_forward(self) -> bool {
        matches!(self, Decision::Proceed | Decision::GoLiveConfirmed)
    }

    /// Hold-like decisions keep weights and extend monitoring.
    pub fn is_hold(self) -> bool {
        matches!(self, Decision::Hold | Decision::ExtendedMonitoring)
    }

    /// The seed's wording.
    pub fn label(self) -> &'static str {
        match self {
            Decision::Proceed => "PROCEED",
            Decision::Hold => "HOLD",
            Decision::Rollback => "ROLLBACK",
            Decision::GoLiveConfirmed => "GO-LIVE CONFIRMED",
            Decision::ExtendedMonitoring => "EXTENDED MONITORING",
        }
    }
}

impl std::str::FromStr for Decision {
    type Err = crate::error::CutoverError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Ok(match norm.as_str() {
            "proceed" => Decision::Proceed,
            "hold" => Decision::Hold,
            "rollback" => Decision::Rollback,
            "go_live_confirmed" | "go_live" | "confirm" => Decision::GoLiveConfirmed,
            "extended_monitoring" | "extend" => Decision::ExtendedMonitoring,
            _ => {
                return Err(crate::error::CutoverError::invalid(
                    "decision",
                    format!("{s:?}: use proceed, hold, rollback, go-live-confirmed or extended-monitoring"),
                ))
            }
        })
    }
}

/// What a checkpoint question is answered from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Error-rate and failed-request gates.
    ErrorRate,
    /// p95 gate.
    ResponseTime,
    /// p95, CPU and memory gates together.
    Performance,
    /// Alerts raised since the previous checkpoint.
    CriticalAlerts,
    /// Smoke results.
    SmokeTests,
    /// Business verification results (7.3).
    BusinessValidation,
    /// Every gate.
    Monitoring,
    /// Only a person can answer (consensus, user reports, readiness).
    Person,
}

/// What a "no" (or, for alert questions, a "yes") answer leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consequence {
    /// Roll back.
    Rollback,
    /// Hold / extended monitoring.
    Hold,
    /// Investigate (treated as hold).
    Investigate,
}

/// A checkpoint question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// As the seed words it.
    pub text: String,
    /// Where the answer comes from.
    pub measure: Measure,
    /// The answer that is good: `true` for "acceptable?", `false` for "any alerts?".
    #[serde(default = "yes")]
    pub good_answer: bool,
    /// The seed's action column, e.g. `"Continue/Rollback"`.
    pub action: String,
    /// What the bad answer leads to.
    pub if_bad: Consequence,
}

/// A go/no-go checkpoint (8.x).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// Number (1, 2, 3).
    pub n: u32,
    /// Title, e.g. `"Checkpoint #1 (After Canary 10%)"`.
    pub name: String,
    /// The questions.
    pub questions: Vec<Question>,
    /// Allowed decisions.
    pub decisions: Vec<Decision>,
    /// The label of the forward decision, e.g. `"PROCEED TO 50%"`.
    #[serde(default)]
    pub forward_label: Option<String>,
    /// Overrides `plan.auto_decisions` for this checkpoint.
    #[serde(default)]
    pub auto: Option<bool>,
}

impl Checkpoint {
    /// Whether this is a final checkpoint (GO-LIVE / EXTENDED MONITORING).
    pub fn is_final(&self) -> bool {
        self.decisions.contains(&Decision::GoLiveConfirmed)
    }
}

/// A smoke test (7.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmokeTest {
    /// `SMOKE-001` ... `SMOKE-010`.
    pub id: String,
    /// Test case.
    pub case: String,
    /// Expected result.
    pub expected: String,
    /// Safe to run against blue after migrating (compatibility check).
    #[serde(default)]
    pub read_only: bool,
}

/// How a success criterion is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// The run ended within the window.
    WithinWindow,
    /// No rollback-gate breach and no critical alert.
    ZeroCriticalErrors,
    /// Every smoke test passed.
    SmokePass,
    /// Business verification signed off.
    BusinessSignoff,
    /// No rollback happened.
    NoRollback,
    /// Green carries all traffic.
    FullTrafficOnGreen,
    /// Gates healthy at the final checkpoint.
    MonitoringHealthy,
    /// A checklist item (by its `id`) was done.
    Checklist,
    /// A person confirms.
    Person,
}

/// 11.1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuccessCriterion {
    /// Criteria.
    pub criterion: String,
    /// Target.
    pub target: String,
    /// Measurement.
    pub measurement: String,
    /// How the report decides it.
    pub evidence: Evidence,
}

/// 11.2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoneItem {
    /// The item.
    pub item: String,
    /// How the report decides it.
    pub evidence: Evidence,
    /// For [`Evidence::Checklist`]: the checklist item's id.
    #[serde(default)]
    pub checklist: Option<String>,
}

/// When a post-cutover item is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Due {
    /// Within an hour of go-live (9.1).
    Immediate,
    /// The next business day (9.2).
    NextBusinessDay,
}

/// How a checklist item gets done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Performer {
    /// A person ticks it (recorded with who).
    Manual,
    /// The engine POSTs JSON to a webhook.
    Webhook {
        /// The URL.
        url: String,
    },
}

/// A post-cutover activity (9).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    /// Stable id, e.g. `"golive-confirmation"`.
    pub id: String,
    /// The activity.
    pub item: String,
    /// When it is due.
    pub due: Due,
    /// Owner (a role).
    pub owner: String,
    /// Who or what performs it.
    pub by: Performer,
}

/// A war-room role (10.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// Role name.
    pub role: String,
    /// Person ("" while unassigned).
    #[serde(default)]
    pub name: String,
    /// Responsibility.
    pub responsibility: String,
    /// Short names used as owners in tables ("Release Mgr").
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// An emergency contact (Appendix A).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Role.
    pub role: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Phone.
    #[serde(default)]
    pub phone: String,
    /// Email.
    #[serde(default)]
    pub email: String,
}

/// A reference document (Appendix B).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// Document.
    pub document: String,
    /// Location.
    pub location: String,
}

fn limit<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Limit, D::Error> {
    let s = String::deserialize(d)?;
    if s.trim().ends_with('%') {
        s.parse::<Percent>().map(Limit::Percent).map_err(serde::de::Error::custom)
    } else {
        s.parse::<PlanDuration>().map(Limit::Duration).map_err(|_| {
            serde::de::Error::custom(format!("{s:?} is neither a percentage (\"1%\") nor a duration (\"500ms\")"))
        })
    }
}

mod hhmm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let s = String::deserialize(d)?;
        NaiveTime::parse_from_str(s.trim(), "%H:%M")
            .map_err(|_| serde::de::Error::custom(format!("{s:?} is not a time like \"22:00\"")))
    }

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%H:%M").to_string())
    }
}

mod date {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let s = String::deserialize(d)?;
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| serde::de::Error::custom(format!("{s:?} is not a date like \"2026-01-10\"")))
    }

    pub fn serialize<S: Serializer>(t: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%Y-%m-%d").to_string())
    }
}

mod date_opt {
    use chrono::NaiveDate;
    use serde::{Deserializer, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        super::date::deserialize(d).map(Some)
    }

    pub fn serialize<S: Serializer>(t: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::date::serialize(t, s),
            None => s.serialize_none(),
        }
    }
}

mod weekday_opt {
    use chrono::Weekday;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Weekday>, D::Error> {
        let s = String::deserialize(d)?;
        s.trim()
            .parse::<Weekday>()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("{s:?} is not a weekday like \"Sat\"")))
    }

    pub fn serialize<S: Serializer>(t: &Option<Weekday>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&t.to_string()),
            None => s.serialize_none(),
        }
    }
}
