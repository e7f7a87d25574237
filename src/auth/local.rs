//! Local mode: sign-up and login with an email address and a password, the
//! embedded default that needs no network.

use chrono::NaiveDateTime;
use diesel::Connection;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::password::{self, PasswordError};
use super::throttle::Buckets;
use crate::db::models::activities::{self, Activity};
use crate::db::models::audit::{self, AuditEvent};
use crate::db::models::credentials::{self, LocalCredential};
use crate::db::models::users::{self, NewUser};
use crate::db::{AnyConnection, Json};
use crate::domain::AuditAction;
use crate::domain::account::parse_display_name;
use crate::domain::catalog::STARTER_SET;
use crate::domain::{AccountError, ActivityId, EmailAddress, Preferences, Timezone, UserId};
use crate::error::AppError;

pub const ISSUER: &str = "local";

/// A sign-up form after validation.
#[derive(Debug, Clone)]
pub struct Signup {
    pub email: EmailAddress,
    pub name: Option<String>,
    pub timezone: Timezone,
    pub password: String,
}

/// Per-field problems with a sign-up form, shown next to each field.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SignupErrors {
    pub email: Option<String>,
    pub name: Option<String>,
    pub password: Option<String>,
    pub timezone: Option<String>,
}

impl SignupErrors {
    pub fn is_empty(&self) -> bool {
        *self == SignupErrors::default()
    }
}

/// Validates the raw form; on success the password still has to be hashed.
pub fn validate_signup(
    email: &str,
    name: &str,
    password: &str,
    confirm: &str,
    timezone: &str,
) -> Result<Signup, SignupErrors> {
    let mut errors = SignupErrors::default();
    let email = EmailAddress::parse(email)
        .map_err(|e| errors.email = Some(e.to_string()))
        .ok();
    let name = parse_display_name(name)
        .map_err(|e: AccountError| errors.name = Some(e.to_string()))
        .ok();
    let timezone = if timezone.trim().is_empty() {
        Some(Timezone::DEFAULT)
    } else {
        Timezone::parse(timezone)
            .map_err(|e| errors.timezone = Some(e.to_string()))
            .ok()
    };
    if let Err(e) = password::check_policy(password, email.as_ref().map_or("", |e| e.as_str())) {
        errors.password = Some(e.to_string());
    } else if password != confirm {
        errors.password = Some("the two passwords differ".into());
    }
    match (email, name, timezone) {
        (Some(email), Some(name), Some(timezone)) if errors.is_empty() => Ok(Signup {
            email,
            name,
            timezone,
            password: password.to_string(),
        }),
        _ => Err(errors),
    }
}

pub enum SignupOutcome {
    Created(UserId),
    EmailTaken,
}

/// Creates the user, their credential and their starter catalog in one transaction.
/// A concurrent sign-up with the same address loses on the unique index, not silently.
pub fn create_account(
    conn: &mut AnyConnection,
    signup: &Signup,
    phc: &str,
    now: NaiveDateTime,
) -> Result<SignupOutcome, AppError> {
    let email_lower = signup.email.normalized();
    let id = UserId::generate();
    let result = conn.transaction::<_, DieselError, _>(|conn| {
        if credentials::email_taken(conn, &email_lower)? {
            return Ok(SignupOutcome::EmailTaken);
        }
        users::insert(
            conn,
            &NewUser {
                id: &id,
                email: signup.email.as_str(),
                name: signup.name.as_deref(),
                avatar_url: None,
                preferences: Json(Preferences::for_new_account()),
                timezone: signup.timezone,
                auth_provider: "local",
                auth_issuer: ISSUER,
                auth_subject: id.as_str(),
                created_at: now,
                updated_at: now,
            },
        )?;
        credentials::insert(
            conn,
            &LocalCredential {
                user_id: id.clone(),
                email_lower: email_lower.clone(),
                password_hash: phc.to_string(),
                password_changed_at: now,
                created_at: now,
            },
        )?;
        activities::insert_all(conn, &starter_catalog(&id, now))?;
        audit::record(conn, AuditEvent::new(AuditAction::Signup, now).user(&id))?;
        Ok(SignupOutcome::Created(id.clone()))
    });
    match result {
        Ok(outcome) => Ok(outcome),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Ok(SignupOutcome::EmailTaken)
        }
        Err(other) => Err(other.into()),
    }
}

