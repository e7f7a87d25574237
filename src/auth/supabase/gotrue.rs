//! The Supabase Auth (GoTrue) REST calls the server makes for the browser. Every
//! request carries the publishable key as `apikey` and asks for the 2024-01-01 error
//! shape; nothing follows redirects; 5 s per call. Errors are told apart by GoTrue's
//! error code, never by its message.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

thread_local! {
    static CLIENT: awc::Client =
        crate::outbound::client(Duration::from_secs(3), Duration::from_secs(5), "Supabase Auth");
}

/// Answers larger than this are not read.
const MAX_BODY: usize = 256 * 1024;

/// A session as GoTrue hands it out. The access token is untrusted until verified.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenGrant {
    pub access_token: String,
    pub refresh_token: String,
    #[serde(default)]
    pub expires_in: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GoTrueError {
    /// GoTrue answered and said no (bad credentials, spent token, …): `code` is its
    /// error code (`invalid_credentials`, `refresh_token_already_used`, …).
    #[error("Supabase Auth refused ({status}): {code}")]
    Refused { status: u16, code: String },
    #[error("Supabase Auth rate limit")]
    RateLimited,
    /// No answer, a 5xx, or an answer we cannot read: try again later.
    #[error("Supabase Auth unavailable: {0}")]
    Unavailable(String),
}

impl GoTrueError {
    pub fn code(&self) -> &str {
        match self {
            GoTrueError::Refused { code, .. } => code,
            GoTrueError::RateLimited => "over_request_rate_limit",
            GoTrueError::Unavailable(_) => "unavailable",
        }
    }
}

/// What sign-up produced: a session, or (with email confirmation on) a user who
/// must first open the link in their mail.
#[derive(Debug, Clone)]
pub enum SignupResult {
    SignedIn(TokenGrant),
    ConfirmationSent,
}

pub struct GoTrue {
    /// `<SUPABASE_URL>/auth/v1`
    base: String,
    apikey: String,
}

