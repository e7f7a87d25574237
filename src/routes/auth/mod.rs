//! `/login`, `/signup`, `/logout`: the pages both sign-in modes share, and the
//! handlers that hand a login or a sign-up to the mode in use (`local` checks our
//! own password table, `supabase` asks Supabase Auth).

pub mod local;
pub mod supabase;

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::device;
use crate::auth::local::SignupErrors;
use crate::auth::session::{self, RequestMeta};
use crate::auth::throttle::Buckets;
use crate::db::models::sessions;
use crate::domain::{AuditAction, Timezone};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{MaybeSession, client_ip, safe_next};
use crate::web::{PageContext, html, see_other};

#[derive(Template)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    pub ctx: PageContext,
    pub email: String,
    pub next: String,
    pub error: Option<String>,
    /// A message that is not an error ("check your inbox").
    pub notice: Option<String>,
    pub allow_signup: bool,
    /// Supabase mode: offer the magic link (and `providers`).
    pub supabase: bool,
    pub providers: Vec<(&'static str, &'static str)>,
    pub magic_open: bool,
}

impl LoginPage {
    /// The login page of this deployment's mode, empty.
    pub fn new(state: &AppState, csrf: &str, next: String) -> Self {
        let providers = match &state.settings.auth {
            crate::config::AuthMode::Supabase(sb) => crate::config::OAUTH_PROVIDERS
                .iter()
                .filter(|(slug, _)| sb.oauth_providers.iter().any(|p| p == slug))
                .copied()
                .collect(),
            crate::config::AuthMode::Local => Vec::new(),
        };
        LoginPage {
            ctx: PageContext::visitor(csrf),
            email: String::new(),
            next,
            error: None,
            notice: None,
            allow_signup: state.settings.allow_signup,
            supabase: state.supabase.is_some(),
            providers,
            magic_open: false,
        }
    }
}

#[derive(Template)]
#[template(path = "auth/signup.html")]
pub struct SignupPage {
    pub ctx: PageContext,
    pub email: String,
    pub name: String,
    pub timezone: String,
    pub zones: Vec<&'static str>,
    pub errors: SignupErrors,
    pub allow_signup: bool,
}

impl SignupPage {
    pub fn zone_choices(&self) -> Vec<(String, String)> {
        self.zones
            .iter()
            .map(|z| (z.to_string(), z.to_string()))
            .collect()
    }
}

#[derive(Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
    /// Set after an account deletion, to say it happened.
    pub deleted: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    pub next: Option<String>,
}

#[derive(Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub password_confirm: String,
    #[serde(default)]
    pub timezone: String,
}

/// A visitor's pre-session (its CSRF token protects the login form itself), created
/// on first sight; returns the token and, when new, the cookie to set.
pub async fn visitor_session(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    existing: MaybeSession,
) -> Result<(String, Option<Cookie<'static>>), AppError> {
    if let Some(live) = existing.0 {
        return Ok((live.record.csrf_token, None));
    }
    let policy = state.sessions.clone();
    let ip = client_ip(req, &state.settings.trusted_proxies);
    let agent = user_agent(req);
    let now = state.clock.stamp();
    let issued = state
        .db_write(move |conn| {
            let meta = RequestMeta {
                ip: Some(&ip),
                user_agent: agent.as_deref(),
            };
            Ok(session::issue(conn, &policy, None, &meta, now)?)
        })
        .await?;
    let cookie = state
        .sessions
        .cookie(&issued.token, chrono::Duration::hours(2));
    Ok((issued.record.csrf_token, Some(cookie)))
}

pub fn user_agent(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get("User-Agent")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The nonce of this browser's device cookie for `email_lower`, if it holds one
/// (`auth::device`).
pub fn device_nonce(state: &AppState, req: &HttpRequest, email_lower: &str) -> Option<String> {
    let name = device::cookie_name(state.sessions.secure);
    let cookie = req.cookie(name);
    device::nonce_for(&state.keys, cookie.as_ref().map(|c| c.value()), email_lower)
}

/// Marks this browser as one that signed in to `email_lower`: from now on its
/// attempts have their own throttle allowance.
pub fn remember_device(
    state: &AppState,
    response: &mut HttpResponse,
    email_lower: &str,
) -> Result<(), AppError> {
    if let Some(cookie) = device::issue(&state.keys, email_lower, state.sessions.secure) {
        response.add_cookie(&cookie).map_err(AppError::internal)?;
    }
    Ok(())
}

/// How long `buckets` hold this attempt back, if at all.
pub async fn throttle_wait(state: &AppState, buckets: &Buckets) -> Result<Option<u64>, AppError> {
    let (buckets, now) = (buckets.clone(), state.clock.stamp());
    state.db(move |conn| Ok(buckets.wait(conn, now)?)).await
}

pub fn with_cookie(
    mut response: HttpResponse,
    cookie: Option<Cookie<'static>>,
) -> Result<HttpResponse, AppError> {
    if let Some(cookie) = cookie {
        response.add_cookie(&cookie).map_err(AppError::internal)?;
    }
    Ok(response)
}

pub async fn login_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: MaybeSession,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(query.next.as_deref());
    if session.0.as_ref().is_some_and(|s| s.user.is_some()) {
        return Ok(see_other(&req, &next));
    }
    let (csrf, cookie) = visitor_session(&state, &req, session).await?;
    let mut page = LoginPage::new(&state, &csrf, next);
    if query.deleted.is_some() {
        page.notice = Some("Your account and all its data are deleted.".into());
    }
    with_cookie(html(StatusCode::OK, &page)?, cookie)
}

pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: MaybeSession,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let next = safe_next(form.next.as_deref());
    let current = session.0.ok_or(AppError::Forbidden("no session"))?;
    if let Some(supabase) = state.supabase.clone() {
        return supabase::password_login(&state, &supabase, &req, &current, form, next).await;
    }
    local::password_login(&state, &req, &current, form, next).await
}

/// The login form again with `error` (422), or the throttle's wait (429).
pub fn login_refused(
    mut page: LoginPage,
    error: &str,
    retry: Option<u64>,
) -> Result<HttpResponse, AppError> {
    page.error = Some(match retry {
        None => error.to_string(),
        Some(secs) => format!("Too many attempts. Try again in {} seconds.", secs),
    });
    match retry {
        None => html(StatusCode::UNPROCESSABLE_ENTITY, &page),
        Some(secs) => {
            let mut response = html(StatusCode::TOO_MANY_REQUESTS, &page)?;
            response
                .headers_mut()
                .insert(actix_web::http::header::RETRY_AFTER, secs.into());
            Ok(response)
        }
    }
}

pub fn signup_page(csrf: &str, allow_signup: bool) -> SignupPage {
    SignupPage {
        ctx: PageContext::visitor(csrf),
        email: String::new(),
        name: String::new(),
        timezone: Timezone::DEFAULT.name().to_string(),
        zones: Timezone::all_names().collect(),
        errors: SignupErrors::default(),
        allow_signup,
    }
}

/// The sign-up form again, with what was typed (never the password) and `errors`.
pub fn signup_refused(
    csrf: &str,
    form: &SignupForm,
    errors: SignupErrors,
) -> Result<HttpResponse, AppError> {
    let mut page = signup_page(csrf, true);
    page.email = form.email.clone();
    page.name = form.name.clone();
    page.timezone = form.timezone.clone();
    page.errors = errors;
    html(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

pub async fn signup_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: MaybeSession,
) -> Result<HttpResponse, AppError> {
    if session.0.as_ref().is_some_and(|s| s.user.is_some()) {
        return Ok(see_other(&req, "/"));
    }
    let (csrf, cookie) = visitor_session(&state, &req, session).await?;
    with_cookie(
        html(
            StatusCode::OK,
            &signup_page(&csrf, state.settings.allow_signup),
        )?,
        cookie,
    )
}

pub async fn signup(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: MaybeSession,
    form: web::Form<SignupForm>,
) -> Result<HttpResponse, AppError> {
    let current = session.0.ok_or(AppError::Forbidden("no session"))?;
    if !state.settings.allow_signup {
        return Err(AppError::NotFound);
    }
    let form = form.into_inner();
    let signup = match crate::auth::local::validate_signup(
        &form.email,
        &form.name,
        &form.password,
        &form.password_confirm,
        &form.timezone,
    ) {
        Ok(signup) => signup,
        Err(errors) => return signup_refused(&current.record.csrf_token, &form, errors),
    };
    if let Some(supabase) = state.supabase.clone() {
        return supabase::signup(&state, &supabase, &req, &current, signup, &form).await;
    }
    local::create_account(&state, &req, &current, signup, &form).await
}

pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: MaybeSession,
) -> Result<HttpResponse, AppError> {
    if let Some(live) = session.0 {
        if let Some(supabase) = &state.supabase
            && live.record.kind == "supabase"
        {
            crate::auth::supabase::logout(&state.supabase_env(), supabase, &live).await;
        }
        let id_hash = live.record.id_hash.clone();
        let user = live.user.map(|u| u.id);
        let now = state.clock.stamp();
        state
            .db_write(move |conn| {
                sessions::delete(conn, &id_hash)?;
                if let Some(user) = &user {
                    crate::db::models::audit::record(
                        conn,
                        crate::db::models::audit::AuditEvent::new(AuditAction::Logout, now)
                            .user(user),
                    )?;
                }
                Ok(())
            })
            .await?;
    }
    let mut response = see_other(&req, "/login");
    // Storage only: the session cookie is removed below, and the device cookie must
    // stay, or a browser that logs out would lose its own throttle allowance.
    response.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static("clear-site-data"),
        actix_web::http::header::HeaderValue::from_static("\"storage\""),
    );
    with_cookie(response, Some(state.sessions.removal_cookie()))
}
