//! Supabase mode's sign-in: password and sign-up (the shared `/login` and
//! `/signup` hand over here), magic links (`/login/magic`, confirmed by a POST to
//! `/auth/confirm` so mail scanners cannot spend them), and Google/GitHub
//! (`/login/oauth/{provider}`, `/auth/callback`) with PKCE bound to the browser
//! that started it. GoTrue is called by the server; every token it hands back is
//! verified before anyone is signed in.

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{
    LoginForm, LoginPage, NextQuery, SignupForm, device_nonce, login_refused, remember_device,
    signup_refused, throttle_wait, user_agent, visitor_session, with_cookie,
};
use crate::auth::local::{Signup, SignupErrors};
use crate::auth::session::{self, LiveSession, RequestMeta};
use crate::auth::supabase::gotrue::{GoTrueError, SignupResult, TokenGrant};
use crate::auth::supabase::{self, Supabase};
use crate::auth::throttle::{self, Buckets};
use crate::db::models::audit::{self, AuditEvent};
use crate::db::models::auth_flows::{self, AuthFlow};
use crate::domain::AuditAction;
use crate::domain::EmailAddress;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::extract::public_origin;
use crate::web::{MaybeSession, client_ip, safe_next};
use crate::web::{PageContext, html, see_other};

/// One magic link per address per minute (on top of Supabase's own limits).
const MAGIC_LINK: throttle::Rule = throttle::Rule {
    free_failures: 0,
    window: chrono::Duration::minutes(1),
    first_delay: chrono::Duration::seconds(60),
    max_delay: chrono::Duration::seconds(60),
};
/// An OAuth sign-in must come back within this long.
const FLOW_LIFETIME: chrono::Duration = chrono::Duration::minutes(10);
const INCOMPLETE_LINK: &str =
    "This link is incomplete. Open it again from the email, or request a new one.";
/// The email link types that sign someone in.
const LINK_TYPES: [&str; 5] = ["email", "magiclink", "signup", "invite", "email_change"];

fn supabase_of(state: &AppState) -> Result<std::sync::Arc<Supabase>, AppError> {
    state.supabase.clone().ok_or(AppError::NotFound)
}

/// Verifies the grant, provisions the user and replaces the browser's pre-session
/// with a signed-in one; 303 to `next`.
async fn finish_sign_in(
    state: &AppState,
    supabase: &Supabase,
    req: &HttpRequest,
    pre_session: Option<String>,
    grant: TokenGrant,
    next: &str,
    timezone: Option<crate::domain::Timezone>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let claims = supabase.verify_grant(&grant, now).await?;
    let keys = state.keys.clone();
    let policy = state.sessions.clone();
    let issuer = supabase.settings.issuer.clone();
    let ip = client_ip(req, &state.settings.trusted_proxies);
    let agent = user_agent(req);
    let email_lower = claims.email.to_lowercase();
    // The buckets of this browser and address are cleared by the sign-in.
    let mut cleared = vec![Buckets::for_login(&email_lower, &ip, None)];
    if let Some(nonce) = device_nonce(state, req, &email_lower) {
        cleared.push(Buckets::for_login(&email_lower, &ip, Some(&nonce)));
    }
    let issued = state
        .db_write(move |conn| {
            let meta = RequestMeta {
                ip: Some(&ip),
                user_agent: agent.as_deref(),
            };
            let issued = supabase::open_session(
                conn,
                &keys,
                &policy,
                &issuer,
                &grant,
                &claims,
                pre_session.as_deref(),
                &meta,
                now.naive_utc(),
            )?;
            if let (Some(zone), Some(user)) = (timezone, &issued.record.user_id) {
                crate::db::models::users::set_timezone(conn, user, zone)?;
            }
            for buckets in &cleared {
                buckets.succeeded(conn)?;
            }
            Ok(issued)
        })
        .await?;
    let lifetime = issued.record.absolute_expires_at - issued.record.created_at;
    let mut response = with_cookie(
        see_other(req, next),
        Some(state.sessions.cookie(&issued.token, lifetime)),
    )?;
    remember_device(state, &mut response, &email_lower)?;
    Ok(response)
}

