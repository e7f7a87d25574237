//! The closed value sets of PRODUCT.md, each with its stored text and a label for people.

use std::fmt;
use std::str::FromStr;

/// A value outside an enum's set, naming the set and the offending text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {kind}")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

/// Declares a text-stored enum: `as_str` is what the database CHECK constraint
/// lists, `label` is what a person reads, `ALL` keeps the order of PRODUCT.md.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($variant:ident => $text:literal, $label:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }

            pub const fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }

            /// Every value as `(stored text, label)`, for a `<select>`.
            pub fn choices() -> Vec<(String, String)> {
                Self::ALL
                    .iter()
                    .map(|v| (v.as_str().to_string(), v.label().to_string()))
                    .collect()
            }

            /// Parses the stored text exactly (`"DEEP_WORK"`), never a label or lower case.
            pub fn parse(text: &str) -> Result<Self, UnknownValue> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue { kind: $kind, value: text.chars().take(64).collect() }),
                }
            }

            /// What a person or a spreadsheet writes: the stored text or the label,
            /// in any case (`"web app"` is `WEBAPP`), for CSV imports.
            pub fn read(text: &str) -> Option<Self> {
                let text = text.trim();
                Self::ALL.iter().copied().find(|v| {
                    v.as_str().eq_ignore_ascii_case(text) || v.label().eq_ignore_ascii_case(text)
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

text_enum!(
    /// What kind of work a block is; drives its colour on the timeline.
    TaskCategory, "category" {
        Design => "DESIGN", "Design";
        Code => "CODE", "Code";
        Client => "CLIENT", "Client";
        Learning => "LEARNING", "Learning";
        Fitness => "FITNESS", "Fitness";
        Admin => "ADMIN", "Admin";
        Saas => "SAAS", "SaaS";
        Networking => "NETWORKING", "Networking";
        Personal => "PERSONAL", "Personal";
        Leisure => "LEISURE", "Leisure";
        Routine => "ROUTINE", "Routine";
    }
);

text_enum!(TaskStatus, "task status" {
    Todo => "TODO", "To do";
    InProgress => "IN_PROGRESS", "In progress";
    Blocked => "BLOCKED", "Blocked";
    Done => "DONE", "Done";
});

text_enum!(Priority, "priority" {
    Low => "LOW", "Low";
    Medium => "MEDIUM", "Medium";
    High => "HIGH", "High";
    Urgent => "URGENT", "Urgent";
});

text_enum!(EnergyLevel, "energy level" {
    DeepWork => "DEEP_WORK", "Deep work";
    Moderate => "MODERATE", "Moderate";
    Light => "LIGHT", "Light";
});

text_enum!(GoalType, "goal type" {
    Daily => "DAILY", "Daily";
    Weekly => "WEEKLY", "Weekly";
    Monthly => "MONTHLY", "Monthly";
    Yearly => "YEARLY", "Yearly";
});

text_enum!(
    /// How often a routine's block comes back.
    Cadence, "repeat" {
    Daily => "DAILY", "Every day";
    Weekdays => "WEEKDAYS", "Every weekday";
    Weekly => "WEEKLY", "Every week";
    Days => "DAYS", "On chosen days";
});

text_enum!(ClientStatus, "client status" {
    Active => "ACTIVE", "Active";
    Paused => "PAUSED", "Paused";
    Completed => "COMPLETED", "Completed";
    Churned => "CHURNED", "Churned";
});

text_enum!(HealthScore, "health score" {
    Green => "GREEN", "Healthy";
    Yellow => "YELLOW", "Needs attention";
    Red => "RED", "At risk";
});

text_enum!(PaymentStatus, "payment status" {
    Current => "CURRENT", "Current";
    Pending => "PENDING", "Pending";
    Overdue => "OVERDUE", "Overdue";
});

text_enum!(
    /// A CRM event a goal can count: money in, a launch, a retainer, a contact.
    CrmEvent, "event" {
        Payment => "PAYMENT", "Payment received";
        Launch => "LAUNCH", "Project launched";
        Retainer => "RETAINER", "Retainer signed or raised";
        Contact => "CONTACT", "Contact logged";
    }
);

text_enum!(ProjectType, "project type" {
    Website => "WEBSITE", "Website";
    Webapp => "WEBAPP", "Web app";
    Mobile => "MOBILE", "Mobile";
    Branding => "BRANDING", "Branding";
    Other => "OTHER", "Other";
});

text_enum!(
    /// The pipeline, in order: a project moves forward and back one stage at a time.
    ProjectStatus, "project status" {
        Planning => "PLANNING", "Planning";
        Design => "DESIGN", "Design";
        Development => "DEVELOPMENT", "Development";
        Review => "REVIEW", "Review";
        Launched => "LAUNCHED", "Launched";
    }
);

text_enum!(AssetType, "asset type" {
    Image => "IMAGE", "Image";
    Video => "VIDEO", "Video";
    Document => "DOCUMENT", "Document";
    Code => "CODE", "Code";
    Design => "DESIGN", "Design";
    Other => "OTHER", "Other";
});

impl TaskCategory {
    /// CSS modifier for the category colour (`cat-design`, …).
    pub fn css(self) -> String {
        format!("cat-{}", self.as_str().to_ascii_lowercase())
    }
}

impl HealthScore {
    pub fn css(self) -> &'static str {
        match self {
            HealthScore::Green => "health-green",
            HealthScore::Yellow => "health-yellow",
            HealthScore::Red => "health-red",
        }
    }
}

impl ProjectStatus {
    pub fn next(self) -> Option<Self> {
        let i = Self::ALL.iter().position(|s| *s == self)?;
        Self::ALL.get(i + 1).copied()
    }

    pub fn previous(self) -> Option<Self> {
        let i = Self::ALL.iter().position(|s| *s == self)?;
        i.checked_sub(1).and_then(|p| Self::ALL.get(p).copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips_through_its_text() {
        for c in TaskCategory::ALL {
            assert_eq!(TaskCategory::parse(c.as_str()), Ok(*c));
        }
        for s in ProjectStatus::ALL {
            assert_eq!(s.as_str().parse::<ProjectStatus>(), Ok(*s));
        }
        assert_eq!(TaskCategory::ALL.len(), 11);
    }

    #[test]
    fn refuses_labels_lower_case_and_unknown_text() {
        assert!(TaskStatus::parse("done").is_err());
        assert!(TaskStatus::parse("Done").is_err());
        assert!(EnergyLevel::parse("Deep work").is_err());
        let err = HealthScore::parse("PURPLE").unwrap_err();
        assert_eq!(err.to_string(), "\"PURPLE\" is not a valid health score");
    }

    #[test]
    fn unknown_value_errors_do_not_echo_huge_input() {
        let err = Priority::parse(&"X".repeat(10_000)).unwrap_err();
        assert_eq!(err.value.len(), 64);
    }

    #[test]
    fn the_pipeline_moves_one_stage_at_a_time() {
        assert_eq!(ProjectStatus::Planning.next(), Some(ProjectStatus::Design));
        assert_eq!(ProjectStatus::Launched.next(), None);
        assert_eq!(ProjectStatus::Planning.previous(), None);
        assert_eq!(
            ProjectStatus::Review.previous(),
            Some(ProjectStatus::Development)
        );
    }

    #[test]
    fn serde_uses_the_stored_text() {
        assert_eq!(
            serde_json::to_string(&EnergyLevel::DeepWork).unwrap(),
            "\"DEEP_WORK\""
        );
        assert!(serde_json::from_str::<EnergyLevel>("\"deep_work\"").is_err());
    }
}
