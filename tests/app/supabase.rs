//! Supabase mode against a fake Supabase Auth (wiremock): GoTrue's token, verify,
//! otp, signup and logout endpoints and the project's JWKS, with keys made at test
//! time and the app's clock pinned so tokens can be made to expire.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use lauf::clock::Clock;
use lauf::db::schema::{activities, audit_logs, sessions, users};
use lauf::test_support::signing::{SigningKey, jwks, user_claims};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::helpers::{Backend, Browser, TestApp, spawn_app_with_clock};
use crate::on_both_backends;

const API_KEY: &str = "sb_publishable_test_key";
const PASSWORD: &str = "correct horse battery";

#[derive(Clone, Debug, PartialEq)]
enum RefreshMode {
    Ok,
    Refuse(&'static str),
    Down,
}

struct Account {
    sub: String,
    email: String,
    confirmed: bool,
}

struct FakeState {
    clock: Clock,
    issuer: String,
    /// Signs new tokens.
    key: Arc<SigningKey>,
    /// The keys the JWKS publishes.
    published: Vec<Arc<SigningKey>>,
    accounts: HashMap<String, Account>,
    /// refresh token → (email, session id)
    refresh_tokens: HashMap<String, (String, String)>,
    access_ttl: i64,
    refresh_mode: RefreshMode,
    logout_status: u16,
    /// Sign tokens with this issuer instead (a misconfigured or foreign project).
    wrong_issuer: bool,
    /// Email confirmation on: sign-up answers with a user and no session.
    confirm_signups: bool,
    /// Email link token hashes → email.
    links: HashMap<String, String>,
}

impl FakeState {
    fn grant(&mut self, email: &str, session_id: &str) -> Value {
        let account = &self.accounts[email];
        let iss = if self.wrong_issuer {
            "https://other-project.supabase.co/auth/v1".to_string()
        } else {
            self.issuer.clone()
        };
        let claims = user_claims(
            &iss,
            &account.sub,
            &account.email,
            session_id,
            self.clock.now(),
            self.access_ttl,
        );
        let refresh = uuid::Uuid::new_v4().simple().to_string();
        self.refresh_tokens
            .insert(refresh.clone(), (email.to_string(), session_id.to_string()));
        json!({
            "access_token": self.key.sign(&claims),
            "token_type": "bearer",
            "expires_in": self.access_ttl,
            "expires_at": self.clock.now().timestamp() + self.access_ttl,
            "refresh_token": refresh,
            "user": {"id": account.sub, "email": account.email},
        })
    }
}

fn refuse(status: u16, code: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("x-sb-error-code", code)
        .set_body_json(json!({"code": code, "message": "refused"}))
}

struct Auth(Arc<Mutex<FakeState>>);

impl Respond for Auth {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        if req.url.path() == "/auth/v1/.well-known/jwks.json" {
            let state = self.0.lock().unwrap();
            let keys: Vec<&SigningKey> = state.published.iter().map(|k| k.as_ref()).collect();
            return ResponseTemplate::new(200).set_body_json(jwks(&keys));
        }
        if req.headers.get("apikey").and_then(|v| v.to_str().ok()) != Some(API_KEY) {
            return refuse(401, "no_api_key");
        }
        let mut state = self.0.lock().unwrap();
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let text = |key: &str| body[key].as_str().unwrap_or_default().to_string();
        let grant_type = req
            .url
            .query_pairs()
            .find(|(k, _)| k == "grant_type")
            .map(|(_, v)| v.into_owned());
        match (req.url.path(), grant_type.as_deref()) {
            ("/auth/v1/token", Some("password")) => {
                let email = text("email").to_lowercase();
                match state.accounts.get(&email) {
                    Some(a) if text("password") == PASSWORD && a.confirmed => {
                        let session = uuid::Uuid::new_v4().to_string();
                        ResponseTemplate::new(200).set_body_json(state.grant(&email, &session))
                    }
                    Some(a) if text("password") == PASSWORD && !a.confirmed => {
                        refuse(400, "email_not_confirmed")
                    }
                    _ => refuse(400, "invalid_credentials"),
                }
            }
            ("/auth/v1/token", Some("refresh_token")) => match state.refresh_mode.clone() {
                RefreshMode::Down => ResponseTemplate::new(502).set_body_string("bad gateway"),
                RefreshMode::Refuse(code) => refuse(400, code),
                RefreshMode::Ok => match state.refresh_tokens.remove(&text("refresh_token")) {
                    Some((email, session)) => {
                        ResponseTemplate::new(200).set_body_json(state.grant(&email, &session))
                    }
                    None => refuse(400, "refresh_token_already_used"),
                },
            },
            ("/auth/v1/token", Some("pkce")) => {
                if text("auth_code") != "good-code" || text("code_verifier").len() < 43 {
                    return refuse(404, "flow_state_not_found");
                }
                let session = uuid::Uuid::new_v4().to_string();
                ResponseTemplate::new(200).set_body_json(state.grant("oauth@example.com", &session))
            }
            ("/auth/v1/verify", _) => match state.links.remove(&text("token_hash")) {
                Some(email) => {
                    let session = uuid::Uuid::new_v4().to_string();
                    ResponseTemplate::new(200).set_body_json(state.grant(&email, &session))
                }
                None => refuse(403, "otp_expired"),
            },
            ("/auth/v1/otp", _) => ResponseTemplate::new(200).set_body_json(json!({})),
            ("/auth/v1/signup", _) => {
                let email = text("email").to_lowercase();
                if state.accounts.contains_key(&email) {
                    return refuse(422, "user_already_exists");
                }
                let confirmed = !state.confirm_signups;
                state.accounts.insert(
                    email.clone(),
                    Account {
                        sub: uuid::Uuid::new_v4().to_string(),
                        email: email.clone(),
                        confirmed,
                    },
                );
                if confirmed {
                    let session = uuid::Uuid::new_v4().to_string();
                    ResponseTemplate::new(200).set_body_json(state.grant(&email, &session))
                } else {
                    let sub = state.accounts[&email].sub.clone();
                    ResponseTemplate::new(200)
                        .set_body_json(json!({"id": sub, "email": email, "confirmation_sent_at": "2026-11-22T00:00:00Z"}))
                }
            }
            ("/auth/v1/logout", _) => ResponseTemplate::new(state.logout_status),
            _ => ResponseTemplate::new(404),
        }
    }
}

