//! Entitlement policies and the job that follows them: HR defines policies
//! per leave type and assigns them to departments or people; the job writes
//! every ledger line due by a day (allocation or monthly accrual, pro-rata
//! for joiners and leavers, carry-over at the turn of the year and the
//! expiry of what was carried and not used), each under a key, so running it
//! twice — or on two instances at once, or again after a crash or days of
//! downtime — writes each line exactly once. It covers the current leave
//! year and the one before, so a run after the turn of the year catches up.
//! A person's balance on any day, past or future, is explained by the same
//! computation ([`balance_on`]): the lines valid by then, those the policy
//! will have written by then, minus approved and pending leave.
//!
//! The rules are `lms_core::entitlement`'s; this module chooses the policy
//! per person and day and moves rows through `lms-store`. It must not know
//! HTTP or SQL.

use crate::audit::{record, Audited};
use crate::error::Result;
use crate::By;
use chrono::{DateTime, NaiveDate, Utc};
use lms_core::entitlement::{self, Employment, Line};
use lms_core::{DomainError, LeaveAmount, LeaveYearStart, LedgerKind};
use lms_store::entitlement_job::{self as job, NewLine, Person, Sums, Written};
use lms_store::policies::{self, Assignee, Assignment, Assignments, PolicyValues, StoredPolicy};
use lms_store::{Conn, Db};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Refuses when this instance does not count on the policies' migration
/// (it stands in for the release before, which has none).
fn require_schema(db: &Db) -> Result<()> {
    crate::require_schema(db, policies::MIGRATION, "entitlement policies need")
}

/// What the job did, per kind of line.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KindTotal {
    pub lines: u64,
    /// Millidays.
    pub amount: i64,
}

/// A run's report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    pub run_id: i64,
    pub as_of: NaiveDate,
    /// The leave years covered (the one before and the current one).
    pub years: [i32; 2],
    /// People the policies apply to.
    pub people: u64,
    /// Lines due that this run wrote.
    pub lines_written: u64,
    /// Lines due that were there already (another run wrote them).
    pub already_written: u64,
    pub by_kind: BTreeMap<String, KindTotal>,
    pub took_ms: u64,
}

/// Everything one computation needs, read in bulk (for everyone, or one person).
struct Inputs {
    year_start: LeaveYearStart,
    assignments: Assignments,
    written: Written,
    /// Ledger totals of the year before, per person and type.
    totals_before: Sums,
    /// Approved and pending leave of the year before.
    used_before: Sums,
    /// Approved leave of the current year starting before each expiry date.
    taken_before_expiry: HashMap<NaiveDate, Sums>,
}

impl Inputs {
    async fn read(
        c: &mut Conn<'_>,
        year_start: LeaveYearStart,
        as_of: NaiveDate,
        employee: Option<i64>,
        units: lms_store::leave_types::Units,
    ) -> Result<Inputs> {
        let year = year_start.year_of(as_of);
        let units = lms_store::leave_types::units(c, units).await?;
        let assignments = Assignments::load(c).await?.with_units(&units);
        let written = job::written(c, (year - 1, year), employee).await?;
        let totals_before = job::ledger_totals(c, year - 1, employee).await?;
        let used_before = job::used(c, year - 1, false, None, employee).await?;
        let mut taken_before_expiry = HashMap::new();
        for p in &assignments.policies {
            let Ok(policy) = p.policy() else { continue };
            if let Some(day) = entitlement::expiry_date(&policy, year_start, year) {
                if day <= as_of && !taken_before_expiry.contains_key(&day) {
                    taken_before_expiry.insert(day, job::used(c, year, true, Some(day), employee).await?);
                }
            }
        }
        Ok(Inputs { year_start, assignments, written, totals_before, used_before, taken_before_expiry })
    }

