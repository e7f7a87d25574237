//! The request gate: loads the session named by the cookie (one query), then refuses
//! unsafe requests that fail the CSRF checks before any handler runs.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use super::extract::login_required;
use super::{SessionState, csrf};
use crate::auth::session::{self, LiveSession};
use crate::auth::supabase::{self, Freshness};
use crate::error::AppError;
use crate::state::AppState;

/// Paths that never need a session: static files and probes.
fn sessionless(path: &str) -> bool {
    path.starts_with("/static/")
        || path == "/healthz"
        || path == "/readyz"
        || path == "/favicon.ico"
}

pub async fn session_gate(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if sessionless(req.path()) && !csrf::is_unsafe(req.method()) {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    // A page that shows the notice a redirect carried clears it, so a reload or
    // the next page does not show it again.
    let shown_notice = super::notice::from_request(req.request()).is_some();
    match load_and_check(&mut req).await {
        Ok(()) => {
            let mut res = next.call(req).await?;
            if shown_notice && res.status().is_success() {
                let secure = res
                    .request()
                    .app_data::<web::Data<AppState>>()
                    .is_some_and(|state| state.sessions.secure);
                // Cannot fail: the cookie is ours and valid.
                let _ = res
                    .response_mut()
                    .add_cookie(&super::notice::removal(secure));
            }
            Ok(res.map_into_left_body())
        }
        Err(err) => Ok(req.error_response(err).map_into_right_body()),
    }
}

async fn load_and_check(req: &mut ServiceRequest) -> Result<(), AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("AppState missing")))?;
    let policy = state.sessions.clone();
    let now = state.clock.stamp();
    let token = req
        .cookie(policy.cookie_name())
        .map(|c| c.value().to_string());
    let mut live: Option<LiveSession> = match token {
        Some(token) if session::looks_like_token(&token) => {
            let found = state
                .db(move |conn| Ok(session::look_up(conn, &policy, &token, now)?))
                .await?;
            if let Some(upkeep) = found.upkeep {
                // Housekeeping: the request is answered either way (an expired
                // session is absent already; the next request touches again).
                let kept = state
                    .db_write(move |conn| Ok(session::keep_up(conn, &upkeep)?))
                    .await;
                if let Err(e) = kept {
                    tracing::warn!(error = %e, "session upkeep skipped");
                }
            }
            found.session
        }
        _ => None,
    };

    if let (Some(supabase), Some(session)) = (state.supabase.as_ref(), live.as_mut())
        && session.record.kind == "supabase"
        && session.user.is_some()
    {
        match supabase::ensure_fresh(&state.supabase_env(), supabase, session).await? {
            Freshness::Live => {}
            Freshness::Unavailable => return Err(AppError::AuthUnavailable),
            Freshness::Ended => return Err(login_required(req.request())),
        }
    }

    if csrf::is_unsafe(req.method()) {
        if !csrf::from_our_origin(req, state.settings.public_url.as_deref()) {
            return Err(AppError::Forbidden("cross-origin request"));
        }
        let expected = live
            .as_ref()
            .map(|s| s.record.csrf_token.clone())
            .unwrap_or_default();
        let submitted = csrf::submitted_token(req).await?.unwrap_or_default();
        if !csrf::tokens_match(&submitted, &expected) {
            return Err(AppError::Forbidden(if expected.is_empty() {
                "no session for CSRF token"
            } else {
                "CSRF token mismatch"
            }));
        }
    }
    if let Some(user) = live.as_ref().and_then(|s| s.user.as_ref()) {
        crate::telemetry::record_user(req, &user.id);
    }
    req.extensions_mut().insert(SessionState(live));
    Ok(())
}