struct Fake {
    server: MockServer,
    state: Arc<Mutex<FakeState>>,
}

impl Fake {
    async fn start(clock: &Clock) -> Fake {
        let server = MockServer::start().await;
        let key = Arc::new(SigningKey::es256(&uuid::Uuid::new_v4().to_string()));
        let issuer = format!("{}/auth/v1", server.uri());
        let mut accounts = HashMap::new();
        for (email, confirmed) in [
            ("ana@example.com", true),
            ("new@example.com", false),
            ("oauth@example.com", true),
        ] {
            accounts.insert(
                email.to_string(),
                Account {
                    sub: uuid::Uuid::new_v4().to_string(),
                    email: email.to_string(),
                    confirmed,
                },
            );
        }
        let state = Arc::new(Mutex::new(FakeState {
            clock: clock.clone(),
            issuer,
            key: key.clone(),
            published: vec![key.clone()],
            accounts,
            refresh_tokens: HashMap::new(),
            access_ttl: 3600,
            refresh_mode: RefreshMode::Ok,
            logout_status: 204,
            wrong_issuer: false,
            confirm_signups: true,
            links: HashMap::new(),
        }));
        Mock::given(wiremock::matchers::any())
            .respond_with(Auth(state.clone()))
            .mount(&server)
            .await;
        Fake { server, state }
    }

    fn set(&self, change: impl FnOnce(&mut FakeState)) {
        change(&mut self.state.lock().unwrap());
    }

    fn sub_of(&self, email: &str) -> String {
        self.state.lock().unwrap().accounts[email].sub.clone()
    }

    /// How many refresh grants GoTrue served.
    async fn refreshes(&self) -> usize {
        self.calls("/auth/v1/token", Some("refresh_token"))
            .await
            .len()
    }

    /// Requests GoTrue received at `path` (with `grant` as its grant type, if given).
    async fn calls(&self, path: &str, grant: Option<&str>) -> Vec<Request> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.url.path() == path)
            .filter(|r| {
                grant.is_none_or(|g| {
                    r.url
                        .query_pairs()
                        .any(|(k, v)| k == "grant_type" && v == g)
                })
            })
            .collect()
    }
}

fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T09:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

async fn supabase_app(backend: Backend) -> Option<(TestApp, Fake)> {
    let clock = Clock::fixed(start_time());
    let fake = Fake::start(&clock).await;
    let url = fake.server.uri();
    let app = spawn_app_with_clock(
        backend,
        &[
            ("LAUF_AUTH_MODE", "supabase"),
            ("SUPABASE_URL", url.as_str()),
            ("SUPABASE_PUBLISHABLE_KEY", API_KEY),
        ],
        clock,
    )
    .await?;
    Some((app, fake))
}

/// The app and its fake Supabase, with Ana signed in by password in a browser.
async fn signed_in(backend: Backend) -> Option<(TestApp, Fake, Browser)> {
    let (app, fake) = supabase_app(backend).await?;
    let browser = app.browser();
    let res = log_in(&browser, "ana@example.com", PASSWORD, "/").await;
    assert_eq!(res.status, 303, "{}", res.text());
    Some((app, fake, browser))
}