/// A GoTrue failure the page has no answer of its own for: down (503), rate
/// limited (429), or a refusal nobody expected (502, its code logged).
fn gotrue_failure(e: GoTrueError) -> AppError {
    match e {
        GoTrueError::Unavailable(why) => {
            tracing::warn!(error = %why, "Supabase Auth unavailable");
            AppError::AuthUnavailable
        }
        GoTrueError::RateLimited => AppError::TooManyRequests {
            retry_after_secs: 60,
        },
        GoTrueError::Refused { code, .. } => {
            tracing::warn!(code, "Supabase Auth refused unexpectedly");
            AppError::AuthFailed
        }
    }
}

pub async fn password_login(
    state: &web::Data<AppState>,
    supabase: &Supabase,
    req: &HttpRequest,
    current: &LiveSession,
    form: LoginForm,
    next: String,
) -> Result<HttpResponse, AppError> {
    const REFUSED: &str = "Email or password is incorrect, or the account is not confirmed yet. If you just signed up, open the link we emailed you first.";
    let ip = client_ip(req, &state.settings.trusted_proxies);
    let email_lower = form.email.trim().to_lowercase();
    let mut page = LoginPage::new(state, &current.record.csrf_token, next.clone());
    page.email = form.email.clone();
    let device = device_nonce(state, req, &email_lower);
    let buckets = Buckets::for_login(&email_lower, &ip, device.as_deref());
    if let Some(wait) = throttle_wait(state, &buckets).await? {
        return login_refused(page, "", Some(wait));
    }
    let plausible = EmailAddress::parse(&email_lower).is_ok()
        && !form.password.is_empty()
        && form.password.len() <= 1024;
    if !plausible {
        return login_refused(page, REFUSED, None);
    }
    match supabase
        .gotrue
        .password(form.email.trim(), &form.password)
        .await
    {
        Ok(grant) => {
            let pre = Some(current.record.id_hash.clone());
            finish_sign_in(state, supabase, req, pre, grant, &next, None).await
        }
        Err(GoTrueError::Refused { code, .. }) => {
            let now = state.clock.stamp();
            state
                .db_write(move |conn| {
                    buckets.failed(conn, now)?;
                    let event = AuditEvent::new(AuditAction::LoginFailed, now)
                        .ip(Some(&ip))
                        .details(serde_json::json!({ "code": code }));
                    Ok(audit::record(conn, event)?)
                })
                .await?;
            login_refused(page, REFUSED, None)
        }
        Err(e) => Err(gotrue_failure(e)),
    }
}

// Every answer GoTrue can give a sign-up is handled here, side by side.
pub async fn signup(
    state: &web::Data<AppState>,
    supabase: &Supabase,
    req: &HttpRequest,
    current: &LiveSession,
    signup: Signup,
    form: &SignupForm,
) -> Result<HttpResponse, AppError> {
    let csrf = current.record.csrf_token.clone();
    let outcome = supabase
        .gotrue
        .signup(
            signup.email.as_str(),
            &signup.password,
            signup.name.as_deref(),
        )
        .await;
    match outcome {
        Ok(SignupResult::SignedIn(grant)) => {
            finish_sign_in(
                state,
                supabase,
                req,
                Some(current.record.id_hash.clone()),
                grant,
                "/",
                Some(signup.timezone),
            )
            .await
        }
        Ok(SignupResult::ConfirmationSent) => {
            let mut page = LoginPage::new(state, &csrf, "/".into());
            page.email = signup.email.as_str().to_string();
            page.notice = Some(format!(
                "Almost there: we sent a confirmation link to {}. Open it to finish creating your account.",
                signup.email.as_str()
            ));
            html(StatusCode::OK, &page)
        }
        Err(GoTrueError::Refused { code, .. }) => {
            signup_refused(&csrf, form, signup_refusal(&code))
        }
        Err(e) => Err(gotrue_failure(e)),
    }
}

