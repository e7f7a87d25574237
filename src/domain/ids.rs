//! Typed ids: UUID strings (as the original Prisma schema stores them) that cannot be mixed up.

use std::fmt;

/// An id that is not a UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid {kind} id")]
pub struct BadId {
    pub kind: &'static str,
}

macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident, $kind:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// A fresh random (v4) id.
            pub fn generate() -> Self {
                Self(uuid::Uuid::new_v4().hyphenated().to_string())
            }

            /// Accepts any UUID spelling and keeps the canonical lower-case hyphenated form,
            /// so the same id always compares and indexes equal.
            pub fn parse(text: &str) -> Result<Self, BadId> {
                uuid::Uuid::try_parse(text.trim())
                    .map(|u| Self(u.hyphenated().to_string()))
                    .map_err(|_| BadId { kind: $kind })
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = BadId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = BadId;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

typed_id!(UserId, "user");
typed_id!(TaskId, "task");
typed_id!(ActivityId, "activity");
typed_id!(GoalId, "goal");
typed_id!(ClientId, "client");
typed_id!(ProjectId, "project");
typed_id!(OpportunityId, "opportunity");
typed_id!(AssetId, "asset");
typed_id!(RoutineId, "routine");
typed_id!(PaymentId, "payment");
typed_id!(
    /// An action that "Undo" can reverse for a minute (`undo_actions`).
    UndoId,
    "undo"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back_to_themselves() {
        let id = TaskId::generate();
        assert_eq!(TaskId::parse(id.as_str()), Ok(id.clone()));
        assert_eq!(id.as_str().len(), 36);
    }

    #[test]
    fn any_uuid_spelling_becomes_the_canonical_form() {
        let upper = ClientId::parse("67E55044-10B1-426F-9247-BB680E5FE0C8").unwrap();
        let simple = ClientId::parse("67e5504410b1426f9247bb680e5fe0c8").unwrap();
        assert_eq!(upper, simple);
        assert_eq!(upper.as_str(), "67e55044-10b1-426f-9247-bb680e5fe0c8");
    }

    #[test]
    fn refuses_what_is_not_a_uuid() {
        for bad in [
            "",
            "42",
            "../../etc/passwd",
            "67e55044-10b1-426f-9247-bb680e5fe0c",
            "' OR 1=1 --",
        ] {
            assert_eq!(UserId::parse(bad), Err(BadId { kind: "user" }), "{bad:?}");
        }
        assert_eq!(
            GoalId::parse("x").unwrap_err().to_string(),
            "not a valid goal id"
        );
    }

    #[test]
    fn serde_checks_ids_too() {
        assert!(serde_json::from_str::<AssetId>("\"nope\"").is_err());
    }
}
