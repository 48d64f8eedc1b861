//! What the runner does for each action: one driver call (or a wait) and
//! the result event to journal. Driver errors become failed outcomes (the
//! engine decides what a failure means); only journal errors stop the
//! runner.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::drivers::{Message, ProbeOutcome};
use crate::engine::{Action, CheckSet, DecisionInput, Event, Notice};
use crate::error::Result;
use crate::local::{health, http_client};
use crate::observe::{CheckResult, HealthReport, MetricsSample, Outcome};
use crate::plan::model::{Decision, Metric, TrafficKind};
use crate::runner::grants;
use crate::runner::inbox::{self, Answer, Request};
use crate::runner::Runner;
use crate::units::{Slot, VersionSpec};

const POLL: Duration = Duration::from_millis(100);
/// First delay between rollback attempts; doubles up to [`ROLLBACK_MAX_RETRY`].
const ROLLBACK_FIRST_RETRY: Duration = Duration::from_millis(100);
const ROLLBACK_MAX_RETRY: Duration = Duration::from_secs(5);

impl Runner {
    /// Performs one action; `None` when it only waited and something else
    /// (a decision, a rollback request) was journaled meanwhile.
    pub(crate) async fn act(&mut self, action: Action) -> Result<Option<Event>> {
        let own = self.state.own_version.clone();
        Ok(Some(match action {
            Action::Notify { step, notice } => {
                let ok = self.notify(notice.clone()).await;
                Event::Notified { step, notice, ok }
            }
            Action::AwaitManual { step, activity, owner, auto_confirm, expires_at } => {
                let by = if auto_confirm {
                    Some("auto (plan confirms manual steps)".to_string())
                } else {
                    self.opts.operator.clone()
                };
                match by {
                    Some(by) => Event::ManualConfirmed { step, by, note: None },
                    None => {
                        self.observer.note(&format!(
                            "step {step} ({activity}) waits for {owner}: lms cutover confirm --run {} --step {step} --by NAME{}",
                            self.dir.root.display(),
                            expires_at.map_or_else(String::new, |t| format!(
                                " — by {} UTC, or the step fails",
                                t.format("%H:%M:%S")
                            ))
                        ));
                        while !self.state.step_done(step) {
                            if self.poll_inbox(Utc::now()).await? {
                                return Ok(None);
                            }
                            if expires_at.is_some_and(|t| Utc::now() >= t) {
                                let waited = self
                                    .engine
                                    .plan()
                                    .monitoring
                                    .manual_timeout
                                    .map_or_else(String::new, |t| t.to_string());
                                return Ok(Some(Event::StepExpired { step, waited }));
                            }
                            tokio::time::sleep(POLL).await;
                        }
                        return Ok(None);
                    }
                }
            }
            Action::RunChecks { step, set, checks, auto_confirm_manual } => {
                let results = self.run_checks(set, &checks, auto_confirm_manual).await;
                Event::ChecksFinished { step, set, results }
            }
            Action::Backup { step } => match self.drivers.database.backup().await {
                Ok(r) => Event::BackupFinished {
                    step,
                    outcome: Outcome::ok(format!("{} ({} bytes, {})", r.artifact, r.size_bytes, r.verification)),
                    report: Some(r),
                },
                Err(e) => Event::BackupFinished { step, outcome: Outcome::failed(e.to_string()), report: None },
            },
            Action::RunCommand { step, timeout, expect_exit, .. } => {
                let outcome = self.run_step_command(step, timeout.to_std(), expect_exit).await;
                Event::CommandFinished { step, outcome }
            }
            Action::MaintenanceOn { step } => {
                let outcome =
                    self.drivers.maintenance.set(true).await.unwrap_or_else(|e| Outcome::failed(e.to_string()));
                Event::MaintenanceSet { step: Some(step), enabled: true, outcome }
            }
            Action::MaintenanceOff { step } => {
                let outcome =
                    self.drivers.maintenance.set(false).await.unwrap_or_else(|e| Outcome::failed(e.to_string()));
                Event::MaintenanceSet { step, enabled: false, outcome }
            }
            Action::Migrate { step } => match self.drivers.database.migrate().await {
                Ok(r) if r.pending.is_empty() => Event::MigrationFinished {
                    step,
                    outcome: Outcome::ok(format!("{} applied, none pending", r.applied.len())),
                    report: Some(r),
                },
                Ok(r) => Event::MigrationFinished {
                    step,
                    outcome: Outcome::failed(format!("still pending: {}", r.pending.join(", "))),
                    report: Some(r),
                },
                Err(e) => Event::MigrationFinished { step, outcome: Outcome::failed(e.to_string()), report: None },
            },
            Action::CompatibilityCheck { step, smoke, expect } => {
                let health = self.health(Slot::Blue, &expect, &own).await;
                let blue_url = self.resolved.blue.url.clone();
                let smoke = self.smoke(&blue_url, &smoke).await;
                Event::CompatibilityFinished { step, health, smoke }
            }
            Action::DeployGreen { step } => {
                let green = self.resolved.green.clone();
                let outcome = match self.drivers.deploy.start(Slot::Green, &green).await {
                    Ok(started) => match self.drivers.deploy.wait_ready(Slot::Green, green.ready_timeout).await {
                        Ok(h) if h.healthy => Outcome::ok(format!("{}; {}", started.detail, h.detail)),
                        Ok(h) => Outcome::failed(format!("{}; {}", started.detail, h.detail)),
                        Err(e) => Outcome::failed(e.to_string()),
                    },
                    Err(e) => Outcome::failed(e.to_string()),
                };
                Event::GreenDeployed { step, outcome }
            }
            Action::HealthCheck { step, slot, expect } => {
                Event::HealthChecked { step, report: self.health(slot, &expect, &own).await }
            }
            Action::SetWeights { step, weights, .. } => {
                let outcome = match self.drivers.traffic.set_weights(weights).await {
                    Ok(s) if s.weights == weights => Outcome::ok(format!("proxy reports {}", s.weights)),
                    Ok(s) => Outcome::failed(format!("asked for {weights}, proxy reports {}", s.weights)),
                    Err(e) => Outcome::failed(e.to_string()),
                };
                Event::WeightsSet { step, weights, outcome }
            }
            Action::Monitor { step, sample_at, .. } => {
                if self.wait_until(sample_at, None).await? {
                    return Ok(None);
                }
                Event::Sampled { step, sample: self.sample().await }
            }
            Action::AwaitCheckpoint { step, prompt, sample_at, auto, .. } => {
                if let Some(record) = auto {
                    Event::Decided { record }
                } else {
                    if self.wait_until(sample_at, Some(prompt.checkpoint)).await? {
                        return Ok(None);
                    }
                    Event::Sampled { step, sample: self.sample().await }
                }
            }
            Action::RunSmoke { step, tests } => {
                let url = self.resolved.traffic.public_url.clone();
                let results = self.smoke(&url, &tests).await;
                Event::SmokeFinished { step, results }
            }
            Action::Rollback { .. } => self.rollback_until_done().await?,
            Action::VerifyBlue { within, expect } => {
                tokio::time::sleep(within.to_std()).await;
                let h = self.health(Slot::Blue, &expect, &own).await;
                let limit = self
                    .engine
                    .plan()
                    .thresholds
                    .iter()
                    .find(|t| t.metric == Metric::ErrorRate)
                    .map_or("1%".to_string(), |t| t.below.to_string());
                let outcome = match self.drivers.metrics.backends().await {
                    Ok(w) => {
                        let rate = w.blue.error_rate();
                        let limit_v: f64 = limit.trim_end_matches('%').parse().unwrap_or(1.0);
                        let recovered = rate.is_none_or(|r| r.value() < limit_v);
                        let text = format!(
                            "{}; blue error rate {} over {} request(s) in the proxy window (limit {limit})",
                            h.detail,
                            rate.map_or("n/a".into(), |r| r.to_string()),
                            w.blue.requests
                        );
                        if h.healthy && recovered {
                            Outcome::ok(text)
                        } else {
                            Outcome::failed(text)
                        }
                    }
                    Err(e) => Outcome::failed(format!("{}; {e}", h.detail)),
                };
                Event::BlueVerified { outcome }
            }
            Action::ChecklistWebhook { id, url } => {
                // The plan's text may hold placeholders: use the run's resolved URL.
                let url = self
                    .resolved
                    .post_cutover
                    .iter()
                    .find(|c| c.id == id)
                    .and_then(|c| match &c.by {
                        crate::plan::model::Performer::Webhook { url } => Some(url.clone()),
                        crate::plan::model::Performer::Manual => None,
                    })
                    .unwrap_or(url);
                let body = serde_json::json!({
                    "item": id,
                    "plan": self.engine.plan().meta.id,
                    "run": self.dir.run_id(),
                    "at": Utc::now(),
                });
                let outcome = match self.drivers.notify.post_json(&url, &body).await {
                    Ok(()) => Outcome::ok(format!("POST {url}")),
                    Err(e) => Outcome::failed(e.to_string()),
                };
                Event::ChecklistDone { id, by: "webhook".into(), outcome }
            }
            Action::Complete { verdict } => Event::RunCompleted { verdict },
        }))
    }

