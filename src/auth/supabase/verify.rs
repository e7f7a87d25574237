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
    /// The key that signed it (`None` for a legacy HS256 token).
    pub kid: Option<String>,
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
                    (Some(x), Some(y)) => {
                        DecodingKey::from_ec_components(x, y)
                            .ok()
                            .map(|key| VerifyingKey {
                                alg: Algorithm::ES256,
                                key,
                            })
                    }
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

    /// Whether `kid` is in a key set fetched within the TTL: a token verified with
    /// it before may be trusted again without redoing the signature check.
    pub fn is_current(&self, kid: &str, now: DateTime<Utc>) -> bool {
        let state = self.read();
        state.fetched_at.is_some_and(|at| now - at < JWKS_TTL) && state.keys.contains_key(kid)
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

    /// Refetches the set when it is older than the TTL (one fetch at a time; after
    /// a failure, not again for 15 s): for verification, and for `/readyz`, so an
    /// idle process keeps its keys fresh and stays ready.
    pub async fn refresh_if_due(&self, now: DateTime<Utc>) {
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
            let still_due = self.read().fetched_at.is_none_or(|at| now - at >= JWKS_TTL);
            if still_due {
                let _ = self.fetch(now).await;
            }
        }
    }

    /// The key for `kid`: from the cached set while it is younger than the TTL,
    /// refetched when older (or, at most once a minute, when `kid` is unknown).
    pub async fn key(&self, kid: &str, now: DateTime<Utc>) -> Result<VerifyingKey, TokenError> {
        self.refresh_if_due(now).await;
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
    let keys = admit_keys(&body)?;
    // Replacing the cache with nothing would end every session at its next
    // request: a set without one usable key is a failed fetch, and the last good
    // set stays (as after a 500 or a timeout).
    if keys.is_empty() {
        return Err("the key set holds no usable signing key".into());
    }
    Ok(keys)
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
                if header
                    .kid
                    .as_deref()
                    .is_some_and(|kid| self.jwks.knows(kid))
                {
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
            kid: match alg {
                Algorithm::HS256 => None,
                _ => header.kid,
            },
            subject: claims.sub,
            session_id: claims.session_id,
            email: claims.email.unwrap_or_default(),
            expires_at: DateTime::from_timestamp(claims.exp, 0)
                .ok_or(TokenError::BadClaim("exp"))?,
            aal: claims.aal,
            name,
            avatar_url,
        })
    }
}

#[cfg(test)]
mod tests {
    //! The design's token cases (T1–T15) against a JWKS served by a fake Supabase.
    use super::*;
    use crate::test_support::signing::{SigningKey, assemble, hs256, jwks, user_claims};
    use serde_json::{Value, json};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const ISS: &str = "https://proj.supabase.co/auth/v1";
    const SUB: &str = "6c3e2c6a-2d1f-4d0e-9a57-3f1f0b6f9a10";
    const LEGACY: &str = "a-legacy-secret-of-at-least-32-characters";

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn claims() -> Value {
        user_claims(
            ISS,
            SUB,
            "ana@example.com",
            "2b9d3c1e-0000-4000-8000-000000000001",
            now(),
            3600,
        )
    }

    fn with(mut claims: Value, key: &str, value: Value) -> Value {
        claims[key] = value;
        claims
    }

    fn without(mut claims: Value, key: &str) -> Value {
        claims.as_object_mut().unwrap().remove(key);
        claims
    }

