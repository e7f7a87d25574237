//! Local passwords: the policy (ASVS 5.0 V6) and argon2id hashing with OWASP's
//! parameters (m = 19 MiB, t = 2, p = 1, the `argon2` crate's defaults).

use std::sync::OnceLock;

use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use argon2::{Argon2, Params};

pub const MIN_CHARS: usize = 8;
pub const MAX_BYTES: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("use at least {MIN_CHARS} characters")]
    TooShort,
    #[error("use at most {MAX_BYTES} bytes")]
    TooLong,
    #[error("this password is too common; pick one that is hard to guess")]
    TooCommon,
    #[error("the password must not contain your email address")]
    ContainsEmail,
}

const COMMON: &str = include_str!("common-passwords.txt");

/// Checks a new password: length only, no composition rules, nothing trimmed or
/// truncated (spaces count), and not a well-known password or the user's address.
pub fn check_policy(password: &str, email: &str) -> Result<(), PasswordError> {
    if password.chars().count() < MIN_CHARS {
        return Err(PasswordError::TooShort);
    }
    if password.len() > MAX_BYTES {
        return Err(PasswordError::TooLong);
    }
    let lower = password.to_lowercase();
    if COMMON.lines().any(|common| common == lower) {
        return Err(PasswordError::TooCommon);
    }
    let local_part = email.split('@').next().unwrap_or_default().to_lowercase();
    if local_part.len() >= 4 && lower.contains(&local_part) {
        return Err(PasswordError::ContainsEmail);
    }
    Ok(())
}

fn hasher() -> Argon2<'static> {
    Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        Params::default(),
    )
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`). CPU-heavy: call off the async workers.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(hasher()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Verifies `password` against a stored PHC string, exactly as typed.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Burns the same time as a real verification, so an unknown address and a wrong
/// password cannot be told apart by timing.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash("lauf-dummy-password-for-timing").unwrap_or_default());
    let _ = verify(password, phc);
}

/// Whether a stored hash uses weaker parameters than today's policy.
pub fn needs_rehash(phc: &str) -> bool {
    PasswordHash::new(phc).map_or(true, |parsed| {
        let defaults = Params::default();
        let param = |name: &str| parsed.params.get_decimal(name).unwrap_or(0);
        parsed.algorithm.as_str() != "argon2id"
            || param("m") < defaults.m_cost()
            || param("t") < defaults.t_cost()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let phc = hash("correct horse battery staple").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery staple", &phc));
        assert!(
            !verify("correct horse battery staple ", &phc),
            "trailing space is significant"
        );
        assert!(!verify("wrong", &phc));
        assert!(!verify("anything", "not a phc string"));
        assert!(!needs_rehash(&phc));
    }

    #[test]
    fn the_policy_checks_length_and_common_passwords_only() {
        assert_eq!(
            check_policy("short", "a@b.io"),
            Err(PasswordError::TooShort)
        );
        assert_eq!(
            check_policy("Password1", "a@b.io"),
            Err(PasswordError::TooCommon)
        );
        assert_eq!(
            check_policy(&"x".repeat(257), "a@b.io"),
            Err(PasswordError::TooLong)
        );
        assert_eq!(
            check_policy("my-ana.silva-pass", "ana.silva@x.io"),
            Err(PasswordError::ContainsEmail)
        );
        assert_eq!(
            check_policy(&"é".repeat(64), "a@b.io"),
            Ok(()),
            "64 characters are allowed"
        );
        assert_eq!(check_policy("  two spaces  ", "a@b.io"), Ok(()));
        assert_eq!(check_policy("lowercaseonlyisfine", "a@b.io"), Ok(()));
    }
}
