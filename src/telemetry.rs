//! Structured logs: `tracing` to stdout as text or JSON. Every request runs in a
//! `request` span (`tracing-actix-web`, with our `RequestSpan`) carrying its method,
//! route pattern, request id and, once the session is known, the user id — never
//! the query, an email or a token — so every line it logs, an internal error's
//! included, says where it happened. `log_request` writes one line per request.

use std::io::IsTerminal;
use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpan, RootSpanBuilder};
use tracing_subscriber::EnvFilter;

/// The root span of a request: method, route pattern (`/clients/{id}`, so ids stay
/// out of aggregated logs), request id, and the user id (`record_user`).
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(req: &ServiceRequest) -> Span {
        let route = req.match_pattern().unwrap_or_else(|| "(unmatched)".into());
        let request_id = req
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        tracing::info_span!(
            "request",
            method = %req.method(),
            route = %route,
            request_id = %request_id,
            user_id = tracing::field::Empty,
        )
    }

    /// The request's line is `log_request`'s, with the level it chooses.
    fn on_request_end<B: MessageBody>(
        _span: Span,
        _outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
    }
}

/// Adds the signed-in user's id to the request's span (the session gate knows it).
pub fn record_user(req: &ServiceRequest, user: &crate::domain::UserId) {
    if let Some(span) = req.extensions().get::<RootSpan>() {
        span.record("user_id", tracing::field::display(user.as_str()));
    }
}

/// Installs the global subscriber; `RUST_LOG` overrides the default `info` filter.
/// Text logs are coloured only on a terminal: a file, a pipe or journald gets plain
/// lines that grep and log shippers read as they are.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal());
    let result = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    // A second init (tests) keeps the first subscriber.
    let _ = result;
}

/// A successful request slower than this logs a warning.
const SLOW_REQUEST_MICROS: u64 = 1_000_000;

/// Logs method, path (never the query: it may carry tokens), status and latency.
/// Successful requests log at debug so a busy server stays quiet at `info`, unless
/// it took over a second: that is a warning, so a stall under load shows in the log
/// at the default level and at `RUST_LOG=warn`.
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
        _ if micros >= SLOW_REQUEST_MICROS => {
            tracing::warn!(%method, path, status, micros, "slow request")
        }
        _ => tracing::debug!(%method, path, status, micros, "request"),
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use actix_web::middleware::from_fn;
    use actix_web::{App, HttpResponse, test, web};

    /// What the subscriber wrote, shared with the test.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[actix_web::test]
    async fn a_slow_request_is_a_warning_and_a_quick_one_is_not() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("warn")
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        // The test runtime is single-threaded, so a thread-local subscriber sees it all.
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = test::init_service(
            App::new()
                .wrap(from_fn(super::log_request))
                .route("/quick", web::get().to(HttpResponse::Ok))
                .route(
                    "/slow",
                    web::get().to(|| async {
                        actix_web::rt::time::sleep(Duration::from_micros(
                            super::SLOW_REQUEST_MICROS + 50_000,
                        ))
                        .await;
                        HttpResponse::Ok().finish()
                    }),
                ),
        )
        .await;

        let get = |uri| test::TestRequest::get().uri(uri).to_request();

        test::call_service(&app, get("/quick?token=secret")).await;
        assert_eq!(String::from_utf8_lossy(&captured.0.lock().unwrap()), "");

        test::call_service(&app, get("/slow?token=secret")).await;
        let log = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
        assert!(log.contains("WARN"), "{log}");
        assert!(log.contains("slow request"), "{log}");
        assert!(log.contains(r#"path="/slow" status=200"#), "{log}");
        assert!(
            !log.contains("secret"),
            "the query stays out of the log: {log}"
        );
    }

    #[actix_web::test]
    async fn an_internal_error_is_logged_with_its_route_request_user_and_cause() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("info")
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let user = crate::domain::UserId::parse("00000000-0000-4000-8000-000000000042").unwrap();
        let app = test::init_service(
            App::new()
                .wrap(from_fn(
                    move |req: actix_web::dev::ServiceRequest,
                          next: actix_web::middleware::Next<_>| {
                        super::record_user(&req, &user);
                        next.call(req)
                    },
                ))
                .wrap(tracing_actix_web::TracingLogger::<super::RequestSpan>::new())
                .route(
                    "/clients/{id}",
                    web::get().to(|| async {
                        Err::<HttpResponse, _>(crate::error::AppError::internal(
                            anyhow::anyhow!("disk on fire").context("saving the client"),
                        ))
                    }),
                ),
        )
        .await;
        let res = test::call_service(
            &app,
            test::TestRequest::get()
                .uri("/clients/abc?token=secret")
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), 500);
        let log = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
        assert!(log.contains("request failed"), "{log}");
        assert!(log.contains("saving the client: disk on fire"), "{log}");
        assert!(log.contains("route=/clients/{id}"), "{log}");
        assert!(log.contains("method=GET"), "{log}");
        assert!(
            log.contains("user_id=00000000-0000-4000-8000-000000000042"),
            "{log}"
        );
        assert!(log.contains("request_id="), "{log}");
        assert!(
            !log.contains("secret"),
            "the query stays out of the log: {log}"
        );
    }
}
