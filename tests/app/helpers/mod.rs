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

/// An instant in UTC, for pinning the app's clock.
pub fn utc(y: i32, m: u32, d: u32, h: u32, mi: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(y, m, d, h, mi, 0).unwrap()
}
