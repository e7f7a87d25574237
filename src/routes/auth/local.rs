//! Local mode's side of `/login` and `/signup`: our own password table, login
//! throttling in the database, and a fresh session at every sign-in.

use actix_web::{HttpRequest, HttpResponse, web};

use super::{
    LoginForm, LoginPage, SignupForm, device_nonce, login_refused, remember_device, signup_refused,
    throttle_wait, user_agent, with_cookie,
};
use crate::auth::local::{self, LoginOutcome, Signup, SignupErrors, SignupOutcome};
use crate::auth::password;
use crate::auth::session::{self, LiveSession, RequestMeta};
use crate::auth::throttle::{self, Buckets};
use crate::db::models::sessions;
use crate::domain::UserId;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{client_ip, see_other};

/// Checks the password (throttled per account and per address) and signs in.
pub async fn password_login(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    current: &LiveSession,
    form: LoginForm,
    next: String,
) -> Result<HttpResponse, AppError> {
    let ip = client_ip(req, &state.settings.trusted_proxies);
    let email_lower = form.email.trim().to_lowercase();
    let device = device_nonce(state, req, &email_lower);
    let (email, password) = (form.email.clone(), form.password);
    let now = state.clock.stamp();
    let outcome = state
        .db_write(move |conn| {
            local::authenticate(conn, &email, &password, &ip, device.as_deref(), now)
        })
        .await?;
    let retry = match outcome {
        LoginOutcome::SignedIn(user) => {
            let mut response = sign_in(state, req, &current.record.id_hash, user, &next).await?;
            remember_device(state, &mut response, &email_lower)?;
            return Ok(response);
        }
        LoginOutcome::Invalid => None,
        LoginOutcome::Throttled { retry_after_secs } => Some(retry_after_secs),
    };
    let mut page = LoginPage::new(state, &current.record.csrf_token, next);
    page.email = form.email;
    login_refused(page, "Invalid email or password.", retry)
}

/// Creates the account (with the starter catalog) and signs in.
pub async fn create_account(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    current: &LiveSession,
    signup: Signup,
    form: &SignupForm,
) -> Result<HttpResponse, AppError> {
    // Local mode has no mail to send, so a taken address must be said; each time it
    // is counts against the address asking, which bounds enumeration.
    let ip = client_ip(req, &state.settings.trusted_proxies);
    let probing = Buckets::keyed(format!("signup:{ip}"), throttle::PER_IP, &ip);
    if let Some(wait) = throttle_wait(state, &probing).await? {
        return Err(AppError::TooManyRequests {
            retry_after_secs: wait,
        });
    }
    let password = signup.password.clone();
    // Hashing takes ~40 ms: on a blocking thread, not inside the write transaction.
    let phc = web::block(move || password::hash(&password))
        .await?
        .map_err(|e| AppError::internal(anyhow::anyhow!("hashing: {e}")))?;
    let now = state.clock.stamp();
    let outcome = state
        .db_write(move |conn| {
            let outcome = local::create_account(conn, &signup, &phc, now)?;
            if matches!(outcome, SignupOutcome::EmailTaken) {
                probing.failed(conn, now)?;
            }
            Ok(outcome)
        })
        .await?;
    match outcome {
        SignupOutcome::Created(user) => {
            let mut response = sign_in(state, req, &current.record.id_hash, user, "/").await?;
            remember_device(state, &mut response, &form.email.trim().to_lowercase())?;
            Ok(response)
        }
        SignupOutcome::EmailTaken => signup_refused(
            &current.record.csrf_token,
            form,
            SignupErrors {
                email: Some("An account with this email already exists. Log in instead.".into()),
                ..Default::default()
            },
        ),
    }
}

/// Replaces the visitor's pre-session with a new signed-in one (so a session id
/// planted before login is worthless after it) and sends the browser on.
async fn sign_in(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    pre_session: &str,
    user: UserId,
    next: &str,
) -> Result<HttpResponse, AppError> {
    let policy = state.sessions.clone();
    let pre_session = pre_session.to_string();
    let ip = client_ip(req, &state.settings.trusted_proxies);
    let agent = user_agent(req);
    let now = state.clock.stamp();
    let issued = state
        .db_write(move |conn| {
            sessions::delete(conn, &pre_session)?;
            let meta = RequestMeta {
                ip: Some(&ip),
                user_agent: agent.as_deref(),
            };
            Ok(session::issue(conn, &policy, Some(&user), &meta, now)?)
        })
        .await?;
    let lifetime = issued.record.absolute_expires_at - issued.record.created_at;
    with_cookie(
        see_other(req, next),
        Some(state.sessions.cookie(&issued.token, lifetime)),
    )
}