/// What a refused sign-up says, by GoTrue's error code, on the field it is about.
fn signup_refusal(code: &str) -> SignupErrors {
    match code {
        "user_already_exists" | "email_exists" => SignupErrors {
            email: Some("An account with this email already exists. Log in instead.".into()),
            ..Default::default()
        },
        "email_address_invalid" | "email_address_not_authorized" => SignupErrors {
            email: Some("Supabase does not accept this address for sign-up.".into()),
            ..Default::default()
        },
        "weak_password" => SignupErrors {
            password: Some("The sign-in service finds this password too weak; choose a longer one that is not in leaked-password lists.".into()),
            ..Default::default()
        },
        "signup_disabled" | "email_provider_disabled" => SignupErrors {
            email: Some("Sign-up with email is switched off for this project.".into()),
            ..Default::default()
        },
        other => {
            tracing::warn!(code = other, "Supabase refused a sign-up");
            SignupErrors {
                email: Some("The sign-in service refused this sign-up. Check the address and try again.".into()),
                ..Default::default()
            }
        }
    }
}

#[derive(Deserialize)]
pub struct MagicForm {
    #[serde(default)]
    email: String,
}

/// `POST /login/magic`: emails a sign-in link. The answer is the same whether or
/// not the address has an account.
pub async fn magic_link(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: MaybeSession,
    form: web::Form<MagicForm>,
) -> Result<HttpResponse, AppError> {
    let supabase = supabase_of(&state)?;
    let current = session.0.ok_or(AppError::Forbidden("no session"))?;
    let mut page = LoginPage::new(&state, &current.record.csrf_token, "/".into());
    page.email = form.email.clone();
    page.magic_open = true;
    let Ok(email) = crate::domain::EmailAddress::parse(&form.email) else {
        return login_refused(page, "Enter the email address of your account.", None);
    };
    // Every link sent counts, so one address gets one a minute.
    let key = format!("magic:{}", throttle::account_key(&email.normalized()));
    let ip = client_ip(&req, &state.settings.trusted_proxies);
    let buckets = Buckets::keyed(key, MAGIC_LINK, &format!("magic-{ip}"));
    let now = state.clock.stamp();
    let wait = state
        .db_write(move |conn| {
            let wait = buckets.wait(conn, now)?;
            if wait.is_none() {
                buckets.failed(conn, now)?;
            }
            Ok(wait)
        })
        .await?;
    if wait.is_some() {
        return login_refused(page, "", wait);
    }
    match supabase
        .gotrue
        .send_magic_link(email.as_str(), state.settings.allow_signup)
        .await
    {
        // "Signups not allowed for otp" for an unknown address is not told apart.
        Ok(()) | Err(GoTrueError::Refused { .. }) => {
            page.notice = Some(format!(
                "If {} has an account, a sign-in link is on its way. It works once; open it on this device.",
                email.as_str()
            ));
            html(StatusCode::OK, &page)
        }
        Err(e) => Err(gotrue_failure(e)),
    }
}

#[derive(Template)]
#[template(path = "auth/confirm.html")]
pub struct ConfirmPage {
    pub ctx: PageContext,
    pub heading: &'static str,
    pub token_hash: String,
    pub kind: String,
    pub error: Option<String>,
}

#[derive(Deserialize)]
pub struct ConfirmParams {
    #[serde(default)]
    token_hash: String,
    #[serde(default, rename = "type")]
    kind: String,
}

