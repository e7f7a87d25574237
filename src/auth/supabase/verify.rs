//! Verifying Supabase access tokens: ES256/RS256 keys from the project's JWKS (cached
//! with a bounded refetch), HS256 only with an explicitly configured legacy secret.
//! The key comes from our key set by `kid` and the algorithm from our key, never
//! from the token; `iss`, `aud`, `exp` and `sub` are required and `role` must be
//! `authenticated`. Time is read from the caller's clock, so tests can move it.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// Tokens longer than this are not even parsed.
const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Clock skew allowed on `exp`, `nbf` and `iat`.
const LEEWAY_SECS: i64 = 30;
/// Supabase's own edge and client caches hold the JWKS for 10 minutes; so do we.
pub const JWKS_TTL: chrono::Duration = chrono::Duration::minutes(10);
/// An unknown `kid` refetches the set at most this often (random kids cannot
/// make us hammer the JWKS endpoint).
pub const UNKNOWN_KID_REFETCH: chrono::Duration = chrono::Duration::seconds(60);
/// After a failed fetch, the next attempt waits this long.
const RETRY_FAILED_FETCH: chrono::Duration = chrono::Duration::seconds(15);
/// When the JWKS cannot be fetched, the last good set is used this long, then
/// verification fails closed.
pub const MAX_STALE: chrono::Duration = chrono::Duration::minutes(60);
/// A JWKS response larger than this is refused.
const MAX_JWKS_BYTES: usize = 64 * 1024;

/// Why a token was not accepted. None of these are shown to the person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("token header names its own key (jku/jwk/x5u/x5c/crit)")]
    ForbiddenHeader,
    #[error("no key with this kid")]
    UnknownKey,
    #[error("the token's algorithm does not match our key")]
    AlgMismatch,
    #[error("algorithm not allowed")]
    AlgNotAllowed,
    #[error("signature or claims invalid: {0}")]
    Invalid(String),
    #[error("token expired")]
    Expired,
    #[error("token not yet valid")]
    NotYetValid,
    #[error("role is not authenticated")]
    WrongRole,
    #[error("anonymous sign-ins are not allowed")]
    Anonymous,
    #[error("bad claim: {0}")]
    BadClaim(&'static str),
    /// The key set could not be fetched and the last good one is too old (or there
    /// never was one): fail closed, but this is not the token's fault.
    #[error("signing keys unavailable")]
    KeysUnavailable,
}

impl TokenError {
    /// Whether a fresh token (a refresh) could pass where this one failed.
    pub fn may_pass_after_refresh(&self) -> bool {
        matches!(
            self,
            TokenError::Expired | TokenError::UnknownKey | TokenError::Invalid(_)
        )
    }
}

/// The claims of a verified token that the app uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedClaims {
    pub subject: uuid::Uuid,
    pub session_id: Option<String>,
    pub email: String,
    pub expires_at: DateTime<Utc>,
    pub aal: Option<String>,
    /// From `user_metadata`, which the user can write: display only.
    pub name: Option<String>,
    pub avatar_url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Claims {
    // A `String`, not a list: an array `iss` fails here.
    #[allow(dead_code)]
    iss: String,
    sub: uuid::Uuid,
    exp: i64,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    iat: Option<i64>,
    role: String,
    #[serde(default)]
    aal: Option<String>,
    #[serde(default)]
    session_id: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    is_anonymous: bool,
    #[serde(default)]
    user_metadata: serde_json::Map<String, serde_json::Value>,
}

/// One admitted verification key.
#[derive(Clone)]
pub struct VerifyingKey {
    pub alg: Algorithm,
    key: DecodingKey,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VerifyingKey({:?})", self.alg)
    }
}