    /// The lines due by `as_of` for one person and type that are not
    /// written yet, in the order they must be written.
    fn due(&self, p: &Person, leave_type_id: i64, as_of: NaiveDate) -> Vec<NewLine> {
        let Ok(employment) = Employment::new(p.start_date, p.leaving_date) else { return Vec::new() };
        let ys = self.year_start;
        let year = ys.year_of(as_of);
        let mut out = Vec::new();
        let empty = HashMap::new();
        let amounts = |y: i32| -> HashMap<String, LeaveAmount> {
            self.written
                .get(&(p.id, leave_type_id, y))
                .unwrap_or(&empty)
                .iter()
                .map(|(k, v)| (k.clone(), LeaveAmount::from_millidays(*v)))
                .collect()
        };
        for y in [year - 1, year] {
            let written = amounts(y);
            for sp in self.policies_in_year(p, leave_type_id, y) {
                let Ok(policy) = sp.policy() else { continue };
                let lines = entitlement::entitlement_lines(&policy, &employment, ys, y, as_of)
                    .into_iter()
                    .filter(|l| {
                        self.assignments.effective(p.id, &p.department, leave_type_id, l.valid_from).map(|e| e.id)
                            == Some(sp.id)
                    })
                    .collect();
                for l in entitlement::to_write(lines, &written, &employment) {
                    out.push(new_line(p.id, leave_type_id, y, l, &sp.name));
                }
            }
        }
        // The turn of the year: carry-over into `year`, then its expiry.
        let Some(first_day) = ys.first_day(year) else { return out };
        let Some(last_day_before) = first_day.pred_opt() else { return out };
        let Some(sp) = self.assignments.effective(p.id, &p.department, leave_type_id, last_day_before) else {
            return out;
        };
        let Ok(policy) = sp.policy() else { return out };
        let written = amounts(year);
        let carried = match written.get("carry-over") {
            Some(a) => *a,
            None if as_of >= first_day && policy.carry_over_cap() > LeaveAmount::ZERO => {
                let key = (p.id, leave_type_id);
                let pending_lines: i64 = out.iter().filter(|l| l.year == year - 1).map(|l| l.amount).sum::<i64>();
                let unused = self.totals_before.get(&key).copied().unwrap_or(0) + pending_lines
                    - self.used_before.get(&key).copied().unwrap_or(0);
                match entitlement::carry_over(&policy, ys, year - 1, LeaveAmount::from_millidays(unused)) {
                    Some(l) => {
                        let amount = l.amount;
                        out.push(new_line(p.id, leave_type_id, year, l, &sp.name));
                        amount
                    }
                    None => LeaveAmount::ZERO,
                }
            }
            None => LeaveAmount::ZERO,
        };
        if carried > LeaveAmount::ZERO && !written.contains_key("expiry") {
            if let Some(day) = entitlement::expiry_date(&policy, ys, year).filter(|d| *d <= as_of) {
                let taken = self
                    .taken_before_expiry
                    .get(&day)
                    .and_then(|s| s.get(&(p.id, leave_type_id)))
                    .copied()
                    .unwrap_or(0);
                if let Some(l) = entitlement::expiry(&policy, ys, year, carried, LeaveAmount::from_millidays(taken)) {
                    out.push(new_line(p.id, leave_type_id, year, l, &sp.name));
                }
            }
        }
        out
    }

    /// The policies that apply to `p` for the type on some day of year `y`.
    fn policies_in_year(&self, p: &Person, leave_type_id: i64, y: i32) -> Vec<&StoredPolicy> {
        let Some(range) = self.year_start.range(y) else { return Vec::new() };
        let mut ids: Vec<i64> = self
            .assignments
            .assignments
            .iter()
            .filter(|a| a.leave_type_id == leave_type_id)
            .filter(|a| a.employee_id == Some(p.id) || a.department.as_deref() == Some(p.department.as_str()))
            .filter(|a| a.valid_from <= range.end() && a.valid_to.is_none_or(|t| t >= range.start()))
            .map(|a| a.policy_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        self.assignments.policies.iter().filter(|sp| ids.contains(&sp.id)).collect()
    }
}

fn new_line(employee_id: i64, leave_type_id: i64, year: i32, l: Line, policy: &str) -> NewLine {
    let why = match l.kind {
        LedgerKind::Allocation => "allocation",
        LedgerKind::Accrual => "accrual",
        LedgerKind::ProRata => "pro-rata for the leaving date",
        LedgerKind::CarryOver => "carried over from the year before",
        LedgerKind::Expiry => "carried days not used by their expiry date",
        _ => "entitlement",
    };
    NewLine {
        employee_id,
        leave_type_id,
        year,
        kind: l.kind,
        reason: format!("{why} ({}), policy {policy}", l.key),
        key: l.key,
        valid_from: l.valid_from,
        amount: l.amount.millidays(),
    }
}

/// Runs the job for today every `every`, for as long as the server runs
/// (each instance does; the keys make concurrent runs write each line once).
pub async fn schedule(db: Db, every: std::time::Duration) {
    if !db.counts(policies::MIGRATION) || every.is_zero() {
        return;
    }
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = Utc::now();
        match run(&db, By::Job, now.date_naive(), now).await {
            Ok(r) if r.lines_written > 0 => {
                tracing::info!(lines = r.lines_written, run = r.run_id, "entitlement job wrote its lines")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "the entitlement job failed; it runs again at the next tick"),
        }
    }
}