    /// Sends all traffic to blue, retrying with capped exponential back-off
    /// until the traffic controller confirms it. Journals one record per
    /// change of what fails (not per attempt), alerts every notifier and
    /// tells the console what fails and what can be done by hand.
    async fn rollback_until_done(&mut self) -> Result<Event> {
        let started = std::time::Instant::now();
        let mut delay = ROLLBACK_FIRST_RETRY;
        let mut last_error: Option<String> = None;
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let error = match self.drivers.traffic.rollback().await {
                Ok(s) if s.weights.green_weight().get() == 0 => {
                    let detail = if attempts == 1 {
                        format!("{} reports {}", self.drivers.traffic.name(), s.weights)
                    } else {
                        format!(
                            "{} reports {} after {attempts} attempts over {:.1} s",
                            self.drivers.traffic.name(),
                            s.weights,
                            started.elapsed().as_secs_f64()
                        )
                    };
                    return Ok(Event::RolledBack { outcome: Outcome::ok(detail) });
                }
                Ok(s) => format!("{} still reports {}", self.drivers.traffic.name(), s.weights),
                Err(e) => e.to_string(),
            };
            if last_error.as_deref() != Some(error.as_str()) {
                let t = &self.resolved.traffic;
                let by_hand = match t.kind {
                    TrafficKind::LmsProxy => format!(
                        "send all traffic to blue on the traffic controller itself (for lms proxy: curl -X POST -H 'content-type: application/json' -d '{{\"backend\":\"blue\"}}' {}/rollback, with its admin token); this controller keeps retrying",
                        t.admin_url
                    ),
                    TrafficKind::Nginx => {
                        let of = |v: &Option<String>| v.clone().unwrap_or_default();
                        let nginx = t.nginx.clone().unwrap_or_else(|| "nginx".into());
                        let c = t.config.as_ref().map(|c| format!(" -c {c}")).unwrap_or_default();
                        format!(
                            "send all traffic to blue on nginx itself: write `upstream {} {{ server {} weight=100; server {} down; }}` into {}, then {nginx}{c} -t && {nginx}{c} -s reload; this controller keeps retrying",
                            of(&t.upstream),
                            of(&t.blue),
                            of(&t.green),
                            of(&t.upstream_file)
                        )
                    }
                    TrafficKind::GatewayApi | TrafficKind::Istio | TrafficKind::KubernetesService => {
                        crate::engines::kubernetes::by_hand_rollback(t, self.resolved.kubernetes.as_ref())
                    }
                    TrafficKind::Haproxy => {
                        let of = |v: &Option<String>| v.clone().unwrap_or_default();
                        let (b, blue, green) = (of(&t.backend), of(&t.blue), of(&t.green));
                        let socket = of(&t.socket);
                        let socat = socket.strip_prefix("tcp://").map_or(socket.clone(), |hp| format!("TCP:{hp}"));
                        format!(
                            "send all traffic to blue on HAProxy itself: echo 'set server {b}/{blue} weight 100; set server {b}/{green} weight 0' | socat stdio {socat}; this controller keeps retrying"
                        )
                    }
                };
                self.observer.note(&format!(
                    "ROLLBACK FAILING (attempt {attempts}): {error}. Retrying every ≤ {} s. By hand: {by_hand}",
                    ROLLBACK_MAX_RETRY.as_secs()
                ));
                self.record(Event::RollbackRetrying {
                    attempt: attempts,
                    error: error.clone(),
                    next_in_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                })?;
                let notice = Notice::RollbackFailing { error: error.clone(), attempts, by_hand };
                let ok = self.notify(notice.clone()).await;
                self.record(Event::Notified { step: None, notice, ok })?;
                last_error = Some(error);
            }
            let until = Utc::now() + chrono::TimeDelta::from_std(delay).unwrap_or_default();
            while Utc::now() < until {
                self.poll_inbox(Utc::now()).await?;
                tokio::time::sleep(POLL.min(delay)).await;
            }
            delay = (delay * 2).min(ROLLBACK_MAX_RETRY);
        }
    }

    pub(crate) async fn health(&self, slot: Slot, expect: &VersionSpec, own: &str) -> HealthReport {
        let client = http_client(Duration::from_secs(5));
        health::check(&client, &self.resolved.health_url(slot), slot, expect, own).await
    }

    /// Runs smoke tests; a driver error fails each of them with its reason.
    async fn smoke(&self, url: &str, ids: &[String]) -> Vec<crate::observe::SmokeResult> {
        match self.drivers.smoke.run(url, ids).await {
            Ok(r) => r,
            Err(e) => ids
                .iter()
                .map(|id| crate::observe::SmokeResult {
                    id: id.clone(),
                    passed: false,
                    detail: e.to_string(),
                    elapsed_ms: 0,
                })
                .collect(),
        }
    }

    async fn sample(&self) -> MetricsSample {
        let at = Utc::now();
        // The weights actually in force, read back at every sample: a
        // restarted or hand-changed controller shows as drift.
        let actual = self.drivers.traffic.state().await.ok().map(|s| s.weights);
        match self.drivers.metrics.sample(at, actual).await {
            Ok(s) => s,
            Err(e) => {
                self.observer.note(&format!("metrics unavailable ({e}): recorded as no data"));
                MetricsSample {
                    at,
                    weights: None,
                    blue: Default::default(),
                    green: Default::default(),
                    green_resources: None,
                    queries: Vec::new(),
                }
            }
        }
    }

    pub(crate) async fn notify(&self, notice: Notice) -> bool {
        let text = match &notice {
            Notice::Announce { message } => message.clone(),
            Notice::Status { summary } => format!("STATUS {summary}"),
            Notice::Alert { metric, value, limit, .. } => {
                format!("ALERT {metric:?} at {value} (limit {limit}): investigate; the next checkpoint holds unless overridden")
            }
            Notice::WeightsDrift { expected, actual, .. } => format!(
                "ALERT WEIGHTS DRIFT: the traffic controller reports {actual}, the run set {expected}; the next checkpoint holds"
            ),
            Notice::RollbackFailing { error, attempts, by_hand } => {
                format!("ALERT ROLLBACK FAILING after {attempts} attempt(s): {error}. By hand: {by_hand}")
            }
            Notice::WarRoom { text, .. } => text.clone(),
        };
        let msg = Message {
            at: Utc::now(),
            plan_id: self.engine.plan().meta.id.clone(),
            run: self.dir.run_id(),
            notice,
            text,
        };
        match self.drivers.notify.send(&msg).await {
            Ok(()) => true,
            Err(e) => {
                self.observer.note(&format!("notice not delivered: {e}"));
                false
            }
        }
    }

    /// Runs step `step`'s command; its output goes to `logs/step-<n>.log`.
    async fn run_step_command(&self, step: u32, limit: Duration, expect_exit: i32) -> Outcome {
        let Some((argv, env)) = self.resolved.step_commands.get(&step) else {
            return Outcome::failed(format!("step {step} has no command"));
        };
        let log = self.dir.root.join("logs").join(format!("step-{step}.log"));
        match crate::local::command::run(argv, env, limit, &log).await {
            Ok(done) if done.code == Some(expect_exit) => Outcome::ok(format!(
                "`{}` exited {}: {} (all of it in {})",
                argv.join(" "),
                done.code_text(),
                done.tail,
                log.display()
            )),
            Ok(done) => Outcome::failed(format!(
                "`{}` exited {} (expected {expect_exit}): {} (all of it in {})",
                argv.join(" "),
                done.code_text(),
                done.tail,
                log.display()
            )),
            Err(e) => Outcome::failed(e),
        }
    }

    async fn run_checks(&self, set: CheckSet, ids: &[String], auto: bool) -> Vec<CheckResult> {
        let checks = match set {
            CheckSet::PreCutover => &self.resolved.prechecks,
            CheckSet::PostDeployment => &self.resolved.verifications,
        };
        let mut out = Vec::new();
        for id in ids {
            let Some(check) = checks.iter().find(|c| &c.id() == id) else {
                out.push(CheckResult { id: id.clone(), passed: false, detail: "not in the plan".into(), by: None });
                continue;
            };
            let r = match self.drivers.checks.run(&check.probe).await {
                Ok(ProbeOutcome::Done(o)) => CheckResult { id: id.clone(), passed: o.ok, detail: o.detail, by: None },
                Ok(ProbeOutcome::NeedsPerson) if auto => CheckResult {
                    id: id.clone(),
                    passed: true,
                    detail: "manual; confirmed by the plan (rehearsal)".into(),
                    by: Some("auto".into()),
                },
                Ok(ProbeOutcome::NeedsPerson) => match &self.opts.operator {
                    Some(by) => CheckResult {
                        id: id.clone(),
                        passed: true,
                        detail: format!("manual; confirmed by {by} (--by)"),
                        by: Some(by.clone()),
                    },
                    None => CheckResult {
                        id: id.clone(),
                        passed: false,
                        detail:
                            "manual check not confirmed: start the controller with --by NAME to confirm manual checks"
                                .into(),
                        by: None,
                    },
                },
                Err(e) => CheckResult { id: id.clone(), passed: false, detail: e.to_string(), by: None },
            };
            out.push(r);
        }
        out
    }

    /// Waits until `at`, reading the inbox (and, at a checkpoint, the
    /// terminal). Returns true when a request was journaled meanwhile.
    async fn wait_until(&mut self, at: DateTime<Utc>, checkpoint: Option<u32>) -> Result<bool> {
        loop {
            if self.poll_inbox(Utc::now()).await? {
                return Ok(true);
            }
            if let Some(cp) = checkpoint {
                if self.poll_terminal(cp)? {
                    return Ok(true);
                }
            }
            let now = Utc::now();
            if now >= at {
                return Ok(false);
            }
            let left = (at - now).to_std().unwrap_or_default();
            tokio::time::sleep(left.min(POLL)).await;
        }
    }

    fn poll_terminal(&mut self, checkpoint: u32) -> Result<bool> {
        let Some(rx) = self.stdin.as_mut() else {
            return Ok(false);
        };
        let Ok(line) = rx.try_recv() else {
            return Ok(false);
        };
        let mut words = line.splitn(2, ' ');
        let Some(Ok(decision)) = words.next().map(|w| w.parse::<Decision>()) else {
            self.observer.note("answer with: proceed|hold|rollback|go-live|extend [note] (add `override: REASON` to override a forced hold)");
            return Ok(false);
        };
        let rest = words.next().unwrap_or("").trim().to_string();
        let (note, override_reason) = match rest.split_once("override:") {
            Some((n, r)) => (n.trim().to_string(), Some(r.trim().to_string())),
            None => (rest, None),
        };
        let by = self.opts.operator.clone().or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "terminal".into());
        let input = DecisionInput {
            checkpoint,
            decision,
            by,
            note: (!note.is_empty()).then_some(note),
            override_reason,
            round: None,
            made_at: Some(Utc::now()),
            samples_seen: None,
        };
        match self.engine.decide(&self.state, &input, Utc::now()) {
            Ok(record) => {
                self.record(Event::Decided { record: Box::new(record) })?;
                Ok(true)
            }
            Err(e) => {
                self.observer.note(&e.to_string());
                Ok(false)
            }
        }
    }

    /// Applies pending inbox requests (and a pending Ctrl-C or SIGTERM);
    /// true when one was journaled.
    pub(crate) async fn poll_inbox(&mut self, now: DateTime<Utc>) -> Result<bool> {
        self.record_deliveries()?;
        let mut journaled = self.handle_interrupt().await?;
        for (path, req) in inbox::take(&self.dir.inbox()) {
            // Who asks is checked here, by the journal's single writer,
            // whatever the requesting CLI checked.
            let req = req.and_then(|r| authorized(&self.dir, r));
            let answer = match req {
                Err(e) => Answer { accepted: false, message: e.to_string() },
                Ok(Request::Decide { input, .. }) if input.made_at.is_some_and(|t| t < self.started) => {
                    let message = format!(
                        "stale decision discarded: made at {} before this controller started at {}, on older evidence; decide again",
                        input.made_at.map(|t| t.format("%H:%M:%S").to_string()).unwrap_or_default(),
                        self.started.format("%H:%M:%S")
                    );
                    self.observer.note(&message);
                    Answer { accepted: false, message }
                }
                Ok(Request::Decide { input, .. }) => match self.engine.decide(&self.state, &input, now) {
                    Ok(record) => {
                        let msg = format!(
                            "checkpoint {} decided {} by {}",
                            record.checkpoint,
                            record.decision.label(),
                            record.by
                        );
                        self.record(Event::Decided { record: Box::new(record) })?;
                        journaled = true;
                        Answer { accepted: true, message: msg }
                    }
                    Err(e) => Answer { accepted: false, message: e.to_string() },
                },
                Ok(Request::Rollback { by, reason, .. }) => {
                    if self.state.rollback.is_some() {
                        Answer { accepted: true, message: "a rollback is already under way".into() }
                    } else {
                        match self.request_rollback(&by, &reason) {
                            Ok(()) => {
                                journaled = true;
                                Answer { accepted: true, message: format!("rollback requested by {by}") }
                            }
                            Err(e) => Answer { accepted: false, message: e.to_string() },
                        }
                    }
                }
                Ok(Request::Confirm { step, item, by, note, .. }) => match (step, item) {
                    (Some(n), _) if self.engine.current_step(&self.state).is_some_and(|s| s.n == n) => {
                        self.record(Event::ManualConfirmed { step: n, by: by.clone(), note })?;
                        journaled = true;
                        Answer { accepted: true, message: format!("step {n} confirmed by {by}") }
                    }
                    (Some(n), _) => Answer { accepted: false, message: format!("step {n} is not the current step") },
                    (None, Some(id)) if self.engine.plan().post_cutover.iter().any(|c| c.id == id) => {
                        self.record(Event::ChecklistDone {
                            id: id.clone(),
                            by: by.clone(),
                            outcome: Outcome::ok(note.unwrap_or_default()),
                        })?;
                        journaled = true;
                        Answer { accepted: true, message: format!("{id} done by {by}") }
                    }
                    (None, Some(id)) => Answer { accepted: false, message: format!("no checklist item {id}") },
                    (None, None) => Answer { accepted: false, message: "name a --step or an --item".into() },
                },
            };
            inbox::answer(&path, &answer)?;
        }
        Ok(journaled)
    }
}

/// The request with its actor as the run's grants identify them (see
/// [`grants::authorize`]); refused when they may not do it.
fn authorized(dir: &crate::runner::context::RunDir, r: Request) -> Result<Request> {
    use grants::Permission;
    // With a token, the token says who (the CLI already wrote its label
    // into `by`); without one, `by` stands only on a run without grants.
    let who = |token: &Option<String>, by: &str, what| {
        let by = if token.is_some() { None } else { Some(by) };
        grants::authorize(dir, token.as_deref(), by, what)
    };
    Ok(match r {
        Request::Decide { mut input, token } => {
            input.by = who(&token, &input.by, Permission::Decide)?;
            Request::Decide { input, token: None }
        }
        Request::Rollback { by, reason, token } => {
            let by = who(&token, &by, Permission::Rollback)?;
            Request::Rollback { by, reason, token: None }
        }
        Request::Confirm { step, item, by, note, token } => {
            let by = who(&token, &by, Permission::Confirm)?;
            Request::Confirm { step, item, by, note, token: None }
        }
    })
}
