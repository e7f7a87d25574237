//! Supabase mode: the server signs people in through Supabase Auth (GoTrue) and
//! keeps their Supabase tokens with its own session row, encrypted; the browser
//! only holds our opaque session cookie (a backend-for-frontend). Every request of
//! a Supabase session verifies its access token; near expiry one request — in the
//! whole deployment — spends the single-use refresh token.

pub mod gotrue;
mod refresh;
pub mod verify;

pub use refresh::{Freshness, SessionEnv, ensure_fresh, logout};

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::Connection;

use crate::auth::session::{self, IssuedSession, RequestMeta, SessionPolicy};
use crate::config::SupabaseSettings;
use crate::crypto::KeyRing;
use crate::db::AnyConnection;
use crate::db::Json;
use crate::db::models::activities;
use crate::db::models::audit::{self, AuditEvent};
use crate::db::models::sessions;
use crate::db::models::users::{self, NewUser};
use crate::domain::AuditAction;
use crate::domain::{EmailAddress, Preferences, Timezone, UserId};
use crate::error::AppError;
use gotrue::{GoTrue, TokenGrant};
use verify::{TokenError, VerifiedClaims, Verifier};

/// Refresh this long before the access token expires.
pub const REFRESH_AHEAD: chrono::Duration = chrono::Duration::seconds(60);
/// A refresh lease is held at most this long (a crashed holder frees it so).
const LEASE: chrono::Duration = chrono::Duration::seconds(10);
/// How long a request waits for another process's refresh before giving up.
const WAIT_FOR_OTHER_REFRESH: Duration = Duration::from_secs(10);

pub struct Supabase {
    pub settings: SupabaseSettings,
    pub gotrue: GoTrue,
    pub verifier: Verifier,
    /// One refresh at a time per session inside this process (the database lease
    /// does it across processes); entries go when nobody holds them.
    refreshing: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
    /// Stored tokens this process has verified, by session and token version: the
    /// same token is not checked again (an ES256 signature costs ~0.4 ms) while it
    /// is unexpired and its key is still in a key set younger than the TTL. Lost on
    /// restart and bounded; another process simply verifies for itself.
    verified: std::sync::RwLock<HashMap<(String, i32), Verified>>,
}

#[derive(Debug, Clone)]
struct Verified {
    kid: Option<String>,
    subject: String,
}

/// The verified-token memo is cleared when it grows past this many sessions.
const VERIFIED_MEMO_MAX: usize = 20_000;

impl Supabase {
    pub fn new(settings: SupabaseSettings) -> Self {
        if settings.legacy_jwt_secret.is_some() {
            tracing::warn!(
                "SUPABASE_LEGACY_JWT_SECRET is set: HS256 tokens signed with the shared secret are accepted"
            );
        }
        Supabase {
            gotrue: GoTrue::new(&settings.url, &settings.publishable_key),
            verifier: Verifier::new(
                &settings.issuer,
                &settings.audience,
                &settings.jwks_url,
                settings.legacy_jwt_secret.as_deref(),
                settings.allow_anonymous,
            ),
            settings,
            refreshing: Mutex::new(HashMap::new()),
            verified: std::sync::RwLock::new(HashMap::new()),
        }
    }

    fn refresh_lock(&self, id_hash: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.refreshing.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(lock) = map.get(id_hash).and_then(Weak::upgrade) {
            return lock;
        }
        map.retain(|_, weak| weak.strong_count() > 0);
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        map.insert(id_hash.to_string(), Arc::downgrade(&lock));
        lock
    }

    /// Verifies a token GoTrue just handed us; until then it is untrusted.
    pub async fn verify_grant(
        &self,
        grant: &TokenGrant,
        now: DateTime<Utc>,
    ) -> Result<VerifiedClaims, AppError> {
        self.verifier
            .verify(&grant.access_token, now)
            .await
            .map_err(|e| match e {
                TokenError::KeysUnavailable => AppError::AuthUnavailable,
                other => {
                    tracing::warn!(error = %other, "Supabase Auth returned a token that does not verify");
                    AppError::AuthFailed
                }
            })
    }
}

fn access_aad(id_hash: &str) -> String {
    format!("lauf/v1|sessions|sb_access|{id_hash}")
}

fn refresh_aad(id_hash: &str) -> String {
    format!("lauf/v1|sessions|sb_refresh|{id_hash}")
}

fn naive(at: DateTime<Utc>) -> NaiveDateTime {
    at.naive_utc()
}

/// Encrypts and stores a grant's tokens on the session `id_hash`.
fn store_grant(
    conn: &mut AnyConnection,
    keys: &KeyRing,
    id_hash: &str,
    grant: &TokenGrant,
    claims: &VerifiedClaims,
) -> Result<(), AppError> {
    let access = keys
        .encrypt(&grant.access_token, &access_aad(id_hash))
        .map_err(AppError::internal)?;
    let refresh = keys
        .encrypt(&grant.refresh_token, &refresh_aad(id_hash))
        .map_err(AppError::internal)?;
    sessions::store_tokens(
        conn,
        id_hash,
        claims.session_id.as_deref(),
        &access,
        &refresh,
        naive(claims.expires_at),
    )?;
    Ok(())
}

