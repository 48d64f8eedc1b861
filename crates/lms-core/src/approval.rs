//! Approval chains and delegation: who must approve a request, in which
//! order, and who may decide a stage on whose behalf.
//!
//! A leave type's chain is one of: none (approved on submission), the
//! manager, the manager then HR, or two named roles in order. The person
//! who must act at a "manager" stage is the requester's manager — except
//! that the request of someone without a manager, or of a manager (their own
//! leave), goes to HR at that stage; a chain that then asks HR again needs
//! one HR decision, not two. Nobody decides their own request, and nobody
//! decides two stages of one request. An HR admin may decide any stage of
//! someone else's request (standing in for an approver who is away, as HR
//! could decide any request before chains existed). A manager may name a
//! deputy for a date range; on those dates the deputy decides their stages
//! "on behalf of" the manager, and the record says so. Cancelling approved
//! leave that has already started goes through the same chain.
//!
//! Pure: knows nothing of how people, chains or delegations are stored.

use crate::{DateRange, DomainError, Role};
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

impl Approver {
    /// The name stored and shown by the API: `manager` (the requester's
    /// manager), `hr` (any HR admin), `role:manager` (anyone with the role).
    pub fn as_str(self) -> &'static str {
        match self {
            Approver::Manager => "manager",
            Approver::Hr | Approver::Role(Role::HrAdmin) => "hr",
            Approver::Role(Role::Manager) => "role:manager",
            Approver::Role(Role::Employee) => "role:employee",
        }
    }

    /// Reads an approver's name; `role:hr-admin` is `hr`. An approver
    /// must be someone who decides: `role:employee` is refused.
    pub fn parse(raw: &str) -> Result<Approver, DomainError> {
        match raw.trim() {
            "manager" => Ok(Approver::Manager),
            "hr" | "hr-admin" | "role:hr-admin" => Ok(Approver::Hr),
            "role:manager" => Ok(Approver::Role(Role::Manager)),
            other => Err(DomainError::InvalidChain(format!(
                "unknown approver '{other}': use manager (the requester's manager), hr (any HR admin) \
                 or role:manager (anyone with the manager role)"
            ))),
        }
    }
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

impl Chain {
    /// The chain a leave type has when none was set: its `requires_approval`
    /// flag read as none (false) or the manager (true).
    pub fn from_flag(requires_approval: bool) -> Chain {
        if requires_approval {
            Chain::Manager
        } else {
            Chain::None
        }
    }

    /// Whether anybody approves (the `requires_approval` flag it implies).
    pub fn requires_approval(&self) -> bool {
        *self != Chain::None
    }

