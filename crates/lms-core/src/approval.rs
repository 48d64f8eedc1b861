//! Approval chains and delegation: who must approve a request, in which
//! order, and who may decide a stage on whose behalf.
//!
//! A leave type's chain is one of: none (approved on submission), the
//! manager, the manager then HR, or two named roles in order. The person
//! who must act at a "manager" stage is the requester's manager — except
//! that the request of someone without a manager, or of a manager (their own
//! leave), goes to HR at that stage; a chain that then asks HR again needs
//! one HR decision, not two. Nobody decides their own request. A manager may name a deputy for a date range; on those dates
//! the deputy decides their stages "on behalf of" the manager, and the
//! record says so. Cancelling approved leave that has already started goes
//! through the same chain.
//!
//! Pure: knows nothing of how people, chains or delegations are stored.

use crate::{DateRange, Role};
use chrono::NaiveDate;

/// Who acts at one stage of a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approver {
    /// The requester's manager (HR when there is none).
    Manager,
    /// Anyone with the HR admin role.
    Hr,
    /// Anyone with this role, other than the requester.
    Role(Role),
}

/// A leave type's approval chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chain {
    /// Approved on submission.
    None,
    /// The manager.
    Manager,
    /// The manager, then HR.
    ManagerThenHr,
    /// Two approvers in order.
    Two(Approver, Approver),
}

impl Chain {
    /// The stages, in order; empty when nobody approves.
    pub fn stages(&self) -> Vec<Approver> {
        match self {
            Chain::None => Vec::new(),
            Chain::Manager => vec![Approver::Manager],
            Chain::ManagerThenHr => vec![Approver::Manager, Approver::Hr],
            Chain::Two(a, b) => vec![*a, *b],
        }
    }
}

/// A person as the chain sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Person {
    /// Their id.
    pub id: i64,
    /// Their role.
    pub role: Role,
    /// Their manager, if any.
    pub manager: Option<i64>,
}

/// A manager's deputy for a date range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delegation {
    /// Who is away.
    pub manager: i64,
    /// Who decides for them.
    pub deputy: i64,
    /// When.
    pub dates: DateRange,
}

/// Who may decide a stage, and for whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decider {
    /// The actor decides in their own right.
    Themselves,
    /// The actor decides as the named manager's deputy.
    OnBehalfOf(i64),
}

/// The stages `requester`'s request goes through under `chain`: a manager
/// stage becomes HR's for someone without a manager and for a manager's own
/// request; HR twice in a row is HR once.
pub fn stages_for(chain: &Chain, requester: &Person) -> Vec<Approver> {
    let to_hr = requester.manager.is_none() || requester.role == Role::Manager;
    let mut out: Vec<Approver> = Vec::new();
    for stage in chain.stages() {
        let stage = if stage == Approver::Manager && to_hr { Approver::Hr } else { stage };
        if !(stage == Approver::Hr && out.last() == Some(&Approver::Hr)) {
            out.push(stage);
        }
    }
    out
}

/// Whether `actor` may decide stage `stage` of `requester`'s request on
/// `today`, given the delegations in force; `None` when they may not.
pub fn may_decide(
    actor: &Person,
    stage: Approver,
    requester: &Person,
    delegations: &[Delegation],
    today: NaiveDate,
) -> Option<Decider> {
    if actor.id == requester.id {
        return None;
    }
    let hr = || (actor.role == Role::HrAdmin).then_some(Decider::Themselves);
    if stage == Approver::Manager && requester.role == Role::Manager {
        return hr();
    }
    match stage {
        Approver::Hr => hr(),
        Approver::Role(role) => (actor.role == role).then_some(Decider::Themselves),
        Approver::Manager => match requester.manager {
            // No manager (or the manager is the requester): HR decides.
            None => hr(),
            Some(m) if m == actor.id => Some(Decider::Themselves),
            Some(m) => {
                let deputy =
                    delegations.iter().any(|d| d.manager == m && d.deputy == actor.id && d.dates.contains(today));
                if deputy {
                    Some(Decider::OnBehalfOf(m))
                } else {
                    None
                }
            }
        },
    }
}

