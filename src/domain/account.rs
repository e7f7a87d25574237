//! Account inputs: email addresses and display names, checked before they reach the database.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("enter an email address such as you@example.com")]
    BadEmail,
    #[error("a name can be at most 100 characters")]
    NameTooLong,
    #[error("Name cannot contain control characters (it holds {0})")]
    NameControl(String),
}

/// An email address as typed, trimmed; compared and looked up in lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// A pragmatic check (one `@`, a dotted domain, no spaces or control characters,
    /// at most 254 bytes): the real proof of an address is mail reaching it.
    pub fn parse(text: &str) -> Result<Self, AccountError> {
        let email = text.trim();
        let (local, domain) = email.split_once('@').ok_or(AccountError::BadEmail)?;
        let valid = email.len() <= 254
            && !local.is_empty()
            && local.len() <= 64
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !email
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\".contains(c));
        if valid {
            Ok(EmailAddress(email.to_string()))
        } else {
            Err(AccountError::BadEmail)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The login handle: lower case, so `Ana@X.io` and `ana@x.io` are one account.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An optional display name: trimmed, empty means none.
pub fn parse_display_name(text: &str) -> Result<Option<String>, AccountError> {
    let name = text.trim();
    if let Some(c) = super::text::stray_control(name, false) {
        return Err(AccountError::NameControl(super::text::code_point(c)));
    }
    if name.chars().count() > 100 {
        return Err(AccountError::NameTooLong);
    }
    Ok((!name.is_empty()).then(|| name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_normalizes_case() {
        let email = EmailAddress::parse("  Ana.Silva+lauf@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "Ana.Silva+lauf@Example.COM");
        assert_eq!(email.normalized(), "ana.silva+lauf@example.com");
    }

    #[test]
    fn refuses_what_cannot_be_an_address() {
        for bad in [
            "",
            "ana",
            "ana@",
            "@x.io",
            "ana@x",
            "a b@x.io",
            "ana@x..io",
            "ana@@x.io",
            "<a>@x.io",
            "ana@.x.io",
        ] {
            assert_eq!(
                EmailAddress::parse(bad),
                Err(AccountError::BadEmail),
                "{bad:?}"
            );
        }
        assert!(EmailAddress::parse(&format!("{}@x.io", "a".repeat(300))).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_display_name("  Ana  "), Ok(Some("Ana".into())));
        assert_eq!(parse_display_name("   "), Ok(None));
        assert_eq!(
            parse_display_name(&"x".repeat(101)),
            Err(AccountError::NameTooLong)
        );
    }
}