async fn log_in(
    browser: &Browser,
    email: &str,
    password: &str,
    next: &str,
) -> crate::helpers::Response {
    browser
        .submit(
            "/login",
            "/login",
            &[("email", email), ("password", password), ("next", next)],
        )
        .await
}

fn session_rows(app: &TestApp) -> Vec<(String, Option<String>, String, Option<String>)> {
    sessions::table
        .select((
            sessions::id_hash,
            sessions::user_id,
            sessions::kind,
            sessions::sb_access_token,
        ))
        .load(&mut *app.conn())
        .unwrap()
}

async fn password_login_provisions_the_user_once_and_keeps_tokens_off_the_browser(
    backend: Backend,
) {
    let Some((app, fake)) = supabase_app(backend).await else {
        return;
    };
    let browser = app.browser();
    let login = browser.get("/login").await;
    assert_eq!(login.status, 200);
    assert!(
        login.text().contains("Continue with Google"),
        "{}",
        login.text()
    );
    assert!(login.text().contains("Email me a sign-in link"));
    let pre_session = browser.cookie("lauf_session").unwrap();
    let res = log_in(&browser, "Ana@Example.com", PASSWORD, "/clients?tab=a").await;
    assert_eq!(res.status, 303, "{}", res.text());
    assert_eq!(res.header("location").as_deref(), Some("/clients?tab=a"));
    let session = browser.cookie("lauf_session").unwrap();
    assert_ne!(session, pre_session, "a new session id after login");
    // GoTrue was asked with our key, for a password grant, in JSON.
    let calls = fake.calls("/auth/v1/token", Some("password")).await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].headers.get("apikey").unwrap(), API_KEY);
    let body: Value = serde_json::from_slice(&calls[0].body).unwrap();
    assert_eq!(body["email"], "Ana@Example.com");
    // The user is the Supabase user, with the starter catalog.
    let sub = fake.sub_of("ana@example.com");
    let rows: Vec<(String, String, String, String)> = users::table
        .select((
            users::id,
            users::email,
            users::auth_provider,
            users::auth_subject,
        ))
        .load(&mut *app.conn())
        .unwrap();
    assert_eq!(
        rows,
        vec![(
            sub.clone(),
            "ana@example.com".into(),
            "supabase".into(),
            sub.clone()
        )]
    );
    let seeded: i64 = activities::table
        .filter(activities::user_id.eq(&sub))
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert!(seeded > 5, "starter catalog: {seeded}");
    // Tokens are stored encrypted with the session, never given to the browser.
    let stored = session_rows(&app);
    assert_eq!(stored.len(), 1, "the pre-session is gone");
    let access = stored[0].3.clone().unwrap();
    assert!(!access.contains("eyJ"), "stored token must be encrypted");
    assert!(res.set_cookies().iter().all(|c| !c.contains("eyJ")));
    let home = browser.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.text().contains("Ana Example"), "{}", home.text());

    // The address changes at Supabase; the next login updates it, same user.
    fake.set(|s| {
        let mut a = s.accounts.remove("ana@example.com").unwrap();
        a.email = "ana@new.example".into();
        s.accounts.insert("ana@new.example".into(), a);
    });
    assert_eq!(browser.log_out().await.status, 303);
    let again = app.browser();
    let res = log_in(&again, "ana@new.example", PASSWORD, "/").await;
    assert_eq!(res.status, 303, "{}", res.text());
    let rows: Vec<(String, String)> = users::table
        .select((users::id, users::email))
        .load(&mut *app.conn())
        .unwrap();
    assert_eq!(rows, vec![(sub, "ana@new.example".into())]);
}

async fn refused_logins_look_the_same_and_sign_nobody_in(backend: Backend) {
    let Some((app, fake)) = supabase_app(backend).await else {
        return;
    };
    let wrong = log_in(&app.browser(), "ana@example.com", "wrong password!", "/").await;
    let unconfirmed = log_in(&app.browser(), "new@example.com", PASSWORD, "/").await;
    assert_eq!(wrong.status, 422);
    assert_eq!(unconfirmed.status, 422);
    let message = |r: &crate::helpers::Response| {
        let text = r.text();
        let start = text.find("Email or password").unwrap();
        text[start..start + 60].to_string()
    };
    assert_eq!(message(&wrong), message(&unconfirmed));
    assert_eq!(fake.calls("/auth/v1/token", None).await.len(), 2);
    let signed_in: i64 = sessions::table
        .filter(sessions::user_id.is_not_null())
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!(signed_in, 0);
    assert_eq!(app.count("users"), 0);
    let codes: Vec<Option<String>> = audit_logs::table
        .filter(audit_logs::action.eq("auth.login_failed"))
        .select(audit_logs::details)
        .load::<lauf::db::Json<Value>>(&mut *app.conn())
        .unwrap()
        .into_iter()
        .map(|d| d.0["code"].as_str().map(str::to_string))
        .collect();
    assert_eq!(codes.len(), 2);
    assert!(
        codes.contains(&Some("email_not_confirmed".into())),
        "{codes:?}"
    );
}

