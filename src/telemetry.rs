//! Structured logs: `tracing` to stdout as text or JSON, and one line per request.

use std::io::IsTerminal;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use tracing_subscriber::EnvFilter;

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
}
