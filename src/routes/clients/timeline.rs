//! A client's history, from the audit log: one line per event, in words.

use chrono::NaiveDateTime;

use crate::db::models::audit::AuditEntry;
use crate::domain::{AuditAction, ClientStatus, HealthScore, PaymentStatus, ProjectStatus};

/// One line of a client's history.
pub struct TimelineEntry {
    pub at: NaiveDateTime,
    pub what: String,
    pub detail: Option<String>,
}

impl TimelineEntry {
    pub fn from_audit(entry: AuditEntry) -> Self {
        let d = &entry.details.0;
        let text = |key: &str| d.get(key).and_then(|v| v.as_str()).map(str::to_string);
        let title = || text("title").unwrap_or_default();
        // "at risk → healthy": stored codes in the words the pages use.
        let change = |key: &str| {
            d.get(key)
                .and_then(|v| v.as_array())
                .and_then(|pair| match pair.as_slice() {
                    [from, to] => Some(format!(
                        "{} → {}",
                        words(key, from.as_str().unwrap_or("?")),
                        words(key, to.as_str().unwrap_or("?"))
                    )),
                    _ => None,
                })
        };
        let said = |what: &str| (what.to_string(), None);
        use AuditAction as A;
        let (what, detail) = match AuditAction::parse(&entry.action) {
            Some(A::ClientCreated) => said("Client added"),
            Some(A::ContactLogged) => ("Contact logged".to_string(), text("note")),
            Some(A::ProjectMoved) => (
                format!(
                    "{} moved: {}",
                    text("project").unwrap_or_default(),
                    change("stage").unwrap_or_default()
                ),
                None,
            ),
            Some(A::HealthChanged) => (
                format!("Health: {}", change("health").unwrap_or_default()),
                text("source"),
            ),
            Some(A::HealthKept) => (
                format!(
                    "Health kept at {}",
                    words("health", &text("score").unwrap_or_default())
                ),
                text("reason"),
            ),
            Some(A::OpportunityCreated) => (format!("Opportunity added: {}", title()), None),
            Some(A::OpportunitySuggested) => {
                let n = d.get("count").and_then(|v| v.as_u64()).unwrap_or(0);
                match n {
                    0 => said("Looked for opportunities: nothing new"),
                    1 => said("Looked for opportunities: 1 new"),
                    n => (format!("Looked for opportunities: {n} new"), None),
                }
            }
            Some(A::OpportunityDismissed) => (
                format!("Opportunity dismissed: {}", title()),
                text("reason"),
            ),
            Some(A::OpportunityRestored) => (format!("Opportunity restored: {}", title()), None),
            Some(A::OpportunityConverted) => (
                format!("Opportunity converted to a project: {}", title()),
                None,
            ),
            Some(A::CredentialsSaved) => said("Credentials saved (encrypted)"),
            Some(A::CredentialsRemoved) => said("Credentials removed"),
            Some(A::CredentialsRevealed) => said("Credentials revealed"),
            Some(A::ClientUpdated) => {
                let parts: Vec<String> = [
                    ("status", "Status"),
                    ("health", "Health"),
                    ("payment", "Payments"),
                ]
                .iter()
                .filter_map(|(key, label)| change(key).map(|c| format!("{label}: {c}")))
                .collect();
                if parts.is_empty() {
                    said("Details edited")
                } else {
                    (parts.join(", "), None)
                }
            }
            _ => (entry.action.clone(), None),
        };
        TimelineEntry {
            at: entry.created_at,
            what,
            detail,
        }
    }
}

/// A stored code as a person reads it ("RED" → "at risk"); what is not a known
/// code of that kind (an older entry's label) is shown lower-cased as it is.
fn words(key: &str, code: &str) -> String {
    let label = match key {
        "health" => HealthScore::parse(code).ok().map(HealthScore::label),
        "status" => ClientStatus::parse(code).ok().map(ClientStatus::label),
        "payment" => PaymentStatus::parse(code).ok().map(PaymentStatus::label),
        "stage" => ProjectStatus::parse(code).ok().map(ProjectStatus::label),
        _ => None,
    };
    label.unwrap_or(code).to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_as_words() {
        assert_eq!(words("health", "RED"), "at risk");
        assert_eq!(words("health", "Needs attention"), "needs attention");
        assert_eq!(words("payment", "OVERDUE"), "overdue");
    }
}
