//! Authentication: local accounts and passwords, server-side sessions, login
//! throttling, Supabase Auth, and `CurrentUser`, who is asking. The HTTP side (the
//! session gate, CSRF, the extractor) is in `web`.

pub mod device;
pub mod local;
pub mod password;
pub mod session;
pub mod supabase;
pub mod throttle;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::db::models::users::User;

/// The signed-in user, as the session gate found it (`web::extract` makes it an
/// extractor).
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub session_hash: String,
    pub csrf_token: String,
    /// The status message a redirect carried to this request's page.
    pub notice: Option<crate::domain::Notice>,
}

impl CurrentUser {
    pub fn id(&self) -> &crate::domain::UserId {
        &self.user.id
    }

    /// The user's calendar date at `now`, in their time zone.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        self.user.timezone.today(now)
    }

    /// Stored instants as this user reads them (their zone, relative to `now`).
    pub fn dates(&self, now: DateTime<Utc>) -> crate::domain::LocalDates {
        crate::domain::LocalDates::new(self.user.timezone, now)
    }

    /// The user's wall-clock date and time at `now`.
    pub fn local_now(&self, now: DateTime<Utc>) -> NaiveDateTime {
        now.with_timezone(&self.user.timezone.tz()).naive_local()
    }
}
