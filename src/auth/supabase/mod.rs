//! Supabase mode: the server signs people in through Supabase Auth (GoTrue) and
//! keeps their Supabase tokens with its own session row, encrypted; the browser
//! only holds our opaque session cookie (a backend-for-frontend). Every request of
//! a Supabase session verifies its access token; near expiry one request — in the
//! whole deployment — spends the single-use refresh token.

pub mod gotrue;
pub mod signing;
pub mod verify;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::Connection;

use crate::auth::session::{self, IssuedSession, LiveSession, RequestMeta, SessionPolicy};
use crate::config::SupabaseSettings;
use crate::crypto::KeyRing;
use crate::db::AnyConnection;
use crate::db::Json;
use crate::db::models::activities;
use crate::db::models::audit::{self, AuditEvent};
use crate::db::models::sessions::{self, SessionTokens};
use crate::db::models::users::{self, NewUser};
use crate::domain::{EmailAddress, Preferences, Timezone, UserId};
use crate::error::AppError;
use crate::startup::AppState;
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
    audit::record(conn, AuditEvent::new("auth.login").user(&user).ip(meta.ip))?;
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
                            preferences: Json(Preferences::default()),
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
                    audit::record(conn, AuditEvent::new("auth.signup").user(&id))?;
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

/// What a Supabase session's tokens allow for this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// The access token verifies (or was refreshed): serve the request.
    Live,
    /// The session cannot come back (refresh refused, token for someone else);
    /// it has been deleted.
    Ended,
    /// Supabase Auth or its keys cannot be reached and the access token has
    /// expired: 503, the session is kept.
    Unavailable,
}

/// Checks a Supabase session on a request: verifies its access token, and
/// refreshes it when it is about to expire (or no longer verifies).
pub async fn ensure_fresh(
    state: &AppState,
    supabase: &Supabase,
    live: &mut LiveSession,
) -> Result<Freshness, AppError> {
    let now = state.clock.now();
    let Some(expires) = live.record.tokens.sb_access_expires_at else {
        return end(state, live, "auth.session_without_tokens").await;
    };
    if expires.and_utc() - REFRESH_AHEAD > now {
        match verify_stored(state, supabase, live, now).await {
            Ok(()) => return Ok(Freshness::Live),
            Err(TokenError::KeysUnavailable) => return Ok(Freshness::Unavailable),
            Err(e) if e.may_pass_after_refresh() => {
                tracing::info!(error = %e, "stored access token no longer verifies; refreshing");
            }
            Err(e) => {
                tracing::warn!(error = %e, "stored access token refused");
                return end(state, live, "auth.token_refused").await;
            }
        }
    }
    refresh(state, supabase, live, now).await
}

async fn verify_stored(
    state: &AppState,
    supabase: &Supabase,
    live: &LiveSession,
    now: DateTime<Utc>,
) -> Result<(), TokenError> {
    let owner = live.record.user_id.as_ref().map(UserId::as_str);
    let memo_key = (live.record.id_hash.clone(), live.record.tokens.version);
    let seen = supabase
        .verified
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .get(&memo_key)
        .cloned();
    if let Some(seen) = seen {
        let key_still_current = seen
            .kid
            .as_deref()
            .is_none_or(|kid| supabase.verifier.jwks.is_current(kid, now));
        // The caller checked the expiry; the key must still be published.
        if key_still_current && owner == Some(seen.subject.as_str()) {
            return Ok(());
        }
    }
    let envelope = live
        .record
        .tokens
        .sb_access_token
        .as_deref()
        .ok_or(TokenError::Malformed)?;
    let token = state
        .keys
        .decrypt(envelope, &access_aad(&live.record.id_hash))
        .map_err(|_| TokenError::Malformed)?;
    let claims = supabase.verifier.verify(&token, now).await?;
    let subject = claims.subject.to_string();
    if owner != Some(subject.as_str()) {
        return Err(TokenError::BadClaim("sub"));
    }
    let mut memo = supabase.verified.write().unwrap_or_else(|p| p.into_inner());
    if memo.len() >= VERIFIED_MEMO_MAX {
        memo.clear();
    }
    memo.insert(
        memo_key,
        Verified {
            kid: claims.kid,
            subject,
        },
    );
    Ok(())
}

/// Deletes the session and records why, for its user.
async fn end(
    state: &AppState,
    live: &LiveSession,
    event: &'static str,
) -> Result<Freshness, AppError> {
    let id_hash = live.record.id_hash.clone();
    let user = live.record.user_id.clone();
    state
        .db_write(move |conn| {
            sessions::delete(conn, &id_hash)?;
            let mut e = AuditEvent::new(event);
            if let Some(user) = &user {
                e = e.user(user);
            }
            audit::record(conn, e)?;
            Ok(())
        })
        .await?;
    Ok(Freshness::Ended)
}

fn still_valid(tokens: &SessionTokens, now: DateTime<Utc>) -> bool {
    tokens
        .sb_access_expires_at
        .is_some_and(|at| at.and_utc() > now)
}

fn refreshed_since(seen: &SessionTokens, current: &SessionTokens, now: DateTime<Utc>) -> bool {
    current.sb_access_token != seen.sb_access_token
        && current
            .sb_access_expires_at
            .is_some_and(|at| at.and_utc() - REFRESH_AHEAD > now)
}

