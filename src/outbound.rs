//! Outbound HTTP (S3-compatible storage, Supabase Auth) on awc and the vendored
//! OpenSSL. Clients never follow redirects: a server we call cannot send us on to
//! another host.

use std::time::Duration;

/// Initialises the vendored OpenSSL without its exit handler. Call it before the
/// first TLS use of the process: this module's clients and libpq (whose TLS to
/// PostgreSQL runs on the same OpenSSL) both do.
///
/// Left to initialise itself on first use, as libpq lets it, OpenSSL registers an
/// `atexit` cleanup that frees its global tables while other threads (actix workers,
/// the thread-local clients below) may still be dropping their TLS contexts: the
/// process then aborts on exit with `free(): invalid pointer`. The first
/// initialisation decides, and `openssl::init` asks for no exit handler.
pub fn init_openssl() {
    openssl::init();
}

/// An awc client for one thread (awc's client is `!Send`), with a connect timeout
/// and `timeout` for the whole request.
pub fn client(connect_timeout: Duration, timeout: Duration, purpose: &str) -> awc::Client {
    init_openssl();
    let connector = awc::Connector::new().timeout(connect_timeout);
    let connector = match tls_connector() {
        Ok(tls) => connector.openssl(tls),
        Err(e) => {
            tracing::warn!(error = %e, purpose, "TLS setup failed; only http:// endpoints will work");
            connector
        }
    };
    awc::Client::builder()
        .connector(connector)
        .timeout(timeout)
        .disable_redirects()
        .finish()
}

/// OpenSSL is vendored, so it does not know where this system keeps its CA
/// certificates: look them up the way `openssl-probe` does.
fn tls_connector() -> Result<openssl::ssl::SslConnector, openssl::error::ErrorStack> {
    let mut builder = openssl::ssl::SslConnector::builder(openssl::ssl::SslMethod::tls())?;
    let found = openssl_probe::probe();
    if let Some(file) = &found.cert_file {
        builder.set_ca_file(file)?;
    }
    builder.set_alpn_protos(b"\x08http/1.1")?;
    Ok(builder.build())
}