async fn a_token_that_does_not_verify_signs_nobody_in(backend: Backend) {
    let Some((app, fake)) = supabase_app(backend).await else {
        return;
    };
    fake.set(|s| s.wrong_issuer = true);
    let res = log_in(&app.browser(), "ana@example.com", PASSWORD, "/").await;
    assert_eq!(res.status, 502, "{}", res.text());
    assert!(res.text().contains("Sign-in failed"));
    assert_eq!(app.count("users"), 0);
    // A redirect target on another site is never followed after login.
    fake.set(|s| s.wrong_issuer = false);
    for evil in [
        "//evil.com",
        "https://evil.com",
        "/\\evil.com",
        "javascript:alert(1)",
    ] {
        let browser = app.browser();
        let res = log_in(&browser, "ana@example.com", PASSWORD, evil).await;
        assert_eq!(res.header("location").as_deref(), Some("/"), "{evil}");
    }
    // Nor after an OAuth round trip (`next` is checked when stored and when used).
    let browser = app.browser();
    browser.get("/login/oauth/github?next=%2F%2Fevil.com").await;
    let res = browser.get("/auth/callback?code=good-code").await;
    assert_eq!(res.header("location").as_deref(), Some("/"));
}

async fn concurrent_first_logins_make_one_user(backend: Backend) {
    let Some((app, _fake)) = supabase_app(backend).await else {
        return;
    };
    let browsers: Vec<Browser> = (0..4).map(|_| app.browser()).collect();
    let forms = futures_util::future::join_all(browsers.iter().map(|b| b.get("/login"))).await;
    let logins = futures_util::future::join_all(browsers.iter().zip(&forms).map(|(b, form)| {
        b.post_with_token(
            form,
            "/login",
            &[("email", "ana@example.com"), ("password", PASSWORD)],
        )
    }))
    .await;
    for res in &logins {
        assert_eq!(res.status, 303, "{}", res.text());
    }
    assert_eq!(app.count("users"), 1);
    let seeded: i64 = activities::table
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!(
        seeded as usize,
        lauf::domain::catalog::STARTER_SET.len(),
        "one starter catalog, not four"
    );
}

async fn concurrent_requests_refresh_once_and_all_succeed(backend: Backend) {
    let Some((app, fake)) = supabase_app(backend).await else {
        return;
    };
    fake.set(|s| s.access_ttl = 90);
    let browser = app.browser();
    assert_eq!(
        log_in(&browser, "ana@example.com", PASSWORD, "/")
            .await
            .status,
        303
    );
    let before = session_rows(&app)[0].3.clone();
    // 30 s left on the token: inside the refresh window.
    app.clock.advance(chrono::Duration::seconds(60));
    let pages = futures_util::future::join_all((0..10).map(|_| browser.get("/"))).await;
    for page in &pages {
        assert_eq!(page.status, 200, "{}", page.text());
    }
    assert_eq!(fake.refreshes().await, 1);
    let after = session_rows(&app)[0].3.clone();
    assert_ne!(before, after, "the new tokens are stored");
    // The new token lasts: no further refresh for a while.
    app.clock.advance(chrono::Duration::seconds(20));
    assert_eq!(browser.get("/").await.status, 200);
    assert_eq!(fake.refreshes().await, 1);
}

async fn a_refused_refresh_ends_the_session(backend: Backend) {
    let Some((app, fake, browser)) = signed_in(backend).await else {
        return;
    };
    fake.set(|s| s.refresh_mode = RefreshMode::Refuse("refresh_token_already_used"));
    app.clock
        .advance(chrono::Duration::minutes(59) + chrono::Duration::seconds(30));
    let htmx = browser
        .get_with("/clients?q=x", &[("HX-Request", "true")])
        .await;
    assert_eq!(htmx.status, 401);
    assert_eq!(
        htmx.header("hx-redirect").as_deref(),
        Some("/login?next=/clients%3Fq%3Dx")
    );
    assert!(session_rows(&app).is_empty(), "the session is deleted");
    let page = browser.get("/").await;
    assert_eq!(page.status, 303);
    assert!(page.header("location").unwrap().starts_with("/login"));
    let reuse: i64 = audit_logs::table
        .filter(audit_logs::action.eq("auth.refresh_reuse"))
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!(reuse, 1, "reuse is logged as a security event");
}