#[derive(Debug, Deserialize)]
struct RawJwk {
    kty: String,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    key_ops: Option<Vec<String>>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

/// Turns a JWKS document into the keys we accept: EC P-256 as ES256, RSA of at
/// least 2048 bits as RS256, each with a `kid`, meant for verifying signatures.
/// Symmetric (`oct`) keys from the network and everything else are skipped.
pub fn admit_keys(body: &[u8]) -> Result<HashMap<String, VerifyingKey>, String> {
    #[derive(Deserialize)]
    struct Set {
        keys: Vec<serde_json::Value>,
    }
    let set: Set = serde_json::from_slice(body).map_err(|e| format!("not a JWKS: {e}"))?;
    let mut keys = HashMap::new();
    for value in set.keys {
        let Ok(jwk) = serde_json::from_value::<RawJwk>(value) else {
            continue;
        };
        let Some(kid) = jwk.kid.clone().filter(|k| !k.is_empty() && k.len() <= 200) else {
            continue;
        };
        if jwk.use_.as_deref().is_some_and(|u| u != "sig")
            || jwk
                .key_ops
                .as_ref()
                .is_some_and(|ops| !ops.iter().any(|o| o == "verify"))
        {
            continue;
        }
        let admitted = match (jwk.kty.as_str(), jwk.alg.as_deref()) {
            ("EC", None | Some("ES256")) if jwk.crv.as_deref() == Some("P-256") => {
                match (&jwk.x, &jwk.y) {
                    (Some(x), Some(y)) => DecodingKey::from_ec_components(x, y)
                        .ok()
                        .map(|key| VerifyingKey {
                            alg: Algorithm::ES256,
                            key,
                        }),
                    _ => None,
                }
            }
            ("RSA", None | Some("RS256")) => match (&jwk.n, &jwk.e) {
                (Some(n), Some(e)) if rsa_bits(n) >= 2048 => DecodingKey::from_rsa_components(n, e)
                    .ok()
                    .map(|key| VerifyingKey {
                        alg: Algorithm::RS256,
                        key,
                    }),
                _ => None,
            },
            _ => None,
        };
        match admitted {
            Some(key) => {
                keys.insert(kid, key);
            }
            None => tracing::debug!(kid, kty = jwk.kty, "JWKS key skipped"),
        }
    }
    Ok(keys)
}

fn rsa_bits(n: &str) -> usize {
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(n.trim_end_matches('=')) else {
        return 0;
    };
    let significant = bytes.iter().skip_while(|b| **b == 0).count();
    significant * 8
}

#[derive(Default)]
struct KeyState {
    keys: Arc<HashMap<String, VerifyingKey>>,
    /// When the current set was fetched; `None` before the first success.
    fetched_at: Option<DateTime<Utc>>,
    last_attempt: Option<DateTime<Utc>>,
    last_attempt_failed: bool,
    last_unknown_kid_refetch: Option<DateTime<Utc>>,
}

/// The project's signing keys, fetched from its JWKS URL and kept per process
/// (they are public and the same for everyone: nothing another process needs).
pub struct JwksCache {
    url: String,
    state: RwLock<KeyState>,
    /// One fetch at a time; others wait for it and read its result.
    fetching: tokio::sync::Mutex<()>,
}

thread_local! {
    static CLIENT: awc::Client = crate::outbound::client(Duration::from_secs(3), Duration::from_secs(3), "JWKS");
}

/// How fresh the key set is, for `/readyz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeysHealth {
    Fresh,
    /// Fetching fails; the last good set is still used.
    Stale,
    /// No usable set: tokens cannot be verified.
    Unavailable,
}