/// The starter set as rows for `user`, in catalog order.
pub fn starter_catalog(user: &UserId, now: NaiveDateTime) -> Vec<Activity> {
    STARTER_SET
        .iter()
        .enumerate()
        .map(|(i, a)| Activity {
            id: ActivityId::generate(),
            user_id: user.clone(),
            title: a.title.into(),
            description: Some(a.description.into()),
            category: a.category,
            default_duration: a.duration(),
            energy_level: a.energy,
            icon: Some(a.icon.into()),
            is_active: true,
            sort_order: (i as i32 + 1) * 10,
            times_used: 0,
            last_used: None,
            created_at: now,
            updated_at: now,
        })
        .collect()
}

pub enum LoginOutcome {
    SignedIn(UserId),
    Invalid,
    Throttled { retry_after_secs: u64 },
}

/// Checks the throttle, then the password (the dummy hash for unknown addresses, so
/// both failures look and take the same), and records the outcome. `device` is the
/// nonce of this browser's device cookie for the address, if it holds one
/// (`auth::throttle` says what that changes).
pub fn authenticate(
    conn: &mut AnyConnection,
    email: &str,
    password: &str,
    ip: &str,
    device: Option<&str>,
    now: NaiveDateTime,
) -> Result<LoginOutcome, AppError> {
    let email_lower = email.trim().to_lowercase();
    let buckets = Buckets::for_login(&email_lower, ip, device);
    if let Some(retry_after_secs) = buckets.wait(conn, now)? {
        audit::record(
            conn,
            AuditEvent::new(AuditAction::LoginThrottled, now).ip(Some(ip)),
        )?;
        return Ok(LoginOutcome::Throttled { retry_after_secs });
    }
    // An address that cannot be one is looked up as no account at all.
    let credential = match EmailAddress::parse(&email_lower) {
        Ok(_) if password.len() <= password::MAX_BYTES => {
            credentials::find_by_email(conn, &email_lower)?
        }
        _ => None,
    };
    let verified = match &credential {
        Some(c) => password::verify(password, &c.password_hash),
        None => {
            password::verify_dummy(password);
            false
        }
    };
    match credential {
        Some(c) if verified => {
            buckets.succeeded(conn)?;
            users::record_login(conn, &c.user_id, now)?;
            if password::needs_rehash(&c.password_hash) {
                let rehashed = password::hash(password)
                    .map_err(|e| AppError::internal(anyhow::anyhow!("rehash: {e}")))?;
                credentials::update_hash(conn, &c.user_id, &rehashed, now)?;
            }
            audit::record(
                conn,
                AuditEvent::new(AuditAction::Login, now)
                    .user(&c.user_id)
                    .ip(Some(ip)),
            )?;
            Ok(LoginOutcome::SignedIn(c.user_id))
        }
        found => {
            buckets.failed(conn, now)?;
            let event = AuditEvent::new(AuditAction::LoginFailed, now).ip(Some(ip));
            let user_id = found.map(|c| c.user_id);
            audit::record(
                conn,
                match &user_id {
                    Some(id) => event.user(id),
                    None => event,
                },
            )?;
            Ok(LoginOutcome::Invalid)
        }
    }
}

/// For messages: the policy error as text.
pub fn password_problem(e: PasswordError) -> String {
    e.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_form_becomes_a_signup() {
        let s = validate_signup(
            " Ana@Example.com ",
            "Ana",
            "a long passphrase",
            "a long passphrase",
            "Europe/Lisbon",
        )
        .unwrap();
        assert_eq!(s.email.normalized(), "ana@example.com");
        assert_eq!(s.timezone.name(), "Europe/Lisbon");
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let errors =
            validate_signup("nope", &"n".repeat(200), "short", "short", "Mars/Base").unwrap_err();
        assert!(
            errors.email.is_some()
                && errors.name.is_some()
                && errors.password.is_some()
                && errors.timezone.is_some()
        );
        let errors =
            validate_signup("a@b.io", "", "a long passphrase", "different one!", "").unwrap_err();
        assert_eq!(errors.password.as_deref(), Some("the two passwords differ"));
    }
}
