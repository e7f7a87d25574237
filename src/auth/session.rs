//! Session tokens and cookies: create, look up, slide, end. The browser holds a
//! random 256-bit token; the database holds only its SHA-256.

use std::time::Duration;

use actix_web::cookie::{Cookie, SameSite, time};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use diesel::QueryResult;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::AnyConnection;
use crate::db::models::sessions::{self, SessionRecord};
use crate::db::models::users::User;
use crate::domain::UserId;

/// How sessions behave in this deployment.
#[derive(Debug, Clone)]
pub struct SessionPolicy {
    pub secure: bool,
    pub idle: Duration,
    pub absolute: Duration,
}

/// Pre-sessions (login and sign-up forms) live briefly.
const ANON_LIFETIME: chrono::Duration = chrono::Duration::hours(2);
/// Sliding the idle expiry costs a write; do it at most this often per session.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::seconds(60);

impl SessionPolicy {
    pub fn cookie_name(&self) -> &'static str {
        if self.secure {
            "__Host-lauf_session"
        } else {
            "lauf_session"
        }
    }

    /// `HttpOnly; SameSite=Lax; Path=/`, plus `Secure` over HTTPS. No `Domain`, so
    /// the `__Host-` prefix holds.
    pub fn cookie(&self, token: &str, max_age: chrono::Duration) -> Cookie<'static> {
        Cookie::build(self.cookie_name(), token.to_string())
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .max_age(time::Duration::seconds(max_age.num_seconds()))
            .finish()
    }

    pub fn removal_cookie(&self) -> Cookie<'static> {
        let mut cookie = self.cookie("", chrono::Duration::zero());
        cookie.make_removal();
        cookie
    }

    fn idle(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.idle).unwrap_or(chrono::Duration::minutes(30))
    }

    fn absolute(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.absolute).unwrap_or(chrono::Duration::hours(12))
    }
}

/// A freshly issued session: the token goes to the cookie, the record to the table.
pub struct IssuedSession {
    pub token: String,
    pub record: SessionRecord,
}

/// 32 random bytes, base64url: 43 characters.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Tokens we issue are exactly 43 base64url characters; anything else is not looked up.
pub fn looks_like_token(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub struct RequestMeta<'a> {
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// Creates a session: anonymous (`user` = None, for the login form's CSRF token) or
/// signed in as `user`.
pub fn issue(
    conn: &mut AnyConnection,
    policy: &SessionPolicy,
    user: Option<&UserId>,
    meta: &RequestMeta<'_>,
    now: NaiveDateTime,
) -> QueryResult<IssuedSession> {
    issue_as(conn, policy, user, "local", meta, now)
}

/// As `issue`, for a signed-in session of `kind` (`local` or `supabase`).
pub fn issue_as(
    conn: &mut AnyConnection,
    policy: &SessionPolicy,
    user: Option<&UserId>,
    kind: &'static str,
    meta: &RequestMeta<'_>,
    now: NaiveDateTime,
) -> QueryResult<IssuedSession> {
    let token = random_token();
    let (kind, idle, absolute) = match user {
        Some(_) => (kind, policy.idle(), policy.absolute()),
        None => ("anon", ANON_LIFETIME, ANON_LIFETIME),
    };
    let record = SessionRecord {
        id_hash: hash_token(&token),
        user_id: user.cloned(),
        kind: kind.to_string(),
        csrf_token: random_token(),
        created_at: now,
        auth_time: user.map(|_| now),
        last_seen_at: now,
        idle_expires_at: (now + idle).min(now + absolute),
        absolute_expires_at: now + absolute,
        ip: meta.ip.map(|ip| ip.chars().take(64).collect()),
        user_agent: meta.user_agent.map(|ua| ua.chars().take(256).collect()),
        tokens: Default::default(),
    };
    sessions::insert(conn, &record)?;
    Ok(IssuedSession { token, record })
}

/// A live session found by its cookie, with its user when signed in.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub record: SessionRecord,
    pub user: Option<User>,
}