impl JwksCache {
    pub fn new(url: impl Into<String>) -> Self {
        JwksCache {
            url: url.into(),
            state: RwLock::new(KeyState::default()),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, KeyState> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, KeyState> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    pub fn health(&self, now: DateTime<Utc>) -> KeysHealth {
        let state = self.read();
        match state.fetched_at {
            None => KeysHealth::Unavailable,
            Some(at) if now - at >= MAX_STALE => KeysHealth::Unavailable,
            Some(_) if state.last_attempt_failed => KeysHealth::Stale,
            Some(_) => KeysHealth::Fresh,
        }
    }

    /// Whether `kid` names one of our asymmetric keys (an HS256 token claiming it
    /// is refused rather than checked with the shared secret).
    pub fn knows(&self, kid: &str) -> bool {
        self.read().keys.contains_key(kid)
    }

    /// Fetches the set now (start-up warm-up, or a purge), whatever its age.
    pub async fn refresh_now(&self, now: DateTime<Utc>) -> Result<usize, String> {
        let _one = self.fetching.lock().await;
        self.fetch(now).await
    }

    async fn fetch(&self, now: DateTime<Utc>) -> Result<usize, String> {
        self.write().last_attempt = Some(now);
        let result = fetch_jwks(&self.url).await;
        let mut state = self.write();
        match result {
            Ok(keys) => {
                let count = keys.len();
                state.keys = Arc::new(keys);
                state.fetched_at = Some(now);
                state.last_attempt_failed = false;
                tracing::info!(keys = count, "JWKS fetched");
                Ok(count)
            }
            Err(e) => {
                state.last_attempt_failed = true;
                tracing::warn!(error = %e, url = %self.url, "JWKS fetch failed");
                Err(e)
            }
        }
    }

    /// The key for `kid`: from the cached set while it is younger than the TTL,
    /// refetched when older (or, at most once a minute, when `kid` is unknown).
    pub async fn key(&self, kid: &str, now: DateTime<Utc>) -> Result<VerifyingKey, TokenError> {
        let due = {
            let state = self.read();
            let expired = state.fetched_at.is_none_or(|at| now - at >= JWKS_TTL);
            let may_retry = !state.last_attempt_failed
                || state
                    .last_attempt
                    .is_none_or(|at| now - at >= RETRY_FAILED_FETCH);
            expired && may_retry
        };
        if due {
            let _one = self.fetching.lock().await;
            let still_due = self
                .read()
                .fetched_at
                .is_none_or(|at| now - at >= JWKS_TTL);
            if still_due {
                let _ = self.fetch(now).await;
            }
        }
        {
            let state = self.read();
            match state.fetched_at {
                None => return Err(TokenError::KeysUnavailable),
                Some(at) if now - at >= MAX_STALE => return Err(TokenError::KeysUnavailable),
                _ => {}
            }
            if let Some(key) = state.keys.get(kid) {
                return Ok(key.clone());
            }
        }
        // Unknown kid: perhaps a rotation we have not seen. One refetch per minute.
        let _one = self.fetching.lock().await;
        let may_refetch = {
            let mut state = self.write();
            let allowed = state
                .last_unknown_kid_refetch
                .is_none_or(|at| now - at >= UNKNOWN_KID_REFETCH);
            if allowed {
                state.last_unknown_kid_refetch = Some(now);
            }
            allowed
        };
        if may_refetch && !self.read().keys.contains_key(kid) {
            let _ = self.fetch(now).await;
        }
        self.read()
            .keys
            .get(kid)
            .cloned()
            .ok_or(TokenError::UnknownKey)
    }
}

async fn fetch_jwks(url: &str) -> Result<HashMap<String, VerifyingKey>, String> {
    let client = CLIENT.with(Clone::clone);
    let mut response = client
        .get(url)
        .insert_header(("Accept", "application/json"))
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    if response.status() != 200 {
        return Err(format!("answered {}", response.status()));
    }
    let body = response
        .body()
        .limit(MAX_JWKS_BYTES)
        .await
        .map_err(|e| format!("reading the body: {e}"))?;
    admit_keys(&body)
}

/// Verifies access tokens for one Supabase project.
pub struct Verifier {
    issuer: String,
    audience: String,
    allow_anonymous: bool,
    legacy: Option<DecodingKey>,
    pub jwks: JwksCache,
}

impl Verifier {
    pub fn new(
        issuer: &str,
        audience: &str,
        jwks_url: &str,
        legacy_secret: Option<&str>,
        allow_anonymous: bool,
    ) -> Self {
        Verifier {
            issuer: issuer.to_string(),
            audience: audience.to_string(),
            allow_anonymous,
            legacy: legacy_secret.map(|s| DecodingKey::from_secret(s.as_bytes())),
            jwks: JwksCache::new(jwks_url),
        }
    }

    pub async fn verify(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<VerifiedClaims, TokenError> {
        if token.len() > MAX_TOKEN_BYTES || token.split('.').count() != 3 {
            return Err(TokenError::Malformed);
        }
        // `alg: none` (any case) and garbage fail to parse here.
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.jku.is_some()
            || header.jwk.is_some()
            || header.x5u.is_some()
            || header.x5c.is_some()
            || header.crit.is_some()
        {
            return Err(TokenError::ForbiddenHeader);
        }
        let (key, alg) = match header.alg {
            Algorithm::ES256 | Algorithm::RS256 => {
                let kid = header.kid.as_deref().ok_or(TokenError::UnknownKey)?;
                let ours = self.jwks.key(kid, now).await?;
                // The algorithm is our key's; a token claiming another is refused,
                // never retried with another key type.
                if ours.alg != header.alg {
                    return Err(TokenError::AlgMismatch);
                }
                (ours.key, ours.alg)
            }
            Algorithm::HS256 => {
                let secret = self.legacy.as_ref().ok_or(TokenError::AlgNotAllowed)?;
                if header.kid.as_deref().is_some_and(|kid| self.jwks.knows(kid)) {
                    return Err(TokenError::AlgMismatch);
                }
                (secret.clone(), Algorithm::HS256)
            }
            _ => return Err(TokenError::AlgNotAllowed),
        };
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Times are checked below against our clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map_err(|e| TokenError::Invalid(e.to_string()))?
            .claims;
        let now_secs = now.timestamp();
        if claims.exp + LEEWAY_SECS < now_secs {
            return Err(TokenError::Expired);
        }
        if claims.nbf.is_some_and(|nbf| nbf > now_secs + LEEWAY_SECS) {
            return Err(TokenError::NotYetValid);
        }
        if claims.iat.is_some_and(|iat| iat > now_secs + LEEWAY_SECS) {
            return Err(TokenError::BadClaim("iat"));
        }
        if claims.role != "authenticated" {
            return Err(TokenError::WrongRole);
        }
        if claims.is_anonymous && !self.allow_anonymous {
            return Err(TokenError::Anonymous);
        }
        if claims
            .aal
            .as_deref()
            .is_some_and(|aal| aal != "aal1" && aal != "aal2")
        {
            return Err(TokenError::BadClaim("aal"));
        }
        let text = |key: &str, max: usize| {
            claims
                .user_metadata
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::trim)
                .filter(|s| !s.is_empty() && s.chars().count() <= max)
                .map(str::to_string)
        };
        let name = text("full_name", 100).or_else(|| text("name", 100));
        let avatar_url = text("avatar_url", 500)
            .or_else(|| text("picture", 500))
            .filter(|u| u.starts_with("https://"));
        Ok(VerifiedClaims {
            subject: claims.sub,
            session_id: claims.session_id,
            email: claims.email.unwrap_or_default(),
            expires_at: DateTime::from_timestamp(claims.exp, 0).ok_or(TokenError::BadClaim("exp"))?,
            aal: claims.aal,
            name,
            avatar_url,
        })
    }
}