    async fn jwks_server(set: Value, expected_fetches: u64) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/auth/v1/.well-known/jwks.json"))
            .respond_with(ResponseTemplate::new(200).set_body_json(set))
            .expect(expected_fetches)
            .mount(&server)
            .await;
        server
    }

    fn verifier(server: &MockServer, legacy: Option<&str>) -> Verifier {
        Verifier::new(
            ISS,
            "authenticated",
            &format!("{}/auth/v1/.well-known/jwks.json", server.uri()),
            legacy,
            false,
        )
    }

    #[actix_web::test]
    async fn es256_and_rs256_tokens_from_our_keys_are_accepted() {
        let es = SigningKey::es256("kid-es");
        let rs = SigningKey::rs256("kid-rs", 2048);
        let server = jwks_server(jwks(&[&es, &rs]), 1).await;
        let v = verifier(&server, None);
        let got = v.verify(&es.sign(&claims()), now()).await.unwrap();
        assert_eq!(got.subject.to_string(), SUB);
        assert_eq!(
            got.session_id.as_deref(),
            Some("2b9d3c1e-0000-4000-8000-000000000001")
        );
        assert_eq!(got.aal.as_deref(), Some("aal1"));
        assert_eq!(got.email, "ana@example.com");
        assert_eq!(got.name.as_deref(), Some("Ana Example"));
        assert!(v.verify(&rs.sign(&claims()), now()).await.is_ok());
        // An audience list holding ours is fine.
        let listed = with(claims(), "aud", json!(["authenticated"]));
        assert!(v.verify(&es.sign(&listed), now()).await.is_ok());
    }

    #[actix_web::test]
    async fn alg_none_in_any_case_is_malformed() {
        let es = SigningKey::es256("kid-es");
        let server = jwks_server(jwks(&[&es]), 0).await;
        let v = verifier(&server, Some(LEGACY));
        for alg in ["none", "None", "NONE"] {
            let token = assemble(
                &json!({"alg": alg, "typ": "JWT", "kid": "kid-es"}),
                &claims(),
                b"",
            );
            assert_eq!(
                v.verify(&token, now()).await,
                Err(TokenError::Malformed),
                "{alg}"
            );
        }
    }

    #[actix_web::test]
    async fn hs256_signed_with_the_public_key_is_refused_with_or_without_a_legacy_secret() {
        let es = SigningKey::es256("kid-es");
        let server = jwks_server(jwks(&[&es]), 1).await;
        let forged = hs256(&es.public_bytes, Some("kid-es"), &claims());
        let forged_json = hs256(es.jwk.to_string().as_bytes(), Some("kid-es"), &claims());
        let no_legacy = verifier(&server, None);
        assert_eq!(
            no_legacy.verify(&forged, now()).await,
            Err(TokenError::AlgNotAllowed)
        );
        assert_eq!(
            no_legacy.verify(&forged_json, now()).await,
            Err(TokenError::AlgNotAllowed)
        );
        let legacy = verifier(&server, Some(LEGACY));
        // Warm the key set so the kid is known to be asymmetric.
        legacy.verify(&es.sign(&claims()), now()).await.unwrap();
        assert_eq!(
            legacy.verify(&forged, now()).await,
            Err(TokenError::AlgMismatch)
        );
        // A real legacy token (no kid, our secret) passes only with the secret set.
        let real = hs256(LEGACY.as_bytes(), None, &claims());
        assert!(legacy.verify(&real, now()).await.is_ok());
        assert_eq!(
            no_legacy.verify(&real, now()).await,
            Err(TokenError::AlgNotAllowed)
        );
    }

    #[actix_web::test]
    async fn rs_and_es_cannot_stand_in_for_each_other() {
        let es = SigningKey::es256("kid-es");
        let rs = SigningKey::rs256("kid-rs", 2048);
        let server = jwks_server(jwks(&[&es, &rs]), 1).await;
        let v = verifier(&server, None);
        // An RS256 token naming the EC key's kid (and vice versa) is refused as such.
        let mut header = rs.header();
        header.kid = Some("kid-es".into());
        assert_eq!(
            v.verify(&rs.sign_with(&header, &claims()), now()).await,
            Err(TokenError::AlgMismatch)
        );
        let mut header = es.header();
        header.kid = Some("kid-rs".into());
        assert_eq!(
            v.verify(&es.sign_with(&header, &claims()), now()).await,
            Err(TokenError::AlgMismatch)
        );
        // Algorithms we never accept.
        let token = assemble(&json!({"alg": "PS256", "kid": "kid-rs"}), &claims(), b"sig");
        assert_eq!(
            v.verify(&token, now()).await,
            Err(TokenError::AlgNotAllowed)
        );
    }

    #[actix_web::test]
    async fn keys_named_in_the_token_header_are_refused_without_fetching_them() {
        let es = SigningKey::es256("kid-es");
        let attacker = SigningKey::es256("kid-es");
        let server = jwks_server(jwks(&[&es]), 0).await;
        let evil = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(jwks(&[&attacker])))
            .expect(0)
            .mount(&evil)
            .await;
        let v = verifier(&server, None);
        for field in ["jku", "x5u"] {
            let mut header = attacker.header();
            if field == "jku" {
                header.jku = Some(format!("{}/jwks.json", evil.uri()));
            } else {
                header.x5u = Some(format!("{}/cert.pem", evil.uri()));
            }
            let token = attacker.sign_with(&header, &claims());
            assert_eq!(
                v.verify(&token, now()).await,
                Err(TokenError::ForbiddenHeader),
                "{field}"
            );
        }
        let mut header = attacker.header();
        header.jwk = Some(serde_json::from_value(attacker.jwk.clone()).unwrap());
        let token = attacker.sign_with(&header, &claims());
        assert_eq!(
            v.verify(&token, now()).await,
            Err(TokenError::ForbiddenHeader)
        );
    }

    #[actix_web::test]
    async fn time_claims_are_checked_against_our_clock_with_30_seconds_of_leeway() {
        let es = SigningKey::es256("kid-es");
        // The last check is an hour later: past the cache's TTL, one more fetch.
        let server = jwks_server(jwks(&[&es]), 2).await;
        let v = verifier(&server, None);
        let t = now().timestamp();
        let expired = with(claims(), "exp", json!(t - 120));
        assert_eq!(
            v.verify(&es.sign(&expired), now()).await,
            Err(TokenError::Expired)
        );
        let just = with(claims(), "exp", json!(t - 10));
        assert!(v.verify(&es.sign(&just), now()).await.is_ok());
        let no_exp = without(claims(), "exp");
        assert!(matches!(
            v.verify(&es.sign(&no_exp), now()).await,
            Err(TokenError::Invalid(_))
        ));
        let early = with(claims(), "nbf", json!(t + 300));
        assert_eq!(
            v.verify(&es.sign(&early), now()).await,
            Err(TokenError::NotYetValid)
        );
        let future = with(claims(), "iat", json!(t + 300));
        assert_eq!(
            v.verify(&es.sign(&future), now()).await,
            Err(TokenError::BadClaim("iat"))
        );
        // The same token is fine an hour earlier and expired an hour and a minute later.
        let token = es.sign(&claims());
        assert_eq!(
            v.verify(&token, now() + chrono::Duration::seconds(3661))
                .await,
            Err(TokenError::Expired)
        );
    }

    #[actix_web::test]
    async fn audience_issuer_role_and_anonymity_are_enforced() {
        let es = SigningKey::es256("kid-es");
        let server = jwks_server(jwks(&[&es]), 1).await;
        let v = verifier(&server, None);
        let refused = [
            with(claims(), "aud", json!("anon")),
            without(claims(), "aud"),
            with(claims(), "iss", json!("https://other.supabase.co/auth/v1")),
            with(claims(), "iss", json!("supabase")),
            with(claims(), "iss", json!([ISS])),
            without(claims(), "iss"),
            without(claims(), "sub"),
            with(claims(), "sub", json!("not-a-uuid")),
            with(claims(), "role", json!("service_role")),
            with(claims(), "role", json!("anon")),
            with(claims(), "is_anonymous", json!(true)),
            with(claims(), "aal", json!("aal9")),
        ];
        for (i, c) in refused.iter().enumerate() {
            assert!(v.verify(&es.sign(c), now()).await.is_err(), "case {i}: {c}");
        }
        assert_eq!(
            v.verify(
                &es.sign(&with(claims(), "role", json!("service_role"))),
                now()
            )
            .await,
            Err(TokenError::WrongRole)
        );
        assert_eq!(
            v.verify(
                &es.sign(&with(claims(), "is_anonymous", json!(true))),
                now()
            )
            .await,
            Err(TokenError::Anonymous)
        );
    }

    #[actix_web::test]
    async fn a_tampered_payload_or_signature_is_invalid() {
        let es = SigningKey::es256("kid-es");
        let server = jwks_server(jwks(&[&es]), 1).await;
        let v = verifier(&server, None);
        let token = es.sign(&claims());
        let parts: Vec<&str> = token.split('.').collect();
        let other = with(
            claims(),
            "sub",
            json!("00000000-0000-4000-8000-000000000000"),
        );
        let swapped = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(other.to_string()),
            parts[2]
        );
        assert!(matches!(
            v.verify(&swapped, now()).await,
            Err(TokenError::Invalid(_))
        ));
        let mut sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        sig[10] ^= 1;
        let flipped = format!("{}.{}.{}", parts[0], parts[1], URL_SAFE_NO_PAD.encode(sig));
        assert!(matches!(
            v.verify(&flipped, now()).await,
            Err(TokenError::Invalid(_))
        ));
    }

    #[actix_web::test]
    async fn an_unknown_kid_refetches_once_a_minute_at_most() {
        let es = SigningKey::es256("kid-es");
        let stranger = SigningKey::es256("kid-unknown");
        // One fetch to warm up, one for the first unknown kid; none for the second.
        let server = jwks_server(jwks(&[&es]), 2).await;
        let v = verifier(&server, None);
        assert!(v.verify(&es.sign(&claims()), now()).await.is_ok());
        let token = stranger.sign(&claims());
        assert_eq!(v.verify(&token, now()).await, Err(TokenError::UnknownKey));
        assert_eq!(
            v.verify(&token, now() + chrono::Duration::seconds(30))
                .await,
            Err(TokenError::UnknownKey)
        );
        server.verify().await;
    }

    #[actix_web::test]
    async fn a_redirecting_jwks_endpoint_is_not_followed() {
        let es = SigningKey::es256("kid-es");
        let elsewhere = jwks_server(jwks(&[&es]), 0).await;
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(302).insert_header(
                "Location",
                format!("{}/auth/v1/.well-known/jwks.json", elsewhere.uri()),
            ))
            .mount(&server)
            .await;
        let v = verifier(&server, None);
        assert_eq!(
            v.verify(&es.sign(&claims()), now()).await,
            Err(TokenError::KeysUnavailable)
        );
    }

    #[actix_web::test]
    async fn rotation_adds_keys_on_sight_and_drops_removed_ones_after_the_ttl() {
        let old = SigningKey::es256("kid-1");
        let new = SigningKey::es256("kid-2");
        let server = MockServer::start().await;
        let v = verifier(&server, None);
        let jwks_path = || path("/auth/v1/.well-known/jwks.json");
        let first = Mock::given(method("GET"))
            .and(jwks_path())
            .respond_with(ResponseTemplate::new(200).set_body_json(jwks(&[&old])))
            .mount_as_scoped(&server)
            .await;
        assert!(v.verify(&old.sign(&claims()), now()).await.is_ok());
        drop(first);
        // kid-2 is published: its first token refetches and is accepted.
        let both = Mock::given(method("GET"))
            .and(jwks_path())
            .respond_with(ResponseTemplate::new(200).set_body_json(jwks(&[&old, &new])))
            .mount_as_scoped(&server)
            .await;
        let t1 = now() + chrono::Duration::seconds(5);
        assert!(v.verify(&new.sign(&claims()), t1).await.is_ok());
        assert!(v.verify(&old.sign(&claims()), t1).await.is_ok());
        drop(both);
        // kid-1 is revoked: its tokens pass until the cached set expires, not after.
        Mock::given(method("GET"))
            .and(jwks_path())
            .respond_with(ResponseTemplate::new(200).set_body_json(jwks(&[&new])))
            .mount(&server)
            .await;
        let t2 = now() + chrono::Duration::minutes(5);
        assert!(v.verify(&old.sign(&claims()), t2).await.is_ok());
        let t3 = now() + chrono::Duration::minutes(11);
        assert_eq!(
            v.verify(&old.sign(&claims()), t3).await,
            Err(TokenError::UnknownKey)
        );
        assert!(v.verify(&new.sign(&claims()), t3).await.is_ok());
    }

    #[actix_web::test]
    async fn a_jwks_outage_uses_the_last_good_keys_for_an_hour_then_fails_closed() {
        let es = SigningKey::es256("kid-es");
        let server = MockServer::start().await;
        let v = verifier(&server, None);
        let good = Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(jwks(&[&es])))
            .mount_as_scoped(&server)
            .await;
        let token =
            |at: DateTime<Utc>| es.sign(&user_claims(ISS, SUB, "ana@example.com", "s", at, 3600));
        assert!(v.verify(&token(now()), now()).await.is_ok());
        assert_eq!(v.jwks.health(now()), KeysHealth::Fresh);
        drop(good);
        for (i, outage) in [
            ResponseTemplate::new(500),
            ResponseTemplate::new(200).set_body_string("<html>maintenance</html>"),
            ResponseTemplate::new(200).set_body_string("x".repeat(10 * 1024 * 1024)),
            // A set with nothing usable in it is an outage too, not "no keys".
            ResponseTemplate::new(200).set_body_json(serde_json::json!({ "keys": [] })),
            ResponseTemplate::new(200).set_body_json(jwks(&[&SigningKey::rs256("weak", 1024)])),
        ]
        .into_iter()
        .enumerate()
        {
            let _down = Mock::given(method("GET"))
                .respond_with(outage)
                .mount_as_scoped(&server)
                .await;
            let at = now() + chrono::Duration::minutes(11 + i as i64 * 10);
            assert!(
                v.verify(&token(at), at).await.is_ok(),
                "outage {i} within the hour"
            );
            assert_eq!(v.jwks.health(at), KeysHealth::Stale);
        }
        let _down = Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(503))
            .mount_as_scoped(&server)
            .await;
        let late = now() + chrono::Duration::minutes(61);
        assert_eq!(
            v.verify(&token(late), late).await,
            Err(TokenError::KeysUnavailable)
        );
        assert_eq!(v.jwks.health(late), KeysHealth::Unavailable);
    }

    #[actix_web::test]
    async fn an_idle_cache_refreshes_when_asked_and_stays_usable() {
        let es = SigningKey::es256("kid-es");
        let server = jwks_server(jwks(&[&es]), 2).await;
        let v = verifier(&server, None);
        v.jwks.refresh_if_due(now()).await;
        assert_eq!(v.jwks.health(now()), KeysHealth::Fresh);
        // Two hours without a token to verify: a readiness check refetches.
        let later = now() + chrono::Duration::hours(2);
        v.jwks.refresh_if_due(later).await;
        assert_eq!(v.jwks.health(later), KeysHealth::Fresh);
        // Within the TTL it does not fetch again (`expect(2)`).
        v.jwks
            .refresh_if_due(later + chrono::Duration::minutes(5))
            .await;
    }

    #[actix_web::test]
    async fn garbage_never_panics_and_is_refused() {
        let es = SigningKey::es256("kid-es");
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(jwks(&[&es])))
            .expect(0..=1)
            .mount(&server)
            .await;
        let v = verifier(&server, None);
        let good = es.sign(&claims());
        let parts: Vec<&str> = good.split('.').collect();
        for bad in [
            String::new(),
            "a.b".into(),
            "a.b.c.d".into(),
            "!!!.???.***".into(),
            format!("{}.{}", parts[0], parts[1]),
            format!("{good}.{}", parts[2]),
            "x".repeat(9 * 1024),
            format!("{}.{}.{}", parts[0], "e30", parts[2]),
        ] {
            assert!(v.verify(&bad, now()).await.is_err(), "{bad:.60}");
        }
    }

    #[test]
    fn only_signing_keys_of_accepted_kinds_are_admitted() {
        let es = SigningKey::es256("es");
        let weak = SigningKey::rs256("weak", 1024);
        let mut enc = SigningKey::es256("enc").jwk;
        enc["use"] = json!("enc");
        let mut ops = SigningKey::es256("ops").jwk;
        ops["key_ops"] = json!(["sign"]);
        let mut nokid = SigningKey::es256("x").jwk;
        nokid.as_object_mut().unwrap().remove("kid");
        let oct = json!({"kty": "oct", "kid": "oct", "k": "c2VjcmV0", "alg": "HS256"});
        let okp = json!({"kty": "OKP", "kid": "okp", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
        let doc =
            json!({"keys": [es.jwk, weak.jwk, enc, ops, nokid, oct, okp, {"nonsense": true}]});
        let keys = admit_keys(doc.to_string().as_bytes()).unwrap();
        assert_eq!(keys.keys().collect::<Vec<_>>(), vec!["es"]);
        assert!(admit_keys(b"<html>").is_err());
    }
}
