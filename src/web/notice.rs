//! Status messages on the way out: rendered into the status region of an htmx
//! answer (an out-of-band swap into `#flash`), or carried across a plain form's
//! redirect in a short-lived cookie that the next page shows and clears.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::{is_htmx, see_other};
use crate::domain::Notice;
use crate::error::AppError;

/// The cookie that carries a notice to the page a redirect lands on.
pub const COOKIE: &str = "lauf_notice";

/// The notice as the status region shows it, swapped in out of band.
#[derive(Template)]
#[template(path = "notice_oob.html")]
struct NoticeOob<'a> {
    notice: &'a Notice,
    csrf: &'a str,
}

/// Appends the notice to an htmx answer's body.
pub fn render_oob(notice: &Notice, csrf: &str, body: &mut String) -> Result<(), AppError> {
    NoticeOob { notice, csrf }.render_into(body)?;
    Ok(())
}

/// An htmx answer: `fragment`, then the notice in the status region.
pub fn fragment(
    status: StatusCode,
    fragment: &impl Template,
    notice: Option<&Notice>,
    csrf: &str,
) -> Result<HttpResponse, AppError> {
    let mut body = fragment.render()?;
    if let Some(notice) = notice {
        render_oob(notice, csrf, &mut body)?;
    }
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// The cookie for `notice`: a few seconds' life, never readable by scripts.
pub fn cookie(notice: &Notice, secure: bool) -> Cookie<'static> {
    Cookie::build(COOKIE, notice.to_cookie())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(60))
        .finish()
}

/// Clears the notice once a page has shown it.
pub fn removal(secure: bool) -> Cookie<'static> {
    let mut cookie = cookie(&Notice::new("-"), secure);
    cookie.make_removal();
    cookie
}

/// `see_other` that shows `notice` on the page it lands on.
pub fn see_other_with(
    req: &HttpRequest,
    location: &str,
    notice: Option<&Notice>,
    secure: bool,
) -> HttpResponse {
    let mut response = see_other(req, location);
    if let Some(notice) = notice {
        // Cannot fail: the cookie's name and value are ours and valid.
        let _ = response.add_cookie(&cookie(notice, secure));
    }
    response
}

/// The notice a page shows: the one its cookie carries, for a full page load.
pub fn from_request(req: &HttpRequest) -> Option<Notice> {
    if is_htmx(req) || req.method() != actix_web::http::Method::GET {
        return None;
    }
    req.cookie(COOKIE)
        .and_then(|cookie| Notice::from_cookie(cookie.value()))
}
