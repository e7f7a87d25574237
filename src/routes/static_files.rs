//! `/static/…` and `/favicon.ico`: the embedded files (`web::embedded`), served with
//! a content hash in the URL so they can be cached for a year.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::web::embedded::{Embedded, url, versions};

/// Only a URL naming the current content (`?v=` its hash) may be cached forever.
fn cache_control(req: &HttpRequest, version: &str) -> &'static str {
    let requested = web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("v").cloned());
    if requested.as_deref() == Some(version) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    }
}

/// The MIME type, with the charset for text.
fn content_type(mime: &str) -> String {
    if mime.starts_with("text/") || mime.contains("javascript") || mime.ends_with("svg+xml") {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    }
}

pub async fn serve(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let path = path.into_inner();
    let Some(file) = Embedded::get(&path) else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("not found");
    };
    let version = versions().get(&path).cloned().unwrap_or_default();
    let etag = format!("\"{version}\"");
    let cache = cache_control(&req, &version);
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    if if_none_match == Some(etag.as_str()) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, cache))
            .finish();
    }
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type(file.metadata.mimetype())))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::ETAG, etag))
        .body(file.data.into_owned())
}

pub async fn favicon() -> HttpResponse {
    HttpResponse::MovedPermanently()
        .insert_header((header::LOCATION, url("icons/favicon.svg")))
        .finish()
}
