//! Authentication: local accounts, server-side sessions, CSRF, login throttling, and
//! the `CurrentUser` extractor handlers use to know who is asking.

pub mod csrf;
pub mod local;
pub mod middleware;
pub mod password;
pub mod session;
pub mod supabase;
pub mod throttle;

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use crate::db::models::users::User;
use crate::error::AppError;
use session::LiveSession;

/// What the session gate found for this request (set on every request it handles).
#[derive(Debug, Clone)]
pub struct SessionState(pub Option<LiveSession>);

/// The signed-in user. Only the session gate can produce one; a request without a
/// live signed-in session is sent to the login page (htmx: `HX-Redirect`).
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub session_hash: String,
    pub csrf_token: String,
}

impl CurrentUser {
    pub fn id(&self) -> &crate::domain::UserId {
        &self.user.id
    }
}

pub fn is_htmx(req: &HttpRequest) -> bool {
    req.headers().get("HX-Request").is_some_and(|v| v == "true")
}

/// The path (and query) to come back to after logging in.
pub(crate) fn return_path(req: &HttpRequest) -> String {
    if crate::auth::csrf::is_unsafe(req.method()) {
        // Never replay a POST after login; go back to the page instead.
        return req
            .headers()
            .get("HX-Current-URL")
            .and_then(|v| v.to_str().ok())
            .and_then(path_of)
            .unwrap_or("/")
            .to_string();
    }
    match req.query_string() {
        "" => req.path().to_string(),
        query => format!("{}?{}", req.path(), query),
    }
}

fn path_of(url: &str) -> Option<&str> {
    let after_scheme = url.find("://")? + 3;
    url[after_scheme..]
        .find('/')
        .map(|i| &url[after_scheme + i..])
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let found = req
            .extensions()
            .get::<SessionState>()
            .and_then(|state| state.0.clone())
            .and_then(|live| {
                let user = live.user?;
                Some(CurrentUser {
                    user,
                    session_hash: live.record.id_hash,
                    csrf_token: live.record.csrf_token,
                })
            });
        ready(found.ok_or_else(|| AppError::LoginRequired {
            next: safe_next(Some(&return_path(req))),
            htmx: is_htmx(req),
        }))
    }
}

/// The session (signed in or anonymous), if any: for the login and sign-up pages.
#[derive(Debug, Clone)]
pub struct MaybeSession(pub Option<LiveSession>);

impl FromRequest for MaybeSession {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(MaybeSession(
            req.extensions()
                .get::<SessionState>()
                .and_then(|s| s.0.clone()),
        )))
    }
}

/// A same-site path to redirect to after login; anything else (other hosts,
/// scheme-relative `//x`, backslashes, control characters, very long input) is `/`.
pub fn safe_next(raw: Option<&str>) -> String {
    let Some(path) = raw else { return "/".into() };
    let unsafe_path = path.len() > 512
        || !path.starts_with('/')
        || path.starts_with("//")
        || path.chars().any(|c| c.is_control() || c == '\\')
        || path.starts_with("/login")
        || path.starts_with("/logout")
        || path.starts_with("/signup");
    if unsafe_path {
        "/".into()
    } else {
        path.to_string()
    }
}

/// The client's address for throttling and logs: the TCP peer, or — only when the
/// peer is a trusted proxy — the right-most address in `X-Forwarded-For` that is not
/// itself a trusted proxy. A client cannot pick its own bucket by sending the header.
pub fn client_ip(req: &HttpRequest, trusted: &[crate::config::IpNet]) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return "unknown".into();
    };
    let is_trusted = |ip: std::net::IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(peer) {
        return peer.to_string();
    }
    let forwarded = req
        .headers()
        .get_all("X-Forwarded-For")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse::<std::net::IpAddr>().ok())
        .collect::<Vec<_>>();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !is_trusted(*ip))
        .unwrap_or(peer)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_only_leads_to_our_own_pages() {
        for bad in [
            "//evil.com",
            "/\\evil.com",
            "https://evil.com",
            "javascript:alert(1)",
            "/\r\nSet-Cookie:x",
            "evil",
            "/logout",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(Some(&format!("/{}", "a".repeat(600)))), "/");
        assert_eq!(safe_next(Some("/clients/abc?tab=a")), "/clients/abc?tab=a");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn htmx_posts_return_to_the_page_they_came_from() {
        assert_eq!(
            path_of("http://127.0.0.1:8080/clients?x=1"),
            Some("/clients?x=1")
        );
        assert_eq!(path_of("http://127.0.0.1:8080"), None);
    }
}
