//! CSRF defence for every unsafe request, in two layers on top of `SameSite=Lax`:
//! the request must come from our own origin (Fetch Metadata, else Origin, else
//! Referer), and it must carry the session's synchronizer token (the `X-CSRF-Token`
//! header htmx sends, or the `csrf_token` field of a plain form).

use actix_web::HttpMessage;
use actix_web::dev::{Payload, ServiceRequest};
use actix_web::error::PayloadError;
use actix_web::http::Method;
use actix_web::http::header::{CONTENT_TYPE, HOST, ORIGIN, REFERER};
use actix_web::web::Bytes;
use bytes::BytesMut;
use futures_util::{Stream, StreamExt};
use std::pin::Pin;
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

/// Finds the submitted token: the header (htmx), else the form field. A URL-encoded
/// body is read and put back for the handler; of a multipart body (uploads, the CSV
/// import) only its first part is read — the token field every upload form puts
/// first — so a request without the token is refused before any file is spooled.
/// The query string is never read: a token there would land in history and logs.
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
    if content_type.starts_with("multipart/form-data") {
        return first_multipart_field(req).await;
    }
    Ok(None)
}

/// How much of a multipart body is read looking for the token in its first part.
const FIRST_PART_LIMIT: usize = 4 * 1024;

/// The `csrf_token` field when it is the first part of the multipart body. The
/// bytes read are put back in front of the rest of the stream for the handler.
async fn first_multipart_field(req: &mut ServiceRequest) -> Result<Option<String>, AppError> {
    let boundary = match req.mime_type() {
        Ok(Some(mime)) => mime
            .get_param(actix_web::mime::BOUNDARY)
            .map(|b| b.to_string()),
        _ => None,
    };
    let Some(boundary) = boundary else {
        return Ok(None);
    };
    let mut payload = req.take_payload();
    let mut head = BytesMut::new();
    let token = loop {
        if let Some(found) = first_part_token(&head, &boundary) {
            break found;
        }
        if head.len() >= FIRST_PART_LIMIT {
            break None;
        }
        match payload.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            Some(Err(_)) => {
                return Err(AppError::BadRequest("The upload could not be read.".into()));
            }
            None => break None,
        }
    };
    let head = head.freeze();
    let rest: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
        Box::pin(futures_util::stream::once(async move { Ok(head) }).chain(payload));
    req.set_payload(Payload::from(rest));
    Ok(token)
}

/// Reads the first part of a multipart body from its first bytes: `None` while
/// more bytes are needed, `Some(None)` when that part is not the token field,
/// `Some(Some(token))` when it is.
fn first_part_token(head: &[u8], boundary: &str) -> Option<Option<String>> {
    let opening = format!("--{boundary}\r\n");
    if head.len() < opening.len() {
        return if opening.as_bytes().starts_with(head) {
            None
        } else {
            Some(None)
        };
    }
    if !head.starts_with(opening.as_bytes()) {
        return Some(None);
    }
    let after_opening = &head[opening.len()..];
    let headers_end = find(after_opening, b"\r\n\r\n")?;
    let headers = String::from_utf8_lossy(&after_opening[..headers_end]);
    let names_the_token = headers.split("\r\n").any(|line| {
        let Some((name, value)) = line.split_once(':') else {
            return false;
        };
        name.trim().eq_ignore_ascii_case("content-disposition")
            && value
                .split(';')
                .any(|p| p.trim() == format!("name=\"{FIELD}\""))
            && !value.contains("filename")
    });
    if !names_the_token {
        return Some(None);
    }
    let value = &after_opening[headers_end + 4..];
    let end = find(value, format!("\r\n--{boundary}").as_bytes())?;
    Some(String::from_utf8(value[..end].to_vec()).ok())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
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
    fn only_a_first_multipart_part_named_csrf_token_is_the_token() {
        let b = "XyZ";
        let token = "--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc123\r\n--XyZ\r\n";
        assert_eq!(
            first_part_token(token.as_bytes(), b),
            Some(Some("abc123".into()))
        );
        for cut in [0, 3, 12, 40, token.find("abc").unwrap() + 2] {
            assert_eq!(
                first_part_token(&token.as_bytes()[..cut], b),
                None,
                "{cut}: more bytes"
            );
        }
        let file_first = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nname\r\n";
        assert_eq!(first_part_token(file_first.as_bytes(), b), Some(None));
        let named_file = "--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"; filename=\"t\"\r\n\r\nabc\r\n--XyZ";
        assert_eq!(first_part_token(named_file.as_bytes(), b), Some(None));
        assert_eq!(
            first_part_token(b"garbage that is long enough", b),
            Some(None)
        );
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
