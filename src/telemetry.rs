//! Structured logs: `tracing` to stdout as text or JSON, and one line per request.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; `RUST_LOG` overrides the default `info` filter.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let result = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    // A second init (tests) keeps the first subscriber.
    let _ = result;
}

/// Logs method, path (never the query: it may carry tokens), status and latency.
/// Successful requests log at debug so a busy server stays quiet at `info`.
pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_string();
    let res = next.call(req).await?;
    let status = res.status().as_u16();
    let micros = started.elapsed().as_micros() as u64;
    match status {
        500.. => tracing::error!(%method, path, status, micros, "request"),
        400..=499 => tracing::info!(%method, path, status, micros, "request"),
        _ => tracing::debug!(%method, path, status, micros, "request"),
    }
    Ok(res)
}