/// Runs the job for everything due by `as_of` (at most today) and reports.
pub async fn run(db: &Db, by: By<'_>, as_of: NaiveDate, now: DateTime<Utc>) -> Result<RunReport> {
    by.require_hr()?;
    require_schema(db)?;
    if as_of > now.date_naive() {
        return Err(DomainError::InvalidAmount(format!(
            "the job writes what is due by a day that has come; {as_of} is in the future (use the projected balance to look ahead)"
        ))
        .into());
    }
    let started = std::time::Instant::now();
    let year_start = crate::leave_year::start(db).await?;
    let mut tx = db.begin().await?;
    let inputs = Inputs::read(&mut tx.conn(), year_start, as_of, None, crate::leave_types::units(db)).await?;
    let year = inputs.year_start.year_of(as_of);
    let since = inputs.year_start.first_day(year - 1).unwrap_or(as_of);
    let people = job::people(&mut tx.conn(), since).await?;
    let types = inputs.assignments.leave_types();
    let mut due = Vec::new();
    let mut covered = 0u64;
    for p in &people {
        let before = due.len();
        for t in &types {
            due.extend(inputs.due(p, *t, as_of));
        }
        covered +=
            u64::from(due.len() > before || types.iter().any(|t| inputs.written.contains_key(&(p.id, *t, year))));
    }
    let written = job::insert(&mut tx.conn(), &due, now).await?;
    let mut by_kind: BTreeMap<String, KindTotal> = BTreeMap::new();
    for l in &written {
        let k = by_kind.entry(l.kind.as_str().to_string()).or_default();
        k.lines += 1;
        k.amount += l.amount;
    }
    let mut report = RunReport {
        run_id: 0,
        as_of,
        years: [year - 1, year],
        people: covered,
        lines_written: written.len() as u64,
        already_written: (due.len() - written.len()) as u64,
        by_kind,
        took_ms: started.elapsed().as_millis() as u64,
    };
    if written.is_empty() && matches!(by, By::Job) {
        // A scheduled run with nothing due leaves no trace.
        return Ok(report);
    }
    let json = serde_json::to_string(&report).unwrap_or_default();
    let finished = Utc::now().max(now);
    report.run_id =
        job::record_run(&mut tx.conn(), as_of, now, finished, by.actor_id(), written.len() as i64, &json).await?;
    let what = Audited {
        action: "entitlement.run",
        entity: ("entitlement_run", report.run_id.to_string()),
        before: None,
        after: Some(&report),
    };
    record(&mut tx.conn(), &by.audit(), what, now).await?;
    tx.commit().await?;
    Ok(report)
}

/// One line of a balance on a day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BalanceLine {
    pub kind: String,
    pub key: Option<String>,
    pub valid_from: Option<NaiveDate>,
    /// Millidays.
    pub amount: i64,
    pub reason: String,
    /// Not in the ledger yet: the policy will write it by then.
    pub projected: bool,
}

/// A leave type's balance on a day, line by line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BalanceOn {
    pub leave_type_id: i64,
    pub on: NaiveDate,
    pub year: i32,
    pub lines: Vec<BalanceLine>,
    /// Millidays: the lines' sum.
    pub entitled: i64,
    pub taken: i64,
    pub pending: i64,
    pub available: i64,
}