async fn a_refresh_outage_keeps_the_session_and_answers_503_once_the_token_expired(
    backend: Backend,
) {
    let Some((app, fake, browser)) = signed_in(backend).await else {
        return;
    };
    fake.set(|s| s.refresh_mode = RefreshMode::Down);
    // 30 s left: the refresh fails, the still-valid token serves the request.
    app.clock
        .advance(chrono::Duration::minutes(59) + chrono::Duration::seconds(30));
    assert_eq!(browser.get("/").await.status, 200);
    // Expired and Supabase still down: 503, the session stays.
    app.clock.advance(chrono::Duration::minutes(2));
    let down = browser.get("/").await;
    assert_eq!(down.status, 503, "{}", down.text());
    assert!(down.text().contains("Sign-in service unavailable"));
    assert_eq!(down.header("retry-after").as_deref(), Some("5"));
    assert_eq!(session_rows(&app).len(), 1);
    // Back up: the same browser carries on without logging in again.
    fake.set(|s| s.refresh_mode = RefreshMode::Ok);
    assert_eq!(browser.get("/").await.status, 200);
}

async fn a_revoked_signing_key_moves_the_session_to_the_new_key(backend: Backend) {
    let Some((app, fake, browser)) = signed_in(backend).await else {
        return;
    };
    assert_eq!(browser.get("/").await.status, 200);
    // Supabase rotates: a new key signs, the old one is revoked (no longer published).
    let next = Arc::new(SigningKey::es256("rotated-key"));
    fake.set(|s| {
        s.key = next.clone();
        s.published = vec![next.clone()];
    });
    // Within the key set's 10-minute cache the verified token still serves.
    app.clock.advance(chrono::Duration::minutes(5));
    assert_eq!(browser.get("/").await.status, 200);
    assert!(
        fake.calls("/auth/v1/token", Some("refresh_token"))
            .await
            .is_empty()
    );
    // Past it, the old token's key is gone: one refresh brings a token of the new key.
    app.clock.advance(chrono::Duration::minutes(6));
    assert_eq!(browser.get("/").await.status, 200);
    assert_eq!(fake.refreshes().await, 1);
    assert_eq!(browser.get("/").await.status, 200);
    assert_eq!(fake.refreshes().await, 1);
}

/// Presses "Continue" on the email-link page (`pkce_0123abcd`, type `email`).
async fn continue_from(
    browser: &Browser,
    page: &crate::helpers::Response,
) -> crate::helpers::Response {
    browser
        .post_with_token(
            page,
            "/auth/confirm",
            &[("token_hash", "pkce_0123abcd"), ("type", "email")],
        )
        .await
}

async fn magic_links_are_spent_only_by_a_post(backend: Backend) {
    let Some((app, fake)) = supabase_app(backend).await else {
        return;
    };
    let browser = app.browser();
    let sent = browser
        .submit("/login", "/login/magic", &[("email", "ana@example.com")])
        .await;
    assert_eq!(sent.status, 200);
    assert!(
        sent.text().contains("a sign-in link is on its way"),
        "{}",
        sent.text()
    );
    let otp = fake.calls("/auth/v1/otp", None).await;
    assert_eq!(otp.len(), 1);
    // A second request within the minute is held back, before reaching Supabase.
    let again = browser
        .submit("/login", "/login/magic", &[("email", "ana@example.com")])
        .await;
    assert_eq!(again.status, 429);
    assert_eq!(fake.calls("/auth/v1/otp", None).await.len(), 1);

    fake.set(|s| {
        s.links
            .insert("pkce_0123abcd".into(), "ana@example.com".into());
    });
    let landing = app.browser();
    let page = landing
        .get("/auth/confirm?token_hash=pkce_0123abcd&type=email")
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("referrer-policy").as_deref(),
        Some("no-referrer")
    );
    assert!(page.text().contains("Continue to LAUF OS"));
    assert!(
        fake.calls("/auth/v1/verify", None).await.is_empty(),
        "GET spends nothing"
    );
    let res = continue_from(&landing, &page).await;
    assert_eq!(res.status, 303, "{}", res.text());
    let verify = fake.calls("/auth/v1/verify", None).await;
    assert_eq!(verify.len(), 1);
    let body: Value = serde_json::from_slice(&verify[0].body).unwrap();
    assert_eq!(
        body,
        json!({"type": "email", "token_hash": "pkce_0123abcd"})
    );
    assert_eq!(landing.get("/").await.status, 200);
    // Spent: the same link again explains itself and signs nobody in.
    let other = app.browser();
    let page = other
        .get("/auth/confirm?token_hash=pkce_0123abcd&type=email")
        .await;
    let res = continue_from(&other, &page).await;
    assert_eq!(res.status, 422);
    assert!(res.text().contains("expired or was already used"));
}

