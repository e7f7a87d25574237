//! Response hardening on every response: CSP that htmx runs under, the usual
//! security headers, `no-store` for pages, and error bodies as small fragments for
//! htmx requests (app.js shows them in the flash area).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::error::AppError;
use crate::startup::AppState;

pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; \
font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; \
object-src 'none'; manifest-src 'self'";

/// Over HTTPS the browser also upgrades any stray http:// subresource. Not on plain
/// http://127.0.0.1, where it would break every asset.
pub const CSP_HTTPS: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; \
font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; \
object-src 'none'; manifest-src 'self'; upgrade-insecure-requests";

#[derive(Template)]
#[template(path = "error_fragment.html")]
struct ErrorFragment<'a> {
    title: &'a str,
    message: &'a str,
}

pub async fn response_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let htmx = req.headers().get("HX-Request").is_some_and(|v| v == "true");
    let secure = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.settings.secure_cookies());
    let mut res = next.call(req).await?.map_into_boxed_body();

    if htmx
        && res.status().as_u16() >= 400
        && let Some((title, message)) = res
            .response()
            .error()
            .and_then(|e| e.as_error::<AppError>())
            .map(AppError::user_message)
    {
        let body = ErrorFragment {
            title,
            message: &message,
        }
        .render()
        .unwrap_or_else(|_| title.to_string());
        let (request, old) = res.into_parts();
        let mut fresh = HttpResponse::build(old.status());
        for (name, value) in old.headers() {
            if name != header::CONTENT_LENGTH && name != header::CONTENT_TYPE {
                fresh.append_header((name.clone(), value.clone()));
            }
        }
        // Errors show in the flash area, wherever the request meant to swap.
        fresh.insert_header(("HX-Retarget", "#flash"));
        fresh.insert_header(("HX-Reswap", "innerHTML"));
        res = ServiceResponse::new(
            request,
            fresh.content_type("text/html; charset=utf-8").body(body),
        );
    }

    let headers = res.headers_mut();
    // A handler serving an uploaded file sets a stricter policy of its own.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(if secure { CSP_HTTPS } else { CSP }),
        );
    }
    // Pages whose URL carries a one-time token set `no-referrer` themselves.
    if !headers.contains_key(header::REFERRER_POLICY) {
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        );
    }
    let mut set = |name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");

    set(
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
    set(
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=()",
    );
    if secure {
        set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        );
    }
    let headers = res.headers_mut();
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
    {
        headers.append(header::VARY, HeaderValue::from_static("HX-Request"));
    }
    headers.remove(header::SERVER);
    Ok(res)
}