    /// The kind's name: `none`, `manager`, `manager_then_hr` or `two`.
    pub fn kind(&self) -> &'static str {
        match self {
            Chain::None => "none",
            Chain::Manager => "manager",
            Chain::ManagerThenHr => "manager_then_hr",
            Chain::Two(..) => "two",
        }
    }

    /// The chain of `kind` with `approvers` (only `two` takes them: two
    /// different approvers; the others imply theirs, which may be repeated).
    /// `two` of the manager then HR is `manager_then_hr`.
    pub fn parse(kind: &str, approvers: &[&str]) -> Result<Chain, DomainError> {
        let chain = match kind.trim() {
            "none" => Chain::None,
            "manager" => Chain::Manager,
            "manager_then_hr" => Chain::ManagerThenHr,
            "two" => {
                let [a, b] = approvers else {
                    return Err(DomainError::InvalidChain(format!(
                        "a chain of two names two approvers, e.g. [\"manager\", \"hr\"]; {} given",
                        approvers.len()
                    )));
                };
                let (a, b) = (Approver::parse(a)?, Approver::parse(b)?);
                if a == b {
                    return Err(DomainError::InvalidChain(format!(
                        "the two approvers must differ ({} twice); use the one-stage chain instead",
                        a.as_str()
                    )));
                }
                if (a, b) == (Approver::Manager, Approver::Hr) {
                    Chain::ManagerThenHr
                } else {
                    Chain::Two(a, b)
                }
            }
            other => {
                return Err(DomainError::InvalidChain(format!(
                    "unknown chain '{other}': use none, manager, manager_then_hr or two"
                )))
            }
        };
        if chain.kind() != "two" && !approvers.is_empty() {
            let implied: Vec<&str> = chain.stages().iter().map(|a| a.as_str()).collect();
            let given: Result<Vec<&str>, DomainError> =
                approvers.iter().map(|a| Approver::parse(a).map(Approver::as_str)).collect();
            if given? != implied {
                return Err(DomainError::InvalidChain(format!(
                    "the chain '{}' has the approvers [{}]; leave them out or use the chain two",
                    chain.kind(),
                    implied.join(", ")
                )));
            }
        }
        Ok(chain)
    }

    /// The form kept in storage: the kind, and for `two` its approvers
    /// (`two:role:manager,hr`).
    pub fn to_stored(&self) -> String {
        match self {
            Chain::Two(a, b) => format!("two:{},{}", a.as_str(), b.as_str()),
            other => other.kind().to_string(),
        }
    }

    /// Reads [`Chain::to_stored`]'s form.
    pub fn from_stored(raw: &str) -> Result<Chain, DomainError> {
        match raw.split_once(':') {
            Some(("two", rest)) => {
                let approvers: Vec<&str> = rest.split(',').collect();
                Chain::parse("two", &approvers)
            }
            _ => Chain::parse(raw, &[]),
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
    // HR stands in at any stage (an approver away, a manager gone).
    if actor.role == Role::HrAdmin {
        return Some(Decider::Themselves);
    }
    match stage {
        // A manager's own request, or one without a manager: HR's alone.
        Approver::Manager if requester.role == Role::Manager => None,
        Approver::Hr => None,
        Approver::Role(role) => (actor.role == role).then_some(Decider::Themselves),
        Approver::Manager => match requester.manager {
            None => None,
            Some(m) if m == actor.id => Some(Decider::Themselves),
            Some(m) => {
                let deputy =
                    delegations.iter().any(|d| d.manager == m && d.deputy == actor.id && d.dates.contains(today));
                deputy.then_some(Decider::OnBehalfOf(m))
            }
        },
    }
}

/// [`may_decide`], and the actor has not decided an earlier stage of the
/// same round (`earlier`: who decided or asked before, on whose behalf
/// included): nobody decides two stages of one request.
pub fn may_decide_stage(
    actor: &Person,
    stage: Approver,
    requester: &Person,
    delegations: &[Delegation],
    earlier: &[i64],
    today: NaiveDate,
) -> Option<Decider> {
    if earlier.contains(&actor.id) {
        return None;
    }
    may_decide(actor, stage, requester, delegations, today)
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
        assert_eq!(
            may_decide(&HR, Approver::Manager, &ANNA, &[], today),
            Some(Decider::Themselves),
            "HR stands in for a manager"
        );
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
        assert_eq!(
            may_decide(&BOSS, Approver::Role(Role::Manager), &DEPUTY, &[], d("2026-12-01")),
            Some(Decider::Themselves)
        );
        assert_eq!(may_decide(&HR, Approver::Manager, &DEPUTY, &[], d("2026-12-01")), Some(Decider::Themselves));
    }

    #[test]
    fn nobody_decides_two_stages_of_one_request() {
        let today = d("2026-12-01");
        assert_eq!(may_decide_stage(&HR, Approver::Hr, &ANNA, &[], &[2], today), Some(Decider::Themselves));
        assert_eq!(may_decide_stage(&HR, Approver::Hr, &ANNA, &[], &[1], today), None, "HR decided stage one");
    }

    #[test]
    fn chains_are_read_and_stored() {
        assert_eq!(Chain::parse("two", &["manager", "hr"]), Ok(Chain::ManagerThenHr));
        let two = Chain::parse("two", &["role:manager", "hr"]).expect("two");
        assert_eq!(two, Chain::Two(Approver::Role(Role::Manager), Approver::Hr));
        for chain in [Chain::None, Chain::Manager, Chain::ManagerThenHr, two] {
            assert_eq!(Chain::from_stored(&chain.to_stored()), Ok(chain.clone()), "{}", chain.to_stored());
        }
        assert_eq!(Chain::parse("manager_then_hr", &["manager", "hr"]), Ok(Chain::ManagerThenHr));
        for (kind, approvers) in [
            ("two", vec!["hr"]),
            ("two", vec!["hr", "hr-admin"]),
            ("two", vec!["manager", "role:employee"]),
            ("some", vec![]),
            ("manager", vec!["hr"]),
        ] {
            assert_eq!(
                Chain::parse(kind, &approvers).map_err(|e| e.code()),
                Err("invalid_chain"),
                "{kind} {approvers:?}"
            );
        }
        assert_eq!(Chain::from_flag(false), Chain::None);
        assert!(Chain::from_flag(true).requires_approval());
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