/// `employee_id`'s balances on `on` (past or future) for each leave type,
/// explained by lines: the ledger's lines valid by then, plus (for a day
/// after `today`) the lines the policy will have written by then, minus the
/// approved and pending leave of that leave year.
pub async fn balance_on(db: &Db, employee_id: i64, on: NaiveDate, today: NaiveDate) -> Result<Vec<BalanceOn>> {
    require_schema(db)?;
    let year_start = crate::leave_year::start(db).await?;
    let mut c = db.acquire().await?;
    let c = &mut c.conn();
    let person = job::person(c, employee_id).await?;
    let inputs = Inputs::read(c, year_start, on, Some(employee_id), crate::leave_types::units(db)).await?;
    let year = inputs.year_start.year_of(on);
    let lines = job::dated_lines(c, employee_id, year).await?;
    let used = job::used(c, year, true, None, Some(employee_id)).await?;
    let all = job::used(c, year, false, None, Some(employee_id)).await?;
    let mut types: Vec<i64> = lines.iter().map(|l| l.leave_type_id).collect();
    types.extend(inputs.assignments.leave_types());
    types.sort_unstable();
    types.dedup();
    let mut out = Vec::new();
    for t in types {
        let mut shown: Vec<BalanceLine> = lines
            .iter()
            .filter(|l| l.leave_type_id == t && l.valid_from.is_none_or(|d| d <= on))
            .map(|l| BalanceLine {
                kind: l.kind.clone(),
                key: l.line_key.clone(),
                valid_from: l.valid_from,
                amount: l.amount,
                reason: l.reason.clone(),
                projected: false,
            })
            .collect();
        if on > today {
            for l in inputs.due(&person, t, on).into_iter().filter(|l| l.year == year) {
                shown.push(BalanceLine {
                    kind: l.kind.as_str().to_string(),
                    key: Some(l.key),
                    valid_from: Some(l.valid_from),
                    amount: l.amount,
                    reason: l.reason,
                    projected: true,
                });
            }
        }
        // In the order they count: by day; on one day what is carried in
        // first, what expires last.
        let rank = |k: &str| match k {
            "carry_over" => 0,
            "expiry" => 2,
            _ => 1,
        };
        shown.sort_by_key(|l| (l.valid_from, rank(&l.kind)));
        let entitled: i64 = shown.iter().map(|l| l.amount).sum();
        let taken = used.get(&(employee_id, t)).copied().unwrap_or(0);
        let pending = all.get(&(employee_id, t)).copied().unwrap_or(0) - taken;
        out.push(BalanceOn {
            leave_type_id: t,
            on,
            year,
            lines: shown,
            entitled,
            taken,
            pending,
            available: entitled - taken - pending,
        });
    }
    Ok(out)
}

/// What the audit log keeps of a policy.
#[derive(Serialize)]
struct PolicyRecord<'a> {
    policy: &'a StoredPolicy,
}

/// Every policy.
pub async fn list(db: &Db) -> Result<Vec<StoredPolicy>> {
    require_schema(db)?;
    let mut c = db.acquire().await?;
    let units = lms_store::leave_types::units(&mut c.conn(), crate::leave_types::units(db)).await?;
    let mut all = policies::list(&mut c.conn()).await?;
    for p in &mut all {
        p.unit = units.of(&p.leave_type);
    }
    Ok(all)
}

/// Creates (`id = None`) or replaces a policy (HR).
pub async fn save(
    db: &Db,
    by: By<'_>,
    id: Option<i64>,
    values: &PolicyValues<'_>,
    now: DateTime<Utc>,
) -> Result<StoredPolicy> {
    by.require_hr()?;
    require_schema(db)?;
    let mut tx = db.begin().await?;
    // The policy's numbers are in its type's unit.
    let unit = crate::leave_types::unit_of(db, &mut tx.conn(), values.leave_type_id).await?;
    if values.policy.unit() != unit {
        let code = lms_store::leave_types::get(&mut tx.conn(), values.leave_type_id).await?.map(|t| t.code);
        return Err(DomainError::WrongUnit { leave_type: code.unwrap_or_default(), unit: unit.as_str() }.into());
    }
    let before = match id {
        Some(id) => Some(policies::get(&mut tx.conn(), id).await?),
        None => None,
    };
    let mut saved = match id {
        Some(id) => policies::update(&mut tx.conn(), id, values, now).await?,
        None => policies::create(&mut tx.conn(), values, now).await?,
    };
    saved.unit = unit;
    let before = before.map(|p| StoredPolicy { unit, ..p });
    let before_record = before.as_ref().map(|p| PolicyRecord { policy: p });
    let what = Audited {
        action: if id.is_some() { "policy.update" } else { "policy.create" },
        entity: ("policy", saved.id.to_string()),
        before: before_record.as_ref(),
        after: Some(&PolicyRecord { policy: &saved }),
    };
    record(&mut tx.conn(), &by.audit(), what, now).await?;
    tx.commit().await?;
    Ok(saved)
}