async fn refresh(
    state: &AppState,
    supabase: &Supabase,
    live: &mut LiveSession,
    now: DateTime<Utc>,
) -> Result<Freshness, AppError> {
    let id_hash = live.record.id_hash.clone();
    let lock = supabase.refresh_lock(&id_hash);
    let _in_this_process = lock.lock().await;
    let started = std::time::Instant::now();
    loop {
        let read_hash = id_hash.clone();
        let Some(current) = state
            .db(move |conn| Ok(sessions::tokens(conn, &read_hash)?))
            .await?
        else {
            return Ok(Freshness::Ended);
        };
        if refreshed_since(&live.record.tokens, &current, now) {
            // Another request (here or in another process) refreshed already.
            live.record.tokens = current;
            return Ok(Freshness::Live);
        }
        let lease_hash = id_hash.clone();
        let version = current.version;
        let leased = state
            .db_write(move |conn| {
                Ok(sessions::take_refresh_lease(
                    conn,
                    &lease_hash,
                    version,
                    naive(now),
                    naive(now + LEASE),
                )?)
            })
            .await?;
        if leased {
            live.record.tokens = current;
            break;
        }
        if started.elapsed() >= WAIT_FOR_OTHER_REFRESH {
            return Ok(if still_valid(&current, now) {
                Freshness::Live
            } else {
                Freshness::Unavailable
            });
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }

    let refresh_token = live
        .record
        .tokens
        .sb_refresh_token
        .as_deref()
        .and_then(|env| state.keys.decrypt(env, &refresh_aad(&id_hash)).ok());
    let Some(refresh_token) = refresh_token else {
        return end(state, live, "auth.session_without_tokens").await;
    };
    let outcome = supabase.gotrue.refresh(&refresh_token).await;
    let grant = match outcome {
        Ok(grant) => grant,
        Err(e) if gotrue::ends_session(&e) => {
            let event = if e.code() == "refresh_token_already_used" {
                // Tokens live only on this server: reuse means our single-flight
                // failed or a token leaked. Either way, a security event.
                tracing::error!(
                    code = e.code(),
                    "refresh token reuse detected; session ended"
                );
                "auth.refresh_reuse"
            } else {
                tracing::info!(code = e.code(), "refresh refused; session ended");
                "auth.refresh_failed"
            };
            return end(state, live, event).await;
        }
        Err(e) => {
            tracing::warn!(error = %e, "refresh failed for now");
            release(state, &id_hash).await?;
            return Ok(if still_valid(&live.record.tokens, now) {
                Freshness::Live
            } else {
                Freshness::Unavailable
            });
        }
    };
    let claims = match supabase.verifier.verify(&grant.access_token, now).await {
        Ok(claims) => claims,
        Err(TokenError::KeysUnavailable) => {
            release(state, &id_hash).await?;
            return Ok(Freshness::Unavailable);
        }
        Err(e) => {
            tracing::warn!(error = %e, "refreshed access token does not verify; session ended");
            return end(state, live, "auth.token_refused").await;
        }
    };
    let same_user = live.record.user_id.as_ref().map(UserId::as_str)
        == Some(claims.subject.to_string().as_str());
    let same_session = match (&live.record.tokens.sb_session_id, &claims.session_id) {
        (Some(before), Some(after)) => before == after,
        _ => true,
    };
    if !same_user || !same_session {
        tracing::error!("refresh returned a token for another user or session; session ended");
        return end(state, live, "auth.token_refused").await;
    }
    let keys = state.keys.clone();
    let store_hash = id_hash.clone();
    let store_claims = claims.clone();
    state
        .db_write(move |conn| store_grant(conn, &keys, &store_hash, &grant, &store_claims))
        .await?;
    let read_hash = id_hash.clone();
    if let Some(tokens) = state
        .db(move |conn| Ok(sessions::tokens(conn, &read_hash)?))
        .await?
    {
        live.record.tokens = tokens;
    }
    Ok(Freshness::Live)
}

async fn release(state: &AppState, id_hash: &str) -> Result<(), AppError> {
    let id_hash = id_hash.to_string();
    state
        .db_write(move |conn| Ok(sessions::release_refresh_lease(conn, &id_hash).map(drop)?))
        .await
}

/// Ends the Supabase side of a session on logout (best effort: our own session
/// row is deleted whatever Supabase answers).
pub async fn logout(state: &AppState, supabase: &Supabase, live: &LiveSession) {
    let Some(envelope) = live.record.tokens.sb_access_token.as_deref() else {
        return;
    };
    let Ok(token) = state
        .keys
        .decrypt(envelope, &access_aad(&live.record.id_hash))
    else {
        return;
    };
    if let Err(e) = supabase.gotrue.logout(&token, "local").await {
        tracing::warn!(error = %e, "Supabase logout failed; our session is ended anyway");
    }
}

/// The PKCE verifier of an OAuth flow, encrypted for its row.
pub fn flow_aad(id_hash: &str) -> String {
    format!("lauf/v1|auth_flows|verifier|{id_hash}")
}
