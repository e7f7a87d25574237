//! CSRF defence for every unsafe request, in two layers on top of `SameSite=Lax`:
//! the request must come from our own origin (Fetch Metadata, else Origin, else
//! Referer), and it must carry the session's synchronizer token (the `X-CSRF-Token`
//! header htmx sends, or the `csrf_token` field of a plain form).

use actix_web::HttpMessage;
use actix_web::dev::{Payload, ServiceRequest};
use actix_web::http::Method;
use actix_web::http::header::{CONTENT_TYPE, HOST, ORIGIN, REFERER};
use actix_web::web::Bytes;
use subtle::ConstantTimeEq;

use crate::error::AppError;

pub const HEADER: &str = "X-CSRF-Token";
pub const FIELD: &str = "csrf_token";

pub fn is_unsafe(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Whether the browser says this request was made by a page of our own origin.
/// `public_url` is the configured origin; without one the request's Host stands in.
pub fn from_our_origin(req: &ServiceRequest, public_url: Option<&str>) -> bool {
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return site == "same-origin";
    }
    let host = header(HOST.as_str()).unwrap_or_default();
    let matches_origin = |origin: &str| match public_url {
        Some(expected) => origin == expected,
        None => {
            let authority = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            !host.is_empty() && authority == Some(host)
        }
    };
    if let Some(origin) = header(ORIGIN.as_str()) {
        return matches_origin(origin);
    }
    // Fail safe: a request that names no origin at all is refused.
    header(REFERER.as_str()).is_some_and(|referer| {
        let after_scheme = referer.find("://").map(|i| i + 3).unwrap_or(0);
        let end = referer[after_scheme..]
            .find('/')
            .map(|i| i + after_scheme)
            .unwrap_or(referer.len());
        matches_origin(&referer[..end])
    })
}

/// Finds the submitted token: the header, else the form field (reading the
/// URL-encoded body and putting it back for the handler), else `?csrf_token=` for
/// multipart uploads, whose bodies are streamed and never buffered here.
pub async fn submitted_token(req: &mut ServiceRequest) -> Result<Option<String>, AppError> {
    if let Some(value) = req.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        return Ok(Some(value.to_string()));
    }
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let body = req.extract::<Bytes>().await.map_err(|e| {
            if e.as_response_error().status_code() == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE
            {
                AppError::PayloadTooLarge
            } else {
                AppError::BadRequest("The form could not be read.".into())
            }
        })?;
        let token = form_field(&body, FIELD);
        req.set_payload(Payload::from(body));
        return Ok(token);
    }
    Ok(form_field(req.query_string().as_bytes(), FIELD))
}

fn form_field(encoded: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(encoded)
        .ok()?
        .into_iter()
        .find_map(|(key, value)| (key == name).then_some(value))
}

/// Constant-time comparison of the submitted token with the session's.
pub fn tokens_match(submitted: &str, expected: &str) -> bool {
    !expected.is_empty() && bool::from(submitted.as_bytes().ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn request(headers: &[(&str, &str)]) -> ServiceRequest {
        let mut req = TestRequest::post()
            .uri("/clients")
            .insert_header((HOST, "127.0.0.1:8080"));
        for (name, value) in headers {
            req = req.insert_header((*name, *value));
        }
        req.to_srv_request()
    }

    #[test]
    fn fetch_metadata_decides_when_present() {
        assert!(from_our_origin(
            &request(&[("Sec-Fetch-Site", "same-origin")]),
            None
        ));
        for site in ["same-site", "cross-site", "none"] {
            let req = request(&[
                ("Sec-Fetch-Site", site),
                ("Origin", "http://127.0.0.1:8080"),
            ]);
            assert!(!from_our_origin(&req, None), "{site}");
        }
    }

    #[test]
    fn origin_must_match_the_host_or_the_public_url() {
        assert!(from_our_origin(
            &request(&[("Origin", "http://127.0.0.1:8080")]),
            None
        ));
        assert!(!from_our_origin(
            &request(&[("Origin", "https://evil.example")]),
            None
        ));
        assert!(!from_our_origin(&request(&[("Origin", "null")]), None));
        let configured = Some("https://lauf.example.com");
        assert!(from_our_origin(
            &request(&[("Origin", "https://lauf.example.com")]),
            configured
        ));
        assert!(!from_our_origin(
            &request(&[("Origin", "http://127.0.0.1:8080")]),
            configured
        ));
    }

    #[test]
    fn referer_is_the_last_resort_and_silence_is_refused() {
        assert!(from_our_origin(
            &request(&[("Referer", "http://127.0.0.1:8080/clients?x=1")]),
            None
        ));
        assert!(!from_our_origin(
            &request(&[("Referer", "http://127.0.0.1:8080.evil.example/")]),
            None
        ));
        assert!(!from_our_origin(&request(&[]), None));
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abd", "abc"));
        assert!(!tokens_match("", ""));
        assert!(!tokens_match("abc", "abcd"));
    }

    #[test]
    fn finds_the_field_in_a_form_body() {
        assert_eq!(
            form_field(b"a=1&csrf_token=t%2Bk&b=2", FIELD).as_deref(),
            Some("t+k")
        );
        assert_eq!(form_field(b"a=1", FIELD), None);
        assert_eq!(form_field(b"%%%", FIELD), None);
    }
}
