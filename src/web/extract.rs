//! Extractors and extractor settings: the signed-in user and the session the gate
//! found, the client's address, and how malformed forms, paths and queries answer.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::auth::CurrentUser;
use crate::auth::session::LiveSession;
use crate::domain::paths::safe_next;
use crate::error::AppError;

/// What the session gate found for this request (set on every request it handles).
#[derive(Debug, Clone)]
pub struct SessionState(pub Option<LiveSession>);

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    /// Only the session gate can produce one; a request without a live signed-in
    /// session is sent to the login page (htmx: `HX-Redirect`).
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
                    notice: super::notice::from_request(req),
                })
            });
        ready(found.ok_or_else(|| login_required(req)))
    }
}

/// "Log in first", coming back to this page afterwards.
pub fn login_required(req: &HttpRequest) -> AppError {
    AppError::LoginRequired {
        next: safe_next(Some(&return_path(req))),
        htmx: super::is_htmx(req),
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

/// The path (and query) to come back to after logging in.
fn return_path(req: &HttpRequest) -> String {
    if super::csrf::is_unsafe(req.method()) {
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

pub fn form_config() -> web::FormConfig {
    form_config_limit(64 * 1024)
}

/// Form bodies up to `limit` bytes; larger ones answer 413.
pub fn form_config_limit(limit: usize) -> web::FormConfig {
    web::FormConfig::default()
        .limit(limit)
        .error_handler(|err, _| {
            let too_large = matches!(err, actix_web::error::UrlencodedError::Overflow { .. });
            if too_large {
                AppError::PayloadTooLarge.into()
            } else {
                AppError::BadRequest(
                    "The form could not be read; reload the page and try again.".into(),
                )
                .into()
            }
        })
}

/// A path segment that is not a valid id is an unknown page.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into())
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|_, _| {
        AppError::BadRequest("That link has a malformed query; check the address.".into()).into()
    })
}

/// The origin browsers reach us at, for URLs we hand out (the calendar feed, the
/// OAuth callback): `LAUF_PUBLIC_URL` when set; else — only when the peer is a
/// trusted proxy — its `X-Forwarded-Proto` and `X-Forwarded-Host`; else the
/// request's own `Host` over plain HTTP (the app itself never terminates TLS).
/// A client that is not a trusted proxy cannot put another host into our links.
pub fn public_origin(req: &HttpRequest, settings: &crate::config::Settings) -> String {
    if let Some(url) = &settings.public_url {
        return url.clone();
    }
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let behind_proxy = req.peer_addr().is_some_and(|peer| {
        settings
            .trusted_proxies
            .iter()
            .any(|net| net.contains(peer.ip()))
    });
    let forwarded = |name| header(name).filter(|_| behind_proxy);
    let scheme = match forwarded("X-Forwarded-Proto") {
        Some("https") => "https",
        _ => "http",
    };
    let host = forwarded("X-Forwarded-Host")
        .filter(|h| is_host(h))
        .or_else(|| header("Host").filter(|h| is_host(h)))
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .unwrap_or("localhost")
        .to_string();
    format!("{scheme}://{host}")
}

/// A host with an optional port: letters, digits, dots, hyphens, colons and the
/// brackets of an IPv6 literal — nothing that could end the URL or start a path.
fn is_host(value: &str) -> bool {
    value.len() <= 255
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn htmx_posts_return_to_the_page_they_came_from() {
        assert_eq!(
            path_of("http://127.0.0.1:8080/clients?x=1"),
            Some("/clients?x=1")
        );
        assert_eq!(path_of("http://127.0.0.1:8080"), None);
    }
}
