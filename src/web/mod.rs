//! The web layer: what handlers share between HTTP and the app. The session gate
//! and CSRF check, the extractors, the page context and rendering, redirects, the
//! shared form parsers, security headers and error pages. Imports `state`, `auth`,
//! `db` and `domain`; never `routes` or `startup`.

pub mod chart;
pub mod confirm;
pub mod csrf;
pub mod csv;
pub mod embedded;
pub mod error_pages;
pub mod extract;
pub mod forms;
pub mod notice;
pub mod page;
pub mod security;
pub mod session_gate;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

pub use crate::domain::paths::{date_in, return_path, safe_next};
use crate::error::AppError;
pub use extract::{MaybeSession, SessionState, client_ip};
pub use page::PageContext;

/// Renders a template with a status (200 for pages, 422 for a form with errors).
pub fn html(status: StatusCode, template: &impl Template) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(template.render()?))
}

/// After a successful POST: 303 to `location`; for htmx, `HX-Redirect` so the whole
/// page is fetched.
pub fn see_other(req: &HttpRequest, location: &str) -> HttpResponse {
    if is_htmx(req) {
        HttpResponse::Ok()
            .insert_header(("HX-Redirect", location.to_string()))
            .finish()
    } else {
        HttpResponse::SeeOther()
            .insert_header(("Location", location.to_string()))
            .finish()
    }
}

/// Whether htmx sent the request (it answers with a fragment, not a page).
pub fn is_htmx(req: &HttpRequest) -> bool {
    req.headers().get("HX-Request").is_some_and(|v| v == "true")
}

/// Which part of the page an htmx request asked to replace.
pub fn htmx_target(req: &HttpRequest) -> Option<String> {
    if !is_htmx(req) {
        return None;
    }
    req.headers()
        .get("HX-Target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The default service: every unknown path.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// A figure however deep a template's loop hands it over (`i64`, `&i64`, `&&i64`).
pub trait Value<T> {
    fn value(&self) -> T;
}

impl Value<i64> for i64 {
    fn value(&self) -> i64 {
        *self
    }
}

impl Value<rust_decimal::Decimal> for rust_decimal::Decimal {
    fn value(&self) -> rust_decimal::Decimal {
        *self
    }
}

impl<T, V: Value<T>> Value<T> for &V {
    fn value(&self) -> T {
        (*self).value()
    }
}