async fn oauth_sign_in_is_bound_to_the_browser_that_started_it(backend: Backend) {
    let Some((app, fake)) = supabase_app(backend).await else {
        return;
    };
    let browser = app.browser();
    let start = browser.get("/login/oauth/google?next=/clients").await;
    assert_eq!(start.status, 303);
    let location = url::Url::parse(&start.header("location").unwrap()).unwrap();
    assert_eq!(location.path(), "/auth/v1/authorize");
    let query: HashMap<String, String> = location.query_pairs().into_owned().collect();
    assert_eq!(query["provider"], "google");
    assert_eq!(query["code_challenge_method"], "s256");
    assert_eq!(
        query["redirect_to"],
        format!("{}/auth/callback", app.address)
    );
    assert!(browser.cookie("lauf_oauth").is_some());
    assert_eq!(browser.get("/login/oauth/myspace").await.status, 404);

    // Another browser arriving with the code is refused, and GoTrue is not asked.
    let stranger = app.browser();
    let res = stranger.get("/auth/callback?code=good-code").await;
    assert_eq!(res.status, 400);
    assert!(res.text().contains("started in another browser"));
    assert!(fake.calls("/auth/v1/token", Some("pkce")).await.is_empty());

    let res = browser.get("/auth/callback?code=good-code").await;
    assert_eq!(res.status, 303, "{}", res.text());
    assert_eq!(res.header("location").as_deref(), Some("/clients"));
    let exchange = fake.calls("/auth/v1/token", Some("pkce")).await;
    assert_eq!(exchange.len(), 1);
    let body: Value = serde_json::from_slice(&exchange[0].body).unwrap();
    assert_eq!(body["auth_code"], "good-code");
    let verifier = body["code_verifier"].as_str().unwrap();
    assert_eq!(
        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
        query["code_challenge"],
        "the verifier matches the challenge sent to the provider"
    );
    assert_eq!(browser.get("/clients").await.status, 200);
    assert!(
        browser.cookie("lauf_oauth").is_none(),
        "the flow cookie is cleared"
    );

    // Replaying the callback with the spent flow is refused.
    let replay = app.browser();
    replay.set_cookie(
        "lauf_oauth",
        &start.set_cookies()[0].split(';').next().unwrap()["lauf_oauth=".len()..],
    );
    let res = replay.get("/auth/callback?code=good-code").await;
    assert_eq!(res.status, 400);
    assert_eq!(fake.calls("/auth/v1/token", Some("pkce")).await.len(), 1);
    // A provider error is shown, escaped.
    let res = app
        .browser()
        .get("/auth/callback?error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E")
        .await;
    assert_eq!(res.status, 400);
    assert!(
        res.body.contains("&#60;b&#62;no") || res.body.contains("&lt;b&gt;no"),
        "{}",
        res.body
    );
}

async fn logout_ends_both_sessions_even_when_supabase_fails(backend: Backend) {
    let Some((app, fake, browser)) = signed_in(backend).await else {
        return;
    };
    let cookie = browser.cookie("lauf_session").unwrap();
    let res = browser.log_out().await;
    assert_eq!(res.status, 303);
    assert!(res.header("clear-site-data").is_some());
    let calls = fake.calls("/auth/v1/logout", None).await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].url.query(), Some("scope=local"));
    assert!(
        calls[0]
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("Bearer eyJ")
    );
    assert!(session_rows(&app).iter().all(|s| s.1.is_none()));
    let replay = app.browser();
    replay.set_cookie("lauf_session", &cookie);
    assert_eq!(replay.get("/").await.status, 303);

    fake.set(|s| s.logout_status = 500);
    assert_eq!(
        log_in(&browser, "ana@example.com", PASSWORD, "/")
            .await
            .status,
        303
    );
    assert_eq!(browser.log_out().await.status, 303);
    assert!(session_rows(&app).iter().all(|s| s.1.is_none()));
}

async fn sign_up_waits_for_the_email_or_signs_in_at_once(backend: Backend) {
    let Some((app, fake)) = supabase_app(backend).await else {
        return;
    };
    let browser = app.browser();
    let res = browser
        .sign_up("fresh@example.com", "a long passphrase")
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert!(
        res.text()
            .contains("we sent a confirmation link to fresh@example.com")
    );
    assert_eq!(app.count("users"), 0, "nobody until the link is opened");
    let taken = app
        .browser()
        .sign_up("fresh@example.com", "a long passphrase")
        .await;
    assert_eq!(taken.status, 422);
    assert!(taken.text().contains("already exists"));

    fake.set(|s| s.confirm_signups = false);
    let res = browser
        .sign_up("instant@example.com", "a long passphrase")
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let zone: String = users::table
        .select(users::timezone)
        .first::<lauf::domain::Timezone>(&mut *app.conn())
        .unwrap()
        .name()
        .to_string();
    assert_eq!(zone, "Europe/Berlin", "the time zone chosen on the form");
}