impl GoTrue {
    pub fn new(supabase_url: &str, apikey: &str) -> Self {
        GoTrue {
            base: format!("{}/auth/v1", supabase_url.trim_end_matches('/')),
            apikey: apikey.to_string(),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    async fn call(
        &self,
        method: awc::http::Method,
        path_and_query: &str,
        bearer: Option<&str>,
        body: Option<Value>,
    ) -> Result<(u16, Value), GoTrueError> {
        let client = CLIENT.with(Clone::clone);
        let mut request = client
            .request(method, format!("{}{}", self.base, path_and_query))
            .insert_header(("apikey", self.apikey.as_str()))
            .insert_header(("X-Supabase-Api-Version", "2024-01-01"))
            .insert_header(("Accept", "application/json"));
        if let Some(token) = bearer {
            request = request.insert_header(("Authorization", format!("Bearer {token}")));
        }
        let sent = match body {
            Some(body) => request.send_json(&body).await,
            None => request.send().await,
        };
        let mut response = sent.map_err(|e| GoTrueError::Unavailable(e.to_string()))?;
        let status = response.status().as_u16();
        let header_code = response
            .headers()
            .get("x-sb-error-code")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = response
            .body()
            .limit(MAX_BODY)
            .await
            .map_err(|e| GoTrueError::Unavailable(format!("reading the answer: {e}")))?;
        let json: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        match status {
            200..=299 => Ok((status, json)),
            429 => Err(GoTrueError::RateLimited),
            400..=499 => Err(GoTrueError::Refused {
                status,
                code: header_code
                    .or_else(|| error_code(&json))
                    .unwrap_or_else(|| format!("http_{status}")),
            }),
            _ => Err(GoTrueError::Unavailable(format!("answered {status}"))),
        }
    }

    async fn grant(&self, grant_type: &str, body: Value) -> Result<TokenGrant, GoTrueError> {
        let (_, json) = self
            .call(
                awc::http::Method::POST,
                &format!("/token?grant_type={grant_type}"),
                None,
                Some(body),
            )
            .await?;
        serde_json::from_value(json)
            .map_err(|e| GoTrueError::Unavailable(format!("unexpected token answer: {e}")))
    }

    pub async fn password(&self, email: &str, password: &str) -> Result<TokenGrant, GoTrueError> {
        self.grant("password", json!({"email": email, "password": password}))
            .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenGrant, GoTrueError> {
        self.grant("refresh_token", json!({"refresh_token": refresh_token}))
            .await
    }

    pub async fn exchange_code(
        &self,
        auth_code: &str,
        code_verifier: &str,
    ) -> Result<TokenGrant, GoTrueError> {
        self.grant(
            "pkce",
            json!({"auth_code": auth_code, "code_verifier": code_verifier}),
        )
        .await
    }

    /// Spends an email link's `token_hash` for a session.
    pub async fn verify_link(
        &self,
        kind: &str,
        token_hash: &str,
    ) -> Result<TokenGrant, GoTrueError> {
        let (_, json) = self
            .call(
                awc::http::Method::POST,
                "/verify",
                None,
                Some(json!({"type": kind, "token_hash": token_hash})),
            )
            .await?;
        serde_json::from_value(json)
            .map_err(|e| GoTrueError::Unavailable(format!("unexpected verify answer: {e}")))
    }

    /// Sends a magic link (GoTrue answers the same whether or not the address exists).
    pub async fn send_magic_link(&self, email: &str, create_user: bool) -> Result<(), GoTrueError> {
        self.call(
            awc::http::Method::POST,
            "/otp",
            None,
            Some(json!({"email": email, "create_user": create_user})),
        )
        .await
        .map(drop)
    }

    pub async fn signup(
        &self,
        email: &str,
        password: &str,
        name: Option<&str>,
    ) -> Result<SignupResult, GoTrueError> {
        let data = match name {
            Some(name) => json!({"full_name": name}),
            None => json!({}),
        };
        let (_, json) = self
            .call(
                awc::http::Method::POST,
                "/signup",
                None,
                Some(json!({"email": email, "password": password, "data": data})),
            )
            .await?;
        if json.get("access_token").is_some() {
            serde_json::from_value(json)
                .map(SignupResult::SignedIn)
                .map_err(|e| GoTrueError::Unavailable(format!("unexpected sign-up answer: {e}")))
        } else {
            Ok(SignupResult::ConfirmationSent)
        }
    }

    /// Ends the Supabase session the access token belongs to (`local`), or all of
    /// the user's sessions (`global`).
    pub async fn logout(&self, access_token: &str, scope: &str) -> Result<(), GoTrueError> {
        self.call(
            awc::http::Method::POST,
            &format!("/logout?scope={scope}"),
            Some(access_token),
            None,
        )
        .await
        .map(drop)
    }

    /// Where the browser goes to sign in with `provider` (Google, GitHub …).
    pub fn authorize_url(&self, provider: &str, redirect_to: &str, challenge: &str) -> String {
        let query = serde_urlencoded::to_string([
            ("provider", provider),
            ("redirect_to", redirect_to),
            ("code_challenge", challenge),
            ("code_challenge_method", "s256"),
        ])
        .unwrap_or_default();
        format!("{}/authorize?{query}", self.base)
    }
}

/// GoTrue's error code in any of its shapes: `{"code":"…"}` (API version
/// 2024-01-01), `{"error_code":"…"}`, or OAuth's `{"error":"…"}`.
fn error_code(json: &Value) -> Option<String> {
    ["code", "error_code", "error"]
        .iter()
        .find_map(|key| json.get(key).and_then(Value::as_str).map(str::to_string))
}

/// Refresh failures after which the session cannot come back.
pub fn ends_session(error: &GoTrueError) -> bool {
    matches!(error, GoTrueError::Refused { .. })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_read_from_every_shape() {
        assert_eq!(
            error_code(&json!({"code": "invalid_credentials", "message": "x"})).as_deref(),
            Some("invalid_credentials")
        );
        assert_eq!(
            error_code(&json!({"code": 400, "error_code": "email_not_confirmed"})).as_deref(),
            Some("email_not_confirmed")
        );
        assert_eq!(
            error_code(&json!({"error": "invalid_grant", "error_description": "x"})).as_deref(),
            Some("invalid_grant")
        );
        assert_eq!(error_code(&Value::Null), None);
    }

    #[test]
    fn the_authorize_url_carries_the_challenge_and_our_callback() {
        let gotrue = GoTrue::new("https://abc.supabase.co/", "key");
        let url =
            gotrue.authorize_url("google", "https://app.example/auth/callback", "ch_al-lenge");
        assert_eq!(
            url,
            "https://abc.supabase.co/auth/v1/authorize?provider=google&redirect_to=https%3A%2F%2Fapp.example%2Fauth%2Fcallback&code_challenge=ch_al-lenge&code_challenge_method=s256"
        );
    }
}