/// Whether a cancellation needs the chain's approval: leave that was
/// approved and has started (or is over) does; anything else is cancelled
/// at once.
pub fn cancellation_needs_approval(approved: bool, starts: NaiveDate, today: NaiveDate) -> bool {
    approved && starts <= today
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    const HR: Person = Person { id: 1, role: Role::HrAdmin, manager: None };
    const BOSS: Person = Person { id: 2, role: Role::Manager, manager: None };
    const DEPUTY: Person = Person { id: 3, role: Role::Manager, manager: Some(2) };
    const ANNA: Person = Person { id: 10, role: Role::Employee, manager: Some(2) };

    #[test]
    fn chains_have_their_stages() {
        assert!(Chain::None.stages().is_empty());
        assert_eq!(Chain::ManagerThenHr.stages(), vec![Approver::Manager, Approver::Hr]);
        assert_eq!(Chain::Two(Approver::Role(Role::Manager), Approver::Hr).stages().len(), 2);
    }

    #[test]
    fn the_manager_decides_and_a_manager_without_one_goes_to_hr() {
        let today = d("2026-12-01");
        assert_eq!(may_decide(&BOSS, Approver::Manager, &ANNA, &[], today), Some(Decider::Themselves));
        assert_eq!(may_decide(&DEPUTY, Approver::Manager, &ANNA, &[], today), None, "not her manager");
        assert_eq!(may_decide(&HR, Approver::Manager, &ANNA, &[], today), None, "HR is not a manager stage here");
        // The boss has no manager: HR decides the boss's own request, the boss never does.
        assert_eq!(may_decide(&HR, Approver::Manager, &BOSS, &[], today), Some(Decider::Themselves));
        assert_eq!(may_decide(&BOSS, Approver::Manager, &BOSS, &[], today), None);
        assert_eq!(may_decide(&HR, Approver::Hr, &HR, &[], today), None, "nobody decides their own request");
    }

    #[test]
    fn a_deputy_decides_on_behalf_of_the_manager_on_the_dates_named() {
        // Worked example (docs/LEAVE-RULES.md): the manager (2) names a deputy
        // (3) for 1–12 December 2026; on 5 December the deputy approves
        // Anna's request "on behalf of" 2; on 13 December they may not.
        let away = Delegation {
            manager: 2,
            deputy: 3,
            dates: DateRange::new(d("2026-12-01"), d("2026-12-12")).expect("range"),
        };
        assert_eq!(
            may_decide(&DEPUTY, Approver::Manager, &ANNA, &[away], d("2026-12-05")),
            Some(Decider::OnBehalfOf(2))
        );
        assert_eq!(may_decide(&DEPUTY, Approver::Manager, &ANNA, &[away], d("2026-12-13")), None);
        // The manager keeps deciding while a deputy is named.
        assert_eq!(may_decide(&BOSS, Approver::Manager, &ANNA, &[away], d("2026-12-05")), Some(Decider::Themselves));
        // A deputy never decides their own request through the delegation.
        assert_eq!(may_decide(&DEPUTY, Approver::Manager, &DEPUTY, &[away], d("2026-12-05")), None);
    }

    #[test]
    fn a_managers_own_request_goes_to_hr_once() {
        // The deputy is a manager with a manager: their own leave still goes to HR.
        assert_eq!(stages_for(&Chain::Manager, &DEPUTY), vec![Approver::Hr]);
        assert_eq!(stages_for(&Chain::ManagerThenHr, &DEPUTY), vec![Approver::Hr], "one HR decision");
        assert_eq!(stages_for(&Chain::ManagerThenHr, &ANNA), vec![Approver::Manager, Approver::Hr]);
        assert_eq!(stages_for(&Chain::None, &ANNA), vec![]);
        assert_eq!(may_decide(&BOSS, Approver::Manager, &DEPUTY, &[], d("2026-12-01")), None, "HR's, not the boss's");
        assert_eq!(may_decide(&HR, Approver::Manager, &DEPUTY, &[], d("2026-12-01")), Some(Decider::Themselves));
    }

    #[test]
    fn cancelling_started_approved_leave_needs_approval() {
        let today = d("2026-12-01");
        assert!(cancellation_needs_approval(true, d("2026-11-30"), today));
        assert!(cancellation_needs_approval(true, today, today));
        assert!(!cancellation_needs_approval(true, d("2026-12-02"), today));
        assert!(!cancellation_needs_approval(false, d("2026-11-30"), today), "a pending request is withdrawn at once");
    }
}
