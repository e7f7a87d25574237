//! `AppError`: every way a request can fail, with its status and the words a person
//! reads. The bottom layer: it imports nothing of ours, so every other layer can
//! return it. Internal causes are logged with their place and never shown; the web
//! layer (`web::error_pages`) turns the error into a page or an htmx fragment.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Not signed in (or the session ended): the login page, then back to `next`.
    #[error("login required")]
    LoginRequired { next: String, htmx: bool },
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Input that parses but cannot be done (a bad date in a one-field form).
    #[error("unprocessable: {0}")]
    Unprocessable(String),
    #[error("payload too large")]
    PayloadTooLarge,
    /// An upload over the configured size, with the limit in words.
    #[error("file too large: {0}")]
    FileTooLarge(String),
    /// The disk or the storage quota is full; nothing was kept.
    #[error("insufficient storage")]
    InsufficientStorage,
    /// File storage cannot be reached or refused the request.
    #[error("storage unavailable: {0}")]
    StorageUnavailable(String),
    #[error("too many attempts")]
    TooManyRequests { retry_after_secs: u64 },
    /// The database cannot be reached right now.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Supabase Auth (or its signing keys) cannot be reached right now.
    #[error("sign-in service unavailable")]
    AuthUnavailable,
    /// Supabase Auth answered with something we cannot trust or use.
    #[error("sign-in failed at the identity provider")]
    AuthFailed,
    /// A verified sign-in we still refuse (disabled account, identity clash).
    #[error("sign-in refused: {0}")]
    AuthRefused(&'static str),
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

impl AppError {
    /// Whether PostgreSQL aborted the transaction for a conflict with another
    /// (deadlock 40P01, serialization failure 40001): running it again may succeed.
    /// Diesel names 40001 but not 40P01, whose message is matched instead.
    pub fn is_transient_conflict(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        let AppError::Internal(cause) = self else {
            return false;
        };
        match cause.downcast_ref::<Error>() {
            Some(Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _)) => true,
            Some(Error::DatabaseError(_, info)) => info.message().contains("deadlock detected"),
            _ => false,
        }
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(cause.into())
    }

    /// What the person reads: plain words, no internals.
    pub fn user_message(&self) -> (&'static str, String) {
        match self {
            AppError::NotFound => ("Not found", "There is nothing here, or it is not yours to see.".into()),
            AppError::Forbidden(_) => (
                "Request refused",
                "This form has expired or did not come from this site. Reload the page and try again.".into(),
            ),
            AppError::LoginRequired { .. } => ("Please log in", "Your session has ended. Log in to continue.".into()),
            AppError::BadRequest(why) => ("Bad request", why.clone()),
            AppError::Unprocessable(why) => ("Not saved", why.clone()),
            AppError::PayloadTooLarge => ("Too large", "That request is larger than this server accepts.".into()),
            AppError::FileTooLarge(why) => ("File too large", why.clone()),
            AppError::InsufficientStorage => (
                "No room for the file",
                "The server has no room left for files. Nothing was saved; ask whoever runs it to free some space.".into(),
            ),
            AppError::StorageUnavailable(_) => (
                "File storage unavailable",
                "File storage cannot be reached right now. Nothing was changed; try again in a moment.".into(),
            ),
            AppError::TooManyRequests { retry_after_secs } => (
                "Too many attempts",
                format!("Too many attempts. Try again in {}.", human_wait(*retry_after_secs)),
            ),
            AppError::Unavailable(_) => (
                "Temporarily unavailable",
                "The database cannot be reached right now. Nothing was changed; try again in a moment.".into(),
            ),
            AppError::AuthUnavailable => (
                "Sign-in service unavailable",
                "The sign-in service cannot be reached right now. You are still signed in; try again in a moment.".into(),
            ),
            AppError::AuthFailed => (
                "Sign-in failed",
                "The sign-in service answered in a way we cannot trust, so you were not signed in. Try again; if it keeps happening, tell whoever runs this server.".into(),
            ),
            AppError::AuthRefused(why) => ("Sign-in refused", (*why).into()),
            AppError::Internal(_) => (
                "Something went wrong",
                "Something went wrong on our side and nothing was changed. Try again; if it keeps happening, check the server log.".into(),
            ),
        }
    }
}

