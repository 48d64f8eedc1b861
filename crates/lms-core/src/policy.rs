//! Who may do what to a leave request. Pure decisions over the actor and the
//! request's owner; the server asks these before every transition.

use crate::{RequestAction, Role};

/// The authenticated person acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: i64,
    pub role: Role,
}

/// How the actor relates to a request, which decides what it sees and may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestAccess {
    /// Not the actor's business: answered as "not found" so existence does not leak.
    Hidden,
    /// The actor may see it but not perform the action: forbidden.
    Forbidden,
    /// The actor may perform the action.
    Allowed,
}

impl Actor {
    pub fn is_hr(&self) -> bool {
        self.role == Role::HrAdmin
    }

    /// Whether the actor may see a request owned by `owner` whose manager is `owner_manager`.
    pub fn can_view(&self, owner: i64, owner_manager: Option<i64>) -> bool {
        self.is_hr() || self.id == owner || owner_manager == Some(self.id)
    }

    /// Whether the actor may decide (approve or reject) requests of `owner`.
    /// Nobody decides their own requests, HR admins included.
    pub fn can_decide(&self, owner: i64, owner_manager: Option<i64>) -> bool {
        self.id != owner && (self.is_hr() || owner_manager == Some(self.id))
    }

    /// The access the actor has for `action` on a request of `owner`.
    pub fn access(&self, action: RequestAction, owner: i64, owner_manager: Option<i64>) -> RequestAccess {
        if !self.can_view(owner, owner_manager) {
            return RequestAccess::Hidden;
        }
        let allowed = match action {
            RequestAction::Approve | RequestAction::Reject => self.can_decide(owner, owner_manager),
            RequestAction::Cancel => self.id == owner || self.is_hr(),
        };
        if allowed {
            RequestAccess::Allowed
        } else {
            RequestAccess::Forbidden
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RequestAccess::*;
    use RequestAction::*;

    #[test]
    fn matrix() {
        let owner = 10;
        let manager = Actor { id: 2, role: Role::Manager };
        let other_manager = Actor { id: 3, role: Role::Manager };
        let hr = Actor { id: 1, role: Role::HrAdmin };
        let me = Actor { id: owner, role: Role::Employee };
        let colleague = Actor { id: 11, role: Role::Employee };
        assert_eq!(manager.access(Approve, owner, Some(2)), Allowed);
        assert_eq!(manager.access(Cancel, owner, Some(2)), Forbidden);
        assert_eq!(other_manager.access(Approve, owner, Some(2)), Hidden);
        assert_eq!(hr.access(Reject, owner, Some(2)), Allowed);
        assert_eq!(hr.access(Cancel, owner, Some(2)), Allowed);
        assert_eq!(me.access(Approve, owner, Some(2)), Forbidden);
        assert_eq!(me.access(Cancel, owner, Some(2)), Allowed);
        assert_eq!(colleague.access(Cancel, owner, Some(2)), Hidden);
        // Nobody approves their own request, not even HR.
        let hr_owner = Actor { id: 1, role: Role::HrAdmin };
        assert_eq!(hr_owner.access(Approve, 1, None), Forbidden);
        let mgr_owner = Actor { id: 2, role: Role::Manager };
        assert_eq!(mgr_owner.access(Approve, 2, Some(1)), Forbidden);
    }
}