/// Deletes a policy nobody is assigned to (HR).
pub async fn delete(db: &Db, by: By<'_>, id: i64, now: DateTime<Utc>) -> Result<()> {
    by.require_hr()?;
    require_schema(db)?;
    let mut tx = db.begin().await?;
    let before = policies::get(&mut tx.conn(), id).await?;
    policies::delete(&mut tx.conn(), id).await?;
    let what = Audited {
        action: "policy.delete",
        entity: ("policy", id.to_string()),
        before: Some(&PolicyRecord { policy: &before }),
        after: None,
    };
    record(&mut tx.conn(), &by.audit(), what, now).await?;
    tx.commit().await?;
    Ok(())
}

/// A policy's assignments.
pub async fn assignments(db: &Db, policy_id: i64) -> Result<Vec<Assignment>> {
    require_schema(db)?;
    let mut c = db.acquire().await?;
    policies::get(&mut c.conn(), policy_id).await?;
    Ok(policies::assignments(&mut c.conn(), Some(policy_id)).await?)
}

/// Assigns a policy to a department or a person from a day, optionally to
/// a last day (HR).
pub async fn assign(
    db: &Db,
    by: By<'_>,
    policy_id: i64,
    to: &Assignee,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<Assignment> {
    by.require_hr()?;
    require_schema(db)?;
    let mut tx = db.begin().await?;
    let a = policies::assign(&mut tx.conn(), policy_id, to, valid_from, valid_to, now).await?;
    let what = Audited {
        action: "policy.assign",
        entity: ("policy_assignment", a.id.to_string()),
        before: None,
        after: Some(&a),
    };
    record(&mut tx.conn(), &by.audit(), what, now).await?;
    tx.commit().await?;
    Ok(a)
}

/// Removes an assignment (HR). Lines already written stay.
pub async fn unassign(db: &Db, by: By<'_>, id: i64, now: DateTime<Utc>) -> Result<()> {
    by.require_hr()?;
    require_schema(db)?;
    let mut tx = db.begin().await?;
    let a = policies::unassign(&mut tx.conn(), id).await?;
    let what = Audited {
        action: "policy.unassign",
        entity: ("policy_assignment", id.to_string()),
        before: Some(&a),
        after: None,
    };
    record(&mut tx.conn(), &by.audit(), what, now).await?;
    tx.commit().await?;
    Ok(())
}

/// What the audit log keeps of a leaving date.
#[derive(Serialize)]
struct Leaving {
    leaving_date: Option<NaiveDate>,
}

/// Sets or clears a person's leaving date (their last day; HR). The job
/// then settles their allocation pro-rata.
pub async fn set_leaving_date(
    db: &Db,
    by: By<'_>,
    employee_id: i64,
    day: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<()> {
    by.require_hr()?;
    require_schema(db)?;
    let mut tx = db.begin().await?;
    let before = job::person(&mut tx.conn(), employee_id).await?;
    if let Some(d) = day {
        Employment::new(before.start_date, Some(d)).map_err(|_| DomainError::LeavingBeforeStart {
            start: before.start_date.to_string(),
            leaving: d.to_string(),
        })?;
    }
    job::set_leaving_date(&mut tx.conn(), employee_id, day, now).await?;
    let what = Audited {
        action: "employee.leaving_date",
        entity: ("employee", employee_id.to_string()),
        before: Some(&Leaving { leaving_date: before.leaving_date }),
        after: Some(&Leaving { leaving_date: day }),
    };
    record(&mut tx.conn(), &by.audit(), what, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The latest runs' reports, newest first (HR).
pub async fn runs(db: &Db, by: By<'_>, limit: i64) -> Result<Vec<job::Run>> {
    by.require_hr()?;
    require_schema(db)?;
    let mut c = db.acquire().await?;
    Ok(job::runs(&mut c.conn(), limit).await?)
}