fn human_wait(secs: u64) -> String {
    match secs {
        0..=1 => "a second".into(),
        2..=119 => format!("{secs} seconds"),
        _ => format!("{} minutes", secs.div_ceil(60)),
    }
}

impl AppError {
    /// Whether this is a unique-constraint violation (a concurrent insert won).
    pub fn is_unique_violation(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        matches!(self, AppError::Internal(cause) if matches!(
            cause.downcast_ref::<Error>(),
            Some(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _))
        ))
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => AppError::NotFound,
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => AppError::Unavailable(info.message().to_string()),
            // SQLite: another process held the write lock past the busy timeout.
            Error::DatabaseError(_, info)
                if info.message().contains("database is locked")
                    || info.message().contains("database is busy") =>
            {
                AppError::Unavailable(format!("SQLite busy: {}", info.message()))
            }
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<r2d2::Error> for AppError {
    fn from(err: r2d2::Error) -> Self {
        AppError::Unavailable(err.to_string())
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        AppError::Internal(anyhow::anyhow!("blocking task failed: {err}"))
    }
}

impl From<askama::Error> for AppError {
    fn from(err: askama::Error) -> Self {
        AppError::Internal(anyhow::anyhow!("template: {err}"))
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::LoginRequired { htmx: true, .. } => StatusCode::UNAUTHORIZED,
            AppError::LoginRequired { htmx: false, .. } => StatusCode::SEE_OTHER,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::PayloadTooLarge | AppError::FileTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::InsufficientStorage => StatusCode::INSUFFICIENT_STORAGE,
            AppError::StorageUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::AuthUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::AuthFailed => StatusCode::BAD_GATEWAY,
            AppError::AuthRefused(_) => StatusCode::FORBIDDEN,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Internal(cause) => {
                tracing::error!(error = format!("{cause:#}"), "request failed")
            }
            AppError::Unavailable(cause) => tracing::warn!(error = %cause, "database unavailable"),
            AppError::StorageUnavailable(cause) => {
                tracing::warn!(error = %cause, "storage unavailable")
            }
            AppError::InsufficientStorage => tracing::error!("storage is full"),
            AppError::Forbidden(reason) => tracing::warn!(reason, "request refused"),
            _ => {}
        }
        let status = self.status_code();
        let mut response = HttpResponse::build(status);
        match self {
            AppError::LoginRequired { next, htmx } => {
                let login = format!("/login?next={}", percent_encode(next));
                let name = if *htmx { "HX-Redirect" } else { "Location" };
                return response.insert_header((name, login)).finish();
            }
            AppError::TooManyRequests { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            AppError::Unavailable(_)
            | AppError::StorageUnavailable(_)
            | AppError::AuthUnavailable => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            _ => {}
        }
        // Plain words; `web::error_pages` renders the page (or the htmx fragment)
        // for every response that carries an `AppError`.
        let (title, message) = self.user_message();
        response
            .insert_header((
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ))
            .body(format!("{title}. {message}"))
    }
}

/// What `percent_encode` leaves as it is: the unreserved characters and `/`.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// Percent-encodes a path for a query parameter (only unreserved characters and `/` pass).
pub fn percent_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, QUERY_VALUE).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_redirects_keep_the_page_to_return_to() {
        assert_eq!(
            percent_encode("/clients?tab=a b&x=1"),
            "/clients%3Ftab%3Da%20b%26x%3D1"
        );
    }

    #[test]
    fn waits_read_naturally() {
        assert_eq!(human_wait(1), "a second");
        assert_eq!(human_wait(30), "30 seconds");
        assert_eq!(human_wait(600), "10 minutes");
    }
}
