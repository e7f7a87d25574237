//! What the audit log records: one name per kind of event, stored as its dotted
//! text (`client.updated`), read back into the same value.

macro_rules! actions {
    ($($variant:ident => $text:literal,)+) => {
        /// An event in `audit_logs.action`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AuditAction {
            $($variant,)+
        }

        impl AuditAction {
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $text,)+
                }
            }

            /// The action a stored name stands for; `None` for a name this version
            /// does not know (an older or newer app wrote it).
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some(AuditAction::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

actions! {
    Login => "auth.login",
    LoginFailed => "auth.login_failed",
    LoginThrottled => "auth.login_throttled",
    Logout => "auth.logout",
    Signup => "auth.signup",
    SessionRevoked => "auth.session_revoked",
    SessionsRevoked => "auth.sessions_revoked",
    SessionWithoutTokens => "auth.session_without_tokens",
    TokenRefused => "auth.token_refused",
    RefreshReuse => "auth.refresh_reuse",
    RefreshFailed => "auth.refresh_failed",
    SettingsUpdated => "settings.updated",
    CalendarFeedRegenerated => "calendar_feed.regenerated",
    CalendarFeedRevoked => "calendar_feed.revoked",
    WorkspaceExported => "workspace.exported",
    WorkspaceImported => "workspace.imported",
    AccountDeleted => "account.deleted",
    ClientCreated => "client.created",
    ClientUpdated => "client.updated",
    ClientsImported => "clients.imported",
    ProjectsImported => "projects.imported",
    ContactLogged => "client.contact_logged",
    HealthChanged => "client.health_changed",
    HealthKept => "client.health_kept",
    CredentialsSaved => "client.credentials_saved",
    CredentialsRemoved => "client.credentials_removed",
    CredentialsRevealed => "client.credentials_revealed",
    ProjectMoved => "project.moved",
    OpportunityCreated => "opportunity.created",
    OpportunitySuggested => "opportunity.suggested",
    OpportunityDismissed => "opportunity.dismissed",
    OpportunityRestored => "opportunity.restored",
    OpportunityConverted => "opportunity.converted",
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_back_as_itself_and_names_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(*action));
            assert!(seen.insert(action.as_str()), "{action} twice");
        }
        assert_eq!(AuditAction::parse("client.exploded"), None);
    }
}