fn link_is_well_formed(params: &ConfirmParams) -> bool {
    LINK_TYPES.contains(&params.kind.as_str())
        && !params.token_hash.is_empty()
        && params.token_hash.len() <= 256
        && params
            .token_hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn confirm_page(
    csrf: &str,
    params: &ConfirmParams,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let page = ConfirmPage {
        ctx: PageContext::visitor(csrf),
        heading: if params.kind == "signup" {
            "Confirm your email"
        } else {
            "Continue signing in"
        },
        token_hash: params.token_hash.clone(),
        kind: params.kind.clone(),
        error,
    };
    let mut response = html(status, &page)?;
    // The URL carries a one-time token: never send it on as a referrer.
    response.headers_mut().insert(
        actix_web::http::header::REFERRER_POLICY,
        actix_web::http::header::HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}

/// `GET /auth/confirm?token_hash=…&type=…`: the email link lands here. Nothing is
/// spent on GET; the page asks for a press of a button.
pub async fn confirm_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: MaybeSession,
    query: web::Query<ConfirmParams>,
) -> Result<HttpResponse, AppError> {
    supabase_of(&state)?;
    let (csrf, cookie) = visitor_session(&state, &req, session).await?;
    let response = if link_is_well_formed(&query) {
        confirm_page(&csrf, &query, None, StatusCode::OK)?
    } else {
        confirm_page(
            &csrf,
            &query,
            Some(INCOMPLETE_LINK.into()),
            StatusCode::BAD_REQUEST,
        )?
    };
    with_cookie(response, cookie)
}

/// `POST /auth/confirm`: spends the link's token hash and signs in. (Each answer of
/// GoTrue's `/verify` is handled here, side by side.)
pub async fn confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: MaybeSession,
    form: web::Form<ConfirmParams>,
) -> Result<HttpResponse, AppError> {
    let supabase = supabase_of(&state)?;
    let current = session.0.ok_or(AppError::Forbidden("no session"))?;
    let csrf = current.record.csrf_token.clone();
    if !link_is_well_formed(&form) {
        return confirm_page(
            &csrf,
            &form,
            Some(INCOMPLETE_LINK.into()),
            StatusCode::BAD_REQUEST,
        );
    }
    match supabase
        .gotrue
        .verify_link(&form.kind, &form.token_hash)
        .await
    {
        Ok(grant) => {
            let pre = current
                .user
                .is_none()
                .then(|| current.record.id_hash.clone());
            finish_sign_in(&state, &supabase, &req, pre, grant, "/", None).await
        }
        Err(GoTrueError::Refused { code, .. }) => {
            tracing::info!(code, "email link refused");
            confirm_page(
                &csrf,
                &form,
                Some("This link has expired or was already used. Request a new one from the login page.".into()),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(gotrue_failure(e)),
    }
}

fn flow_cookie_name(state: &AppState) -> &'static str {
    if state.sessions.secure {
        "__Host-lauf_oauth"
    } else {
        "lauf_oauth"
    }
}

fn flow_cookie(state: &AppState, value: &str, max_age: i64) -> Cookie<'static> {
    let mut cookie = Cookie::build(flow_cookie_name(state), value.to_string())
        .path("/")
        .http_only(true)
        .secure(state.sessions.secure)
        // Lax: it must come back on the top-level GET from supabase.co.
        .same_site(SameSite::Lax)
        .max_age(time::Duration::seconds(max_age))
        .finish();
    if max_age == 0 {
        cookie.make_removal();
    }
    cookie
}

/// A PKCE flow for one browser: the row (its verifier encrypted), the token for the
/// browser's flow cookie, and the challenge for Supabase.
fn new_flow(state: &AppState, next_path: String) -> Result<(AuthFlow, String, String), AppError> {
    let verifier = session::random_token();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let flow_token = session::random_token();
    let id_hash = session::hash_token(&flow_token);
    let now = state.clock.stamp();
    let flow = AuthFlow {
        verifier: state
            .keys
            .encrypt(&verifier, &supabase::flow_aad(&id_hash))
            .map_err(AppError::internal)?,
        id_hash,
        next_path,
        created_at: now,
        expires_at: now + FLOW_LIFETIME,
        consumed_at: None,
    };
    Ok((flow, flow_token, challenge))
}

/// `GET /login/oauth/{provider}`: starts a PKCE sign-in and sends the browser to
/// Supabase. A link, not a form (CSP `form-action` would block the redirect chain).
pub async fn oauth_start(
    state: web::Data<AppState>,
    req: HttpRequest,
    provider: web::Path<String>,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let supabase = supabase_of(&state)?;
    let provider = provider.into_inner();
    if !supabase.settings.oauth_providers.contains(&provider) {
        return Err(AppError::NotFound);
    }
    let next = safe_next(query.next.as_deref());
    let (flow, flow_token, challenge) = new_flow(&state, next)?;
    state
        .db_write(move |conn| Ok(auth_flows::insert(conn, &flow)?))
        .await?;
    let callback = format!("{}/auth/callback", public_origin(&req, &state.settings));
    let location = supabase
        .gotrue
        .authorize_url(&provider, &callback, &challenge);
    let mut response = HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .finish();
    response
        .add_cookie(&flow_cookie(
            &state,
            &flow_token,
            FLOW_LIFETIME.num_seconds(),
        ))
        .map_err(AppError::internal)?;
    Ok(response)
}

