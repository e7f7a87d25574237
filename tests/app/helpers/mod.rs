//! What every integration test stands on: the app on a fresh database (`app`),
//! a person's browser over HTTP (`browser`), an S3-compatible server (`s3`) and
//! headless Chromium for the journeys (`chrome`).

mod app;
mod browser;
pub mod chrome;
mod s3;

pub use app::*;
pub use browser::*;
pub use s3::*;

/// Today in Berlin (the test users' zone) by the wall clock, and the instant
/// of `hour`:00 on it: browser journeys pin the app's clock there, so what
/// they do does not depend on the hour the suite runs.
pub fn berlin_today_at(hour: u32) -> (chrono::NaiveDate, chrono::DateTime<chrono::Utc>) {
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    let at = today
        .and_hms_opt(hour, 0, 0)
        .unwrap()
        .and_local_timezone(chrono_tz::Europe::Berlin)
        .unwrap()
        .with_timezone(&chrono::Utc);
    (today, at)
}

/// An instant in UTC, for pinning the app's clock.
pub fn utc(y: i32, m: u32, d: u32, h: u32, mi: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(y, m, d, h, mi, 0).unwrap()
}