/// Signs the browser in with a verified grant: provisions the user, replaces the
/// pre-session (if any) with a new Supabase session holding the tokens.
#[allow(clippy::too_many_arguments)]
pub fn open_session(
    conn: &mut AnyConnection,
    keys: &KeyRing,
    policy: &SessionPolicy,
    issuer: &str,
    grant: &TokenGrant,
    claims: &VerifiedClaims,
    pre_session: Option<&str>,
    meta: &RequestMeta<'_>,
    now: NaiveDateTime,
) -> Result<IssuedSession, AppError> {
    let user = provision(conn, claims, issuer, now)?;
    if let Some(pre) = pre_session {
        sessions::delete(conn, pre)?;
    }
    let issued = session::issue_as(conn, policy, Some(&user), "supabase", meta, now)?;
    store_grant(conn, keys, &issued.record.id_hash, grant, claims)?;
    audit::record(
        conn,
        AuditEvent::new(AuditAction::Login, now)
            .user(&user)
            .ip(meta.ip),
    )?;
    Ok(issued)
}

/// Just-in-time provisioning from verified claims: the user's id is the Supabase
/// user id (`sub`). A first login creates the user with default preferences, time
/// zone and the starter catalog; later logins update the email (and fill a name or
/// avatar still missing). Concurrent first logins make one row. A row made by the
/// optional `handle_new_user` trigger is completed here on its first login.
pub fn provision(
    conn: &mut AnyConnection,
    claims: &VerifiedClaims,
    issuer: &str,
    now: NaiveDateTime,
) -> Result<UserId, AppError> {
    let id = UserId::parse(&claims.subject.to_string()).map_err(|_| AppError::AuthFailed)?;
    let email = EmailAddress::parse(&claims.email).map_err(|_| {
        AppError::AuthRefused(
            "This Supabase account has no usable email address; sign in with one that has.",
        )
    })?;
    let attempt = |conn: &mut AnyConnection| {
        conn.transaction::<_, AppError, _>(|conn| {
            match users::find(conn, &id)? {
                Some(user) => {
                    if user.auth_provider == "supabase" && user.auth_issuer == TRIGGER_ISSUER {
                        // Made by the optional `handle_new_user` trigger: same project
                        // (the trigger runs in its database), now its real issuer.
                        users::set_issuer(conn, &id, issuer)?;
                    } else if user.auth_provider != "supabase" || user.auth_issuer != issuer {
                        tracing::warn!(user = %id, "a Supabase sign-in names a user of another identity provider");
                        return Err(AppError::AuthRefused(
                            "This account belongs to another sign-in method.",
                        ));
                    }
                    if user.disabled_at.is_some() {
                        // Its sessions end at their next request (`session::look_up`).
                        return Err(AppError::AuthRefused("This account is disabled."));
                    }
                    users::update_identity(
                        conn,
                        &id,
                        email.as_str(),
                        user.name.is_none().then_some(claims.name.as_deref()).flatten(),
                        user.avatar_url.is_none().then_some(claims.avatar_url.as_deref()).flatten(),
                        now,
                    )?;
                    if user.last_login_at.is_none() && activities::count_of(conn, &id)? == 0 {
                        activities::insert_all(conn, &crate::auth::local::starter_catalog(&id, now))?;
                    }
                }
                None => {
                    users::insert(
                        conn,
                        &NewUser {
                            id: &id,
                            email: email.as_str(),
                            name: claims.name.as_deref(),
                            avatar_url: claims.avatar_url.as_deref(),
                            preferences: Json(Preferences::for_new_account()),
                            timezone: Timezone::DEFAULT,
                            auth_provider: "supabase",
                            auth_issuer: issuer,
                            auth_subject: id.as_str(),
                            created_at: now,
                            updated_at: now,
                        },
                    )?;
                    users::record_login(conn, &id, now)?;
                    activities::insert_all(conn, &crate::auth::local::starter_catalog(&id, now))?;
                    audit::record(conn, AuditEvent::new(AuditAction::Signup, now).user(&id))?;
                }
            }
            Ok(())
        })
    };
    match attempt(conn) {
        // Another request provisioned the same user a moment ago: now it exists.
        Err(e) if e.is_unique_violation() => attempt(conn)?,
        other => other?,
    }
    Ok(id)
}

/// The issuer the optional `handle_new_user` trigger writes (see
/// `migrations/optional/supabase_handle_new_user.sql`).
pub const TRIGGER_ISSUER: &str = "pending:handle_new_user";

/// The PKCE verifier of an OAuth flow, encrypted for its row.
pub fn flow_aad(id_hash: &str) -> String {
    format!("lauf/v1|auth_flows|verifier|{id_hash}")
}
