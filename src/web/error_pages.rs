//! Error responses as people see them: every response that carries an `AppError`
//! gets the error page, or for htmx a small fragment shown in the flash area
//! (`HX-Retarget: #flash`), with the status and headers the error set.

use actix_web::HttpResponse;
use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::header;
use askama::Template;

use super::PageContext;
use crate::error::AppError;

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub ctx: PageContext,
    pub status: u16,
    pub title: &'static str,
    pub message: String,
}

#[derive(Template)]
#[template(path = "error_fragment.html")]
struct ErrorFragment<'a> {
    title: &'a str,
    message: &'a str,
}

/// The response with its error rendered for a person (`htmx`: as the fragment);
/// any other response as it is. Called by `security::response_headers`, which
/// every response passes through.
pub fn render_errors(res: ServiceResponse<BoxBody>, htmx: bool) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let Some(error) = res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>())
    else {
        return res;
    };
    let (title, message) = error.user_message();
    let body = match (htmx, error) {
        // A redirect to the login page has no body of its own.
        (false, AppError::LoginRequired { .. }) => return res,
        (true, _) if status.as_u16() < 400 => return res,
        (true, _) => ErrorFragment {
            title,
            message: &message,
        }
        .render(),
        (false, _) => ErrorPage {
            ctx: PageContext::anonymous(),
            status: status.as_u16(),
            title,
            message: message.clone(),
        }
        .render(),
    }
    .unwrap_or_else(|_| title.to_string());
    let (request, old) = res.into_parts();
    let mut fresh = HttpResponse::build(status);
    for (name, value) in old.headers() {
        if name != header::CONTENT_LENGTH && name != header::CONTENT_TYPE {
            fresh.append_header((name.clone(), value.clone()));
        }
    }
    if htmx {
        // Errors show in the flash area, wherever the request meant to swap.
        fresh.insert_header(("HX-Retarget", "#flash"));
        fresh.insert_header(("HX-Reswap", "innerHTML"));
    }
    ServiceResponse::new(
        request,
        fresh.content_type("text/html; charset=utf-8").body(body),
    )
}
