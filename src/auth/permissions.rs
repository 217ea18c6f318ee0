//! Who may do what: the one permission matrix of the desk. Handlers ask
//! [`CurrentUser::require`](super::CurrentUser::require) for an [`Action`]; shop membership is
//! checked separately (another shop's things are 404, never 403).

use super::Role;

/// Something a user may or may not do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// See tickets and orders of one's shops.
    ReadTickets,
    /// Open tickets, follow up, note, move along the workflow, take unassigned tickets.
    WorkTickets,
    /// Send orders through the API.
    WriteOrders,
    /// Assign a ticket to someone else.
    Reassign,
    /// Open a ticket the rules refuse, with a written justification.
    OverrideRules,
    /// See the follow-up queues and each agent's compliance.
    SeeFollowUps,
    /// Reassign or escalate many tickets at once from the follow-up queue.
    BulkFollowUps,
    /// See the return and refund reports.
    SeeReports,
    /// Import order and refund files.
    ImportOrders,
    /// Create shops and change their settings.
    ManageShops,
    /// Create users.
    ManageUsers,
    /// Edit the working-day calendar.
    ManageCalendar,
    /// Read the audit log.
    ReadAudit,
    /// Edit a shop's canned-reply library (快捷短语) and the return address it fills in.
    ManageReplies,
    /// Add, edit, archive a shop's return addresses and choose the default.
    ManageReturnAddresses,
    /// Add, edit, delete and test a shop's webhooks and read their delivery logs.
    ManageWebhooks,
    /// Merge a ticket into another of the same order (the merged one closes).
    MergeTickets,
    /// Name a shop's tags and choose their colours (applying them is working tickets).
    ManageTags,
    /// Share a saved queue view with the whole shop.
    ShareViews,
    /// Approve or reject a compensation over the shop's limits made by someone else.
    ApproveCompensation,
    /// Write and edit the shop's product notes and policy articles.
    ManageKnowledge,
}

impl Action {
    /// Every action, for the matrix test.
    pub const ALL: [Action; 21] = [
        Action::ReadTickets,
        Action::WorkTickets,
        Action::WriteOrders,
        Action::Reassign,
        Action::OverrideRules,
        Action::SeeFollowUps,
        Action::BulkFollowUps,
        Action::SeeReports,
        Action::ImportOrders,
        Action::ManageShops,
        Action::ManageUsers,
        Action::ManageCalendar,
        Action::ReadAudit,
        Action::ManageReplies,
        Action::ManageReturnAddresses,
        Action::ManageWebhooks,
        Action::MergeTickets,
        Action::ManageTags,
        Action::ShareViews,
        Action::ApproveCompensation,
        Action::ManageKnowledge,
    ];

    /// A name for logs and messages.
    pub fn name(self) -> &'static str {
        match self {
            Action::ReadTickets => "read tickets",
            Action::WorkTickets => "work tickets",
            Action::WriteOrders => "send orders",
            Action::Reassign => "reassign tickets",
            Action::OverrideRules => "override the rules",
            Action::SeeFollowUps => "see the follow-up queues",
            Action::BulkFollowUps => "reassign or escalate in bulk",
            Action::SeeReports => "see reports",
            Action::ImportOrders => "import files",
            Action::ManageShops => "manage shops",
            Action::ManageUsers => "manage users",
            Action::ManageCalendar => "edit the calendar",
            Action::ReadAudit => "read the audit log",
            Action::ManageReplies => "edit the canned-reply library",
            Action::ManageReturnAddresses => "manage the return addresses",
            Action::ManageWebhooks => "manage the webhooks",
            Action::MergeTickets => "merge tickets",
            Action::ManageTags => "manage the shop's tags",
            Action::ShareViews => "share queue views with the shop",
            Action::ApproveCompensation => "approve compensation over the limits",
            Action::ManageKnowledge => "edit the product notes and policy articles",
        }
    }
}

/// The matrix: agents work tickets of their shops (linking tickets of an order and applying
/// tags included); supervisors also reassign, override the rules, merge tickets, manage the
/// tags, share queue views, approve compensation over the limits (never their own), edit the
/// product notes and policy articles, and see
/// the follow-up queues and reports; owners see reports and tickets read-only and
/// import their orders; admins manage shops, users, the calendar and settings, and may do
/// everything else.
pub fn allows(role: Role, action: Action) -> bool {
    use Action::*;
    match role {
        Role::Admin => true,
        Role::Agent => matches!(action, ReadTickets | WorkTickets | WriteOrders),
        Role::Supervisor => matches!(
            action,
            ReadTickets
                | WorkTickets
                | WriteOrders
                | Reassign
                | OverrideRules
                | SeeFollowUps
                | BulkFollowUps
                | SeeReports
                | ManageReplies
                | ManageReturnAddresses
                | ManageWebhooks
                | MergeTickets
                | ManageTags
                | ShareViews
                | ApproveCompensation
                | ManageKnowledge
        ),
        Role::Owner => matches!(action, ReadTickets | SeeFollowUps | SeeReports | ImportOrders),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_may_do_everything() {
        for action in Action::ALL {
            assert!(allows(Role::Admin, action), "{action:?}");
        }
    }

    #[test]
    fn owners_read_but_never_change_tickets() {
        assert!(allows(Role::Owner, Action::ReadTickets));
        assert!(allows(Role::Owner, Action::SeeReports));
        for action in [
            Action::WorkTickets,
            Action::Reassign,
            Action::OverrideRules,
            Action::BulkFollowUps,
        ] {
            assert!(!allows(Role::Owner, action), "{action:?}");
        }
    }

    #[test]
    fn agents_neither_reassign_nor_override_nor_manage() {
        for action in [
            Action::Reassign,
            Action::OverrideRules,
            Action::SeeFollowUps,
            Action::ManageShops,
            Action::ManageUsers,
            Action::ManageCalendar,
            Action::ReadAudit,
            Action::ManageReplies,
            Action::ManageReturnAddresses,
            Action::ManageWebhooks,
            Action::MergeTickets,
            Action::ManageTags,
            Action::ShareViews,
            Action::ApproveCompensation,
            Action::ManageKnowledge,
        ] {
            assert!(!allows(Role::Agent, action), "{action:?}");
        }
    }

    #[test]
    fn supervisors_reassign_override_and_watch_follow_ups_but_do_not_administer() {
        for action in [
            Action::Reassign,
            Action::OverrideRules,
            Action::SeeFollowUps,
            Action::BulkFollowUps,
            Action::ManageReplies,
            Action::ManageReturnAddresses,
            Action::ManageWebhooks,
            Action::MergeTickets,
            Action::ManageTags,
            Action::ShareViews,
            Action::ApproveCompensation,
            Action::ManageKnowledge,
        ] {
            assert!(allows(Role::Supervisor, action), "{action:?}");
        }
        for action in [
            Action::ManageShops,
            Action::ManageUsers,
            Action::ManageCalendar,
            Action::ReadAudit,
        ] {
            assert!(!allows(Role::Supervisor, action), "{action:?}");
        }
    }

    #[test]
    fn everyone_who_works_tickets_can_read_them() {
        for role in Role::ALL {
            if allows(role, Action::WorkTickets) {
                assert!(allows(role, Action::ReadTickets));
            }
        }
    }
}
