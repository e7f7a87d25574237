//! Local mode's side of `/login` and `/signup`: our own password table, login
//! throttling in the database, and a fresh session at every sign-in.

use actix_web::{HttpRequest, HttpResponse, web};

use super::{
    LoginForm, LoginPage, SignupForm, login_refused, signup_refused, user_agent, with_cookie,
};
use crate::auth::local::{self, LoginOutcome, Signup, SignupErrors, SignupOutcome};
use crate::auth::password;
use crate::auth::session::{self, LiveSession, RequestMeta};
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
    let (email, password) = (form.email.clone(), form.password);
    let now = state.clock.stamp();
    let outcome = state
        .db_write(move |conn| local::authenticate(conn, &email, &password, &ip, now))
        .await?;
    let retry = match outcome {
        LoginOutcome::SignedIn(user) => {
            return sign_in(state, req, &current.record.id_hash, user, &next).await;
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
    let now = state.clock.stamp();
    let outcome = state
        .db_write(move |conn| {
            let phc = password::hash(&signup.password)
                .map_err(|e| AppError::internal(anyhow::anyhow!("hashing: {e}")))?;
            local::create_account(conn, &signup, &phc, now)
        })
        .await?;
    match outcome {
        SignupOutcome::Created(user) => {
            sign_in(state, req, &current.record.id_hash, user, "/").await
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