async fn two_processes_serve_the_same_browser(backend: Backend) {
    let Some((app, fake)) = supabase_app(backend).await else {
        return;
    };
    let second = app.second_process();
    let browser = app.browser();
    assert_eq!(
        log_in(&browser, "ana@example.com", PASSWORD, "/")
            .await
            .status,
        303
    );
    let there = app.browser_at(&second.address, &browser);
    let home = there.get("/").await;
    assert_eq!(home.status, 200, "{}", home.text());
    assert!(home.text().contains("Ana Example"));
    // A form from process A's page is accepted by process B (CSRF lives in the database).
    let form = browser.get("/clients/new").await;
    let res = there
        .post_with_token(
            &form,
            "/clients",
            &[
                ("name", "Shared Co"),
                ("status", "ACTIVE"),
                ("health_score", "GREEN"),
                ("payment_status", "CURRENT"),
                ("followup_cadence_days", "14"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    assert!(
        browser
            .get("/clients")
            .await
            .main_text()
            .contains("Shared Co")
    );
    // Near expiry, requests to both processes at once refresh once in all.
    app.clock
        .advance(chrono::Duration::minutes(59) + chrono::Duration::seconds(30));
    let pages = futures_util::future::join_all((0..6).map(|i| {
        if i % 2 == 0 {
            browser.get("/")
        } else {
            there.get("/")
        }
    }))
    .await;
    assert!(pages.iter().all(|p| p.status == 200));
    assert_eq!(fake.refreshes().await, 1);
    // Logging out on B ends the session on A.
    assert_eq!(there.log_out().await.status, 303);
    assert_eq!(browser.get("/").await.status, 303);
}

async fn a_disabled_account_cannot_sign_in(backend: Backend) {
    let Some((app, fake, browser)) = signed_in(backend).await else {
        return;
    };
    let sub = fake.sub_of("ana@example.com");
    diesel::update(users::table.find(&sub))
        .set(users::disabled_at.eq(Some(start_time().naive_utc())))
        .execute(&mut *app.conn())
        .unwrap();
    assert_eq!(browser.get("/").await.status, 303, "the live session ends");
    let res = log_in(&app.browser(), "ana@example.com", PASSWORD, "/").await;
    assert_eq!(res.status, 403);
    assert!(res.text().contains("This account is disabled"));
    assert!(session_rows(&app).iter().all(|s| s.1.is_none()));
}

async fn an_idle_process_stays_ready(backend: Backend) {
    let Some((app, _fake)) = supabase_app(backend).await else {
        return;
    };
    let probe = app.browser();
    assert_eq!(probe.get("/readyz").await.status, 200);
    // Two hours with no one signed in: the probe itself keeps the keys fresh.
    app.clock.advance(chrono::Duration::hours(2));
    let res = probe.get("/readyz").await;
    assert_eq!(res.status, 200, "{}", res.body);
}

on_both_backends!(
    an_idle_process_stays_ready,
    password_login_provisions_the_user_once_and_keeps_tokens_off_the_browser,
    refused_logins_look_the_same_and_sign_nobody_in,
    a_token_that_does_not_verify_signs_nobody_in,
    concurrent_first_logins_make_one_user,
    concurrent_requests_refresh_once_and_all_succeed,
    a_refused_refresh_ends_the_session,
    a_refresh_outage_keeps_the_session_and_answers_503_once_the_token_expired,
    a_revoked_signing_key_moves_the_session_to_the_new_key,
    magic_links_are_spent_only_by_a_post,
    oauth_sign_in_is_bound_to_the_browser_that_started_it,
    logout_ends_both_sessions_even_when_supabase_fails,
    sign_up_waits_for_the_email_or_signs_in_at_once,
    two_processes_serve_the_same_browser,
    a_disabled_account_cannot_sign_in,
    deleting_the_account_needs_a_fresh_sign_in,
);

/// Supabase accounts have no password here: deleting asks for a sign-in from the
/// last 10 minutes (and the typed email), and says where the Supabase user goes.
async fn deleting_the_account_needs_a_fresh_sign_in(backend: Backend) {
    let Some((app, _fake, browser)) = signed_in(backend).await else {
        return;
    };
    let page = browser.get("/settings/data").await;
    assert_eq!(page.status, 200);
    assert!(
        page.main_text()
            .contains("remove the Supabase user in the Supabase dashboard")
    );
    assert_eq!(page.count("#delete-password"), 0);
    assert_eq!(page.count("#delete-email"), 1);

    app.clock.advance(chrono::Duration::minutes(11));
    let page = browser.get("/settings/data").await;
    assert!(page.main_text().contains("To delete, sign in again first"));
    let res = browser
        .post(
            "/settings/data/delete",
            &[
                ("csrf_token", &page.csrf_token()),
                ("email", "ana@example.com"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.text_of("#delete-error").contains("Sign in again first"));
    assert_eq!(
        users::table
            .count()
            .get_result::<i64>(&mut *app.conn())
            .unwrap(),
        1
    );

    let again = app.browser();
    assert_eq!(
        log_in(&again, "ana@example.com", PASSWORD, "/")
            .await
            .status,
        303
    );
    let res = again
        .submit(
            "/settings/data",
            "/settings/data/delete",
            &[("email", "ana@example.com")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    assert_eq!(
        users::table
            .count()
            .get_result::<i64>(&mut *app.conn())
            .unwrap(),
        0
    );
    assert_eq!(
        browser.get("/").await.status,
        303,
        "the older session ended too"
    );
}

async fn local_mode_has_no_supabase_routes_and_calls_nothing(backend: Backend) {
    let Some(app) = crate::helpers::spawn_app(backend).await else {
        return;
    };
    let browser = app.browser();
    let login = browser.get("/login").await;
    assert!(!login.text().contains("Continue with"));
    assert!(!login.text().contains("sign-in link"));
    assert_eq!(browser.get("/login/oauth/google").await.status, 404);
    assert_eq!(
        browser
            .get("/auth/confirm?token_hash=abc&type=email")
            .await
            .status,
        404
    );
    assert_eq!(browser.get("/auth/callback?code=x").await.status, 404);
    let magic = browser
        .submit("/login", "/login/magic", &[("email", "a@b.io")])
        .await;
    assert_eq!(magic.status, 404);
    assert_eq!(app.browser().get("/readyz").await.status, 200);
}

on_both_backends!(local_mode_has_no_supabase_routes_and_calls_nothing);

/// The optional `handle_new_user` script on PostgreSQL (with a stand-in for
/// Supabase's `auth.users`): sign-ups get a row at once, a broken one never blocks
/// the sign-up, and the first login completes the row instead of duplicating it.
#[actix_web::test]
async fn the_optional_trigger_makes_users_that_the_first_login_completes() {
    use diesel::connection::SimpleConnection;
    let Some((app, fake)) = supabase_app(Backend::Postgres).await else {
        return;
    };
    let script = include_str!("../../migrations/optional/supabase_handle_new_user.sql");
    let sub = fake.sub_of("ana@example.com");
    app.conn()
        .batch_execute(
            "CREATE SCHEMA auth;
             CREATE TABLE auth.users (id uuid PRIMARY KEY, email text, raw_user_meta_data jsonb);",
        )
        .unwrap();
    app.conn().batch_execute(script).unwrap();
    app.conn().batch_execute(script).unwrap(); // running it again is harmless
    app.conn()
        .batch_execute(&format!(
            "INSERT INTO auth.users VALUES ('{sub}', 'ana@example.com',
               '{{\"full_name\": \"Ana From Trigger\", \"avatar_url\": \"javascript:alert(1)\"}}');
             -- A phone-only sign-up has no email: no LAUF OS row, and no failed sign-up.
             INSERT INTO auth.users VALUES ('{}', NULL, NULL);",
            uuid::Uuid::new_v4()
        ))
        .unwrap();
    let rows: Vec<(String, Option<String>, Option<String>, String)> = users::table
        .select((
            users::id,
            users::name,
            users::avatar_url,
            users::auth_issuer,
        ))
        .load(&mut *app.conn())
        .unwrap();
    assert_eq!(
        rows,
        vec![(
            sub.clone(),
            Some("Ana From Trigger".into()),
            None,
            "pending:handle_new_user".into()
        )]
    );
    let browser = app.browser();
    assert_eq!(
        log_in(&browser, "ana@example.com", PASSWORD, "/")
            .await
            .status,
        303
    );
    let rows: Vec<(String, Option<String>, String)> = users::table
        .select((users::id, users::name, users::auth_issuer))
        .load(&mut *app.conn())
        .unwrap();
    assert_eq!(
        rows,
        vec![(
            sub.clone(),
            Some("Ana From Trigger".into()),
            format!("{}/auth/v1", fake.server.uri())
        )]
    );
    let seeded: i64 = activities::table
        .filter(activities::user_id.eq(&sub))
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert!(
        seeded > 5,
        "the first login adds the starter catalog: {seeded}"
    );
}