#[derive(Deserialize)]
pub struct CallbackParams {
    code: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

const STALE: &str = "This sign-in was started in another browser, or it expired or was already used. Start again from the login page.";

impl CallbackParams {
    /// The browser's flow token and the code to spend, or why the sign-in cannot go on.
    fn checked(&self, flow_cookie: Option<String>) -> Result<(String, String), String> {
        if let Some(error) = &self.error {
            let detail = self.error_description.as_deref().unwrap_or(error);
            let detail: String = detail.chars().take(200).collect();
            return Err(format!(
                "Sign-in with the provider did not complete ({detail}). Start again from the login page."
            ));
        }
        let flow_token = flow_cookie
            .filter(|t| session::looks_like_token(t))
            .ok_or(STALE)?;
        let code = self
            .code
            .clone()
            .filter(|c| !c.is_empty() && c.len() <= 512)
            .ok_or("The provider sent no sign-in code. Start again from the login page.")?;
        Ok((flow_token, code))
    }
}

/// A callback that cannot sign in: 400 with the reason, the flow cookie cleared,
/// and no referrer (the URL carried a code).
fn callback_refused(state: &AppState, message: String) -> Result<HttpResponse, AppError> {
    let mut response = HttpResponse::from_error(AppError::BadRequest(message));
    response
        .add_cookie(&flow_cookie(state, "", 0))
        .map_err(AppError::internal)?;
    response.headers_mut().insert(
        actix_web::http::header::REFERRER_POLICY,
        actix_web::http::header::HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}

/// Marks the browser's flow used (once) and opens its PKCE verifier; `None` when
/// the flow is unknown, expired or spent.
async fn spend_flow(
    state: &AppState,
    flow_token: &str,
) -> Result<Option<(AuthFlow, String)>, AppError> {
    let id_hash = session::hash_token(flow_token);
    let (now, read_hash) = (state.clock.stamp(), id_hash.clone());
    let Some(flow) = state
        .db_write(move |conn| Ok(auth_flows::consume(conn, &read_hash, now)?))
        .await?
    else {
        return Ok(None);
    };
    let verifier = state
        .keys
        .decrypt(&flow.verifier, &supabase::flow_aad(&id_hash))
        .map_err(AppError::internal)?;
    Ok(Some((flow, verifier)))
}

/// `GET /auth/callback`: Supabase sends the browser back with a code. Only the
/// browser holding the flow cookie can spend it, once.
pub async fn oauth_callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: MaybeSession,
    query: web::Query<CallbackParams>,
) -> Result<HttpResponse, AppError> {
    let supabase = supabase_of(&state)?;
    let fail = |message: String| callback_refused(&state, message);
    let held = req
        .cookie(flow_cookie_name(&state))
        .map(|c| c.value().to_string());
    let (flow_token, code) = match query.checked(held) {
        Ok(checked) => checked,
        Err(message) => return fail(message),
    };
    let Some((flow, verifier)) = spend_flow(&state, &flow_token).await? else {
        return fail(STALE.into());
    };
    let grant = match supabase.gotrue.exchange_code(&code, &verifier).await {
        Ok(grant) => grant,
        Err(GoTrueError::Refused { code, .. }) => {
            tracing::info!(code, "PKCE exchange refused");
            return fail(
                "The sign-in code expired or was already used. Start again from the login page."
                    .into(),
            );
        }
        Err(e) => return Err(gotrue_failure(e)),
    };
    let pre = session
        .0
        .filter(|s| s.user.is_none())
        .map(|s| s.record.id_hash);
    let next = safe_next(Some(&flow.next_path));
    let mut response = finish_sign_in(&state, &supabase, &req, pre, grant, &next, None).await?;
    response
        .add_cookie(&flow_cookie(&state, "", 0))
        .map_err(AppError::internal)?;
    Ok(response)
}