/// What looking a session up found, and the write it calls for.
pub struct Lookup {
    /// The live session, or none for an unknown, expired or disabled one.
    pub session: Option<LiveSession>,
    pub upkeep: Option<Upkeep>,
}

/// The write a lookup calls for, made separately in a write transaction (`keep_up`).
pub enum Upkeep {
    /// An expired session, or one whose user is disabled, is deleted.
    End { id_hash: String },
    /// The idle expiry slides at most once a minute.
    Touch {
        id_hash: String,
        seen: NaiveDateTime,
        idle_expires: NaiveDateTime,
    },
}

/// Looks the token up (reads only); an expired session, or one whose user is
/// disabled, is absent. The returned session already carries the slid expiry.
pub fn look_up(
    conn: &mut AnyConnection,
    policy: &SessionPolicy,
    token: &str,
    now: NaiveDateTime,
) -> QueryResult<Lookup> {
    let absent = |upkeep| Lookup {
        session: None,
        upkeep,
    };
    if !looks_like_token(token) {
        return Ok(absent(None));
    }
    let id_hash = hash_token(token);
    let Some((mut record, user)) = sessions::find_with_user(conn, &id_hash)? else {
        return Ok(absent(None));
    };
    let expired = now >= record.idle_expires_at || now >= record.absolute_expires_at;
    let disabled = user.as_ref().is_some_and(|u| u.disabled_at.is_some());
    if expired || disabled {
        return Ok(absent(Some(Upkeep::End { id_hash })));
    }
    let mut upkeep = None;
    if record.user_id.is_some() && now - record.last_seen_at >= TOUCH_EVERY {
        let idle_expires = (now + policy.idle()).min(record.absolute_expires_at);
        record.last_seen_at = now;
        record.idle_expires_at = idle_expires;
        upkeep = Some(Upkeep::Touch {
            id_hash,
            seen: now,
            idle_expires,
        });
    }
    Ok(Lookup {
        session: Some(LiveSession { record, user }),
        upkeep,
    })
}

/// Makes the write a lookup called for.
pub fn keep_up(conn: &mut AnyConnection, upkeep: &Upkeep) -> QueryResult<()> {
    match upkeep {
        Upkeep::End { id_hash } => sessions::delete(conn, id_hash).map(drop),
        Upkeep::Touch {
            id_hash,
            seen,
            idle_expires,
        } => sessions::touch(conn, id_hash, *seen, *idle_expires).map(drop),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_characters_and_unique() {
        let a = random_token();
        let b = random_token();
        assert!(looks_like_token(&a), "{a}");
        assert_ne!(a, b);
        assert!(!looks_like_token("short"));
        assert!(!looks_like_token(&format!("{}=", &a[..42])));
    }

    #[test]
    fn only_the_hash_is_stored() {
        let token = random_token();
        let hash = hash_token(&token);
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains(&token));
    }

    #[test]
    fn cookies_are_host_only_http_only_and_lax() {
        let secure = SessionPolicy {
            secure: true,
            idle: Duration::from_secs(60),
            absolute: Duration::from_secs(3600),
        };
        let cookie = secure.cookie("tok", chrono::Duration::hours(1)).to_string();
        assert!(cookie.starts_with("__Host-lauf_session=tok"), "{cookie}");
        for part in [
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Path=/",
            "Max-Age=3600",
        ] {
            assert!(cookie.contains(part), "{cookie} lacks {part}");
        }
        assert!(!cookie.contains("Domain"));
        let plain = SessionPolicy {
            secure: false,
            ..secure
        };
        let cookie = plain.cookie("tok", chrono::Duration::hours(1)).to_string();
        assert!(
            cookie.starts_with("lauf_session=tok") && !cookie.contains("Secure"),
            "{cookie}"
        );
    }
}
