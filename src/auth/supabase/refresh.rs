//! Keeping a Supabase session alive on each request: verify the stored access
//! token, refresh it shortly before it expires (once per session across the whole
//! deployment), end the session when Supabase refuses it.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::gotrue;
use super::verify::TokenError;
use super::{
    LEASE, REFRESH_AHEAD, Supabase, VERIFIED_MEMO_MAX, Verified, WAIT_FOR_OTHER_REFRESH,
    access_aad, naive, refresh_aad, store_grant,
};
use crate::auth::session::LiveSession;
use crate::clock::Clock;
use crate::crypto::KeyRing;
use crate::db::Database;
use crate::db::models::audit::{self, AuditEvent};
use crate::db::models::sessions::{self, SessionTokens};
use crate::domain::{AuditAction, UserId};
use crate::error::AppError;

/// What keeping a session fresh needs of the app.
pub struct SessionEnv<'a> {
    pub db: &'a Database,
    pub keys: &'a KeyRing,
    pub clock: &'a Clock,
}

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
    env: &SessionEnv<'_>,
    supabase: &Supabase,
    live: &mut LiveSession,
) -> Result<Freshness, AppError> {
    let now = env.clock.now();
    let Some(expires) = live.record.tokens.sb_access_expires_at else {
        return end(env, live, AuditAction::SessionWithoutTokens).await;
    };
    if expires.and_utc() - REFRESH_AHEAD > now {
        match verify_stored(env, supabase, live, now).await {
            Ok(()) => return Ok(Freshness::Live),
            Err(TokenError::KeysUnavailable) => return Ok(Freshness::Unavailable),
            Err(e) if e.may_pass_after_refresh() => {
                tracing::info!(error = %e, "stored access token no longer verifies; refreshing");
            }
            Err(e) => {
                tracing::warn!(error = %e, "stored access token refused");
                return end(env, live, AuditAction::TokenRefused).await;
            }
        }
    }
    refresh(env, supabase, live, now).await
}

async fn verify_stored(
    env: &SessionEnv<'_>,
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
    let token = env
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
    env: &SessionEnv<'_>,
    live: &LiveSession,
    event: AuditAction,
) -> Result<Freshness, AppError> {
    let id_hash = live.record.id_hash.clone();
    let user = live.record.user_id.clone();
    let now = env.clock.stamp();
    env.db
        .write(move |conn| {
            sessions::delete(conn, &id_hash)?;
            let mut e = AuditEvent::new(event, now);
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
    env: &SessionEnv<'_>,
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
        let Some(current) = env
            .db
            .read(move |conn| Ok(sessions::tokens(conn, &read_hash)?))
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
        let leased = env
            .db
            .write(move |conn| {
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
        .and_then(|sealed| env.keys.decrypt(sealed, &refresh_aad(&id_hash)).ok());
    let Some(refresh_token) = refresh_token else {
        return end(env, live, AuditAction::SessionWithoutTokens).await;
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
                AuditAction::RefreshReuse
            } else {
                tracing::info!(code = e.code(), "refresh refused; session ended");
                AuditAction::RefreshFailed
            };
            return end(env, live, event).await;
        }
        Err(e) => {
            tracing::warn!(error = %e, "refresh failed for now");
            release(env, &id_hash).await?;
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
            release(env, &id_hash).await?;
            return Ok(Freshness::Unavailable);
        }
        Err(e) => {
            tracing::warn!(error = %e, "refreshed access token does not verify; session ended");
            return end(env, live, AuditAction::TokenRefused).await;
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
        return end(env, live, AuditAction::TokenRefused).await;
    }
    let keys = env.keys.clone();
    let store_hash = id_hash.clone();
    let store_claims = claims.clone();
    env.db
        .write(move |conn| store_grant(conn, &keys, &store_hash, &grant, &store_claims))
        .await?;
    let read_hash = id_hash.clone();
    if let Some(tokens) = env
        .db
        .read(move |conn| Ok(sessions::tokens(conn, &read_hash)?))
        .await?
    {
        live.record.tokens = tokens;
    }
    Ok(Freshness::Live)
}

async fn release(env: &SessionEnv<'_>, id_hash: &str) -> Result<(), AppError> {
    let id_hash = id_hash.to_string();
    env.db
        .write(move |conn| Ok(sessions::release_refresh_lease(conn, &id_hash).map(drop)?))
        .await
}

/// Ends the Supabase side of a session on logout (best effort: our own session
/// row is deleted whatever Supabase answers).
pub async fn logout(env: &SessionEnv<'_>, supabase: &Supabase, live: &LiveSession) {
    let Some(envelope) = live.record.tokens.sb_access_token.as_deref() else {
        return;
    };
    let Ok(token) = env
        .keys
        .decrypt(envelope, &access_aad(&live.record.id_hash))
    else {
        return;
    };
    if let Err(e) = supabase.gotrue.logout(&token, "local").await {
        tracing::warn!(error = %e, "Supabase logout failed; our session is ended anyway");
    }
}
